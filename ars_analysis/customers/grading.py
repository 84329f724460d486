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

import math
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from ars_analysis.client import check_lang
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
_DIM_KEYS = {
    "label",
    "column",
    "formula",
    "method",
    "within",
    "higher_is_better",
    "weight",
    "optional",
    "requires",
    "thresholds",
    "scores",
    "note",
}

#: Dimension scores at or above this are strengths in the explanation, at or below weaknesses.
STRONG, WEAK = 70.0, 40.0


#: When a dimension's ``within`` column is missing, the next larger scope to compare in.
_WITHIN_FALLBACK = {"territory": ("region",), "city": ("territory", "region")}


class ScorecardError(ValueError):
    """A scorecard file or dict is invalid; the message names the file and the key."""


def _default_path() -> Path:
    return Path(str(resources.files("ars_analysis") / "config" / DEFAULT_SCORECARD))


def _num(x, where: str) -> float:
    if isinstance(x, bool):
        raise ScorecardError(f"{where}: expected a number, got {x!r}")
    try:
        v = float(x)
    except (TypeError, ValueError):
        raise ScorecardError(f"{where}: expected a number, got {x!r}") from None
    if math.isnan(v):
        raise ScorecardError(f"{where}: expected a number, got NaN")
    return v


class Scorecard:
    """A grading scorecard: dimensions, scoring rules, weights and grade bands.

    Parameters
    ----------
    spec : dict, str or Path, optional
        The scorecard as a dict, or the path of its YAML file; ``None`` = the packaged
        ``config/scorecard_default.yml``.

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

    def __init__(self, spec=None):
        if spec is None:
            spec = _default_path()
        if isinstance(spec, (str, Path)):
            path = Path(spec)
            self.source = str(path)
            try:
                text = path.read_text(encoding="utf-8")
            except FileNotFoundError:
                raise ScorecardError(f"scorecard file {path} not found") from None
            try:
                spec = yaml.safe_load(text)
            except yaml.YAMLError as e:
                raise ScorecardError(f"{path}: not valid YAML: {e}") from None
        else:
            self.source = "<dict>"
        if not isinstance(spec, dict):
            raise ScorecardError(
                f"{self.source}: a scorecard must be a mapping with 'dimensions' and 'grades'"
            )
        self.spec = spec
        self.name = spec.get("name", {"zh": "评分卡", "en": "Scorecard"})
        if isinstance(self.name, str):
            self.name = {"zh": self.name, "en": self.name}
        self.id = spec.get("id", "customer_id")
        self.dimensions = self._check_dimensions(spec.get("dimensions"))
        self.grades = self._check_grades(spec.get("grades"))

    # -- validation ------------------------------------------------------------------------
    def _err(self, key: str, msg: str) -> ScorecardError:
        return ScorecardError(f"{self.source}: {key}: {msg}")

    def _check_dimensions(self, dims) -> dict:
        if not isinstance(dims, dict) or not dims:
            raise self._err("dimensions", "expected a mapping of dimension key -> settings")
        out = {}
        for key, d in dims.items():
            where = f"dimensions.{key}"
            if not isinstance(d, dict):
                raise self._err(where, "expected a mapping of settings")
            unknown = set(d) - _DIM_KEYS
            if unknown:
                raise self._err(
                    where, f"unknown setting(s) {sorted(unknown)}; allowed: {sorted(_DIM_KEYS)}"
                )
            if ("column" in d) == ("formula" in d):
                raise self._err(where, "give exactly one of 'column' or 'formula'")
            method = d.get("method", "percentile")
            if method not in METHODS:
                raise self._err(f"{where}.method", f"must be one of {METHODS}, got {method!r}")
            if "weight" not in d:
                raise self._err(f"{where}.weight", "missing")
            w = _num(d["weight"], f"{self.source}: {where}.weight")
            if w < 0:
                raise self._err(f"{where}.weight", f"must be >= 0, got {w}")
            lab = d.get("label", {"zh": str(key), "en": str(key)})
            if isinstance(lab, str):
                lab = {"zh": lab, "en": lab}
            dim = {
                "key": str(key),
                "label": lab,
                "column": d.get("column"),
                "formula": d.get("formula"),
                "method": method,
                "within": d.get("within"),
                "higher_is_better": bool(d.get("higher_is_better", True)),
                "weight": w,
                "optional": bool(d.get("optional", False) or d.get("requires")),
                "requires": d.get("requires"),
            }
            if method == "bands":
                th, sc = d.get("thresholds"), d.get("scores")
                if not isinstance(th, list) or not isinstance(sc, list) or not th:
                    raise self._err(where, "method 'bands' needs lists 'thresholds' and 'scores'")
                th = [_num(t, f"{self.source}: {where}.thresholds") for t in th]
                sc = [_num(s, f"{self.source}: {where}.scores") for s in sc]
                if len(sc) != len(th) + 1:
                    raise self._err(
                        f"{where}.scores",
                        f"needs len(thresholds) + 1 = {len(th) + 1} values, got {len(sc)}",
                    )
                if any(b <= a for a, b in zip(th, th[1:], strict=False)):
                    raise self._err(f"{where}.thresholds", f"must be strictly increasing: {th}")
                if any(not 0 <= s <= 100 for s in sc):
                    raise self._err(f"{where}.scores", f"must be within 0..100: {sc}")
                dim["thresholds"], dim["scores"] = th, sc
            out[str(key)] = dim
        total = sum(d["weight"] for d in out.values())
        if not (abs(total - 1) <= 0.01 or abs(total - 100) <= 1):
            raise self._err(
                "dimensions.*.weight",
                f"weights must sum to 1 (or 100 as percentages), they sum to {total:g}",
            )
        for d in out.values():
            d["weight"] = d["weight"] / total
        return out

    def _check_grades(self, grades) -> list:
        if not isinstance(grades, dict) or not grades:
            raise self._err("grades", "expected a mapping of grade -> {min, max, label}")
        bands = []
        for g, b in grades.items():
            where = f"grades.{g}"
            if not isinstance(b, dict) or "min" not in b or "max" not in b:
                raise self._err(where, "needs 'min' and 'max' (score band, 0-100)")
            lo = _num(b["min"], f"{self.source}: {where}.min")
            hi = _num(b["max"], f"{self.source}: {where}.max")
            if not 0 <= lo < hi <= 100:
                raise self._err(where, f"needs 0 <= min < max <= 100, got min={lo:g}, max={hi:g}")
            lab = b.get("label", {"zh": str(g), "en": str(g)})
            if isinstance(lab, str):
                lab = {"zh": lab, "en": lab}
            bands.append((str(g), lo, hi, lab))
        bands.sort(key=lambda t: -t[1])
        for (g1, lo1, _, _), (g2, _, hi2, _) in zip(bands, bands[1:], strict=False):
            if hi2 > lo1:
                raise self._err(
                    f"grades.{g2}", f"band overlaps grade {g1}: {g2}.max={hi2:g} > {g1}.min={lo1:g}"
                )
            if hi2 < lo1:
                raise self._err(
                    f"grades.{g2}",
                    f"gap between grade {g2} (max {hi2:g}) and grade "
                    f"{g1} (min {lo1:g}): scores in between have no "
                    "grade",
                )
        if bands[0][2] != 100 or bands[-1][1] != 0:
            raise self._err("grades", "the bands must cover 0..100 (lowest min 0, highest max 100)")
        return bands

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
