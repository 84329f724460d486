"""Field execution (report 04) as a client reads it: the opening (title block, key findings,
actions), the section sentences, the tables and the workbook, from a
:class:`~ars_analysis.fieldforce.FieldExecution`.

This module is longer than ~600 lines on purpose: it is the whole wording of one report, in
the order the report reads (opening, sections, workbook); splitting it by section would
scatter the sentences a consultant reviews together.

All wording comes from ``labels/fieldforce.yml`` (and ``common.yml``); every number is
formatted with :mod:`ars_analysis.presentation.fmt` before it goes into a sentence. The analysis
module returns numbers only; this module is the only place that knows the report's language.

Examples
--------
>>> from ars_analysis import load_dataset, fieldforce  # doctest: +SKIP
>>> res = fieldforce.analyse_field_execution(load_dataset("data/sample"))  # doctest: +SKIP
>>> summary = fieldforce_summary(res, lang="en")  # doctest: +SKIP
>>> report_opening(summary)  # doctest: +SKIP
"""

from __future__ import annotations

import pandas as pd

from ars_analysis.client import ClientConfig, load_client_config
from ars_analysis.fieldforce import UNKNOWN, FieldExecution
from ars_analysis.labels import check_lang, has_label, label
from ars_analysis.presentation import fmt
from ars_analysis.presentation.blocks import (
    Action,
    ActionList,
    Finding,
    Html,
    KeyResult,
    ReportSummary,
    _esc,
    caveat,
    period_text,
    say,
    scope_text,
    section,
)
from ars_analysis.presentation.tables import ReportTable, place_name

NS = ("fieldforce",)

#: Kinds of the field-execution columns whose names do not tell (see ``ReportTable``).
KINDS = {
    "visit_completion": "pct",
    "visit_order_rate": "pct",
    "order_rate_per_done_visit": "pct",
    "top_terminal_coverage": "pct",
    "frequency_compliance": "pct",
    "top_frequency_compliance": "pct",
    "core_customer_coverage": "pct",
    "far_checkin_share": "pct",
    "unknown_share": "pct",
    "attainment": "pct",
    "deviation": "money",
    "planned_done": "int",
    "planned_visits": "int",
    "unplanned_visits": "int",
    "done_visits": "int",
    "top_terminals_visited": "int",
    "terminals_meeting_standard": "int",
    "n_core_customers": "int",
    "core_customers_visited": "int",
    "new_terminals": "int",
    "rank": "int",
    "score": "num",
    "visits_per_day": "num",
    "avg_time_in_store_min": "num",
}

#: Rows of an action list in the opening (the full lists are in the workbook).
MAX_ACTIONS = 8

#: Section anchors (the findings link to them).
SECTIONS = {
    "completion": "sec-completion",
    "distance": "sec-distance",
    "top": "sec-top",
    "activities": "sec-activities",
    "time": "sec-time",
    "attainment": "sec-attainment",
    "correlation": "sec-correlation",
    "scorecard": "sec-scorecard",
    "issues": "sec-issues",
}

#: KPIs that are shares (formatted as percentages).
_SHARE_KPIS = {
    "visit_completion",
    "visit_order_rate",
    "top_terminal_coverage",
    "frequency_compliance",
    "far_checkin_share",
    "attainment",
}


def _L(key: str, lang: str, **values) -> str:
    return label(f"fieldforce.{key}", lang, **values)


def _kpi_value(kpi: str, value, lang: str = "zh", decimals: int = 1) -> str:
    if kpi in _SHARE_KPIS:
        return fmt.percent(value, decimals)
    return fmt.number(value, decimals)


def _gap(kpi: str, gap: float, lang: str) -> str:
    if kpi in _SHARE_KPIS:
        return _L("pct_points", lang, value=fmt.number(100 * abs(gap), 1))
    return fmt.number(abs(gap), 1)


def _interval_text(days: float, lang: str) -> str:
    return _L("every_n_days", lang, days=fmt.number(days, 0))


def _name(name, code) -> str:
    """``name (ID)``; the ID alone when the name is missing."""
    if fmt.is_missing(name) or str(name) == str(code):
        return str(code)
    return f"{name} ({code})"


def section_heading(key: str, lang: str = "zh") -> Html:
    """The heading of a section of report 04 (``key`` in :data:`SECTIONS`)."""
    return section(SECTIONS[key], _L(f"sec_{key}", lang))


# ------------------------------------------------------------------------------------ opening


def _findings(res: FieldExecution, cfg: ClientConfig, lang: str) -> list[Finding]:
    out = []
    ct = res.completion_total
    std = res.standards
    coach = res.coaching
    below = coach.loc[coach["kpi"] == "visit_completion", "rep_id"].nunique()
    standard = std["coaching"].get("visit_completion", ("min", float("nan")))[1]
    out.append(
        Finding(
            _L(
                "finding_completion",
                lang,
                rate=fmt.percent(ct.get("visit_completion")),
                done=fmt.integer(ct.get("planned_done", 0)),
                planned=fmt.integer(ct.get("planned_visits", 0)),
                n_reps=fmt.integer(res.n_reps),
                below=fmt.integer(below),
                standard=fmt.percent(standard, 0),
            ),
            section=SECTIONS["completion"],
        )
    )
    ft = res.frequency_total
    n_top = int(ft.get("n_top_terminals", 0) or 0)
    out.append(
        Finding(
            _L(
                "finding_top",
                lang,
                n_top=fmt.integer(n_top),
                coverage=fmt.percent(ft.get("top_terminal_coverage")),
                compliance=fmt.percent(ft.get("top_frequency_compliance")),
                interval=_interval_text(std["frequency"].get("top", float("nan")), lang),
                n_unvisited=fmt.integer(len(res.unvisited_top)),
            ),
            section=SECTIONS["top"],
            caveat=_small(n_top, cfg.min_sample.group_rate, lang),
        )
    )
    if res.core_total is not None:
        n = res.core_total["n_core_customers"]
        out.append(
            Finding(
                _L(
                    "finding_core",
                    lang,
                    n=fmt.integer(n),
                    coverage=fmt.percent(res.core_total["core_customer_coverage"]),
                ),
                section=SECTIONS["top"],
                caveat=_small(n, cfg.min_sample.group_rate, lang),
            )
        )
    dt = res.distance_total
    out.append(
        Finding(
            _L(
                "finding_distance",
                lang,
                share=fmt.percent(dt["far_checkin_share"]),
                far=_metres(dt["far_checkin_m"], lang),
                n_far=fmt.integer(dt["far"]),
                n_known=fmt.integer(dt["known"]),
                unknown=fmt.percent(dt["unknown_share"]),
            ),
            section=SECTIONS["distance"],
        )
    )
    out.append(Finding(correlation_text(res, lang), section=SECTIONS["correlation"]))
    return out


def _small(n: int, minimum: int, lang: str) -> str | None:
    if n < minimum:
        return _L("indicative", lang, n=n)
    return None


def _metres(m: float, lang: str) -> str:
    if m >= 1000:
        return _L("km", lang, value=fmt.number(m / 1000, 1 if m % 1000 else 0))
    return _L("metres", lang, value=fmt.number(m))


def correlation_text(res: FieldExecution, lang: str = "zh") -> str:
    """The finding on visit discipline vs attainment: the statistic with its interval and
    p-value when there are enough reps, else the sentence that there are too few."""
    c = res.correlation
    if not c["sufficient"]:
        return _L("finding_correlation_small", lang, n=c["n"], min_n=c["min_n"])
    if c["ci_low"] > 0:
        meaning = _L("corr_positive", lang)
    elif c["ci_high"] < 0:
        meaning = _L("corr_negative", lang)
    else:
        meaning = _L("corr_unclear", lang)
    p = c["p_value"]
    return _L(
        "finding_correlation",
        lang,
        interval=fmt.interval(c["rho"], c["ci_low"], c["ci_high"], decimals=2),
        n=c["n"],
        p="< 0.001" if p < 0.001 else fmt.number(p, 3),
        meaning=meaning,
    )


def _coaching_actions(res: FieldExecution, lang: str) -> ActionList:
    items = []
    coach = res.coaching
    for rep_id, rows in coach.groupby("rep_id", sort=False):
        first = rows.iloc[0]
        reason = _L("list_sep", lang)
        reason = reason.join(
            _L(
                "action_coach_reason",
                lang,
                kpi=label(f"fieldforce.kpi_values.{r.kpi}", lang),
                value=_kpi_value(r.kpi, r.value, lang),
                direction=_L(f"direction_{r.direction}", lang),
                standard=_kpi_value(r.kpi, r.standard, lang, 0),
                gap=_gap(r.kpi, r.gap, lang),
            )
            for r in rows.itertuples()
        )
        items.append(
            Action(_name(first.get("rep_name"), rep_id), reason, fmt.money(first["stake"]))
        )
    title = _L("action_coach", lang)
    if len(items) > MAX_ACTIONS:
        title += " " + _L("action_more", lang, shown=MAX_ACTIONS, n=len(items) - MAX_ACTIONS)
    return ActionList(
        title,
        items[:MAX_ACTIONS],
        empty_text=_L("action_coach_empty", lang),
        stake_header=_L("action_coach_stake", lang),
    )


def _top_actions(res: FieldExecution, lang: str) -> ActionList:
    items = []
    for r in res.unvisited_top.itertuples():
        rep = (
            _name(getattr(r, "rep_name", None), r.rep_id)
            if not fmt.is_missing(r.rep_id)
            else _L("no_rep", lang)
        )
        items.append(
            Action(
                _name(getattr(r, "terminal_name", None), r.terminal_id),
                _L("action_top_reason", lang, rep=rep),
                fmt.money(r.revenue),
            )
        )
    title = _L("action_top", lang)
    if len(items) > MAX_ACTIONS:
        title += " " + _L("action_more", lang, shown=MAX_ACTIONS, n=len(items) - MAX_ACTIONS)
    return ActionList(
        title,
        items[:MAX_ACTIONS],
        empty_text=_L("action_top_empty", lang),
        stake_header=_L("action_top_stake", lang),
    )


def key_results(res: FieldExecution, lang: str = "zh") -> list[KeyResult]:
    """3–6 key numbers for the report index."""
    ft, ct, at = res.frequency_total, res.completion_total, res.attainment_total
    return [
        KeyResult("visit_completion", _L("kr_completion", lang),
                  fmt.percent(ct.get("visit_completion"))),
        KeyResult("top_terminal_coverage", _L("kr_top_coverage", lang),
                  fmt.percent(ft.get("top_terminal_coverage"))),
        KeyResult("top_frequency_compliance", _L("kr_top_compliance", lang),
                  fmt.percent(ft.get("top_frequency_compliance"))),
        KeyResult("far_checkin_share", _L("kr_far", lang),
                  fmt.percent(res.distance_total["far_checkin_share"])),
        KeyResult("attainment", _L("kr_attainment", lang), fmt.percent(at["attainment"])),
        KeyResult("n_reps", _L("kr_reps", lang), fmt.integer(res.n_reps)),
    ]  # fmt: skip


def fieldforce_summary(
    res: FieldExecution,
    cfg: ClientConfig | None = None,
    lang: str = "zh",
    region=None,
) -> ReportSummary:
    """The opening of report 04: title, client, scope, the periods each analysis used (sales
    period, visit-log period, attainment months), key findings and actions."""
    check_lang(lang)
    cfg = cfg if cfg is not None else load_client_config()
    region = res.region if region is None else region
    at = res.attainment_total
    sales = res.sales_period or (None, None)
    periods = [
        (label("common.sales_period", lang), period_text(*sales)),
        (label("common.visit_period", lang), period_text(*res.visit_period)),
        (_L("attainment_period", lang), f"{at['first_month']} – {at['last_month']}"),
    ]
    return ReportSummary(
        title=_L("report_title", lang),
        question=_L("question", lang),
        lang=lang,
        scope=scope_text(region, lang, cfg.region_names),
        periods=periods,
        findings=_findings(res, cfg, lang),
        actions=[_coaching_actions(res, lang), _top_actions(res, lang)],
        key_results=key_results(res, lang),
        client=cfg.client_name(lang),
        analysis="04_field_execution",
        region=region if isinstance(region, str) or region is None else ",".join(region),
    )


# ----------------------------------------------------------------------------- section texts


def completion_text(res: FieldExecution, lang: str = "zh") -> Html:
    ct = res.completion_total
    return say(
        "fieldforce.text_completion",
        lang,
        planned=fmt.integer(ct.get("planned_visits", 0)),
        done=fmt.integer(ct.get("planned_done", 0)),
        rate=fmt.percent(ct.get("visit_completion")),
        unplanned=fmt.integer(ct.get("unplanned_visits", 0)),
        order_rate=fmt.percent(ct.get("visit_order_rate")),
    )


def distance_text(res: FieldExecution, lang: str = "zh") -> Html:
    dt = res.distance_total
    return say(
        "fieldforce.text_distance",
        lang,
        share=fmt.percent(dt["far_checkin_share"]),
        far=_metres(dt["far_checkin_m"], lang),
        unknown=fmt.percent(dt["unknown_share"]),
    )


def frequency_text(res: FieldExecution, lang: str = "zh") -> Html:
    ft, f = res.frequency_total, res.standards["frequency"]
    text = say(
        "fieldforce.text_frequency",
        lang,
        top_interval=_interval_text(f.get("top", float("nan")), lang),
        other_interval=_interval_text(f.get("other", float("nan")), lang),
        compliance=fmt.percent(ft.get("frequency_compliance")),
        top_compliance=fmt.percent(ft.get("top_frequency_compliance")),
    ).html
    if res.core_total is not None:
        text += say(
            "fieldforce.finding_core",
            lang,
            n=fmt.integer(res.core_total["n_core_customers"]),
            coverage=fmt.percent(res.core_total["core_customer_coverage"]),
        ).html
    else:
        text += say("fieldforce.finding_core_missing", lang).html
    return Html(text)


def activities_text(res: FieldExecution, lang: str = "zh") -> Html:
    s = res.activities.set_index("activity")["share"]
    return say(
        "fieldforce.text_activities",
        lang,
        order=fmt.percent(s.get("order")),
        stock=fmt.percent(s.get("stock_check")),
        display=fmt.percent(s.get("display")),
        training=fmt.percent(s.get("training")),
    )


def time_text(res: FieldExecution, lang: str = "zh") -> Html:
    t = res.time_total
    text = say(
        "fieldforce.text_time_use",
        lang,
        store=fmt.number(t.get("avg_time_in_store_min"), 0),
        vpd=fmt.number(t.get("visits_per_day"), 1),
        span=fmt.number(t.get("avg_working_span_h"), 1),
        travel=fmt.number(t.get("avg_travel_min"), 0),
    ).html
    if t.get("excluded_visits", 0):
        text += say("fieldforce.text_time_excluded", lang,
                    n=fmt.integer(t["excluded_visits"])).html  # fmt: skip
    return Html(text)


def attainment_text(res: FieldExecution, lang: str = "zh") -> Html:
    at = res.attainment_total
    return say(
        "fieldforce.text_attainment",
        lang,
        first=at["first_month"],
        last=at["last_month"],
        revenue=fmt.money(at["revenue"]),
        target=fmt.money(at["target_revenue"]),
        att=fmt.percent(at["attainment"]),
        below=fmt.integer(at["reps_below_target"]),
        n=fmt.integer(at["reps_with_target"]),
    )


def correlation_block(res: FieldExecution, lang: str = "zh") -> Html:
    """The correlation finding (or the too-few-reps caveat) and, below it, the method."""
    text = correlation_text(res, lang)
    if not res.correlation["sufficient"]:
        return caveat(text)
    return Html(
        f'<p class="ars-text">{_esc(text)}</p>'
        f'<p class="ars-note">{_esc(_L("text_correlation_method", lang))}</p>'
    )


def issues_block(res: FieldExecution, lang: str = "zh") -> Html | ReportTable:
    """The problem visits: a positive sentence when there is none, else a sentence with the
    count and the table (no "0 problem visits, follow up" above an empty table)."""
    issues = res.issues
    if not len(issues):
        return say("fieldforce.text_no_issues", lang)
    counts = issues["issue"].value_counts()
    sep = _L("list_sep", lang)
    kinds = sep.join(
        f"{label(f'fieldforce.issue_values.{k}', lang)} {fmt.integer(n)}" for k, n in counts.items()
    )
    text = say("fieldforce.text_issues", lang, n=fmt.integer(len(issues)), kinds=kinds)
    return Html(text.html + issues_table(res, lang).to_html())


# ------------------------------------------------------------------------------------ tables


def completion_table(res: FieldExecution, lang: str = "zh") -> ReportTable:
    """Visit completion per region (planned, done, completion, unplanned, order rate)."""
    t = res.completion_by_region[
        ["region", "planned_visits", "planned_done", "visit_completion", "unplanned_visits",
         "visit_order_rate"]
    ]  # fmt: skip
    return ReportTable(t, lang, NS, kinds=KINDS, title=_L("sheet_completion_region", lang))


def frequency_table(res: FieldExecution, lang: str = "zh") -> ReportTable:
    """Top terminals and visit frequency per region (terminals of the region)."""
    t = res.frequency_by_region[
        ["region", "n_terminals", "frequency_compliance", "n_top_terminals",
         "top_terminals_visited", "top_terminal_coverage", "top_frequency_compliance"]
    ].rename(columns={"n_terminals": "n_terminals_region"})  # fmt: skip
    return ReportTable(
        t, lang, NS, title=_L("sheet_frequency_region", lang),
        kinds=KINDS | {"n_terminals_region": "int"},
    )  # fmt: skip


def core_table(res: FieldExecution, lang: str = "zh") -> ReportTable | None:
    """Core customers per region (by the customer's region) and how many were visited."""
    if res.core_coverage is None:
        return None
    return ReportTable(res.core_coverage, lang, NS, title=_L("sheet_core", lang), kinds=KINDS)


def scorecard_table(res: FieldExecution, lang: str = "zh", *, full: bool = False) -> ReportTable:
    """The rep scorecard, highest score first (names beside IDs)."""
    card = res.scorecard.sort_values(["score", "rep_id"], ascending=[False, True],
                                     na_position="last")  # fmt: skip
    cols = [
        "rep_id",
        "rep_name",
        "visit_completion",
        "top_terminal_coverage",
        "frequency_compliance",
        "far_checkin_share",
        "new_terminals",
        "attainment",
        "score",
    ]
    if full:
        cols[2:2] = ["region"]
        cols += ["visit_order_rate", "avg_time_in_store_min", "visits_per_day", "planned_visits", "done_visits",
                 "unplanned_visits", "revenue", "target_revenue"]  # fmt: skip
    t = card[[c for c in cols if c in card.columns]]
    notes = []
    if not res.new_terminals_available:
        notes.append(
            _L(
                "new_terminals_missing",
                lang,
                months=fmt.number(res.standards["new_terminal_history_months"], 0),
                have=fmt.number(res.history_months, 1),
            )
        )
    notes.append(_L("score_missing", lang))
    return ReportTable(
        t,
        lang,
        NS,
        title=_L("sheet_scorecard", lang),
        kinds=KINDS | {"new_terminals": "int", "score": "num", "visits_per_day": "num",
               "avg_time_in_store_min": "num"},
        decimals={"score": 0, "visits_per_day": 1, "avg_time_in_store_min": 0},
        missing_note=_L("list_sep", lang).join(notes),
        max_rows=10_000 if full else 15,
    )  # fmt: skip


def coaching_table(res: FieldExecution, lang: str = "zh") -> ReportTable:
    """Reps to coach: one row per rep and KPI below standard (full list, for the workbook)."""
    c = res.coaching.copy()
    c["kpi"] = [label(f"fieldforce.kpi_values.{k}", lang) for k in c["kpi"]]
    c["direction"] = [_L(f"direction_{d}", lang) for d in c["direction"]]
    return ReportTable(
        c.drop(columns=["direction"]),
        lang,
        NS,
        title=_L("sheet_coaching", lang),
        kinds=KINDS
        | {"kpi": "text", "value": "num", "standard": "num", "gap": "num", "stake": "money"},
        decimals={"value": 3, "standard": 3, "gap": 3},
    )


def unvisited_table(res: FieldExecution, lang: str = "zh") -> ReportTable:
    """Top terminals not visited in the visit-log period, biggest first."""
    t = res.unvisited_top.rename(columns={"revenue": "volume"})
    cols = [c for c in ("terminal_id", "terminal_name", "region", "rep_id", "rep_name",
                        "volume") if c in t.columns]  # fmt: skip
    return ReportTable(
        t[cols], lang, NS, title=_L("sheet_unvisited", lang), kinds=KINDS | {"volume": "money"}
    )


def attainment_table(res: FieldExecution, lang: str = "zh") -> ReportTable:
    """Attainment per rep over the months of the visit log, furthest below target first."""
    cols = [c for c in ("rank", "rep_id", "rep_name", "region", "revenue", "target_revenue",
                        "attainment", "deviation") if c in res.attainment.columns]  # fmt: skip
    return ReportTable(
        res.attainment[cols],
        lang,
        NS,
        title=_L("sheet_attainment", lang),
        kinds=KINDS | {"deviation": "money", "rank": "int"},
    )


def issues_table(res: FieldExecution, lang: str = "zh") -> ReportTable:
    cols = ["visit_id", "rep_id", "terminal_id", "check_in", "check_out", "issue"]
    return ReportTable(
        res.issues[cols],
        lang,
        NS,
        title=_L("sheet_issues", lang),
        kinds=KINDS | {"check_in": "text", "check_out": "text", "issue": "text"},
    )


def new_terminals_table(res: FieldExecution, lang: str = "zh") -> ReportTable:
    t = res.new_terminals[["terminal_id", "rep_id", "first_sale", "revenue"]].copy()
    t["first_sale"] = t["first_sale"].map(lambda d: fmt.value(d, "date"))
    return ReportTable(
        t, lang, NS, title=_L("sheet_new_terminals", lang), kinds=KINDS | {"first_sale": "text"}
    )


def workbook_tables(res: FieldExecution, lang: str = "zh") -> list[ReportTable]:
    """The sheets of the report's workbook (full lists, names beside IDs)."""
    tables = [
        scorecard_table(res, lang, full=True),
        coaching_table(res, lang),
        unvisited_table(res, lang),
        completion_table(res, lang),
        frequency_table(res, lang),
        attainment_table(res, lang),
    ]
    if res.core_coverage is not None:
        tables.append(core_table(res, lang))
    if res.new_terminals_available:
        tables.append(new_terminals_table(res, lang))
    if len(res.issues):
        tables.append(issues_table(res, lang))
    return tables


# ----------------------------------------------------------------------------------- appendix


def appendix_parameters(res: FieldExecution, lang: str = "zh") -> list[tuple[str, str]]:
    """The visit standards in words, for the appendix."""
    std = res.standards
    f = std["frequency"]
    sep = _L("list_sep", lang)
    coaching = sep.join(
        f"{label(f'fieldforce.kpi_values.{k}', lang)} {_L(f'direction_{d}', lang)} "
        f"{_kpi_value(k, v, lang, 0)}"
        for k, (d, v) in std["coaching"].items()
    )
    return [
        (
            _L("param_frequency", lang),
            _L(
                "param_frequency_text",
                lang,
                top=_interval_text(f.get("top", float("nan")), lang),
                other=_interval_text(f.get("other", float("nan")), lang),
            ),
        ),
        (_L("param_far", lang), _L("param_far_text", lang,
                                   far=_metres(std["far_checkin_m"], lang))),
        (_L("param_coaching", lang), coaching),
        (
            _L("param_new_terminals", lang),
            _L("param_new_terminals_text", lang,
               months=fmt.number(std["new_terminal_history_months"], 0)),
        ),
    ]  # fmt: skip


def appendix_methods(res: FieldExecution, lang: str = "zh") -> list[str]:
    return [
        _L("method_scope", lang),
        _L("method_frequency", lang),
        _L("method_distance", lang),
        _L("text_correlation_method", lang),
    ]


# ------------------------------------------------------------------------ tables as frames


def for_report(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A copy of a field-execution table with headers and codes in the report language.

    Column names with a ``fieldforce`` label are translated, as are activity codes, issue codes,
    terminal grades and regions in their columns; other columns are kept as they are. (Pages
    use :class:`~ars_analysis.presentation.ReportTable`; this is for a quick look.)

    Examples
    --------
    >>> t = pd.DataFrame({"rep_id": ["R1"], "activity": ["order"], "share": [0.5]})
    >>> for_report(t, "en").columns.tolist()
    ['Rep ID', 'Activity', 'share']
    >>> for_report(t, "zh")["拜访内容"].tolist()
    ['下单']
    """
    check_lang(lang)
    out = table.copy()
    codes = {"activity": "act_", "issue": "issue_", "grade": "grade_"}
    for col, prefix in codes.items():
        if col in out.columns:
            out[col] = [
                label(f"fieldforce.{prefix}{x}", lang) if has_label(f"fieldforce.{prefix}{x}")
                else x
                for x in out[col].astype(object)
            ]  # fmt: skip
    if "distance_band" in out.columns:
        out["distance_band"] = [
            label("fieldforce.unknown", lang) if x == UNKNOWN else x
            for x in out["distance_band"].astype(object)
        ]
    if "region" in out.columns:
        out["region"] = out["region"].map(lambda r: place_name(r, lang))
    names = {
        c: label(f"fieldforce.{c}", lang) if has_label(f"fieldforce.{c}") else c
        for c in out.columns
    }
    return out.rename(columns=names)
