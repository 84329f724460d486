"""The terminal-network report (终端网络) as a client reads it: opening, section sentences,
tables, workbook and appendix rows, from a :class:`~ars_analysis.terminals.TerminalNetwork`.

This module is longer than ~600 lines on purpose: it is the whole wording of one report, in
the order the report reads (opening, sections, workbook); splitting it by section would
scatter the sentences a consultant reviews together.

Every text comes from ``labels/terminals.yml`` (and ``common.yml``); every number goes through
:mod:`ars_analysis.presentation.fmt`. The analysis module takes no language.

Examples
--------
>>> from ars_analysis.presentation.terminals import reason_text
>>> reason_text("nearest", 12.4, "en")
'No core distributor with room in the city; the nearest one (about 12 km)'
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ars_analysis.client import ClientConfig
from ars_analysis.labels import check_lang, label
from ars_analysis.presentation import fmt
from ars_analysis.presentation.blocks import (
    Action,
    ActionList,
    Finding,
    Html,
    KeyResult,
    ReportSummary,
    caveat,
    period_text,
    say,
    scope_text,
)
from ars_analysis.presentation.tables import ReportTable, place_name

NS = ("terminals",)

#: Section anchors (the findings link to them).
SECTIONS = {
    "concentration": "sec-concentration",
    "regions": "sec-regions",
    "link": "sec-link",
    "coverage": "sec-coverage",
    "margin": "sec-margin",
    "tail": "sec-tail",
    "missing": "sec-missing",
}


def text(key: str, lang: str, **values) -> str:
    """The terminal-network label ``key`` in ``lang`` (section titles, table titles...)."""
    return label(f"terminals.{key}", lang, **values)


_t = text


def _money(v, lang) -> str:
    return fmt.compact(v, lang)


def reason_text(reason: str, distance_km, lang: str = "zh") -> str:
    """Why a distributor is proposed, in words (with the distance for the nearest one)."""
    if reason == "nearest" and not fmt.is_missing(distance_km):
        return _t("reason_nearest_km", lang, km=fmt.number(distance_km))
    if reason == "cultivate_local" and not fmt.is_missing(distance_km):
        return _t("reason_cultivate_km", lang, km=fmt.number(distance_km))
    return label(f"terminals.reason_values.{reason}", lang)


def category_value(column: str, value, lang: str) -> str:
    """A coded value (terminal type, quadrant, status...) in ``lang``."""
    if fmt.is_missing(value):
        value = ""
    key = f"terminals.{column}_values.{value}"
    from ars_analysis.labels import has_label

    return label(key, lang) if has_label(key) else str(value)


# ---------------------------------------------------------------------------- opening


def terminal_summary(
    result, cfg: ClientConfig, lang: str = "zh", region=None, n_actions: int = 10
) -> ReportSummary:
    """Title block, key findings, actions and key results of the terminal-network report."""
    check_lang(lang)
    places = cfg.region_names
    c = result.concentration
    cov = result.coverage
    n_top = int(cov["n_top"].sum()) if len(cov) else 0
    findings: list[Finding] = []
    small = cfg.min_sample.tail_fit
    n = int(c.get("n_terminals", 0))
    if n >= 2 and "top_share" in c:
        findings.append(
            Finding(
                _t(
                    "finding_concentration",
                    lang,
                    n=fmt.integer(n),
                    top=fmt.percent(result.top_share, 0),
                    share=fmt.percent(c["top_share"]),
                    lo=fmt.percent(c["top_share_low"]),
                    hi=fmt.percent(c["top_share_high"]),
                    n80=fmt.integer(c["n_for_80"]),
                ),
                SECTIONS["concentration"],
                _t("small_sample", lang, n=n) if n < small else None,
            )
        )
    t = result.terminals
    not_linked = t[t["is_top"] & ~t["linked"]]
    plan = result.link_plan
    stake = float(plan["volume_at_stake"].sum()) if len(plan) else 0.0
    if len(plan):
        findings.append(
            Finding(
                _t(
                    "finding_link",
                    lang,
                    n_top=fmt.integer(n_top),
                    n_not=fmt.integer(len(not_linked)),
                    n_link=fmt.integer(len(plan)),
                    stake=_money(stake, lang),
                    n_dist=fmt.number(plan["n_distributors"].mean(), 1),
                ),
                SECTIONS["link"],
            )
        )
    else:
        findings.append(
            Finding(_t("finding_link_none", lang, n_top=fmt.integer(n_top)), SECTIONS["link"])
        )
    if n_top:
        n_cov = int(n_top - cov["neither"].sum())
        findings.append(
            Finding(
                _t(
                    "finding_coverage",
                    lang,
                    coverage=fmt.percent(n_cov / n_top),
                    n_covered=fmt.integer(n_cov),
                    n_top=fmt.integer(n_top),
                    linked=fmt.percent(cov["linked"].sum() / n_top),
                ),
                SECTIONS["coverage"],
                _t("small_sample", lang, n=n_top) if n_top < cfg.min_sample.group_rate else None,
            )
        )
    margin = margin_finding(result, lang)
    if margin:
        findings.append(margin)
    total = _missing_total(result)
    if total is not None and not fmt.is_missing(total["estimate"]):
        findings.append(
            Finding(
                _t(
                    "finding_missing",
                    lang,
                    ratio=fmt.percent(result.unobserved_ratio, 0),
                    est=_money(total["estimate"], lang),
                    lo=_money(total["low"], lang),
                    hi=_money(total["high"], lang),
                ),
                SECTIONS["missing"],
            )
        )
    items = [
        Action(
            name=f"{r.terminal_name} → {r.proposed_customer_name or fmt.MISSING}",
            reason=reason_text(r.reason, r.distance_km, lang),
            stake=fmt.money(r.volume_at_stake),
        )
        for r in plan.head(n_actions).itertuples(index=False)
    ]
    actions = [
        ActionList(
            title=_t("title_link", lang),
            items=items,
            stake_header=_t("volume_at_stake", lang),
        )
    ]
    periods = [(label("common.sales_period", lang), _period(result.sales_period))]
    if result.visit_period:
        periods.append((label("common.visit_period", lang), _period(result.visit_period)))
    key_results = [
        KeyResult("top_share", _t("key_top_share", lang), fmt.percent(c.get("top_share"))),
        KeyResult("n_top", _t("key_n_top", lang), fmt.integer(n_top)),
        KeyResult("n_to_link", _t("key_to_link", lang), fmt.integer(len(plan))),
        KeyResult(
            "stake",
            _t("key_stake", lang),
            _money(stake, lang) + ("元" if lang == "zh" else " CNY"),
        ),
    ]
    if n_top:
        key_results.append(
            KeyResult(
                "coverage",
                _t("key_coverage", lang),
                fmt.percent((n_top - cov["neither"].sum()) / n_top),
            )
        )
    return ReportSummary(
        title=_t("report_title", lang),
        question=_t("report_question", lang),
        lang=lang,
        scope=scope_text(region, lang, places),
        periods=periods,
        findings=findings[:5],
        actions=actions,
        key_results=key_results,
        client=cfg.client_name(lang),
        analysis="terminal_network",
        region=region if isinstance(region, str) or region is None else ",".join(region),
    )


def _period(p) -> str:
    return period_text(*p) if p else fmt.MISSING


def _missing_total(result):
    m = result.missing
    if m is None or not len(m):
        return None
    return m[m["region"].isna()].iloc[-1]


def margin_finding(result, lang: str) -> Finding | None:
    m = result.margins
    if not len(m):
        return None
    if result.margin_basis == "retailer":
        top = m[m["is_top"]]
        median = float(m["margin_rate"].median())
        return Finding(
            _t(
                "finding_margin_retailer",
                lang,
                rate=fmt.percent(top["margin_rate"].median()),
                n_low=fmt.integer((top["margin_rate"] < median).sum()),
                median=fmt.percent(median),
            ),
            SECTIONS["margin"],
        )
    cons = m[m["quadrant"] == "consolidate"]
    tot = m["margin"].sum()
    return Finding(
        _t(
            "finding_margin_ours",
            lang,
            n=fmt.integer(len(cons)),
            share=fmt.percent(cons["margin"].sum() / tot if tot else np.nan),
        ),
        SECTIONS["margin"],
    )


# ---------------------------------------------------------------------------- sections


def concentration_sentence(result, lang: str = "zh") -> Html:
    c = result.concentration
    if c.get("n_terminals", 0) < 2 or "gini" not in c:
        return say("terminals.too_few_terminals", lang)
    return say(
        "terminals.say_pareto",
        lang,
        top=fmt.percent(result.top_share, 0),
        share=fmt.percent(c["top_share"]),
        lo=fmt.percent(c["top_share_low"]),
        hi=fmt.percent(c["top_share_high"]),
        gini=fmt.number(c["gini"], 2),
        glo=fmt.number(c["gini_low"], 2),
        ghi=fmt.number(c["gini_high"], 2),
        n50=fmt.integer(c["n_for_50"]),
    )


def concentration_table(
    table: pd.DataFrame, lang: str = "zh", by: str = "region", places=None, title=None
) -> ReportTable:
    """Concentration per region (or terminal type) with intervals in words."""
    t = table
    out = pd.DataFrame(
        {
            by: t[by]
            if by == "region"
            else t[by].map(lambda v: category_value("terminal_type", v, lang)),
            "n_terminals": t["n_terminals"].astype(int),
            "revenue": t["total"],
            "top_share_ci": [
                fmt.interval(s, lo, hi, kind="pct")
                for s, lo, hi in zip(
                    t["top_share"], t["top_share_low"], t["top_share_high"], strict=True
                )
            ],
            "gini_ci": [
                fmt.interval(g, lo, hi, decimals=2)
                for g, lo, hi in zip(t["gini"], t["gini_low"], t["gini_high"], strict=True)
            ],
            "n_for_80": t["n_for_80"].astype(int),
        }
    )
    return ReportTable(
        out,
        lang=lang,
        namespaces=NS,
        kinds={"top_share_ci": "text", "gini_ci": "text", by: "text"},
        places=places,
        title=title,
    )


def regions_sentence(result, lang: str = "zh", places=None) -> Html | None:
    t = result.by_region
    if len(t) < 2:
        return None
    return say(
        "terminals.say_regions",
        lang,
        most=place_name(t["region"].iloc[0], lang, places),
        g1=fmt.number(t["gini"].iloc[0], 2),
        least=place_name(t["region"].iloc[-1], lang, places),
        g2=fmt.number(t["gini"].iloc[-1], 2),
    )


def lorenz_sentence(result, lang: str = "zh") -> Html:
    p = result.lorenz.get("params")
    if p is not None and len(p):
        ok = p[p["valid"] & (p["model"] == "lognormal")]
        if len(ok):
            return say(
                "terminals.say_lorenz_valid", lang, rmse=fmt.number(100 * ok["rmse"].iloc[0], 1)
            )
    return say("terminals.say_lorenz_invalid", lang)


def tail_sentence(result, lang: str = "zh") -> Html:
    """The tail fit in words, or why it is not shown."""
    a = result.tail
    st = a["status"]
    if st == "too_few":
        if "n_tail" in a:
            return say(
                "terminals.say_tail_small_tail",
                lang,
                n_tail=fmt.integer(a["n_tail"]),
                min=a["min_sample"],
            )
        return say("terminals.say_tail_too_few", lang, n=fmt.integer(a["n"]), min=a["min_sample"])
    if st == "failed":
        return say("terminals.say_tail_failed", lang)
    if st == "rejected":
        return say("terminals.say_tail_rejected", lang, p=fmt.number(a["p_gof"], 2))
    return say(
        "terminals.say_tail_valid",
        lang,
        n_tail=fmt.integer(a["n_tail"]),
        share=fmt.percent(a["tail_share"]),
        xmin=fmt.money(a["xmin"]),
        halving=fmt.percent(2 ** (1 - a["alpha"]), 0),
        alpha=fmt.number(a["alpha"], 2),
        lo=fmt.number(a["alpha_low"], 2),
        hi=fmt.number(a["alpha_high"], 2),
        p=fmt.number(a["p_gof"], 2),
    )


def tail_table(result, lang: str = "zh") -> ReportTable | None:
    a = result.tail
    if a["status"] != "valid":
        return None
    c = a["compare"]
    out = pd.DataFrame(
        {
            "alternative": c["alternative"],
            "verdict": c["verdict"],
            "p": c["p"],
        }
    )
    return ReportTable(
        out,
        lang=lang,
        namespaces=NS,
        kinds={"p": "num"},
        decimals={"p": 3},
        title=_t("sheet_tail", lang),
        missing_note=_t("verdict_values.not_fitted", lang),
    )


def coverage_table(result, lang: str = "zh", places=None) -> ReportTable:
    c = result.coverage
    cols = [
        "region",
        "n_top",
        "linked",
        "visited",
        "neither",
        "coverage_rate",
        "n_to_link",
        "volume_at_stake",
    ]
    out = c[cols].copy()
    if len(out) > 1:
        tot = {k: out[k].sum() for k in cols[1:5] + ["n_to_link", "volume_at_stake"]}
        tot["region"] = _t("national_total", lang)
        nt = tot["n_top"]
        tot["coverage_rate"] = (nt - tot["neither"]) / nt if nt else np.nan
        out = pd.concat([out, pd.DataFrame([tot])], ignore_index=True)
    return ReportTable(
        out,
        lang=lang,
        namespaces=NS,
        kinds={"linked": "int", "visited": "int", "neither": "int", "volume_at_stake": "money"},
        places=places,
        title=_t("sheet_coverage", lang),
    )


def coverage_sentence(result, lang: str = "zh") -> Html | None:
    cov = result.coverage
    n_top = int(cov["n_top"].sum()) if len(cov) else 0
    if not n_top:
        return None
    n_cov = int(n_top - cov["neither"].sum())
    return say(
        "terminals.say_coverage",
        lang,
        n_top=fmt.integer(n_top),
        n_covered=fmt.integer(n_cov),
        coverage=fmt.percent(n_cov / n_top),
    )


def link_table(
    result, lang: str = "zh", places=None, max_rows: int = 15, full: bool = True
) -> ReportTable:
    """Terminals to link and through whom; ``full=False`` keeps the columns that fit a page
    (the workbook gets every column)."""
    p = result.link_plan
    out = pd.DataFrame(
        {
            "terminal_id": p["terminal_id"],
            "terminal_name": p["terminal_name"],
            "region": p["region"],
            "city": p["city"],
            "terminal_type": p["terminal_type"].map(
                lambda v: category_value("terminal_type", v, lang)
            ),
            "revenue": p["revenue"],
            "n_distributors": p["n_distributors"].astype(int),
            "volume_at_stake": p["volume_at_stake"],
            "proposed_customer_id": p["proposed_customer_id"],
            "proposed_customer_name": p["proposed_customer_name"],
            "reason": [
                reason_text(r, d, lang) for r, d in zip(p["reason"], p["distance_km"], strict=True)
            ],
        }
    )
    if not full:
        out = out[["terminal_name", "city", "volume_at_stake", "proposed_customer_name", "reason"]]
    return ReportTable(
        out,
        lang=lang,
        namespaces=NS,
        kinds={
            "terminal_type": "text",
            "reason": "text",
            "volume_at_stake": "money",
            "n_distributors": "int",
        },
        places=places,
        title=_t("sheet_link", lang),
        max_rows=max_rows,
        missing_note=_t("reason_values.no_core_distributor", lang),
    )


def link_sentence(result, cfg: ClientConfig, lang: str = "zh") -> Html:
    p = result.link_plan
    n_top = int(result.coverage["n_top"].sum()) if len(result.coverage) else 0
    if not len(p):
        return say("terminals.finding_link_none", lang, n_top=fmt.integer(n_top))
    return say(
        "terminals.say_link",
        lang,
        n=fmt.integer(len(p)),
        cap=cfg.terminals.max_new_per_distributor,
        stake=fmt.money(p["volume_at_stake"].sum()),
    )


def core_definition_sentence(result, cfg: ClientConfig, lang: str = "zh") -> Html:
    """Which distributors count as core in this report (stated beside the linking plan)."""
    return say(
        "terminals.say_core_definition",
        lang,
        a=fmt.percent(cfg.definitions.core_customer.abc_cuts[0], 0),
        n=fmt.integer(int(result.core["is_core"].sum())),
    )


def top_terminals_table(result, lang: str = "zh", places=None) -> ReportTable:
    """The top terminals of the scope (workbook)."""
    t = result.terminals[result.terminals["is_top"]].sort_values(["region", "rank"])
    out = pd.DataFrame(
        {
            "terminal_id": t["terminal_id"],
            "terminal_name": t["terminal_name"],
            "region": t["region"],
            "city": t["city"],
            "terminal_type": t["terminal_type"].map(
                lambda v: category_value("terminal_type", v, lang)
            ),
            "rank": t["rank"].astype(int),
            "revenue": t["revenue"],
            "supplier_id": t["customer_id"],
            "linked": t["linked"],
            "visited": t["visited"],
            "n_distributors": t["n_distributors"].astype(int),
            "volume_at_stake": t["volume_at_stake"],
        }
    )
    return ReportTable(
        out,
        lang=lang,
        namespaces=NS,
        kinds={
            "terminal_type": "text",
            "rank": "int",
            "supplier_id": "text",
            "volume_at_stake": "money",
        },
        places=places,
        title=_t("sheet_top", lang),
        missing_note=_t("n_not_linked", lang),
    )


def margin_sentence(result, lang: str = "zh") -> Html:
    if result.margin_basis == "retailer":
        return say("terminals.say_margin_retailer", lang)
    return caveat(_t("say_margin_ours", lang))


def quadrant_table(result, lang: str = "zh") -> ReportTable | None:
    m = result.margins
    if not len(m):
        return None
    from ars_analysis.terminals import QUADRANTS

    g = m.groupby("quadrant").agg(
        n_terminals=("terminal_id", "size"), revenue=("revenue", "sum"), margin=("margin", "sum")
    )
    g = g.reindex(list(QUADRANTS)).fillna(0)
    tot = g["margin"].sum()
    out = pd.DataFrame(
        {
            "quadrant": [category_value("quadrant", q, lang) for q in g.index],
            "n_terminals": g["n_terminals"].astype(int).to_numpy(),
            "revenue": g["revenue"].to_numpy(),
            "margin": g["margin"].to_numpy(),
            "margin_share": (g["margin"] / tot).to_numpy() if tot else np.nan,
        }
    )
    head = {}
    if result.margin_basis == "ours":
        head = {"margin": label("common.gross_margin", lang) + label("common.unit_money", lang)}
    return ReportTable(
        out,
        lang=lang,
        namespaces=NS,
        kinds={"quadrant": "text", "margin": "money"},
        headers_=head,
        title=_t("sheet_quadrants", lang),
    )


def margins_table(result, lang: str = "zh", places=None) -> ReportTable | None:
    m = result.margins
    if not len(m):
        return None
    out = pd.DataFrame(
        {
            "terminal_id": m["terminal_id"],
            "terminal_name": m["terminal_name"],
            "region": m["region"],
            "terminal_type": m["terminal_type"].map(
                lambda v: category_value("terminal_type", v, lang)
            ),
            "is_top": m["is_top"],
            "revenue": m["revenue"],
            "margin": m["margin"],
            "margin_rate": m["margin_rate"],
            "quadrant": m["quadrant"].map(lambda v: category_value("quadrant", v, lang)),
        }
    )
    rate = "our_margin_rate" if result.margin_basis == "ours" else "retailer_margin_rate"
    return ReportTable(
        out,
        lang=lang,
        namespaces=NS,
        kinds={"terminal_type": "text", "quadrant": "text", "margin": "money"},
        headers_={"margin_rate": _t(rate, lang)},
        places=places,
        title=_t("sheet_margins", lang),
    )


def missing_sentence(result, lang: str = "zh") -> Html | None:
    tot = _missing_total(result)
    if tot is None or fmt.is_missing(tot["estimate"]):
        return None
    return say(
        "terminals.say_missing",
        lang,
        ratio=fmt.percent(result.unobserved_ratio, 0),
        est=fmt.money(tot["estimate"]),
        lo=fmt.money(tot["low"]),
        hi=fmt.money(tot["high"]),
    )


def missing_table(result, lang: str = "zh", places=None) -> ReportTable:
    m = result.missing.copy()
    m["region"] = m["region"].map(lambda r: _t("national_total", lang) if r is None else r)
    out = m[["region", "n_observed", "n_missing", "estimate"]].copy()
    out["interval_95"] = [
        fmt.MISSING if fmt.is_missing(lo) else f"{fmt.money(lo)}–{fmt.money(hi)}"
        for lo, hi in zip(m["low"], m["high"], strict=True)
    ]
    return ReportTable(
        out,
        lang=lang,
        namespaces=NS,
        kinds={"estimate": "money", "interval_95": "text"},
        places=places,
        title=_t("sheet_missing", lang),
        missing_note=label("terminals.small_sample", lang, n="< 3"),
        note=_t("interpret_missing", lang),
    )


# ---------------------------------------------------------------------------- appendix


def appendix_parameters(result, cfg: ClientConfig, lang: str = "zh") -> list[tuple[str, str]]:
    """The report's parameters in words (for :func:`~ars_analysis.presentation.appendix`)."""
    return [
        (
            _t("param_core", lang),
            _t(
                "param_core_text",
                lang,
                a=fmt.percent(cfg.definitions.core_customer.abc_cuts[0], 0),
            ),
        ),
        (
            _t("param_ratio", lang),
            _t("param_ratio_text", lang, ratio=fmt.number(result.unobserved_ratio, 2)),
        ),
        (_t("param_cap", lang), fmt.integer(cfg.terminals.max_new_per_distributor)),
        (_t("param_min_tail", lang), fmt.integer(cfg.min_sample.tail_fit)),
        (_t("param_boot", lang), fmt.integer(result.params.get("n_boot"))),
    ]


def appendix_methods(lang: str = "zh") -> list[str]:
    return [
        _t(k, lang)
        for k in ("method_concentration", "method_link", "method_missing", "method_tail")
    ]


def workbook_tables(result, lang: str = "zh", places=None) -> list[ReportTable]:
    """The full lists for the Excel workbook."""
    tables = [
        link_table(result, lang, places),
        top_terminals_table(result, lang, places),
        coverage_table(result, lang, places),
        missing_table(result, lang, places),
    ]
    if len(result.by_region):
        tables.append(
            concentration_table(
                result.by_region, lang, "region", places, title=_t("sheet_regions", lang)
            )
        )
    if len(result.by_type):
        tables.append(
            concentration_table(
                result.by_type, lang, "terminal_type", places, title=_t("sheet_types", lang)
            )
        )
    for t in (quadrant_table(result, lang), margins_table(result, lang, places)):
        if t is not None:
            tables.append(t)
    tt = tail_table(result, lang)
    if tt is not None:
        tables.append(tt)
    return tables


def localize(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A copy of ``table`` with column headers and coded values (status, quadrant, verdict,
    alternative, terminal type) in the report language; unknown columns keep their names.

    For consoles and quick looks; client pages use :class:`ReportTable`.
    """
    from ars_analysis.labels import _all_labels

    check_lang(lang)
    known = _all_labels()

    def head(c):
        m = re.fullmatch(r"n_for_(\d+)", str(c))
        if m:
            return label("terminals.n_for", lang, share=m.group(1))
        for ns in ("terminals", "common"):
            if f"{ns}.{c}" in known:
                return label(f"{ns}.{c}", lang)
        return c

    out = table.copy()
    for col in ("status", "quadrant", "verdict", "alternative", "terminal_type", "reason"):
        if col in out:
            out[col] = out[col].map(lambda v, col=col: category_value(col, v, lang))
    if "region" in out:
        out["region"] = out["region"].map(lambda v: place_name(v, lang))
    out.columns = [head(c) for c in out.columns]
    return out
