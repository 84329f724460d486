"""Distributor health on the four flows (四流): one table, a score per flow, the issues to act on.

:func:`distributor_health` joins the measures of :mod:`ars_analysis.customers.flows` into one
row per distributor; :func:`flow_scores` turns them into a 0-100 score per flow (the mean of
the distributor's percentile ranks on the flow's measures, oriented so that 100 is best);
:func:`health_flags` lists the distributors over a threshold (over-stock, low fill rate, late
reports, overdue, rising DSO, price cutting, deal-driven ordering) with the money at stake.
A flow whose tables are absent has no measure: its score is NaN and :class:`DistributorHealth`
lists it in ``missing``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "FLOWS",
    "FLOW_MEASURES",
    "HEALTH_THRESHOLDS",
    "DistributorHealth",
    "distributor_health",
    "flow_scores",
    "health_flags",
]

#: The four flows, in report order.
FLOWS = ("commerce", "logistics", "cash", "information")

#: Measures of each flow and whether more is better (``None``: the nearer the target band of
#: stock cover, the better -- measured by ``cover_gap_days``).
FLOW_MEASURES: dict[str, tuple[tuple[str, bool], ...]] = {
    "commerce": (("price_index", True), ("order_interval_cv", False), ("promotion_share", False)),
    "logistics": (("cover_gap_days", False), ("fill_rate", True), ("on_time_share", True),
                  ("stockout_share", False)),
    "cash": (("dso", False), ("overdue_share", False), ("dso_change", False)),
    "information": (("reports_on_time", True), ("missing_share", False)),
}  # fmt: skip

#: Default thresholds of :func:`health_flags` (the client configuration may override them).
HEALTH_THRESHOLDS = {
    "cover_low": 15.0,  # days of cover below: risk of stock-outs
    "cover_high": 60.0,  # days of cover above: over-stocked, money tied up
    "fill_rate": 0.90,  # below: terminals not served
    "reports_on_time": 0.80,  # below: information arrives late
    "overdue_share": 0.30,  # above: cash at risk
    "dso_rise": 20.0,  # DSO up by more days than this since the previous balance
    "price_gap": -0.08,  # below: sells (buys) well under the network's price
    "promotion_share": 0.35,  # above: orders only on deals
}


@dataclass
class DistributorHealth:
    """Distributor health of one report (see :func:`ars_analysis.compose.analyse_distributor_health`).

    Attributes
    ----------
    health : DataFrame
        One row per distributor: names, region, the measures of every available flow, the
        flow scores (``commerce``, ``logistics``, ``cash``, ``information``, 0-100) and
        ``health_score`` (their mean).
    flags : DataFrame
        :func:`health_flags`: ``customer_id``, ``flag``, ``value``, ``at_stake``.
    trend : DataFrame
        Measures per distributor and month: ``customer_id``, ``period``, ``measure``,
        ``value`` (fill rate, promotion share, reports on time, DSO, overdue share).
    by_product : DataFrame
        Price by distributor and product (:func:`~ars_analysis.customers.flows.price_by_product`).
    available : dict
        Flow -> the contract tables it used (empty tuple: not measured).
    missing : list of str
        Optional tables that were absent (the report says so).
    parameters : dict
        Thresholds and windows used.
    """

    health: pd.DataFrame
    flags: pd.DataFrame
    trend: pd.DataFrame
    by_product: pd.DataFrame
    available: dict = field(default_factory=dict)
    missing: list = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    region: object = None

    @property
    def n_customers(self) -> int:
        return len(self.health)

    def measured(self, flow: str) -> bool:
        """Whether ``flow`` has at least one measure."""
        return bool(self.available.get(flow))


def distributor_health(
    parts: list[pd.DataFrame],
    customers: pd.DataFrame | None = None,
    *,
    cover_band: tuple[float, float] = (15.0, 45.0),
) -> pd.DataFrame:
    """One row per distributor with every measure of ``parts`` (outer join on ``customer_id``).

    Adds ``cover_gap_days``: days of cover outside ``cover_band`` (0 inside it), when the parts
    have ``cover_days``; names and region from ``customers``.

    Examples
    --------
    >>> a = pd.DataFrame({"customer_id": ["C1", "C2"], "fill_rate": [0.9, 1.0]})
    >>> b = pd.DataFrame({"customer_id": ["C1"], "cover_days": [70.0]})
    >>> distributor_health([a, b])[["customer_id", "cover_gap_days"]]
      customer_id  cover_gap_days
    0          C1            25.0
    1          C2             NaN
    """
    out = None
    for p in parts:
        if p is None or not len(p):
            continue
        p = p.drop(columns=[c for c in p.columns if out is not None and c in out and
                            c != "customer_id"])  # fmt: skip
        out = p.copy() if out is None else out.merge(p, on="customer_id", how="outer")
    if out is None:
        out = pd.DataFrame({"customer_id": pd.Series(dtype=object)})
    if "cover_days" in out:
        lo, hi = cover_band
        c = out["cover_days"]
        out["cover_gap_days"] = np.where(c < lo, lo - c, np.where(c > hi, c - hi, 0.0))
        out.loc[c.isna(), "cover_gap_days"] = np.nan
    if customers is not None:
        info = [c for c in ("customer_name", "region", "territory") if c in customers]
        out = (
            customers[["customer_id", *info]]
            .drop_duplicates("customer_id")
            .merge(out, on="customer_id", how="right")
        )
    return out.sort_values("customer_id").reset_index(drop=True)


def flow_scores(health: pd.DataFrame) -> pd.DataFrame:
    """A 0-100 score per flow: the mean percentile rank of the distributor on the flow's
    measures (:data:`FLOW_MEASURES`, best = 100), among the distributors of ``health``.

    Returns ``customer_id``, one column per flow (NaN when no measure of the flow is
    available for the distributor) and ``health_score`` (mean of the available flows).

    Examples
    --------
    >>> h = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "fill_rate": [0.7, 0.9, 1.0],
    ...                   "reports_on_time": [1.0, 0.5, np.nan]})
    >>> flow_scores(h)[["logistics", "information", "health_score"]]
       logistics  information  health_score
    0        0.0        100.0          50.0
    1       50.0          0.0          25.0
    2      100.0          NaN         100.0
    """
    out = health[["customer_id"]].copy()
    for flow, measures in FLOW_MEASURES.items():
        ranks = []
        for col, higher in measures:
            if col not in health or health[col].notna().sum() == 0:
                continue
            v = pd.to_numeric(health[col], errors="coerce")
            v = v if higher else -v
            n = v.notna().sum()
            r = (v.rank(method="average") - 1) / max(n - 1, 1) * 100
            ranks.append(r)
        out[flow] = pd.concat(ranks, axis=1).mean(axis=1) if ranks else np.nan
    out["health_score"] = out[list(FLOWS)].mean(axis=1)
    return out


def health_flags(health: pd.DataFrame, thresholds: dict | None = None) -> pd.DataFrame:
    """The distributors to act on, one row per distributor and issue.

    ``flag`` is one of ``overstock`` (cover above ``cover_high`` days; at stake: the excess
    stock value), ``understock`` (cover below ``cover_low``), ``low_fill`` (fill rate below
    ``fill_rate``; at stake: the value not delivered), ``late_reports``, ``overdue`` (overdue
    share above ``overdue_share``; at stake: the amount overdue), ``dso_rising``,
    ``price_cutting`` (price gap below ``price_gap``), ``promotion_driven``.

    Examples
    --------
    >>> h = pd.DataFrame({"customer_id": ["C1", "C2"], "cover_days": [75.0, 30.0],
    ...                   "excess_value": [1500.0, 0.0], "fill_rate": [0.95, 0.8],
    ...                   "lost_value": [10.0, 400.0]})
    >>> health_flags(h)[["customer_id", "flag", "at_stake"]]
      customer_id       flag  at_stake
    0          C1  overstock    1500.0
    1          C2   low_fill     400.0
    """
    t = {**HEALTH_THRESHOLDS, **(thresholds or {})}
    rules = (
        ("overstock", "cover_days", lambda v: v > t["cover_high"], "excess_value"),
        ("understock", "cover_days", lambda v: v < t["cover_low"], None),
        ("low_fill", "fill_rate", lambda v: v < t["fill_rate"], "lost_value"),
        ("late_reports", "reports_on_time", lambda v: v < t["reports_on_time"], None),
        ("overdue", "overdue_share", lambda v: v > t["overdue_share"], "amount_overdue"),
        ("dso_rising", "dso_change", lambda v: v > t["dso_rise"], "amount_due"),
        ("price_cutting", "price_gap", lambda v: v < t["price_gap"], None),
        ("promotion_driven", "promotion_share", lambda v: v > t["promotion_share"], None),
    )
    rows = []
    for flag, col, test, stake in rules:
        if col not in health:
            continue
        v = pd.to_numeric(health[col], errors="coerce")
        hit = health[test(v).fillna(False).to_numpy()]
        if not len(hit):
            continue
        rows.append(pd.DataFrame({
            "customer_id": hit["customer_id"].to_numpy(), "flag": flag,
            "value": hit[col].to_numpy(dtype=float),
            "at_stake": hit[stake].to_numpy(dtype=float) if stake and stake in hit else np.nan,
        }))  # fmt: skip
    if not rows:
        return pd.DataFrame(
            {"customer_id": pd.Series(dtype=object), "flag": pd.Series(dtype=object),
             "value": pd.Series(dtype=float), "at_stake": pd.Series(dtype=float)}
        )  # fmt: skip
    return pd.concat(rows, ignore_index=True)
