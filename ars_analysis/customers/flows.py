"""The measures of a distributor's four flows (四流): commerce, logistics, cash, information.

Each function takes contract tables (or aggregates of the sales lines made by
:mod:`ars_analysis.compose`) and returns one row per distributor (``customer_id``), or per
distributor and period when the input has a ``period`` column. Nothing is read or drawn here;
:mod:`ars_analysis.customers.health` combines the measures into the health table.

========================  ================================================================
commerce (商流)           :func:`price_adherence` (realised unit price vs list price, by
                          product), :func:`order_regularity` (days between orders),
                          :func:`promotion_share` (ordered quantity flagged as promotion)
logistics (物流)          :func:`stock_cover` (days of cover, money tied up in excess stock),
                          :func:`stockout_days` (out-of-stock days from stock counts),
                          :func:`delivery_performance` (fill rate, on-time delivery)
cash (资金流)             :func:`receivable_days` (DSO, overdue share, their change)
information (信息流)      :func:`report_timeliness` (reports received on time)
========================  ================================================================
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.customers.abc import _check_columns

__all__ = [
    "delivery_performance",
    "order_regularity",
    "price_adherence",
    "price_by_product",
    "promotion_share",
    "receivable_days",
    "report_timeliness",
    "stock_cover",
    "stockout_days",
]


def _keys(frame: pd.DataFrame) -> list[str]:
    return ["customer_id", "period"] if "period" in frame.columns else ["customer_id"]


def _ratio(num, den) -> np.ndarray:
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    return np.where(den > 0, num / np.where(den > 0, den, 1.0), np.nan)


# ------------------------------------------------------------------------------------------------
# commerce
# ------------------------------------------------------------------------------------------------
def price_by_product(customer_products: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Realised unit price vs list price per distributor and product.

    Parameters
    ----------
    customer_products : DataFrame
        ``customer_id``, ``product_id``, ``quantity``, ``revenue`` (e.g. ``sales_by(ds,
        ["customer_id", "product_id"])``); rows with quantity <= 0 are left out.
    products : DataFrame
        Contract ``products`` with ``list_price`` (products without a positive price are left out).

    Returns
    -------
    DataFrame
        ``customer_id``, ``product_id``, ``quantity``, ``revenue``, ``unit_price``,
        ``list_price``, ``price_index`` (unit price / list price) and ``price_gap`` (price index
        vs the median price index of the product over all distributors, minus 1).

    Examples
    --------
    >>> cp = pd.DataFrame({"customer_id": ["C1", "C2"], "product_id": ["P1", "P1"],
    ...                    "quantity": [10.0, 10.0], "revenue": [90.0, 72.0]})
    >>> p = pd.DataFrame({"product_id": ["P1"], "list_price": [10.0]})
    >>> price_by_product(cp, p)[["customer_id", "unit_price", "price_index"]]
      customer_id  unit_price  price_index
    0          C1         9.0         0.90
    1          C2         7.2         0.72
    """
    _check_columns(customer_products, ["customer_id", "product_id", "quantity", "revenue"],
                   "customer x product sales")  # fmt: skip
    _check_columns(products, ["product_id", "list_price"], "products")
    price = products.drop_duplicates("product_id").set_index("product_id")["list_price"]
    cp = customer_products[customer_products["quantity"] > 0]
    out = cp[[*_keys(cp), "product_id", "quantity", "revenue"]].copy()
    out["list_price"] = out["product_id"].map(price).astype(float)
    out = out[out["list_price"] > 0].reset_index(drop=True)
    out["unit_price"] = out["revenue"] / out["quantity"]
    out["price_index"] = out["unit_price"] / out["list_price"]
    median = out.groupby("product_id")["price_index"].transform("median")
    out["price_gap"] = out["price_index"] / median - 1
    cols = [*_keys(cp), "product_id", "quantity", "revenue", "unit_price", "list_price"]
    return out[[*cols, "price_index", "price_gap"]]


def price_adherence(customer_products: pd.DataFrame, products: pd.DataFrame) -> pd.DataFrame:
    """Price adherence per distributor: realised revenue vs the same quantities at list price.

    ``price_index`` = sum of revenue / sum of quantity x list price (1.0 = list price; 0.85 =
    15% below); ``price_gap`` = the list-value-weighted mean of the per-product gaps to the
    network's median price (:func:`price_by_product`): negative = cheaper than the other
    distributors.

    Examples
    --------
    >>> cp = pd.DataFrame({"customer_id": ["C1", "C1"], "product_id": ["P1", "P2"],
    ...                    "quantity": [10.0, 5.0], "revenue": [90.0, 100.0]})
    >>> p = pd.DataFrame({"product_id": ["P1", "P2"], "list_price": [10.0, 20.0]})
    >>> round(float(price_adherence(cp, p)["price_index"].iloc[0]), 4)  # 190 / 200
    0.95
    """
    by = price_by_product(customer_products, products)
    keys = _keys(by)
    by = by.assign(_list=by["quantity"] * by["list_price"])
    by["_gap"] = by["price_gap"] * by["_list"]
    out = by.groupby(keys).agg(revenue=("revenue", "sum"), _list=("_list", "sum"),
                               _gap=("_gap", "sum")).reset_index()  # fmt: skip
    out["price_index"] = _ratio(out["revenue"], out["_list"])
    out["price_gap"] = _ratio(out["_gap"], out["_list"])
    return out[[*keys, "price_index", "price_gap"]]


def order_regularity(order_days: pd.DataFrame) -> pd.DataFrame:
    """Days between a distributor's orders and how regular they are.

    Parameters
    ----------
    order_days : DataFrame
        ``customer_id``, ``date``: one row per day with an order (e.g. ``sales_by(ds,
        ["customer_id", "date"])``).

    Returns
    -------
    DataFrame
        ``customer_id``, ``n_orders`` (order days), ``order_interval_days`` (mean days between
        orders), ``order_interval_cv`` (standard deviation / mean of those intervals: 0 =
        like clockwork; NaN with fewer than 3 orders).

    Examples
    --------
    >>> d = pd.DataFrame({"customer_id": ["C1"] * 4,
    ...                   "date": pd.to_datetime(["2025-01-01", "2025-01-11", "2025-01-21",
    ...                                           "2025-02-10"])})
    >>> order_regularity(d)[["order_interval_days", "order_interval_cv"]].round(4)
       order_interval_days  order_interval_cv
    0                13.33              0.433
    """
    _check_columns(order_days, ["customer_id", "date"], "order days")
    d = order_days[["customer_id", "date"]].drop_duplicates().sort_values(["customer_id", "date"])
    gaps = d.groupby("customer_id")["date"].diff().dt.days
    g = pd.DataFrame({"customer_id": d["customer_id"], "gap": gaps})
    out = g.groupby("customer_id").agg(n_orders=("customer_id", "size"),
                                       mean=("gap", "mean"), sd=("gap", "std")).reset_index()  # fmt: skip
    out["order_interval_days"] = out["mean"].round(2)
    out["order_interval_cv"] = np.where(out["n_orders"] >= 3, _ratio(out["sd"], out["mean"]),
                                        np.nan)  # fmt: skip
    return out[["customer_id", "n_orders", "order_interval_days", "order_interval_cv"]]


def promotion_share(deliveries: pd.DataFrame) -> pd.DataFrame:
    """Share of a distributor's ordered quantity placed under a promotion (``promotion ==
    "yes"``); per period when ``deliveries`` has a ``period`` column.

    Examples
    --------
    >>> d = pd.DataFrame({"customer_id": ["C1", "C1", "C1"], "quantity_ordered": [6.0, 2.0, 2.0],
    ...                   "promotion": ["yes", "no", None]})
    >>> float(promotion_share(d)["promotion_share"].iloc[0])
    0.6
    """
    _check_columns(deliveries, ["customer_id", "quantity_ordered", "promotion"], "deliveries")
    keys = _keys(deliveries)
    d = deliveries.assign(
        _promo=deliveries["quantity_ordered"].where(deliveries["promotion"] == "yes", 0.0)
    )
    out = d.groupby(keys).agg(_p=("_promo", "sum"), _q=("quantity_ordered", "sum")).reset_index()
    out["promotion_share"] = _ratio(out["_p"], out["_q"])
    return out[[*keys, "promotion_share"]]


# ------------------------------------------------------------------------------------------------
# logistics
# ------------------------------------------------------------------------------------------------
def stock_cover(
    inventory: pd.DataFrame,
    recent_sales: pd.DataFrame,
    products: pd.DataFrame | None = None,
    *,
    window_days: int = 90,
    excess_days: float = 60,
) -> pd.DataFrame:
    """Days of cover of each distributor's stock at its last count, and the money tied up.

    ``cover_days`` = stock value at the last count / average daily sales value of the
    ``window_days`` before it (values at list price when ``products`` has one, else units);
    ``excess_value`` = stock value above ``excess_days`` of sales (money tied up).

    Parameters
    ----------
    inventory : DataFrame
        Contract ``inventory`` (``date``, ``customer_id``, ``product_id``, ``quantity``).
    recent_sales : DataFrame
        ``customer_id``, ``product_id``, ``quantity``: sales of the ``window_days`` before the
        last count (e.g. ``sales_by(ds, ["customer_id", "product_id"], start=, end=)``).
    products : DataFrame, optional
        Contract ``products`` with ``list_price``.

    Returns
    -------
    DataFrame
        ``customer_id``, ``stock_date``, ``stock_value``, ``daily_sales_value``,
        ``cover_days`` (NaN when nothing sold), ``excess_value``.

    Examples
    --------
    >>> inv = pd.DataFrame({"date": pd.to_datetime(["2025-03-31"] * 2), "customer_id": ["C1"] * 2,
    ...                     "product_id": ["P1", "P2"], "quantity": [90.0, 0.0]})
    >>> sold = pd.DataFrame({"customer_id": ["C1", "C1"], "product_id": ["P1", "P2"],
    ...                      "quantity": [90.0, 90.0]})
    >>> p = pd.DataFrame({"product_id": ["P1", "P2"], "list_price": [2.0, 1.0]})
    >>> stock_cover(inv, sold, p, excess_days=30)[["cover_days", "excess_value"]]
       cover_days  excess_value
    0        60.0          90.0
    """
    _check_columns(inventory, ["date", "customer_id", "product_id", "quantity"], "inventory")
    _check_columns(recent_sales, ["customer_id", "product_id", "quantity"], "recent sales")
    last = inventory.groupby("customer_id")["date"].transform("max")
    inv = inventory[inventory["date"] == last]
    price = (
        products.drop_duplicates("product_id").set_index("product_id")["list_price"]
        if products is not None and "list_price" in products
        else pd.Series(dtype=float)
    )

    def value(frame):
        p = frame["product_id"].map(price).astype(float).fillna(1.0) if len(price) else 1.0
        return frame["quantity"].clip(lower=0) * p

    stock = (
        inv.assign(_v=value(inv))
        .groupby("customer_id")
        .agg(stock_date=("date", "max"), stock_value=("_v", "sum"))
    )
    sold = recent_sales.assign(_v=value(recent_sales)).groupby("customer_id")["_v"].sum()
    out = stock.join((sold / window_days).rename("daily_sales_value"), how="left").reset_index()
    out["daily_sales_value"] = out["daily_sales_value"].fillna(0.0)
    out["cover_days"] = _ratio(out["stock_value"], out["daily_sales_value"])
    out["excess_value"] = (out["stock_value"] - excess_days * out["daily_sales_value"]).clip(0)
    return out


def stockout_days(inventory: pd.DataFrame) -> pd.DataFrame:
    """Out-of-stock days per distributor from its stock counts.

    A count of 0 makes the days until the next count of that product out-of-stock days (the
    last count stands for the median interval between counts). ``stockout_days`` is the mean
    per product counted; ``stockout_share`` the out-of-stock share of the product-days.

    Examples
    --------
    >>> inv = pd.DataFrame({"date": pd.to_datetime(["2025-03-01", "2025-03-08", "2025-03-15"]),
    ...                     "customer_id": ["C1"] * 3, "product_id": ["P1"] * 3,
    ...                     "quantity": [10.0, 0.0, 5.0]})
    >>> stockout_days(inv)[["stockout_days", "stockout_share", "days_observed"]]
       stockout_days  stockout_share  days_observed
    0            7.0        0.333333           21.0
    """
    _check_columns(inventory, ["date", "customer_id", "product_id", "quantity"], "inventory")
    inv = inventory.sort_values(["customer_id", "product_id", "date"])
    dates = np.sort(inv["date"].dropna().unique())
    step = float(np.median(np.diff(dates)) / np.timedelta64(1, "D")) if len(dates) > 1 else 1.0
    nxt = inv.groupby(["customer_id", "product_id"])["date"].shift(-1)
    days = ((nxt - inv["date"]).dt.days).fillna(step).astype(float)
    out = inv.assign(_days=days, _out=np.where(inv["quantity"] <= 0, days, 0.0))
    per = out.groupby(["customer_id", "product_id"]).agg(_days=("_days", "sum"),
                                                         _out=("_out", "sum"))  # fmt: skip
    res = per.groupby("customer_id").agg(
        n_products=("_out", "size"), _out=("_out", "sum"), days_observed=("_days", "max"),
        _pdays=("_days", "sum")
    ).reset_index()  # fmt: skip
    res["stockout_days"] = res["_out"] / res["n_products"]
    res["stockout_share"] = _ratio(res["_out"], res["_pdays"])
    return res[["customer_id", "n_products", "stockout_days", "stockout_share", "days_observed"]]


def delivery_performance(
    deliveries: pd.DataFrame,
    products: pd.DataFrame | None = None,
    *,
    lead_days: int = 3,
) -> pd.DataFrame:
    """Fill rate and on-time delivery per distributor (and period when given).

    ``fill_rate`` = delivered / ordered quantity; ``full_line_share`` = share of order lines
    delivered in full; ``on_time_share`` = share of order lines delivered (something) no later
    than ``due_date`` (else the order date + ``lead_days``); lines not delivered are late.
    ``lost_value`` = the quantity not delivered at list price (when ``products`` has one).

    Examples
    --------
    >>> d = pd.DataFrame({"customer_id": ["C1", "C1"], "quantity_ordered": [10.0, 10.0],
    ...     "quantity_delivered": [10.0, 6.0],
    ...     "order_date": pd.to_datetime(["2025-03-01", "2025-03-01"]),
    ...     "delivery_date": pd.to_datetime(["2025-03-02", "2025-03-09"]),
    ...     "product_id": ["P1", "P1"]})
    >>> delivery_performance(d)[["fill_rate", "full_line_share", "on_time_share"]]
       fill_rate  full_line_share  on_time_share
    0        0.8              0.5            0.5
    """
    _check_columns(deliveries, ["customer_id", "quantity_ordered", "quantity_delivered"],
                   "deliveries")  # fmt: skip
    keys = _keys(deliveries)
    d = deliveries[deliveries["quantity_ordered"] > 0]
    full = d["quantity_delivered"] >= d["quantity_ordered"]
    if "delivery_date" in d and "order_date" in d:
        due = d["order_date"] + pd.Timedelta(days=lead_days)
        if "due_date" in d:
            due = d["due_date"].fillna(due)
        on_time = (d["quantity_delivered"] > 0) & (d["delivery_date"] <= due)
    else:
        on_time = pd.Series(np.nan, index=d.index)
    lost = (d["quantity_ordered"] - d["quantity_delivered"]).clip(lower=0)
    if products is not None and "list_price" in products and "product_id" in d:
        price = products.drop_duplicates("product_id").set_index("product_id")["list_price"]
        lost = lost * d["product_id"].map(price).astype(float)
    out = (
        d.assign(_full=full.astype(float), _on=on_time.astype(float), _lost=lost)
        .groupby(keys)
        .agg(n_lines=("quantity_ordered", "size"), quantity_ordered=("quantity_ordered", "sum"),
             quantity_delivered=("quantity_delivered", "sum"), full_line_share=("_full", "mean"),
             on_time_share=("_on", "mean"), lost_value=("_lost", "sum"))
        .reset_index()
    )  # fmt: skip
    out["fill_rate"] = _ratio(out["quantity_delivered"], out["quantity_ordered"])
    return out[[*keys, "n_lines", "quantity_ordered", "quantity_delivered", "fill_rate",
                "full_line_share", "on_time_share", "lost_value"]]  # fmt: skip


# ------------------------------------------------------------------------------------------------
# cash
# ------------------------------------------------------------------------------------------------
def receivable_days(receivables: pd.DataFrame, revenue_before: pd.DataFrame) -> pd.DataFrame:
    """Days sales outstanding (DSO) and overdue share per distributor and balance date.

    ``dso`` = amount due / revenue of the ``days`` before the balance date x ``days`` (the
    closed form of DSO); ``overdue_share`` = amount overdue / amount due (the part with
    ``days_overdue`` > 0 when ``amount_overdue`` is absent); ``dso_change`` and
    ``overdue_share_change``: vs the distributor's previous balance.

    Parameters
    ----------
    receivables : DataFrame
        Contract ``receivables`` (``customer_id``, ``as_of_date``, ``amount_due``, ...).
    revenue_before : DataFrame
        ``customer_id``, ``as_of_date``, ``revenue``, ``days``: revenue of the ``days`` before
        each balance date.

    Examples
    --------
    >>> r = pd.DataFrame({"customer_id": ["C1", "C1"], "amount_due": [300.0, 450.0],
    ...     "amount_overdue": [30.0, 90.0], "days_overdue": [10.0, 20.0],
    ...     "as_of_date": pd.to_datetime(["2025-03-31", "2025-06-30"])})
    >>> rev = pd.DataFrame({"customer_id": ["C1", "C1"], "as_of_date": r["as_of_date"],
    ...                     "revenue": [900.0, 900.0], "days": [90, 90]})
    >>> receivable_days(r, rev)[["dso", "overdue_share", "dso_change"]]
        dso  overdue_share  dso_change
    0  30.0            0.1         NaN
    1  45.0            0.2        15.0
    """
    _check_columns(receivables, ["customer_id", "amount_due", "as_of_date"], "receivables")
    _check_columns(revenue_before, ["customer_id", "as_of_date", "revenue", "days"],
                   "revenue before the balance dates")  # fmt: skip
    r = receivables.copy()
    if "amount_overdue" not in r:
        r["amount_overdue"] = r["amount_due"].where(r.get("days_overdue", 0) > 0, 0.0)
    r = (
        r.groupby(["customer_id", "as_of_date"])
        .agg(amount_due=("amount_due", "sum"), amount_overdue=("amount_overdue", "sum"))
        .reset_index()
        .merge(revenue_before, on=["customer_id", "as_of_date"], how="left")
        .sort_values(["customer_id", "as_of_date"])
        .reset_index(drop=True)
    )
    r["dso"] = _ratio(r["amount_due"] * r["days"], r["revenue"])
    r["overdue_share"] = _ratio(r["amount_overdue"], r["amount_due"])
    g = r.groupby("customer_id")
    r["dso_change"] = r["dso"] - g["dso"].shift(1)
    r["overdue_share_change"] = r["overdue_share"] - g["overdue_share"].shift(1)
    return r[["customer_id", "as_of_date", "amount_due", "amount_overdue", "revenue", "dso",
              "overdue_share", "dso_change", "overdue_share_change"]]  # fmt: skip


# ------------------------------------------------------------------------------------------------
# information
# ------------------------------------------------------------------------------------------------
def report_timeliness(
    reports: pd.DataFrame, *, due_days: int = 10, by_period: bool = False
) -> pd.DataFrame:
    """Reports received on time per distributor (and per ``period`` with ``by_period``).

    A report is due on ``due_date`` (else the end of its ``period`` + ``due_days``); it is on
    time when received no later; a report never received counts as missing (and not on time).

    Returns
    -------
    DataFrame
        ``customer_id`` (+ ``period``), ``n_reports``, ``n_on_time``, ``n_missing``, ``on_time_share``
        (``reports_on_time``), ``missing_share``, ``mean_delay_days`` (received reports; days
        after the due date, negative = early).

    Examples
    --------
    >>> r = pd.DataFrame({"customer_id": ["C1"] * 4, "period": ["2025-01"] * 4,
    ...     "submitted_date": pd.to_datetime(["2025-02-05", "2025-02-10", "2025-02-14", None])})
    >>> report_timeliness(r)[["reports_on_time", "missing_share", "mean_delay_days"]]
       reports_on_time  missing_share  mean_delay_days
    0              0.5           0.25        -0.333333
    """
    _check_columns(reports, ["customer_id", "period"], "distributor reports")
    r = reports
    due = pd.PeriodIndex(r["period"].astype(str), freq="M").end_time.normalize() + pd.Timedelta(
        days=due_days
    )
    due = pd.Series(due, index=r.index)
    if "due_date" in r:
        due = r["due_date"].fillna(due)
    sub = r["submitted_date"] if "submitted_date" in r else pd.Series(pd.NaT, index=r.index)
    delay = (sub - due).dt.days
    keys = ["customer_id", *(["period"] if by_period else [])]
    out = (
        pd.DataFrame({**{k: r[k] for k in keys}, "_on": (delay <= 0).astype(float),
                      "_miss": sub.isna().astype(float), "_delay": delay})
        .groupby(keys)
        .agg(n_reports=("_on", "size"), n_on_time=("_on", "sum"), n_missing=("_miss", "sum"),
             mean_delay_days=("_delay", "mean"))
        .reset_index()
    )  # fmt: skip
    out["reports_on_time"] = out["n_on_time"] / out["n_reports"]
    out["missing_share"] = out["n_missing"] / out["n_reports"]
    for c in ("n_on_time", "n_missing"):
        out[c] = out[c].astype("int64")
    return out[[*keys, "n_reports", "n_on_time", "n_missing", "reports_on_time", "missing_share",
                "mean_delay_days"]]  # fmt: skip
