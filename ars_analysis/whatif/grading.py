"""What-if on the core-customer definition: ABC cuts and scorecard weights.

:class:`GradingWhatIf` holds the features of every distributor of the period (computed once,
as the report does) and re-grades them for new scorecard weights and grade bands and re-classes
them for new ABC cuts: grade counts, the distributors whose grade or class changes against the
report, and the seedlings (选苗助长) under the new grades. With the report's settings it gives
the report's grades, classes and seedlings (tests/test_whatif.py).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import pandas as pd
import yaml

from ars_analysis.customers import DEFAULT_SCORECARD, Scorecard, scoped_abc, trend_seedlings

GRADES = ("A", "B", "C")


def scorecard_spec(scorecard_file=None) -> dict:
    """The scorecard YAML as a dict (``None``: the packaged default)."""
    if scorecard_file is None:
        text = (resources.files("ars_analysis") / "config" / DEFAULT_SCORECARD).read_text("utf-8")
    else:
        text = Path(scorecard_file).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def grading_settings(spec: dict, cuts=(0.8, 0.95)) -> dict[str, float]:
    """The settings a control can move: each dimension's weight (``weight.<dimension>``), the
    lower bound of each grade but the last (``grade_min.<grade>``) and the ABC cuts
    (``abc_cut_a``, ``abc_cut_b``).

    >>> s = grading_settings(scorecard_spec())
    >>> s["weight.sales"], s["grade_min.A"], s["abc_cut_a"]
    (0.2, 70.0, 0.8)
    """
    out = {f"weight.{k}": float(d["weight"]) for k, d in spec["dimensions"].items()}
    grades = list(spec["grades"])
    for g in grades[:-1]:
        out[f"grade_min.{g}"] = float(spec["grades"][g]["min"])
    out["abc_cut_a"], out["abc_cut_b"] = float(cuts[0]), float(cuts[1])
    return out


def edit_scorecard(spec: dict, settings: dict) -> dict:
    """A copy of the scorecard ``spec`` with new weights (re-normalised to sum 1 when they do
    not) and grade bounds (each grade's ``max`` follows the next higher grade's ``min``).

    >>> s = edit_scorecard(scorecard_spec(), {"weight.sales": 0.5, "grade_min.A": 60})
    >>> round(sum(d["weight"] for d in s["dimensions"].values()), 9), s["grades"]["B"]["max"]
    (1.0, 60.0)
    """
    spec = copy.deepcopy(spec)
    for key, value in settings.items():
        kind, _, name = key.partition(".")
        if kind == "weight":
            if name not in spec["dimensions"]:
                raise KeyError(f"scorecard has no dimension {name!r} (setting {key})")
            spec["dimensions"][name]["weight"] = float(value)
        elif kind == "grade_min":
            if name not in spec["grades"]:
                raise KeyError(f"scorecard has no grade {name!r} (setting {key})")
            spec["grades"][name]["min"] = float(value)
    total = sum(float(d["weight"]) for d in spec["dimensions"].values())
    if total <= 0:
        raise ValueError("scorecard weights: at least one weight must be positive")
    for d in spec["dimensions"].values():
        d["weight"] = float(d["weight"]) / total
    grades = list(spec["grades"])
    for higher, lower in zip(grades, grades[1:], strict=False):
        spec["grades"][lower]["max"] = spec["grades"][higher]["min"]
    return spec


@dataclass
class GradingOutcome:
    """What :meth:`GradingWhatIf.evaluate` returns (frames in the package's vocabulary)."""

    grade_counts: pd.DataFrame  # grade, n_report, n_whatif
    class_counts: pd.DataFrame  # abc_class, n_report, n_whatif
    grade_changes: pd.DataFrame  # customer_id, customer_name, revenue, grade_report, grade_whatif
    class_changes: pd.DataFrame  # customer_id, customer_name, revenue, class_report, class_whatif
    seedlings: pd.DataFrame  # customer_id, customer_name, revenue, trend, trend_low, ...
    scored: pd.DataFrame  # customer_id, score, grade of the scope


class GradingWhatIf:
    """Re-grade and re-class the distributors of a report's scope.

    Parameters
    ----------
    features : DataFrame
        :attr:`CoreCustomerResult.features` of the **national** analysis (every distributor).
    result : CoreCustomerResult
        The report's result (scope, grades, ABC classes, trend, seedling size floor).
    spec : dict
        The report's scorecard (:func:`scorecard_spec`).
    """

    def __init__(self, features: pd.DataFrame, result, spec: dict):
        self.features = features
        self.result = result
        self.spec = spec
        opts = result.options
        self.cuts = tuple(opts.get("cuts", (0.8, 0.95)))
        self.scope = opts.get("scope", "territory")
        self.min_group = opts.get("min_group", 10)
        self.measure = result.measure
        self._keep = set(result.scored["customer_id"])

    def settings(self) -> dict[str, float]:
        return grading_settings(self.spec, self.cuts)

    def evaluate(self, settings: dict | None = None) -> GradingOutcome:
        settings = {**self.settings(), **(settings or {})}
        spec = edit_scorecard(self.spec, settings)
        cuts = (settings["abc_cut_a"], settings["abc_cut_b"])
        if not 0 < cuts[0] < cuts[1] <= 1:
            raise ValueError(f"ABC cuts: expected 0 < A cut < B cut <= 1, got {cuts}")
        feats = self.features
        scored = Scorecard(spec).score(feats)[["customer_id", "score", "grade"]]
        abc = scoped_abc(feats, self.measure, scope=self.scope, min_group=self.min_group,
                         cuts=cuts)  # fmt: skip
        scored = scored[scored["customer_id"].isin(self._keep)].reset_index(drop=True)
        abc = abc[abc["customer_id"].isin(self._keep)].reset_index(drop=True)
        rep = self.result
        info = [c for c in ("customer_name", self.measure) if c in rep.scored]
        base = rep.scored[["customer_id", *info, "grade"]].merge(
            scored.rename(columns={"grade": "grade_whatif"}), on="customer_id"
        )
        base["grade"] = base["grade"].astype(str)
        base["grade_whatif"] = base["grade_whatif"].astype(str)
        grade_changes = base.loc[base["grade"] != base["grade_whatif"],
                                 ["customer_id", *info, "grade", "grade_whatif"]]  # fmt: skip
        grade_changes = grade_changes.rename(columns={"grade": "grade_report"})
        cls = rep.abc[["customer_id", "abc_class"]].merge(
            abc[["customer_id", "abc_class"]], on="customer_id", suffixes=("_report", "_whatif")
        )
        cls = cls.merge(base[["customer_id", *info]], on="customer_id")
        class_changes = cls[
            cls["abc_class_report"].astype(str) != cls["abc_class_whatif"].astype(str)
        ]
        grades = [g for g in spec["grades"]]
        grade_counts = pd.DataFrame({
            "grade": grades,
            "n_report": [int((base["grade"] == g).sum()) for g in grades],
            "n_whatif": [int((base["grade_whatif"] == g).sum()) for g in grades],
        })  # fmt: skip
        class_counts = pd.DataFrame({
            "abc_class": list("ABC"),
            "n_report": [int((cls["abc_class_report"].astype(str) == c).sum()) for c in "ABC"],
            "n_whatif": [int((cls["abc_class_whatif"].astype(str) == c).sum()) for c in "ABC"],
        })  # fmt: skip
        new = base[["customer_id", *info, "score", "grade_whatif"]].rename(
            columns={"grade_whatif": "grade"}
        )
        seeds = trend_seedlings(new, rep.trend, min_revenue=rep.size_floor)
        sort = [self.measure] if self.measure in info else []
        return GradingOutcome(
            grade_counts=grade_counts,
            class_counts=class_counts,
            grade_changes=grade_changes.sort_values(sort, ascending=False).reset_index(drop=True)
            if sort else grade_changes.reset_index(drop=True),
            class_changes=class_changes.reset_index(drop=True),
            seedlings=seeds,
            scored=new,
        )  # fmt: skip
