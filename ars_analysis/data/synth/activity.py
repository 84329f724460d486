"""Field activity of the synthetic world: targets, visits (planned, done, GPS) and receivables."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.data.contract import ACTIVITIES
from ars_analysis.data.synth.reference import GEOGRAPHY, _ids, _working_days


def _make_targets(rng, month_starts, expected, reps):
    """Targets around each rep's expected sales at average execution, with noise."""
    periods = month_starts.strftime("%Y-%m")
    n_r, n_m = expected.shape
    target = expected * 1.05 * rng.lognormal(0, 0.08, (n_r, n_m))
    target = np.round(target / 100) * 100
    df = pd.DataFrame(
        {
            "rep_id": np.repeat(reps["rep_id"].to_numpy(), n_m),
            "period": np.tile(np.asarray(periods, dtype=object), n_r),
            "target_revenue": target.ravel(),
            "customer_id": np.full(n_r * n_m, None, dtype=object),
        }
    )
    return df[df["target_revenue"] > 0].reset_index(drop=True)


def _make_visits(rng, months, period_end, terminals, potential, customers, reps, discipline):
    start = months[0]
    days = _working_days(start, period_end)
    rep_ids = reps["rep_id"].to_numpy()
    rep_index = pd.Series(np.arange(len(reps)), index=rep_ids)
    t_rep = rep_index[terminals["rep_id"]].to_numpy()
    n_t = len(terminals)
    # top 20% of each rep's terminals (by potential) are visited weekly, the rest monthly
    rank_in_rep = pd.Series(-potential).groupby(t_rep).rank(pct=True, method="first").to_numpy()
    weekly = rank_in_rep <= 0.2
    weekday = rng.integers(0, 5, n_t)
    # weekly plans
    week_days = days[days.day_of_week == 0]  # Mondays
    wt = np.flatnonzero(weekly)
    w_t = np.repeat(wt, len(week_days))
    w_d = np.tile(week_days.to_numpy(), len(wt)) + weekday[w_t].astype("timedelta64[D]")
    # monthly plans
    mt = np.arange(n_t)[~weekly]
    m_t = np.repeat(mt, len(months))
    m_idx = np.tile(np.arange(len(months)), len(mt))
    m_d = months.to_numpy()[m_idx] + rng.integers(0, 27, len(m_t)).astype("timedelta64[D]")
    plan_t = np.concatenate([w_t, m_t])
    plan_d = pd.DatetimeIndex(np.concatenate([w_d, m_d]))
    # move weekend dates to the next Monday
    plan_d = plan_d + pd.to_timedelta(
        np.where(plan_d.day_of_week >= 5, 7 - plan_d.day_of_week, 0), unit="D"
    )
    keep = (plan_d >= start) & (plan_d <= period_end)
    plan_t, plan_d = plan_t[keep], plan_d[keep]
    plan_rep = t_rep[plan_t]
    # business managers: one planned visit per distributor of their region per month
    bms = reps[reps["role"] == "business_manager"]
    c_region = customers["region"].to_numpy()
    bm_by_region = dict(zip(bms["region"], rep_index[bms["rep_id"]].to_numpy(), strict=True))
    c_bm = np.array([bm_by_region.get(r, -1) for r in c_region])
    cc = np.flatnonzero(c_bm >= 0)
    c_c = np.repeat(cc, len(months))
    c_d = pd.DatetimeIndex(
        np.tile(months.to_numpy(), len(cc)) + rng.integers(0, 25, len(c_c)).astype("timedelta64[D]")
    )
    c_d = c_d + pd.to_timedelta(np.where(c_d.day_of_week >= 5, 7 - c_d.day_of_week, 0), unit="D")
    keep = c_d <= period_end
    c_c, c_d = c_c[keep], c_d[keep]

    n_plan_t, n_plan_c = len(plan_t), len(c_c)
    v_rep = np.concatenate([plan_rep, c_bm[c_c]])
    v_term = np.concatenate([plan_t, np.full(n_plan_c, -1)])
    v_cust = np.concatenate([np.full(n_plan_t, -1), c_c])
    v_plan = np.concatenate([plan_d.to_numpy(), c_d.to_numpy()])
    disc = discipline[v_rep]
    done = rng.random(len(v_rep)) < disc
    # done visits mostly on the planned day; less disciplined reps shift more
    shift = np.where(
        rng.random(len(v_rep)) < 0.25 * (1 - disc) + 0.03, rng.integers(-2, 3, len(v_rep)), 0
    )
    v_day = pd.DatetimeIndex(v_plan + shift.astype("timedelta64[D]"))
    v_day = v_day + pd.to_timedelta(
        np.where(v_day.day_of_week == 5, -1, np.where(v_day.day_of_week == 6, 1, 0)), unit="D"
    )

    # unplanned visits: to the rep's own terminals on random working days
    field = np.flatnonzero(reps["role"].to_numpy() != "business_manager")
    t_by_rep = pd.Series(np.arange(n_t)).groupby(t_rep).apply(np.array)
    n_plan_rep = np.bincount(plan_rep, minlength=len(reps))
    n_un = rng.poisson(n_plan_rep * (0.04 + 0.2 * (1 - discipline)))
    u_rep = np.repeat(np.arange(len(reps)), np.where(np.isin(np.arange(len(reps)), field), n_un, 0))
    u_rep = u_rep[np.isin(u_rep, t_by_rep.index)]
    u_term = (
        np.array([rng.choice(t_by_rep[r]) for r in u_rep], dtype=int)
        if len(u_rep)
        else np.zeros(0, int)
    )
    u_day = days[rng.integers(0, len(days), len(u_rep))]

    rep_all = np.concatenate([v_rep, u_rep])
    term_all = np.concatenate([v_term, u_term])
    cust_all = np.concatenate([v_cust, np.full(len(u_rep), -1)])
    plan_all = np.concatenate(
        [v_plan, np.full(len(u_rep), np.datetime64("NaT"), dtype="datetime64[ns]")]
    )
    day_all = np.concatenate([v_day.to_numpy(), u_day.to_numpy()])
    done_all = np.concatenate([done, np.ones(len(u_rep), bool)])
    n = len(rep_all)

    # sequence the done visits of each rep-day: start 8:30-9:30, 10-60 min in store, travel gaps
    d_disc = discipline[rep_all]
    stay = np.clip(rng.lognormal(np.log(18 + 14 * d_disc), 0.35, n), 10, 60)
    gap = np.clip(rng.lognormal(np.log(22), 0.45, n), 5, 90)
    order_key = rng.random(n)
    frame = pd.DataFrame(
        {"rep": rep_all, "day": day_all, "k": order_key, "stay": stay, "gap": gap, "done": done_all}
    )
    frame = frame[frame["done"]].sort_values(["rep", "day", "k"])
    groups = [frame["rep"], frame["day"]]
    first = ~frame.duplicated(["rep", "day"])
    frame.loc[first, "gap"] = 0.0
    day_start = 510 + rng.integers(0, 60, len(reps))[frame["rep"].to_numpy()]
    # a crowded day is worked faster (shorter stays and gaps) so it ends by 18:30
    needed = (frame["stay"] + frame["gap"]).groupby(groups).transform("sum").to_numpy()
    available = 1110 - 60 - day_start
    squeeze = np.minimum(1.0, available / needed)
    stay = np.maximum(10.0, frame["stay"].to_numpy() * squeeze)
    gap = np.where(first, 0.0, np.maximum(3.0, frame["gap"].to_numpy() * squeeze))
    prev_stay = pd.Series(stay, index=frame.index).groupby(groups).shift(1).fillna(0).to_numpy()
    cum = (
        pd.Series(np.round(prev_stay) + np.round(gap), index=frame.index)
        .groupby(groups)
        .cumsum()
        .to_numpy()
    )
    # lunch break: visits after 3.5 hours start an hour later
    offset = cum + day_start + np.where(cum > 210, 60, 0)
    frame["stay"] = stay
    check_in = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    check_out = check_in.copy()
    idx = frame.index.to_numpy()
    check_in[idx] = frame["day"].to_numpy() + np.round(offset).astype("timedelta64[m]")
    check_out[idx] = check_in[idx] + np.round(stay).astype("timedelta64[m]")

    # activities as ';'-separated codes
    is_cust = cust_all >= 0
    ttype = np.where(
        term_all >= 0, terminals["terminal_type"].to_numpy()[np.maximum(term_all, 0)], "customer"
    )
    probs = {
        "order": np.where(is_cust, 0.8, 0.65),
        "stock_check": np.where(is_cust, 0.5, 0.6),
        "display": np.where(
            is_cust, 0.0, np.where(np.isin(ttype, ["hypermarket", "supermarket"]), 0.6, 0.3)
        ),
        "training": np.where(is_cust, 0.35, 0.06),
        "collection": np.where(is_cust, 0.5, 0.08),
        "promotion": np.where(is_cust, 0.1, 0.2),
    }
    bits = np.zeros(n, dtype=int)
    for b, act in enumerate(ACTIVITIES):
        bits |= (rng.random(n) < probs[act] * (0.8 + 0.3 * d_disc)).astype(int) << b
    bits = np.where(bits == 0, 1 << 1, bits)  # at least a stock check
    lookup = np.array(
        [";".join(a for b, a in enumerate(ACTIVITIES) if m >> b & 1) for m in range(64)],
        dtype=object,
    )
    activities = np.where(done_all, lookup[bits], None)

    # check-in coordinates: near the terminal; sometimes far away (GPS drift / fake check-in)
    lat_t = terminals["latitude"].to_numpy()
    lon_t = terminals["longitude"].to_numpy()
    cust_city = customers["city"].to_numpy()
    city_pos = {c[0]: (c[1], c[2]) for reg in GEOGRAPHY.values() for cs in reg.values() for c in cs}
    base_lat = np.where(
        term_all >= 0,
        lat_t[np.maximum(term_all, 0)],
        [city_pos[cust_city[c]][0] if c >= 0 else 0.0 for c in cust_all],
    )
    base_lon = np.where(
        term_all >= 0,
        lon_t[np.maximum(term_all, 0)],
        [city_pos[cust_city[c]][1] if c >= 0 else 0.0 for c in cust_all],
    )
    far = rng.random(n) < 0.01 + 0.12 * (1 - d_disc) ** 2
    jitter = np.where(far, rng.uniform(0.02, 0.15, n), rng.exponential(0.0004, n))
    angle = rng.uniform(0, 2 * np.pi, n)
    lat = np.where(done_all, np.round(base_lat + jitter * np.sin(angle), 5), np.nan)
    lon = np.where(done_all, np.round(base_lon + jitter * np.cos(angle) * 1.2, 5), np.nan)
    # drop customer-visit placeholders in coordinates when the customer has no known city
    df = pd.DataFrame(
        {
            "rep_id": rep_ids[rep_all],
            "terminal_id": np.where(
                term_all >= 0, terminals["terminal_id"].to_numpy()[np.maximum(term_all, 0)], None
            ),
            "customer_id": np.where(
                cust_all >= 0, customers["customer_id"].to_numpy()[np.maximum(cust_all, 0)], None
            ),
            "planned_date": pd.to_datetime(plan_all),
            "check_in": pd.to_datetime(check_in),
            "check_out": pd.to_datetime(check_out),
            "activities": activities,
            "latitude": lat,
            "longitude": lon,
            "_day": day_all,
        }
    )
    df = df.sort_values(["_day", "rep_id", "check_in"], na_position="last", kind="stable").drop(
        columns="_day"
    )
    df.insert(0, "visit_id", _ids("V", len(df), 6))
    return df.reset_index(drop=True)


def _make_receivables(rng, month_starts, sales, customers):
    """Quarter-end balances: about DSO days of sales outstanding, part of it overdue."""
    n = len(customers)
    dso = rng.lognormal(np.log(40), 0.35, n)
    late = rng.beta(1.2, 6, n)  # share of the balance typically overdue
    monthly = sales.groupby([sales["customer_id"], sales["date"].dt.to_period("M")])[
        "revenue"
    ].sum()
    q_ends = [m + pd.offsets.MonthEnd(0) for m in month_starts if m.month in (3, 6, 9, 12)]
    if not q_ends:
        q_ends = [month_starts[-1] + pd.offsets.MonthEnd(0)]
    rows = []
    cid = customers["customer_id"].to_numpy()
    for qe in q_ends:
        per = qe.to_period("M")
        recent = (
            monthly.xs(per, level=1)
            if per in monthly.index.get_level_values(1)
            else pd.Series(dtype=float)
        )
        rev = recent.reindex(cid, fill_value=0.0).to_numpy().clip(0)
        due = np.round(rev * dso / 30 * rng.lognormal(0, 0.15, n), 2)
        overdue = np.round(due * np.clip(late * rng.lognormal(0, 0.4, n), 0, 1), 2)
        days = np.where(overdue > 0, np.round(10 + 120 * late * rng.lognormal(0, 0.5, n)), 0)
        rows.append(
            pd.DataFrame(
                {
                    "customer_id": cid,
                    "amount_due": due,
                    "amount_overdue": overdue,
                    "days_overdue": days.astype(float),
                    "as_of_date": qe,
                }
            )
        )
    return pd.concat(rows, ignore_index=True)
