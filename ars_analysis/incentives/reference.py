"""The decimal reference payout: a plain, slow, exact implementation the vectorised engine is tested against."""

from __future__ import annotations

import math
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

import numpy as np

from ars_analysis.incentives.grid import (
    _GUARD,
    CENT,
    Grid,
    _gate_targets,
    _measure_key,
    _windows,
    _years,
)
from ars_analysis.incentives.plan import Commission, Plan

# ------------------------------------------------------------------------- exact engine


def _D(x) -> Decimal:
    return Decimal(repr(float(x)))


def _decimal_sums(g: Grid, values: np.ndarray, keep=None) -> list[list[Decimal]]:
    """Per (rep, month): the sum of the sales rows in Decimal (each row at its shortest decimal
    representation), so several rows of one month add up exactly (10.10 + 20.45 = 30.55)."""
    R, T = g.shape
    out = [[Decimal(0)] * T for _ in range(R)]
    rr, tt = g.rows["r"], g.rows["t"]
    for i in range(len(values)):
        if keep is None or keep[i]:
            out[rr[i]][tt[i]] += _D(values[i])
    return out


def _round_d(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _tier_scalar(c: Commission, measure, att, scale, num):
    """Unrounded commission of one measure at one attainment, in the number type ``num``
    (``_D`` for the exact engine, ``float`` for the per-rep reference loop)."""
    if measure <= 0:
        return num(0)
    x = measure if c.basis == "amount" else att
    starts = [num(t.start) for t in c.tiers]
    rates = [num(t.rate) for t in c.tiers]
    if c.mode == "marginal":
        total = num(0)
        for i, (lo, rate) in enumerate(zip(starts, rates, strict=True)):
            hi = starts[i + 1] if i + 1 < len(starts) else None
            top = x if hi is None else min(x, hi)
            if top > lo:
                total += rate * (top - lo)
        return total if c.basis == "amount" else total * scale
    k = max(i for i, lo in enumerate(starts) if x >= lo)
    rate = rates[k]
    if c.mode == "interpolated" and k + 1 < len(starts):
        rate = rates[k] + (rates[k + 1] - rates[k]) * (x - starts[k]) / (starts[k + 1] - starts[k])
    return measure * rate


def _tier_d(c: Commission, measure: Decimal, att: Decimal, scale: Decimal) -> Decimal:
    """Unrounded commission of one measure at one attainment (Decimal)."""
    return _tier_scalar(c, measure, att, scale, _D)


def _scale_d(c: Commission, measure: Decimal, rev: Decimal, target: Decimal) -> Decimal:
    # measure units per unit of attainment: target for whole revenue, else measure / attainment
    if c.measure == "revenue" and c.categories is None:
        return target
    return measure * target / rev if rev > 0 else Decimal(0)


def _interp_d(x: Decimal, xs: list[Decimal], ys: list[Decimal]) -> Decimal:
    if x <= xs[0]:
        return ys[0]
    if x >= xs[-1]:
        return ys[-1]
    for i in range(len(xs) - 1):
        if xs[i] <= x <= xs[i + 1]:
            return ys[i] + (ys[i + 1] - ys[i]) * (x - xs[i]) / (xs[i + 1] - xs[i])
    raise AssertionError("unreachable")


def _apply_caps_d(lines: list, mask_r, years, cap_period, cap_year) -> list:
    if cap_period is not None:
        cp = _D(cap_period)
        lines = [min(v, cp) for v in lines]
    if cap_year is not None:
        cy = _D(cap_year)
        for yr in years:
            cum_prev, capped_prev = Decimal(0), Decimal(0)
            for t in yr:
                cum_prev += lines[t]
                capped = min(cum_prev, cy)
                lines[t] = capped - capped_prev
                capped_prev = capped
    return lines


def reference_payout(plan: Plan, g: Grid, *, exact: bool = True) -> dict[str, np.ndarray]:
    """Per-rep Python loop (Decimal when ``exact``, float otherwise): component -> (R, T) array.

    This is the reference implementation of the plan semantics (and the benchmark baseline).
    """
    if exact:
        num, rnd, zero = _D, _round_d, Decimal(0)
    else:

        def num(x):
            return float(x)

        def rnd(x):
            s = -1.0 if x < 0 else 1.0
            return s * math.floor(abs(x) * 100 + 0.5 + _GUARD) / 100

        zero = 0.0
    R, T = g.shape
    years = _years(g.periods)
    out: dict[str, np.ndarray] = {}
    if exact and g.rows:
        rev = _decimal_sums(g, g.rows["revenue"])
    else:
        rev = [[num(g.revenue[r, t]) for t in range(T)] for r in range(R)]
    tgt = [[num(g.target[r, t]) for t in range(T)] for r in range(R)]

    def att_of(rv, tg):
        return rv / tg if tg > 0 else zero

    def gate_ok(r, t, gates):
        for gt in gates:
            v = g.kpis[gt.kpi][r, t]
            if np.isnan(v) or num(v) < num(gt.min):
                return False
        return True

    tier = _tier_d if exact else _tier_f_scalar
    for c in plan.commissions:
        arr = np.empty((R, T), dtype=object)
        gates = _gate_targets(plan, "commissions", c.name)
        if exact and _measure_key(c) in g.rows:
            meas = _decimal_sums(g, *g.rows[_measure_key(c)])
        else:
            meas = g.measures[_measure_key(c)]
        tx = {}
        if c.application == "per_transaction":
            for rr_, tt_, v in zip(*g.transactions[(plan.name, c.name)], strict=True):
                tx.setdefault((int(rr_), int(tt_)), []).append(num(v))
        for r in range(R):
            lines = [zero] * T
            for yr in years:
                cum_m, cum_r, cum_t, prev = zero, zero, zero, zero
                for t in yr:
                    m = meas[r][t] if isinstance(meas, list) else num(meas[r, t])
                    a = att_of(rev[r][t], tgt[r][t])
                    if c.application == "per_period":
                        ok = c.threshold is None or a >= num(c.threshold)
                        scale = (_scale_d if exact else _scale_f_scalar)(c, m, rev[r][t], tgt[r][t])
                        lines[t] = rnd(tier(c, m, a, scale)) if ok else zero
                    elif c.application == "per_transaction":
                        ok = c.threshold is None or a >= num(c.threshold)
                        total = zero
                        if ok:
                            for v in tx.get((r, t), []):
                                total += tier(c, v, a, zero)
                        lines[t] = rnd(total)
                    else:  # cumulative
                        cum_m += m
                        cum_r += rev[r][t]
                        cum_t += tgt[r][t]
                        ya = att_of(cum_r, cum_t)
                        ok = c.threshold is None or ya >= num(c.threshold)
                        scale = (_scale_d if exact else _scale_f_scalar)(c, cum_m, cum_r, cum_t)
                        e = rnd(tier(c, cum_m, ya, scale)) if ok else zero
                        lines[t] = e - prev
                        prev = e
            for t in range(T):
                if not g.mask[r, t] or not gate_ok(r, t, gates):
                    lines[t] = zero
            if exact:
                lines = _apply_caps_d(lines, None, years, c.cap_period, c.cap_year)
            else:
                lines = _apply_caps_f(lines, years, c.cap_period, c.cap_year, rnd)
            arr[r, :] = lines
        out[c.name] = arr

    def last_masked(r, idx):
        ts = [t for t in idx if g.mask[r, t]]
        return ts[-1] if ts else None

    # bonus
    arr = np.full((R, T), zero, dtype=object)
    if plan.bonus is not None:
        b = plan.bonus
        xs = [num(p.attainment) for p in b.points]
        ys = [num(p.payout) for p in b.points]
        gates = _gate_targets(plan, "bonus")
        for r in range(R):
            for w in _windows(g.periods, b.frequency):
                pt = last_masked(r, w)
                if pt is None:
                    continue
                a = att_of(sum((rev[r][t] for t in w), zero), sum((tgt[r][t] for t in w), zero))
                f = (
                    zero
                    if a < xs[0]
                    else (_interp_d(a, xs, ys) if exact else float(np.interp(a, xs, ys)))
                )
                if gate_ok(r, pt, gates):
                    arr[r, pt] = rnd(num(b.amount) * f)
    out["bonus"] = arr
    # scorecard
    arr = np.full((R, T), zero, dtype=object)
    if plan.scorecard is not None:
        sc = plan.scorecard
        gates = _gate_targets(plan, "scorecard")
        for r in range(R):
            for t in range(T):
                if not g.mask[r, t] or not gate_ok(r, t, gates):
                    continue
                score = zero
                for k in sc.kpis:
                    v = g.kpis[k.column][r, t]
                    if np.isnan(v):
                        continue
                    xs = [num(p[0]) for p in k.points]
                    ys = [num(p[1]) for p in k.points]
                    s = _interp_d(num(v), xs, ys) if exact else float(np.interp(v, xs, ys))
                    score += num(k.weight) * s
                arr[r, t] = rnd(num(sc.amount) * score)
    out["scorecard"] = arr
    # honours
    for h in plan.honours:
        arr = np.full((R, T), zero, dtype=object)
        gates = _gate_targets(plan, "honours", h.name)
        groups = {}
        for r in range(R):
            groups.setdefault("all" if h.within == "all" else g.region[r], []).append(r)
        for w in _windows(g.periods, h.frequency):
            for members in groups.values():
                vals = {}
                on = []
                for r in members:
                    tg = sum((tgt[r][t] for t in w), zero)
                    if last_masked(r, w) is None:
                        continue
                    on.append(r)
                    rv = sum((rev[r][t] for t in w), zero)
                    a = att_of(rv, tg)
                    if h.min_attainment is not None and a < num(h.min_attainment):
                        continue
                    vals[r] = a if h.rank_by == "attainment" else rv
                if h.top_n is not None:
                    n = h.top_n
                else:
                    n = int((_D(h.top_share) * len(on)).to_integral_value(ROUND_CEILING))
                for r, v in vals.items():
                    rank = 1 + sum(1 for v2 in vals.values() if v2 > v)
                    pt = last_masked(r, w)
                    if rank <= n and gate_ok(r, pt, gates):
                        arr[r, pt] = rnd(num(h.amount))
        out[h.name] = arr
    # team bonuses
    for tb in plan.team_bonuses:
        arr = np.full((R, T), zero, dtype=object)
        gates = _gate_targets(plan, "team_bonuses", tb.name)
        groups = {}
        for r in range(R):
            groups.setdefault(g.region[r], []).append(r)
        for w in _windows(g.periods, tb.frequency):
            for members in groups.values():
                rv = sum((rev[r][t] for r in members for t in w), zero)
                tg = sum((tgt[r][t] for r in members for t in w), zero)
                if tg <= 0 or att_of(rv, tg) < num(tb.min_attainment):
                    continue
                for r in members:
                    pt = last_masked(r, w)
                    if pt is not None and gate_ok(r, pt, gates):
                        arr[r, pt] = rnd(num(tb.amount))
        out[tb.name] = arr
    # draw
    arr = np.full((R, T), zero, dtype=object)
    if plan.draw is not None:
        d = num(plan.draw.amount)
        names = [n for n in out]
        for r in range(R):
            bal = zero
            for yr in years:
                if plan.draw.forgive_at_year_end:
                    bal = zero
                for t in yr:
                    if not g.mask[r, t]:
                        continue
                    earned = sum((out[n][r, t] for n in names), zero)
                    if plan.draw.recoverable:
                        paid = max(d, earned - bal)
                        bal = bal + paid - earned
                    else:
                        paid = max(d, earned)
                    arr[r, t] = rnd(paid - earned)
    out["draw"] = arr
    return out


def _tier_f_scalar(c: Commission, measure: float, att: float, scale: float) -> float:
    return _tier_scalar(c, measure, att, scale, float)


def _scale_f_scalar(c: Commission, measure, rev, target):
    if c.measure == "revenue" and c.categories is None:
        return target
    return measure * target / rev if rev > 0 else 0.0


def _apply_caps_f(lines, years, cap_period, cap_year, rnd):
    if cap_period is not None:
        lines = [min(v, cap_period) for v in lines]
    if cap_year is not None:
        for yr in years:
            cum, capped_prev = 0.0, 0.0
            for t in yr:
                cum += lines[t]
                capped = min(cum, cap_year)
                lines[t] = rnd(capped - capped_prev)
                capped_prev = capped
    return lines
