"""Terminal targets and sell-through (维护): attainment by terminal, distributor and rep, and a
suggested target where the client set none.

* **attainment** = actual revenue / target revenue over the months that have a target;
* **suggested target** of a terminal without one = its average monthly revenue over the last
  ``months`` months x (1 + the growth of its peers), the peers being the terminals of the same
  type in the same city (at least ``min_peers`` of them; else the same type in the region, else
  the same type, else all terminals; counted among the terminals with sales, itself
  included). Peer growth = median growth of the peers' average monthly
  revenue, recent ``months`` vs the ``months`` before, clipped to ``growth_limits``. A terminal
  without history gets the median of its peers' averages. ``method`` states which was used.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.terminals.coverage import _require as _check_columns

__all__ = ["PEER_LEVELS", "suggest_targets", "target_attainment"]

#: Peer groups tried in order for a suggested target (each must have ``min_peers`` terminals).
PEER_LEVELS = (("terminal_type", "city"), ("terminal_type", "region"), ("terminal_type",), ())


def target_attainment(
    monthly: pd.DataFrame,
    targets: pd.DataFrame,
    terminals: pd.DataFrame | None = None,
    *,
    by: str = "terminal_id",
) -> pd.DataFrame:
    """Attainment of the terminal targets, per terminal or summed per distributor or rep.

    Parameters
    ----------
    monthly : DataFrame
        ``terminal_id``, ``period`` (``YYYY-MM``), ``revenue`` (terminal sales per month).
    targets : DataFrame
        Contract ``terminal_targets`` (``terminal_id``, ``period``, ``target_revenue``).
    terminals : DataFrame, optional
        ``terminal_id`` and ``by`` (``customer_id``, ``rep_id``) when ``by`` is not the terminal.
    by : str
        ``terminal_id``, ``customer_id`` or ``rep_id``.

    Returns
    -------
    DataFrame
        ``by``, ``n_terminals``, ``n_months`` (terminal-months with a target), ``target_revenue``,
        ``revenue`` (actual in those months), ``attainment``, ``n_reached`` (terminal-months at
        or above target).

    Examples
    --------
    >>> m = pd.DataFrame({"terminal_id": ["T1", "T1", "T2"], "period": ["2025-01", "2025-02",
    ...                   "2025-01"], "revenue": [90.0, 120.0, 40.0]})
    >>> t = pd.DataFrame({"terminal_id": ["T1", "T1", "T2"], "period": ["2025-01", "2025-02",
    ...                   "2025-01"], "target_revenue": [100.0, 100.0, 50.0]})
    >>> target_attainment(m, t)[["terminal_id", "attainment", "n_reached"]]
      terminal_id  attainment  n_reached
    0          T1        1.05          1
    1          T2        0.80          0
    """
    _check_columns(monthly, ["terminal_id", "period", "revenue"], "monthly terminal sales")
    _check_columns(targets, ["terminal_id", "period", "target_revenue"], "terminal targets")
    tg = targets.assign(period=targets["period"].astype(str))
    m = monthly.assign(period=monthly["period"].astype(str))
    rows = tg.merge(m[["terminal_id", "period", "revenue"]], on=["terminal_id", "period"],
                    how="left")  # fmt: skip
    rows["revenue"] = rows["revenue"].fillna(0.0)
    rows["_reached"] = (rows["revenue"] >= rows["target_revenue"]).astype("int64")
    if by != "terminal_id":
        if terminals is None or by not in terminals:
            raise ValueError(f"attainment by {by!r} needs the terminals table with {by!r}")
        owner = terminals.drop_duplicates("terminal_id").set_index("terminal_id")[by]
        rows[by] = rows["terminal_id"].map(owner)
        rows = rows[rows[by].notna()]
    out = rows.groupby(by).agg(
        n_terminals=("terminal_id", "nunique"), n_months=("period", "size"),
        target_revenue=("target_revenue", "sum"), revenue=("revenue", "sum"),
        n_reached=("_reached", "sum"),
    ).reset_index()  # fmt: skip
    out["attainment"] = np.where(out["target_revenue"] > 0,
                                 out["revenue"] / out["target_revenue"].where(
                                     out["target_revenue"] > 0), np.nan)  # fmt: skip
    return out[[by, "n_terminals", "n_months", "target_revenue", "revenue", "attainment",
                "n_reached"]]  # fmt: skip


def _avg(monthly: pd.DataFrame, periods: list[str]) -> pd.Series:
    sel = monthly[monthly["period"].isin(periods)]
    return sel.groupby("terminal_id")["revenue"].sum() / max(len(periods), 1)


def suggest_targets(
    monthly: pd.DataFrame,
    terminals: pd.DataFrame,
    *,
    months: int = 6,
    min_peers: int = 5,
    growth_limits: tuple[float, float] = (0.0, 0.3),
    exclude=(),
) -> pd.DataFrame:
    """A suggested monthly target for each terminal without one, from history and peers.

    Parameters
    ----------
    monthly : DataFrame
        ``terminal_id``, ``period`` (``YYYY-MM``), ``revenue``.
    terminals : DataFrame
        ``terminal_id``, ``terminal_type``, ``city``, ``region`` (those present are used).
    months : int
        Months of history (the last ``months`` with sales; the ``months`` before give growth).
    min_peers : int
        Smallest peer group used (else the next, broader level of :data:`PEER_LEVELS`).
    growth_limits : (float, float)
        Peer growth is clipped to this range.
    exclude : iterable
        Terminals that already have a target.

    Returns
    -------
    DataFrame
        ``terminal_id``, ``history_revenue`` (average monthly revenue), ``peer_level``
        (``type_city``, ``type_region``, ``type``, ``all``), ``n_peers``, ``peer_growth``,
        ``suggested_target``, ``method`` (``history_peer_growth`` or ``peer_median``).

    Examples
    --------
    >>> per = [f"2025-{m:02d}" for m in range(1, 5)]
    >>> m = pd.DataFrame({"terminal_id": ["T1"] * 4 + ["T2"] * 4, "period": per * 2,
    ...                   "revenue": [100.0, 100.0, 110.0, 110.0, 50.0, 50.0, 60.0, 60.0]})
    >>> t = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "terminal_type": ["s"] * 3,
    ...                   "city": ["X"] * 3})
    >>> suggest_targets(m, t, months=2, min_peers=2)[["terminal_id", "suggested_target",
    ...                                               "method"]]
      terminal_id  suggested_target               method
    0          T1             126.0  history_peer_growth
    1          T2              69.0  history_peer_growth
    2          T3              85.0          peer_median
    """
    _check_columns(monthly, ["terminal_id", "period", "revenue"], "monthly terminal sales")
    m = monthly.assign(period=monthly["period"].astype(str))
    periods = sorted(m["period"].unique())
    recent, before = periods[-months:], periods[-2 * months : -months]
    avg = _avg(m, recent)
    prev = _avg(m, before)
    growth = (avg / prev.where(prev > 0) - 1).reindex(avg.index)
    t = terminals.drop_duplicates("terminal_id").set_index("terminal_id")
    excl = set(pd.Series(list(exclude), dtype=object))
    names = {("terminal_type", "city"): "type_city", ("terminal_type", "region"): "type_region",
             ("terminal_type",): "type", (): "all"}  # fmt: skip
    levels = [lv for lv in PEER_LEVELS if all(c in t for c in lv)]
    base = pd.DataFrame({"avg": avg, "growth": growth}).reindex(t.index).join(t)
    out = pd.DataFrame({"terminal_id": t.index, "history_revenue": base["avg"].to_numpy()})
    out["peer_level"], out["n_peers"] = None, 0
    out["peer_growth"], out["_peer_avg"] = np.nan, np.nan
    todo = np.ones(len(out), dtype=bool)
    for lv in levels:
        keys = [base[c].astype(object).fillna("") for c in lv] if lv else [pd.Series(0, base.index)]
        grp = base.assign(_one=base["avg"].notna()).groupby(keys)
        n = grp["_one"].transform("sum").to_numpy()
        g = grp["growth"].transform("median").to_numpy()
        a = grp["avg"].transform("median").to_numpy()
        take = todo & ((n >= min_peers) | (lv == ()))
        out.loc[take, "peer_level"] = names[lv]
        out.loc[take, "n_peers"] = n[take]
        out.loc[take, "peer_growth"] = g[take]
        out.loc[take, "_peer_avg"] = a[take]
        todo &= ~take
    out["peer_growth"] = out["peer_growth"].fillna(0.0).clip(*growth_limits)
    hist = out["history_revenue"]
    has = hist.notna() & (hist > 0)
    out["suggested_target"] = np.where(has, hist * (1 + out["peer_growth"]), out["_peer_avg"])
    out["method"] = np.where(has, "history_peer_growth", "peer_median")
    out = out[~out["terminal_id"].isin(excl)].drop(columns="_peer_avg").reset_index(drop=True)
    out["n_peers"] = out["n_peers"].astype("int64")
    out["suggested_target"] = out["suggested_target"].round(0)
    return out
