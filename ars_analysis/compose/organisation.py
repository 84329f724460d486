"""Composition of the field-organisation analysis: from a dataset to a
:class:`~ars_analysis.fieldforce.FieldOrganisation` (lines and roles, distributor visits, advisor
development, coaching list) for one report scope.

Role peers, the top terminals, the distributor grades and the tenure curve's experienced level
are computed on the whole dataset; the frames are then filtered to the scope, so a rep, a
terminal or a distributor has the same numbers in the national and the regional report.
"""

from __future__ import annotations

import pandas as pd

from ars_analysis.client import load_client_config
from ars_analysis.compose import aggregate
from ars_analysis.compose.definitions import new_terminal_sales, top_terminals
from ars_analysis.data.snapshot import memo
from ars_analysis.fieldforce import (
    FieldOrganisation,
    attainment,
    coaching_list,
    distributor_visit_summary,
    distributor_visits,
    line_coverage,
    line_gaps,
    line_summary,
    load_organisation,
    load_standards,
    prepare_visits,
    rep_roles,
    rep_scorecard,
    role_summary,
    team_lists,
    tenure_curve,
    time_to_productivity,
    training_comparison,
    turnover,
    visit_compliance,
    with_manager,
    within_role,
)
from ars_analysis.fieldforce.frequency import _window

__all__ = ["analyse_field_organisation", "role_scorecard"]


def _in_scope(values: pd.Series, region) -> pd.Series:
    if region is None:
        return pd.Series(True, index=values.index)
    regions = [region] if isinstance(region, str) else list(region)
    return values.isin(regions)


def role_scorecard(dataset, org, cfg=None, *, start=None, end=None, standards_path=None):
    """The rep scorecard with each rep scored on its role's KPI set.

    Calls :func:`~ars_analysis.fieldforce.rep_scorecard` once per role with the role's weights
    (``org.roles[role].kpis``) on the whole dataset and keeps that role's reps; reps without a
    configured role keep the standards' weights. Adds ``role``.
    """
    cfg = cfg if cfg is not None else load_client_config()
    t = dataset.tables
    has_sales = t.get("sales") is not None and len(t["sales"]) > 0
    common = dict(
        start=start, end=end, standards_path=standards_path,
        sales=new_terminal_sales(dataset) if has_sales else None,
        top_terminals=top_terminals(dataset, cfg.definitions.top_terminal) if has_sales else None,
    )  # fmt: skip
    args = (
        t["visits"], t["terminals"], t.get("reps"), t.get("targets"),
        aggregate.rep_sales(dataset, freq="M") if has_sales else None,
        aggregate.terminal_sales(dataset) if has_sales else None,
    )  # fmt: skip
    ids = set(t["visits"]["rep_id"].dropna().astype(str))
    if t.get("reps") is not None:
        ids |= set(t["reps"]["rep_id"].astype(str))
    roles = rep_roles(t.get("reps"), sorted(ids)).reindex(sorted(ids)).fillna("unknown")
    parts = []
    for role, weights in org.kpi_weights().items():
        card = rep_scorecard(*args, weights=weights, **common)
        parts.append(card[card["rep_id"].map(roles) == role])
    if not roles.isin(list(org.roles)).all():
        rest = rep_scorecard(*args, **common)
        parts.append(rest[~rest["rep_id"].map(roles).isin(list(org.roles))])
    out = pd.concat(parts, ignore_index=True)
    out.insert(1, "role", out["rep_id"].map(roles).fillna("unknown"))
    return out.sort_values("rep_id", kind="mergesort").reset_index(drop=True)


def _names(frame: pd.DataFrame, reps, id_col: str, name_col: str) -> pd.DataFrame:
    if reps is None or "rep_name" not in reps.columns or name_col in frame.columns:
        return frame
    lookup = reps.drop_duplicates("rep_id").set_index("rep_id")["rep_name"]
    out = frame.copy()
    out.insert(out.columns.get_loc(id_col) + 1, name_col, out[id_col].map(lookup))
    return out


def analyse_field_organisation(
    dataset,
    cfg=None,
    *,
    region=None,
    organisation_path=None,
    standards_path=None,
    distributor_grades: pd.DataFrame | None = None,
) -> FieldOrganisation:
    """Lines and roles, distributor visits, advisor development and coaching of one scope.

    Parameters
    ----------
    dataset : Dataset
        The analysis period's data, ALL regions (definitions are computed on all of it).
    cfg : ClientConfig, optional
        Top-terminal definition and minimum samples (default the sample client's).
    region : str or list of str, optional
        The report's scope; ``None`` = national.
    organisation_path : path, optional
        The organisation file (default ``config/field_organisation.yml``).
    standards_path : path, optional
        The visit standards (top-terminal frequency).
    distributor_grades : DataFrame, optional
        ``customer_id, grade`` (+ ``customer_name, region, revenue``) of every distributor, e.g.
        :func:`ars_analysis.compose.core_customers`; without it distributor visits are not
        measured.

    Returns
    -------
    FieldOrganisation

    Examples
    --------
    >>> from ars_analysis import load_dataset  # doctest: +SKIP
    >>> res = analyse_field_organisation(load_dataset("data/sample"), region="华南")  # doctest: +SKIP
    """
    cfg = cfg if cfg is not None else load_client_config()
    org = load_organisation(organisation_path, layers=cfg.layer("field_organisation"))
    std = load_standards(standards_path)
    t = dataset.tables
    if t.get("visits") is None or t.get("terminals") is None:
        raise ValueError("the field organisation needs the 'visits' and 'terminals' tables")
    visits, terminals, reps = prepare_visits(t["visits"]), t["terminals"], t.get("reps")
    lo, hi = _window(visits, None, None)
    rep_region = (
        reps.drop_duplicates("rep_id").set_index("rep_id")["region"]
        if reps is not None and "region" in reps.columns
        else pd.Series(dtype=object)
    )

    # roles: the whole field force scored on its role's KPI set, compared within role
    card = memo(
        "role_scorecard", dataset,
        (org, cfg.definitions.top_terminal, standards_path, str(lo), str(hi)),
        lambda: role_scorecard(dataset, org, cfg, start=lo, end=hi, standards_path=standards_path),
    )  # fmt: skip
    within = within_role(card, reps, {r: list(v.kpis) for r, v in org.roles.items()})
    scope_ids = set(card.loc[_in_scope(card["rep_id"].map(rep_region), region), "rep_id"])
    scope_card = card[card["rep_id"].isin(scope_ids)].reset_index(drop=True)
    kpi_cols = list(dict.fromkeys(k for r in org.roles.values() for k in r.kpis)) + ["score"]
    roles = role_summary(scope_card, reps, kpi_cols)

    # lines at the top terminals
    top_all = top_terminals(dataset, cfg.definitions.top_terminal)
    top_ids = top_all.loc[top_all["is_top"], "terminal_id"].astype(str)
    volume = top_all.set_index("terminal_id")["revenue"]
    cov = line_coverage(
        visits, terminals, reps, top_ids, org, top_interval_days=std["frequency"]["top"],
        start=lo, end=hi, volume=volume,
    )  # fmt: skip
    cov = cov[_in_scope(cov["region"], region)].reset_index(drop=True)
    gaps = line_gaps(cov, org)
    if "terminal_name" in terminals.columns:
        names = terminals.drop_duplicates("terminal_id").set_index("terminal_id")["terminal_name"]
        gaps.insert(1, "terminal_name", gaps["terminal_id"].map(names))

    # distributor visits by grade
    dist = by_grade = None
    if distributor_grades is not None:
        dist = distributor_visits(
            visits, distributor_grades, org.distributor_interval_days(), start=lo, end=hi
        )
        if "region" in dist.columns:
            dist = dist[_in_scope(dist["region"], region)].reset_index(drop=True)
        by_grade = distributor_visit_summary(dist, "grade")

    # advisor development: monthly attainment over the whole sales period
    has_sales = t.get("sales") is not None and len(t["sales"]) > 0
    if has_sales and t.get("targets") is not None:
        monthly = attainment(aggregate.rep_sales(dataset, freq="M"), t["targets"])
    else:
        monthly = pd.DataFrame(columns=["rep_id", "period", "revenue", "target_revenue",
                                        "attainment"])  # fmt: skip
    monthly_scope = monthly[monthly["rep_id"].isin(scope_ids)]
    dev = org.development
    tenure = tenure_curve(monthly_scope, reps, dev.tenure_bins)
    comp_m = visit_compliance(visits, freq="M")
    comp_m = comp_m[comp_m["rep_id"].isin(scope_ids)]
    tenure_disc = tenure_curve(comp_m, reps, dev.tenure_bins, measure="visit_completion")
    prod = time_to_productivity(
        monthly, reps, productive_share=dev.productive_share,
        experienced_months=dev.experienced_months,
    )  # fmt: skip
    period = dataset.period
    scope_reps = reps[reps["rep_id"].isin(scope_ids)] if reps is not None else None
    turn = turnover(scope_reps, period[0], period[1]) if period and scope_reps is not None else None
    training = training_comparison(
        monthly_scope, reps, t.get("training"), months=dev.training_months,
        min_tenure_months=dev.min_tenure_months,
    )  # fmt: skip

    # coaching: national peers, the scope's reps
    coach = coaching_list(within, org.coaching, monthly=monthly, reps=reps,
                          last=hi.strftime("%Y-%m"), standards=std["coaching"])  # fmt: skip
    coach = coach[coach["rep_id"].isin(scope_ids)].reset_index(drop=True)
    coach = with_manager(coach, reps)
    coach = _names(coach, reps, "rep_id", "rep_name")
    coach = _names(coach, reps, "manager_id", "manager_name")
    coach.insert(2, "region", coach["rep_id"].map(rep_region))
    teams = _names(team_lists(coach, reps), reps, "manager_id", "manager_name")
    scope_card = _names(scope_card, reps, "rep_id", "rep_name")

    return FieldOrganisation(
        org=org,
        region=region,
        visit_period=(lo, hi),
        sales_period=period,
        role_card=scope_card,
        within=within[within["rep_id"].isin(scope_ids)].reset_index(drop=True),
        roles=roles,
        line_coverage=cov,
        line_summary=line_summary(cov),
        line_gaps=gaps,
        distributors=dist,
        distributors_by_grade=by_grade,
        tenure=tenure,
        tenure_discipline=tenure_disc,
        productivity=prod,
        turnover=turn,
        training=training,
        coaching=coach,
        teams=teams,
        min_sample=int(cfg.min_sample.correlation),
    )
