"""The ``xmin`` and ``alpha`` search of the power-law tail fit (exhaustive and fast, continuous and discrete).

The method and the proof that the fast search returns the exhaustive ``xmin`` are described in
:mod:`ars_analysis.terminals.tails`, which uses these functions.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
from scipy import special

_ALPHA_BOUNDS = (1.0 + 1e-6, 20.0)

# ---------------------------------------------------------------- input


def _clean(values, discrete: bool, name: str = "values") -> np.ndarray:
    x = np.asarray(values, dtype=float).ravel()
    if x.size == 0:
        raise ValueError(f"{name}: no values to fit")
    bad = ~np.isfinite(x)
    if bad.any():
        raise ValueError(f"{name}: {int(bad.sum())} values are NaN or infinite; drop them first")
    x = x[x > 0]
    if x.size < 2:
        raise ValueError(f"{name}: need at least 2 positive values, got {x.size}")
    if discrete and np.any(x != np.round(x)):
        raise ValueError(f"{name}: discrete=True but some values are not integers")
    return np.sort(x)


# ---------------------------------------------------------------- continuous search


def _continuous_alphas(x: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """MLE alpha for tails starting at indices ``starts`` of sorted ``x`` (suffix sums)."""
    logx = np.log(x)
    suffix = np.concatenate([np.cumsum(logx[::-1])[::-1], [0.0]])
    m = x.size - starts
    denom = suffix[starts] - m * logx[starts]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denom > 0, 1.0 + m / denom, np.inf)


def _ks_continuous_one(logx, first, i, alpha, pts=None):
    """KS distance of the tail starting at sorted index ``i`` (first occurrence of its value).

    ``first`` holds the first-occurrence indices of the distinct values; ``pts`` (optional) a
    subset of them to evaluate on (gives a lower bound).
    """
    n = logx.size
    m = n - i
    k = first[np.searchsorted(first, i) :] if pts is None else pts[pts >= i]
    femp = (k - i) / m
    ffit = -np.expm1((1.0 - alpha) * (logx[k] - logx[i]))
    return float(np.max(np.abs(ffit - femp))) if k.size else np.inf


def _ks_continuous_until(logx, first, i, alpha, stop, chunk=1 << 16):
    """KS distance of the tail at sorted index ``i``, evaluated in chunks of points; stops as
    soon as the running maximum exceeds ``stop`` (then the candidate cannot be the best).

    Returns ``(value, complete)``: the exact distance, or (``complete`` False) the running
    maximum, a lower bound attained at a data point (so it still bounds other candidates in
    :func:`_lower_bound`).
    """
    n = logx.size
    m = n - i
    k_all = first[np.searchsorted(first, i) :]
    if k_all.size == 0:
        return np.inf, True
    best = 0.0
    li = logx[i]
    for s in range(0, k_all.size, chunk):
        k = k_all[s : s + chunk]
        femp = (k - i) / m
        ffit = -np.expm1((1.0 - alpha) * (logx[k] - li))
        best = max(best, float(np.max(np.abs(ffit - femp))))
        if best > stop:
            return best, s + chunk >= k_all.size
    return best, True


def _search_continuous_exhaustive(x, cand, chunk=2_000_000):
    """D for every candidate index in ``cand``, vectorised in chunks of candidate x points."""
    logx = np.log(x)
    first = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
    alphas = _continuous_alphas(x, cand)
    n = x.size
    ds = np.empty(cand.size)
    # process candidates in blocks so that block_size * n_points stays below `chunk`
    nu = first.size
    pos = np.searchsorted(first, cand)  # position of each candidate among the distinct values
    b = 0
    while b < cand.size:
        width = nu - pos[b]
        step = max(1, chunk // max(width, 1))
        idx = np.arange(b, min(b + step, cand.size))
        k = first[pos[b] :]  # points of the widest tail in the block
        i = cand[idx][:, None]
        valid = k[None, :] >= i
        femp = (k[None, :] - i) / (n - i)
        with np.errstate(over="ignore", invalid="ignore"):  # masked entries k < i
            ffit = -np.expm1((1.0 - alphas[idx][:, None]) * (logx[k][None, :] - logx[i]))
        diff = np.where(valid, np.abs(ffit - femp), 0.0)
        ds[idx] = diff.max(axis=1)
        b = idx[-1] + 1
    return ds, alphas


def _lower_bound(x, alphas, D_j, i, j):
    """Lower bound on D_i from an evaluated candidate j > i (sorted indices into x).

    On the points u >= x[j] the KS terms of tails i and j differ by
    ``[Sf_j - Sf_i](u) - (1 - r) S_j(u)`` with survival functions S (empirical) and Sf (fitted)
    and ``r = m_j / m_i``; since ``|S_j - Sf_j| <= D_j`` on those points,
    ``D_i >= r D_j - sup_u |r Sf_j(u) - Sf_i(u)|``, and the sup has a closed form.
    """
    n = x.size
    r = (n - j) / (n - i)
    si = alphas[i] - 1.0
    sj = alphas[j] - 1.0
    B = np.exp(-si * np.log(x[j] / x[i]))  # Sf_i(x_j)
    g0 = np.abs(r - B)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        ts = np.log((r * sj) / (B * si)) / (sj - si)
        ok = np.isfinite(ts) & (ts > 0)
        ts = np.where(ok, ts, 0.0)
        gt = np.abs(r * np.exp(-sj * ts) - B * np.exp(-si * ts))
    sup = np.maximum(g0, np.where(ok, gt, 0.0))
    return r * D_j - sup - 1e-12


def _ks_sub_batch(logx, firstidx, cand_i, alphas, q):
    """Lower bounds of D for candidates from points at relative tail quantiles ``q``."""
    n = logx.size
    out = np.empty(cand_i.size)
    step = max(1, 2_000_000 // max(q.size, 1))
    for s in range(0, cand_i.size, step):
        i = cand_i[s : s + step][:, None]
        a = alphas[s : s + step][:, None]
        m = n - i
        k = np.minimum(i + (q[None, :] * m).astype(np.int64), n - 1)
        femp = (firstidx[k] - i) / m
        ffit = -np.expm1((1.0 - a) * (logx[k] - logx[i]))
        out[s : s + step] = np.abs(ffit - femp).max(axis=1)
    return out


def _search_continuous_fast(
    x,
    cand,
    grid=256,
    q_sizes=(32, 128, 512, 2048),
    batch=32,
    max_exact=20000,
    lazy=True,
    early_stop=True,
):
    """Exact argmin of D over ``cand`` using lower bounds (see module docstring).

    ``lazy``: apply one more subsample stage per round of exact evaluations, so the larger
    (costlier) stages only reach candidates the previous rounds' bounds could not exclude
    (``lazy=False``: every stage to every candidate before the first round, the previous
    behaviour; same result, slower on a pure power law). ``early_stop``: an exact evaluation
    stops as soon as the candidate is worse than the best so far (``False``: every exact
    evaluation runs over the whole tail, the previous behaviour).
    """
    n = x.size
    logx = np.log(x)
    first = np.flatnonzero(np.r_[True, x[1:] != x[:-1]])
    firstidx = np.maximum.accumulate(np.where(np.r_[True, x[1:] != x[:-1]], np.arange(n), 0))
    alpha_all = np.full(n, np.inf)
    alpha_all[cand] = _continuous_alphas(x, cand)
    K = cand.size
    D = np.full(K, np.nan)
    evaluated = np.zeros(K, dtype=bool)

    partial = np.zeros(K, dtype=bool)

    def exact(ix, stop=np.inf):
        # a candidate whose distance already exceeds the best is not evaluated further: its
        # running maximum is kept as a lower bound and it is excluded at the end
        for t in ix:
            D[t], done = _ks_continuous_until(logx, first, cand[t], alpha_all[cand[t]], stop)
            partial[t] = not done
            evaluated[t] = True
            if done and early_stop:
                stop = min(stop, D[t])

    # initial grid: geometric in the tail size (cheap: total cost ~ 20 n)
    m = n - cand
    targets = np.geomspace(m[0], max(m[-1], 1), min(grid, K))
    g = np.unique(np.r_[np.searchsorted(-m, -targets), 0, K - 1].clip(0, K - 1))
    exact(g)
    n_exact = g.size
    n_sub_evals = 0
    lb = np.full(K, -np.inf)
    stage = np.zeros(K, dtype=np.int8)  # how many subsample stages were applied
    qs = [np.linspace(0, 1, qn, endpoint=False) for qn in q_sizes]
    alive = np.flatnonzero(~evaluated)
    rounds = 0
    while True:
        best = np.nanmin(D)
        ev = np.flatnonzero(evaluated)
        nxt = ev[np.minimum(np.searchsorted(ev, alive, side="left"), ev.size - 1)]
        lb[alive] = np.maximum(
            lb[alive], _lower_bound(x, alpha_all, D[nxt], cand[alive], cand[nxt])
        )
        alive = alive[~evaluated[alive] & (lb[alive] <= best)]
        if alive.size == 0:
            break
        # one more subsample stage per round: the costly large stages only reach the
        # candidates that the exact evaluations of the previous rounds could not exclude
        for level, q in enumerate(qs):
            fresh = alive[stage[alive] == level]
            if lazy and level > rounds:
                break
            if fresh.size:
                v = _ks_sub_batch(logx, firstidx, cand[fresh], alpha_all[cand[fresh]], q)
                lb[fresh] = np.maximum(lb[fresh], v)
                stage[fresh] = level + 1
                n_sub_evals += fresh.size
                alive = alive[lb[alive] <= best]
        rounds += 1
        if alive.size == 0:
            break
        # evaluate exactly a spread-out batch, then re-bound
        pick = (
            alive
            if alive.size <= batch
            else alive[np.linspace(0, alive.size - 1, batch).astype(int)]
        )
        exact(pick, stop=best if early_stop else np.inf)
        n_exact += pick.size
        if n_exact > max_exact:
            warnings.warn(
                f"fast xmin search stopped after {n_exact} exact evaluations; "
                "result may differ from the exhaustive scan",
                stacklevel=3,
            )
            D[~evaluated | partial] = np.inf
            return D, alpha_all[cand], {"exact": False, "n_exact": n_exact, "n_sub": n_sub_evals}
    D[~evaluated | partial] = np.inf
    return D, alpha_all[cand], {"exact": True, "n_exact": int(n_exact), "n_sub": int(n_sub_evals)}


# ---------------------------------------------------------------- discrete


def _discrete_alpha(n, sumlog, xmin):
    """Exact discrete MLE: vectorised golden-section search (the NLL is convex in alpha)."""
    n = np.atleast_1d(np.asarray(n, float))
    sumlog = np.atleast_1d(np.asarray(sumlog, float))
    xmin = np.atleast_1d(np.asarray(xmin, float))

    def nll(a):
        return n * np.log(special.zeta(a, xmin)) + a * sumlog

    lo = np.full(n.shape, _ALPHA_BOUNDS[0])
    hi = np.full(n.shape, _ALPHA_BOUNDS[1])
    g = (math.sqrt(5) - 1) / 2
    c = hi - g * (hi - lo)
    d = lo + g * (hi - lo)
    fc, fd = nll(c), nll(d)
    for _ in range(80):
        left = fc < fd
        hi = np.where(left, d, hi)
        lo = np.where(left, lo, c)
        c_new = hi - g * (hi - lo)
        d_new = lo + g * (hi - lo)
        # reuse one evaluation
        d2 = np.where(left, c, d_new)
        c2 = np.where(left, c_new, d)
        fd2 = np.where(left, fc, np.nan)
        fc2 = np.where(left, np.nan, fd)
        need_c = np.isnan(fc2)
        need_d = np.isnan(fd2)
        if need_c.any():
            fc2[need_c] = nll(c2)[need_c]
        if need_d.any():
            fd2[need_d] = nll(d2)[need_d]
        c, d, fc, fd = c2, d2, fc2, fd2
        if np.max(hi - lo) < 1e-10:
            break
    return (lo + hi) / 2


def _discrete_alpha_se(n, alpha, xmin):
    """Standard error from the observed information (Clauset et al. eq. 3.6), numerically."""
    h = 1e-4

    def logz(a):
        return np.log(special.zeta(a, xmin))

    second = (logz(alpha + h) - 2 * logz(alpha) + logz(alpha - h)) / h**2
    return 1.0 / np.sqrt(n * second) if second > 0 else np.nan


def _search_discrete(x, cand_vals, max_candidates=5000, grid=400):
    u, counts = np.unique(x, return_counts=True)
    n = x.size
    below = np.r_[0, np.cumsum(counts)[:-1]]  # number of values < u
    logu = np.log(u)
    slog = np.r_[np.cumsum((counts * logu)[::-1])[::-1], 0.0]
    pos = np.searchsorted(u, cand_vals)

    def eval_pos(ps):
        m = n - below[ps]
        alphas = _discrete_alpha(m, slog[ps], u[ps])
        ds = np.empty(ps.size)
        for t, (p, a, mm) in enumerate(zip(ps, alphas, m, strict=True)):
            zt = special.zeta(a, u[p:])
            ffit = 1.0 - zt / zt[0]
            femp = (below[p:] - below[p]) / mm
            ds[t] = np.max(np.abs(ffit - femp))
        return ds, alphas

    if pos.size <= max_candidates:
        ds, alphas = eval_pos(pos)
        return ds, alphas, {"exact": True, "n_exact": int(pos.size)}
    g = np.unique(np.linspace(0, pos.size - 1, grid).astype(int))
    dg, _ = eval_pos(pos[g])
    b = int(np.argmin(dg))
    lo = g[max(b - 1, 0)]
    hi = g[min(b + 1, g.size - 1)]
    loc = np.arange(lo, hi + 1)
    dl, al = eval_pos(pos[loc])
    ds = np.full(pos.size, np.inf)
    alphas = np.full(pos.size, np.nan)
    ds[loc] = dl
    alphas[loc] = al
    ds[g] = np.minimum(ds[g], dg)
    return ds, alphas, {"exact": False, "n_exact": int(g.size + loc.size)}
