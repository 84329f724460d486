"""Numerical core of the ABC analyses (private; use :mod:`ars_analysis.customers`).

Two things live here, both pure NumPy:

* :func:`fixed_classes` - classes by fixed cuts of the cumulative share, for many groups at once;
* :func:`computed_limits` - the computed ABC limits of Ultsch & Lötsch (2015), reproducing the
  reference Python port ``abc-analysis`` (0.1.23) exactly, but with a vectorised O(n) cubic
  spline instead of FITPACK and without pandas ``apply`` loops.

How the reference computes the limits (and so do we)
----------------------------------------------------
1. Negative values are replaced by 0; the values are sorted in decreasing order and the ABC curve
   is ``x_i = i / n``, ``y_i = cumsum_i / total`` with the point (0, 0) prepended.
2. The curve is interpolated with the *not-a-knot* interpolating cubic spline (what
   ``UnivariateSpline(k=3, s=0)`` computes) on an effort grid ``p`` of 101 points (n < 101) or
   1001 points; the yield is clipped to [0, 1].
3. A second not-a-knot spline through ``(p, f(p))`` (unclipped) is differentiated and - a quirk of
   the reference we keep - evaluated at ``(1..m) / m`` while its values are read against the grid
   index ``0..m-1``.
4. The Pareto point is the grid point nearest to (0, 1) (first on ties); the break-even point is
   the *last* grid point where ``|dABC - 1|`` is smallest. The smaller effort of the two is the
   A limit, the larger one ``B``; the B|C limit is the grid point nearest to ``(B, 1)``.
5. In raw units, ``AB = sorted[round(A n) - 1]`` and ``BC = sorted[round(C n) - 1]``
   (Python rounding, half to even). A = value > AB; B = BC <= value <= AB; C = value < BC,
   compared on the *raw* (uncleaned) values.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import UnivariateSpline
from scipy.linalg import solve_banded

CLASS_NAMES = "ABCDEFGHIJ"


# --------------------------------------------------------------------------------------------
# fixed cuts
# --------------------------------------------------------------------------------------------
def _argsort_desc_stable(v: np.ndarray) -> np.ndarray:
    """Positions of ``v`` (no NaN) in decreasing order, ties in input order.

    An index sort of floats is several times slower than sorting plain integers, so the sort
    key packs each value's order-preserving bit pattern (high bits) with its position (low
    bits) into one ``uint64`` and sorts that. Values that agree in the kept high bits (exact
    ties, and values equal to ~1e-10 relative) end up adjacent; those runs alone are re-sorted
    exactly by (value, position).
    """
    n = len(v)
    if n < 2:
        return np.arange(n)
    bits = (np.asarray(v, dtype=np.float64) + 0.0).view(np.uint64)  # + 0.0: -0.0 becomes 0.0
    sign = np.uint64(1) << np.uint64(63)
    # order-preserving unsigned key of a float, then inverted for a decreasing order
    desc = ~np.where(bits & sign, ~bits, bits | sign)
    shift = np.uint64(max(int(n - 1).bit_length(), 1))
    key = ((desc >> shift) << shift) | np.arange(n, dtype=np.uint64)
    key.sort()
    order = (key & ((np.uint64(1) << shift) - np.uint64(1))).astype(np.int64)
    hi = key >> shift
    eq = hi[1:] == hi[:-1]
    if eq.any():
        near = np.zeros(n, dtype=bool)
        near[1:] |= eq
        near[:-1] |= eq
        run = np.cumsum(np.r_[True, ~eq])[near]
        sub = order[near]
        order[near] = sub[np.lexsort((sub, desc[sub], run))]
    return order


def fixed_classes(
    values: np.ndarray, group_codes: np.ndarray | None, cuts, *, eps: float = 1e-12
) -> dict[str, np.ndarray]:
    """Rank and classify ``values`` by cumulative share within groups.

    Returns arrays in *sorted* order (group, value descending, input order on ties) together with
    ``order`` (positions in the input). Class codes are 0 (A), 1 (B), ... ``len(cuts)``.
    """
    v = np.asarray(values, dtype="float64")
    n = len(v)
    if n == 0:
        e = np.zeros(0)
        ei = np.zeros(0, dtype=np.int64)
        return {
            "order": ei,
            "value": e,
            "rank": ei,
            "share": e,
            "cumulative_share": e,
            "class_code": ei,
            "group_id": ei,
        }
    if group_codes is None:
        order = _argsort_desc_stable(v)
        sv = v[order]
        pos = np.maximum(sv, 0.0)  # negative values count as nothing
        cum = np.cumsum(pos)
        total = cum[-1] if n else 0.0
        gid = np.zeros(n, dtype=np.int64)
        rank = np.arange(1, n + 1)
        new_group = np.zeros(n, dtype=bool)
        if n:
            new_group[0] = True
        if total > 0:
            share = pos / total
            cum_share = cum / total
        else:
            share = np.zeros(n)
            cum_share = np.zeros(n)
        nonpos_total = np.full(n, not total > 0)
    else:
        order = np.lexsort((-v, group_codes))
        g = np.asarray(group_codes)[order]
        sv = v[order]
        pos = np.maximum(sv, 0.0)
        cs = np.cumsum(pos)
        new_group = np.ones(n, dtype=bool)
        new_group[1:] = g[1:] != g[:-1]
        starts = np.flatnonzero(new_group)
        ends = np.r_[starts[1:], n] - 1
        before = np.where(starts > 0, cs[np.maximum(starts - 1, 0)], 0.0)
        totals = cs[ends] - before
        gid = np.cumsum(new_group) - 1
        cum = cs - before[gid]
        tot = totals[gid]
        ok = tot > 0
        safe = np.where(ok, tot, 1.0)
        share = np.where(ok, pos / safe, 0.0)
        cum_share = np.where(ok, cum / safe, 0.0)
        rank = np.arange(n) - starts[gid] + 1
        nonpos_total = ~ok
    prev = cum_share - share
    cls = np.zeros(n, dtype=np.int64)
    for cut in cuts:
        cls += prev >= cut - eps
    cls[(pos <= 0) | nonpos_total] = len(cuts)
    # ties: a run of equal values in one group takes the class of its best-ranked member
    if n > 1:
        new_run = new_group.copy()
        new_run[1:] |= sv[1:] != sv[:-1]
        if not new_run.all():
            run_first = np.flatnonzero(new_run)
            cls = cls[run_first][np.cumsum(new_run) - 1]
    return {
        "order": order,
        "value": sv,
        "rank": rank,
        "share": share,
        "cumulative_share": cum_share,
        "class_code": cls,
        "group_id": gid,
    }


# --------------------------------------------------------------------------------------------
# computed limits (Ultsch & Lötsch 2015), compatible with abc-analysis 0.1.23
# --------------------------------------------------------------------------------------------
def _not_a_knot_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """First derivatives at the knots of the not-a-knot cubic spline through (x, y).

    Same tridiagonal system as :class:`scipy.interpolate.CubicSpline` (``bc_type="not-a-knot"``),
    which is the spline FITPACK's ``UnivariateSpline(k=3, s=0)`` interpolates.
    """
    n = len(x)
    dx = np.diff(x)
    slope = np.diff(y) / dx
    if n == 3:  # a parabola through the three points
        a = np.array([[1, 1, 0], [dx[1], 2 * (dx[0] + dx[1]), dx[0]], [0, 1, 1]], dtype=float)
        b = np.array([2 * slope[0], 3 * (dx[0] * slope[1] + dx[1] * slope[0]), 2 * slope[1]])
        return np.linalg.solve(a, b)
    ab = np.zeros((3, n))
    b = np.empty(n)
    ab[1, 1:-1] = 2 * (dx[:-1] + dx[1:])
    ab[0, 2:] = dx[:-1]
    ab[-1, :-2] = dx[1:]
    b[1:-1] = 3 * (dx[1:] * slope[:-1] + dx[:-1] * slope[1:])
    ab[1, 0] = dx[1]
    ab[0, 1] = x[2] - x[0]
    d = x[2] - x[0]
    b[0] = ((dx[0] + 2 * d) * dx[1] * slope[0] + dx[0] ** 2 * slope[1]) / d
    ab[1, -1] = dx[-2]
    ab[-1, -2] = x[-1] - x[-3]
    d = x[-1] - x[-3]
    b[-1] = (dx[-1] ** 2 * slope[-2] + (2 * d + dx[-1]) * dx[-2] * slope[-1]) / d
    return solve_banded((1, 1), ab, b, overwrite_ab=True, overwrite_b=True, check_finite=False)


def _hermite(x, y, s, t, *, derivative: bool = False) -> np.ndarray:
    """Evaluate the cubic Hermite spline (knots x, values y, slopes s) at points t."""
    i = np.clip(np.searchsorted(x, t, side="right") - 1, 0, len(x) - 2)
    h = x[i + 1] - x[i]
    m = (y[i + 1] - y[i]) / h
    c2 = (3 * m - 2 * s[i] - s[i + 1]) / h
    c3 = (s[i] + s[i + 1] - 2 * m) / h**2
    u = t - x[i]
    if derivative:
        return s[i] + u * (2 * c2 + 3 * c3 * u)
    return y[i] + u * (s[i] + u * (c2 + c3 * u))


#: Half-width (in knots) of the local windows used to evaluate a long spline. The influence of a
#: knot on the not-a-knot spline decays like (2 - sqrt(3))**k = 0.268**k, so beyond ~30 knots it
#: is below double precision; 40 leaves a margin.
_WINDOW = 40

#: Up to this many knots the first spline is computed with FITPACK, as in the reference.
_FITPACK_MAX = 5000


def _batched_slopes(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """:func:`_not_a_knot_slopes` for many short knot sequences at once (rows of x and y).

    Thomas algorithm vectorised over the rows (the loop runs over the window length).
    """
    k, n = x.shape
    dx = np.diff(x, axis=1)
    slope = np.diff(y, axis=1) / dx
    lower = np.zeros((k, n))  # a_i: coefficient of s_{i-1} in row i
    diag = np.empty((k, n))
    upper = np.zeros((k, n))  # c_i: coefficient of s_{i+1} in row i
    b = np.empty((k, n))
    diag[:, 1:-1] = 2 * (dx[:, :-1] + dx[:, 1:])
    upper[:, 1:-1] = dx[:, :-1]
    lower[:, 1:-1] = dx[:, 1:]
    b[:, 1:-1] = 3 * (dx[:, 1:] * slope[:, :-1] + dx[:, :-1] * slope[:, 1:])
    d = x[:, 2] - x[:, 0]
    diag[:, 0] = dx[:, 1]
    upper[:, 0] = d
    b[:, 0] = ((dx[:, 0] + 2 * d) * dx[:, 1] * slope[:, 0] + dx[:, 0] ** 2 * slope[:, 1]) / d
    d = x[:, -1] - x[:, -3]
    diag[:, -1] = dx[:, -2]
    lower[:, -1] = d
    b[:, -1] = (dx[:, -1] ** 2 * slope[:, -2] + (2 * d + dx[:, -1]) * dx[:, -2] * slope[:, -1]) / d
    # forward sweep
    cp = np.empty((k, n))
    dp = np.empty((k, n))
    cp[:, 0] = upper[:, 0] / diag[:, 0]
    dp[:, 0] = b[:, 0] / diag[:, 0]
    for i in range(1, n):
        den = diag[:, i] - lower[:, i] * cp[:, i - 1]
        cp[:, i] = upper[:, i] / den
        dp[:, i] = (b[:, i] - lower[:, i] * dp[:, i - 1]) / den
    s = np.empty((k, n))
    s[:, -1] = dp[:, -1]
    for i in range(n - 2, -1, -1):
        s[:, i] = dp[:, i] - cp[:, i] * s[:, i + 1]
    return s


def _spline_at(x: np.ndarray, y: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Value at ``t`` of the not-a-knot cubic spline through (x, y).

    Short curves are solved globally; long ones in local windows of ``2 * _WINDOW + 2`` knots
    around each evaluation point (exact to rounding, see :data:`_WINDOW`), so the cost does not
    grow with the number of knots.
    """
    n = len(x)
    size = 2 * _WINDOW + 2
    if n <= 4 * size:
        return _hermite(x, y, _not_a_knot_slopes(x, y), t)
    i = np.clip(np.searchsorted(x, t, side="right") - 1, 0, n - 2)
    lo = np.clip(i - _WINDOW, 0, n - size)
    idx = lo[:, None] + np.arange(size)
    xw, yw = x[idx], y[idx]
    sw = _batched_slopes(xw, yw)
    j = i - lo
    rows = np.arange(len(t))
    h = xw[rows, j + 1] - xw[rows, j]
    m = (yw[rows, j + 1] - yw[rows, j]) / h
    s0, s1 = sw[rows, j], sw[rows, j + 1]
    c2 = (3 * m - 2 * s0 - s1) / h
    c3 = (s0 + s1 - 2 * m) / h**2
    u = t - xw[rows, j]
    return yw[rows, j] + u * (s0 + u * (c2 + c3 * u))


def computed_limits(values, *, sorted_desc: np.ndarray | None = None) -> dict:
    """Computed ABC limits of ``values`` (1-D), as abc-analysis 0.1.23 computes them.

    Parameters
    ----------
    values : array-like
        Raw values (negative ones count as 0 for the curve).
    sorted_desc : ndarray, optional
        ``values`` with negatives set to 0, sorted in decreasing order, when already at hand.

    Returns
    -------
    dict
        ``ab_limit``, ``bc_limit`` (raw units), ``a_effort``, ``b_effort``, ``c_effort``,
        ``a_yield``, ``c_yield``, ``exchanged`` and the interpolated curve ``effort``/``yield``.
    """
    v = np.asarray(values, dtype="float64")
    n = len(v)
    if n < 3:
        raise ValueError(f"computed ABC needs at least 3 values, got {n}")
    if np.isnan(v).any():
        raise ValueError("computed ABC: the measure has missing values (NaN)")
    if sorted_desc is None:
        sorted_desc = np.sort(np.where(v < 0, 0.0, v))[::-1]
    cs = np.cumsum(sorted_desc)
    top = cs[-1]
    if not top > 0:
        raise ValueError("computed ABC: the measure has no positive value")
    y = cs / top
    x = np.arange(1, n + 1) / n
    if y[0] > 0:
        x = np.concatenate(([0.0], x))
        y = np.concatenate(([0.0], y))
    if y[-1] < 1:  # never happens with exact division, kept for parity with the reference
        x = np.concatenate((x, [1.0]))
        y = np.concatenate((y, [1.0]))
    m = 101 if n < 101 else 1001
    p = np.linspace(0, 1, m)
    # Short curves go through FITPACK like the reference, so that exact ties between grid points
    # (common with few, integer values) break the same way; long ones through the windowed
    # solver, which agrees with FITPACK to rounding at a fraction of the cost.
    if len(x) <= _FITPACK_MAX:
        f = UnivariateSpline(x, y, k=3, s=0)(p)
    else:
        f = _spline_at(x, y, p)
    yld = np.nan_to_num(np.clip(f, 0.0, 1.0), nan=0.0)
    q = np.arange(1, m + 1) / m
    deriv = UnivariateSpline(p, f, k=3, s=0).derivative()(q)

    dist = np.sqrt(p**2 + (yld - 1) ** 2)
    i_pareto = int(np.argmin(dist))
    be = np.abs(deriv - 1)
    i_be = int(np.flatnonzero(be == be.min()).max())
    if p[i_be] < p[i_pareto]:
        exchanged, i_a, i_b = True, i_be, i_pareto
    else:
        exchanged, i_a, i_b = False, i_pareto, i_be
    a_eff, b_eff = p[i_a], p[i_b]
    dist_c = np.sqrt((p - b_eff) ** 2 + (yld - 1) ** 2)
    i_c = int(np.argmin(dist_c))
    c_eff = p[i_c]
    ia = max(round(a_eff * n) - 1, 0)
    ic = max(round(c_eff * n) - 1, 0)
    return {
        "ab_limit": float(sorted_desc[ia]),
        "bc_limit": float(sorted_desc[ic]),
        "a_effort": float(a_eff),
        "b_effort": float(b_eff),
        "c_effort": float(c_eff),
        "a_yield": float(yld[i_a]),
        "c_yield": float(yld[i_c]),
        "exchanged": bool(exchanged),
        "effort": p,
        "yield": yld,
    }


def classes_from_limits(values: np.ndarray, ab: float, bc: float) -> np.ndarray:
    """Class codes 0/1/2 (A/B/C) as the reference assigns them from the raw-unit limits."""
    v = np.asarray(values, dtype="float64")
    return np.where(v > ab, 0, np.where(v >= bc, 1, 2)).astype(np.int64)
