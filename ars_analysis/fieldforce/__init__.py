"""Field execution (过程管理): did the field force go where, meet whom and do what it should?

The measures answer the three questions asked of every customer advisor's visits, then link
behaviour to results:

* **went where** - :func:`visit_compliance` (拜访达成率 = planned visits done / planned visits,
  unplanned visits; :mod:`~.visits`) and :func:`checkin_distance` / :func:`distance_summary`
  (check-in position vs the terminal's position, in configurable distance bands;
  :mod:`~.checkins`);
* **met whom** - :func:`terminal_grades`, :func:`frequency_vs_standard` and
  :func:`frequency_summary` (coverage of the high-volume terminals, visit frequency against the
  standard of each terminal grade) and :func:`core_customer_coverage` (:mod:`~.frequency`);
* **did what** - :func:`activity_shares` (share of done visits with each activity) and the visit
  order rate (拜访成交率) in :func:`visit_compliance` (:mod:`~.visits`);
* **time use** - :func:`visit_times`, :func:`rep_days` and :func:`time_use` (time in store,
  working span, travel time between visits, visits per day; :mod:`~.time_use`);
* **target vs result** - :func:`attainment`, :func:`deviation_ranking` and
  :func:`discipline_vs_attainment` (:mod:`~.targets`); new terminals (:mod:`~.new_terminals`);
* :func:`rep_scorecard` combines them into one row per rep, the behaviour KPIs of an incentive
  plan (:mod:`~.scorecard`); :func:`visit_issues` lists the problem visits for follow-up;
* :func:`load_standards` reads the visit standards (:mod:`~.standards`);
* the field organisation (:mod:`~.organisation`: lines, roles, their KPI sets, read by
  :func:`load_organisation`): measures compared within role (:func:`within_role`,
  :func:`role_summary`; :mod:`~.roles`), top terminals covered by each line
  (:func:`line_coverage`, :func:`line_gaps`, :func:`line_summary`; :mod:`~.lines`), visits to
  distributors against a standard per grade (:func:`distributor_visits`;
  :mod:`~.distributor_visits`), advisor development (:func:`tenure_curve`,
  :func:`time_to_productivity`, :func:`turnover`, :func:`training_comparison`;
  :mod:`~.development`) and the coaching list (:func:`coaching_list`, :func:`team_lists`;
  :mod:`~.coaching`), gathered for a report in a :class:`FieldOrganisation`;
* :func:`ars_analysis.compose.analyse_field_execution` runs all of them for one report scope
  (national or a region) on the whole dataset and filters the results, returning a
  :class:`FieldExecution` (:mod:`~.result`) that :mod:`ars_analysis.presentation.fieldforce`
  turns into report 04.

One definition per concept: the top terminals are the client's shared set
(:func:`ars_analysis.compose.top_terminals`, passed as ``top`` / ``top_terminals``), the visit
window of a regional report is that of the whole visit log, and new terminals are those whose
first sales line falls in the window (:func:`new_terminal_list`), never first visits.

Inputs are DataFrames in the contract's columns (``visits``, ``terminals``, ``reps``,
``targets``) and the aggregated sales of :mod:`ars_analysis.compose.aggregate`
(``rep_sales(ds, freq="M")``, ``terminal_sales(ds)``);
:func:`ars_analysis.compose.scorecard_from_dataset` takes a loaded dataset.
Grouping (``level``, ``freq``): see :mod:`~.common`.

Problem rows are never dropped silently: visits with a check-out before the check-in (or no
check-out) are left out of time measures only, and counted in ``excluded_visits``.
"""

from ars_analysis.data.contract import ACTIVITIES
from ars_analysis.fieldforce.checkins import (
    EARTH_RADIUS_M,
    band_labels,
    checkin_distance,
    distance_summary,
    haversine_m,
)
from ars_analysis.fieldforce.coaching import (
    coaching_list,
    sudden_drops,
    team_lists,
    with_manager,
)
from ars_analysis.fieldforce.common import (
    FREQS,
    LEVELS,
    SCORECARD_KPIS,
    UNKNOWN,
    prepare_visits,
)
from ars_analysis.fieldforce.development import (
    months_since_hire,
    tenure_curve,
    time_to_productivity,
    training_comparison,
    turnover,
)
from ars_analysis.fieldforce.distributor_visits import (
    distributor_visit_summary,
    distributor_visits,
)
from ars_analysis.fieldforce.frequency import (
    core_customer_coverage,
    frequency_summary,
    frequency_vs_standard,
    terminal_grades,
    visit_window,
)
from ars_analysis.fieldforce.lines import line_coverage, line_gaps, line_summary
from ars_analysis.fieldforce.new_terminals import (
    new_terminal_list,
    new_terminals,
    sales_history_months,
)
from ars_analysis.fieldforce.organisation import (
    COACHING_ROLES,
    LOWER_IS_BETTER,
    ORGANISATION_FILE,
    Organisation,
    OrganisationConfigError,
    load_organisation,
    organisation_from_dict,
)
from ars_analysis.fieldforce.organisation_result import FieldOrganisation
from ars_analysis.fieldforce.result import FieldExecution
from ars_analysis.fieldforce.roles import NO_ROLE, rep_roles, role_summary, within_role
from ars_analysis.fieldforce.scorecard import rep_scorecard
from ars_analysis.fieldforce.standards import INTERVALS, STANDARDS_FILE, load_standards
from ars_analysis.fieldforce.targets import (
    attainment,
    deviation_ranking,
    discipline_vs_attainment,
)
from ars_analysis.fieldforce.time_use import rep_days, time_use, visit_times
from ars_analysis.fieldforce.visits import (
    ISSUES,
    activity_shares,
    visit_compliance,
    visit_issues,
)

__all__ = [
    "COACHING_ROLES",
    "LOWER_IS_BETTER",
    "ORGANISATION_FILE",
    "NO_ROLE",
    "Organisation",
    "OrganisationConfigError",
    "FieldOrganisation",
    "coaching_list",
    "sudden_drops",
    "team_lists",
    "with_manager",
    "months_since_hire",
    "tenure_curve",
    "time_to_productivity",
    "training_comparison",
    "turnover",
    "distributor_visit_summary",
    "distributor_visits",
    "line_coverage",
    "line_gaps",
    "line_summary",
    "load_organisation",
    "organisation_from_dict",
    "rep_roles",
    "role_summary",
    "within_role",
    "ACTIVITIES",
    "EARTH_RADIUS_M",
    "FREQS",
    "INTERVALS",
    "ISSUES",
    "LEVELS",
    "SCORECARD_KPIS",
    "STANDARDS_FILE",
    "UNKNOWN",
    "FieldExecution",
    "activity_shares",
    "attainment",
    "band_labels",
    "checkin_distance",
    "core_customer_coverage",
    "deviation_ranking",
    "discipline_vs_attainment",
    "distance_summary",
    "frequency_summary",
    "frequency_vs_standard",
    "haversine_m",
    "load_standards",
    "new_terminal_list",
    "new_terminals",
    "prepare_visits",
    "rep_days",
    "rep_scorecard",
    "sales_history_months",
    "terminal_grades",
    "time_use",
    "visit_compliance",
    "visit_issues",
    "visit_times",
    "visit_window",
]
