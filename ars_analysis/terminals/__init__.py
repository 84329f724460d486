"""Terminal network (终端网络): concentration, fitted tails, coverage, linking, margins, potential.

Inputs are DataFrames: per-terminal sales from :func:`ars_analysis.compose.terminal_sales` (or
``sales_by(ds, ["terminal_id", ...])``), the ``terminals`` table (``terminal_id``, ``region``,
``terminal_type``, ``customer_id`` (empty = not linked to a distributor), ``rep_id``) and the
``visits`` table. :func:`ars_analysis.compose.analyse_terminal_network` turns a dataset into the
:class:`TerminalNetwork` of a report.

Modules: :mod:`~.concentration` (Lorenz, Pareto, Gini, top shares; its docstring states the
conventions), :mod:`~.tails` and :mod:`~.xmin` (power-law tail fits, Clauset-Shalizi-Newman),
:mod:`~.fits` (tail report, Lorenz fits, tail assessment), :mod:`~.potential` (missing volume),
:mod:`~.coverage` (terminal status, coverage, build-out list), :mod:`~.linking` (linking plan),
:mod:`~.margins` (terminal and retailer margins), :mod:`~.result` (:class:`TerminalNetwork`).
"""

from ars_analysis.terminals.concentration import (
    MEASURES,
    bootstrap_ci,
    concentration_table,
    gini,
    lorenz,
    pareto_curve,
    terminals_to_reach,
    top_share,
)
from ars_analysis.terminals.coverage import buildout_list, coverage, terminal_status
from ars_analysis.terminals.distribution import distribution, distribution_gaps, rollout_curve
from ars_analysis.terminals.fits import (
    ALPHA_RANGE,
    lorenz_fit,
    lorenz_fit_valid,
    tail_assessment,
    tail_report,
)
from ars_analysis.terminals.handover import (
    READINESS,
    handover_candidates,
    handover_readiness,
    servicing_share,
)
from ars_analysis.terminals.linking import LINK_REASONS, linking_plan
from ars_analysis.terminals.margins import (
    QUADRANTS,
    retailer_margins,
    scope_margins,
    terminal_margins,
)
from ars_analysis.terminals.network_flows import NetworkFlows
from ars_analysis.terminals.potential import (
    missing_volume,
    missing_volume_by,
    missing_volume_total,
)
from ars_analysis.terminals.result import TerminalNetwork
from ars_analysis.terminals.tails import ALTERNATIVES, FitResult, fit_tail, vuong_test
from ars_analysis.terminals.terminal_targets import suggest_targets, target_attainment

__all__ = [
    "ALPHA_RANGE",
    "ALTERNATIVES",
    "FitResult",
    "LINK_REASONS",
    "MEASURES",
    "NetworkFlows",
    "QUADRANTS",
    "READINESS",
    "TerminalNetwork",
    "bootstrap_ci",
    "buildout_list",
    "concentration_table",
    "coverage",
    "distribution",
    "distribution_gaps",
    "fit_tail",
    "gini",
    "handover_candidates",
    "handover_readiness",
    "linking_plan",
    "lorenz",
    "lorenz_fit",
    "lorenz_fit_valid",
    "missing_volume",
    "missing_volume_by",
    "missing_volume_total",
    "pareto_curve",
    "retailer_margins",
    "rollout_curve",
    "scope_margins",
    "servicing_share",
    "suggest_targets",
    "tail_assessment",
    "tail_report",
    "target_attainment",
    "terminal_margins",
    "terminal_status",
    "terminals_to_reach",
    "top_share",
    "vuong_test",
]
