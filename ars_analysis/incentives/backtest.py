"""Backtest: replay history under the current plan and each candidate plan.

For every plan the historical sales are paid with the exact engine, then summarised: cost,
cost of sales, leverage, share of reps at quota, how well pay follows performance, and who
gains or loses against the baseline (current) plan.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from scipy import stats

from ars_analysis.incentives.engine import (
    _measure_key,
    build_grid,
    payout,
    vector_payout,
)
from ars_analysis.incentives.plan import Plan


def _as_plans(plans) -> list[Plan]:
    if isinstance(plans, Plan):
        plans = [plans]
    out = [p if isinstance(p, Plan) else Plan.from_yaml(p) for p in plans]
    names = [p.name for p in out]
    if len(set(names)) != len(names):
        raise ValueError(f"plans: names must be unique, got {names}")
    if not out:
        raise ValueError("plans: expected at least one plan")
    return out


def _results_only(plan: Plan) -> Plan:
    """The plan without behaviour, rank and draw parts (pay for results alone)."""
    return replace(plan, scorecard=None, gates=(), honours=(), team_bonuses=(), draw=None)


def _measure_ratios(plan: Plan, g) -> dict:
    """Per rep: each commission measure / revenue over the grid's history (global fallback)."""
    rev = g.revenue.sum(axis=1)
    out = {}
    for c in plan.commissions:
        key = _measure_key(c)
        m = g.measures[key].sum(axis=1)
        overall = m.sum() / rev.sum() if rev.sum() > 0 else 1.0
        out[key] = np.where(rev > 0, m / np.where(rev > 0, rev, 1.0), overall)
    return out


def target_incentive(plan: Plan, sales: pd.DataFrame, targets: pd.DataFrame) -> pd.Series:
    """Incentive each rep would earn over the period at exactly 100 % attainment every month.

    Uses ``plan.target_incentive`` x months on the plan when the plan states it; otherwise pays
    the result components (commissions and bonus; no scorecard, gates, honours, team bonus or
    draw) on revenue = target, with each rep's historical margin / category mix.

    Returns
    -------
    Series indexed by ``rep_id``.
    """
    p = _results_only(plan)
    g = build_grid(p, sales, targets)
    if plan.target_incentive is not None:
        return pd.Series(
            plan.target_incentive * g.mask.sum(axis=1), index=g.reps, name="target_incentive"
        )
    ratios = _measure_ratios(p, g)
    rev = g.target[None]
    measures = {k: rev * v[None, :, None] for k, v in ratios.items()}
    lines = vector_payout(p, g, rev, measures)
    tot = sum(np.where(g.mask[None], v, 0.0) for v in lines.values())[0]
    return pd.Series(tot.sum(axis=1).round(2), index=g.reps, name="target_incentive")


def payout_curve(
    plan: Plan,
    attainment=None,
    *,
    target: float = 100_000.0,
    months: int = 12,
    margin_rate: float | None = None,
    category_share: float | None = None,
) -> pd.DataFrame:
    """Incentive of one rep over ``months`` months at each steady monthly attainment.

    Only the result components are paid (commissions and bonus): behaviour scorecard, gates,
    honours, team bonuses and draw depend on KPIs and on other reps, so they are left out.

    Parameters
    ----------
    plan : Plan
    attainment : array-like, optional
        Monthly attainment levels (default 0 to 2 in steps of 0.025).
    target : float
        Monthly target revenue of the rep.
    months : int
        Number of months (all at the same attainment), starting in January.
    margin_rate, category_share : float, optional
        Gross margin / revenue, and revenue share of the categories a category commission counts
        (needed only when the plan has such commissions; default 1.0).

    Returns
    -------
    DataFrame
        ``plan, attainment, revenue, incentive, incentive_per_month, effective_rate``
        (incentive / revenue).

    Examples
    --------
    >>> p = Plan.from_dict({"name": "flat", "commissions": [
    ...     {"name": "c", "tiers": [{"from": 0, "rate": 0.02}]}]})
    >>> payout_curve(p, [0.5, 1.0], target=1000, months=1)[["attainment", "incentive"]]
       attainment  incentive
    0         0.5       10.0
    1         1.0       20.0
    """
    plan = _results_only(plan)
    att = np.round(
        np.arange(0, 2.0001, 0.025) if attainment is None else np.asarray(attainment, float), 6
    )
    periods = [f"2000-{m:02d}" for m in range(1, months + 1)]
    reps = [f"r{i:04d}" for i in range(len(att))]
    targets = pd.DataFrame(
        [(r, p, target) for r in reps for p in periods],
        columns=["rep_id", "period", "target_revenue"],
    )
    sales = targets.rename(columns={"target_revenue": "revenue"})
    a_by_rep = dict(zip(reps, att, strict=True))
    sales["revenue"] = sales["rep_id"].map(a_by_rep) * target
    mr = 1.0 if margin_rate is None else margin_rate
    sales["gross_margin"] = sales["revenue"] * mr
    cats = sorted({c for cm in plan.commissions if cm.categories for c in cm.categories})
    if cats:
        share = 1.0 if category_share is None else category_share
        inside = sales.assign(
            category=cats[0],
            revenue=sales["revenue"] * share,
            gross_margin=sales["gross_margin"] * share,
        )
        outside = sales.assign(
            category="__other__",
            revenue=sales["revenue"] * (1 - share),
            gross_margin=sales["gross_margin"] * (1 - share),
        )
        sales = pd.concat([inside, outside], ignore_index=True)
    df = payout(plan, sales, targets, engine="vector")
    per = df.groupby("rep_id").agg(revenue=("revenue", "sum"), incentive=("incentive", "sum"))
    out = pd.DataFrame(
        {
            "plan": plan.name,
            "attainment": att,
            "revenue": per.loc[reps, "revenue"].to_numpy(),
            "incentive": per.loc[reps, "incentive"].to_numpy().round(2),
        }
    )
    out["incentive_per_month"] = (out["incentive"] / months).round(2)
    out["effective_rate"] = np.where(
        out["revenue"] > 0, out["incentive"] / out["revenue"].where(out["revenue"] > 0, 1), 0.0
    )
    return out


@dataclass
class BacktestResult:
    """What :func:`backtest` returns (all tidy DataFrames).

    Attributes
    ----------
    payouts : DataFrame
        ``plan`` + the :func:`~ars_analysis.incentives.payout` columns, one row per plan x rep x
        month (components of all plans; a plan's missing components are 0).
    reps : DataFrame
        One row per plan x rep: ``plan, rep_id, region, months, revenue, target_revenue,
        attainment, incentive, total_pay, target_incentive, pay_vs_target`` (incentive /
        target incentive).
    summary : DataFrame
        One row per plan: ``plan, n_reps, revenue, incentive_cost, total_cost, cost_of_sales``
        (total cost / revenue), ``incentive_cost_of_sales``, ``leverage_p90`` (90th percentile
        over reps of incentive / target incentive: how far the 90th-percentile earner is above
        target pay), ``share_at_quota`` (reps with attainment >= 100% over the period),
        ``spearman`` and ``spearman_p`` (rank correlation of incentive with attainment).
    changes : DataFrame
        Winners and losers against the baseline plan: ``plan, rep_id, region, attainment,
        baseline_incentive, incentive, change, change_pct``, sorted by plan then change.
    """

    payouts: pd.DataFrame
    reps: pd.DataFrame
    summary: pd.DataFrame
    changes: pd.DataFrame
    baseline: str


def backtest(
    plans,
    sales: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    kpis: pd.DataFrame | None = None,
    baseline: int | str = 0,
) -> BacktestResult:
    """Pay the historical sales under each plan and compare the plans.

    Parameters
    ----------
    plans : list of Plan or paths
        The current plan and the candidates (YAML paths are read with :meth:`Plan.from_yaml`).
    sales, targets, reps, kpis : DataFrame
        As in :func:`~ars_analysis.incentives.payout`.
    baseline : int or str
        Position or name of the plan the others are compared with (default: the first).

    Returns
    -------
    BacktestResult

    Examples
    --------
    >>> import pandas as pd
    >>> a = Plan.from_dict({"name": "A", "commissions": [{"name": "c",
    ...     "tiers": [{"from": 0, "rate": 0.02}]}]})
    >>> b = Plan.from_dict({"name": "B", "commissions": [{"name": "c",
    ...     "tiers": [{"from": 0, "rate": 0.01}, {"from": 1.0, "rate": 0.05}]}]})
    >>> sales = pd.DataFrame({"rep_id": ["x", "y"], "period": ["2025-01"] * 2,
    ...                       "revenue": [800.0, 1200.0]})
    >>> targets = sales.assign(target_revenue=1000.0).drop(columns="revenue")
    >>> res = backtest([a, b], sales, targets)
    >>> res.changes[["plan", "rep_id", "change"]].to_string(index=False)
    'plan rep_id  change\\n   B      x    -8.0\\n   B      y    -4.0'
    """
    plans = _as_plans(plans)
    names = [p.name for p in plans]
    if isinstance(baseline, str):
        if baseline not in names:
            raise ValueError(f"baseline: no plan named {baseline!r} among {names}")
        base_name = baseline
    else:
        base_name = names[baseline]
    frames = []
    rep_rows = []
    summary = []
    for p in plans:
        df = payout(p, sales, targets, reps=reps, kpis=kpis, engine="exact")
        df.insert(0, "plan", p.name)
        frames.append(df)
        per = df.groupby(["rep_id", "region"], as_index=False).agg(
            months=("period", "size"),
            revenue=("revenue", "sum"),
            target_revenue=("target_revenue", "sum"),
            incentive=("incentive", "sum"),
            total_pay=("total_pay", "sum"),
        )
        per["attainment"] = np.where(
            per["target_revenue"] > 0,
            per["revenue"] / per["target_revenue"].where(per["target_revenue"] > 0, 1),
            0.0,
        )
        ti = target_incentive(p, sales, targets)
        per["target_incentive"] = per["rep_id"].map(ti).to_numpy(float)
        per["pay_vs_target"] = np.where(
            per["target_incentive"] > 0,
            per["incentive"] / per["target_incentive"].where(per["target_incentive"] > 0, 1),
            np.nan,
        )
        per.insert(0, "plan", p.name)
        rep_rows.append(per)
        revenue = per["revenue"].sum()
        if len(per) > 2 and per["incentive"].nunique() > 1 and per["attainment"].nunique() > 1:
            rho, pval = stats.spearmanr(per["incentive"], per["attainment"])
        else:
            rho, pval = np.nan, np.nan
        summary.append(
            {
                "plan": p.name,
                "n_reps": len(per),
                "revenue": round(revenue, 2),
                "incentive_cost": round(per["incentive"].sum(), 2),
                "total_cost": round(per["total_pay"].sum(), 2),
                "cost_of_sales": per["total_pay"].sum() / revenue if revenue > 0 else np.nan,
                "incentive_cost_of_sales": per["incentive"].sum() / revenue
                if revenue > 0
                else np.nan,
                "leverage_p90": float(np.nanpercentile(per["pay_vs_target"], 90))
                if per["pay_vs_target"].notna().any()
                else np.nan,
                "share_at_quota": float((per["attainment"] >= 1).mean()),
                "spearman": float(rho),
                "spearman_p": float(pval),
            }
        )
    reps_df = pd.concat(rep_rows, ignore_index=True)
    base = reps_df[reps_df["plan"] == base_name].set_index("rep_id")["incentive"]
    ch = reps_df[reps_df["plan"] != base_name][
        ["plan", "rep_id", "region", "attainment", "incentive"]
    ].copy()
    ch.insert(4, "baseline_incentive", ch["rep_id"].map(base).to_numpy())
    ch["change"] = (ch["incentive"] - ch["baseline_incentive"]).round(2)
    ch["change_pct"] = np.where(
        ch["baseline_incentive"] > 0,
        ch["change"] / ch["baseline_incentive"].where(ch["baseline_incentive"] > 0, 1),
        np.nan,
    )
    ch = ch.sort_values(["plan", "change", "rep_id"]).reset_index(drop=True)
    payouts = pd.concat(frames, ignore_index=True)
    comp_cols = [c for c in payouts.columns if c not in ("incentive", "total_pay")]
    payouts = payouts[comp_cols + ["incentive", "total_pay"]].fillna(
        {c: 0.0 for c in comp_cols if c not in ("plan", "rep_id", "region", "period")}
    )
    return BacktestResult(payouts, reps_df, pd.DataFrame(summary), ch, base_name)
