"""Backtest: replay history under the current plan and each candidate plan.

For every plan the historical sales are paid with the exact engine, then summarised: cost,
incentive cost rate (field-force pay / revenue), leverage, share of reps at quota, how well pay
follows performance, and who gains or loses against the baseline (current) plan.

All plans are compared on one **comparison window**. When a plan pays on behaviour KPIs
(scorecard, gates), KPI-gated pay can only be computed for months in which the KPIs were
measured (the visit log's months): the comparison window is then the months with a measured
KPI (the **KPI window**), and every plan is paid on exactly those months. KPIs measured over
a few months are never spread over the rest of the history.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy import stats

from ars_analysis.incentives.engine import payout, vector_payout
from ars_analysis.incentives.grid import _measure_key, build_grid
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
    """Each rep's own target incentive: what the plan pays that rep over the months of
    ``targets`` at exactly 100 % attainment of the rep's own target every month.

    The result components (commissions and target bonus) are paid on revenue = target, with the
    rep's own historical margin and category mix, gates taken as passed; a draw (guarantee) is
    the floor when the plan has one. Behaviour scorecard, honours and team bonuses are left out
    (they depend on KPIs and on other reps). A stated ``target_incentive`` of the plan file is
    not used: one fixed amount for every rep makes leverage meaningless for reps with larger
    or smaller targets.

    Returns
    -------
    Series indexed by ``rep_id``.

    Examples
    --------
    >>> import pandas as pd
    >>> p = Plan.from_dict({"name": "flat", "commissions": [{"name": "c",
    ...     "tiers": [{"from": 0, "rate": 0.01}]}]})
    >>> t = pd.DataFrame({"rep_id": ["a", "b"], "period": "2025-01",
    ...                   "target_revenue": [1000.0, 5000.0]})
    >>> target_incentive(p, t.rename(columns={"target_revenue": "revenue"}), t).tolist()
    [10.0, 50.0]
    """
    p = replace(_results_only(plan), draw=plan.draw)
    g = build_grid(p, sales, targets)
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


def rank_correlation(x, y, *, level: float = 0.95) -> dict:
    """Spearman rank correlation with its confidence interval and p-value from ONE procedure.

    Both come from the Fisher z-transform of the rank correlation with the standard error
    ``sqrt(1.06 / (n - 3))`` (Fieller, Hartley & Pearson 1957): ``z = atanh(rho)``, the
    interval is ``tanh(z -/+ q * se)`` and the p-value ``2 * (1 - Phi(|z| / se))``. So
    ``p < 1 - level`` exactly when the interval excludes 0: they cannot contradict each other.

    Returns
    -------
    dict
        ``n``, ``rho``, ``low``, ``high``, ``p`` (NaN when ``n < 4`` or a variable is constant).

    Examples
    --------
    >>> r = rank_correlation([1, 2, 3, 4, 5, 6], [1, 3, 2, 5, 4, 6])
    >>> round(r["rho"], 3), r["low"] < r["rho"] < r["high"], r["p"] < 0.05
    (0.886, True, True)
    """
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    ok = ~(np.isnan(x) | np.isnan(y))
    x, y = x[ok], y[ok]
    n = len(x)
    out = {"n": n, "rho": np.nan, "low": np.nan, "high": np.nan, "p": np.nan}
    if n < 4 or np.unique(x).size < 2 or np.unique(y).size < 2:
        return out
    rho = float(stats.spearmanr(x, y)[0])
    se = np.sqrt(1.06 / (n - 3))
    z = np.arctanh(np.clip(rho, -1 + 1e-12, 1 - 1e-12))
    q = stats.norm.ppf(0.5 + level / 2)
    out.update(
        rho=rho,
        low=float(np.tanh(z - q * se)),
        high=float(np.tanh(z + q * se)),
        p=float(2 * stats.norm.sf(abs(z) / se)),
    )
    return out


def kpi_months(plans, kpis: pd.DataFrame | None) -> list[str]:
    """Months (``YYYY-MM``) in which the KPIs the plans read were measured for some rep.

    Empty when no plan reads a KPI. Raises ``ValueError`` when a plan reads KPIs and ``kpis``
    has no ``period`` column: KPIs of a few months must not be applied to other months.
    """
    needed = list(dict.fromkeys(c for p in _as_plans(plans) for c in p.kpi_columns))
    if not needed:
        return []
    if kpis is None or "period" not in kpis:
        raise ValueError(
            f"kpis: the plan(s) read the KPI columns {needed}: pass monthly KPIs with a 'period' "
            "column (fieldforce.rep_scorecard(..., freq='M')); KPI-gated pay is computed only "
            "for months with a measured KPI"
        )
    missing = [c for c in needed if c not in kpis]
    if missing:
        raise ValueError(f"kpis: missing KPI columns {missing} read by the plan(s)")
    measured = kpis[needed].notna().any(axis=1)
    return sorted(kpis.loc[measured, "period"].astype(str).unique())


@dataclass
class BacktestResult:
    """What :func:`backtest` returns (all tidy DataFrames).

    Attributes
    ----------
    payouts : DataFrame
        ``plan`` + the :func:`~ars_analysis.incentives.payout` columns, one row per plan x rep x
        month of the comparison window (components of all plans; a plan's missing components
        are 0).
    reps : DataFrame
        One row per plan x rep: ``plan, rep_id, region, months, revenue, target_revenue,
        attainment, incentive, total_pay, target_incentive`` (the rep's own target incentive
        under the plan, see :func:`target_incentive`), ``pay_vs_target`` (incentive / target
        incentive: the rep's leverage).
    summary : DataFrame
        One row per plan: ``plan, n_reps, months, revenue, incentive_cost, total_cost,
        incentive_cost_rate`` (人力激励费用率: field-force pay, base + incentive, / revenue),
        ``variable_pay_rate`` (incentive alone / revenue), ``change_vs_baseline`` (total cost
        minus the baseline's), ``leverage_p50``, ``leverage_p90`` (percentiles over reps of
        ``pay_vs_target``), ``share_at_quota`` (reps with attainment >= 100% over the window),
        ``n_up``, ``n_down`` (reps whose incentive rises / falls against the baseline),
        ``spearman, spearman_low, spearman_high, spearman_p`` (rank correlation of incentive
        with attainment, interval and p-value from :func:`rank_correlation`).
    changes : DataFrame
        Winners and losers against the baseline plan: ``plan, rep_id, region, attainment,
        baseline_incentive, incentive, change, change_pct``, sorted by plan then change.
    baseline : str
    comparison_window : tuple of str
        First and last month (``YYYY-MM``) every plan was paid on.
    kpi_window : tuple of str or None
        First and last month with a measured KPI (None when no plan reads KPIs).
    periods : list of str
        The months of the comparison window.
    """

    payouts: pd.DataFrame
    reps: pd.DataFrame
    summary: pd.DataFrame
    changes: pd.DataFrame
    baseline: str
    comparison_window: tuple[str, str] | None = None
    kpi_window: tuple[str, str] | None = None
    periods: list = field(default_factory=list)


def backtest(
    plans,
    sales: pd.DataFrame,
    targets: pd.DataFrame,
    *,
    reps: pd.DataFrame | None = None,
    kpis: pd.DataFrame | None = None,
    baseline: int | str = 0,
    level: float = 0.95,
) -> BacktestResult:
    """Pay the historical sales under each plan, on one comparison window, and compare.

    Parameters
    ----------
    plans : list of Plan or paths
        The current plan and the candidates (YAML paths are read with :meth:`Plan.from_yaml`).
    sales, targets, reps : DataFrame
        As in :func:`~ars_analysis.incentives.payout`.
    kpis : DataFrame, optional
        Monthly KPIs (``rep_id, period`` + KPI columns), needed when a plan reads KPIs. Then
        the comparison window is the months with a measured KPI (:func:`kpi_months`) and
        every plan is paid on those months only; otherwise it is every month of ``targets``.
    baseline : int or str
        Position or name of the plan the others are compared with (default: the first).
    level : float
        Confidence level of the rank-correlation interval.

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
    >>> res.comparison_window
    ('2025-01', '2025-01')
    """
    plans = _as_plans(plans)
    names = [p.name for p in plans]
    if isinstance(baseline, str):
        if baseline not in names:
            raise ValueError(f"baseline: no plan named {baseline!r} among {names}")
        base_name = baseline
    else:
        base_name = names[baseline]
    measured = kpi_months(plans, kpis)
    all_months = sorted(targets["period"].astype(str).unique())
    if any(p.kpi_columns for p in plans):
        window = [m for m in all_months if m in set(measured)]
        if not window:
            raise ValueError(
                "kpis: no month of the targets has a measured KPI; the plans that pay on KPIs "
                "cannot be backtested"
            )
        kpi_window = (measured[0], measured[-1])
    else:
        window, kpi_window = all_months, None
    in_window = set(window)
    sales = sales[sales["period"].astype(str).isin(in_window)]
    targets = targets[targets["period"].astype(str).isin(in_window)]
    if kpis is not None and "period" in kpis:
        kpis = kpis[kpis["period"].astype(str).isin(in_window)]
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
        rc = rank_correlation(per["incentive"], per["attainment"], level=level)
        lev = per["pay_vs_target"].dropna()
        summary.append(
            {
                "plan": p.name,
                "n_reps": len(per),
                "months": len(window),
                "revenue": round(revenue, 2),
                "incentive_cost": round(per["incentive"].sum(), 2),
                "total_cost": round(per["total_pay"].sum(), 2),
                "incentive_cost_rate": per["total_pay"].sum() / revenue if revenue > 0 else np.nan,
                "variable_pay_rate": per["incentive"].sum() / revenue if revenue > 0 else np.nan,
                "leverage_p50": float(np.percentile(lev, 50)) if len(lev) else np.nan,
                "leverage_p90": float(np.percentile(lev, 90)) if len(lev) else np.nan,
                "share_at_quota": float((per["attainment"] >= 1).mean()),
                "spearman": rc["rho"],
                "spearman_low": rc["low"],
                "spearman_high": rc["high"],
                "spearman_p": rc["p"],
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
    summ = pd.DataFrame(summary)
    base_cost = summ.set_index("plan").loc[base_name, "total_cost"]
    summ.insert(
        summ.columns.get_loc("incentive_cost_rate"),
        "change_vs_baseline",
        (summ["total_cost"] - base_cost).round(2),
    )
    ups = ch.groupby("plan")["change"].agg(
        n_up=lambda c: int((c > 0).sum()), n_down=lambda c: int((c < 0).sum())
    )
    summ = summ.merge(ups, left_on="plan", right_index=True, how="left")
    summ[["n_up", "n_down"]] = summ[["n_up", "n_down"]].fillna(0).astype("int64")
    payouts = pd.concat(frames, ignore_index=True)
    comp_cols = [c for c in payouts.columns if c not in ("incentive", "total_pay")]
    payouts = payouts[comp_cols + ["incentive", "total_pay"]].fillna(
        {c: 0.0 for c in comp_cols if c not in ("plan", "rep_id", "region", "period")}
    )
    return BacktestResult(
        payouts,
        reps_df,
        summ,
        ch,
        base_name,
        (window[0], window[-1]),
        kpi_window,
        list(window),
    )
