"""The result of the terminal-network analysis (:class:`TerminalNetwork`)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

__all__ = ["TerminalNetwork"]

# ---------------------------------------------------------------- the report's analysis


@dataclass
class TerminalNetwork:
    """Everything the terminal-network report shows, for one scope (national or a region).

    Numbers and frames only, in the package's vocabulary (no wording, no language); built by
    :func:`analyse_terminal_network`. Top terminals are the client's one shared set
    (:func:`ars_analysis.compose.top_terminals` on all data) filtered to the scope; the
    concentration statistics (Gini, top-20% share, terminals needed for 80%) describe the
    distribution within the scope.

    Attributes
    ----------
    region : str, list or None
        The scope (None = national).
    terminals : DataFrame
        One row per terminal of the scope (terminal master): ``terminal_id``,
        ``terminal_name``, ``region``, ``city``, ``terminal_type``, ``customer_id`` (supplier
        in the master), ``revenue``, ``quantity``, ``gross_margin``, ``rank`` (in the shared
        ranking), ``is_top``, ``linked`` (supplier is a core distributor), ``visited``,
        ``status`` (``both``/``linked_only``/``visited_only``/``neither``),
        ``n_distributors`` (distributors that sold to it in the period), ``core_volume``,
        ``non_core_volume`` (revenue bought via non-core distributors) and
        ``volume_at_stake`` (= ``non_core_volume`` for top terminals not linked, else 0).
    top_terminal_ids : list of str
        Sorted IDs of the top terminals in the scope.
    concentration : dict
        Within the scope, terminals with positive revenue: ``n_terminals``, ``total``,
        ``gini`` (+ ``_low``/``_high``), ``top_share`` (share of the top ``share`` of
        terminals, + ``_low``/``_high``), ``n_for_50/80/90``.
    by_region, by_type : DataFrame
        :func:`concentration_table` per region / terminal type of the scope.
    pareto, reach : DataFrame
        Pareto curve (:func:`pareto_curve`) and :func:`terminals_to_reach` of the scope.
    lorenz : dict
        :func:`lorenz_fit` with ``params`` flagged by :func:`lorenz_fit_valid`.
    tail : dict
        :func:`tail_assessment`.
    missing : DataFrame
        :func:`missing_volume_by` per region of the scope plus the scope's total row
        (``region`` None): the sum of the regional estimates.
    coverage : DataFrame
        Per region: ``n_terminals``, ``n_top``, ``linked``, ``visited``, ``both``,
        ``linked_only``, ``visited_only``, ``neither``, ``coverage_rate``, ``linked_rate``,
        ``top_revenue``, ``top_share_of_revenue``, ``volume_at_stake``, ``n_to_link``.
    core : DataFrame
        :func:`ars_analysis.compose.core_customers` of the scope.
    link_plan : DataFrame
        :func:`linking_plan` for the top terminals not linked that buy via non-core
        distributors: terminal columns plus ``proposed_customer_id``/``_name``, ``reason``,
        ``distance_km``.
    margins : DataFrame
        :func:`terminal_margins` of the scope's terminals with sales, on the retailer's margin
        when the products have a retail price (``margin_basis == "retailer"``), else on our
        own gross margin (``"ours"``).
    margin_basis : {"retailer", "ours"}
    sales_period, visit_period : tuple of Timestamp or None
    """

    region: object
    terminals: pd.DataFrame
    top_terminal_ids: list
    concentration: dict
    by_region: pd.DataFrame
    by_type: pd.DataFrame
    pareto: pd.DataFrame
    reach: pd.DataFrame
    lorenz: dict
    tail: dict
    missing: pd.DataFrame
    coverage: pd.DataFrame
    core: pd.DataFrame
    link_plan: pd.DataFrame
    margins: pd.DataFrame
    margin_basis: str
    top_share: float
    unobserved_ratio: float
    sales_period: tuple | None = None
    visit_period: tuple | None = None
    params: dict = field(default_factory=dict)

    @property
    def n_top_terminals(self) -> int:
        return len(self.top_terminal_ids)
