"""The one scorecard mechanism: weighted, directional, normalised measures -> scores, total, grade.

A :class:`WeightedScorecard` holds :class:`Measure` s (a column or formula of a frame, a
normalisation method of :mod:`ars_analysis.scoring.measures`, a direction, a weight) and
optional grade bands. :meth:`WeightedScorecard.score` is stateless: it returns a
:class:`ScoreResult` with the per-measure ``scores``, the weighted ``total``, the ``grade``,
the ``notes`` (measures skipped, comparison groups that fell back) and per-entity explanations
(:meth:`ScoreResult.explain`). It is used by distributor grading
(:class:`ars_analysis.customers.Scorecard`), the rep scorecard
(:func:`ars_analysis.fieldforce.rep_scorecard`) and an incentive plan's KPI scorecard and gates
(:mod:`ars_analysis.incentives.engine`).

The total (:func:`weighted_total`) is the weighted mean of the measures an entity has, the
weights re-normalised over them (``renormalise=True``; no total when they carry less than
``min_basis`` of the weights), or the plain weighted sum with a missing measure counting 0
(``renormalise=False``: a plan pays nothing for a KPI that was not measured).

Examples
--------
>>> import pandas as pd
>>> card = WeightedScorecard([
...     Measure("sales", column="revenue", method="minmax", weight=0.5),
...     Measure("overdue", column="days", method="bands", thresholds=(1, 31),
...             scores=(100, 50, 0), weight=0.5)],
...     grades=(("A", 70, 100), ("B", 0, 70)))
>>> f = pd.DataFrame({"revenue": [100.0, 0.0, 50.0], "days": [0, 40, None]})
>>> res = card.score(f)
>>> res.frame()
   sales  overdue  score grade
0  100.0    100.0  100.0     A
1    0.0      0.0    0.0     B
2   50.0      NaN   50.0     B
>>> res.explain().loc[2, ["strengths", "weaknesses", "missing"]].tolist()
[[], [], ['overdue']]
>>> float(res.basis[2])
0.5
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ars_analysis.scoring import measures as _m


class ScoringError(ValueError):
    """A measure cannot be computed from the frame (names the measure and the column)."""


@dataclass(frozen=True)
class Measure:
    """One weighted, directional, normalised measure of a scorecard.

    Parameters
    ----------
    key : str
        Name of the measure (the score column).
    column, formula : str
        The frame's column, or a ``DataFrame.eval`` formula over its columns (exactly one).
    method : str
        One of :data:`ars_analysis.scoring.measures.METHODS`.
    weight : float
        Weight in the total (re-normalised over the measures an entity has).
    higher_is_better : bool
        ``False`` turns the measure around (days overdue, far check-ins).
    within : str, optional
        Group column for ``percentile`` / ``minmax``.
    thresholds, scores : tuple of float
        ``bands``: the cut points and the ``len(thresholds) + 1`` scores.
    points : tuple of (value, score)
        ``curve``: the piecewise-linear curve.
    target : float, optional
        ``target``: the value that scores full marks.
    optional : bool
        Skip the measure (weights re-normalised, a note) when its column is absent, instead
        of failing.
    """

    key: str
    column: str | None = None
    formula: str | None = None
    method: str = "percentile"
    weight: float = 1.0
    higher_is_better: bool = True
    within: str | None = None
    thresholds: tuple = ()
    scores: tuple = ()
    points: tuple = ()
    target: float | None = None
    optional: bool = False

    def __post_init__(self):
        if self.method not in _m.METHODS:
            raise ValueError(
                f"measure {self.key!r}: method must be one of {_m.METHODS}, got {self.method!r}"
            )

    @property
    def source(self) -> str:
        """The column or formula, as written."""
        return self.column if self.column is not None else str(self.formula)

    def raw(self, frame: pd.DataFrame) -> pd.Series | None:
        """The measure's values in ``frame`` (None when its column / formula is not there)."""
        if self.column is not None:
            if self.column not in frame.columns:
                return None
            return pd.to_numeric(frame[self.column], errors="coerce")
        if self.formula is None:
            return None
        try:
            return pd.to_numeric(frame.eval(self.formula), errors="coerce")
        except (
            KeyError,
            NameError,
            SyntaxError,
            TypeError,
            ValueError,
            pd.errors.UndefinedVariableError,
        ):
            return None  # a formula over columns the frame lacks: not available

    def normalise(self, values, groups=None, *, unit: float = 100.0) -> np.ndarray:
        """Scores on ``0..unit`` of ``values`` (NaN where missing)."""
        v = np.asarray(values, dtype=float)
        m, up = self.method, self.higher_is_better
        if m == "percentile":
            return _m.percentile(v, groups, higher_is_better=up, unit=unit)
        if m == "minmax":
            return _m.minmax(v, groups, higher_is_better=up, unit=unit)
        if m == "bands":
            s = _m.bands(v, self.thresholds, self.scores)
            return s if up else unit - s
        if m == "curve":
            s = _m.curve(v, self.points)
            return s if up else unit - s
        if m == "target":
            s = _m.target(v, self.target)
        elif m == "share":
            s = _m.share(v)
        else:
            s = _m.relative_to_best(v)
        if not up:
            s = np.clip(1.0 - s, 0.0, 1.0)
        return s if unit == 1 else unit * s


def weighted_total(
    scores: Sequence,
    weights: Sequence[float],
    *,
    renormalise: bool = True,
    min_basis: float = 0.0,
    factor: float = 1.0,
):
    """The weighted total of per-measure scores (arrays of one shape, NaN = not measured).

    Accumulated measure by measure in the given order (so the result does not depend on how
    many measures there are).

    Parameters
    ----------
    scores : sequence of arrays
        One array per measure.
    weights : sequence of float
        One weight per measure.
    renormalise : bool
        ``True``: ``factor * sum(w * s) / sum(w)`` over the measures an entity has (NaN when
        none, or when they carry less than ``min_basis`` of the total weight). ``False``:
        ``sum(w * s)`` with a missing measure counting 0.
    min_basis : float
        Least share of the weights that must be measured for a total.
    factor : float
        Multiplies the re-normalised mean (100 turns shares into points).

    Returns
    -------
    (total, basis) : arrays
        The total and the share of the weights that was measured.

    Examples
    --------
    >>> t, b = weighted_total([np.array([1.0, np.nan]), np.array([0.0, 0.5])], [0.75, 0.25])
    >>> t.tolist(), b.tolist()
    ([0.75, 0.5], [1.0, 0.25])
    >>> weighted_total([np.array([1.0, np.nan])], [0.5], renormalise=False)[0].tolist()
    [0.5, 0.0]
    """
    if not len(scores):
        raise ValueError("weighted_total needs at least one measure")
    shape = np.broadcast_shapes(*(np.shape(s) for s in scores))
    num = np.zeros(shape)
    den = np.zeros(shape)
    for s, w in zip(scores, weights, strict=True):
        s = np.asarray(s, dtype=float)
        has = ~np.isnan(s)
        num = num + np.where(has, w * np.where(has, s, 0.0), 0.0)
        den = den + np.where(has, w, 0.0)
    whole = float(sum(weights))
    basis = den / whole if whole > 0 else np.zeros(shape)
    if not renormalise:
        return num, basis
    ok = (den > 0) & (basis >= min_basis - 1e-12)
    total = np.where(ok, factor * num / np.where(den > 0, den, 1.0), np.nan)
    return total, basis


def grade_of(totals, grades: Sequence[tuple]) -> pd.Categorical:
    """The grade of each total by bands ``(grade, min, max)``: ``[min, max)``, the top one
    (``max == 100``) closed; categories in the order given (best first).

    >>> list(grade_of([95, 70, 12.5], [("A", 70, 100), ("B", 0, 70)]))
    ['A', 'A', 'B']
    """
    s = np.asarray(totals, dtype=float)
    names = [g[0] for g in grades]
    codes = np.full(len(s), -1)
    for i, (_, lo, hi, *_) in enumerate(grades):
        inside = (s >= lo) & ((s < hi) | ((hi == 100) & (s <= hi)))
        codes = np.where((codes < 0) & inside, i, codes)
    return pd.Categorical.from_codes(codes, categories=names)


def gate_passes(values, minimum: float) -> np.ndarray:
    """A gate (threshold) on a measure: measured and at least ``minimum``.

    >>> gate_passes([0.9, 0.7, np.nan], 0.8).tolist()
    [True, False, False]
    """
    v = np.asarray(values, dtype=float)
    return ~np.isnan(v) & (np.nan_to_num(v, nan=-np.inf) >= minimum)


@dataclass(frozen=True)
class ScoreResult:
    """What :meth:`WeightedScorecard.score` returns (nothing is stored on the scorecard).

    Attributes
    ----------
    scores : DataFrame
        One column per measure that could be computed (``0..unit``, NaN = missing), the
        frame's index.
    total : Series
        The weighted total (``score``).
    grade : Series or None
        The grade of the total (categorical, best first) when the card has grade bands.
    basis : Series
        Share of the weights measured for each entity (1 = every measure).
    notes : tuple of str
        Measures skipped (column absent) and comparison groups that fell back.
    used : tuple of str
        Keys of the measures in ``scores``.
    groups : tuple of str
        Group columns (``within``) the percentile / minmax measures used.
    """

    scores: pd.DataFrame
    total: pd.Series
    grade: pd.Series | None
    basis: pd.Series
    notes: tuple[str, ...]
    used: tuple[str, ...]
    groups: tuple[str, ...] = ()
    weights: Mapping[str, float] = field(default_factory=dict)
    strong: float = 70.0
    weak: float = 40.0

    def frame(self) -> pd.DataFrame:
        """The measure scores, ``score`` and ``grade`` (when graded) in one frame."""
        out = self.scores.copy()
        out["score"] = self.total
        if self.grade is not None:
            out["grade"] = self.grade
        return out

    def explain(self, n: int | None = None) -> pd.DataFrame:
        """Per entity: ``strengths`` (measure keys scoring >= ``strong``, best first),
        ``weaknesses`` (<= ``weak``, worst first), ``missing`` (measures not measured: their
        weight went to the others), ``basis`` (share of the weights measured); ``n`` keeps the
        first ``n`` strengths and weaknesses."""
        return strengths_weaknesses(
            self.scores, self.used, strong=self.strong, weak=self.weak, n=n, basis=self.basis
        )


def strengths_weaknesses(
    scores: pd.DataFrame,
    keys: Sequence[str],
    *,
    strong: float = 70.0,
    weak: float = 40.0,
    n: int | None = None,
    basis: pd.Series | None = None,
) -> pd.DataFrame:
    """Strengths, weaknesses and missing measures of each row of a frame of measure scores.

    >>> f = pd.DataFrame({"a": [90.0, 10.0], "b": [75.0, np.nan]})
    >>> strengths_weaknesses(f, ["a", "b"])[["strengths", "weaknesses", "missing"]]
      strengths weaknesses missing
    0    [a, b]         []      []
    1        []        [a]     [b]
    """
    keys = [k for k in keys if k in scores.columns]
    rows = []
    for _, row in scores[keys].iterrows():
        vals = {k: row[k] for k in keys if pd.notna(row[k])}
        good = sorted((k for k, v in vals.items() if v >= strong), key=lambda k: -vals[k])
        bad = sorted((k for k, v in vals.items() if v <= weak), key=lambda k: vals[k])
        rows.append(
            {
                "strengths": good[:n] if n is not None else good,
                "weaknesses": bad[:n] if n is not None else bad,
                "missing": [k for k in keys if k not in vals],
            }
        )
    out = pd.DataFrame(rows, index=scores.index, columns=["strengths", "weaknesses", "missing"])
    if basis is not None:
        out["basis"] = basis
    return out


@dataclass(frozen=True)
class WeightedScorecard:
    """Weighted, directional, normalised measures with optional grade bands.

    Parameters
    ----------
    measures : sequence of Measure
    grades : sequence of (grade, min, max), optional
        Bands of the total, best first (see :func:`grade_of`).
    unit : float
        Top score of one measure (100 = points, 1 = shares).
    factor : float
        Multiplies the weighted mean into the total (100 turns shares into points).
    min_basis : float
        No total for an entity measured on less than this share of the weights.
    renormalise : bool
        ``False``: the total is the plain weighted sum, a missing measure counting 0 (see
        :func:`weighted_total`).
    round_total : int, optional
        Decimals the total is rounded to (keeps grade boundaries stable).
    within_fallback : dict, optional
        ``{group column: (larger groups, ...)}`` to compare in when a ``within`` column is
        missing; ``everyone`` names the last resort in the note.
    source : str
        Where the card came from (file), for messages.
    """

    measures: tuple[Measure, ...]
    grades: tuple = ()
    unit: float = 100.0
    factor: float = 1.0
    min_basis: float = 0.0
    renormalise: bool = True
    round_total: int | None = None
    within_fallback: Mapping[str, tuple] = field(default_factory=dict)
    everyone: str = "all entities"
    source: str = "<scorecard>"
    strong: float = 70.0
    weak: float = 40.0

    def measure_scores(self, frame: pd.DataFrame):
        """``({key: scores}, notes, groups)`` of the measures computable from ``frame``."""
        notes: list[str] = []
        used: dict[str, np.ndarray] = {}
        groups: list[str] = []
        for m in self.measures:
            raw = m.raw(frame)
            if raw is None:
                if m.optional:
                    notes.append(
                        f"{m.key}: skipped ({m.source!r} not available), weights re-normalised"
                    )
                    continue
                raise ScoringError(
                    f"{self.source}: dimensions.{m.key}: "
                    + (
                        f"column {m.column!r} not in the features (available: "
                        f"{list(frame.columns)})"
                        if m.column is not None
                        else f"formula {m.formula!r} cannot be computed from the features"
                    )
                )
            within = m.within
            if within and within not in frame.columns:
                # a client export without territories (or regions): compare within the next
                # larger scope the data has, and say so
                fallback = next(
                    (c for c in self.within_fallback.get(within, ()) if c in frame), None
                )
                notes.append(
                    f"{m.key}: no {within!r} in the data; compared within "
                    f"{fallback or self.everyone}"
                )
                within = fallback
            grp = frame[within].to_numpy() if within else None
            if within and m.within in frame.columns:
                groups.append(within)
            used[m.key] = m.normalise(raw.astype(float).to_numpy(), grp, unit=self.unit)
        return used, notes, sorted(set(groups))

    def score(self, frame: pd.DataFrame) -> ScoreResult:
        """Score every row of ``frame`` (stateless: everything is in the result)."""
        used, notes, groups = self.measure_scores(frame)
        if not used:
            raise ScoringError(f"{self.source}: dimensions: none of them can be computed")
        weights = {m.key: m.weight for m in self.measures if m.key in used}
        total, basis = weighted_total(
            list(used.values()),
            list(weights.values()),
            renormalise=self.renormalise,
            min_basis=self.min_basis,
            factor=self.factor,
        )
        if self.round_total is not None:
            total = np.round(total, self.round_total)
        scores = pd.DataFrame(used, index=frame.index)
        total_s = pd.Series(total, index=frame.index, name="score")
        grade = (
            pd.Series(grade_of(total, self.grades), index=frame.index, name="grade")
            if self.grades
            else None
        )
        return ScoreResult(
            scores=scores,
            total=total_s,
            grade=grade,
            basis=pd.Series(basis, index=frame.index, name="basis"),
            notes=tuple(notes),
            used=tuple(used),
            groups=tuple(groups),
            weights=weights,
            strong=self.strong * self.unit / 100,
            weak=self.weak * self.unit / 100,
        )
