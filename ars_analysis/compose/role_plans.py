"""Composition of plans per role (report 03): from a dataset and a plan-assignment file to a
:class:`~ars_analysis.incentives.RolePlanAnalysis`.

The monthly KPIs, the attainment model and the deviations of each role (reps clearly below
their role's peers, field execution's :func:`~ars_analysis.fieldforce.within_role`) are computed
on the whole dataset; the region's reps are then paid.
"""

from __future__ import annotations

import pandas as pd

from ars_analysis.compose.aggregate import sales_by
from ars_analysis.compose.incentives import monthly_kpis
from ars_analysis.data.snapshot import memo
from ars_analysis.fieldforce import SCORECARD_KPIS, load_organisation, within_role
from ars_analysis.incentives import (
    HORIZON_MONTHS,
    AttainmentModel,
    RolePlanAnalysis,
    deviations_corrected,
    load_plan_assignment,
    role_backtest,
    role_simulation,
)

__all__ = ["analyse_role_plans", "role_deviations"]

#: A rep is "clearly below" the role's peers on a KPI this many standard deviations under the
#: role's median.
BELOW_PEERS_SD = 1.0


def role_deviations(kpis: pd.DataFrame, reps: pd.DataFrame, org, keep=None) -> pd.DataFrame:
    """``role, kpi, n_reps_below``: reps at least :data:`BELOW_PEERS_SD` standard deviations
    below their role's median (peers: every rep of ``kpis``) on the mean of their monthly KPIs
    (KPI sets of ``org``), counted among the reps of ``keep`` (default all)."""
    per_rep = kpis.drop(columns="period").groupby("rep_id", as_index=False).mean()
    w = within_role(per_rep, reps, {r: list(v.kpis) for r, v in org.roles.items()})
    if keep is not None:
        w = w[w["rep_id"].astype(str).isin(keep)]
    below = w[w["gap_sd"] <= -BELOW_PEERS_SD]
    return below.groupby(["role", "kpi"]).size().rename("n_reps_below").reset_index()


def analyse_role_plans(
    ds,
    cfg,
    *,
    region=None,
    assignment_file=None,
    organisation_file=None,
    n_scenarios: int = 500,
    seed: int = 0,
) -> RolePlanAnalysis:
    """Plans per role of one scope: backtest, Monte Carlo, behaviours paid.

    Parameters
    ----------
    ds : Dataset
        The analysis period, every region (needs ``reps.role`` and ``targets``).
    cfg : ClientConfig
    region : str, optional
        Keep the reps of this region (None = national).
    assignment_file, organisation_file : path, optional
        The plan assignment (default ``config/plan_assignment.yml``) and the organisation
        (KPI sets of the roles, default ``config/field_organisation.yml``).
    n_scenarios, seed : int
        Monte Carlo scenarios per role and seed.
    """
    if not ds.has("reps") or "role" not in ds.reps.columns:
        raise ValueError("plans per role need the 'reps' table with a 'role' column")
    assignment = load_plan_assignment(assignment_file, layers=cfg.layer("plan_assignment"))
    org = load_organisation(organisation_file, layers=cfg.layer("field_organisation"))
    plans = assignment.plans()
    reps_all = ds.reps.drop_duplicates("rep_id")
    reps = reps_all if region is None else reps_all[reps_all["region"] == region]
    keep = set(reps["rep_id"].astype(str))
    sales = sales_by(ds, ["rep_id", "category"], freq="M")
    sales = sales[sales["rep_id"].astype(str).isin(keep)].reset_index(drop=True)
    targets = ds.targets[["rep_id", "period", "target_revenue"]]
    targets = targets[targets["rep_id"].astype(str).isin(keep)].reset_index(drop=True)
    if not len(targets):
        raise ValueError(f"no rep of region {region!r} has a target: nothing to pay")

    top_def = cfg.definitions.top_terminal
    cols = list(SCORECARD_KPIS)
    kpis_all = memo("monthly_kpis", ds, (cols, top_def), lambda: monthly_kpis(ds, cols, top_def))
    kpis = None
    if kpis_all is not None:
        kpis = kpis_all[kpis_all["rep_id"].astype(str).isin(keep)].reset_index(drop=True)
        scope_dev = role_deviations(kpis_all, reps_all, org, keep)
    else:
        scope_dev = pd.DataFrame(columns=["role", "kpi", "n_reps_below"])

    bt = role_backtest(plans, sales, targets, reps_all, kpis=kpis,
                       recognition_cost=assignment.recognition.cost,
                       reference=assignment.reference)  # fmt: skip
    months = sorted(targets["period"].astype(str).unique())
    horizon = months[-HORIZON_MONTHS:]
    future = targets[targets["period"].astype(str).isin(horizon)]
    monthly = sales.groupby(["rep_id", "period"], as_index=False)["revenue"].sum()
    model = AttainmentModel().fit(monthly, targets, reps_all)
    sim = role_simulation(plans, model, sales, future, reps_all, kpis=kpis,
                          recognition_cost=assignment.recognition.cost,
                          n_scenarios=n_scenarios, seed=seed)  # fmt: skip
    return RolePlanAnalysis(
        assignment=assignment,
        plans=plans,
        region=region,
        backtest=bt,
        simulation=sim,
        behaviours=deviations_corrected(plans, scope_dev),
        role_counts=reps["role"].value_counts(),
        horizon=horizon,
    )
