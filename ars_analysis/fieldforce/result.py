"""The result of the field-execution analysis (:class:`FieldExecution`)."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

# --------------------------------------------------------------------------------------------
# the analysis of a report


@dataclass
class FieldExecution:
    """Everything report 04 shows, for one scope (national or a region), in one vocabulary.

    Built by :func:`analyse_field_execution`; numbers and frames only (no wording, no
    language). Rep measures are those of the reps of the scope, terminal measures those of the
    terminals of the scope; both are computed on the whole dataset and then filtered, so a
    region's numbers are the same in the national and in the regional report.
    """

    region: object
    sales_period: tuple | None
    visit_period: tuple
    standards: dict
    reps: pd.DataFrame
    n_reps: int
    top: pd.DataFrame
    top_terminal_ids: list
    completion: pd.DataFrame
    completion_by_region: pd.DataFrame
    completion_total: dict
    distances: pd.DataFrame
    distance_by_region: pd.DataFrame
    distance_total: dict
    frequency: pd.DataFrame
    frequency_by_region: pd.DataFrame
    frequency_total: dict
    core_coverage: pd.DataFrame | None
    core_total: dict | None
    activities: pd.DataFrame
    activities_by_region: pd.DataFrame
    times: pd.DataFrame
    time_total: dict
    attainment: pd.DataFrame
    attainment_total: dict
    scorecard: pd.DataFrame
    correlation: dict
    issues: pd.DataFrame
    coaching: pd.DataFrame
    unvisited_top: pd.DataFrame
    new_terminals: pd.DataFrame
    new_terminals_available: bool
    history_months: float

    def results(self) -> dict:
        """The key numbers for ``results.json`` (tests and cross-report checks; never shown)."""

        def r(v, d=4):
            return None if v is None or pd.isna(v) else round(float(v), d)

        ct, ft, tt = self.completion_total, self.frequency_total, self.time_total
        return {
            "visit_completion": r(ct.get("visit_completion")),
            "visit_order_rate": r(ct.get("visit_order_rate")),
            "far_checkin_share": r(self.distance_total["far_checkin_share"]),
            "top_terminal_coverage": r(ft.get("top_terminal_coverage")),
            "frequency_compliance": r(ft.get("frequency_compliance")),
            "top_frequency_compliance": r(ft.get("top_frequency_compliance")),
            "avg_time_in_store_min": r(tt.get("avg_time_in_store_min"), 2),
            "visits_per_day": r(tt.get("visits_per_day"), 3),
            "attainment": r(self.attainment_total["attainment"]),
            "spearman_rho": r(self.correlation["rho"]),
            "spearman_p": r(self.correlation["p_value"]),
            "correlation_n": int(self.correlation["n"]),
            "n_problem_visits": int(len(self.issues)),
            "n_reps": int(self.n_reps),
            "top_terminal_ids": list(self.top_terminal_ids),
            "n_top_terminals": len(self.top_terminal_ids),
            "frequency_compliance_by_region": self.frequency_compliance_by_region,
            "n_unvisited_top_terminals": int(len(self.unvisited_top)),
            "n_reps_to_coach": int(self.coaching["rep_id"].nunique()),
            "n_new_terminals": int(len(self.new_terminals)) if self.new_terminals_available
            else None,
            "visit_period": [f"{d:%Y-%m-%d}" for d in self.visit_period],
        }  # fmt: skip

    @property
    def frequency_compliance_by_region(self) -> dict:
        """{region: share of the region's terminals meeting the visit-frequency standard}."""
        f = self.frequency_by_region
        return {str(r): float(v) for r, v in zip(f["region"], f["frequency_compliance"],
                                                 strict=True) if pd.notna(v)}  # fmt: skip
