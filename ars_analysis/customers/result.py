"""The result of the core-customer analysis (:class:`CoreCustomerResult`) and its counts."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ars_analysis.customers.grading import Scorecard
from ars_analysis.customers.segments import CustomerSegmenter

__all__ = ["CoreCustomerResult", "core_counts"]

# ------------------------------------------------------------------------------------------------
# the whole analysis of a report: computed on all distributors, then filtered to the scope
# ------------------------------------------------------------------------------------------------
#: The counts of "core customers" a report can show, headline first (see :func:`core_counts`).
COUNT_DEFINITIONS = ("grade_a", "abc_a", "computed_abc_a", "matrix_aa", "grade_a_latest")


@dataclass
class CoreCustomerResult:
    """Everything the core-customer report shows, for one scope (national or a region).

    Frames are in the package's vocabulary (no wording, no language). Every per-distributor
    number (grade, ABC class, trend) was computed on all distributors of the period and then
    filtered, so a regional report agrees with the national one.
    """

    region: object
    measure: str
    sales_period: tuple
    n_all: int
    scorecard: Scorecard
    scored: pd.DataFrame
    features: pd.DataFrame
    abc: pd.DataFrame
    abc_summary: pd.DataFrame
    abc_groups: pd.DataFrame
    computed: pd.DataFrame
    computed_summary: pd.DataFrame
    matrix: pd.DataFrame
    counts: pd.DataFrame
    period_grades: pd.DataFrame
    movement_start: str | None
    movement_end: str | None
    transitions: pd.DataFrame | None
    movements: pd.DataFrame | None
    abc_movements: pd.DataFrame | None
    trend: pd.DataFrame
    size_floor: float
    seedlings: pd.DataFrame
    at_risk: pd.DataFrame
    gaps: pd.DataFrame
    top_terminal_ids: list
    segmenter: CustomerSegmenter | None = None
    segments: pd.DataFrame | None = None
    segment_profiles: pd.DataFrame | None = None
    segment_reason: str | None = None
    options: dict = field(default_factory=dict)

    @property
    def grades(self) -> dict:
        """``{customer_id: grade}`` for the report's scope."""
        return dict(zip(self.scored["customer_id"], self.scored["grade"].astype(str), strict=True))

    @property
    def n_customers(self) -> int:
        return len(self.scored)

    def grade_counts(self) -> pd.DataFrame:
        """``grade``, ``n_customers``, ``revenue``, ``revenue_share`` per grade of the scope."""
        names = [g[0] for g in self.scorecard.grades]
        s = self.scored
        total = s["revenue"].clip(lower=0).sum()
        out = (
            s.assign(_v=s["revenue"].clip(lower=0), grade=s["grade"].astype(str))
            .groupby("grade")
            .agg(n_customers=("customer_id", "size"), revenue=("_v", "sum"))
            .reindex(names, fill_value=0)
            .rename_axis("grade")
            .reset_index()
        )
        out["n_customers"] = out["n_customers"].astype("int64")
        out["revenue_share"] = out["revenue"] / total if total > 0 else np.nan
        return out


def core_counts(
    scored: pd.DataFrame,
    abc: pd.DataFrame,
    computed: pd.DataFrame,
    matrix_items: pd.DataFrame,
    latest: pd.DataFrame | None,
    *,
    measure: str = "revenue",
) -> pd.DataFrame:
    """How the counts of "core customers" relate: the headline (scorecard grade A) and the
    other counts a report shows, each with its share of sales and its overlap with grade A.

    Returns
    -------
    DataFrame
        ``definition`` (one of :data:`COUNT_DEFINITIONS`), ``n_customers``, ``revenue_share``,
        ``n_grade_a`` (of them, graded A).
    """
    grade_a = set(scored.loc[scored["grade"].astype(str) == "A", "customer_id"])
    revenue = scored.set_index("customer_id")[measure].clip(lower=0)
    total = revenue.sum()
    sets = {
        "grade_a": grade_a,
        "abc_a": set(abc.loc[abc["abc_class"].astype(str) == "A", "customer_id"]),
        "computed_abc_a": set(
            computed.loc[computed["abc_class"].astype(str) == "A", "customer_id"]
        ),
        "matrix_aa": set(matrix_items.loc[matrix_items["cell"] == "AA", "customer_id"]),
    }
    if latest is not None:
        sets["grade_a_latest"] = set(latest.loc[latest["grade"].astype(str) == "A", "customer_id"])
    rows = []
    for key, ids in sets.items():
        ids = ids & set(revenue.index)
        rows.append(
            {
                "definition": key,
                "n_customers": len(ids),
                # summed in sorted order: a set's order (and so the last digit of a float
                # sum over it) changes with PYTHONHASHSEED
                "revenue_share": float(revenue.reindex(sorted(ids, key=str)).sum() / total)
                if total > 0
                else np.nan,
                "n_grade_a": len(ids & grade_a),
            }
        )
    return pd.DataFrame(rows)
