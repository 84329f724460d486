"""Core customers (核心客户): ABC classification, grading scorecard, segments, grade movements.

The functions take the aggregated tables of :mod:`ars_analysis.compose.aggregate` (one row per
customer, per customer x terminal or per customer x period) and the contract's ``customers`` /
``receivables`` tables, and return tidy DataFrames. Nothing here reads files, aggregates a dataset
or draws; :mod:`ars_analysis.compose.customers` turns a dataset into these inputs
(:func:`~ars_analysis.compose.analyse_core_customers`).

ABC classification (ABC分类) -- :mod:`~.abc` (numerical core :mod:`~.abc_core`)
    :func:`abc_classify` (fixed cuts of the cumulative share), :func:`computed_abc` (limits from
    the shape of the curve, Ultsch & Lötsch 2015), :func:`abc_matrix` (two measures, 3x3),
    :func:`abc_summary` (share of items vs share of the measure per class), :func:`scoped_abc`.
Grading scorecard (考核分级) -- :mod:`~.grading`, :mod:`~.features`
    :class:`Scorecard` (from a YAML file such as ``config/scorecard_default.yml``),
    :func:`customer_features` (the per-customer measures a scorecard or a segmenter uses).
Segments -- :mod:`~.segments`, :mod:`~.profiles`
    :class:`CustomerSegmenter` (scikit-learn estimator), :func:`fit_segments` and
    :func:`segment_crosstab`.
Grade movements (选苗助长) -- :mod:`~.movements`, :mod:`~.trends`
    :func:`period_classes`, :func:`grade_movements`, :func:`transition_matrix`,
    :func:`seedlings`, :func:`at_risk`, :func:`sales_trend`.
Distributor health on the four flows (四流) -- :mod:`~.flows`, :mod:`~.health`
    :func:`price_adherence`, :func:`order_regularity`, :func:`promotion_share` (commerce),
    :func:`stock_cover`, :func:`stockout_days`, :func:`delivery_performance` (logistics),
    :func:`receivable_days` (cash), :func:`report_timeliness` (information);
    :func:`distributor_health`, :func:`flow_scores`, :func:`health_flags`,
    :class:`DistributorHealth`.
The result -- :mod:`~.result`
    :class:`CoreCustomerResult`, :func:`core_counts`.
"""

from ars_analysis.customers.abc import (
    DEFAULT_CUTS,
    abc_classify,
    abc_matrix,
    abc_summary,
    computed_abc,
    computed_abc_limits,
)
from ars_analysis.customers.abc_scopes import ABC_SCOPES, abc_groups, abc_scope_used, scoped_abc
from ars_analysis.customers.features import customer_features
from ars_analysis.customers.flows import (
    delivery_performance,
    order_regularity,
    price_adherence,
    price_by_product,
    promotion_share,
    receivable_days,
    report_timeliness,
    stock_cover,
    stockout_days,
)
from ars_analysis.customers.grading import DEFAULT_SCORECARD, Scorecard, ScorecardError
from ars_analysis.customers.health import (
    FLOW_MEASURES,
    FLOWS,
    HEALTH_THRESHOLDS,
    DistributorHealth,
    distributor_health,
    flow_scores,
    health_flags,
)
from ars_analysis.customers.movements import (
    at_risk,
    grade_movements,
    movement_periods,
    period_classes,
    seedlings,
    transition_matrix,
)
from ars_analysis.customers.profiles import channel_agreement, grade_profile, segment_crosstab
from ars_analysis.customers.result import COUNT_DEFINITIONS, CoreCustomerResult, core_counts
from ars_analysis.customers.segments import CustomerSegmenter, fit_segments, segment_traits
from ars_analysis.customers.trends import (
    dimension_gaps,
    sales_trend,
    trend_at_risk,
    trend_seedlings,
)

__all__ = [
    "ABC_SCOPES",
    "COUNT_DEFINITIONS",
    "CoreCustomerResult",
    "CustomerSegmenter",
    "DEFAULT_CUTS",
    "DEFAULT_SCORECARD",
    "DistributorHealth",
    "FLOWS",
    "FLOW_MEASURES",
    "HEALTH_THRESHOLDS",
    "Scorecard",
    "ScorecardError",
    "abc_classify",
    "abc_groups",
    "abc_matrix",
    "abc_scope_used",
    "abc_summary",
    "at_risk",
    "channel_agreement",
    "computed_abc",
    "computed_abc_limits",
    "core_counts",
    "customer_features",
    "delivery_performance",
    "dimension_gaps",
    "distributor_health",
    "fit_segments",
    "flow_scores",
    "grade_movements",
    "grade_profile",
    "health_flags",
    "movement_periods",
    "order_regularity",
    "period_classes",
    "price_adherence",
    "price_by_product",
    "promotion_share",
    "receivable_days",
    "report_timeliness",
    "sales_trend",
    "scoped_abc",
    "seedlings",
    "segment_crosstab",
    "segment_traits",
    "stock_cover",
    "stockout_days",
    "transition_matrix",
    "trend_at_risk",
    "trend_seedlings",
]
