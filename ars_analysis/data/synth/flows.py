"""Synthetic data of the four flows, distribution and handover (issue 15).

:func:`add_flows` takes the tables of :func:`ars_analysis.data.synth.generate_dataset` and adds
what the distributor-health, distribution (铺货), terminal-target and 提升 analyses read, with
their own random stream (``seed`` and the constant 15), so the other tables stay as they were:

* **new products** (``products.launch_date``): three widely sold products (of different
  categories, after the seven widest) launch in the period (about a
  quarter, half and three quarters in); each terminal adopts one at its own date after the
  launch (a fast, a medium and a slow rollout; some terminals never adopt within the period),
  and the product's sales lines before the launch (and before a terminal's adoption) are
  removed;
* **price cutters**: about 6% of the distributors pay (and sell at) 10-18% below the usual
  price: their sales lines' revenue is lowered (with ``launches``, the only changes made to an
  existing table's rows);
* **inventory**: weekly stock counts for the last 13 weeks per distributor and product it
  sold: about 30 days of cover for most, stock that drifts up week after week at about 8% of
  the distributors (over-stocked: cover above 60 days at the end), frequent stock-outs at
  about 10% (the same distributors fill terminal orders badly);
* **deliveries**: the terminal order lines of the last three months (from the terminal sales
  lines): ordered vs delivered quantity (fill rate about 97%, 70-85% at the stock-out
  distributors, plus some orders not delivered at all), order, due and delivery dates
  (late deliveries at the same distributors), a promotion flag (a few deal-driven
  distributors with 40-60% of their orders on promotion);
* **distributor_reports**: a sell-out and a stock report per distributor and month for the
  last 12 months, due 10 days after the month; most arrive on time, about 15% of the
  distributors are chronically late and some reports never arrive;
* **terminals.serviced_by / serviced_by_since**: the largest distributors of each region (by
  size) took over part of their terminals with their own team during the second half of the
  period (提升); every other terminal is serviced by our rep;
* **terminal_targets**: monthly revenue targets for the last six months for the larger linked
  terminals of half of the regions (the other terminals have none: the analysis suggests one).

Examples
--------
>>> from ars_analysis.data.synth import generate_dataset
>>> t = generate_dataset(seed=1, n_customers=16, n_terminals=160, n_reps=16, months=12)
>>> sorted(set(t) - {"customers", "products", "reps", "sales", "targets", "terminals", "visits", "training"})
['deliveries', 'distributor_reports', 'inventory', 'receivables', 'terminal_targets']
>>> int(t["products"]["launch_date"].notna().sum())
3
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["add_flows"]

#: Weeks (median) a terminal takes to adopt each launched product: fast, medium, slow rollout.
ROLLOUT_WEEKS = (6.0, 14.0, 30.0)
#: Share of terminals that never adopt a launched product (fast, medium, slow).
NEVER_ADOPT = (0.25, 0.4, 0.6)
#: Days after the month a distributor report is due.
REPORT_DUE_DAYS = 10


def add_flows(tables: dict[str, pd.DataFrame], month_starts, seed: int) -> dict[str, pd.DataFrame]:
    """The tables with launches, inventory, deliveries, reports, handover and terminal targets.

    Parameters
    ----------
    tables : dict of str to DataFrame
        ``customers``, ``terminals``, ``products``, ``sales`` (and the others, passed through).
    month_starts : DatetimeIndex
        First day of each month of the period.
    seed : int
        The dataset's seed (this module draws from its own stream ``[seed, 15]``).

    Returns
    -------
    dict of str to DataFrame
        A new dict: the input tables (``sales`` thinned before launches, ``products`` with
        ``launch_date``, ``terminals`` with ``serviced_by`` and ``serviced_by_since``) plus
        ``inventory``, ``deliveries``, ``distributor_reports`` and ``terminal_targets``.
    """
    rng = np.random.default_rng([seed, 15])
    out = dict(tables)
    customers = tables["customers"]
    n_cust = len(customers)
    # distributor profiles (index = position in the customers table)
    overstock = rng.random(n_cust) < 0.08
    stockouts = (rng.random(n_cust) < 0.10) & ~overstock
    late_reporter = rng.random(n_cust) < 0.15
    promo_share = np.where(rng.random(n_cust) < 0.1, rng.uniform(0.4, 0.6, n_cust),
                           rng.beta(2, 14, n_cust))  # fmt: skip
    profile = pd.DataFrame(
        {
            "customer_id": customers["customer_id"].to_numpy(),
            "overstock": overstock,
            "stockouts": stockouts,
            "late": late_reporter,
            "promo": promo_share,
        }
    ).set_index("customer_id")

    products, sales = _launches(rng, tables["products"], tables["sales"], tables["terminals"],
                                month_starts)  # fmt: skip
    # price cutters: a few distributors buy (and sell on) well below the list price
    cutters = rng.random(n_cust) < 0.06
    factor = pd.Series(np.where(cutters, rng.uniform(0.82, 0.9, n_cust), 1.0),
                       index=profile.index)  # fmt: skip
    f = sales["customer_id"].map(factor).fillna(1.0).to_numpy()
    sales = sales.assign(revenue=np.round(sales["revenue"].to_numpy() * f, 2))
    out["products"], out["sales"] = products, sales
    out["terminals"] = _handover(rng, tables["terminals"], customers, month_starts)
    end = month_starts[-1] + pd.offsets.MonthEnd(0)
    out["inventory"] = _inventory(rng, sales, profile, end)
    out["deliveries"] = _deliveries(rng, sales, profile, end)
    out["distributor_reports"] = _reports(rng, profile, month_starts)
    out["terminal_targets"] = _terminal_targets(rng, sales, out["terminals"], month_starts)
    return out


def _launches(rng, products, sales, terminals, month_starts):
    n_months = len(month_starts)
    products = products.copy()
    products["launch_date"] = pd.NaT
    if n_months < 4 or len(products) < 6:
        return products, sales
    # three products of different categories among the widely sold ones (not the 7 widest)
    reach = sales[sales["terminal_id"].notna()].groupby("product_id")["terminal_id"].nunique()
    order = reach.reindex(products["product_id"]).fillna(0).to_numpy().argsort(kind="stable")
    picks, cats = [], set()
    for i in order[::-1][7:]:
        cat = products["category"].iat[i]
        if cat not in cats:
            picks.append(i)
            cats.add(cat)
        if len(picks) == 3:
            break
    keep = np.ones(len(sales), dtype=bool)
    tid = sales["terminal_id"]
    terminal_ids = terminals["terminal_id"].to_numpy()
    for k, i in enumerate(picks):
        launch = month_starts[(k + 1) * n_months // 4] + pd.Timedelta(days=int(rng.integers(0, 10)))
        products.loc[products.index[i], "launch_date"] = launch
        weeks = rng.exponential(ROLLOUT_WEEKS[k], len(terminal_ids))
        adopt = launch + pd.to_timedelta(np.round(weeks * 7), unit="D")
        never = rng.random(len(terminal_ids)) < NEVER_ADOPT[k]
        adopt = pd.Series(adopt.where(~never, pd.Timestamp.max), index=terminal_ids)
        is_p = (sales["product_id"] == products["product_id"].iat[i]).to_numpy()
        before_launch = is_p & (sales["date"] < launch).to_numpy()
        at = tid.map(adopt).to_numpy()
        before_adopt = is_p & tid.notna().to_numpy() & (sales["date"].to_numpy() < at)
        keep &= ~(before_launch | before_adopt)
    return products, sales[keep].reset_index(drop=True)


def _handover(rng, terminals, customers, month_starts):
    t = terminals.copy()
    t["serviced_by"] = "rep"
    t["serviced_by_since"] = pd.NaT
    n_months = len(month_starts)
    if n_months < 4:
        return t
    # the two distributors of each region with most linked terminals hand over part of them
    linked = t[t["customer_id"].notna()]
    counts = linked.groupby(["region", "customer_id"]).size().rename("n").reset_index()
    counts = counts.sort_values(["region", "n"], ascending=[True, False])
    takers = counts.groupby("region").head(2)["customer_id"].to_numpy()
    # only some of them, at different stages of the takeover
    takers = takers[rng.random(len(takers)) < 0.7]
    for cid in takers:
        idx = np.flatnonzero((t["customer_id"] == cid).to_numpy())
        share = rng.uniform(0.3, 0.9)
        moved = idx[rng.random(len(idx)) < share]
        first = month_starts[n_months // 2]
        span = max(int((month_starts[-1] - first).days), 1)
        since = first + pd.to_timedelta(rng.integers(0, span, len(moved)), unit="D")
        t.loc[t.index[moved], "serviced_by"] = "distributor"
        t.loc[t.index[moved], "serviced_by_since"] = since
    return t


def _daily_rates(sales, start, end):
    recent = sales[(sales["date"] >= start) & (sales["date"] <= end) & (sales["quantity"] > 0)]
    days = max((end - start).days + 1, 1)
    return recent.groupby(["customer_id", "product_id"])["quantity"].sum() / days


def _inventory(rng, sales, profile, end):
    weeks = 13
    dates = pd.date_range(end=end.normalize(), periods=weeks, freq="7D")
    rate = _daily_rates(sales, dates[0] - pd.Timedelta(days=90), end)
    if rate.empty:
        return pd.DataFrame(columns=["date", "customer_id", "product_id", "quantity"])
    cid = rate.index.get_level_values(0).to_numpy()
    pid = rate.index.get_level_values(1).to_numpy()
    n = len(rate)
    prof = profile.reindex(cid)
    base_cover = rng.lognormal(np.log(28), 0.3, n)
    rows = []
    for w, d in enumerate(dates):
        drift = np.where(prof["overstock"].to_numpy(), 1.0 + 0.09 * w, 1.0)
        cover = base_cover * drift * rng.lognormal(0, 0.2, n)
        p_out = np.where(prof["stockouts"].to_numpy(), 0.2, 0.015)
        qty = np.round(rate.to_numpy() * cover)
        qty[rng.random(n) < p_out] = 0
        rows.append(pd.DataFrame({"date": d, "customer_id": cid, "product_id": pid,
                                  "quantity": qty.astype(float)}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def _deliveries(rng, sales, profile, end):
    start = (end - pd.DateOffset(months=3)).normalize() + pd.Timedelta(days=1)
    lines = sales[(sales["date"] >= start) & sales["terminal_id"].notna() & (sales["quantity"] > 0)]
    n = len(lines)
    cols = ["order_id", "order_date", "customer_id", "terminal_id", "product_id",
            "quantity_ordered", "quantity_delivered", "delivery_date", "due_date", "promotion"]  # fmt: skip
    if n == 0:
        return pd.DataFrame(columns=cols)
    prof = profile.reindex(lines["customer_id"].to_numpy())
    bad = prof["stockouts"].to_numpy()
    delivered = lines["quantity"].to_numpy().astype(float)
    fill = np.where(bad, rng.uniform(0.7, 0.85, n), np.clip(rng.normal(0.97, 0.03, n), 0.8, 1))
    short = rng.random(n) < np.where(bad, 0.6, 0.15)  # lines delivered short
    ordered = np.where(short, np.ceil(delivered / fill), delivered)
    lead = np.where(bad, rng.integers(2, 9, n), rng.integers(1, 4, n))
    delivery = lines["date"].to_numpy()
    order_date = delivery - pd.to_timedelta(lead, unit="D").to_numpy()
    due = order_date + np.timedelta64(3, "D")
    promo = np.where(rng.random(n) < prof["promo"].to_numpy(), "yes", "no")
    out = pd.DataFrame(
        {
            "order_date": order_date,
            "customer_id": lines["customer_id"].to_numpy(),
            "terminal_id": lines["terminal_id"].to_numpy(),
            "product_id": lines["product_id"].to_numpy(),
            "quantity_ordered": ordered,
            "quantity_delivered": delivered,
            "delivery_date": delivery,
            "due_date": due,
            "promotion": promo,
        }
    )
    # orders never delivered (out of stock): more at the stock-out distributors
    lost = out[rng.random(n) < np.where(bad, 0.12, 0.01)].copy()
    lost["quantity_delivered"] = 0.0
    lost["delivery_date"] = pd.NaT
    out = pd.concat([out, lost], ignore_index=True).sort_values(
        ["order_date", "customer_id", "terminal_id", "product_id"], kind="stable"
    )
    out.insert(0, "order_id", [f"O{i:06d}" for i in range(1, len(out) + 1)])
    return out[cols].reset_index(drop=True)


def _reports(rng, profile, month_starts):
    months = month_starts[-12:]
    cid = profile.index.to_numpy()
    late = profile["late"].to_numpy()
    rows = []
    for m in months:
        period = m.strftime("%Y-%m")
        due = m + pd.offsets.MonthEnd(0) + pd.Timedelta(days=REPORT_DUE_DAYS)
        for rtype in ("sell_out", "stock"):
            n = len(cid)
            delay = np.where(late, rng.integers(-2, 25, n), rng.integers(-8, 2, n))
            missing = rng.random(n) < np.where(late, 0.15, 0.01)
            submitted = due + pd.to_timedelta(delay, unit="D")
            rows.append(
                pd.DataFrame(
                    {
                        "customer_id": cid,
                        "period": period,
                        "report_type": rtype,
                        "due_date": due,
                        "submitted_date": pd.Series(submitted).where(~missing, pd.NaT).to_numpy(),
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def _terminal_targets(rng, sales, terminals, month_starts):
    cols = ["terminal_id", "period", "target_revenue"]
    if len(month_starts) < 7:
        return pd.DataFrame(columns=cols)
    target_months = month_starts[-6:]
    history = sales[(sales["date"] < target_months[0]) & sales["terminal_id"].notna()]
    hist_months = max(len(month_starts) - 6, 1)
    base = history.groupby("terminal_id")["revenue"].sum() / hist_months
    regions = sorted(terminals["region"].dropna().unique())
    with_targets = regions[::2]
    t = terminals[terminals["region"].isin(with_targets) & terminals["customer_id"].notna()]
    base = base.reindex(t["terminal_id"]).dropna()
    base = base[base >= base.quantile(0.5)] if len(base) else base
    rows = []
    for m in target_months:
        uplift = rng.lognormal(np.log(1.08), 0.2, len(base))
        rows.append(pd.DataFrame({"terminal_id": base.index.to_numpy(),
                                  "period": m.strftime("%Y-%m"),
                                  "target_revenue": np.round(base.to_numpy() * uplift, -1)}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)[cols]
