"""The incentive-scenario analysis of one report scope, in a few calls.

:func:`analyse_incentives` takes the whole (period-filtered) dataset and the client
configuration, computes the monthly behaviour KPIs on every rep (field execution's
:func:`~ars_analysis.fieldforce.rep_scorecard` by month), keeps the reps of the report's region,
and runs the payout curves, the backtest on the comparison window, the Monte Carlo and the
sensitivity of the first candidate. It returns numbers and frames only (no wording, no
language): :mod:`ars_analysis.presentation.incentives` turns them into the report.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ars_analysis.incentives.backtest import BacktestResult, backtest, payout_curve
from ars_analysis.incentives.engine import payout
from ars_analysis.incentives.plan import Plan, shipped_plans
from ars_analysis.incentives.simulate import (
    AttainmentModel,
    SimulationResult,
    sensitivity,
    simulate,
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


def monthly_kpis(ds, columns, top_terminal=None) -> pd.DataFrame | None:
    """Monthly behaviour KPIs of every rep from the visit log (``rep_scorecard(freq="M")``).

    The KPIs use the client's shared top-terminal set (``top_terminal``: the client
    configuration's definition, computed on the whole dataset) and the whole sales history
    for ``new_terminals``, exactly as the field-execution report does.

    Returns ``rep_id, period`` + ``columns`` (one row per rep and month of the visit log), or
    None when the dataset has no visit log.
    """
    from ars_analysis.aggregate import rep_sales, terminal_sales
    from ars_analysis.compose import top_terminals
    from ars_analysis.fieldforce import rep_scorecard

    if not columns or not ds.has("visits") or not ds.has("terminals"):
        return None
    card = rep_scorecard(
        ds.visits,
        ds.terminals,
        ds.reps if ds.has("reps") else None,
        ds.targets if ds.has("targets") else None,
        rep_sales(ds, freq="M"),
        terminal_sales(ds),
        freq="M",
        sales=ds.sales,
        top_terminals=top_terminals(ds, top_terminal),
    )
    missing = [c for c in columns if c not in card]
    if missing:
        raise ValueError(f"the rep scorecard has no KPI columns {missing} read by the plans")
    return card[["rep_id", "period", *columns]].reset_index(drop=True)


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


def analyse_incentives(
    ds,
    cfg,
    *,
    region=None,
    plan_files=None,
    n_scenarios: int = 2000,
    seed: int = 0,
    budget: float | None = None,
    elasticity: float = 0.0,
    cost_tolerance: float = 0.05,
    n_jobs: int = 2,
) -> IncentiveAnalysis:
    """Incentive scenarios of one report scope.

    Parameters
    ----------
    ds : Dataset
        The whole dataset for the analysis period (every region: KPIs and definitions are
        computed on all reps, then the region's reps are kept).
    cfg : ClientConfig
        ``cfg.incentives.category_share`` (None = computed from the data) and
        ``cfg.min_sample.correlation``.
    region : str, optional
        Keep the reps of this region (None = national).
    plan_files : list of paths, optional
        Current plan first (default: the shipped current plan and two candidates).
    n_scenarios, seed, budget, elasticity
        Monte Carlo settings (see :func:`~ars_analysis.incentives.simulate`); ``budget`` None =
        what the current plan paid over the last 12 months of history.
    cost_tolerance : float
        A candidate may cost this much more than the current plan (expected, simulated) and
        still be recommended for a pilot.

    Returns
    -------
    IncentiveAnalysis

    Examples
    --------
    >>> from ars_analysis import load_dataset
    >>> from ars_analysis.client import load_client_config
    >>> a = analyse_incentives(load_dataset("data/sample"), load_client_config(),
    ...                        region="西北", n_scenarios=20)  # doctest: +SKIP
    >>> a.comparison_window  # doctest: +SKIP
    ('2025-10', '2025-12')
    """
    from ars_analysis.aggregate import sales_by

    plans = [
        Plan.from_yaml(p) if not isinstance(p, Plan) else p for p in (plan_files or shipped_plans())
    ]
    reps = ds.reps.copy()
    if region is not None:
        reps = reps[reps["region"] == region]
    keep = set(reps["rep_id"].astype(str))
    rep_cols = [c for c in ("rep_id", "rep_name", "region") if c in reps]
    reps = reps[rep_cols].drop_duplicates("rep_id").reset_index(drop=True)
    if "rep_name" not in reps:
        reps["rep_name"] = reps["rep_id"]

    sales = sales_by(ds, ["rep_id", "category"], freq="M")
    sales = sales[sales["rep_id"].astype(str).isin(keep)].reset_index(drop=True)
    targets = ds.targets[["rep_id", "period", "target_revenue"]]
    targets = targets[targets["rep_id"].astype(str).isin(keep)].reset_index(drop=True)
    if not len(targets):
        raise ValueError(f"no rep of region {region!r} has a target: nothing to pay")

    needed = list(dict.fromkeys(c for p in plans for c in p.kpi_columns))
    from ars_analysis.snapshot import memo  # whole dataset: shared by a batch's reports

    top_def = cfg.definitions.top_terminal
    kpis = memo("monthly_kpis", ds, (needed, top_def), lambda: monthly_kpis(ds, needed, top_def))
    if kpis is not None:
        kpis = kpis[kpis["rep_id"].astype(str).isin(keep)].reset_index(drop=True)

    # payout curves: a rep with the median target, the scope's margin rate and category share
    median_target = float(targets.groupby(["rep_id", "period"])["target_revenue"].sum().median())
    revenue = float(sales["revenue"].sum())
    margin_rate = float(sales["gross_margin"].sum() / revenue) if revenue > 0 else 0.0
    share_cfg = cfg.incentives.category_share
    share = share_cfg if share_cfg is not None else category_share(sales, plans)
    share_source = "config" if share_cfg is not None else "data"
    curves = pd.concat(
        [
            payout_curve(p, target=median_target, margin_rate=margin_rate, category_share=share)
            for p in plans
        ],
        ignore_index=True,
    )

    bt = backtest(plans, sales, targets, reps=ds.reps, kpis=kpis)

    months = sorted(targets["period"].astype(str).unique())
    horizon = months[-HORIZON_MONTHS:]
    future = targets[targets["period"].astype(str).isin(horizon)]
    monthly = sales.groupby(["rep_id", "period"], as_index=False)["revenue"].sum()
    model = AttainmentModel().fit(monthly, targets, ds.reps)
    budget_source = "parameter"
    if budget is None and not plans[0].kpi_columns:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            hist = payout(
                plans[0],
                sales[sales["period"].isin(horizon)],
                future,
                reps=ds.reps,
                engine="vector",
            )
        budget = round(float(hist["total_pay"].sum()), -3)
        budget_source = "history"
    sim = simulate(
        plans,
        model,
        sales,
        future,
        reps=ds.reps,
        kpis=kpis,
        n_scenarios=n_scenarios,
        seed=seed,
        budget=budget,
        elasticity=elasticity,
        n_jobs=n_jobs,
    )
    focus = plans[1] if len(plans) > 1 else plans[0]
    sens = sensitivity(
        focus,
        model,
        sales,
        future,
        reps=ds.reps,
        kpis=kpis,
        n_scenarios=min(n_scenarios, 500),
        seed=seed,
    )
    with_target = set(targets.loc[targets["period"].isin(bt.periods), "rep_id"].astype(str))
    measured = set() if kpis is None else set(kpis.dropna(subset=needed, how="all")["rep_id"])
    no_kpi = sorted(with_target - measured) if needed else []
    gate_fail = gate_failures(plans, targets[targets["period"].isin(bt.periods)], kpis)
    sales_months = sorted(sales["period"].astype(str).unique())
    return IncentiveAnalysis(
        plans=plans,
        baseline=bt.baseline,
        region=region,
        reps=reps,
        sales_window=(sales_months[0], sales_months[-1]) if sales_months else (None, None),
        kpi_window=bt.kpi_window,
        comparison_window=bt.comparison_window,
        horizon=horizon,
        kpis=kpis,
        reps_without_kpi=no_kpi,
        backtest=bt,
        simulation=sim,
        budget=budget,
        budget_source=budget_source,
        sensitivity=sens,
        sensitivity_plan=focus.name,
        curves=curves,
        median_target=median_target,
        margin_rate=margin_rate,
        category_share=share,
        category_share_source=share_source,
        recommended=(
            recommend(bt, sim, cost_tolerance) if len(reps) >= cfg.min_sample.correlation else None
        ),
        n_scenarios=n_scenarios,
        seed=seed,
        elasticity=elasticity,
        cost_tolerance=cost_tolerance,
        min_sample=cfg.min_sample.correlation,
        gate_fail=gate_fail,
        extra={
            "model_tau": float(np.median(model.regions_["tau"])),
            "model_sigma": float(np.median(model.reps_["sigma"])),
        },
    )
