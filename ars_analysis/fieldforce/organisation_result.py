"""The result of the field-organisation analysis (:class:`FieldOrganisation`): lines and roles,
distributor visits, advisor development and the coaching list of one report scope."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from ars_analysis.fieldforce.organisation import Organisation


@dataclass
class FieldOrganisation:
    """Numbers and frames only (no wording). Role peers, top terminals, distributor grades and
    tenure are defined on the whole dataset, then the frames are filtered to the scope.

    Attributes
    ----------
    role_card : rep scorecard of the scope's reps scored with their role's KPI set
        (``role`` column added).
    within : :func:`~ars_analysis.fieldforce.roles.within_role` rows of the scope's reps.
    roles : :func:`~ars_analysis.fieldforce.roles.role_summary` of the scope.
    line_coverage, line_summary, line_gaps : :mod:`~ars_analysis.fieldforce.lines` frames.
    distributors, distributors_by_grade : :mod:`~ars_analysis.fieldforce.distributor_visits`.
    tenure, tenure_discipline : tenure curves of attainment and visit completion.
    productivity : :func:`~ars_analysis.fieldforce.development.time_to_productivity`.
    turnover : DataFrame or None (no ``end_date`` in the data).
    training : dict or None (no training table).
    coaching : the coaching list with ``rep_name, region, manager_id, manager_name``.
    teams : :func:`~ars_analysis.fieldforce.coaching.team_lists` with ``manager_name``.
    """

    org: Organisation
    region: object
    visit_period: tuple
    sales_period: tuple | None
    role_card: pd.DataFrame
    within: pd.DataFrame
    roles: pd.DataFrame
    line_coverage: pd.DataFrame
    line_summary: pd.DataFrame
    line_gaps: pd.DataFrame
    distributors: pd.DataFrame | None
    distributors_by_grade: pd.DataFrame | None
    tenure: pd.DataFrame
    tenure_discipline: pd.DataFrame
    productivity: dict
    turnover: pd.DataFrame | None
    training: dict | None
    coaching: pd.DataFrame
    teams: pd.DataFrame
    min_sample: int

    def results(self) -> dict:
        """Key numbers for ``results.json`` (tests and cross-report checks; never shown)."""

        def r(v, d=4):
            return None if v is None or pd.isna(v) else round(float(v), d)

        ls = self.line_summary
        by_line = {}
        for line, g in ls.groupby("line", sort=False):
            n = int(g["n_wanted"].sum())
            by_line[str(line)] = r(g["n_present"].sum() / n) if n else None
        dist = self.distributors
        t = self.training or {}
        return {
            "line_coverage": by_line,
            "n_line_gaps": int(len(self.line_gaps)),
            "line_gap_revenue": r(self.line_gaps["revenue"].sum(), 2),
            "distributor_visit_compliance": r(dist["meets_standard"].mean())
            if dist is not None and len(dist) else None,
            "time_to_productivity_months": r(self.productivity.get("months"), 0),
            "training_effect": r(t.get("effect")),
            "n_coaching": int(len(self.coaching)),
            "coaching_roles": {str(k): int(v) for k, v in
                               self.coaching["coaching_role"].value_counts().items()},
        }  # fmt: skip
