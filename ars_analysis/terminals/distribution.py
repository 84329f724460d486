"""Distribution (铺货) of products across terminals: numeric and weighted distribution, the
rollout of new products and the gaps of high-volume terminals.

* **numeric distribution** of a product (or category) = active terminals that bought it /
  active terminals (a terminal is active when it bought anything in the period);
* **weighted distribution** = the same, each terminal weighted by its volume (its revenue over
  all products): the share of the market's terminal volume where the product is on sale;
* the **rollout curve** of a new product: its numeric distribution (cumulative: terminals that
  have bought it at least once) week by week since its launch;
* **gaps**: high-volume terminals that do not buy a core product, with the revenue their peers
  (terminals of the same type buying it) make on it as the volume at stake.

Inputs are aggregates of the sales lines (one row per terminal and product) and the contract's
``terminals`` and ``products`` tables; :mod:`ars_analysis.compose.network_flows` builds them
(the rollout's denominator there: the terminals active in the report's last months).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.terminals.coverage import _require as _check_columns

__all__ = ["distribution", "distribution_gaps", "rollout_curve"]


def distribution(
    terminal_items: pd.DataFrame,
    terminals: pd.DataFrame | None = None,
    *,
    item: str = "product_id",
    by: list[str] | tuple[str, ...] = (),
) -> pd.DataFrame:
    """Numeric and weighted distribution of each item, per group of terminals.

    Parameters
    ----------
    terminal_items : DataFrame
        ``terminal_id``, ``item`` (e.g. ``product_id`` or ``category``), ``revenue``: one row per
        terminal and item bought in the period (rows with revenue <= 0 are not purchases).
    terminals : DataFrame, optional
        ``terminal_id`` and the ``by`` columns (``region``, ``terminal_type``, ``customer_id``).
    item : str
        Column of ``terminal_items`` to measure.
    by : list of str
        Grouping columns of ``terminals`` (empty: all terminals together).

    Returns
    -------
    DataFrame
        ``by`` columns, ``item``, ``n_active`` (active terminals of the group), ``n_buying``,
        ``numeric_distribution``, ``weighted_distribution``.

    Examples
    --------
    >>> ti = pd.DataFrame({"terminal_id": ["T1", "T1", "T2", "T3"],
    ...                    "product_id": ["P1", "P2", "P1", "P2"],
    ...                    "revenue": [60.0, 40.0, 10.0, 90.0]})
    >>> distribution(ti)[["product_id", "n_buying", "numeric_distribution",
    ...                   "weighted_distribution"]].round(4)
      product_id  n_buying  numeric_distribution  weighted_distribution
    0         P1         2                0.6667                   0.55
    1         P2         2                0.6667                   0.95
    """
    _check_columns(terminal_items, ["terminal_id", item, "revenue"], "terminal x item sales")
    by = list(by)
    ti = terminal_items[(terminal_items["revenue"] > 0) & terminal_items["terminal_id"].notna()]
    vol = ti.groupby("terminal_id")["revenue"].sum().rename("_vol").reset_index()
    if by:
        if terminals is None:
            raise ValueError(f"distribution by {by} needs the terminals table")
        _check_columns(terminals, ["terminal_id", *by], "terminals")
        vol = vol.merge(terminals[["terminal_id", *by]].drop_duplicates("terminal_id"),
                        on="terminal_id", how="left")  # fmt: skip
        for c in by:
            vol[c] = vol[c].astype(object).where(vol[c].notna(), "")
    base = (vol.groupby(by).agg(n_active=("terminal_id", "size"), _tot=("_vol", "sum"))
            if by else pd.DataFrame({"n_active": [len(vol)], "_tot": [vol["_vol"].sum()]}))  # fmt: skip
    bought = ti[["terminal_id", item]].drop_duplicates().merge(vol, on="terminal_id")
    keys = [*by, item]
    out = bought.groupby(keys).agg(n_buying=("terminal_id", "size"), _w=("_vol", "sum"))
    out = out.reset_index()
    if by:
        out = out.merge(base.reset_index(), on=by)
    else:
        out["n_active"], out["_tot"] = base["n_active"].iat[0], base["_tot"].iat[0]
    out["numeric_distribution"] = out["n_buying"] / out["n_active"]
    out["weighted_distribution"] = np.where(out["_tot"] > 0, out["_w"] / out["_tot"], np.nan)
    out = out.sort_values(keys).reset_index(drop=True)
    return out[[*keys, "n_active", "n_buying", "numeric_distribution", "weighted_distribution"]]


def rollout_curve(
    first_purchase: pd.DataFrame,
    launches: pd.DataFrame,
    n_active: int,
    *,
    end=None,
    weeks: int | None = None,
) -> pd.DataFrame:
    """Numeric distribution of each launched product by week since its launch.

    Parameters
    ----------
    first_purchase : DataFrame
        ``terminal_id``, ``product_id``, ``first_date``: a terminal's first purchase of a product.
    launches : DataFrame
        ``product_id``, ``launch_date`` (products without a date are left out).
    n_active : int
        Active terminals (the denominator: terminals that bought anything in the period).
    end : date-like, optional
        Last date of the data (weeks after it are not shown); default the last first purchase.
    weeks : int, optional
        Weeks to show (default: up to ``end``).

    Returns
    -------
    DataFrame
        ``product_id``, ``launch_date``, ``week`` (0 = launch week), ``n_terminals``
        (cumulative terminals that bought it by the end of the week), ``numeric_distribution``.

    Examples
    --------
    >>> fp = pd.DataFrame({"terminal_id": ["T1", "T2"], "product_id": ["P9", "P9"],
    ...                    "first_date": pd.to_datetime(["2025-01-03", "2025-01-20"])})
    >>> la = pd.DataFrame({"product_id": ["P9"], "launch_date": pd.to_datetime(["2025-01-01"])})
    >>> rollout_curve(fp, la, 4, weeks=3)[["week", "n_terminals", "numeric_distribution"]]
       week  n_terminals  numeric_distribution
    0     0            1                  0.25
    1     1            1                  0.25
    2     2            2                  0.50
    3     3            2                  0.50
    """
    _check_columns(first_purchase, ["terminal_id", "product_id", "first_date"], "first purchases")
    _check_columns(launches, ["product_id", "launch_date"], "products")
    la = launches.dropna(subset=["launch_date"])[["product_id", "launch_date"]]
    if end is None:
        end = first_purchase["first_date"].max()
    rows = []
    for pid, launch in zip(la["product_id"], la["launch_date"], strict=True):
        fp = first_purchase[first_purchase["product_id"] == pid]
        week = ((fp["first_date"] - launch).dt.days // 7).clip(lower=0)
        last = int((pd.Timestamp(end) - launch).days // 7) if pd.notna(end) else 0
        last = weeks if weeks is not None else max(last, 0)
        counts = week.value_counts().reindex(range(last + 1), fill_value=0).cumsum()
        rows.append(pd.DataFrame({"product_id": pid, "launch_date": launch,
                                  "week": np.arange(last + 1),
                                  "n_terminals": counts.to_numpy().astype("int64")}))  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=["product_id", "launch_date", "week", "n_terminals",
                                     "numeric_distribution"])  # fmt: skip
    out = pd.concat(rows, ignore_index=True)
    out["numeric_distribution"] = out["n_terminals"] / max(n_active, 1)
    return out


def distribution_gaps(
    terminal_items: pd.DataFrame,
    terminals: pd.DataFrame,
    core_products,
    high_volume_ids,
) -> pd.DataFrame:
    """High-volume terminals that do not buy a core product, with the volume at stake.

    The volume at stake of a missing product is the median revenue of that product at the
    terminals of the same type that buy it (all terminals when no peer of that type does).

    Returns
    -------
    DataFrame
        One row per terminal and missing product: ``terminal_id``, ``terminal_type``,
        ``product_id``, ``peer_revenue``; sorted by terminal volume.

    Examples
    --------
    >>> ti = pd.DataFrame({"terminal_id": ["T1", "T1", "T2", "T3"],
    ...                    "product_id": ["P1", "P2", "P1", "P2"],
    ...                    "revenue": [60.0, 40.0, 10.0, 90.0]})
    >>> t = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "terminal_type": ["s", "s", "s"]})
    >>> distribution_gaps(ti, t, ["P1", "P2"], ["T1", "T3"])
      terminal_id terminal_type product_id  peer_revenue
    0          T3             s         P1          35.0
    """
    _check_columns(terminal_items, ["terminal_id", "product_id", "revenue"], "terminal x product")
    ti = terminal_items[terminal_items["revenue"] > 0]
    types = (terminals.drop_duplicates("terminal_id").set_index("terminal_id")["terminal_type"]
             if "terminal_type" in terminals else pd.Series(dtype=object))  # fmt: skip
    ti = ti.assign(terminal_type=ti["terminal_id"].map(types).fillna(""))
    peer = ti.groupby(["terminal_type", "product_id"])["revenue"].median()
    overall = ti.groupby("product_id")["revenue"].median()
    vol = ti.groupby("terminal_id")["revenue"].sum()
    high = [t for t in pd.unique(pd.Series(list(high_volume_ids), dtype=object)) if t in vol.index]
    grid = pd.MultiIndex.from_product([high, list(core_products)],
                                      names=["terminal_id", "product_id"]).to_frame(index=False)  # fmt: skip
    have = ti.set_index(["terminal_id", "product_id"]).index
    gaps = grid[~pd.MultiIndex.from_frame(grid).isin(have)].copy()
    gaps["terminal_type"] = gaps["terminal_id"].map(types).fillna("")
    key = pd.MultiIndex.from_frame(gaps[["terminal_type", "product_id"]])
    gaps["peer_revenue"] = peer.reindex(key).to_numpy()
    gaps["peer_revenue"] = gaps["peer_revenue"].fillna(gaps["product_id"].map(overall))
    gaps["_vol"] = gaps["terminal_id"].map(vol)
    gaps = gaps.sort_values(["_vol", "product_id"], ascending=[False, True], kind="stable")
    return gaps[["terminal_id", "terminal_type", "product_id", "peer_revenue"]].reset_index(
        drop=True
    )
