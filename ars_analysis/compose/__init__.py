"""Composition: from a dataset to the inputs and results of every analysis.

Like Kedro's nodes and pipelines: the analysis packages (:mod:`ars_analysis.customers`,
:mod:`ars_analysis.terminals`, :mod:`ars_analysis.fieldforce`, :mod:`ars_analysis.incentives`)
hold pure functions on frames; the functions here take a :class:`~ars_analysis.data.Dataset` and
the client configuration, aggregate the sales lines (:mod:`~.aggregate`, Ibis expressions run by
DuckDB or Spark), apply the definitions every report shares (:mod:`~.definitions`: top terminals;
core customers) and call the analyses. A national and a regional report compute a shared
definition on the whole dataset and filter the result.

Modules: :mod:`~.aggregate`, :mod:`~.definitions`, :mod:`~.customers`, :mod:`~.terminals`, :mod:`~.fieldforce`,
:mod:`~.incentives`, :mod:`~.health` (distributor health on the four flows),
:mod:`~.network_flows` (distribution, terminal targets, handover),
:mod:`~.organisation`, :mod:`~.role_plans`.
"""

from ars_analysis.compose.aggregate import (
    FREQS,
    MEASURES,
    VISIT_MEASURES,
    SalesLines,
    customer_sales,
    duckdb_config,
    period_sales,
    rep_sales,
    sales_by,
    terminal_days,
    terminal_sales,
    visits_by,
)
from ars_analysis.compose.customers import (
    analyse_core_customers,
    core_customer_inputs,
    core_customers,
    customer_grades,
    period_grades,
)
from ars_analysis.compose.definitions import filter_region, top_terminals
from ars_analysis.compose.fieldforce import analyse_field_execution, scorecard_from_dataset
from ars_analysis.compose.health import analyse_distributor_health, health_features
from ars_analysis.compose.incentives import analyse_incentives, monthly_kpis
from ars_analysis.compose.network_flows import analyse_network_flows
from ars_analysis.compose.organisation import analyse_field_organisation, role_scorecard
from ars_analysis.compose.role_plans import analyse_role_plans, role_deviations
from ars_analysis.compose.terminals import analyse_terminal_network

__all__ = [
    "FREQS",
    "MEASURES",
    "SalesLines",
    "VISIT_MEASURES",
    "analyse_core_customers",
    "analyse_distributor_health",
    "analyse_field_execution",
    "analyse_field_organisation",
    "analyse_incentives",
    "analyse_network_flows",
    "analyse_role_plans",
    "analyse_terminal_network",
    "core_customer_inputs",
    "core_customers",
    "customer_grades",
    "customer_sales",
    "duckdb_config",
    "filter_region",
    "health_features",
    "monthly_kpis",
    "period_grades",
    "period_sales",
    "rep_sales",
    "role_deviations",
    "role_scorecard",
    "sales_by",
    "scorecard_from_dataset",
    "terminal_days",
    "terminal_sales",
    "top_terminals",
    "visits_by",
]
