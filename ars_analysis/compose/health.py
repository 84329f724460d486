"""Composition of distributor health on the four flows: from a dataset to
:class:`~ars_analysis.customers.health.DistributorHealth`, and the health columns of the
customer features (the scorecard's optional four-flow dimensions).

Every optional table is used when present and said missing when absent: a flow without any of
its tables has no measure (``DistributorHealth.available[flow] == ()``), and the report says so.
"""

from __future__ import annotations

import pandas as pd

from ars_analysis.compose.aggregate import customer_sales, sales_by
from ars_analysis.compose.definitions import filter_region
from ars_analysis.customers.flows import (
    delivery_performance,
    order_regularity,
    price_adherence,
    price_by_product,
    promotion_share,
    receivable_days,
    report_timeliness,
    stock_cover,
    stockout_days,
)
from ars_analysis.customers.health import (
    FLOWS,
    HEALTH_THRESHOLDS,
    DistributorHealth,
    distributor_health,
    flow_scores,
    health_flags,
)
from ars_analysis.data.dataset import between
from ars_analysis.data.snapshot import memo

__all__ = ["FLOW_TABLES", "HEALTH_PARAMETERS", "analyse_distributor_health", "health_features"]

#: The optional tables each flow reads (sales and products are always there).
FLOW_TABLES = {
    "commerce": ("deliveries",),  # promotion flag; price and order regularity come from sales
    "logistics": ("inventory", "deliveries"),
    "cash": ("receivables",),
    "information": ("distributor_reports",),
}

#: Windows of the measures (stated in the report's appendix).
HEALTH_PARAMETERS = {
    "stock_window_days": 90,  # average daily sales behind the days of cover
    "lead_days": 3,  # delivery due this many days after the order when no due date is given
    "report_due_days": 10,  # report due this many days after its month when no due date
    "dso_months": 3,  # revenue of the balance's month and the 2 before it, behind DSO
    "cover_band": (15.0, 45.0),  # days of cover that count as healthy
}


def _table(dataset, name, start=None, end=None, column=None):
    t = dataset.tables.get(name)
    if t is None:
        return None
    if column is not None and (start is not None or end is not None):
        t = t[between(t[column], start, end)]
    return t


def _has_price(products) -> bool:
    return products is not None and "list_price" in products and (products["list_price"] > 0).any()


def _logistics(dataset, start, end, products):
    parts = []
    inv = _table(dataset, "inventory", None, end, "date")
    if inv is not None and len(inv):
        last = inv["date"].max()
        window = HEALTH_PARAMETERS["stock_window_days"]
        recent = sales_by(dataset, ["customer_id", "product_id"],
                          start=last - pd.Timedelta(days=window - 1), end=last)  # fmt: skip
        parts.append(stock_cover(inv, recent, products, window_days=window,
                                 excess_days=HEALTH_THRESHOLDS["cover_high"]))  # fmt: skip
        inv_w = inv[inv["date"] > last - pd.Timedelta(days=window)]
        parts.append(stockout_days(inv_w).drop(columns=["n_products"]))
    dl = _table(dataset, "deliveries", start, end, "order_date")
    if dl is not None and len(dl):
        parts.append(delivery_performance(dl, products, lead_days=HEALTH_PARAMETERS["lead_days"]))
    return parts


def _cash(dataset, end):
    rec = _table(dataset, "receivables", None, end, "as_of_date")
    if rec is None or not len(rec) or "as_of_date" not in rec or rec["as_of_date"].isna().all():
        return None
    months = HEALTH_PARAMETERS["dso_months"]
    monthly = customer_sales(dataset, freq="M")[["customer_id", "period", "revenue"]]
    monthly = monthly.assign(_p=pd.PeriodIndex(monthly["period"].astype(str), freq="M"))
    rows = []
    for d in sorted(rec["as_of_date"].dropna().unique()):
        d = pd.Timestamp(d)
        last = d.to_period("M")
        first = last - (months - 1)
        s = monthly[(monthly["_p"] >= first) & (monthly["_p"] <= last)]
        s = s.groupby("customer_id")["revenue"].sum().reset_index()
        days = (last.end_time.normalize() - first.start_time).days + 1
        rows.append(s.assign(as_of_date=d, days=days))
    return receivable_days(rec.dropna(subset=["as_of_date"]), pd.concat(rows, ignore_index=True))


def _information(dataset, start, end, by_period=False):
    rep = dataset.tables.get("distributor_reports")
    if rep is None or not len(rep):
        return None
    if start is not None or end is not None:
        month = pd.to_datetime(rep["period"].astype(str) + "-01")
        first = None if start is None else pd.Timestamp(start).to_period("M").to_timestamp()
        rep = rep[between(month, first, end)]
    if not len(rep):
        return None
    return report_timeliness(rep, due_days=HEALTH_PARAMETERS["report_due_days"],
                             by_period=by_period)  # fmt: skip


def health_features(dataset, *, start=None, end=None) -> pd.DataFrame:
    """The four-flow columns of the customer features (the scorecard's optional dimensions).

    Returns ``customer_id`` and those of ``price_index`` (sales and list prices),
    ``fill_rate`` (deliveries), ``cover_gap_days`` (inventory), ``reports_on_time``
    (distributor reports) that the dataset can give for the window; a column is left out when
    its table is absent or has no rows in the window (the dimension is then skipped).
    """
    products = dataset.tables.get("products")
    parts = []
    if _has_price(products):
        cp = sales_by(dataset, ["customer_id", "product_id"], start=start, end=end)
        parts.append(price_adherence(cp, products)[["customer_id", "price_index"]])
    for p in _logistics(dataset, start, end, products):
        keep = [c for c in ("cover_days", "fill_rate") if c in p]
        if keep:
            parts.append(p[["customer_id", *keep]])
    info = _information(dataset, start, end)
    if info is not None:
        parts.append(info[["customer_id", "reports_on_time"]])
    out = distributor_health(parts, cover_band=HEALTH_PARAMETERS["cover_band"])
    return out.drop(columns=[c for c in ("cover_days",) if c in out])


def _trend(dataset) -> pd.DataFrame:
    rows = []
    dl = dataset.tables.get("deliveries")
    if dl is not None and len(dl):
        d = dl.assign(period=dl["order_date"].dt.to_period("M").astype(str))
        perf = delivery_performance(d, lead_days=HEALTH_PARAMETERS["lead_days"])
        rows.append(perf.melt(["customer_id", "period"], ["fill_rate", "on_time_share"],
                              var_name="measure"))  # fmt: skip
        if "promotion" in d:
            rows.append(promotion_share(d).melt(["customer_id", "period"], ["promotion_share"],
                                                var_name="measure"))  # fmt: skip
    info = _information(dataset, None, None, by_period=True)
    if info is not None:
        rows.append(info.melt(["customer_id", "period"], ["reports_on_time"], var_name="measure"))
    cash = _cash(dataset, None)
    if cash is not None:
        c = cash.assign(period=cash["as_of_date"].dt.to_period("M").astype(str))
        rows.append(c.melt(["customer_id", "period"], ["dso", "overdue_share"],
                           var_name="measure"))  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=["customer_id", "period", "measure", "value"])
    return pd.concat(rows, ignore_index=True).sort_values(["measure", "customer_id", "period"],
                                                          ignore_index=True)  # fmt: skip


def _whole(dataset):
    products = dataset.tables.get("products")
    parts, available = [], {f: [] for f in FLOWS}
    by_product = pd.DataFrame(columns=["customer_id", "product_id", "price_index"])
    if _has_price(products):
        cp = sales_by(dataset, ["customer_id", "product_id"])
        parts.append(price_adherence(cp, products))
        by_product = price_by_product(cp, products)
        available["commerce"].append("products")
    days = sales_by(dataset, ["customer_id", "date"])
    parts.append(order_regularity(days).drop(columns=["n_orders"]))
    available["commerce"].append("sales")
    dl = dataset.tables.get("deliveries")
    if dl is not None and len(dl) and "promotion" in dl and dl["promotion"].notna().any():
        parts.append(promotion_share(dl))
        available["commerce"].append("deliveries")
    for p in _logistics(dataset, None, None, products):
        parts.append(p)
    for name in ("inventory", "deliveries"):
        if dataset.tables.get(name) is not None and len(dataset.tables[name]):
            available["logistics"].append(name)
    cash = _cash(dataset, None)
    if cash is not None:
        latest = cash.sort_values("as_of_date").groupby("customer_id").tail(1)
        parts.append(latest.drop(columns=["revenue"]))
        available["cash"].append("receivables")
    info = _information(dataset, None, None)
    if info is not None:
        parts.append(info)
        available["information"].append("distributor_reports")
    health = distributor_health(parts, dataset.tables.get("customers"),
                                cover_band=HEALTH_PARAMETERS["cover_band"])  # fmt: skip
    sales = customer_sales(dataset)[["customer_id", "revenue"]]
    health = health.merge(sales, on="customer_id", how="left")
    health = health.merge(flow_scores(health), on="customer_id", how="left")
    missing = sorted({t for ts in FLOW_TABLES.values() for t in ts
                      if dataset.tables.get(t) is None})  # fmt: skip
    return health, by_product, {k: tuple(v) for k, v in available.items()}, missing


def analyse_distributor_health(dataset, cfg=None, *, region=None) -> DistributorHealth:
    """Distributor health of one report (national or one region).

    The measures and the flow scores (percentile ranks) are computed on **all** distributors of
    ``dataset`` and then filtered to ``region`` (a distributor has the same scores in every
    report).

    Examples
    --------
    >>> from ars_analysis import load_dataset
    >>> h = analyse_distributor_health(load_dataset("data/sample"), region="华南")  # doctest: +SKIP
    >>> h.flags["flag"].value_counts()  # doctest: +SKIP
    """
    health, by_product, available, missing = memo("distributor_health", dataset, (),
                                                  lambda: _whole(dataset))  # fmt: skip
    trend = memo("distributor_health_trend", dataset, (), lambda: _trend(dataset))
    if region is not None:
        keep = set(filter_region(health, region)["customer_id"]) if "region" in health else set()
        health = health[health["customer_id"].isin(keep)].reset_index(drop=True)
        by_product = by_product[by_product["customer_id"].isin(keep)].reset_index(drop=True)
        trend = trend[trend["customer_id"].isin(keep)].reset_index(drop=True)
    flags = health_flags(health)
    return DistributorHealth(
        health=health,
        flags=flags,
        trend=trend,
        by_product=by_product,
        available=available,
        missing=missing,
        parameters={**HEALTH_PARAMETERS, **HEALTH_THRESHOLDS},
        region=region,
    )
