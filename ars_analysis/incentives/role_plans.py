"""Plans per role: the organisation's cost and each role's pay spread under each plan assignment,
honour awards as non-cash recognition, and what each plan pays for.

Built on the plan objects and public functions of this package (:func:`backtest`,
:func:`simulate`): each role's reps are paid under the plan each assignment gives the role.

Honours (荣誉激励) are recognition, not cash: every plan is paid with its honours' amounts set
to a marker of 1 (so each award is counted and its winner known, :func:`role_backtest`) and the
markers are taken out of the cash incentive; an award costs what the assignment file's
``recognition.cost`` says (0 and "not costed" when it says nothing). The Monte Carlo pays the
honours at that cost (:func:`role_simulation`).

Examples
--------
>>> from ars_analysis.incentives import Plan
>>> p = Plan.from_dict({"name": "p", "honours": [{"name": "h", "amount": 2000, "top_n": 1}]})
>>> recognition_plan(p).honours[0].amount, cash_plan(p, {"h": 300}).honours[0].amount
(1.0, 300.0)
>>> plan_behaviours(p)["behaviour"].tolist()
['ranking']
"""

from __future__ import annotations

import dataclasses
import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd

from ars_analysis.incentives.backtest import backtest
from ars_analysis.incentives.plan import Plan
from ars_analysis.incentives.simulate import simulate


def recognition_plan(plan: Plan) -> Plan:
    """``plan`` with every honour's amount set to 1 (a marker: one per award)."""
    return dataclasses.replace(
        plan, honours=tuple(dataclasses.replace(h, amount=1.0) for h in plan.honours)
    )


def cash_plan(plan: Plan, cost: Mapping[str, float]) -> Plan:
    """``plan`` with every honour's amount set to its recognition cost (0 when not given)."""
    return dataclasses.replace(
        plan,
        honours=tuple(
            dataclasses.replace(h, amount=float(cost.get(h.name, 0.0))) for h in plan.honours
        ),
    )


def _pools(plans: Mapping, reps: pd.DataFrame) -> list:
    """Who is paid together: per assignment, the roles paid under the same plan form one pool
    (ranked together for honours, one team for team bonuses, as the plan works today).

    Returns a list of ``(assignment, plan, roles, rep ids)``; the plan is named
    ``<assignment>__<role>[__<role>...]``.
    """
    roles = reps.drop_duplicates("rep_id").set_index("rep_id")["role"]
    pools: list = []
    for (aid, role), plan in plans.items():
        bare = dataclasses.replace(plan, name="_")
        for pool in pools:
            if pool[0] == aid and pool[1] == bare:
                pool[2].append(role)
                break
        else:
            pools.append([aid, bare, [role]])
    out = []
    for aid, bare, rs in pools:
        ids = set(roles[roles.isin(rs)].index.astype(str))
        out.append((aid, dataclasses.replace(bare, name="__".join([aid, *rs])), rs, ids))
    return out


def role_backtest(
    plans: Mapping[tuple[str, str], Plan],
    sales: pd.DataFrame,
    targets: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    kpis: pd.DataFrame | None = None,
    recognition_cost: Mapping[str, float] | None = None,
    reference: str | None = None,
) -> dict:
    """Backtest of every assignment with honours as recognition.

    The roles an assignment pays under the same plan are paid together (one ranking for
    honours, one team for team bonuses, as the plan works); the results are then split by
    role.

    Parameters
    ----------
    plans : dict
        (assignment id, role) -> Plan (:meth:`PlanAssignment.plans`).
    sales, targets : DataFrame
        As for :func:`backtest` (monthly ``rep_id, period, revenue`` [+ ``gross_margin``,
        ``category``]; ``rep_id, period, target_revenue``).
    reps : DataFrame
        ``rep_id, role, region``.
    kpis : DataFrame, optional
        Monthly KPIs read by the plans.
    recognition_cost : dict, optional
        Honour name -> cost per award.
    reference : str, optional
        The reference assignment (default: the first).

    Returns
    -------
    dict
        ``reps`` (``assignment, role, plan, rep_id, region, months, revenue, target_revenue,
        attainment, base_pay, cash_incentive, awards, recognition_cost, total_cost``),
        ``awards`` (``assignment, role, plan, honour, rep_id, period``: one row per award;
        ``plan`` names the pool ``<assignment>__<role>...``),
        ``summary`` (per assignment: ``n_reps, revenue, base_pay, cash_incentive, n_awards,
        n_awards_costed, recognition_cost, total_cost, cost_rate, change_vs_reference``),
        ``spread`` (per assignment and role: ``n_reps, incentive_p10, incentive_p50,
        incentive_p90`` of the monthly cash incentive per rep, ``spread`` = p90 - p10),
        ``window`` (first, last month: the months every role's plans were paid on, the
        comparison window of each role's :func:`backtest` intersected).
    """
    cost = dict(recognition_cost or {})
    reference = reference or next(iter(plans))[0]
    role_of = reps.drop_duplicates("rep_id").set_index("rep_id")["role"]
    runs, windows = [], []
    for aid, plan, _roles, ids in _pools(plans, reps):
        s = sales[sales["rep_id"].astype(str).isin(ids)]
        t = targets[targets["rep_id"].astype(str).isin(ids)]
        if t.empty:
            continue
        marked = recognition_plan(plan)
        k = kpis[kpis["rep_id"].astype(str).isin(ids)] if kpis is not None else None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            bt = backtest([marked], s, t, reps=reps, kpis=k)
        windows.append(bt.comparison_window)
        runs.append((aid, plan, bt.payouts))
    # one window for the whole organisation: the months every pool's plan was paid on
    first = max((w[0] for w in windows if w and w[0]), default=None)
    last = min((w[1] for w in windows if w and w[1]), default=None)
    rows, awards = [], []
    for aid, plan, pay in runs:
        p = pay.copy()
        if first is not None:
            p = p[(p["period"].astype(str) >= first) & (p["period"].astype(str) <= last)]
        p["role"] = p["rep_id"].map(role_of)
        hon = [h.name for h in plan.honours]
        n_aw = p[hon].sum(axis=1) if hon else pd.Series(0.0, index=p.index)
        rec = sum(p[h] * cost.get(h, 0.0) for h in hon) if hon else 0.0
        p["cash_incentive"] = p["incentive"] - n_aw
        p["awards"] = n_aw
        p["recognition_cost"] = rec
        for h in hon:
            won = p[p[h] > 0]
            awards.append(pd.DataFrame({"assignment": aid, "role": won["role"].to_numpy(),
                                        "plan": plan.name, "honour": h,
                                        "rep_id": won["rep_id"].to_numpy(),
                                        "period": won["period"].to_numpy()}))  # fmt: skip
        g = p.groupby(["role", "rep_id", "region"], as_index=False, dropna=False).agg(
            months=("period", "nunique"), revenue=("revenue", "sum"),
            target_revenue=("target_revenue", "sum"), base_pay=("base_pay", "sum"),
            cash_incentive=("cash_incentive", "sum"), awards=("awards", "sum"),
            recognition_cost=("recognition_cost", "sum"),
        )  # fmt: skip
        g.insert(1, "plan", plan.name)
        g.insert(0, "assignment", aid)
        rows.append(g)
    cols = ["assignment", "role", "plan", "rep_id", "region", "months", "revenue",
            "target_revenue", "base_pay", "cash_incentive", "awards", "recognition_cost"]  # fmt: skip
    r = pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=cols)
    r["awards"] = r["awards"].round().astype("int64")
    r["attainment"] = r["revenue"] / r["target_revenue"].where(r["target_revenue"] > 0)
    r["total_cost"] = r["base_pay"] + r["cash_incentive"] + r["recognition_cost"]
    aw = (pd.concat(awards, ignore_index=True) if awards else
          pd.DataFrame(columns=["assignment", "role", "plan", "honour", "rep_id", "period"]))  # fmt: skip
    aw["costed"] = aw["honour"].map(lambda h: h in cost)
    summ = r.groupby("assignment", sort=False).agg(
        n_reps=("rep_id", "nunique"), revenue=("revenue", "sum"), base_pay=("base_pay", "sum"),
        cash_incentive=("cash_incentive", "sum"), n_awards=("awards", "sum"),
        recognition_cost=("recognition_cost", "sum"), total_cost=("total_cost", "sum"),
    )  # fmt: skip
    summ["n_awards_costed"] = aw.groupby("assignment")["costed"].sum().reindex(summ.index)
    summ["n_awards_costed"] = summ["n_awards_costed"].fillna(0).astype("int64")
    summ["cost_rate"] = summ["total_cost"] / summ["revenue"].where(summ["revenue"] > 0)
    ref = summ["total_cost"].get(reference, np.nan)
    summ["change_vs_reference"] = summ["total_cost"] - ref
    summ = summ.reset_index()
    r["monthly_incentive"] = r["cash_incentive"] / r["months"].where(r["months"] > 0)
    spread = r.groupby(["assignment", "role"], sort=False).agg(
        n_reps=("rep_id", "nunique"),
        incentive_p10=("monthly_incentive", lambda x: x.quantile(0.1)),
        incentive_p50=("monthly_incentive", "median"),
        incentive_p90=("monthly_incentive", lambda x: x.quantile(0.9)),
    ).reset_index()  # fmt: skip
    spread["spread"] = spread["incentive_p90"] - spread["incentive_p10"]
    return {"reps": r.drop(columns="monthly_incentive"), "awards": aw, "summary": summ,
            "spread": spread, "window": (first, last), "reference": reference}  # fmt: skip


def role_simulation(
    plans: Mapping[tuple[str, str], Plan],
    model,
    sales: pd.DataFrame,
    targets: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    kpis: pd.DataFrame | None = None,
    recognition_cost: Mapping[str, float] | None = None,
    n_scenarios: int = 500,
    seed: int = 0,
    budget: float | None = None,
) -> dict:
    """Monte Carlo of every assignment: each pool of reps (the roles paid under one plan)
    simulated under its plan (honours at their recognition cost), the organisation's cost summed
    pool by pool scenario by scenario.

    Pools are simulated separately with the same seed; summing scenario ``i`` of each pool
    treats their outcomes as independent given the model (a regional shock is not shared
    across pools), so the organisation's spread is a lower bound.

    Returns
    -------
    dict
        ``summary`` (per assignment: ``total_cost_mean, total_cost_p5, total_cost_p50,
        total_cost_p95``, ``prob_over_budget`` when a budget is given), ``roles`` (per
        pool: ``assignment, roles, plan, n_reps, total_cost_mean, earnings_p10, earnings_p50,
        earnings_p90``: expected percentiles of a rep's incentive over the horizon),
        ``n_scenarios``.
    """
    cost = dict(recognition_cost or {})
    totals: dict[str, np.ndarray] = {}
    role_rows = []
    for aid, plan, roles, ids in _pools(plans, reps):
        t = targets[targets["rep_id"].astype(str).isin(ids)]
        if t.empty:
            continue
        s = sales[sales["rep_id"].astype(str).isin(ids)]
        k = kpis[kpis["rep_id"].astype(str).isin(ids)] if kpis is not None else None
        cp = cash_plan(plan, cost)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            sim = simulate([cp], model, s, t, reps=reps, kpis=k, n_scenarios=n_scenarios,
                           seed=seed)  # fmt: skip
        sc = sim.scenarios.sort_values("scenario")
        v = sc["total_cost"].to_numpy(dtype=float)
        totals[aid] = totals.get(aid, 0) + v
        sm = sim.summary.iloc[0]
        role_rows.append({"assignment": aid, "roles": list(roles), "plan": plan.name,
                          "n_reps": len(ids), "total_cost_mean": float(v.mean()),
                          "earnings_p10": float(sm["earnings_p10"]),
                          "earnings_p50": float(sm["earnings_p50"]),
                          "earnings_p90": float(sm["earnings_p90"])})  # fmt: skip
    rows = []
    for aid, v in totals.items():
        row = {"assignment": aid, "total_cost_mean": float(np.mean(v)),
               "total_cost_p5": float(np.quantile(v, 0.05)),
               "total_cost_p50": float(np.quantile(v, 0.5)),
               "total_cost_p95": float(np.quantile(v, 0.95))}  # fmt: skip
        if budget is not None:
            row["prob_over_budget"] = float(np.mean(v > budget))
        rows.append(row)
    return {"summary": pd.DataFrame(rows), "roles": pd.DataFrame(role_rows),
            "n_scenarios": n_scenarios}  # fmt: skip


#: Behaviour codes a plan can pay for, and the KPI that shows the behaviour (None: none).
BEHAVIOUR_KPI = {
    "volume": "attainment",
    "margin": None,
    "category_mix": None,
    "minimum_attainment": "attainment",
    "target_attainment": "attainment",
    "ranking": "attainment",
    "team_target": None,
    "income_security": None,
}


def plan_behaviours(plan: Plan) -> pd.DataFrame:
    """What a plan pays for: one row per behaviour (``behaviour, kpi, component``).

    Commissions pay ``volume`` (revenue), ``margin`` (gross margin) or ``category_mix`` (a
    category list); a commission threshold ``minimum_attainment``; the bonus
    ``target_attainment``; each scorecard KPI and each gate the KPI itself (behaviour =
    ``kpi``); honours ``ranking``; team bonuses ``team_target``; a draw ``income_security``.
    """
    rows = []
    for c in plan.commissions:
        b = "category_mix" if c.categories else ("margin" if c.measure == "gross_margin"
                                                 else "volume")  # fmt: skip
        rows.append((b, BEHAVIOUR_KPI[b], c.name))
        if c.threshold is not None:
            rows.append(("minimum_attainment", "attainment", c.name))
    if plan.bonus is not None:
        rows.append(("target_attainment", "attainment", "bonus"))
    if plan.scorecard is not None:
        rows += [("kpi", k.column, "scorecard") for k in plan.scorecard.kpis]
    rows += [("kpi", g.kpi, "gate") for g in plan.gates]
    rows += [("ranking", "attainment", h.name) for h in plan.honours]
    rows += [("team_target", None, tb.name) for tb in plan.team_bonuses]
    if plan.draw is not None:
        rows.append(("income_security", None, "draw"))
    out = pd.DataFrame(rows, columns=["behaviour", "kpi", "component"])
    return out.drop_duplicates(["behaviour", "kpi"]).reset_index(drop=True)


def deviations_corrected(
    plans: Mapping[tuple[str, str], Plan], deviations: pd.DataFrame
) -> pd.DataFrame:
    """For each assignment and role: the behaviours its plan pays for and the deviations it would
    correct.

    Parameters
    ----------
    plans : dict
        (assignment id, role) -> Plan.
    deviations : DataFrame
        ``role, kpi, n_reps_below`` (reps of the role clearly below their peers on the KPI).

    Returns
    -------
    DataFrame
        ``assignment, role, behaviour, kpi, component, n_reps_below`` (0 when the KPI shows no
        deviation, NaN for behaviours without a KPI), ``corrects`` (``n_reps_below > 0``).

    Examples
    --------
    >>> from ars_analysis.incentives import Plan
    >>> p = Plan.from_dict({"name": "p", "gates": [{"kpi": "visit_completion", "min": 0.8}],
    ...                     "commissions": [{"name": "c", "tiers": [{"from": 0, "rate": 0.01}]}]})
    >>> d = pd.DataFrame({"role": ["salesperson"], "kpi": ["visit_completion"], "n_reps_below": [4]})
    >>> deviations_corrected({("a", "salesperson"): p}, d)[["behaviour", "corrects"]].values.tolist()
    [['volume', False], ['kpi', True]]
    """
    dev = deviations.set_index(["role", "kpi"])["n_reps_below"]
    rows = []
    for (aid, role), plan in plans.items():
        b = plan_behaviours(plan)
        b.insert(0, "role", role)
        b.insert(0, "assignment", aid)
        b["n_reps_below"] = [
            float(dev.get((role, k), 0)) if pd.notna(k) else np.nan for k in b["kpi"]
        ]
        rows.append(b)
    out = pd.concat(rows, ignore_index=True)
    out["corrects"] = out["n_reps_below"].fillna(0) > 0
    return out


@dataclasses.dataclass
class RolePlanAnalysis:
    """Plans per role for one report scope (numbers only; built by
    :func:`ars_analysis.compose.analyse_role_plans`)."""

    assignment: object  # PlanAssignment
    plans: dict
    region: object
    backtest: dict
    simulation: dict
    behaviours: pd.DataFrame
    role_counts: pd.Series
    horizon: list

    def results(self) -> dict:
        """Key numbers for ``results.json`` (never shown)."""
        s = self.backtest["summary"].set_index("assignment")
        m = self.simulation["summary"].set_index("assignment")
        return {
            "role_plan_total_cost": {k: round(float(v), 2) for k, v in s["total_cost"].items()},
            "role_plan_awards": {k: int(v) for k, v in s["n_awards"].items()},
            "role_plan_sim_cost_mean": {k: round(float(v), 2)
                                        for k, v in m["total_cost_mean"].items()},
        }  # fmt: skip
