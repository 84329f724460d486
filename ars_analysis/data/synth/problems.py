"""Data problems :func:`~ars_analysis.data.synth.generate_dataset` can inject (:data:`QUALITY_ISSUES`)."""

from __future__ import annotations

import numpy as np
import pandas as pd

#: Data-quality problems :func:`generate_dataset` can inject (name -> what it does).
QUALITY_ISSUES = {
    "bad_dates": "sales.date: ~1% of lines get unparsable or impossible dates ('2024-13-45', 'n/a', '31/02/2025'); "
    "the column becomes text",
    "bad_numbers": "sales.quantity and sales.revenue: ~1% of lines get non-numbers ('12箱', 'abc', '1,2,3'); the "
    "columns become text",
    "duplicate_keys": "customers, terminals and products: a few rows repeated with the same id and a different name",
    "unknown_products": "sales.product_id: ~0.5% of lines name products not in the products table",
    "unknown_customers": "sales.customer_id: ~0.5% of lines name distributors not in the customers table",
    "unknown_terminals": "sales.terminal_id: ~0.5% of lines name terminals not in the terminals table",
    "negative_revenue": "sales: ~0.5% of lines with negative revenue but positive quantity (sign mismatch, not a return)",
    "checkout_before_checkin": "visits: ~1% of done visits have check_out before check_in",
    "overlapping_visits": "visits: ~1% of done visits moved to start inside the rep's previous visit",
    "unknown_reps": "sales.rep_id and visits.rep_id: ~0.5% of rows name reps not in the reps table",
    "out_of_period": "sales.date: ~0.3% of lines dated years before or after the data period",
    "missing_values": "sales.customer_id empty on ~0.3% of lines; a few customers without a name",
}

# --------------------------------------------------------------------------------------------
# Quality issues
# --------------------------------------------------------------------------------------------


def _pick(rng, n, frac, minimum=3):
    k = min(n, max(minimum, int(round(n * frac))))
    return np.sort(rng.choice(n, k, replace=False))


def _inject(tables: dict[str, pd.DataFrame], issues: list[str], rng) -> dict[str, pd.DataFrame]:
    t = {k: v.copy() for k, v in tables.items()}
    sales = t["sales"]
    n = len(sales)
    if "duplicate_keys" in issues:
        for name, col in (
            ("customers", "customer_name"),
            ("terminals", "terminal_name"),
            ("products", "product_name"),
        ):
            df = t[name]
            dup = df.iloc[_pick(rng, len(df), 0.02, 2)].copy()
            dup[col] = dup[col] + "(重复)"
            t[name] = pd.concat([df, dup], ignore_index=True)
    if "unknown_products" in issues:
        rows = _pick(rng, n, 0.005)
        sales.loc[rows, "product_id"] = [f"PX{i:03d}" for i in range(len(rows))]
    if "unknown_customers" in issues:
        rows = _pick(rng, n, 0.005)
        sales.loc[rows, "customer_id"] = [f"CX{i:03d}" for i in range(len(rows))]
    if "unknown_terminals" in issues:
        rows = _pick(rng, n, 0.005)
        sales.loc[rows, "terminal_id"] = [f"TX{i:04d}" for i in range(len(rows))]
    if "unknown_reps" in issues:
        rows = _pick(rng, n, 0.005)
        sales.loc[rows, "rep_id"] = [f"RX{i:03d}" for i in range(len(rows))]
        v = t["visits"]
        rows = _pick(rng, len(v), 0.005)
        v.loc[rows, "rep_id"] = [f"RX{i:03d}" for i in range(len(rows))]
    if "negative_revenue" in issues:
        pos = np.flatnonzero(sales["quantity"].to_numpy() > 0)
        rows = pos[_pick(rng, len(pos), 0.005)]
        sales.loc[rows, "revenue"] = -sales.loc[rows, "revenue"]
    if "missing_values" in issues:
        rows = _pick(rng, n, 0.003)
        sales.loc[rows, "customer_id"] = None
        c = t["customers"]
        c.loc[_pick(rng, len(c), 0.02, 2), "customer_name"] = None
    if "out_of_period" in issues:
        rows = _pick(rng, n, 0.003)
        years = rng.choice([-6, -3, 5, 8], len(rows))
        sales["date"] = sales["date"].astype("datetime64[ns]")
        sales.loc[rows, "date"] = [
            d + pd.DateOffset(years=int(y))
            for d, y in zip(sales.loc[rows, "date"], years, strict=True)
        ]
    if "bad_dates" in issues:
        rows = _pick(rng, n, 0.01)
        text = sales["date"].dt.strftime("%Y-%m-%d").astype(object)
        text.iloc[rows] = rng.choice(
            ["2024-13-45", "n/a", "31/02/2025", "昨天", "2025-02-30"], len(rows)
        )
        sales["date"] = text
    if "bad_numbers" in issues:
        for col, bad in (
            ("quantity", ["12箱", "abc", "1,2,3", "--"]),
            ("revenue", ["约300", "N/A", "1.2.3", "#VALUE!"]),
        ):
            rows = _pick(rng, n, 0.01)
            text = sales[col].astype(str).astype(object)
            text.iloc[rows] = rng.choice(bad, len(rows))
            sales[col] = text
    v = t["visits"]
    done = np.flatnonzero(v["check_in"].notna().to_numpy())
    if "checkout_before_checkin" in issues:
        rows = done[_pick(rng, len(done), 0.01)]
        v.loc[rows, "check_out"] = v.loc[rows, "check_in"] - pd.to_timedelta(
            rng.integers(5, 90, len(rows)), unit="m"
        )
    if "overlapping_visits" in issues:
        order = v.iloc[done].sort_values(["rep_id", "check_in"])
        same = (order["rep_id"] == order["rep_id"].shift()) & (
            order["check_in"].dt.normalize() == order["check_in"].shift().dt.normalize()
        )
        cand = order.index[same.to_numpy()].to_numpy()
        rows = cand[_pick(rng, len(cand), 0.01)]
        prev = order["check_in"].shift().reindex(rows)
        dur = v.loc[rows, "check_out"] - v.loc[rows, "check_in"]
        v.loc[rows, "check_in"] = prev + pd.Timedelta(minutes=5)
        v.loc[rows, "check_out"] = v.loc[rows, "check_in"] + dur
    t["sales"] = sales
    t["visits"] = v
    return t
