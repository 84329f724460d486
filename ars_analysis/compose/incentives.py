"""Composition of the incentive-scenario analysis of one report scope, in a few calls.

:func:`analyse_incentives` takes the whole (period-filtered) dataset and the client
configuration, computes the monthly behaviour KPIs on every rep (field execution's
:func:`~ars_analysis.fieldforce.rep_scorecard` by month, :func:`monthly_kpis`), keeps the reps of the report's region,
and runs the payout curves, the backtest on the comparison window, the Monte Carlo and the
sensitivity of the first candidate. It returns numbers and frames only (no wording, no
language): :mod:`ars_analysis.presentation.incentives` turns them into the report.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ars_analysis.compose.aggregate import rep_sales, sales_by, terminal_sales
from ars_analysis.compose.definitions import new_terminal_sales, top_terminals
from ars_analysis.data.snapshot import memo
from ars_analysis.fieldforce import rep_scorecard
from ars_analysis.incentives import (
    HORIZON_MONTHS,
    AttainmentModel,
    IncentiveAnalysis,
    Plan,
    backtest,
    category_share,
    gate_failures,
    payout,
    payout_curve,
    recommend,
    sensitivity,
    shipped_plans,
    simulate,
)

__all__ = ["analyse_incentives", "monthly_kpis"]


def monthly_kpis(ds, columns, top_terminal=None, standards_layers=()) -> pd.DataFrame | None:
    """Monthly behaviour KPIs of every rep from the visit log (``rep_scorecard(freq="M")``).

    The KPIs use the client's shared top-terminal set (``top_terminal``: the client
    configuration's definition, computed on the whole dataset) and the whole sales history
    for ``new_terminals``, exactly as the field-execution report does.

    Returns ``rep_id, period`` + ``columns`` (one row per rep and month of the visit log), or
    None when the dataset has no visit log.
    """

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
        sales=new_terminal_sales(ds),
        top_terminals=top_terminals(ds, top_terminal),
        standards_layers=standards_layers,
    )
    missing = [c for c in columns if c not in card]
    if missing:
        raise ValueError(f"the rep scorecard has no KPI columns {missing} read by the plans")
    return card[["rep_id", "period", *columns]].reset_index(drop=True)


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

    plans = [
        Plan.from_yaml(p) if not isinstance(p, Plan) else p
        for p in (plan_files or cfg.plan_files() or shipped_plans())
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
    top_def = cfg.definitions.top_terminal
    layers = cfg.layer("visit_standards")  # the client's layer over the standards file
    kpis = memo(  # whole dataset: shared by a batch's reports (data.snapshot)
        "monthly_kpis",
        ds,
        (needed, top_def, repr(cfg.visit_standards)) if layers else (needed, top_def),
        lambda: monthly_kpis(ds, needed, top_def, layers),
    )
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
