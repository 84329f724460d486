"""The synthetic world: products, distributors, field force, terminals and sales lines.

:func:`generate_dataset` builds a whole client dataset (see :mod:`ars_analysis.data.synth`);
the field activity (targets, visits, receivables) is built in
:mod:`ars_analysis.data.synth.activity`, data problems are injected by
:mod:`ars_analysis.data.synth.problems`.

Examples
--------
>>> from ars_analysis.data.synth import generate_dataset
>>> tables = generate_dataset(seed=1, n_customers=20, n_terminals=200, n_reps=16, months=3)
>>> sorted(tables)  # doctest: +NORMALIZE_WHITESPACE
['customers', 'deliveries', 'distributor_reports', 'inventory', 'products', 'receivables',
 'reps', 'sales', 'targets', 'terminal_targets', 'terminals', 'training', 'visits']
>>> tables["customers"]["region"].nunique()
8
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.data.contract import TABLES, TERMINAL_TYPES
from ars_analysis.data.synth.activity import _make_receivables, _make_targets, _make_visits
from ars_analysis.data.synth.flows import add_flows
from ars_analysis.data.synth.organisation import add_field_organisation
from ars_analysis.data.synth.problems import QUALITY_ISSUES, _inject
from ars_analysis.data.synth.reference import (
    _BRAND,
    _CATEGORIES,
    _COMPANY_SUFFIX,
    _GIVEN,
    _STREETS,
    _SURNAMES,
    _TERMINAL_KINDS,
    _TRADE_WORDS,
    _TYPE_PRICING,
    GEOGRAPHY,
    REGION_WEIGHTS,
    _calibrate_logs,
    _ids,
    _season,
    _split_counts,
    _unique_names,
)

# --------------------------------------------------------------------------------------------
# The dataset generator
# --------------------------------------------------------------------------------------------


def generate_dataset(
    *,
    seed: int = 0,
    n_regions: int = 8,
    n_customers: int = 100,
    n_terminals: int = 2500,
    n_products: int = 40,
    n_reps: int = 60,
    start: str = "2024-01-01",
    months: int = 24,
    visit_months: int = 3,
    quality_issues: list[str] | tuple[str, ...] | None = None,
) -> dict[str, pd.DataFrame]:
    """Generate a complete synthetic client dataset in the contract's tables.

    Parameters
    ----------
    seed : int
        Random seed; the same arguments give identical tables.
    n_regions : int
        Number of regions (1-8), taken in order from :data:`GEOGRAPHY`.
    n_customers, n_terminals, n_products, n_reps : int
        Number of distributors, terminals, products (at most 40) and reps (at least 2 per
        region: one business manager and one salesperson).
    start : str
        First month of the sales period (ISO date; the period starts on the 1st of that month).
    months : int
        Number of months of sales lines and targets.
    visit_months : int
        Visits are generated for the last ``visit_months`` months of the period (a visit log is
        large; clients usually export a recent window).
    quality_issues : list of str, optional
        Problems to inject, names from :data:`QUALITY_ISSUES`. ``None`` = clean data.

    Returns
    -------
    dict of str to DataFrame
        ``customers``, ``terminals``, ``products``, ``reps``, ``sales``, ``visits``, ``targets``,
        ``receivables``, ``inventory``, ``deliveries``, ``distributor_reports``,
        ``terminal_targets`` (see :mod:`~ars_analysis.data.synth.flows`), ``training`` (hires, leavers and
        training: :mod:`~.organisation`) with the contract's canonical columns (dates as ``datetime64``, ids as
        strings, empty = missing).

    Examples
    --------
    >>> t = generate_dataset(seed=3, n_customers=16, n_terminals=160, n_reps=16, months=2)
    >>> set(t["sales"]["customer_id"]) <= set(t["customers"]["customer_id"])
    True
    >>> bool(t["terminals"]["customer_id"].isna().mean() > 0.1)
    True
    """
    issues = list(quality_issues or [])
    unknown = sorted(set(issues) - set(QUALITY_ISSUES))
    if unknown:
        raise ValueError(
            f"unknown quality issue(s) {unknown}; expected names from {sorted(QUALITY_ISSUES)}"
        )
    if not 1 <= n_regions <= len(GEOGRAPHY):
        raise ValueError(f"n_regions must be between 1 and {len(GEOGRAPHY)}, got {n_regions}")
    n_prod_max = sum(len(v[0]) for v in _CATEGORIES.values())
    if not 1 <= n_products <= n_prod_max:
        raise ValueError(f"n_products must be between 1 and {n_prod_max}, got {n_products}")
    if n_reps < 2 * n_regions:
        raise ValueError(f"n_reps must be at least 2 per region ({2 * n_regions}), got {n_reps}")
    if n_customers < n_regions or n_terminals < 5 * n_regions:
        raise ValueError(
            f"need at least one customer and five terminals per region (n_regions={n_regions}), got "
            f"n_customers={n_customers}, n_terminals={n_terminals}"
        )
    if months < 1 or not 1 <= visit_months:
        raise ValueError(f"months and visit_months must be >= 1, got {months}, {visit_months}")

    rng = np.random.default_rng(seed)
    regions = list(GEOGRAPHY)[:n_regions]
    period_start = pd.Timestamp(start).to_period("M").to_timestamp()
    month_starts = pd.date_range(period_start, periods=months, freq="MS")
    period_end = month_starts[-1] + pd.offsets.MonthEnd(0)

    products = _make_products(rng, n_products)
    customers, cust_weight, cust_growth = _make_customers(rng, regions, n_customers, period_start)
    reps, rep_effect, rep_discipline = _make_reps(rng, regions, n_reps, period_start)
    terminals, potential = _make_terminals(rng, regions, n_terminals, customers, cust_weight, reps)
    sales, expected = _make_sales(
        rng,
        month_starts,
        customers,
        cust_weight,
        cust_growth,
        terminals,
        potential,
        products,
        reps,
        rep_effect,
    )
    targets = _make_targets(rng, month_starts, expected, reps)
    visits = _make_visits(
        rng,
        month_starts[-min(visit_months, months) :],
        period_end,
        terminals,
        potential,
        customers,
        reps,
        rep_discipline,
    )
    receivables = _make_receivables(rng, month_starts, sales, customers)

    tables = {
        "customers": customers,
        "terminals": terminals,
        "products": products,
        "reps": reps,
        "sales": sales,
        "visits": visits,
        "targets": targets,
        "receivables": receivables,
    }
    tables = add_flows(tables, month_starts, seed)  # four flows, launches, handover (own stream)
    tables = add_field_organisation(tables, seed=seed, month_starts=month_starts)
    if issues:
        tables = _inject(tables, issues, np.random.default_rng([seed, 7919]))
    return {
        name: df[TABLES[name].column_names].reset_index(drop=True) for name, df in tables.items()
    }


def _make_products(rng: np.random.Generator, n: int) -> pd.DataFrame:
    rows = []
    # round-robin over categories so any n gets a mix of categories
    pools = {c: list(items) for c, (items, _, _) in _CATEGORIES.items()}
    while len(rows) < n:
        for cat, pool in pools.items():
            if pool and len(rows) < n:
                name, size = pool.pop(0)
                lo, hi = _CATEGORIES[cat][1]
                rows.append((cat, f"{_BRAND}{name} {size}", lo, hi))
    cat = np.array([r[0] for r in rows], dtype=object)
    lo = np.array([r[2] for r in rows])
    hi = np.array([r[3] for r in rows])
    price = np.round(lo + (hi - lo) * rng.beta(2, 3, n), 1)
    return pd.DataFrame(
        {
            "product_id": _ids("P", n),
            "product_name": [r[1] for r in rows],
            "category": cat,
            "list_price": price,
            # the synthetic client exports no shelf price (its terminal report shows our own
            # margin); the column is empty and not written (see _NOT_EXPORTED)
            "retail_price": np.nan,
        }
    )


def _make_customers(rng, regions, n, period_start):
    w = np.array([REGION_WEIGHTS.get(r, 1.0) for r in regions])
    counts = _split_counts(n, w, minimum=1)
    rows = []
    for region, k in zip(regions, counts, strict=True):
        terr = list(GEOGRAPHY[region])
        # every territory gets a distributor first when there are enough
        t_idx = np.concatenate(
            [np.arange(min(k, len(terr))), rng.integers(0, len(terr), max(0, k - len(terr)))]
        )
        for ti in t_idx:
            cities = GEOGRAPHY[region][terr[ti]]
            cw = np.array([c[3] for c in cities])
            city = cities[rng.choice(len(cities), p=cw / cw.sum())][0]
            rows.append((region, terr[ti], city))
    region = np.array([r[0] for r in rows], dtype=object)
    names = np.array(
        [
            f"{city}{rng.choice(_TRADE_WORDS)}{rng.choice(_COMPANY_SUFFIX, p=[0.35, 0.2, 0.15, 0.1, 0.1, 0.1])}"
            for _, _, city in rows
        ],
        dtype=object,
    )
    # distributor size: Pareto-like, a few large ones per region
    weight = rng.pareto(1.3, n) + 0.15
    growth = rng.normal(0.06, 0.18, n)  # annual growth; some decline
    growth[rng.random(n) < 0.15] -= 0.25  # a group losing ground
    days_before = rng.gamma(2.0, 900, n).astype(int) + 30
    start_date = period_start - pd.to_timedelta(days_before, unit="D")
    df = pd.DataFrame(
        {
            "customer_id": _ids("C", n, 4),
            "customer_name": _unique_names(names),
            "region": region,
            "territory": [r[1] for r in rows],
            "city": [r[2] for r in rows],
            "start_date": start_date,
        }
    )
    return df, weight, growth


def _make_reps(rng, regions, n, period_start):
    w = np.array([REGION_WEIGHTS.get(r, 1.0) for r in regions])
    counts = _split_counts(n, w, minimum=2)
    region, role, manager = [], [], []
    rep_no = 0
    for r, k in zip(regions, counts, strict=True):
        bm = rep_no
        n_promoters = max(0, int(round((k - 1) * 0.22))) if k >= 4 else 0
        roles = (
            ["business_manager"]
            + ["salesperson"] * (k - 1 - n_promoters)
            + ["promoter"] * n_promoters
        )
        for i, ro in enumerate(roles):
            region.append(r)
            role.append(ro)
            manager.append(None if i == 0 else bm)
            rep_no += 1
    ids = _ids("R", n)
    names = np.array(
        [rng.choice(_SURNAMES) + "".join(rng.choice(_GIVEN, rng.integers(1, 3))) for _ in range(n)],
        dtype=object,
    )
    role = np.array(role, dtype=object)
    tenure = (
        np.where(role == "business_manager", rng.gamma(3, 700, n), rng.gamma(1.5, 500, n)).astype(
            int
        )
        + 20
    )
    hire = period_start - pd.to_timedelta(tenure, unit="D")
    discipline = np.clip(rng.beta(5, 2, n), 0.3, 0.99)  # share of planned visits done, etc.
    productivity = rng.lognormal(0, 0.12, n)
    effect = productivity * (0.7 + 0.6 * discipline)
    df = pd.DataFrame(
        {
            "rep_id": ids,
            "rep_name": _unique_names(names),
            "region": np.array(region, dtype=object),
            "role": role,
            "manager_id": np.array([None if m is None else ids[m] for m in manager], dtype=object),
            "hire_date": hire,
        }
    )
    return df, effect, discipline


def _make_terminals(rng, regions, n, customers, cust_weight, reps):
    w = np.array([REGION_WEIGHTS.get(r, 1.0) for r in regions])
    counts = _split_counts(n, w, minimum=5)
    types = list(_TERMINAL_KINDS)
    type_p = np.array([_TERMINAL_KINDS[t][1] for t in types])
    # each region gets its own concentration (top-20% share of potential), spread over the band
    targets = rng.permutation(np.linspace(0.73, 0.82, len(regions)))
    cols = {
        k: []
        for k in (
            "region",
            "territory",
            "city",
            "type",
            "lat",
            "lon",
            "customer",
            "rep",
            "logp",
            "name",
        )
    }
    cust_region = customers["region"].to_numpy()
    cust_terr = customers["territory"].to_numpy()
    rep_region = reps["region"].to_numpy()
    rep_role = reps["role"].to_numpy()
    for r_i, (region, k) in enumerate(zip(regions, counts, strict=True)):
        terr_names = list(GEOGRAPHY[region])
        cities = [(t, *c) for t in terr_names for c in GEOGRAPHY[region][t]]
        cw = np.array([c[4] for c in cities])
        ci = rng.choice(len(cities), k, p=cw / cw.sum())
        ttype = rng.choice(len(types), k, p=type_p / type_p.sum())
        logs = np.array([_TERMINAL_KINDS[types[t]][2] for t in ttype]) + rng.standard_normal(k)
        # a heavier upper tail in some regions (more very large points of sale)
        logs += np.where(
            rng.random(k) < 0.1, rng.exponential(0.6 + 0.4 * r_i / max(1, len(regions) - 1), k), 0
        )
        logs = _calibrate_logs(logs, targets[r_i])
        terr = np.array([cities[i][0] for i in ci], dtype=object)
        # link to a distributor of the same territory (else of the region), by distributor size
        cust = np.empty(k, dtype=object)
        in_region = np.flatnonzero(cust_region == region)
        for t in np.unique(terr):
            mask = terr == t
            pool = in_region[cust_terr[in_region] == t]
            if len(pool) == 0:
                pool = in_region
            p = cust_weight[pool] / cust_weight[pool].sum()
            cust[mask] = customers["customer_id"].to_numpy()[rng.choice(pool, mask.sum(), p=p)]
        # unlinked terminals: mostly small ones, but also some of the top
        rank = (-logs).argsort().argsort() / k  # 0 = largest
        p_unlinked = np.where(rank < 0.2, 0.12, np.where(rank < 0.5, 0.2, 0.28))
        unlinked = rng.random(k) < p_unlinked
        # make sure every region has a few high-volume unlinked terminals (the build-out list)
        top = np.flatnonzero(rank < 0.1)
        unlinked[rng.choice(top, min(len(top), 2), replace=False)] = True
        cust[unlinked] = None
        # rep: promoters take the biggest hyper/supermarkets, salespeople the rest
        sales_reps = np.flatnonzero((rep_region == region) & (rep_role == "salesperson"))
        promoters = np.flatnonzero((rep_region == region) & (rep_role == "promoter"))
        rep = rng.choice(sales_reps, k)
        if len(promoters):
            big_modern = np.flatnonzero(np.isin(ttype, [0, 1]))
            big_modern = big_modern[np.argsort(-logs[big_modern])][: 6 * len(promoters)]
            rep[big_modern] = promoters[np.arange(len(big_modern)) % len(promoters)]
        cols["region"] += [region] * k
        cols["territory"] += list(terr)
        cols["city"] += [cities[i][1] for i in ci]
        cols["type"] += [types[t] for t in ttype]
        cols["lat"] += list(np.array([cities[i][2] for i in ci]) + rng.normal(0, 0.04, k))
        cols["lon"] += list(np.array([cities[i][3] for i in ci]) + rng.normal(0, 0.05, k))
        cols["customer"] += list(cust)
        cols["rep"] += list(reps["rep_id"].to_numpy()[rep])
        cols["logp"] += list(logs)
        for city_i, t in zip(ci, ttype, strict=True):
            pattern = rng.choice(_TERMINAL_KINDS[types[t]][0])
            word = rng.choice(_TRADE_WORDS)
            shop = pattern.format(w=word)
            city = cities[city_i][1]
            if "{w}" in pattern:
                cols["name"].append(f"{city}{shop}({rng.choice(_STREETS)})")
            else:
                cols["name"].append(f"{shop}({city}{rng.choice(_STREETS)}店)")
    n_tot = len(cols["region"])
    df = pd.DataFrame(
        {
            "terminal_id": _ids("T", n_tot, 5),
            "terminal_name": _unique_names(np.array(cols["name"], dtype=object)),
            "region": np.array(cols["region"], dtype=object),
            "city": np.array(cols["city"], dtype=object),
            "terminal_type": pd.Categorical(cols["type"], categories=list(TERMINAL_TYPES)).astype(
                object
            ),
            "customer_id": np.array(cols["customer"], dtype=object),
            "rep_id": np.array(cols["rep"], dtype=object),
            "latitude": np.round(np.array(cols["lat"]), 5),
            "longitude": np.round(np.array(cols["lon"]), 5),
            "territory": np.array(
                cols["territory"], dtype=object
            ),  # dropped by the caller (not a column)
        }
    )
    # monthly revenue potential (yuan); median terminal ~ 1,500 yuan a month
    potential = 1500.0 * np.exp(np.array(cols["logp"]) - np.median(cols["logp"]))
    return df, potential


def _make_sales(
    rng,
    month_starts,
    customers,
    cust_weight,
    cust_growth,
    terminals,
    potential,
    products,
    reps,
    rep_effect,
):
    n_t = len(terminals)
    n_m = len(month_starts)
    season = _season(month_starts)
    years = np.arange(n_m) / 12.0
    cust_index = pd.Series(np.arange(len(customers)), index=customers["customer_id"])
    rep_index = pd.Series(np.arange(len(reps)), index=reps["rep_id"])
    t_cust = terminals["customer_id"].to_numpy()
    linked = pd.notna(t_cust)
    t_ci = np.where(
        linked, cust_index.reindex(np.where(linked, t_cust, "")).fillna(-1).to_numpy(), -1
    ).astype(int)
    t_ri = rep_index[terminals["rep_id"]].to_numpy()
    t_region = terminals["region"].to_numpy()
    ttype = terminals["terminal_type"].to_numpy()

    # growth: the distributor's for linked terminals, the terminal's own for unlinked ones
    g = np.where(linked, cust_growth[np.maximum(t_ci, 0)], rng.normal(0.02, 0.12, n_t))
    g = g + rng.normal(0, 0.05, n_t)
    # expected monthly revenue per terminal x month
    base = potential * rep_effect[t_ri] * np.where(linked, 1.0, 0.6)
    exp_rev = base[:, None] * season[None, :] * (1 + g[:, None]) ** years[None, :]
    # bigger terminals order every month, small ones every few months
    size_rank = potential.argsort().argsort() / n_t  # 1 = largest
    p_order = np.clip(0.10 + 0.9 * size_rank**3, 0.10, 1.0) * np.where(linked, 1.0, 0.75)
    order = rng.random((n_t, n_m)) < p_order[:, None]
    ti, mi = np.nonzero(order)
    rev = exp_rev[ti, mi] / p_order[ti] * rng.lognormal(-0.02, 0.2, len(ti))

    # the terminal's assortment: 1-6 products, popular products more often
    n_p = len(products)
    pop = 1.0 / np.arange(1, n_p + 1) ** 0.8
    pop = rng.permutation(pop)
    k_t = np.clip(1 + np.floor(3.2 * size_rank**2.5 + rng.random(n_t)), 1, min(6, n_p)).astype(int)
    # choose k_t distinct products per terminal via Gumbel top-k
    keys = np.log(pop)[None, :] + rng.gumbel(size=(n_t, n_p))
    assort = np.argsort(-keys, axis=1)[:, :6]
    shares_raw = rng.dirichlet(np.ones(6), n_t) + 0.05
    # expand orders to lines
    k_line = k_t[ti]
    line_order = np.repeat(np.arange(len(ti)), k_line)
    slot = np.arange(len(line_order)) - np.repeat(np.cumsum(k_line) - k_line, k_line)
    lt = ti[line_order]
    lm = mi[line_order]
    lp = assort[lt, slot]
    share = (
        shares_raw[lt, slot] / np.array([shares_raw[t, :k].sum() for t, k in enumerate(k_t)])[lt]
    )
    line_rev = rev[line_order] * share

    # sell-in lines (empty terminal): distributor's own wholesale business
    n_c = len(customers)
    cw = cust_weight / np.array(
        [cust_weight[customers["region"].to_numpy() == r].sum() for r in customers["region"]]
    )
    region_pot = pd.Series(potential).groupby(t_region).sum()
    c_base = 0.3 * region_pot[customers["region"]].to_numpy() * cw
    c_exp = c_base[:, None] * season[None, :] * (1 + cust_growth[:, None]) ** years[None, :]
    s_order = rng.random((n_c, n_m)) < 0.55
    sc, sm = np.nonzero(s_order)
    s_rev = c_exp[sc, sm] / 0.55 * rng.lognormal(-0.02, 0.25, len(sc))
    s_k = rng.integers(1, 4, len(sc))
    s_line = np.repeat(np.arange(len(sc)), s_k)
    s_p = rng.choice(n_p, len(s_line), p=pop / pop.sum())
    s_rev_line = s_rev[s_line] / s_k[s_line]

    # unlinked terminals buy from a random distributor of their region each time
    cust_ids = customers["customer_id"].to_numpy()
    cust_region = customers["region"].to_numpy()
    line_cust = np.empty(len(lt), dtype=int)
    is_linked = linked[lt]
    line_cust[is_linked] = t_ci[lt[is_linked]]
    for region in np.unique(t_region):
        pool = np.flatnonzero(cust_region == region)
        m = (~is_linked) & (t_region[lt] == region)
        line_cust[m] = rng.choice(pool, m.sum(), p=cust_weight[pool] / cust_weight[pool].sum())

    bm_of_region = reps[reps["role"] == "business_manager"].set_index("region")["rep_id"]
    price = products["list_price"].to_numpy()
    cat = products["category"].to_numpy()
    cost_rate = np.array([_CATEGORIES[c][2] for c in cat])

    disc_t = np.array([_TYPE_PRICING[t][0] for t in ttype])
    marg_t = np.array([_TYPE_PRICING[t][1] for t in ttype])
    all_p = np.concatenate([lp, s_p])
    all_rev = np.concatenate([line_rev, s_rev_line])
    disc = np.concatenate([disc_t[lt], np.full(len(s_p), 0.80)]) * rng.normal(1, 0.02, len(all_p))
    unit = price[all_p] * disc
    qty = np.maximum(1, np.round(all_rev / unit)).astype(np.int64)
    revenue = np.round(qty * unit, 2)
    margin_adj = np.concatenate([marg_t[lt], np.full(len(s_p), -0.06)])
    cost = np.round(
        qty
        * price[all_p]
        * np.clip(cost_rate[all_p] - margin_adj / 2 + rng.normal(0, 0.015, len(all_p)), 0.3, 0.95),
        2,
    )
    # order day within the month: a terminal tends to order on similar days
    day_t = rng.integers(0, 28, n_t)
    day = np.concatenate(
        [
            (day_t[lt] + rng.integers(-3, 4, len(lt))) % 28,
            rng.integers(0, 28, len(s_p)),
        ]
    )
    month_idx = np.concatenate([lm, sm[s_line]])
    dates = month_starts.to_numpy()[month_idx] + day.astype("timedelta64[D]")
    term_col = np.concatenate(
        [terminals["terminal_id"].to_numpy()[lt], np.full(len(s_p), None, dtype=object)]
    )
    cust_col = np.concatenate([cust_ids[line_cust], cust_ids[sc[s_line]]])
    rep_col = np.concatenate(
        [terminals["rep_id"].to_numpy()[lt], bm_of_region[cust_region[sc[s_line]]].to_numpy()]
    )
    # a few returns: negative quantity, revenue and cost (same sign)
    ret = rng.random(len(qty)) < 0.004
    qty = np.where(ret, -np.maximum(1, qty // 4), qty)
    revenue = np.where(ret, np.round(qty * unit, 2), revenue)
    cost = np.where(ret, -np.round(np.abs(qty) * price[all_p] * cost_rate[all_p], 2), cost)
    df = pd.DataFrame(
        {
            "date": pd.to_datetime(dates),
            "customer_id": cust_col,
            "terminal_id": term_col,
            "product_id": products["product_id"].to_numpy()[all_p],
            "quantity": qty,
            "revenue": revenue,
            "cost": cost,
            "rep_id": rep_col,
        }
    )
    # one line per date x distributor x terminal x product
    df = df.drop_duplicates(["date", "customer_id", "terminal_id", "product_id"])
    df = df.sort_values(
        ["date", "customer_id", "terminal_id", "product_id"], na_position="first", kind="stable"
    ).reset_index(drop=True)
    # expected revenue per rep x month at an average execution (what a manager would plan on)
    plan_t = exp_rev / rep_effect[t_ri][:, None] * rep_effect.mean()
    expected = np.zeros((len(reps), n_m))
    np.add.at(expected, t_ri, plan_t)
    bm_idx = rep_index[bm_of_region[cust_region].to_numpy()].to_numpy()
    np.add.at(expected, bm_idx, c_exp)
    return df, expected
