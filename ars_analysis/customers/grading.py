"""The grading scorecard (核心客户评估标准 / 考核分级); public via :mod:`ars_analysis.customers`.

A scorecard is a YAML file a consultant reads and edits (see ``config/scorecard_default.yml``)::

    name: {zh: ..., en: ...}
    id: customer_id                 # identifier column of the feature table
    dimensions:
      sales:                        # key of the dimension
        label: {zh: 销售规模, en: sales volume}
        column: revenue             # a feature column ... or
        # formula: "gross_margin / revenue"   # ... a derived measure (DataFrame.eval syntax)
        method: percentile          # percentile | bands | minmax
        within: territory           # percentile/minmax within groups (optional)
        higher_is_better: true      # false: low values score high (e.g. days overdue)
        weight: 0.25
        optional: false             # true: skipped (weights re-normalised) when the column is
                                    # absent, e.g. payment measures without receivables
      growth:
        column: growth
        method: bands
        thresholds: [-0.1, 0, 0.1]  # value < -0.1 -> 0; [-0.1, 0) -> 40; [0, 0.1) -> 70; >= 0.1 -> 100
        scores: [0, 40, 70, 100]
        weight: 0.2
    grades:                         # bands of the total score, [min, max), the top one closed
      A: {min: 70, max: 100, label: {zh: 目标客户, en: target customer}}
      B: {min: 50, max: 70, label: {zh: 潜在核心客户, en: potential core customer}}
      C: {min: 0, max: 50, label: {zh: 待推进客户, en: customer to be developed}}

Scores (0-100 per dimension):

* ``percentile``: ``100 * (r - 1) / (m - 1)`` where ``r`` is the value's average rank (ties share
  it) among the ``m`` customers of its group with a value; the best gets 100, the worst 0, a
  group of one 50.
* ``minmax``: ``100 * (x - min) / (max - min)`` within the group (50 when all are equal).
* ``bands``: ``scores[i]`` where ``i`` is the number of thresholds <= x.

The total is the weighted mean of the dimension scores; a customer missing a value (e.g. no
growth for a new customer) is scored on the other dimensions with their weights re-normalised.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import Field, model_validator

from ars_analysis.client import check_lang
from ars_analysis.config import (
    ConfigError,
    ConfigModel,
    Layer,
    base_file,
    merge_layers,
    problem,
    read_yaml,
    validate_config,
)
from ars_analysis.scoring import (
    Measure,
    ScoreResult,
    ScoringError,
    WeightedScorecard,
    grade_of,
    strengths_weaknesses,
)

#: The scorecard shipped with the package.
DEFAULT_SCORECARD = "scorecard_default.yml"

METHODS = ("percentile", "bands", "minmax")

#: Dimension scores at or above this are strengths in the explanation, at or below weaknesses.
STRONG, WEAK = 70.0, 40.0


#: When a dimension's ``within`` column is missing, the next larger scope to compare in.
_WITHIN_FALLBACK = {"territory": ("region",), "city": ("territory", "region")}


class ScorecardError(ConfigError):
    """A scorecard file or dict is invalid; the message names the file and the key."""


def _default_path() -> Path:
    return base_file(DEFAULT_SCORECARD)


Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Texts = str | dict[str, str]


class Dimension(ConfigModel):
    """One dimension of a scorecard file (see the module docstring)."""

    label: Texts | None = None
    column: str | None = None
    formula: str | None = None
    method: Literal["percentile", "bands", "minmax"] = "percentile"
    within: str | None = None
    higher_is_better: bool = True
    weight: Number = Field(ge=0)
    optional: bool = False
    requires: str | None = None
    thresholds: list[Number] | None = None
    scores: list[Number] | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self):
        if (self.column is None) == (self.formula is None):
            raise problem("", "exactly one of 'column' or 'formula'", None)
        if self.method == "bands":
            th, sc = self.thresholds, self.scores
            if not th or sc is None:
                raise problem("", "method 'bands' with lists 'thresholds' and 'scores'", None)
            if len(sc) != len(th) + 1:
                raise problem(
                    "scores", f"len(thresholds) + 1 = {len(th) + 1} values", f"{len(sc)} values"
                )
            if any(b <= a for a, b in zip(th, th[1:], strict=False)):
                raise problem("thresholds", "strictly increasing values", th)
            if any(not 0 <= x <= 100 for x in sc):
                raise problem("scores", "values within 0..100", sc)
        return self


class Grade(ConfigModel):
    """A grade band ``[min, max)`` of the total score."""

    min: Number
    max: Number
    label: Texts | None = None

    @model_validator(mode="after")
    def _band(self):
        if not 0 <= self.min < self.max <= 100:
            raise problem("", "0 <= min < max <= 100", {"min": self.min, "max": self.max})
        return self


class ScorecardSpec(ConfigModel):
    """A scorecard file (``config/scorecard_default.yml``)."""

    name: Texts = {"zh": "评分卡", "en": "Scorecard"}
    id: str = "customer_id"
    dimensions: dict[str, Dimension] = Field(min_length=1)
    grades: dict[str, Grade] = Field(min_length=1)

    @model_validator(mode="after")
    def _weights_and_bands(self):
        total = sum(d.weight for d in self.dimensions.values())
        if not (abs(total - 1) <= 0.01 or abs(total - 100) <= 1):
            raise problem(
                "dimensions.*.weight",
                "weights that sum to 1 (or 100 as percentages)",
                f"a sum of {total:g}",
            )
        bands = sorted(
            ((str(g), b.min, b.max) for g, b in self.grades.items()), key=lambda t: -t[1]
        )
        for (g1, lo1, _), (g2, _, hi2) in zip(bands, bands[1:], strict=False):
            if hi2 > lo1:
                raise problem(
                    f"grades.{g2}", f"no overlap with grade {g1}: {g2}.max <= {g1}.min = {lo1:g}",
                    hi2,
                )  # fmt: skip
            if hi2 < lo1:
                raise problem(
                    f"grades.{g2}",
                    f"no gap before grade {g1}: {g2}.max = {g1}.min = {lo1:g} (scores in "
                    "between would have no grade)",
                    hi2,
                )
        if bands[0][2] != 100 or bands[-1][1] != 0:
            raise problem("grades", "bands that cover 0..100 (lowest min 0, highest max 100)", None)
        return self


def _texts(v, key: str) -> dict:
    if v is None:
        return {"zh": key, "en": key}
    return {"zh": v, "en": v} if isinstance(v, str) else dict(v)


class Scorecard:
    """A grading scorecard: dimensions, scoring rules, weights and grade bands.

    Parameters
    ----------
    spec : dict, str or Path, optional
        The scorecard as a dict, or the path of its YAML file; ``None`` = the packaged
        ``config/scorecard_default.yml``.
    layers : sequence of Layer, optional
        Overrides merged deep on top (e.g. a client configuration's ``scorecard``:
        ``Layer(cfg.source, cfg.scorecard)``), validated after merging; an error names the
        file the bad value came from.

    Attributes
    ----------
    dimensions : dict
        Validated dimensions by key.
    grades : list of (grade, min, max, label dict)
        Grade bands, best first.

    Examples
    --------
    >>> import pandas as pd
    >>> card = Scorecard({"dimensions": {
    ...     "sales": {"column": "revenue", "method": "minmax", "weight": 0.5},
    ...     "growth": {"column": "growth", "method": "bands", "thresholds": [0, 0.1],
    ...                "scores": [0, 50, 100], "weight": 0.5}},
    ...     "grades": {"A": {"min": 70, "max": 100}, "B": {"min": 40, "max": 70},
    ...                "C": {"min": 0, "max": 40}}})
    >>> f = pd.DataFrame({"customer_id": ["x", "y"], "revenue": [100.0, 0.0],
    ...                   "growth": [0.05, 0.2]})
    >>> card.score(f)[["customer_id", "sales", "growth", "score", "grade"]]
      customer_id  sales  growth  score grade
    0           x  100.0    50.0   75.0     A
    1           y    0.0   100.0   50.0     B
    """

    def __init__(self, spec=None, *, layers: Sequence[Layer] = ()):
        if spec is None:
            spec = _default_path()
        if isinstance(spec, (str, Path)):
            self.source = str(spec)
            spec = read_yaml(spec, what="scorecard", error=ScorecardError)
        else:
            self.source = "<dict>"
        if not isinstance(spec, dict):
            raise ScorecardError(
                f"{self.source}: (top level): expected a mapping with 'dimensions' and 'grades'"
            )
        merged, origin = merge_layers([Layer(self.source, spec), *layers])
        model = validate_config(
            merged, ScorecardSpec, source=self.source, origin=origin, error=ScorecardError
        )
        self.spec = merged
        self.name = _texts(model.name, "Scorecard")
        self.id = model.id
        total = sum(d.weight for d in model.dimensions.values())
        self.dimensions = {
            str(k): {
                "key": str(k),
                "label": _texts(d.label, str(k)),
                "column": d.column,
                "formula": d.formula,
                "method": d.method,
                "within": d.within,
                "higher_is_better": d.higher_is_better,
                "weight": float(d.weight) / total,
                "optional": bool(d.optional or d.requires),
                "requires": d.requires,
                **(
                    {
                        "thresholds": [float(t) for t in d.thresholds],
                        "scores": [float(x) for x in d.scores],
                    }
                    if d.method == "bands"
                    else {}
                ),
            }  # fmt: skip
            for k, d in model.dimensions.items()
        }
        bands = [
            (str(g), float(b.min), float(b.max), _texts(b.label, str(g)))
            for g, b in model.grades.items()
        ]
        self.grades = sorted(bands, key=lambda t: -t[1])

    # -- scoring ---------------------------------------------------------------------------
    def to_weighted(self) -> WeightedScorecard:
        """The card as the one scoring mechanism (:class:`ars_analysis.scoring.WeightedScorecard`)."""
        return WeightedScorecard(
            measures=tuple(
                Measure(
                    key=k,
                    column=d["column"],
                    formula=d["formula"],
                    method=d["method"],
                    weight=d["weight"],
                    higher_is_better=d["higher_is_better"],
                    within=d["within"],
                    thresholds=tuple(d.get("thresholds", ())),
                    scores=tuple(d.get("scores", ())),
                    optional=d["optional"],
                )
                for k, d in self.dimensions.items()
            ),
            grades=tuple(self.grades),
            unit=100.0,
            round_total=10,
            within_fallback=_WITHIN_FALLBACK,
            everyone="all distributors",
            source=self.source,
            strong=STRONG,
            weak=WEAK,
        )

    def evaluate(self, features: pd.DataFrame) -> ScoreResult:
        """Score ``features`` and return everything: dimension ``scores``, ``total``,
        ``grade``, ``notes`` (dimensions skipped, comparison groups that fell back), ``used``
        and per distributor :meth:`~ars_analysis.scoring.ScoreResult.explain`.

        Stateless: the scorecard is not changed (see :meth:`score` for the table).
        """
        if self.id not in features.columns:
            raise ScorecardError(f"{self.source}: id: features have no column {self.id!r}")
        try:
            return self.to_weighted().score(features)
        except ScoringError as exc:
            raise ScorecardError(str(exc)) from None

    def score(self, features: pd.DataFrame) -> pd.DataFrame:
        """Score and grade each row of ``features``.

        Parameters
        ----------
        features : DataFrame
            One row per customer (e.g. :func:`ars_analysis.customers.customer_features`).

        Returns
        -------
        DataFrame
            The id column, group columns used (``within``), one column per dimension with its
            0-100 score (NaN when the value is missing), ``score`` (weighted total), ``grade``.
            Dimensions whose column is absent are skipped when ``optional`` (the notes of
            :meth:`evaluate` say so), otherwise a :class:`ScorecardError` names the key and
            column.
        """
        res = self.evaluate(features)
        out = features[[self.id, *res.groups]].copy()
        for k in res.used:
            out[k] = res.scores[k].to_numpy()
        out["score"] = res.total.to_numpy()
        out["grade"] = res.grade.to_numpy()
        return out

    def strengths_weaknesses(self, scored: pd.DataFrame, n: int | None = None) -> pd.DataFrame:
        """Strengths (dimension scores >= 70), weaknesses (<= 40) and missing dimensions of
        each row of a :meth:`score` table (keys, best / worst first; the wording is the
        presentation's)."""
        keys = [k for k in self.dimensions if k in scored.columns]
        return strengths_weaknesses(scored, keys, strong=STRONG, weak=WEAK, n=n)

    def grade(self, scores) -> pd.Categorical:
        """Grade of each total score by the bands (``[min, max)``, the top band closed)."""
        return grade_of(scores, self.grades)

    def grade_label(self, grade: str, lang: str = "zh") -> str:
        """Name of a grade in ``lang`` (e.g. ``A`` -> 目标客户)."""
        check_lang(lang)
        for g, _, _, lab in self.grades:
            if g == grade:
                return lab.get(lang, g)
        raise KeyError(f"no grade {grade!r} in {self.source}")

    def dimension_label(self, key: str, lang: str = "zh") -> str:
        """Name of dimension ``key`` in ``lang``."""
        check_lang(lang)
        return self.dimensions[key]["label"].get(lang, key)

    def dimension_labels(self, lang: str = "zh") -> dict[str, str]:
        """``{dimension key: name in lang}``, e.g. to rename the score columns for a report."""
        return {k: self.dimension_label(k, lang) for k in self.dimensions}
