"""The incentive-scenario analysis of one report scope: its result and the helpers it needs.

:class:`IncentiveAnalysis` holds numbers and frames only (no wording, no language);
:func:`gate_failures`, :func:`category_share` and :func:`recommend` are the pure steps.
:func:`ars_analysis.compose.analyse_incentives` runs the analysis on a dataset: it computes the
monthly behaviour KPIs of every rep (field execution's rep scorecard, passed in from the
composition layer so this package does not depend on :mod:`ars_analysis.fieldforce`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ars_analysis.incentives.backtest import BacktestResult
from ars_analysis.incentives.plan import Plan
from ars_analysis.incentives.simulate import (
    SimulationResult,
)

#: Months simulated by the Monte Carlo (the last months of the targets).
HORIZON_MONTHS = 12


@dataclass
class IncentiveAnalysis:
    """What :func:`analyse_incentives` returns (numbers and frames, no wording).

    Attributes
    ----------
    plans : list of Plan
        Current plan first, then the candidates.
    baseline : str
        Id of the current plan.
    region : str or None
    reps : DataFrame
        ``rep_id, rep_name, region`` of the reps in scope.
    sales_window : tuple of str
        First and last month of the sales history (``YYYY-MM``).
    kpi_window, comparison_window : tuple of str or None
        See :class:`~ars_analysis.incentives.BacktestResult`.
    horizon : list of str
        Months simulated by the Monte Carlo.
    kpis : DataFrame or None
        Monthly KPIs of the reps in scope (``rep_id, period`` + the KPI columns the plans read).
    reps_without_kpi : list of str
        Reps in scope with a target but no measured KPI month (their simulated KPIs are drawn
        from their region's reps).
    backtest : BacktestResult
    simulation : SimulationResult
    budget : float or None
        Budget of the simulated horizon; ``budget_source`` says where it comes from
        (``"parameter"`` or ``"history"`` = what the current plan paid over the last 12 months).
    sensitivity : DataFrame
        :func:`~ars_analysis.incentives.sensitivity` of ``sensitivity_plan``.
    curves : DataFrame
        :func:`~ars_analysis.incentives.payout_curve` of every plan at the median target.
    median_target, margin_rate : float
    category_share : float or None
        Revenue share of the categories a category commission counts (None when no plan has
        one); ``category_share_source`` is ``"config"`` or ``"data"``.
    gate_fail : DataFrame or None
        :func:`gate_failures` over the comparison window.
    recommended : str or None
        Id of the candidate to pilot (see :func:`recommend`), None when no candidate qualifies.
    """

    plans: list
    baseline: str
    region: str | None
    reps: pd.DataFrame
    sales_window: tuple
    kpi_window: tuple | None
    comparison_window: tuple
    horizon: list
    kpis: pd.DataFrame | None
    reps_without_kpi: list
    backtest: BacktestResult
    simulation: SimulationResult
    budget: float | None
    budget_source: str
    sensitivity: pd.DataFrame
    sensitivity_plan: str
    curves: pd.DataFrame
    median_target: float
    margin_rate: float
    category_share: float | None
    category_share_source: str
    recommended: str | None
    n_scenarios: int
    seed: int
    elasticity: float
    cost_tolerance: float
    min_sample: int
    gate_fail: pd.DataFrame | None = None
    extra: dict = field(default_factory=dict)

    def plan(self, plan_id: str) -> Plan:
        return next(p for p in self.plans if p.name == plan_id)


def gate_failures(plans, targets: pd.DataFrame, kpis: pd.DataFrame | None) -> pd.DataFrame:
    """Per plan gate: the share of rep-months on the plan (rows of ``targets``) in which the
    gate's KPI is missing or below its minimum, i.e. the gated components pay nothing.

    Returns
    -------
    DataFrame
        ``plan, kpi, min, rep_months, failed, failed_share``.

    Examples
    --------
    >>> p = Plan.from_dict({"name": "g", "commissions": [{"name": "c",
    ...     "tiers": [{"from": 0, "rate": 0.01}]}], "gates": [{"kpi": "v", "min": 0.8}]})
    >>> t = pd.DataFrame({"rep_id": ["a", "a", "b"], "period": ["2025-01", "2025-02", "2025-01"],
    ...                   "target_revenue": 1.0})
    >>> k = pd.DataFrame({"rep_id": ["a", "a"], "period": ["2025-01", "2025-02"], "v": [0.9, 0.5]})
    >>> gate_failures([p], t, k)[["failed", "rep_months"]].values.tolist()
    [[2, 3]]
    """
    rows = []
    cells = targets[["rep_id", "period"]].astype(str).drop_duplicates()
    for p in plans:
        for g in p.gates:
            if kpis is not None and g.kpi in kpis:
                k = kpis[["rep_id", "period", g.kpi]].astype({"rep_id": str, "period": str})
                v = cells.merge(k, on=["rep_id", "period"], how="left")[g.kpi]
            else:
                v = pd.Series(float("nan"), index=range(len(cells)))
            failed = int((v.isna() | (v < g.min)).sum())
            rows.append(
                {
                    "plan": p.name,
                    "kpi": g.kpi,
                    "min": g.min,
                    "rep_months": len(cells),
                    "failed": failed,
                    "failed_share": failed / len(cells) if len(cells) else float("nan"),
                }
            )
    cols = ["plan", "kpi", "min", "rep_months", "failed", "failed_share"]
    return pd.DataFrame(rows, columns=cols)


def category_share(sales: pd.DataFrame, plans) -> float | None:
    """Revenue share of the categories that the plans' category commissions count.

    >>> s = pd.DataFrame({"category": ["a", "b", "a"], "revenue": [10.0, 30.0, 10.0]})
    >>> p = Plan.from_dict({"name": "x", "commissions": [{"name": "c", "categories": ["a"],
    ...     "basis": "amount", "tiers": [{"from": 0, "rate": 0.01}]}]})
    >>> category_share(s, [p])
    0.4
    """
    cats = sorted(
        {c for p in plans for cm in p.commissions if cm.categories for c in cm.categories}
    )
    if not cats:
        return None
    total = float(sales["revenue"].sum())
    if total <= 0:
        return None
    return float(sales.loc[sales["category"].isin(cats), "revenue"].sum()) / total


def recommend(bt: BacktestResult, sim: SimulationResult, tolerance: float) -> str | None:
    """The candidate to pilot: among candidates whose expected simulated cost is at most
    ``tolerance`` above the current plan's, the one whose pay follows performance best
    (highest rank correlation of incentive with attainment), if it beats the current plan.
    """
    s = bt.summary.set_index("plan")
    cost = sim.summary.set_index("plan")["total_cost_mean"]
    base = bt.baseline
    best, best_rho = None, s.loc[base, "spearman"]
    for plan_id in s.index:
        if plan_id == base or pd.isna(s.loc[plan_id, "spearman"]):
            continue
        if cost[plan_id] > cost[base] * (1 + tolerance):
            continue
        if pd.isna(best_rho) or s.loc[plan_id, "spearman"] > best_rho:
            best, best_rho = plan_id, s.loc[plan_id, "spearman"]
    return best
