"""Per-customer features: the measures a scorecard or a segmenter uses (:func:`customer_features`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.customers.abc import _check_columns

__all__ = ["customer_features"]


# ------------------------------------------------------------------------------------------------
# features
# ------------------------------------------------------------------------------------------------
def customer_features(
    sales: pd.DataFrame,
    *,
    periods: pd.DataFrame | None = None,
    customer_terminals: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    receivables: pd.DataFrame | None = None,
    top_terminal_ids=None,
) -> pd.DataFrame:
    """Per-customer measures for grading and segmentation, from aggregated tables.

    Parameters
    ----------
    sales : DataFrame
        :func:`ars_analysis.compose.aggregate.customer_sales` (one row per ``customer_id``).
    periods : DataFrame, optional
        ``customer_sales(ds, freq="M")`` (``customer_id``, ``period``, ``revenue``): gives growth
        and ordering regularity. Growth compares the later half of the periods with the earlier
        half (equal numbers of periods; with an odd count the oldest is dropped).
    customer_terminals : DataFrame, optional
        ``sales_by(ds, ["customer_id", "terminal_id"])``: terminal reach (``active_terminals``).
    top_terminal_ids : iterable, optional
        The client's top terminals (重点终端), i.e. the IDs with ``is_top`` in
        :func:`ars_analysis.compose.top_terminals` computed on the whole dataset: gives
        ``key_terminals``, the number of top terminals the distributor supplied. Without it
        (or without ``customer_terminals``) the column is not computed.
    customers : DataFrame, optional
        Contract ``customers`` table: adds ``customer_name``, ``region``, ``territory``.
    receivables : DataFrame, optional
        Contract ``receivables`` table; the latest ``as_of_date`` per customer is used.

    Returns
    -------
    DataFrame
        One row per customer: ``customer_id`` (+ names/region/territory), ``revenue``,
        ``gross_margin``, ``margin_rate``, ``quantity``, ``order_days``, ``n_products``,
        ``recency_days`` (days from the last order to the last date in the data), ``tenure_days``;
        with ``periods``: ``revenue_prev``, ``revenue_recent``, ``growth``,
        ``active_period_share``; with ``customer_terminals``: ``active_terminals`` (and
        ``key_terminals`` with ``top_terminal_ids``); with ``receivables``: ``amount_due``, ``overdue_share``,
        ``days_overdue``, ``receivable_days`` (amount due / revenue per day of the data).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"customer_id": ["C1", "C2"], "revenue": [100.0, 50.0],
    ...                   "gross_margin": [20.0, 15.0], "quantity": [10.0, 5.0],
    ...                   "order_days": [12, 3], "n_products": [4, 2],
    ...                   "first_date": pd.to_datetime(["2025-01-01", "2025-03-01"]),
    ...                   "last_date": pd.to_datetime(["2025-12-20", "2025-10-01"])})
    >>> customer_features(s)[["customer_id", "margin_rate", "recency_days"]]
      customer_id  margin_rate  recency_days
    0          C1          0.2             0
    1          C2          0.3            80
    """
    _check_columns(sales, ["customer_id", "revenue"], "customer sales")
    keep = [
        c
        for c in (
            "customer_id",
            "revenue",
            "gross_margin",
            "quantity",
            "order_days",
            "n_products",
            "first_date",
            "last_date",
        )
        if c in sales.columns
    ]
    out = sales[keep].copy()
    if out["customer_id"].duplicated().any():
        dup = out.loc[out["customer_id"].duplicated(), "customer_id"].head(3).tolist()
        raise ValueError(
            f"customer sales: customer_id must be unique (one row per customer); duplicated: {dup}"
        )
    if "gross_margin" in out:
        out["margin_rate"] = np.where(
            out["revenue"] > 0,
            out["gross_margin"] / out["revenue"].where(out["revenue"] > 0),
            np.nan,
        )
    if "last_date" in out:
        end = out["last_date"].max()
        out["recency_days"] = (end - out["last_date"]).dt.days.astype("int64")
        if "first_date" in out:
            out["tenure_days"] = (end - out["first_date"]).dt.days.astype("int64")
        span_days = max(
            ((end - out["first_date"].min()).days + 1) if "first_date" in out else 365, 1
        )
    else:
        span_days = 365
    out = out.drop(columns=[c for c in ("first_date", "last_date") if c in out])
    if periods is not None:
        _check_columns(periods, ["customer_id", "period", "revenue"], "period sales")
        labels_ = sorted(periods["period"].astype(str).unique())
        half = len(labels_) // 2
        wide = (
            periods.assign(period=periods["period"].astype(str))
            .pivot_table(
                index="customer_id",
                columns="period",
                values="revenue",
                aggfunc="sum",
                fill_value=0.0,
            )
            .reindex(columns=labels_, fill_value=0.0)
        )
        if half >= 1:
            prev = wide[labels_[-2 * half : -half]].sum(axis=1)
            recent = wide[labels_[-half:]].sum(axis=1)
            growth = np.where(prev > 0, recent / prev.where(prev > 0) - 1, np.nan)
            g = pd.DataFrame(
                {
                    "customer_id": wide.index,
                    "revenue_prev": prev.to_numpy(),
                    "revenue_recent": recent.to_numpy(),
                    "growth": growth,
                }
            )
        else:
            g = pd.DataFrame({"customer_id": wide.index, "growth": np.nan})
        g["active_period_share"] = (wide > 0).mean(axis=1).to_numpy()
        out = out.merge(g, on="customer_id", how="left")
        out["active_period_share"] = out["active_period_share"].fillna(0.0)
    if customer_terminals is not None:
        _check_columns(
            customer_terminals,
            ["customer_id", "terminal_id", "revenue"],
            "customer x terminal sales",
        )
        ct = customer_terminals[customer_terminals["terminal_id"].notna()]
        ct = ct[ct["revenue"] > 0]
        agg = {"active_terminals": ("terminal_id", "nunique")}
        if top_terminal_ids is not None:
            top = set(pd.Series(list(top_terminal_ids), dtype=object).astype(str))
            ct = ct.assign(_key=ct["terminal_id"].astype(str).isin(top))
            agg["key_terminals"] = ("_key", "sum")
        reach = ct.groupby("customer_id").agg(**agg).reset_index()
        out = out.merge(reach, on="customer_id", how="left")
        for c in agg:
            out[c] = out[c].fillna(0).astype("int64")
    if receivables is not None and len(receivables):
        _check_columns(receivables, ["customer_id", "amount_due", "days_overdue"], "receivables")
        r = receivables
        if "as_of_date" in r and r["as_of_date"].notna().any():
            last = r.groupby("customer_id")["as_of_date"].transform("max")
            r = r[r["as_of_date"] == last]
        overdue = (
            r["amount_overdue"]
            if "amount_overdue" in r
            else r["amount_due"].where(r["days_overdue"] > 0, 0.0)
        )
        agg = (
            r.assign(_over=overdue, _wd=r["days_overdue"] * r["amount_due"])
            .groupby("customer_id")
            .agg(
                amount_due=("amount_due", "sum"),
                _over=("_over", "sum"),
                _wd=("_wd", "sum"),
                _maxd=("days_overdue", "max"),
            )
            .reset_index()
        )
        agg["overdue_share"] = np.where(
            agg["amount_due"] > 0,
            agg["_over"] / agg["amount_due"].where(agg["amount_due"] > 0),
            0.0,
        )
        # amount-weighted days overdue (the oldest balance when nothing is due)
        agg["days_overdue"] = np.where(
            agg["amount_due"] > 0,
            agg["_wd"] / agg["amount_due"].where(agg["amount_due"] > 0),
            agg["_maxd"],
        )
        out = out.merge(
            agg[["customer_id", "amount_due", "overdue_share", "days_overdue"]],
            on="customer_id",
            how="left",
        )
        daily = out["revenue"] / span_days
        out["receivable_days"] = np.where(
            daily > 0, out["amount_due"] / daily.where(daily > 0), np.nan
        )
    if customers is not None:
        attrs = [c for c in ("customer_name", "region", "territory") if c in customers.columns]
        out = out.merge(
            customers[["customer_id", *attrs]].drop_duplicates("customer_id"),
            on="customer_id",
            how="left",
        )
        out = out[
            ["customer_id", *attrs, *[c for c in out.columns if c not in ("customer_id", *attrs)]]
        ]
    return out.reset_index(drop=True)
