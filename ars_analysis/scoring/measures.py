"""How one measure becomes a score: the normalisation methods of :mod:`ars_analysis.scoring`.

Every function takes the raw values (a float array, NaN = not measured) and returns scores on
``0..unit`` (``unit`` = 100 for points, 1 for shares), NaN where the value is missing:

``percentile``
    ``unit * (r - 1) / (m - 1)``, ``r`` the value's average rank (ties share it) among the
    ``m`` values of its group; the best gets ``unit``, the worst 0, a group of one ``unit / 2``.
``minmax``
    ``unit * (x - min) / (max - min)`` within the group (``unit / 2`` when all are equal).
``bands``
    ``scores[i]`` where ``i`` is the number of ``thresholds`` <= x (scores given in points).
``curve``
    Piecewise linear through ``points`` ``[(value, score), ...]``, flat beyond the ends.
``target``
    Attainment of a target: ``x / target`` capped to ``0..1`` (times ``unit``).
``share``
    The value itself, a share in ``0..1`` (times ``unit``), clipped.
``relative_to_best``
    ``x / max(x)`` over every entity (0 when the best is not positive), times ``unit``.

Direction: for a lower-is-better measure, ``percentile`` and ``minmax`` rank ``-x``; the others
score ``unit - s``.

Examples
--------
>>> percentile([1.0, 2.0, 3.0])
array([  0.,  50., 100.])
>>> bands([-1.0, 0.05, 0.2], thresholds=[0, 0.1], scores=[0, 50, 100])
array([  0.,  50., 100.])
>>> curve([0.5, 1.0, 2.0], points=[(0.8, 0.0), (1.2, 1.0)])
array([0. , 0.5, 1. ])
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

#: Methods of :class:`ars_analysis.scoring.Measure`.
METHODS = ("percentile", "minmax", "bands", "curve", "target", "share", "relative_to_best")

#: Methods that rank within groups (``within``); the others score each value on its own.
GROUPED = ("percentile", "minmax")


def _groups(x: pd.Series, groups) -> np.ndarray:
    if groups is None:
        return np.zeros(len(x), dtype=np.int64)
    return np.asarray(groups)


def percentile(values, groups=None, *, higher_is_better: bool = True, unit: float = 100.0):
    """Percentile score within ``groups`` (see the module docstring).

    >>> percentile([3.0, 1.0, np.nan, 1.0], higher_is_better=False)
    array([ 0., 75., nan, 75.])
    """
    x = pd.Series(np.asarray(values, dtype=float))
    if not higher_is_better:
        x = -x
    g = x.groupby(_groups(x, groups), dropna=False)
    r = g.rank(method="average")
    m = g.transform("count")
    s = np.where(m > 1, unit * (r - 1) / (m - 1).where(m > 1), unit / 2)
    return np.where(x.isna(), np.nan, s)


def minmax(values, groups=None, *, higher_is_better: bool = True, unit: float = 100.0):
    """Linear score between the group's minimum (0) and maximum (``unit``).

    >>> minmax([0.0, 5.0, 10.0])
    array([  0.,  50., 100.])
    """
    x = pd.Series(np.asarray(values, dtype=float))
    if not higher_is_better:
        x = -x
    g = x.groupby(_groups(x, groups), dropna=False)
    lo, hi = g.transform("min"), g.transform("max")
    span = hi - lo
    s = np.where(span > 0, unit * (x - lo) / span.where(span > 0), unit / 2)
    return np.where(x.isna(), np.nan, s)


def bands(values, thresholds: Sequence[float], scores: Sequence[float]):
    """``scores[i]`` where ``i`` is the number of ``thresholds`` at or below the value."""
    v = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(thresholds, dtype=float), v, side="right")
    sc = np.asarray(scores, dtype=float)[idx]
    return np.where(np.isnan(v), np.nan, sc)


def curve(values, points: Sequence[Sequence[float]]):
    """Piecewise-linear score through ``points`` (value, score), flat beyond the ends.

    A missing value scores NaN here; a plan's KPI scorecard counts it as 0 (see
    :func:`ars_analysis.scoring.weighted_total` with ``renormalise=False``).
    """
    v = np.asarray(values, dtype=float)
    s = np.interp(np.nan_to_num(v), [p[0] for p in points], [p[1] for p in points])
    return np.where(np.isnan(v), np.nan, s)


def target(values, target: float):
    """Attainment of ``target``: ``x / target`` capped to ``0..1``.

    >>> target([0.0, 10.0, 30.0], 20.0)
    array([0. , 0.5, 1. ])
    """
    v = np.asarray(values, dtype=float)
    return np.clip(v / float(target), 0.0, 1.0)


def share(values):
    """A share in ``0..1`` scored as itself (clipped)."""
    return np.clip(np.asarray(values, dtype=float), 0.0, 1.0)


def relative_to_best(values):
    """Share of the best value (0 for everyone when the best is not positive).

    >>> relative_to_best([0.0, 2.0, 4.0])
    array([0. , 0.5, 1. ])
    """
    v = np.asarray(values, dtype=float)
    top = pd.Series(v).max()  # NaN when nothing is measured
    s = v / top if top and top > 0 else v * 0
    return np.clip(s, 0.0, 1.0)
