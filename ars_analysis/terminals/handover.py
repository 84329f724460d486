"""Upgrade (提升): core distributors take over servicing their terminals with their own team, and
our advisors move on to new markets and products.

* :func:`servicing_share`: per month (and region), the share of terminals and of terminal
  volume serviced by the distributors' own teams vs our reps, from ``terminals.serviced_by``
  and the date of the change (``serviced_by_since``; before it the terminal was serviced by the
  other party);
* :func:`handover_readiness`: which core distributors are ready to take over their network:
  core (grade A), healthy (health score and no weak flow), covering their linked terminals;
* :func:`handover_candidates`: the terminals our reps still service that are linked to a ready
  distributor and active: what advisors could hand over.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.terminals.coverage import _require as _check_columns

__all__ = ["READINESS", "handover_candidates", "handover_readiness", "servicing_share"]

#: Default readiness criteria of :func:`handover_readiness`.
READINESS = {"min_health": 50.0, "min_flow": 25.0, "min_coverage": 0.6, "min_terminals": 10}


def serviced_by_at(terminals: pd.DataFrame, when) -> pd.Series:
    """Who serviced each terminal at ``when`` (``rep`` or ``distributor``), by ``terminal_id``."""
    now = terminals["serviced_by"].fillna("rep").astype(str)
    since = terminals["serviced_by_since"] if "serviced_by_since" in terminals else None
    if since is None:
        return pd.Series(now.to_numpy(), index=terminals["terminal_id"])
    other = now.map({"rep": "distributor", "distributor": "rep"}).fillna("rep")
    before = since.notna() & (since > pd.Timestamp(when))
    return pd.Series(np.where(before, other, now), index=terminals["terminal_id"])


def servicing_share(
    terminals: pd.DataFrame, monthly: pd.DataFrame, *, by: list[str] | tuple[str, ...] = ()
) -> pd.DataFrame:
    """Share of terminals and volume serviced by the distributors' teams, month by month.

    Parameters
    ----------
    terminals : DataFrame
        Contract ``terminals`` with ``serviced_by`` (+ ``serviced_by_since``) and the ``by``
        columns.
    monthly : DataFrame
        ``terminal_id``, ``period`` (``YYYY-MM``), ``revenue``: terminal sales per month.
    by : list of str
        e.g. ``["region"]``.

    Returns
    -------
    DataFrame
        ``by`` columns, ``period``, ``n_terminals`` (active in the month), ``n_distributor``,
        ``terminal_share`` (serviced by distributors' teams), ``revenue``,
        ``revenue_distributor``, ``volume_share``.

    Examples
    --------
    >>> t = pd.DataFrame({"terminal_id": ["T1", "T2"], "serviced_by": ["distributor", "rep"],
    ...                   "serviced_by_since": pd.to_datetime(["2025-02-10", None])})
    >>> m = pd.DataFrame({"terminal_id": ["T1", "T2", "T1", "T2"],
    ...                   "period": ["2025-01", "2025-01", "2025-02", "2025-02"],
    ...                   "revenue": [30.0, 10.0, 30.0, 10.0]})
    >>> servicing_share(t, m)[["period", "terminal_share", "volume_share"]]
        period  terminal_share  volume_share
    0  2025-01             0.0          0.00
    1  2025-02             0.5          0.75
    """
    _check_columns(terminals, ["terminal_id", "serviced_by"], "terminals")
    _check_columns(monthly, ["terminal_id", "period", "revenue"], "monthly terminal sales")
    by = list(by)
    m = monthly[monthly["revenue"] > 0].assign(period=monthly["period"].astype(str))
    rows = []
    for p in sorted(m["period"].unique()):
        end = pd.Period(p, freq="M").end_time
        who = serviced_by_at(terminals, end)
        mp = m[m["period"] == p].groupby("terminal_id")["revenue"].sum().reset_index()
        mp["_dist"] = (mp["terminal_id"].map(who) == "distributor").to_numpy()
        if by:
            mp = mp.merge(terminals[["terminal_id", *by]], on="terminal_id", how="left")
        mp["period"] = p
        rows.append(mp)
    if not rows:
        return pd.DataFrame(columns=[*by, "period", "n_terminals", "n_distributor",
                                     "terminal_share", "revenue", "revenue_distributor",
                                     "volume_share"])  # fmt: skip
    a = pd.concat(rows, ignore_index=True)
    a["_rev_d"] = a["revenue"].where(a["_dist"], 0.0)
    out = a.groupby([*by, "period"]).agg(
        n_terminals=("terminal_id", "size"), n_distributor=("_dist", "sum"),
        revenue=("revenue", "sum"), revenue_distributor=("_rev_d", "sum"),
    ).reset_index()  # fmt: skip
    out["n_distributor"] = out["n_distributor"].astype("int64")
    out["terminal_share"] = out["n_distributor"] / out["n_terminals"]
    out["volume_share"] = out["revenue_distributor"] / out["revenue"]
    return out[[*by, "period", "n_terminals", "n_distributor", "terminal_share", "revenue",
                "revenue_distributor", "volume_share"]]  # fmt: skip


def handover_readiness(
    grades: pd.DataFrame,
    health: pd.DataFrame,
    network: pd.DataFrame,
    criteria: dict | None = None,
) -> pd.DataFrame:
    """Which core distributors are ready to service their own terminal network.

    Parameters
    ----------
    grades : DataFrame
        ``customer_id``, ``grade``, ``is_core`` (the client's core-customer definition).
    health : DataFrame
        ``customer_id``, ``health_score`` and the flow scores (``commerce``, ``logistics``,
        ``cash``, ``information``; missing ones are ignored).
    network : DataFrame
        ``customer_id``, ``n_linked`` (terminals linked to it), ``n_active`` (of those, bought
        in the recent months), ``n_own_team`` (serviced by its own team today).
    criteria : dict, optional
        Overrides of :data:`READINESS`.

    Returns
    -------
    DataFrame
        Core distributors: ``customer_id``, ``grade``, ``health_score``, ``weakest_flow``,
        ``weakest_score``, ``coverage`` (n_active / n_linked), ``n_linked``, ``n_own_team``,
        ``ready`` and ``reason`` (``ready``, ``health``, ``weak_flow``, ``coverage``,
        ``small_network``, ``no_health``: the first criterion not met).

    Examples
    --------
    >>> g = pd.DataFrame({"customer_id": ["C1", "C2"], "grade": ["A", "A"], "is_core": True})
    >>> h = pd.DataFrame({"customer_id": ["C1", "C2"], "health_score": [70.0, 40.0],
    ...                   "logistics": [60.0, 10.0]})
    >>> n = pd.DataFrame({"customer_id": ["C1", "C2"], "n_linked": [20, 30],
    ...                   "n_active": [18, 30], "n_own_team": [0, 5]})
    >>> handover_readiness(g, h, n)[["customer_id", "ready", "reason"]]
      customer_id  ready  reason
    0          C1   True   ready
    1          C2  False  health
    """
    c = {**READINESS, **(criteria or {})}
    core = grades[grades["is_core"].astype(bool)][["customer_id", "grade"]]
    flows = [f for f in ("commerce", "logistics", "cash", "information") if f in health]
    h = health[["customer_id", "health_score", *flows]]
    out = core.merge(h, on="customer_id", how="left").merge(network, on="customer_id", how="left")
    for col in ("n_linked", "n_active", "n_own_team"):
        out[col] = out[col].fillna(0).astype("int64")
    if flows:
        scores = out[flows]
        out["weakest_flow"] = scores.idxmin(axis=1, skipna=True).where(scores.notna().any(axis=1))
        out["weakest_score"] = scores.min(axis=1)
    else:
        out["weakest_flow"], out["weakest_score"] = None, np.nan
    out["coverage"] = np.where(out["n_linked"] > 0, out["n_active"] / out["n_linked"].clip(1),
                               np.nan)  # fmt: skip
    reason = np.select(
        [out["health_score"].isna(), out["health_score"] < c["min_health"],
         out["weakest_score"] < c["min_flow"], out["n_linked"] < c["min_terminals"],
         out["coverage"] < c["min_coverage"]],
        ["no_health", "health", "weak_flow", "small_network", "coverage"],
        default="ready",
    )  # fmt: skip
    out["reason"] = reason
    out["ready"] = out["reason"] == "ready"
    out = out.sort_values(["ready", "health_score"], ascending=[False, False], kind="stable")
    return out[["customer_id", "grade", "health_score", "weakest_flow", "weakest_score",
                "coverage", "n_linked", "n_own_team", "ready", "reason"]].reset_index(drop=True)  # fmt: skip


def handover_candidates(
    terminals: pd.DataFrame, ready_ids, terminal_revenue: pd.DataFrame
) -> pd.DataFrame:
    """Terminals our reps service today that are linked to a ready distributor and active.

    Returns ``terminal_id``, ``customer_id``, ``rep_id`` (when known), ``revenue``; sorted by
    revenue, largest first.

    Examples
    --------
    >>> t = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "customer_id": ["C1", "C1", "C2"],
    ...                   "serviced_by": ["rep", "distributor", "rep"], "rep_id": ["R1"] * 3})
    >>> r = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "revenue": [5.0, 9.0, 7.0]})
    >>> handover_candidates(t, ["C1"], r)["terminal_id"].tolist()
    ['T1']
    """
    _check_columns(terminals, ["terminal_id", "customer_id", "serviced_by"], "terminals")
    ready = set(pd.Series(list(ready_ids), dtype=object))
    t = terminals[terminals["customer_id"].isin(ready)
                  & (terminals["serviced_by"].fillna("rep") == "rep")]  # fmt: skip
    cols = ["terminal_id", "customer_id", *(["rep_id"] if "rep_id" in t else [])]
    rev = terminal_revenue[terminal_revenue["revenue"] > 0][["terminal_id", "revenue"]]
    out = t[cols].merge(rev, on="terminal_id", how="inner")
    return out.sort_values("revenue", ascending=False, kind="stable").reset_index(drop=True)
