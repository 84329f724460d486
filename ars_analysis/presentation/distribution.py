"""Wording, tables and workbook sheets of distribution (铺货), the new-product rollout, terminal
targets (维护) and the handover to distributors' teams (提升), for report 02.

Takes a :class:`~ars_analysis.terminals.network_flows.NetworkFlows` (numbers only) and returns
what the client reads.
"""

from __future__ import annotations

import pandas as pd

from ars_analysis.labels import label
from ars_analysis.presentation import fmt
from ars_analysis.presentation.blocks import Html, _esc, say, section
from ars_analysis.presentation.tables import ReportTable

__all__ = [
    "SECTIONS",
    "attainment_tables",
    "distribution_sentence",
    "distribution_tables",
    "gaps_sentence",
    "gaps_table",
    "handover_sentence",
    "handover_tables",
    "method_note",
    "product_names",
    "servicing_total",
    "ready_sentence",
    "rollout_sentence",
    "section_heading",
    "targets_sentence",
    "workbook_tables",
]

#: Anchors of the sections in report 02.
SECTIONS = {"distribution": "sec-distribution", "rollout": "sec-rollout",
            "targets": "sec-targets", "handover": "sec-handover"}  # fmt: skip
_NS = ("distribution", "terminals", "health")


def _l(key: str, lang: str, **values) -> str:
    return label(f"distribution.{key}", lang, **values)


def _money(v, lang: str) -> str:
    return _l("stake_money", lang, v=fmt.compact(v, lang))


def _pct(v) -> str:
    return fmt.percent(v, 1)


def product_names(res) -> dict:
    """product_id -> product name of the core products (for chart ticks)."""
    core = res.core_products
    if "product_name" not in core:
        return {}
    return dict(zip(core["product_id"], core["product_name"], strict=True))


def section_heading(name: str, lang: str = "zh") -> Html:
    """The heading of section ``name`` (``distribution``, ``rollout``, ``targets``,
    ``handover``)."""
    return section(SECTIONS[name], _l(f"sec_{name}", lang))


def _product(res, pid) -> str:
    core = res.core_products
    if "product_name" in core:
        names = core.set_index("product_id")["product_name"]
        if pid in names.index:
            return str(names[pid])
    return str(pid)


def distribution_sentence(res, lang: str = "zh") -> Html:
    """The finding: average numeric and weighted distribution of the core products."""
    t = res.distribution.get("total")
    if t is None or t.empty:
        return say("distribution.say_no_distribution", lang)
    best = t.loc[t["numeric_distribution"].idxmax()]
    worst = t.loc[t["numeric_distribution"].idxmin()]
    return say(
        "distribution.say_distribution", lang, months=res.parameters["window_months"],
        n_active=fmt.integer(t["n_active"].iat[0]), n_core=len(t),
        core_share=_pct(res.core_products["revenue_share"].sum()),
        nd=_pct(t["numeric_distribution"].mean()), wd=_pct(t["weighted_distribution"].mean()),
        best=_product(res, best["product_id"]), best_nd=_pct(best["numeric_distribution"]),
        worst=_product(res, worst["product_id"]), worst_nd=_pct(worst["numeric_distribution"]),
    )  # fmt: skip


def _by(frame: pd.DataFrame, col: str, res) -> pd.DataFrame:
    g = frame.groupby(col, sort=True)
    out = g.agg(n_active=("n_active", "first"), numeric_distribution=("numeric_distribution",
                "mean"), weighted_distribution=("weighted_distribution", "mean")).reset_index()  # fmt: skip
    weakest = frame.loc[g["numeric_distribution"].idxmin(), [col, "product_id"]]
    out = out.merge(weakest, on=col, how="left")
    out["weakest_product"] = out.pop("product_id").map(lambda p: _product(res, p))
    return out


def distribution_tables(res, lang: str = "zh", places=None) -> list[ReportTable]:
    """By region and by terminal type: active terminals, average numeric and weighted
    distribution of the core products, the narrowest one."""
    out = []
    for key, title in (("region", "table_region"), ("terminal_type", "table_type")):
        d = res.distribution.get(key)
        if d is None or d.empty:
            continue
        out.append(ReportTable(_by(d, key, res), lang, namespaces=_NS,
                               kinds={"numeric_distribution": "pct",
                                      "weighted_distribution": "pct", "weakest_product": "text"},
                               title=_l(title, lang), places=places))  # fmt: skip
    return out


def _gap_frame(res) -> pd.DataFrame:
    g = res.gaps
    if g.empty:
        return g
    g = g.assign(product=g["product_id"].map(lambda p: _product(res, p)))
    keys = [c for c in ("terminal_id", "terminal_name", "region", "terminal_type") if c in g]
    sep = label("health.sep", "zh")
    out = g.groupby(keys, sort=False, dropna=False).agg(
        n_missing=("product_id", "size"), missing_products=("product", lambda s: sep.join(s)),
        gap_revenue=("peer_revenue", "sum"),
    ).reset_index()  # fmt: skip
    return out


def gaps_sentence(res, lang: str = "zh") -> Html:
    """The finding: top terminals missing core products and the revenue at stake."""
    if res.gaps.empty:
        return say("distribution.say_no_gaps", lang)
    g = _gap_frame(res)
    return say("distribution.say_gaps", lang, n_terminals=fmt.integer(len(g)),
               n_gaps=fmt.integer(g["n_missing"].sum()),
               stake=_money(g["gap_revenue"].sum(), lang),
               months=res.parameters["window_months"])  # fmt: skip


def gaps_table(res, lang: str = "zh", places=None, *, full: bool = False) -> ReportTable:
    """Top terminals missing a core product, largest revenue at stake first."""
    g = _gap_frame(res)
    if len(g):
        g = g.sort_values("gap_revenue", ascending=False, kind="stable")
        g["missing_products"] = g["missing_products"].str.replace(
            label("health.sep", "zh"), label("health.sep", lang), regex=False
        )
    return ReportTable(g, lang, namespaces=_NS,
                       kinds={"missing_products": "text", "gap_revenue": "money"},
                       title=None if full else _l("gaps_title", lang), places=places)  # fmt: skip


def rollout_sentence(res, lang: str = "zh") -> Html:
    """The finding: where each new product stands in weeks since launch."""
    r = res.rollout
    if r is None or r.empty:
        return say("distribution.say_no_rollout", lang)
    last = r.sort_values("week").groupby("product_id").tail(1)
    name = last["product_name"] if "product_name" in last else last["product_id"]
    items = [_l("rollout_item", lang, product=n, weeks=int(w), share=_pct(s))
             for n, w, s in zip(name, last["week"], last["numeric_distribution"], strict=True)]  # fmt: skip
    return say("distribution.say_rollout", lang, n=len(items),
               text=label("health.sep", lang).join(items))  # fmt: skip


def targets_sentence(res, lang: str = "zh") -> Html:
    """The finding on terminal targets (or that there are none and targets are suggested)."""
    parts = []
    a = res.attainment.get("terminal_id")
    if a is None or a.empty:
        parts.append(say("distribution.say_no_targets", lang).html)
    else:
        c = res.attainment.get("customer_id", pd.DataFrame())
        parts.append(say(
            "distribution.say_targets", lang, n=fmt.integer(len(a)),
            months=int(a["n_months"].max()), target=_money(a["target_revenue"].sum(), lang),
            actual=_money(a["revenue"].sum(), lang),
            att=_pct(a["revenue"].sum() / a["target_revenue"].sum()),
            n_low=int((c["attainment"] < 0.9).sum()) if len(c) else 0,
        ).html)  # fmt: skip
    if len(res.suggested):
        p = res.parameters
        parts.append(say(
            "distribution.say_suggested", lang, n=fmt.integer(len(res.suggested)),
            months=p["target_months"], lo=fmt.percent(p["growth_limits"][0], 0),
            hi=fmt.percent(p["growth_limits"][1], 0), peers=p["min_peers"],
        ).html)  # fmt: skip
    return Html("".join(parts))


def attainment_tables(res, lang: str = "zh", places=None) -> list[ReportTable]:
    """Attainment by distributor and by rep (lowest first), and the suggested targets."""
    out = []
    for by, title in (("customer_id", "attain_customer"), ("rep_id", "attain_rep")):
        a = res.attainment.get(by)
        if a is None or a.empty:
            continue
        cols = [c for c in (by, "customer_name", "n_terminals", "target_revenue", "revenue",
                            "attainment", "n_months", "n_reached") if c in a]  # fmt: skip
        out.append(ReportTable(a.sort_values("attainment")[cols], lang, namespaces=_NS,
                               title=_l(title, lang), places=places))  # fmt: skip
    if len(res.suggested):
        s = res.suggested.sort_values("history_revenue", ascending=False, kind="stable")
        cols = [c for c in ("terminal_id", "terminal_name", "region", "history_revenue",
                            "peer_level", "n_peers", "peer_growth", "suggested_target",
                            "method") if c in s]  # fmt: skip
        out.append(ReportTable(s[cols], lang, namespaces=_NS,
                               kinds={"peer_level": "text", "method": "text",
                                      "history_revenue": "money", "suggested_target": "money"},
                               title=_l("suggested_title", lang), places=places))  # fmt: skip
    return out


def _total(res) -> pd.DataFrame:
    s = res.servicing
    if s is None or s.empty:
        return pd.DataFrame()
    if res.region is None:
        return s[s["region"].isna()].reset_index(drop=True)
    g = s.groupby("period").agg(n_terminals=("n_terminals", "sum"), n_distributor=(
        "n_distributor", "sum"), revenue=("revenue", "sum"),
        revenue_distributor=("revenue_distributor", "sum")).reset_index()  # fmt: skip
    g["terminal_share"] = g["n_distributor"] / g["n_terminals"]
    g["volume_share"] = g["revenue_distributor"] / g["revenue"]
    return g


def servicing_total(res) -> pd.DataFrame:
    """The scope's servicing share by month (for the chart)."""
    return _total(res)


def handover_sentence(res, lang: str = "zh") -> Html:
    """The finding: how far the distributors' own teams have taken over."""
    t = _total(res)
    if t.empty:
        return say("distribution.say_no_handover", lang)
    first = t.iloc[0]
    last = t.iloc[-1]
    return say("distribution.say_handover", lang, first_month=first["period"],
               last_month=last["period"], t0=_pct(first["terminal_share"]),
               t1=_pct(last["terminal_share"]), v0=_pct(first["volume_share"]),
               v1=_pct(last["volume_share"]))  # fmt: skip


def ready_sentence(res, lang: str = "zh") -> Html | None:
    """The finding on readiness and the terminals advisors could hand over."""
    r = res.readiness
    if r is None or r.empty:
        return None
    p = res.parameters
    cand = res.candidates
    return say(
        "distribution.say_ready", lang, n_core=len(r), n_ready=int(r["ready"].sum()),
        health=fmt.number(p["min_health"]), flow=fmt.number(p["min_flow"]),
        coverage=fmt.percent(p["min_coverage"], 0), terminals=p["min_terminals"],
        n_cand=fmt.integer(len(cand)),
        stake=_money(cand["revenue"].sum() if len(cand) else 0, lang),
        months=p["window_months"],
    )  # fmt: skip


def handover_tables(res, lang: str = "zh", places=None) -> list[ReportTable]:
    """Latest month by region, readiness of the core distributors, terminals to hand over."""
    out = []
    s = res.servicing
    if s is not None and len(s):
        last = s[s["region"].notna() & (s["period"] == s["period"].max())]
        cols = ["region", "n_terminals", "n_distributor", "terminal_share", "volume_share"]
        out.append(ReportTable(last[cols], lang, namespaces=_NS,
                               title=_l("table_handover_region", lang), places=places))  # fmt: skip
    r = res.readiness
    if r is not None and len(r):
        cols = [c for c in ("customer_id", "customer_name", "region", "health_score",
                            "weakest_flow", "coverage", "n_linked", "n_own_team", "reason")
                if c in r]  # fmt: skip
        out.append(ReportTable(r[cols], lang, namespaces=_NS,
                               kinds={"health_score": "num", "weakest_flow": "text",
                                      "reason": "text", "coverage": "pct"},
                               decimals={"health_score": 0},
                               title=_l("readiness_title", lang), places=places))  # fmt: skip
    c = res.candidates
    if c is not None and len(c):
        cols = [x for x in ("terminal_id", "terminal_name", "region", "customer_name", "rep_id",
                            "revenue") if x in c]  # fmt: skip
        out.append(ReportTable(c[cols], lang, namespaces=_NS,
                               title=_l("candidates_title", lang), places=places))  # fmt: skip
    return out


def method_note(res, lang: str = "zh") -> Html:
    """How distribution, core products and top terminals are defined."""
    p = res.parameters
    text = _l("method_note", lang, months=p["window_months"],
              core=fmt.percent(p["core_share"], 0))  # fmt: skip
    return Html(f'<p class="ars-note">{_esc(text)}</p>')


def workbook_tables(res, lang: str = "zh", places=None) -> list[ReportTable]:
    """Every list in full: distribution by distributor, gaps, rollout, attainment, suggested
    targets, handover, readiness, candidates."""
    sheets = []
    d = res.distribution.get("customer_id")
    if d is not None and len(d):
        d = d.assign(product_name=d["product_id"].map(lambda x: _product(res, x)))
        sheets.append(ReportTable(d, lang, namespaces=_NS, places=places,
                                  title=_l("workbook_distribution", lang)))  # fmt: skip
    if len(res.gaps):
        sheets.append(ReportTable(res.gaps.drop(columns=[c for c in ("rep_id",) if c in res.gaps]),
                                  lang, namespaces=_NS, kinds={"peer_revenue": "money"},
                                  title=_l("workbook_gaps", lang), places=places))  # fmt: skip
    if res.rollout is not None and len(res.rollout):
        sheets.append(ReportTable(res.rollout, lang, namespaces=_NS,
                                  title=_l("workbook_rollout", lang)))  # fmt: skip
    a = res.attainment.get("terminal_id")
    if a is not None and len(a):
        sheets.append(ReportTable(a, lang, namespaces=_NS, places=places,
                                  title=_l("workbook_attainment", lang)))  # fmt: skip
    if len(res.suggested):
        sheets.append(ReportTable(res.suggested, lang, namespaces=_NS, places=places,
                                  kinds={"peer_level": "text", "method": "text",
                                         "history_revenue": "money",
                                         "suggested_target": "money"},
                                  title=_l("workbook_suggested", lang)))  # fmt: skip
    if res.servicing is not None and len(res.servicing):
        sheets.append(ReportTable(res.servicing, lang, namespaces=_NS, places=places,
                                  title=_l("workbook_handover", lang)))  # fmt: skip
    if res.readiness is not None and len(res.readiness):
        sheets.append(ReportTable(res.readiness, lang, namespaces=_NS, places=places,
                                  kinds={"health_score": "num", "weakest_flow": "text",
                                         "reason": "text", "coverage": "pct",
                                         "weakest_score": "num"},
                                  title=_l("workbook_readiness", lang)))  # fmt: skip
    if res.candidates is not None and len(res.candidates):
        sheets.append(ReportTable(res.candidates, lang, namespaces=_NS, places=places,
                                  title=_l("workbook_candidates", lang)))  # fmt: skip
    return sheets
