"""Incentive scenarios: plan model, payout engine, backtest on history and Monte Carlo.

A plan is a YAML file (see :mod:`ars_analysis.incentives.plan` for every key and
``ars_analysis/config/plans/`` for commented examples). :func:`payout` computes what each rep
earns month by month; :func:`backtest` replays history under several plans; :func:`simulate`
runs thousands of sales scenarios through each plan; :func:`sensitivity` moves one plan
parameter at a time (tornado). :func:`ars_analysis.compose.analyse_incentives` runs the
analysis of a report on a dataset. Plans per role: :func:`load_plan_assignment` reads which plan
pays which role (:mod:`~.assignment`); :func:`role_backtest` and :func:`role_simulation` compare
the organisation's cost and each role's pay spread with honours as non-cash recognition, and
:func:`deviations_corrected` says what each plan pays for (:mod:`~.role_plans`).

Examples
--------
>>> from ars_analysis.incentives import Plan, shipped_plans
>>> plan = Plan.from_yaml(shipped_plans()[0])
>>> plan.name, plan.title("zh"), plan.title("en")
('current', '现行方案', 'Current plan')
"""

from ars_analysis.incentives.analysis import (
    HORIZON_MONTHS,
    IncentiveAnalysis,
    category_share,
    gate_failures,
    recommend,
)
from ars_analysis.incentives.assignment import (
    ASSIGNMENT_FILE,
    PlanAssignment,
    PlanAssignmentError,
    load_plan_assignment,
    plan_assignment_from_dict,
)
from ars_analysis.incentives.backtest import (
    BacktestResult,
    backtest,
    kpi_months,
    payout_curve,
    rank_correlation,
    target_incentive,
)
from ars_analysis.incentives.engine import payout, round_cents
from ars_analysis.incentives.plan import SENSITIVITY_PARAMETERS, Plan, PlanError, shipped_plans
from ars_analysis.incentives.role_plans import (
    BEHAVIOUR_KPI,
    RolePlanAnalysis,
    cash_plan,
    deviations_corrected,
    plan_behaviours,
    recognition_plan,
    role_backtest,
    role_simulation,
)
from ars_analysis.incentives.simulate import (
    AttainmentModel,
    SimulationResult,
    sensitivity,
    simulate,
)

__all__ = [
    "HORIZON_MONTHS",
    "IncentiveAnalysis",
    "category_share",
    "gate_failures",
    "recommend",
    "Plan",
    "PlanError",
    "SENSITIVITY_PARAMETERS",
    "shipped_plans",
    "payout",
    "round_cents",
    "payout_curve",
    "backtest",
    "kpi_months",
    "rank_correlation",
    "target_incentive",
    "BacktestResult",
    "AttainmentModel",
    "simulate",
    "SimulationResult",
    "sensitivity",
    "ASSIGNMENT_FILE",
    "BEHAVIOUR_KPI",
    "PlanAssignment",
    "PlanAssignmentError",
    "RolePlanAnalysis",
    "cash_plan",
    "deviations_corrected",
    "load_plan_assignment",
    "plan_assignment_from_dict",
    "plan_behaviours",
    "recognition_plan",
    "role_backtest",
    "role_simulation",
]
