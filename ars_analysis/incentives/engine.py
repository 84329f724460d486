"""Payout engine: what each rep earns under a plan, month by month, component by component.

Two engines compute the same numbers:

* the **exact** (reference) engine loops over reps and months in plain Python with
  :class:`decimal.Decimal` arithmetic: every input number is taken at its shortest decimal
  representation (``Decimal(repr(x))``), so rates and amounts are exact;
* the **vector** engine works on NumPy ``float64`` arrays shaped (scenarios, reps, months) and is
  what the Monte Carlo simulation runs.

Rounding rule (both engines): each payout line - one component of one rep in one month - is
computed unrounded and rounded **half-up to cents once**, at the end of its own calculation.
Caps, gates, the draw and the totals then work on those rounded cents, so ``incentive`` is exactly
the sum of its lines. For a ``cumulative`` commission the unrounded year-to-date earnings are
rounded and the month's line is the difference of two rounded YTD amounts. The vector engine rounds
``|x| * 100 + 0.5`` down with a guard of 1e-6 cent against binary representation error (e.g.
``1.005`` is stored as 1.00499999...); the tests check that it agrees with the exact engine to
the cent.

Order of work for a commission line: measure and attainment -> threshold -> rate table -> round
-> gate -> ``cap_period`` -> ``cap_year`` (year-to-date paid is clipped at the cap). A negative
measure (returns above sales) pays nothing. The bonus, honours and team bonuses are paid in the
rep's last month with a target in each window; the draw comes last, on the month's incentive.
"""

from __future__ import annotations

from decimal import ROUND_CEILING, Decimal

import numpy as np
import pandas as pd

from ars_analysis.incentives.grid import (
    _GUARD,
    Grid,
    _gate_targets,
    _measure_key,
    _windows,
    _years,
    build_grid,
)
from ars_analysis.incentives.plan import Commission, Plan
from ars_analysis.incentives.reference import reference_payout

# ------------------------------------------------------------------------- vector engine


def round_cents(x) -> np.ndarray:
    """Round half-up (away from zero) to cents, with a 1e-6-cent guard (see module docstring).

    >>> round_cents(np.array([1.005, 2.675, -0.125, 0.004999]))
    array([ 1.01,  2.68, -0.13,  0.  ])
    """
    x = np.asarray(x, dtype=float)
    if x.ndim == 0:
        x = x.reshape(1)
        return round_cents(x)[0]
    out = np.abs(x)
    out *= 100.0
    out += 0.5 + _GUARD
    np.floor(out, out=out)
    np.copysign(out, x, out=out)
    out /= 100.0
    return out


def _round_nonneg(x: np.ndarray) -> np.ndarray:
    """:func:`round_cents` for arrays known to be >= 0 (fewer passes over memory)."""
    out = np.multiply(x, 100.0)
    out += 0.5 + _GUARD
    np.floor(out, out=out)
    out /= 100.0
    return out


def _tier_vec(c: Commission, m: np.ndarray, a: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Unrounded commission, elementwise (measure m, attainment a, measure per attainment)."""
    m = np.maximum(m, 0.0)
    x = m if c.basis == "amount" else a
    starts = [t.start for t in c.tiers]
    rates = [t.rate for t in c.tiers]
    if c.mode == "marginal":
        # the marginal amount is the integral of the rate: piecewise linear through the tier
        # starts, extended with the last rate past the largest value
        knots, cum = list(starts), [0.0]
        for i in range(1, len(starts)):
            cum.append(cum[-1] + rates[i - 1] * (starts[i] - starts[i - 1]))
        top = float(np.max(x, initial=0.0))
        if top >= starts[-1]:
            knots.append(top + 1.0)
            cum.append(cum[-1] + rates[-1] * (top + 1.0 - starts[-1]))
        total = np.interp(x, knots, cum)
        if c.basis != "amount":
            total *= scale
        return total
    if c.mode == "retroactive":
        rate = np.full(x.shape, rates[0])
        for i in range(1, len(starts)):
            step = rates[i] - rates[i - 1]
            if step != 0:
                rate += step * (x >= starts[i])
        rate *= m
        return rate
    return m * np.interp(x, starts, rates)


def _div(a, b):
    """a / b where b > 0, else 0."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    out = np.zeros(np.broadcast_shapes(a.shape, b.shape))
    np.divide(a, b, out=out, where=b > 0)
    return out


def _gate_vec(kpis: dict, gates, shape) -> np.ndarray:
    """(S or 1, R, T): the gates pass (every gate KPI measured and at least its minimum)."""
    ok = np.ones((1, *shape), bool)
    for gt in gates:
        ok = ok & gt.passes(kpis[gt.kpi])
    return ok


def _cap_year_vec(lines: np.ndarray, years, cap: float) -> np.ndarray:
    out = None
    for yr in years:
        sl = slice(yr[0], yr[-1] + 1)
        cum = np.cumsum(lines[..., sl], axis=-1)
        over = cum.max(axis=-1) > cap  # rows (scenario, rep) where the cap binds this year
        if not over.any():
            continue
        if out is None:
            out = lines.copy()
        capped = np.minimum(cum[over], cap)
        prev = np.concatenate([np.zeros_like(capped[..., :1]), capped[..., :-1]], axis=-1)
        block = out[..., sl]
        block[over] = round_cents(capped - prev)
        out[..., sl] = block
    return lines if out is None else out


def _window_sums(x: np.ndarray, windows) -> np.ndarray:
    """Sums over each window of months (windows are runs of consecutive months)."""
    if all(w == list(range(w[0], w[-1] + 1)) for w in windows):
        return np.add.reduceat(x, [w[0] for w in windows], axis=-1)
    return np.stack([x[..., w].sum(axis=-1) for w in windows], axis=-1)


def _last_masked(mask: np.ndarray, windows) -> np.ndarray:
    """(R, W) index of the last month with a target in each window, -1 if none."""
    R = mask.shape[0]
    out = np.full((R, len(windows)), -1)
    for j, w in enumerate(windows):
        for t in w:
            out[mask[:, t], j] = t
    return out


def _scatter_windows(values: np.ndarray, last: np.ndarray, T: int) -> np.ndarray:
    """Put (S, R, W) window amounts in the (S, R, T) month of each window's payout."""
    S, R, W = values.shape
    out = np.zeros((S, R, T))
    for j in range(W):
        has = last[:, j] >= 0
        if not has.any():
            continue
        t_end = last[has, j].max()
        at_end = last[:, j] == t_end
        if at_end.all():  # usual case: every rep is paid in the window's last month
            out[:, :, t_end] = values[:, :, j]
            continue
        for t in np.unique(last[has, j]):
            rr = np.nonzero(last[:, j] == t)[0]
            out[:, rr, t] = values[:, rr, j]
    return out


def vector_payout(
    plan: Plan,
    g: Grid,
    revenue: np.ndarray | None = None,
    measures: dict | None = None,
    kpis: dict | None = None,
) -> dict[str, np.ndarray]:
    """Vectorised engine: component -> (S, R, T) float array of rounded payout lines.

    ``revenue`` (S, R, T) defaults to the grid's revenue (S = 1); ``measures`` maps each
    commission's measure key to (S, R, T) (defaults to the grid's measures, broadcast);
    ``kpis`` maps each KPI column to (S, R, T) (defaults to the grid's KPIs: simulated KPIs).
    """
    rev = g.revenue[None] if revenue is None else revenue
    kv = {k: v[None] for k, v in g.kpis.items()} if kpis is None else kpis
    S = max([rev.shape[0], *(v.shape[0] for v in kv.values())])
    R, T = g.shape
    tgt = g.target[None]
    mask = g.mask[None]
    years = _years(g.periods)
    att = _div(rev, tgt)  # true division, like the exact engine (not x * (1 / t))
    wsum: dict[str, np.ndarray] = {}  # revenue summed per window, by frequency

    def rev_windows(freq, w):
        if freq not in wsum:
            wsum[freq] = _window_sums(rev, w)
        return wsum[freq]

    out: dict[str, np.ndarray] = {}
    for c in plan.commissions:
        key = _measure_key(c)
        if measures is not None and key in measures:
            m = measures[key]
        elif revenue is None or key == ("revenue", None):
            m = rev if key == ("revenue", None) else g.measures[key][None]
        else:
            raise ValueError(f"vector_payout: no simulated measure for commission {c.name!r}")
        whole = c.measure == "revenue" and c.categories is None
        if c.application == "per_period":
            scale = tgt if whole else _div(m * tgt, rev)
            line = _round_nonneg(_tier_vec(c, m, att, scale))
            if c.threshold is not None:
                line *= att >= c.threshold
        elif c.application == "per_transaction":
            if revenue is not None:
                raise ValueError(
                    f"commission {c.name!r} is per transaction: it cannot be simulated from "
                    "monthly outcomes; use per_period or cumulative in simulated plans"
                )
            rr, tt, vals = g.transactions[(plan.name, c.name)]
            raw = _tier_vec(c, vals, att[0, rr, tt], np.zeros_like(vals))
            if c.threshold is not None:
                raw = np.where(att[0, rr, tt] >= c.threshold, raw, 0.0)
            acc = np.zeros((R, T))
            np.add.at(acc, (rr, tt), raw)
            line = round_cents(acc)[None]
        else:
            line = np.zeros(np.broadcast_shapes(m.shape, rev.shape))
            for yr in years:
                sl = slice(yr[0], yr[-1] + 1)
                cm = np.cumsum(np.broadcast_to(m, line.shape)[..., sl], axis=-1)
                cr = np.cumsum(np.broadcast_to(rev, line.shape)[..., sl], axis=-1)
                ct = np.cumsum(np.broadcast_to(tgt, (1, R, T))[..., sl], axis=-1)
                ya = _div(cr, ct)
                scale = ct if whole else _div(cm * ct, cr)
                e = _round_nonneg(_tier_vec(c, cm, ya, scale))
                if c.threshold is not None:
                    e *= ya >= c.threshold
                prev = np.concatenate([np.zeros_like(e[..., :1]), e[..., :-1]], axis=-1)
                line[..., sl] = e - prev
        ok = mask & _gate_vec(kv, _gate_targets(plan, "commissions", c.name), g.shape)
        line = line * ok
        if c.cap_period is not None:
            line = np.minimum(line, c.cap_period)
        if c.cap_year is not None:
            line = _cap_year_vec(line, years, c.cap_year)
        out[c.name] = np.broadcast_to(line, (S, R, T))

    zeros = np.zeros((S, R, T))
    if plan.bonus is not None:
        b = plan.bonus
        w = _windows(g.periods, b.frequency)
        last = _last_masked(g.mask, w)
        wa = _div(rev_windows(b.frequency, w), _window_sums(tgt, w))
        xs = [p.attainment for p in b.points]
        ys = [p.payout for p in b.points]
        f = np.where(wa < xs[0], 0.0, np.interp(wa, xs, ys))
        line = _scatter_windows(np.broadcast_to(round_cents(b.amount * f), (S, R, len(w))), last, T)
        out["bonus"] = np.where(_gate_vec(kv, _gate_targets(plan, "bonus"), g.shape), line, 0.0)
    else:
        out["bonus"] = zeros
    if plan.scorecard is not None:
        sc = plan.scorecard
        score = sc.score(kv)  # the one scoring mechanism: curves, weighted sum, missing = 0
        ok = g.mask[None] & _gate_vec(kv, _gate_targets(plan, "scorecard"), g.shape)
        out["scorecard"] = np.broadcast_to(
            np.where(ok, round_cents(sc.amount * score), 0.0), (S, R, T)
        )
    else:
        out["scorecard"] = zeros
    for h in plan.honours:
        w = _windows(g.periods, h.frequency)
        last = _last_masked(g.mask, w)
        on = last >= 0  # (R, W)
        rv = rev_windows(h.frequency, w)
        wa = _div(rv, _window_sums(tgt, w))
        val = wa if h.rank_by == "attainment" else rv
        eligible = np.broadcast_to(on[None], val.shape)
        if h.min_attainment is not None:
            eligible = eligible & (wa >= h.min_attainment)
        win = np.zeros(val.shape, bool)
        groups = (
            [np.arange(R)]
            if h.within == "all"
            else [np.nonzero(g.region == reg)[0] for reg in dict.fromkeys(g.region)]
        )
        for members in groups:
            v = np.where(eligible[:, members], val[:, members], -np.inf)  # (S, Rg, W)
            if h.top_n is not None:
                n = np.full(len(w), h.top_n)
            else:
                size = on[members].sum(axis=0)
                n = np.array(
                    [
                        int((Decimal(repr(h.top_share)) * int(k_)).to_integral_value(ROUND_CEILING))
                        for k_ in size
                    ]
                )
            # rank (ties share the best rank) <= n  <=>  value >= the n-th largest value
            for j in range(len(w)):
                k = int(n[j])
                if k <= 0:
                    continue
                vj = v[:, :, j]
                if k >= vj.shape[1]:
                    cut = np.full(vj.shape[0], -np.inf)
                else:
                    cut = -np.partition(-vj, k - 1, axis=1)[:, k - 1]
                win[:, members, j] = (vj >= cut[:, None]) & eligible[:, members, j]
        line = _scatter_windows(np.where(win, round_cents(np.float64(h.amount)), 0.0), last, T)
        gate = _gate_vec(kv, _gate_targets(plan, "honours", h.name), g.shape)
        out[h.name] = np.where(gate, line, 0.0)
    for tb in plan.team_bonuses:
        w = _windows(g.periods, tb.frequency)
        last = _last_masked(g.mask, w)
        rv = rev_windows(tb.frequency, w)
        tg = np.broadcast_to(_window_sums(tgt, w), rv.shape)
        pay = np.zeros(rv.shape)
        for reg in dict.fromkeys(g.region):
            members = np.nonzero(g.region == reg)[0]
            gr, gt_ = rv[:, members].sum(axis=1), tg[:, members].sum(axis=1)  # (S, W)
            hit = (gt_ > 0) & (_div(gr, gt_) >= tb.min_attainment)
            pay[:, members] = np.where(hit[:, None, :], round_cents(np.float64(tb.amount)), 0.0)
        line = _scatter_windows(pay, last, T)
        gate = _gate_vec(kv, _gate_targets(plan, "team_bonuses", tb.name), g.shape)
        out[tb.name] = np.where(gate, line, 0.0)
    if plan.draw is not None:
        earned = sum(out.values())
        earned = np.broadcast_to(earned, (S, R, T))
        adj = np.zeros((S, R, T))
        bal = np.zeros((S, R))
        d = plan.draw.amount
        for yr in years:
            if plan.draw.forgive_at_year_end:
                bal[:] = 0.0
            for t in yr:
                e = earned[:, :, t]
                if plan.draw.recoverable:
                    paid = np.maximum(d, e - bal)
                    new_bal = bal + paid - e
                else:
                    paid = np.maximum(d, e)
                    new_bal = bal
                on = g.mask[None, :, t]
                adj[:, :, t] = np.where(on, round_cents(paid - e), 0.0)
                bal = np.where(on, new_bal, bal)
        out["draw"] = adj
    else:
        out["draw"] = zeros
    return out


# ---------------------------------------------------------------------------- public API

_ID_COLS = ["rep_id", "region", "period", "revenue", "target_revenue", "attainment", "base_pay"]


def _frame(plan: Plan, g: Grid, lines: dict[str, np.ndarray]) -> pd.DataFrame:
    rr, tt = np.nonzero(g.mask)
    df = pd.DataFrame(
        {
            "rep_id": np.array(g.reps, dtype=object)[rr],
            "region": g.region[rr],
            "period": np.array(g.periods, dtype=object)[tt],
            "revenue": g.revenue[rr, tt],
            "target_revenue": g.target[rr, tt],
        }
    )
    df["attainment"] = _div(df["revenue"].to_numpy(), df["target_revenue"].to_numpy())
    df["base_pay"] = round(plan.base_pay, 2)
    for name in plan.component_names:
        vals = lines[name][rr, tt]
        df[name] = np.array([float(v) for v in vals]) if vals.dtype == object else vals
        df[name] = df[name].round(2)
    df["incentive"] = df[plan.component_names].sum(axis=1).round(2)
    df["total_pay"] = (df["base_pay"] + df["incentive"]).round(2)
    return df


def payout(
    plan: Plan,
    sales: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    kpis: pd.DataFrame | None = None,
    engine: str = "exact",
) -> pd.DataFrame:
    """Payout of each rep in each month under ``plan``, component by component.

    Parameters
    ----------
    plan : Plan
    sales : DataFrame
        ``rep_id``, ``period`` (``YYYY-MM``), ``revenue`` (or ``attainment``, then revenue =
        attainment x target); ``gross_margin`` when a commission is
        on margin; ``category`` when a commission is by category. Rows are summed per rep-month;
        a ``per_transaction`` commission applies its rate table to each row (one row = one
        transaction). ``sales_by(ds, ["rep_id"], freq="M")`` has the right columns.
    targets : DataFrame
        ``rep_id``, ``period``, ``target_revenue``: defines who is on the plan in which month.
    reps : DataFrame, optional
        ``rep_id``, ``region`` (needed by regional honours and team bonuses).
    kpis : DataFrame, optional
        ``rep_id`` (and optionally ``period``) plus the KPI columns the plan reads.
    engine : {"exact", "vector"}
        ``exact``: Decimal reference engine; ``vector``: NumPy float engine (same rounding).

    Returns
    -------
    DataFrame
        One row per rep-month with a target: ``rep_id, region, period, revenue, target_revenue,
        attainment, base_pay``, one column per incentive component (:attr:`Plan.component_names`:
        each commission, ``bonus``, ``scorecard``, each honour and team bonus, ``draw`` = draw
        top-up (+) or recovery (-)), ``incentive`` (their sum) and ``total_pay``
        (``base_pay + incentive``). Money in currency units rounded to cents.

    Examples
    --------
    >>> import pandas as pd
    >>> plan = Plan.from_dict({"name": "demo", "base_pay": 3000, "commissions": [
    ...     {"name": "commission", "basis": "attainment", "mode": "marginal",
    ...      "tiers": [{"from": 0, "rate": 0.05}, {"from": 1.0, "rate": 0.06},
    ...                {"from": 1.25, "rate": 0.07}]}]})
    >>> sales = pd.DataFrame({"rep_id": ["A"], "period": ["2025-01"], "revenue": [150000.0]})
    >>> targets = pd.DataFrame({"rep_id": ["A"], "period": ["2025-01"],
    ...                         "target_revenue": [100000.0]})
    >>> payout(plan, sales, targets)[["attainment", "commission", "total_pay"]]
       attainment  commission  total_pay
    0         1.5      8250.0    11250.0
    """
    if engine not in ("exact", "vector"):
        raise ValueError(f"engine must be 'exact' or 'vector', got {engine!r}")
    g = build_grid(plan, sales, targets, reps=reps, kpis=kpis)
    if engine == "exact":
        lines = reference_payout(plan, g, exact=True)
    else:
        lines = {k: v[0] for k, v in vector_payout(plan, g).items()}
    return _frame(plan, g, lines)
