"""The field organisation in report 04 as a client reads it: lines and roles, distributor visits,
advisor development and the coaching list, from a
:class:`~ars_analysis.fieldforce.FieldOrganisation`.

All wording comes from ``labels/organisation.yml`` (and ``fieldforce.yml`` for KPI names); every
number is formatted with :mod:`ars_analysis.presentation.fmt` before it enters a sentence.

Examples
--------
>>> from ars_analysis import load_dataset  # doctest: +SKIP
>>> from ars_analysis.compose import analyse_field_organisation  # doctest: +SKIP
>>> org = analyse_field_organisation(load_dataset("data/sample"))  # doctest: +SKIP
>>> lines_text(org, "en")  # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from ars_analysis.fieldforce import FieldOrganisation
from ars_analysis.labels import check_lang, label
from ars_analysis.presentation import fmt
from ars_analysis.presentation.blocks import Finding, Html, ReportSummary, _esc, caveat, section
from ars_analysis.presentation.tables import ReportTable, place_name

NS = ("organisation", "fieldforce", "terminals")

#: Section anchors of report 04's organisation sections.
SECTIONS = {
    "lines": "sec-lines",
    "roles": "sec-roles",
    "distributors": "sec-distributor-visits",
    "development": "sec-development",
    "coaching": "sec-coaching-list",
}

_SHARE_KPIS = {"visit_completion", "visit_order_rate", "top_terminal_coverage",
               "frequency_compliance", "far_checkin_share", "attainment"}  # fmt: skip


def _L(key: str, lang: str, **values) -> str:
    return label(f"organisation.{key}", lang, **values)


def _p(text: str) -> Html:
    return Html(f'<p class="ars-text">{_esc(text)}</p>')


def section_heading(key: str, lang: str = "zh") -> Html:
    """The heading of an organisation section of report 04 (``key`` in :data:`SECTIONS`)."""
    return section(SECTIONS[key], _L(f"sec_{key}", lang))


def line_name(org: FieldOrganisation, line: str, lang: str) -> str:
    return getattr(org.org.lines[line].name, lang)


def role_name(org: FieldOrganisation, role: str, lang: str) -> str:
    r = org.org.roles.get(role)
    return getattr(r.name, lang) if r is not None else _L("role_unknown", lang)


def kpi_name(kpi, lang: str) -> str:
    if fmt.is_missing(kpi):
        return fmt.MISSING
    return label(f"fieldforce.kpi_values.{kpi}", lang)


def kpi_value(kpi, value, lang: str = "zh") -> str:
    if fmt.is_missing(kpi) or fmt.is_missing(value):
        return fmt.MISSING
    if kpi in _SHARE_KPIS:
        return fmt.percent(value, 1)
    if kpi == "avg_time_in_store_min":
        return _L("minutes", lang, v=fmt.number(value, 0))
    return fmt.number(value, 1)


# ---------------------------------------------------------------------------- lines and roles


def _line_totals(org: FieldOrganisation) -> pd.DataFrame:
    s = org.line_summary
    g = s.groupby("line", sort=False).agg(n_wanted=("n_wanted", "sum"),
                                          n_present=("n_present", "sum"),
                                          revenue_at_stake=("revenue_at_stake", "sum"))  # fmt: skip
    g["line_coverage"] = g["n_present"] / g["n_wanted"].where(g["n_wanted"] > 0)
    return g.reindex([k for k in org.org.lines if k in g.index]).reset_index()


def lines_text(org: FieldOrganisation, lang: str = "zh") -> Html:
    """The finding of the lines section: each line's presence at the top terminals."""
    check_lang(lang)
    t = _line_totals(org)
    if t.empty:
        return _p(_L("lines_none", lang))
    parts = [
        _L("line_part", lang, line=line_name(org, r.line, lang), share=fmt.percent(r.line_coverage),
           n=fmt.integer(r.n_wanted))
        for r in t.itertuples()
    ]  # fmt: skip
    gaps = org.line_gaps
    return _p(_L("lines_text", lang, parts=_L("list_sep", lang).join(parts),
                 n_gaps=fmt.integer(len(gaps)),
                 stake=fmt.compact(gaps["revenue"].sum(), lang)))  # fmt: skip


def line_table(org: FieldOrganisation, lang: str = "zh") -> ReportTable:
    """Coverage of the top terminals per region (rows) and line (columns), and the revenue of the
    top terminals missing at least one wanted line."""
    s = org.line_summary
    wide = s.pivot(index="region", columns="line", values="line_coverage")
    wide = wide[[k for k in org.org.lines if k in wide.columns]]
    stake = org.line_gaps.groupby("region")["revenue"].sum()
    n_top = org.line_coverage.groupby("region")["terminal_id"].nunique()
    out = pd.DataFrame({"region": wide.index, "n_top_terminals": n_top.reindex(wide.index).values})
    headers = {}
    kinds = {"n_top_terminals": "int", "gap_revenue": "money"}
    for line in wide.columns:
        col = f"cov_{line}"
        out[col] = wide[line].to_numpy()
        headers[col] = line_name(org, line, lang)
        kinds[col] = "pct"
    out["gap_revenue"] = stake.reindex(wide.index).fillna(0.0).to_numpy()
    return ReportTable(out, lang, NS, kinds=kinds, headers_=headers,
                       title=_L("table_lines", lang), missing_note=_L("line_not_wanted", lang),
                       note=_L("lines_note", lang))  # fmt: skip


def _missing_lines(org, codes: str, lang: str) -> str:
    return _L("list_sep", lang).join(line_name(org, c, lang) for c in str(codes).split(";"))


def gaps_table(org: FieldOrganisation, lang: str = "zh", *, full: bool = False) -> ReportTable:
    """Top terminals missing a wanted line, largest first (names beside IDs)."""
    g = org.line_gaps.copy()
    g["missing_lines"] = [_missing_lines(org, c, lang) for c in g["missing_lines"]]
    cols = [c for c in ("terminal_id", "terminal_name", "region", "terminal_type", "revenue",
                        "missing_lines") if c in g.columns]  # fmt: skip
    return ReportTable(g[cols], lang, NS, kinds={"missing_lines": "text", "terminal_type": "text"},
                       title=_L("table_gaps", lang),
                       max_rows=10_000 if full else 15)  # fmt: skip


def roles_text(org: FieldOrganisation, lang: str = "zh") -> Html:
    check_lang(lang)
    r = org.roles
    parts = [_L("role_part", lang, role=role_name(org, x.role, lang), n=fmt.integer(x.n_reps))
             for x in r.itertuples()]  # fmt: skip
    return _p(_L("roles_text", lang, parts=_L("list_sep", lang).join(parts)))


def roles_table(org: FieldOrganisation, lang: str = "zh") -> ReportTable:
    """One row per role: responsibilities, lines, KPI set and the role's medians."""
    rows = []
    lines_of = org.org.role_of_line()
    for x in org.roles.itertuples():
        cfg = org.org.roles.get(x.role)
        kpis = list(cfg.kpis) if cfg is not None else []
        rows.append({
            "role": role_name(org, x.role, lang),
            "n_reps": x.n_reps,
            "lines": _L("list_sep", lang).join(line_name(org, k, lang)
                                               for k in lines_of.get(x.role, [])) or fmt.MISSING,
            "kpi_set": _L("list_sep", lang).join(
                _L("kpi_weight", lang, kpi=kpi_name(k, lang), w=fmt.percent(cfg.kpis[k], 0))
                for k in kpis) if kpis else fmt.MISSING,
            "role_medians": _L("list_sep", lang).join(
                _L("kpi_value", lang, kpi=kpi_name(k, lang), v=kpi_value(k, getattr(x, k, np.nan), lang))
                for k in kpis if pd.notna(getattr(x, k, np.nan))) or fmt.MISSING,
            "score": getattr(x, "score", np.nan),
        })  # fmt: skip
    t = pd.DataFrame(rows)
    return ReportTable(t, lang, NS, kinds={"role": "text", "lines": "text", "kpi_set": "text",
                                           "role_medians": "text", "score": "num",
                                           "n_reps": "int"},
                       decimals={"score": 0}, title=_L("table_roles", lang),
                       note=_L("roles_note", lang))  # fmt: skip


def role_scorecard_table(org: FieldOrganisation, lang: str = "zh") -> ReportTable:
    """The rep scorecard on the role's KPI set, ranked within each role (workbook)."""
    c = org.role_card.copy()
    c["role"] = [role_name(org, r, lang) for r in c["role"]]
    rank = c.groupby("role")["score"].rank(ascending=False, method="min")
    c["role_rank"] = rank
    cols = [x for x in ("rep_id", "rep_name", "region", "role", "score", "role_rank",
                        "visit_completion", "visit_order_rate", "top_terminal_coverage",
                        "frequency_compliance", "far_checkin_share", "avg_time_in_store_min",
                        "attainment") if x in c.columns]  # fmt: skip
    return ReportTable(c[cols].sort_values(["role", "role_rank"]), lang, NS,
                       kinds={"role": "text", "score": "num", "role_rank": "int",
                              "avg_time_in_store_min": "num"},
                       decimals={"score": 0, "avg_time_in_store_min": 0},
                       title=_L("sheet_role_scorecard", lang), max_rows=10_000,
                       missing_note=_L("score_missing", lang))  # fmt: skip


# -------------------------------------------------------------------------- distributor visits


def _interval(days: float, lang: str) -> str:
    return label("fieldforce.every_n_days", lang, days=fmt.number(days, 0))


def distributors_text(org: FieldOrganisation, terminal_compliance, lang: str = "zh") -> Html:
    """Distributor visits against the grade standard, beside the terminals' frequency
    compliance (``terminal_compliance``: share of terminals meeting their standard)."""
    check_lang(lang)
    g = org.distributors_by_grade
    if g is None or g.empty:
        return _p(_L("distributors_none", lang))
    iv = org.org.distributor_interval_days()
    parts = [
        _L("grade_part", lang, grade=r.grade, share=fmt.percent(r.distributor_visit_compliance),
           n=fmt.integer(r.n_distributors), interval=_interval(iv[r.grade], lang))
        for r in g.itertuples()
    ]  # fmt: skip
    return _p(_L("distributors_text", lang, parts=_L("list_sep", lang).join(parts),
                 terminal_share=fmt.percent(terminal_compliance)))  # fmt: skip


def distributors_table(org: FieldOrganisation, lang: str = "zh") -> ReportTable | Html:
    """Distributor visits by grade (an empty block when distributors are not measured)."""
    g = org.distributors_by_grade
    if g is None:
        return Html("")
    iv = org.org.distributor_interval_days()
    t = g.copy()
    t.insert(1, "standard", [_interval(iv[x], lang) for x in t["grade"]])
    t = t.rename(columns={"grade": "distributor_grade"})
    return ReportTable(t, lang, NS, kinds={"standard": "text", "visited": "int",
                                           "meeting_standard": "int", "visits_done": "int",
                                           "distributor_grade": "text"},
                       title=_L("table_distributors", lang))  # fmt: skip


def distributor_list_table(org: FieldOrganisation, lang: str = "zh") -> ReportTable | None:
    """Every distributor of the scope with its visits against the standard (workbook)."""
    d = org.distributors
    if d is None:
        return None
    cols = [c for c in ("customer_id", "customer_name", "region", "grade", "revenue",
                        "required_visits", "visits_done", "n_reps", "meets_standard")
            if c in d.columns]  # fmt: skip
    t = d[cols].rename(columns={"grade": "distributor_grade"})
    return ReportTable(t, lang, NS, kinds={"required_visits": "int", "n_reps": "int",
                                           "distributor_grade": "text"},
                       title=_L("sheet_distributors", lang), max_rows=10_000)  # fmt: skip


# ---------------------------------------------------------------------------- development


def development_text(org: FieldOrganisation, lang: str = "zh") -> Html:
    """Tenure curve and time to productivity."""
    check_lang(lang)
    t = org.tenure
    p = org.productivity
    if t.empty:
        return _p(_L("tenure_none", lang))
    first, last = t.iloc[0], t.iloc[-1]
    text = _L("tenure_text", lang, first_bin=_bin(first["tenure_bin"], lang),
              first=fmt.percent(first["mean"]), last_bin=_bin(last["tenure_bin"], lang),
              last=fmt.percent(last["mean"]))  # fmt: skip
    if pd.notna(p.get("months")):
        text += _L("productivity_text", lang, months=fmt.integer(p["months"]),
                   share=fmt.percent(org.org.development.productive_share, 0),
                   n=fmt.integer(p["n_new_reps"]))  # fmt: skip
    else:
        text += _L("productivity_none", lang)
    out = _p(text)
    if int(first["n_reps"]) < org.min_sample:
        out = Html(out.html + caveat(_L("small_bin", lang, n=fmt.integer(first["n_reps"]),
                                        m=fmt.integer(org.min_sample))).html)  # fmt: skip
    return out


def _bin(code: str, lang: str) -> str:
    code = str(code)
    if code.endswith("+"):
        return _L("bin_open", lang, a=code[:-1])
    a, b = code.split("-")
    return _L("bin_range", lang, a=a, b=b)


def tenure_table(org: FieldOrganisation, lang: str = "zh") -> ReportTable:
    """Attainment and visit completion by tenure bin, with 95 % intervals."""
    a = org.tenure.rename(columns={"mean": "att_mean", "low": "att_low", "high": "att_high",
                                   "n_reps": "n_reps_att"})  # fmt: skip
    d = org.tenure_discipline.rename(columns={"mean": "vc_mean", "n_reps": "n_reps_vc"})
    t = a.merge(d[["tenure_bin", "vc_mean", "n_reps_vc"]], on="tenure_bin", how="left")
    t["tenure_bin"] = [_bin(x, lang) for x in t["tenure_bin"]]
    t["att_interval"] = [f"{fmt.percent(lo)}–{fmt.percent(hi)}" if pd.notna(lo) else fmt.MISSING
                         for lo, hi in zip(t["att_low"], t["att_high"], strict=True)]  # fmt: skip
    t = t[["tenure_bin", "n_reps_att", "att_mean", "att_interval", "n_reps_vc", "vc_mean"]]
    return ReportTable(t, lang, NS, kinds={"tenure_bin": "text", "n_reps_att": "int",
                                           "att_mean": "pct", "att_interval": "text",
                                           "n_reps_vc": "int", "vc_mean": "pct"},
                       title=_L("table_tenure", lang),
                       missing_note=_L("tenure_missing", lang))  # fmt: skip


def turnover_text(org: FieldOrganisation, lang: str = "zh") -> Html:
    t = org.turnover
    if t is None:
        return _p(_L("turnover_none", lang))
    a = t.set_index("group").loc["all"]
    return _p(_L("turnover_text", lang, rate=fmt.percent(a["turnover"]),
                 leavers=fmt.integer(a["leavers"]), hires=fmt.integer(a["hires"]),
                 heads=fmt.number(a["avg_headcount"], 0)))  # fmt: skip


def training_text(org: FieldOrganisation, lang: str = "zh") -> Html:
    """The training comparison, stated as an association."""
    r = org.training
    if r is None:
        return _p(_L("training_none", lang))
    if r["cohorts"].empty or pd.isna(r["did"]):
        return _p(_L("training_too_few", lang))
    text = _L("training_text", lang, effect=fmt.percent(r["effect"], 1),
              low=fmt.percent(r["effect_low"], 1), high=fmt.percent(r["effect_high"], 1),
              p=fmt.number(r["p_value"], 3), n_t=fmt.integer(r["n_trained"]),
              n_c=fmt.integer(r["n_control"]), m=fmt.integer(org.org.development.training_months))  # fmt: skip
    out = _p(text)
    if r["n_trained"] < org.min_sample:
        out = Html(out.html + caveat(_L("training_small", lang, n=fmt.integer(r["n_trained"]),
                                        m=fmt.integer(org.min_sample))).html)  # fmt: skip
    return out


def training_table(org: FieldOrganisation, lang: str = "zh") -> ReportTable | Html:
    """Attainment before and after each course (an empty block without a comparison)."""
    r = org.training
    if r is None or r["cohorts"].empty:
        return Html("")
    c = r["cohorts"].copy()
    c["courses"] = [_L("list_sep", lang).join(x) for x in c["courses"]]
    c["effect"] = np.expm1(c["did"])
    c = c[["month", "courses", "n_trained", "pre_trained", "post_trained", "n_control",
           "pre_control", "post_control", "effect"]].rename(columns={"month": "course_month"})  # fmt: skip
    return ReportTable(c, lang, NS, kinds={"course_month": "text", "courses": "text",
                                           "n_trained": "int", "n_control": "int",
                                           "pre_trained": "pct", "post_trained": "pct",
                                           "pre_control": "pct", "post_control": "pct",
                                           "effect": "pct"},
                       title=_L("table_training", lang), note=_L("training_note", lang))  # fmt: skip


# ---------------------------------------------------------------------------- coaching


def action_line(row, lang: str) -> str:
    """The one-line action of a coaching row."""
    if row["coaching_role"] == "firefighter":
        return _L("action_firefighter", lang, drop=fmt.number(100 * row["attainment_drop"], 0))
    if fmt.is_missing(row["kpi_1"]):
        return _L(f"action_{row['coaching_role']}_nokpi", lang)
    return _L(f"action_{row['coaching_role']}", lang, kpi=kpi_name(row["kpi_1"], lang))


def coaching_text(org: FieldOrganisation, lang: str = "zh") -> Html:
    """The finding of the coaching section: who needs which kind of coaching."""
    return _p(_coaching_sentence(org, lang))


def _coaching_sentence(org: FieldOrganisation, lang: str) -> str:
    check_lang(lang)
    c = org.coaching
    if c.empty:
        return _L("coaching_none", lang)
    counts = c["coaching_role"].value_counts()
    parts = [_L("coach_part", lang, role=_L(f"coaching_role_values.{r}", lang),
                n=fmt.integer(counts[r])) for r in ("firefighter", "missionary", "planner", "coach")
             if r in counts.index]  # fmt: skip
    return _L("coaching_text", lang, n=fmt.integer(len(c)),
              parts=_L("list_sep", lang).join(parts),
              n_managers=fmt.integer(org.teams["manager_id"].nunique()))  # fmt: skip


def opening_findings(org: FieldOrganisation, lang: str = "zh") -> list[Finding]:
    """The organisation's key findings for the report's opening: the top terminals missing a
    line (with their sales and the line present least often) and the coaching list."""
    check_lang(lang)
    t = _line_totals(org)
    if t.empty:
        lines = _L("lines_none", lang)
    else:
        low = t.loc[t["line_coverage"].fillna(np.inf).idxmin()]
        gaps = org.line_gaps
        lines = _L("f_lines", lang, n_gaps=fmt.integer(len(gaps)),
                   stake=fmt.compact(gaps["revenue"].sum(), lang),
                   line=line_name(org, low["line"], lang),
                   share=fmt.percent(low["line_coverage"]))  # fmt: skip
    coaching = _coaching_sentence(org, lang)
    return [Finding(lines, section=SECTIONS["lines"]),
            Finding(coaching, section=SECTIONS["coaching"])]  # fmt: skip


def with_organisation_findings(
    summary: ReportSummary, org: FieldOrganisation, lang: str = "zh", *, max_findings: int = 5
) -> ReportSummary:
    """``summary`` with :func:`opening_findings` among its key findings (a new summary; the
    given one is not changed).

    The opening keeps at most ``max_findings`` (the report standard's 3 to 5): the first
    findings of ``summary`` in their order, then the organisation's two; the ones left out
    (in report 04: check-in distance, discipline vs attainment) stay in their sections.
    """
    extra = opening_findings(org, lang)
    keep = summary.findings[: max(max_findings - len(extra), 0)]
    return dataclasses.replace(summary, findings=[*keep, *extra][:max_findings])


def coaching_table(org: FieldOrganisation, lang: str = "zh", *, full: bool = False) -> ReportTable:
    """Reps to coach: the two KPIs furthest below the role's peers, the coaching role and the
    action; sorted by manager in the workbook (``full``), by coaching role in the page."""
    c = org.coaching.copy()
    if full:
        c = c.sort_values(["manager_id", "rep_id"], kind="mergesort")
    rows = []
    for r in c.to_dict("records"):
        rows.append({
            "rep_id": r["rep_id"], "rep_name": r.get("rep_name"), "region": r.get("region"),
            "role": role_name(org, r["role"], lang),
            "manager_name": r.get("manager_name") or r.get("manager_id"),
            "weakest_1": _L("kpi_vs_peers", lang, kpi=kpi_name(r["kpi_1"], lang),
                            v=kpi_value(r["kpi_1"], r["value_1"], lang),
                            peer=kpi_value(r["kpi_1"], r["peer_1"], lang))
            if not fmt.is_missing(r["kpi_1"]) else fmt.MISSING,
            "weakest_2": _L("kpi_vs_peers", lang, kpi=kpi_name(r["kpi_2"], lang),
                            v=kpi_value(r["kpi_2"], r["value_2"], lang),
                            peer=kpi_value(r["kpi_2"], r["peer_2"], lang))
            if not fmt.is_missing(r["kpi_2"]) else fmt.MISSING,
            "coaching_role": r["coaching_role"],
            "action": action_line(r, lang),
        })  # fmt: skip
    t = pd.DataFrame(rows, columns=["rep_id", "rep_name", "region", "role", "manager_name",
                                    "weakest_1", "weakest_2", "coaching_role", "action"])  # fmt: skip
    return ReportTable(t, lang, NS, kinds={c_: "text" for c_ in ("role", "manager_name",
                                                                  "weakest_1", "weakest_2",
                                                                  "coaching_role", "action")},
                       title=_L("table_coaching", lang), missing_note=_L("only_one_kpi", lang),
                       max_rows=10_000 if full else 15)  # fmt: skip


def teams_table(org: FieldOrganisation, lang: str = "zh") -> ReportTable:
    """Per manager: reps to coach, by coaching role."""
    t = org.teams.copy()
    cols = [c for c in ("manager_id", "manager_name", "n_reps", "firefighter", "missionary",
                        "planner", "coach") if c in t.columns]  # fmt: skip
    t = t[cols].rename(columns={"n_reps": "n_reps_to_coach"})
    headers = {r: _L(f"coaching_role_values.{r}", lang)
               for r in ("firefighter", "missionary", "planner", "coach")}  # fmt: skip
    return ReportTable(t, lang, NS, headers_=headers,
                       kinds={k: "int" for k in ("n_reps_to_coach", *headers)},
                       title=_L("table_teams", lang))  # fmt: skip


def workbook_tables(org: FieldOrganisation, lang: str = "zh") -> list[ReportTable]:
    """The organisation sheets of the field-execution workbook."""
    out = [line_table(org, lang), gaps_table(org, lang, full=True), roles_table(org, lang),
           role_scorecard_table(org, lang)]  # fmt: skip
    for t in (distributors_table(org, lang), distributor_list_table(org, lang),
              tenure_table(org, lang), training_table(org, lang)):  # fmt: skip
        if isinstance(t, ReportTable):
            out.append(t)
    out += [coaching_table(org, lang, full=True), teams_table(org, lang)]
    return out


def place(value, lang: str) -> str:
    """A region name in the report's language (for chart labels)."""
    return place_name(value, lang)


def line_chart_data(org: FieldOrganisation, lang: str = "zh") -> pd.DataFrame:
    """``line_label, line_coverage`` for :func:`ars_analysis.charts.organisation.plot_line_coverage`."""
    t = _line_totals(org)
    return pd.DataFrame({"line_label": [line_name(org, k, lang) for k in t["line"]],
                         "line_coverage": t["line_coverage"].to_numpy()})  # fmt: skip


def appendix_parameters(org: FieldOrganisation, lang: str = "zh") -> list[tuple[str, str]]:
    """The organisation's settings in words, for the appendix."""
    o = org.org
    sep = _L("list_sep", lang)
    lines = sep.join(
        _L("param_line", lang, line=getattr(x.name, lang),
           roles=_L("roles_sep", lang).join(role_name(org, r, lang) for r in x.roles))
        for x in o.lines.values()
    )  # fmt: skip
    iv = o.distributor_interval_days()
    dist = sep.join(_L("param_grade", lang, grade=g, interval=_interval(d, lang))
                    for g, d in iv.items())  # fmt: skip
    dev = o.development
    c = o.coaching
    return [
        (_L("param_lines", lang), lines),
        (_L("param_distributors", lang), dist),
        (_L("param_development", lang),
         _L("param_development_text", lang, share=fmt.percent(dev.productive_share, 0),
            exp=fmt.integer(dev.experienced_months), m=fmt.integer(dev.training_months),
            tenure=fmt.integer(dev.min_tenure_months))),
        (_L("param_coaching", lang),
         _L("param_coaching_text", lang, drop=fmt.number(100 * c.drop, 0),
            months=fmt.integer(c.drop_months), new=fmt.integer(c.new_rep_months),
            peers=fmt.integer(c.min_peers))),
    ]  # fmt: skip


def appendix_methods(org: FieldOrganisation, lang: str = "zh") -> list[str]:
    return [_L("method_lines", lang), _L("method_roles", lang), _L("method_tenure", lang),
            _L("method_training", lang), _L("method_coaching", lang)]  # fmt: skip
