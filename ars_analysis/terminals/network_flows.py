"""The result of the terminal chapter's flows: distribution (铺货), terminal targets (维护) and
the handover to distributors' teams (提升) of one report (see
:func:`ars_analysis.compose.analyse_network_flows`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["NetworkFlows"]


@dataclass
class NetworkFlows:
    """Distribution, rollout, gaps, terminal targets and handover of one report.

    Attributes
    ----------
    distribution : dict of str to DataFrame
        :func:`~ars_analysis.terminals.distribution.distribution` of the core products and of
        the categories: ``"region"``, ``"terminal_type"``, ``"customer_id"`` (per product, by
        that grouping), ``"category"`` (per category, by region) and ``"total"`` (per product).
    rollout : DataFrame
        :func:`~ars_analysis.terminals.distribution.rollout_curve` of the launched products
        (empty when the products have no ``launch_date``).
    gaps : DataFrame
        :func:`~ars_analysis.terminals.distribution.distribution_gaps` of the top terminals,
        with names, region and the product's name.
    core_products : DataFrame
        ``product_id``, ``product_name``, ``revenue``, ``revenue_share``: the core products.
    attainment : dict of str to DataFrame
        :func:`~ars_analysis.terminals.terminal_targets.target_attainment` by ``terminal_id``,
        ``customer_id`` and ``rep_id`` (empty dict when there is no ``terminal_targets`` table).
    suggested : DataFrame
        :func:`~ars_analysis.terminals.terminal_targets.suggest_targets` of the top terminals
        without a target.
    servicing : DataFrame
        :func:`~ars_analysis.terminals.handover.servicing_share` by region and month, with the
        total as ``region = None`` (empty without ``terminals.serviced_by``).
    readiness : DataFrame
        :func:`~ars_analysis.terminals.handover.handover_readiness` of the core distributors.
    candidates : DataFrame
        :func:`~ars_analysis.terminals.handover.handover_candidates` of the ready distributors.
    missing : list of str
        Optional inputs that were absent (``terminal_targets``, ``serviced_by``, ``launch_date``).
    parameters : dict
        Windows and criteria used.
    """

    distribution: dict = field(default_factory=dict)
    rollout: pd.DataFrame = field(default_factory=pd.DataFrame)
    gaps: pd.DataFrame = field(default_factory=pd.DataFrame)
    core_products: pd.DataFrame = field(default_factory=pd.DataFrame)
    attainment: dict = field(default_factory=dict)
    suggested: pd.DataFrame = field(default_factory=pd.DataFrame)
    servicing: pd.DataFrame = field(default_factory=pd.DataFrame)
    readiness: pd.DataFrame = field(default_factory=pd.DataFrame)
    candidates: pd.DataFrame = field(default_factory=pd.DataFrame)
    missing: list = field(default_factory=list)
    parameters: dict = field(default_factory=dict)
    region: object = None
    window: tuple = (None, None)
