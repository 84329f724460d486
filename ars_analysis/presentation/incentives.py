"""The incentive-scenario report: what a sales director reads, from an
:class:`~ars_analysis.incentives.analysis.IncentiveAnalysis`.

This module is longer than ~600 lines on purpose: it is the whole wording of one report, in
the order the report reads (opening, sections, workbook); splitting it by section would
scatter the sentences a consultant reviews together.

Every sentence comes from ``labels/incentives.yml`` and every number through
:mod:`~ars_analysis.presentation.fmt`; plan names, descriptions and component names come from
the plan files in the report's language. Numbers in the findings are taken from the same frames
the tables show (see ``tests/test_incentives_consistency.py``).
"""

from __future__ import annotations

import pandas as pd

from ars_analysis.labels import check_lang, has_label, label
from ars_analysis.presentation import fmt
from ars_analysis.presentation.blocks import (
    Action,
    ActionList,
    Finding,
    Html,
    KeyResult,
    ReportSummary,
    caveat,
    say,
    scope_text,
)
from ars_analysis.presentation.tables import ReportTable, with_names

NS = ("incentives",)


def _l(key: str, lang: str, **values) -> str:
    return label(f"incentives.{key}", lang, **values)


def plan_names(a, lang: str) -> dict[str, str]:
    """Plan id -> the plan's name in ``lang``."""
    return {p.name: p.title(lang) for p in a.plans}


def component_text(plan, lang: str) -> str:
    """The components a plan has, each named in ``lang`` (the plan file's label, else the kind)."""
    sep = "；" if lang == "zh" else "; "
    parts = []
    for name, kind in plan.components:
        parts.append(
            plan.component_label(name, lang) or label(f"incentives.component_values.{kind}", lang)
        )
    return sep.join(parts)


def _month_range(window, lang: str) -> str:
    if not window or window[0] is None:
        return _l("no_kpi_window", lang)
    n = len(pd.period_range(window[0], window[1], freq="M"))
    return _l("months_range", lang, start=window[0], end=window[1], n=n)


def _sep(lang: str) -> str:
    return "；" if lang == "zh" else "; "


def _signed_pct(x) -> str:
    return ("+" if x > 0 else "") + fmt.percent(x)


def p_value(p) -> str:
    """A p-value as a client reads it: 4 decimals, ``<0.0001`` below that."""
    if fmt.is_missing(p):
        return fmt.MISSING
    return "<0.0001" if p < 0.0001 else fmt.number(p, 4)


# ------------------------------------------------------------------------------------- tables


def plans_table(a, lang: str = "zh") -> ReportTable:
    """Each plan: name, the components it has, base pay, description (never cut)."""
    df = pd.DataFrame(
        {
            "plan": [p.title(lang) for p in a.plans],
            "components": [component_text(p, lang) for p in a.plans],
            "base_pay": [p.base_pay for p in a.plans],
            "description": [p.describe(lang) for p in a.plans],
        }
    )
    return ReportTable(
        df,
        lang=lang,
        namespaces=NS,
        kinds={"plan": "text", "components": "text", "description": "text", "base_pay": "money"},
        title=_l("t_plans", lang),
    )


def windows_table(a, lang: str = "zh") -> ReportTable:
    """The sales period, the KPI window, the comparison window and the simulated months."""
    rows = [("sales", a.sales_window), ("kpi", a.kpi_window), ("comparison", a.comparison_window)]
    rows.append(("horizon", (a.horizon[0], a.horizon[-1])))
    df = pd.DataFrame(
        {
            "window": [w for w, _ in rows],
            "start": [r[0] if r else None for _, r in rows],
            "end": [r[1] if r else None for _, r in rows],
            "months": [len(pd.period_range(r[0], r[1], freq="M")) if r else None for _, r in rows],
            "use": [w for w, _ in rows],
        }
    )
    return ReportTable(
        df,
        lang=lang,
        namespaces=NS,
        kinds={"window": "text", "start": "text", "end": "text", "months": "int", "use": "text"},
        title=_l("t_windows", lang),
        missing_note=_l("no_kpi_window", lang),
    )


def backtest_frame(a, lang: str = "zh") -> pd.DataFrame:
    """The comparison-window summary per plan (numbers; plan names in ``lang``)."""
    s = a.backtest.summary
    out = pd.DataFrame(
        {
            "plan": s["plan"].map(plan_names(a, lang)),
            "months": s["months"],
            "n_reps": s["n_reps"],
            "revenue": s["revenue"],
            "incentive_cost": s["incentive_cost"],
            "total_cost": s["total_cost"],
            "change_vs_baseline": s["change_vs_baseline"],
            "incentive_cost_rate": s["incentive_cost_rate"],
            "leverage_p50": s["leverage_p50"],
            "leverage_p90": s["leverage_p90"],
            "spearman_ci": [
                fmt.interval(r, lo, hi, decimals=2)
                for r, lo, hi in zip(
                    s["spearman"], s["spearman_low"], s["spearman_high"], strict=True
                )
            ],
            "spearman_p": s["spearman_p"].map(p_value),
            "n_up": s["n_up"],
            "n_down": s["n_down"],
        }
    )
    out.loc[s["plan"] == a.baseline, ["n_up", "n_down"]] = None
    return out


COST_COLUMNS = [
    "plan",
    "revenue",
    "incentive_cost",
    "total_cost",
    "change_vs_baseline",
    "incentive_cost_rate",
]
LINK_COLUMNS = [
    "plan",
    "leverage_p50",
    "leverage_p90",
    "spearman_ci",
    "spearman_p",
    "n_up",
    "n_down",
]


def backtest_table(a, lang: str = "zh") -> ReportTable:
    """Cost of each plan over the comparison window (the key table of the report)."""
    return ReportTable(
        backtest_frame(a, lang)[COST_COLUMNS],
        lang=lang,
        namespaces=NS,
        kinds={"plan": "text", "months": "int", "change_vs_baseline": "money"},
        decimals={"incentive_cost_rate": 2},
        title=_l("t_backtest", lang),
    )


def link_table(a, lang: str = "zh") -> ReportTable:
    """Pay for performance: leverage, rank correlation with its interval, who gains / loses."""
    n = int(a.backtest.summary["n_reps"].iloc[0])
    note = _l("small_sample", lang, n=n) if n < a.min_sample else None
    return ReportTable(
        backtest_frame(a, lang)[LINK_COLUMNS],
        lang=lang,
        namespaces=NS,
        kinds={
            "plan": "text",
            "spearman_ci": "text",
            "leverage_p50": "num",
            "leverage_p90": "num",
            "spearman_p": "text",
            "n_up": "int",
            "n_down": "int",
            "months": "int",
        },
        decimals={"leverage_p50": 2, "leverage_p90": 2, "spearman_p": 4},
        title=_l("t_link", lang),
        note=note,
        missing_note=_l("missing_corr", lang),
    )


def changes_frame(a, lang: str = "zh", plan: str | None = None) -> pd.DataFrame:
    """Each rep's incentive change against the current plan, largest changes first."""
    ch = a.backtest.changes
    if plan is not None:
        ch = ch[ch["plan"] == plan]
    ch = ch.assign(_abs=ch["change"].abs()).sort_values(["plan", "_abs"], ascending=[True, False])
    ch = with_names(ch.drop(columns="_abs"), a.reps, "rep_id", "rep_name")
    out = ch[
        [
            "plan",
            "rep_id",
            "rep_name",
            "region",
            "attainment",
            "baseline_incentive",
            "incentive",
            "change",
            "change_pct",
        ]
    ].copy()
    out["plan"] = out["plan"].map(plan_names(a, lang))
    return out.reset_index(drop=True)


def changes_table(a, lang: str = "zh", plan: str | None = None) -> ReportTable:
    """Reps' incentive changes against the current plan (one candidate: ``plan``; all: None)."""
    df = changes_frame(a, lang, plan).rename(
        columns={"baseline_incentive": "current_incentive", "change": "incentive_change"}
    )
    title = _l("t_changes", lang)
    if plan is not None:
        df = df.drop(columns="plan")
        title += ("：" if lang == "zh" else ": ") + a.plan(plan).title(lang)
    return ReportTable(
        df,
        lang=lang,
        namespaces=NS,
        kinds={"plan": "text", "rep_id": "text", "rep_name": "text", "change_pct": "pct"},
        title=title,
        max_rows=10,
    )


def reps_table(a, lang: str = "zh") -> ReportTable:
    r = with_names(a.backtest.reps, a.reps, "rep_id", "rep_name")
    r = r.assign(plan=r["plan"].map(plan_names(a, lang)))[
        [
            "plan",
            "rep_id",
            "rep_name",
            "region",
            "months",
            "revenue",
            "target_revenue",
            "attainment",
            "incentive",
            "total_pay",
            "target_incentive",
            "pay_vs_target",
        ]
    ]
    return ReportTable(
        r,
        lang=lang,
        namespaces=NS,
        kinds={"plan": "text", "rep_name": "text", "pay_vs_target": "num", "months": "int"},
        decimals={"pay_vs_target": 2},
        title=_l("t_reps", lang),
        missing_note=_l("missing_leverage", lang),
    )


def simulation_frame(a, lang: str = "zh") -> pd.DataFrame:
    s = a.simulation.summary
    return pd.DataFrame(
        {
            "plan": s["plan"].map(plan_names(a, lang)),
            "total_cost_mean": s["total_cost_mean"],
            "total_cost_p10": s["total_cost_p10"],
            "total_cost_p50": s["total_cost_p50"],
            "total_cost_p90": s["total_cost_p90"],
            "incentive_cost_rate_mean": s["incentive_cost_rate_mean"],
            "prob_over_budget": s["prob_over_budget"],
            "earnings_p10": s["earnings_p10"],
            "earnings_p50": s["earnings_p50"],
            "earnings_p90": s["earnings_p90"],
        }
    )


SIM_COLUMNS = [
    "plan",
    "total_cost_mean",
    "total_cost_p10",
    "total_cost_p90",
    "incentive_cost_rate_mean",
    "prob_over_budget",
]
EARNINGS_COLUMNS = ["plan", "earnings_p10", "earnings_p50", "earnings_p90"]


def simulation_table(a, lang: str = "zh", columns=None) -> ReportTable:
    """Simulated 12-month cost per plan (``columns``: a subset; default the cost columns)."""
    cols = columns or SIM_COLUMNS
    return ReportTable(
        simulation_frame(a, lang)[cols],
        lang=lang,
        namespaces=NS,
        kinds={"plan": "text", "prob_over_budget": "pct"}
        | {c: "money" for c in EARNINGS_COLUMNS[1:]},
        title=_l("t_simulation" if cols != EARNINGS_COLUMNS else "t_earnings", lang),
        missing_note=_l("no_budget", lang),
    )


def sensitivity_table(a, lang: str = "zh", workbook: bool = False) -> ReportTable:
    """Expected 12-month cost with each parameter family at -20% / as designed / +20%; the
    workbook version names the plan in a column (sheet names stay short)."""
    s = a.sensitivity.rename(columns={"low": "low_cost", "base": "base_cost", "high": "high_cost"})
    s = s[["parameter", "low_cost", "base_cost", "high_cost", "swing"]]
    name = a.plan(a.sensitivity_plan).title(lang)
    title = _l("t_sensitivity", lang)
    if workbook:
        s = s.assign(plan=name)[["plan", *s.columns]]
    else:
        title += ("：" if lang == "zh" else ": ") + name
    return ReportTable(
        s,
        lang=lang,
        namespaces=NS,
        kinds={"plan": "text", "parameter": "text", "swing": "money"}
        | {c: "money" for c in ("low_cost", "base_cost", "high_cost")},
        title=title,
        note=_l("t_sensitivity_note", lang),
    )


def curves_table(a, lang: str = "zh") -> ReportTable:
    c = a.curves.assign(plan=a.curves["plan"].map(plan_names(a, lang)))
    return ReportTable(
        c[["plan", "attainment", "revenue", "incentive_per_month", "effective_rate"]],
        lang=lang,
        namespaces=NS,
        kinds={"plan": "text", "effective_rate": "pct", "incentive_per_month": "money"},
        decimals={"effective_rate": 2},
        title=_l("t_curves", lang),
    )


def kpis_table(a, lang: str = "zh") -> ReportTable | None:
    if a.kpis is None:
        return None
    k = with_names(a.kpis, a.reps, "rep_id", "rep_name")
    kinds = {c: "pct" for c in ("visit_completion", "top_terminal_coverage") if c in k}
    kinds |= {"rep_name": "text", "period": "text"}
    if "new_terminals" in k:
        kinds["new_terminals"] = "int"
    return ReportTable(
        k,
        lang=lang,
        namespaces=NS,
        kinds=kinds,
        title=_l("t_kpis", lang),
        missing_note=_l("missing_kpi", lang),
    )


def workbook_tables(a, lang: str = "zh") -> list[ReportTable]:
    """Every table of the report, full length, for the workbook."""
    tables = [
        plans_table(a, lang),
        windows_table(a, lang),
        backtest_table(a, lang),
        link_table(a, lang),
        reps_table(a, lang),
        changes_table(a, lang),
        simulation_table(a, lang, SIM_COLUMNS + EARNINGS_COLUMNS[1:]),
        sensitivity_table(a, lang, workbook=True),
        curves_table(a, lang),
    ]
    k = kpis_table(a, lang)
    return tables + ([k] if k is not None else [])


# ------------------------------------------------------------------------------- sentences


def _baseline_sim(a):
    return a.simulation.summary.set_index("plan").loc[a.baseline]


def cost_finding(a, plan_id: str, lang: str = "zh") -> str:
    """The cost of one candidate over the comparison window vs the current plan, with the
    simulated 12-month P10–P90."""
    s = a.backtest.summary.set_index("plan")
    sim = a.simulation.summary.set_index("plan")
    base = _baseline_sim(a)
    delta = float(s.loc[plan_id, "change_vs_baseline"])
    base_cost = float(s.loc[a.baseline, "total_cost"])
    return _l(
        "f_cost",
        lang,
        plan=a.plan(plan_id).title(lang),
        window=f"{a.comparison_window[0]} – {a.comparison_window[1]}",
        cost=fmt.money(s.loc[plan_id, "total_cost"]),
        direction=_l("more" if delta > 0 else "less", lang),
        delta=fmt.money(abs(delta)),
        pct=_signed_pct(delta / base_cost) if base_cost else fmt.MISSING,
        p10=fmt.money(sim.loc[plan_id, "total_cost_p10"]),
        p90=fmt.money(sim.loc[plan_id, "total_cost_p90"]),
        b10=fmt.money(base["total_cost_p10"]),
        b90=fmt.money(base["total_cost_p90"]),
    )


def rate_finding(a, lang: str = "zh") -> str:
    s = a.backtest.summary
    items = [
        _l("f_rate_item", lang, plan=a.plan(p).title(lang), rate=fmt.percent(r, 2))
        for p, r in zip(s["plan"], s["incentive_cost_rate"], strict=True)
    ]
    return _l("f_rate", lang, rates=_sep(lang).join(items))


def change_finding(a, plan_id: str, lang: str = "zh") -> str:
    ch = changes_frame(a, lang, plan_id)
    worst = ch.loc[ch["change"].idxmin()]
    best = ch.loc[ch["change"].idxmax()]
    key = "f_change" if best["change"] > 0 else "f_change_nogain"
    return _l(
        key,
        lang,
        plan=a.plan(plan_id).title(lang),
        n_up=int((ch["change"] > 0).sum()),
        n_down=int((ch["change"] < 0).sum()),
        n=len(ch),
        loss=fmt.money(max(-worst["change"], 0)),
        rep=worst["rep_name"],
        pct=fmt.percent(worst["change_pct"]),
        gain=fmt.money(max(best["change"], 0)),
        rep_up=best["rep_name"],
    )


def link_finding(a, lang: str = "zh") -> str:
    s = a.backtest.summary
    links = [
        f"{a.plan(p).title(lang)} {fmt.interval(r, lo, hi, decimals=2)}"
        for p, r, lo, hi in zip(
            s["plan"], s["spearman"], s["spearman_low"], s["spearman_high"], strict=True
        )
    ]
    levers = [
        f"{a.plan(p).title(lang)} {fmt.number(v, 2)}"
        for p, v in zip(s["plan"], s["leverage_p90"], strict=True)
    ]
    return _l("f_link", lang, links=_sep(lang).join(links), levers=_sep(lang).join(levers))


def kpi_caveat_text(a, lang: str = "zh") -> str | None:
    if a.kpi_window is None:
        return None
    n = len(a.backtest.periods)
    return _l("kpi_caveat", lang, kpi=_month_range(a.kpi_window, lang), n=n)


def gate_caveat(a, plan_id: str, lang: str = "zh") -> str | None:
    """How often the plan's gates withheld pay in the comparison window (the plan's risk)."""
    g = a.gate_fail
    if g is None or not len(g):
        return None
    g = g[g["plan"] == plan_id]
    if not len(g):
        return None
    items = [
        _l(
            "gate_item",
            lang,
            kpi=label(f"incentives.kpi_values.{r.kpi}", lang)
            if has_label(f"incentives.kpi_values.{r.kpi}")
            else r.kpi,
            min=fmt.percent(r.min, 0) if r.min <= 1 else fmt.number(r.min, 0),
            share=fmt.percent(r.failed_share),
            failed=fmt.integer(r.failed),
            n=fmt.integer(r.rep_months),
        )
        for r in g.itertuples()
    ]
    return _l("gate_caveat", lang, plan=a.plan(plan_id).title(lang), items=_sep(lang).join(items))


def _small(a, lang):
    n = int(a.backtest.summary["n_reps"].iloc[0])
    return _l("small_sample", lang, n=n) if n < a.min_sample else None


# ---------------------------------------------------------------------------------- actions


def plan_actions(a, lang: str = "zh") -> ActionList:
    """One row per candidate: pilot it or not, why, the expected 12-month cost change."""
    s = a.backtest.summary.set_index("plan")
    sim = a.simulation.summary.set_index("plan")["total_cost_mean"]
    base = a.baseline
    items = []
    tol = fmt.percent(a.cost_tolerance, 0)
    best_rho_plan = a.recommended or base
    for p in a.plans:
        if p.name == base:
            continue
        change = float(sim[p.name] - sim[base])
        rel = _signed_pct(change / sim[base]) if sim[base] else fmt.MISSING
        rho = fmt.number(s.loc[p.name, "spearman"], 2)
        n = int(s.loc[p.name, "n_reps"])
        if n < a.min_sample:
            reason = _l("a_small", lang, n=n, min=a.min_sample)
        elif p.name == a.recommended:
            reason = _l(
                "a_pilot", lang, cost=rel, rho=rho, base_rho=fmt.number(s.loc[base, "spearman"], 2)
            )
        elif sim[p.name] > sim[base] * (1 + a.cost_tolerance):
            reason = _l("a_reject_cost", lang, cost=rel, tol=tol)
        else:
            reason = _l(
                "a_reject_link",
                lang,
                rho=rho,
                better=a.plan(best_rho_plan).title(lang),
                best_rho=fmt.number(s.loc[best_rho_plan, "spearman"], 2),
            )
        items.append(Action(p.title(lang), reason, ("+" if change > 0 else "") + fmt.money(change)))
    return ActionList(
        _l("a_plan_title", lang),
        items,
        empty_text=_l("a_keep", lang),
        stake_header=_l("a_stake_plan", lang),
    )


def focus_plan(a) -> str | None:
    """The candidate whose winners and losers the actions list: the recommended one, else the
    first candidate."""
    if a.recommended:
        return a.recommended
    others = [p.name for p in a.plans if p.name != a.baseline]
    return others[0] if others else None


def rep_actions(a, lang: str = "zh", n: int = 5) -> ActionList | None:
    plan_id = focus_plan(a)
    if plan_id is None:
        return None
    ch = changes_frame(a, lang, plan_id).head(n)
    items = [
        Action(
            f"{r.rep_name}（{r.rep_id}）" if lang == "zh" else f"{r.rep_name} ({r.rep_id})",
            _l(
                "a_rep_reason",
                lang,
                direction=_l("gain" if r.change > 0 else "loss", lang),
                pct=fmt.percent(abs(r.change_pct)) if not fmt.is_missing(r.change_pct) else "",
                att=fmt.percent(r.attainment),
            ),
            ("+" if r.change > 0 else "") + fmt.money(r.change),
        )
        for r in ch.itertuples()
    ]
    return ActionList(
        _l("a_reps_title", lang, plan=a.plan(plan_id).title(lang)),
        items,
        stake_header=_l("a_stake_rep", lang),
    )


# ---------------------------------------------------------------------------------- summary


def incentives_summary(a, cfg, lang: str = "zh", region=None) -> ReportSummary:
    """Title block, 3–5 key findings, actions and key results of the report."""
    check_lang(lang)
    candidates = [p.name for p in a.plans if p.name != a.baseline]
    kpi_cav = kpi_caveat_text(a, lang)
    small = _small(a, lang)
    findings = []
    for i, p in enumerate(candidates[:2]):
        cav = [c for c in (kpi_cav if i == 0 else None, gate_caveat(a, p, lang)) if c]
        findings.append(Finding(cost_finding(a, p, lang), "sec-backtest", " ".join(cav) or None))
    findings.append(Finding(rate_finding(a, lang), "sec-backtest"))
    focus = focus_plan(a)
    if focus is not None:
        findings.append(Finding(change_finding(a, focus, lang), "sec-changes", small))
    findings.append(Finding(link_finding(a, lang), "sec-backtest", small))
    findings = findings[:5]
    actions = [plan_actions(a, lang)]
    ra = rep_actions(a, lang)
    if ra is not None:
        actions.append(ra)
    s = a.backtest.summary.set_index("plan")
    names = plan_names(a, lang)
    key_results = [
        KeyResult(
            "comparison_window", _l("kr_window", lang), _month_range(a.comparison_window, lang)
        ),
        KeyResult(
            "current_rate",
            _l("kr_rate", lang),
            fmt.percent(s.loc[a.baseline, "incentive_cost_rate"], 2),
        ),
    ]
    for p in candidates[:2]:
        key_results.append(
            KeyResult(
                f"cost_change_{p}",
                _l("kr_cost", lang, plan=names[p]),
                ("+" if s.loc[p, "change_vs_baseline"] > 0 else "")
                + fmt.money(s.loc[p, "change_vs_baseline"])
                + label("common.unit_money", lang).strip().strip("()（）"),
            )
        )
    key_results.append(
        KeyResult(
            "recommended",
            _l("kr_recommended", lang),
            names[a.recommended] if a.recommended else _l("kr_none", lang),
        )
    )
    periods = [
        (_l("period_sales", lang), _month_range(a.sales_window, lang)),
        (_l("period_kpi", lang), _month_range(a.kpi_window, lang)),
        (_l("period_comparison", lang), _month_range(a.comparison_window, lang)),
        (_l("period_horizon", lang), _month_range((a.horizon[0], a.horizon[-1]), lang)),
    ]
    return ReportSummary(
        title=_l("report_title", lang),
        question=_l("question", lang),
        lang=lang,
        scope=scope_text(region, lang, cfg.region_names),
        periods=periods,
        findings=findings,
        actions=actions,
        key_results=key_results,
        client=cfg.client_name(lang),
        analysis="incentives",
        region=region,
    )


# -------------------------------------------------------------------------- section texts


def plans_say(a, lang: str = "zh") -> Html:
    return say("incentives.plans_say", lang, n=len(a.plans), k=len(a.plans) - 1)


def windows_say(a, lang: str = "zh") -> Html:
    if a.kpi_window is None:
        return say(
            "incentives.windows_say_nokpi", lang, comparison=_month_range(a.comparison_window, lang)
        )
    parts = [
        say(
            "incentives.windows_say",
            lang,
            sales=_month_range(a.sales_window, lang),
            kpi=_month_range(a.kpi_window, lang),
            comparison=_month_range(a.comparison_window, lang),
        ).html
    ]
    if a.reps_without_kpi:
        parts.append(caveat(_l("no_kpi_reps", lang, n=len(a.reps_without_kpi))).html)
    return Html("".join(parts))


def curves_say(a, lang: str = "zh") -> Html:
    at = a.curves[a.curves["attainment"] == 1.0].set_index("plan")["incentive_per_month"]
    values = _sep(lang).join(f"{a.plan(p).title(lang)} {fmt.money(v)}" for p, v in at.items())
    text = say("incentives.curves_say", lang, target=fmt.money(a.median_target), values=values).html
    if a.category_share is not None:
        src = _l(
            "share_from_config" if a.category_share_source == "config" else "share_from_data", lang
        )
        note = _l(
            "curves_note",
            lang,
            margin=fmt.percent(a.margin_rate),
            share=fmt.percent(a.category_share),
            source=src,
        )
    else:
        note = _l("curves_note_nocat", lang, margin=fmt.percent(a.margin_rate))
    return Html(text + caveat(note).html)


def backtest_say(a, lang: str = "zh") -> Html:
    s = a.backtest.summary.set_index("plan")
    cheap = s["total_cost"].idxmin()
    fair = s["spearman"].idxmax() if s["spearman"].notna().any() else cheap
    parts = [
        say(
            "incentives.backtest_say",
            lang,
            window=f"{a.comparison_window[0]} – {a.comparison_window[1]}",
            cheap=a.plan(cheap).title(lang),
            cost=fmt.money(s.loc[cheap, "total_cost"]),
            fair=a.plan(fair).title(lang),
            rho=fmt.interval(
                s.loc[fair, "spearman"],
                s.loc[fair, "spearman_low"],
                s.loc[fair, "spearman_high"],
                decimals=2,
            ),
        ).html
    ]
    cav = kpi_caveat_text(a, lang)
    if cav:
        parts.append(caveat(cav).html)
    for p in a.plans:
        gc = gate_caveat(a, p.name, lang)
        if gc:
            parts.append(caveat(gc).html)
    small = _small(a, lang)
    if small:
        parts.append(caveat(small).html)
    return Html("".join(parts))


def changes_say(a, lang: str = "zh") -> Html:
    s = a.backtest.summary.set_index("plan")
    items = [
        _l(
            "changes_item",
            lang,
            plan=a.plan(p.name).title(lang),
            n_up=int(s.loc[p.name, "n_up"]),
            n_down=int(s.loc[p.name, "n_down"]),
        )
        for p in a.plans
        if p.name != a.baseline
    ]
    return say("incentives.changes_say", lang, summary=_sep(lang).join(items))


def simulation_say(a, lang: str = "zh") -> Html:
    s = a.simulation.summary
    items = [
        _l(
            "sim_item",
            lang,
            plan=a.plan(p).title(lang),
            mean=fmt.money(m),
            prob=fmt.percent(pr) if a.budget is not None else fmt.MISSING,
        )
        for p, m, pr in zip(s["plan"], s["total_cost_mean"], s["prob_over_budget"], strict=True)
    ]
    src = _l("budget_history" if a.budget_source == "history" else "budget_parameter", lang)
    return say(
        "incentives.sim_say",
        lang,
        n=fmt.integer(a.n_scenarios),
        items=_sep(lang).join(items),
        budget=fmt.money(a.budget),
        source=src,
    )


def sensitivity_say(a, lang: str = "zh") -> Html:
    if not len(a.sensitivity):
        return Html("")
    top = a.sensitivity.iloc[0]
    return say(
        "incentives.sens_say",
        lang,
        plan=a.plan(a.sensitivity_plan).title(lang),
        param=label(f"incentives.parameter_values.{top['parameter']}", lang),
        pct=20,
        swing=fmt.money(top["swing"]),
    )


def interpret(key: str, lang: str = "zh", **values) -> Html:
    """One sentence of interpretation below a chart or a table."""
    return say(f"incentives.{key}", lang, **values)


# --------------------------------------------------------------------------------- appendix


def appendix_parameters(a, lang: str = "zh") -> list[tuple[str, str]]:
    share = (
        f"{fmt.percent(a.category_share)}（{_l('share_from_config' if a.category_share_source == 'config' else 'share_from_data', lang)}）"
        if lang == "zh"
        else f"{fmt.percent(a.category_share)} ({_l('share_from_config' if a.category_share_source == 'config' else 'share_from_data', lang)})"
    )
    src = _l("budget_history" if a.budget_source == "history" else "budget_parameter", lang)
    rows = [
        (_l("p_plans", lang), _sep(lang).join(p.title(lang) for p in a.plans)),
        (
            _l("p_scenarios", lang),
            _l("p_scenarios_text", lang, n=fmt.integer(a.n_scenarios), seed=a.seed),
        ),
        (_l("p_budget", lang), f"{fmt.money(a.budget)}{label('common.unit_money', lang)} — {src}"),
        (_l("p_elasticity", lang), _l("p_elasticity_text", lang, e=fmt.number(a.elasticity, 2))),
        (
            _l("p_tolerance", lang),
            _l("p_tolerance_text", lang, tol=fmt.percent(a.cost_tolerance, 0)),
        ),
    ]
    if a.category_share is not None:
        rows.append((_l("p_category_share", lang), share))
    return rows


def appendix_methods(a, lang: str = "zh") -> list[str]:
    return [
        _l("m_backtest", lang),
        _l("m_leverage", lang),
        _l("m_rank", lang, min=a.min_sample),
        _l(
            "m_simulation",
            lang,
            tau=fmt.number(a.extra.get("model_tau"), 2),
            sigma=fmt.number(a.extra.get("model_sigma"), 2),
        ),
        _l("m_recommend", lang, tol=fmt.percent(a.cost_tolerance, 0)),
        _l(
            "m_sensitivity",
            lang,
            plan=a.plan(a.sensitivity_plan).title(lang),
            n=fmt.integer(min(a.n_scenarios, 500)),
        ),
    ]


# ---------------------------------------------------------------------------------- results


def results(a) -> dict:
    """The values recorded in ``results.json`` (tests and cross-report checks only)."""
    s = a.backtest.summary.set_index("plan")
    sim = a.simulation.summary.set_index("plan")
    return {
        "plans": [p.name for p in a.plans],
        "plan_cost": {p: round(float(v), 2) for p, v in s["total_cost"].items()},
        "plan_incentive_cost": {p: round(float(v), 2) for p, v in s["incentive_cost"].items()},
        "plan_revenue": round(float(s["revenue"].iloc[0]), 2),
        "comparison_window": list(a.comparison_window),
        "kpi_window": list(a.kpi_window) if a.kpi_window else None,
        "sales_window": list(a.sales_window),
        "incentive_cost_rate": {p: round(float(v), 6) for p, v in s["incentive_cost_rate"].items()},
        "spearman": {p: round(float(v), 4) for p, v in s["spearman"].items()},
        "expected_total_cost": {p: round(float(v), 0) for p, v in sim["total_cost_mean"].items()},
        "prob_over_budget": {p: round(float(v), 3) for p, v in sim["prob_over_budget"].items()},
        "category_share": a.category_share,
        "budget": a.budget,
        "recommended": a.recommended,
        "n_reps": int(s["n_reps"].iloc[0]),
        "n_scenarios": a.n_scenarios,
        "elasticity": a.elasticity,
    }
