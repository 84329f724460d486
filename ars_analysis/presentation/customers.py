"""The core-customer report as a client reads it: findings, actions, sentences and tables built
from a :class:`~ars_analysis.customers.CoreCustomerResult` (numbers only) and the label files.

This module is longer than ~600 lines on purpose: it is the whole wording of one report, in
the order the report reads (opening, sections, workbook); splitting it by section would
scatter the sentences a consultant reviews together.

Every sentence with a number is built here from ``labels/customers.yml`` and
:mod:`~ars_analysis.presentation.fmt`; each sentence and the table beside it are built from the
same frame, so they cannot disagree.

Examples
--------
>>> import pandas as pd
>>> s = pd.DataFrame({"abc_class": ["A"], "n_items": [3], "item_share": [0.2],
...                   "measure_share": [0.8]})
>>> abc_sentence(s, "en")
'3 A distributors (20.0% of the distributors) bring 80.0% of sales.'
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.customers import grade_profile as _grade_profile
from ars_analysis.customers import segment_traits
from ars_analysis.labels import check_lang, has_label, label
from ars_analysis.presentation import fmt
from ars_analysis.presentation.blocks import (
    Action,
    ActionList,
    Finding,
    Html,
    KeyResult,
    ReportSummary,
    period_text,
    say,
    scope_text,
)
from ars_analysis.presentation.tables import ReportTable, place_name

NS = ("customers",)

__all__ = [
    "abc_sentence",
    "abc_tables",
    "at_risk_table",
    "computed_sentence",
    "core_customers_summary",
    "counts_table",
    "describe_abc",
    "describe_grades",
    "describe_movements",
    "explain_grades",
    "grade_tables",
    "movement_sentence",
    "movements_table",
    "report_table",
    "scope_sentence",
    "seedlings_table",
    "segment_sentence",
    "segments_table",
    "workbook_tables",
]


# ------------------------------------------------------------------------------- sentences
def _head(summary: pd.DataFrame) -> tuple[int, float, float]:
    a = summary[summary["abc_class"].astype(str) == "A"]
    return int(a["n_items"].sum()), float(a["item_share"].sum()), float(a["measure_share"].sum())


def abc_sentence(summary: pd.DataFrame, lang: str = "zh", key: str = "customers.say_abc") -> str:
    """The sentence under an ABC summary table, from that same table (n, share of items,
    share of sales of class A)."""
    n, items, share = _head(summary)
    return label(key, lang, n=n, items=fmt.percent(items), share=fmt.percent(share))


def computed_sentence(summary: pd.DataFrame, lang: str = "zh") -> str:
    """The computed-ABC sentence, from the computed-ABC summary table it stands under."""
    return abc_sentence(summary, lang, "customers.say_computed")


def describe_abc(summary: pd.DataFrame, lang: str = "zh") -> str:
    """One sentence on the head of an ``abc_summary`` table (moved from the analysis module)."""
    n, items, share = _head(summary)
    return label(
        "customers.sentence_abc", lang, n=n, items=fmt.percent(items), measure=fmt.percent(share)
    )


def describe_grades(scored: pd.DataFrame, lang: str = "zh") -> str:
    """One sentence with the number of customers per grade (A/B/C)."""
    counts = scored["grade"].astype(str).value_counts()
    return label(
        "customers.sentence_grades",
        lang,
        a=int(counts.get("A", 0)),
        b=int(counts.get("B", 0)),
        c=int(counts.get("C", 0)),
    )


def describe_movements(movements: pd.DataFrame, lang: str = "zh") -> str:
    """One sentence: how many customers moved up, down or kept their class."""
    counts = movements["movement"].value_counts()
    return label(
        "customers.sentence_movements",
        lang,
        up=int(counts.get("up", 0)),
        down=int(counts.get("down", 0)),
        same=int(counts.get("same", 0)),
    )


def report_table(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """A copy of ``table`` with its headers in ``lang`` (for quick looks in JupyterLab; client
    pages use :class:`ReportTable`)."""
    from ars_analysis.labels import has_label

    check_lang(lang)
    names = {}
    for c in table.columns:
        for ns in ("customers", "common"):
            if has_label(f"{ns}.{c}"):
                names[c] = label(f"{ns}.{c}", lang)
                break
    return table.rename(columns=names)


def explain_grades(
    scored: pd.DataFrame, scorecard, lang: str = "zh", *, n: int = 2, head: bool = True
) -> pd.Series:
    """One sentence per distributor explaining its grade from its dimension scores.

    Strengths are the (up to ``n``) highest dimension scores >= 70, weaknesses the lowest
    <= 40, e.g. "graded B (58): strong growth, terminal reach; weak margin rate". Never cut.
    """
    check_lang(lang)
    sep = label("customers.list_sep", lang)
    why = scorecard.strengths_weaknesses(scored, n=n)
    out = []
    for (_, row), strong, weak in zip(
        scored.iterrows(), why["strengths"], why["weaknesses"], strict=True
    ):
        parts = []
        if strong:
            dims_ = sep.join(scorecard.dimension_label(k, lang) for k in strong)
            parts.append(label("customers.explain_strong", lang, dims=dims_))
        if weak:
            dims_ = sep.join(scorecard.dimension_label(k, lang) for k in weak)
            parts.append(label("customers.explain_weak", lang, dims=dims_))
        if not parts:
            parts.append(label("customers.explain_balanced", lang))
        score = row["score"]
        start = label(
            "customers.explain_head",
            lang,
            grade=row["grade"],
            score=fmt.MISSING if fmt.is_missing(score) else fmt.number(score),
        )
        body = label("customers.explain_join", lang).join(parts)
        out.append(start + body if head else body)
    return pd.Series(out, index=scored.index, name="explanation")


def _scope_label(scope: str, lang: str) -> str:
    return label(f"common.scope_{scope}", lang)


def scope_sentence(result, lang: str = "zh") -> str:
    """Why (and where) ABC was ranked within a larger scope than the configured one."""
    opts = result.options
    g = result.abc_groups
    small = g[g["abc_scope"] != opts["scope"]] if "abc_scope" in g else g.iloc[0:0]
    scope = _scope_label(opts["scope"], lang)
    if small.empty:
        return label("customers.say_abc_scope_ok", lang, scope=scope, min_group=opts["min_group"])
    return label(
        "customers.say_abc_scope",
        lang,
        scope=scope,
        n_small=len(small),
        min_group=opts["min_group"],
        lo=int(small["n_customers"].min()),
        hi=int(small["n_customers"].max()),
    )


def _movement_counts(result) -> dict:
    c = result.movements["movement"].value_counts()
    return {k: int(c.get(k, 0)) for k in ("up", "down", "same", "new", "lost")}


def movement_sentence(result, lang: str = "zh") -> str:
    if result.movements is None:
        return label("customers.say_no_movements", lang)
    return label(
        "customers.say_movements",
        lang,
        freq=label(f"customers.freq_values.{result.options['freq']}", lang),
        start=result.movement_start,
        end=result.movement_end,
        **_movement_counts(result),
    )


def segment_sentence(result, cfg, lang: str = "zh") -> str:
    ms = cfg.min_sample
    if result.segment_profiles is None:
        if result.segment_reason == "small_segments":
            return label("customers.say_segments_small", lang, per=ms.per_segment)
        return label("customers.say_segments_too_few", lang, n=result.n_customers, min=ms.segments)
    seg = result.segmenter
    return label(
        "customers.say_segments",
        lang,
        n_all=result.n_all,
        k=seg.n_segments_,
        per=ms.per_segment,
        stability=fmt.number(seg.stability_, 2),
    )


# ------------------------------------------------------------------------------- tables
def _names(result) -> pd.DataFrame:
    return result.scored[["customer_id", "customer_name"]]


def _gap_text(gaps, scorecard, lang: str, n: int = 3) -> str:
    if not isinstance(gaps, (list, tuple)) or not gaps:
        return label("customers.none_dims", lang)
    return label("customers.list_sep", lang).join(
        scorecard.dimension_label(k, lang) for k in list(gaps)[:n]
    )


def trend_text(row, lang: str = "zh", level: float = 0.95) -> str:
    """A sales trend with its confidence interval, e.g. ``+30.5%（95%置信区间 +5.3% 至 +55.6%）``."""

    def pct(v):
        return ("+" if v > 0 else "") + fmt.percent(v)

    if fmt.is_missing(row["trend"]):
        return fmt.MISSING
    return label(
        "customers.trend_interval",
        lang,
        level=fmt.percent(level, 0),
        est=pct(row["trend"]),
        lo=pct(row["trend_low"]),
        hi=pct(row["trend_high"]),
    )


def grade_tables(
    result, lang: str = "zh", places=None, *, dimensions: bool = False
) -> tuple[ReportTable, ReportTable]:
    """(grades count table, grade list with the explanation; with ``dimensions`` also every
    dimension score, for the workbook)."""
    card = result.scorecard
    counts = result.grade_counts()
    t1 = ReportTable(
        counts,
        lang=lang,
        namespaces=NS,
        kinds={"grade": "text", "n_customers": "int", "revenue": "money", "revenue_share": "pct"},
        title=label("customers.grade_count_title", lang),
    )
    s = result.scored.sort_values("score", ascending=False, kind="stable")
    dims = [k for k in card.dimensions if k in s.columns]
    shown = dims if dimensions else []
    cols = ["customer_id", "customer_name", "region", "territory", result.measure]
    if not dimensions:  # the page: the region is in the scope or the territory's row
        cols.remove("region")
    cols = [c for c in cols if c in s.columns]
    full = s[[*cols, *shown, "score", "grade"]].copy()
    full["explanation"] = explain_grades(s, card, lang, head=False).to_numpy()
    t2 = ReportTable(
        full,
        lang=lang,
        namespaces=NS,
        kinds={d: "num" for d in shown} | {"score": "num", "grade": "text", "explanation": "text"},
        decimals={d: 0 for d in shown} | {"score": 0},
        headers_={d: card.dimension_label(d, lang) for d in shown},
        title=label("customers.grade_table_title", lang),
        missing_note=label("customers.missing_dimension", lang) if shown else None,
        places=places,
    )
    return t1, t2


def counts_table(result, lang: str = "zh") -> ReportTable:
    return ReportTable(
        result.counts,
        lang=lang,
        namespaces=NS,
        kinds={"definition": "text", "n_customers": "int", "revenue_share": "pct",
               "n_grade_a": "int"},
        title=label("customers.counts_title", lang),
    )  # fmt: skip


def abc_tables(result, lang: str = "zh", places=None) -> dict[str, ReportTable]:
    """ABC summary, ranking scope per territory, computed-ABC summary and the full ABC list."""
    summ_cols = ["abc_class", "n_items", "item_share", "measure_total", "measure_share"]
    kinds = {"abc_class": "text", "n_items": "int", "item_share": "pct",
             "measure_total": "money", "measure_share": "pct"}  # fmt: skip
    heads = {
        "measure_total": header_money(result.measure, lang),
        "measure_share": label(
            "customers.measure_share_of",
            lang,
            measure=_measure(result, lang).lower() if lang == "en" else _measure(result, lang),
        ),
    }
    summary = ReportTable(
        result.abc_summary[summ_cols], lang=lang, namespaces=NS, kinds=kinds, headers_=heads,
        title=label("customers.abc_summary_title", lang),
    )  # fmt: skip
    computed = ReportTable(
        result.computed_summary[summ_cols], lang=lang, namespaces=NS, kinds=kinds,
        headers_=heads, title=label("customers.computed_title", lang),
    )  # fmt: skip
    g = result.abc_groups
    groups = ReportTable(
        g, lang=lang, namespaces=NS,
        kinds={"n_customers": "int", "abc_scope": "text", "n_a": "int", "a_share": "pct"},
        title=label("customers.abc_groups_title", lang), places=places, max_rows=30,
    )  # fmt: skip
    a = result.abc.sort_values(["abc_class", "revenue"], ascending=[True, False])
    cols = [c for c in ("customer_id", "region", "territory", result.measure, "share",
                        "cumulative_share", "abc_class", "abc_scope") if c in a.columns]  # fmt: skip
    full = a[cols].merge(_names(result), on="customer_id", how="left")
    full = full[["customer_id", "customer_name", *cols[1:]]]
    full_t = ReportTable(
        full, lang=lang, namespaces=NS,
        kinds={"abc_class": "text", "abc_scope": "text"},
        title=label("customers.abc_class", lang), places=places,
    )  # fmt: skip
    return {"summary": summary, "computed": computed, "groups": groups, "full": full_t}


def _measure(result, lang: str) -> str:
    from ars_analysis.labels import has_label

    for ns in ("common", "customers"):
        if has_label(f"{ns}.{result.measure}"):
            return label(f"{ns}.{result.measure}", lang)
    return result.measure


def header_money(column: str, lang: str) -> str:
    from ars_analysis.presentation.tables import header

    return header(column, lang, NS, "money")


def movements_table(result, lang: str = "zh", *, changed_only: bool = True) -> ReportTable:
    mv = result.movements
    if changed_only:
        mv = mv[mv["movement"] != "same"]
    order = {"up": 0, "down": 1, "new": 2, "lost": 3, "same": 4}
    mv = mv.assign(_o=mv["movement"].map(order)).sort_values(
        ["_o", "revenue_end"], ascending=[True, False], kind="stable"
    )
    mv = mv[["customer_id", "from", "to", "movement", "revenue_start", "revenue_end"]]
    mv = mv.merge(_names(result), on="customer_id", how="left")
    mv = mv[["customer_id", "customer_name", "from", "to", "movement", "revenue_start",
             "revenue_end"]]  # fmt: skip
    return ReportTable(
        mv,
        lang=lang,
        namespaces=NS,
        kinds={"from": "text", "to": "text", "movement": "text",
               "revenue_start": "money", "revenue_end": "money"},
        headers_={
            "from": label("customers.from_class", lang, period=result.movement_start),
            "to": label("customers.to_class", lang, period=result.movement_end),
        },
        title=label("customers.movements_title", lang),
    )  # fmt: skip


def abc_movements_table(result, lang: str = "zh") -> ReportTable:
    mv = result.abc_movements.merge(_names(result), on="customer_id", how="left")
    cols = ["customer_id", "customer_name", "from", "to", "movement"]
    cols += [c for c in mv.columns if c.endswith("_start") or c.endswith("_end")]
    mv = mv[cols].rename(columns={"from": "abc_from", "to": "abc_to"})
    return ReportTable(
        mv,
        lang=lang,
        namespaces=NS,
        kinds={"abc_from": "text", "abc_to": "text", "movement": "text"},
        headers_={
            "abc_from": label("customers.abc_in_period", lang, period=result.movement_start),
            "abc_to": label("customers.abc_in_period", lang, period=result.movement_end),
        },
        title=label("customers.abc_movements_title", lang),
    )


def score_and_gap(score, gap) -> tuple:
    """A distributor's score and its points short of the next grade as shown, at one decimal.

    The gap is rounded up and, when there is one, the score rounded down: a distributor below
    the grade's bound never shows a gap of 0 or the bound itself as its score, and the two shown
    numbers add up to the bound. Works on numbers and on Series alike.

    >>> score_and_gap(69.6, 0.4), score_and_gap(69.96, 0.04), score_and_gap(72.04, 0.0)
    ((69.6, 0.4), (69.9, 0.1), (72.0, 0.0))
    """
    eps = 1e-9  # 69.6 is 69.599999... in binary: do not let that move a shown tenth
    s, g = np.asarray(score, dtype=float), np.asarray(gap, dtype=float)
    short = g > 0
    shown_gap = np.where(short, np.maximum(np.ceil(g * 10 - eps) / 10, 0.1), np.round(g, 1))
    shown_score = np.where(short, np.floor(s * 10 + eps) / 10, np.round(s, 1))
    if isinstance(score, pd.Series):
        return (pd.Series(shown_score, index=score.index, name=score.name),
                pd.Series(shown_gap, index=score.index, name=getattr(gap, "name", None)))  # fmt: skip
    return float(shown_score), float(shown_gap)


def cultivate_reason(row, result, lang: str = "zh") -> str:
    """Why a seedling is to be cultivated: its points short of A (one decimal, rounded up), the
    dimensions it lacks and its sales trend, e.g. ``0.4 points short of A; lacking: ...``."""
    return label(
        "customers.act_cultivate_reason", lang,
        points=fmt.number(score_and_gap(row["score"], row["points_to_grade"])[1], 1),
        dims=_gap_text(row["gaps"], result.scorecard, lang),
        trend=trend_text(row, lang, result.options["trend_level"]),
    )  # fmt: skip


def _evidence_frame(
    frame: pd.DataFrame, result, lang: str, gaps: bool, full: bool = False
) -> pd.DataFrame:
    out = pd.DataFrame(
        {
            "customer_id": frame["customer_id"],
            "customer_name": frame["customer_name"],
            "region": frame.get("region"),
            "revenue": frame["revenue"],
            "score": frame["score"],
            "trend_ci": [
                trend_text(r, lang, result.options["trend_level"]) for _, r in frame.iterrows()
            ],
            "p_value": frame["p_value"],
        }
    )
    if gaps:  # one decimal, the gap rounded up: 69.6 is never "70, 0 points short of A"
        out["score"], out["points_to_grade"] = score_and_gap(out["score"], frame["points_to_grade"])
        out["gaps_text"] = [_gap_text(g, result.scorecard, lang) for g in frame["gaps"]]
    if not full:  # the page: the workbook keeps the region and the test's p-value
        out = out.drop(columns=["region", "p_value"])
    return out


def seedlings_table(result, lang: str = "zh", places=None, *, full: bool = False) -> ReportTable:
    return ReportTable(
        _evidence_frame(result.seedlings, result, lang, True, full),
        lang=lang,
        namespaces=NS,
        kinds={"trend_ci": "text", "gaps_text": "text", "score": "num", "points_to_grade": "num",
               "p_value": "num"},
        decimals={"score": 1, "points_to_grade": 1, "p_value": 3},
        title=label("customers.seedlings_title", lang),
        places=places,
    )  # fmt: skip


def at_risk_table(result, lang: str = "zh", places=None, *, full: bool = False) -> ReportTable:
    return ReportTable(
        _evidence_frame(result.at_risk, result, lang, False, full),
        lang=lang,
        namespaces=NS,
        kinds={"trend_ci": "text", "score": "num", "p_value": "num"},
        decimals={"score": 0, "p_value": 3},
        title=label("customers.at_risk_title", lang),
        places=places,
    )


def _feature_label(name: str, lang: str) -> str:
    key = f"customers.f_{name}"
    return label(key, lang) if has_label(key) else name


def segment_labels(
    profiles: pd.DataFrame,
    reference: pd.DataFrame,
    lang: str = "zh",
    *,
    n: int = 2,
    high: float = 0.65,
    low: float = 0.35,
) -> pd.Series:
    """Plain-language label of each segment from its profile: the wording of
    :func:`ars_analysis.customers.segment_traits` ("high grocery, high detergents & paper";
    "typical" for a segment with no extreme feature).

    Examples
    --------
    >>> ref = pd.DataFrame({"Fresh": [1, 2, 3, 10, 11, 12], "Milk": [5, 5, 5, 5, 5, 5]})
    >>> prof = pd.DataFrame({"Fresh": [2.0, 11.0], "Milk": [5.0, 5.0]})
    >>> segment_labels(prof, ref, "en").tolist()
    ['low fresh', 'high fresh']
    """
    check_lang(lang)
    traits = segment_traits(profiles, reference, n=n, high=high, low=low)
    return traits_wording(traits, lang).rename("segment_label")


def traits_wording(traits: pd.Series, lang: str = "zh") -> pd.Series:
    """The words of segment traits (``[(feature, "high" | "low"), ...]`` per segment)."""
    check_lang(lang)
    sep = label("customers.seg_sep", lang)
    out = [
        sep.join(
            label(f"customers.seg_{side}", lang, feature=_feature_label(f, lang)) for f, side in t
        )
        if t
        else label("customers.seg_typical", lang)
        for t in traits
    ]
    return pd.Series(out, index=traits.index, name="segment_label")


def segmenter_labels(segmenter, lang: str = "zh") -> pd.Series:
    """Label of each segment of a fitted :class:`ars_analysis.customers.CustomerSegmenter`."""
    return traits_wording(segmenter.segment_traits(), lang)


def grade_profile(scored: pd.DataFrame, scorecard, lang: str = "zh") -> pd.DataFrame:
    """:func:`ars_analysis.customers.grade_profile` with ``dimension_label``: each dimension's
    name in ``lang`` from the scorecard file (for :func:`ars_analysis.charts.customers.plot_grade_profile`).
    """
    check_lang(lang)
    prof = _grade_profile(scored, scorecard)
    if prof.empty:
        return pd.DataFrame(columns=["grade", "dimension", "dimension_label", "score", "n"])
    prof.insert(
        2, "dimension_label", [scorecard.dimension_label(d, lang) for d in prof["dimension"]]
    )
    return prof


def segment_names(result, lang: str = "zh") -> pd.Series:
    return segmenter_labels(result.segmenter, lang)


def segments_table(result, lang: str = "zh") -> ReportTable:
    prof = result.segment_profiles.copy()
    names = segment_names(result, lang)
    prof.insert(1, "segment_label", prof["segment"].map(names))
    prof["segment"] = prof["segment"] + 1
    feats = [c for c in prof.columns if c not in ("segment", "segment_label", "n_customers",
                                                  "share")]  # fmt: skip
    return ReportTable(
        prof,
        lang=lang,
        namespaces=NS,
        kinds={
            "segment": "int",
            "segment_label": "text",
            "growth": "pct",
            "active_period_share": "pct",
        }
        | {
            f: "num"
            for f in feats
            if f not in ("revenue", "growth", "margin_rate", "active_period_share")
        },  # fmt: skip
        decimals={f: 0 for f in feats},
        title=label("customers.segments_table_title", lang),
    )


def workbook_tables(result, lang: str = "zh", places=None) -> list[ReportTable]:
    """Every table of the workbook: full lists, names beside IDs, localised sheet names."""
    g1, g2 = grade_tables(result, lang, places, dimensions=True)
    abc = abc_tables(result, lang, places)
    tables = [g2, g1, counts_table(result, lang), abc["full"], abc["summary"], abc["groups"],
              abc["computed"], seedlings_table(result, lang, places, full=True),
              at_risk_table(result, lang, places, full=True)]  # fmt: skip
    if result.movements is not None:
        tables.append(movements_table(result, lang, changed_only=False))
        tables.append(abc_movements_table(result, lang))
    if result.segment_profiles is not None:
        tables.append(segments_table(result, lang))
    return tables


# ------------------------------------------------------------------------------- opening
def _name(row) -> str:
    name = row.get("customer_name")
    return f"{name}（{row['customer_id']}）" if not fmt.is_missing(name) else row["customer_id"]


def core_customers_summary(
    result, cfg, lang: str = "zh", region=None, *, max_actions: int = 8
) -> ReportSummary:
    """Title block, key findings, actions and key results of the core-customer report."""
    check_lang(lang)
    places = dict(cfg.region_names) or None
    counts = result.grade_counts()
    a = counts.set_index("grade").loc["A"] if "A" in set(counts["grade"]) else None
    n_a = int(a["n_customers"]) if a is not None else 0
    share_a = float(a["revenue_share"]) if a is not None else float("nan")
    total = result.n_customers
    findings = [
        Finding(
            label("customers.f_headline", lang, n=n_a, total=total,
                  items=fmt.percent(n_a / total if total else None),
                  share=fmt.percent(share_a)),
            section="sec-grades",
        )
    ]  # fmt: skip
    n, items, share = _head(result.abc_summary)
    scopes = result.abc["abc_scope"].value_counts()
    scope_text_ = label("customers.scopes_sep", lang).join(
        label("customers.scope_count", lang,
              scope=label(f"customers.abc_scope_values.{s}", lang), n=int(c))
        for s, c in scopes.items()
    )  # fmt: skip
    findings.append(
        Finding(
            label("customers.f_abc", lang, n=n, items=fmt.percent(items),
                  share=fmt.percent(share), scopes=scope_text_),
            section="sec-abc",
        )
    )  # fmt: skip
    seeds, risk = result.seedlings, result.at_risk
    if len(seeds):
        top = seeds.iloc[0]
        text = label("customers.f_seedlings", lang, n=len(seeds), name=_name(top),
                     trend=trend_text(top, lang, result.options['trend_level']))  # fmt: skip
    else:
        text = label("customers.f_no_seedlings", lang)
    findings.append(Finding(text, section="sec-seedlings"))
    if len(risk):
        worst = risk.sort_values("trend").iloc[0]
        text = label("customers.f_at_risk", lang, n=len(risk),
                     revenue=fmt.compact(risk["revenue"].sum(), lang), name=_name(worst),
                     trend=trend_text(worst, lang, result.options['trend_level']))  # fmt: skip
    else:
        text = label("customers.f_no_at_risk", lang)
    findings.append(Finding(text, section="sec-seedlings"))
    if result.movements is not None:
        c = _movement_counts(result)
        findings.append(
            Finding(
                label("customers.f_movements", lang,
                      freq=label(f"customers.freq_values.{result.options['freq']}", lang),
                      start=result.movement_start, end=result.movement_end,
                      up=c["up"], down=c["down"]),
                section="sec-movements",
            )
        )  # fmt: skip
    cultivate = ActionList(
        label("customers.act_cultivate", lang),
        [
            Action(
                _name(r),
                cultivate_reason(r, result, lang),
                fmt.money(r["revenue"]),
            )
            for _, r in seeds.head(max_actions).iterrows()
        ],
        empty_text=label("customers.act_none_cultivate", lang),
        stake_header=label("customers.act_stake", lang),
    )  # fmt: skip
    visit = ActionList(
        label("customers.act_visit", lang),
        [
            Action(
                _name(r),
                label(
                    "customers.act_visit_reason",
                    lang,
                    trend=trend_text(r, lang, result.options["trend_level"]),
                ),
                fmt.money(r["revenue"]),
            )
            for _, r in risk.head(max_actions).iterrows()
        ],
        empty_text=label("customers.act_none_visit", lang),
        stake_header=label("customers.act_stake", lang),
    )
    key_results = [
        KeyResult("n_core", label("customers.kr_core", lang), fmt.integer(n_a)),
        KeyResult("core_share", label("customers.kr_core_share", lang), fmt.percent(share_a)),
        KeyResult("n_distributors", label("customers.kr_distributors", lang), fmt.integer(total)),
        KeyResult("n_seedlings", label("customers.kr_seedlings", lang), fmt.integer(len(seeds))),
        KeyResult("n_at_risk", label("customers.kr_at_risk", lang), fmt.integer(len(risk))),
    ]
    p0, p1 = result.sales_period
    return ReportSummary(
        title=label("customers.report_title", lang),
        question=label("customers.report_question", lang),
        lang=lang,
        scope=scope_text(region, lang, places),
        periods=[(label("common.sales_period", lang), period_text(p0, p1))],
        findings=findings,
        actions=[cultivate, visit],
        key_results=key_results,
        client=cfg.client_name(lang),
        analysis="01_core_customers",
        region=region if isinstance(region, str) else None,
    )


def parameters(result, cfg, lang: str = "zh", scorecard_name: str | None = None) -> list:
    """The report's parameters in words, for the appendix."""
    card = result.scorecard
    cc = cfg.definitions.core_customer
    ms = cfg.min_sample
    rows = [
        (label("customers.p_scorecard", lang), scorecard_name or card.name.get(lang, "")),
        (label("customers.p_measure", lang), label(f"common.{result.measure}", lang)),
        (label("customers.p_freq", lang),
         label(f"customers.freq_values.{cc.movement_freq}", lang)),
        (label("customers.p_floor", lang),
         fmt.money(result.size_floor) + label("common.unit_money", lang).strip()),
        (label("customers.p_trend", lang), fmt.percent(cc.trend_level, 0)),
        (label("customers.p_segments", lang),
         label("customers.p_segments_text", lang, n=ms.segments, per=ms.per_segment)),
    ]  # fmt: skip
    if result.movement_start:
        rows.insert(3, (label("customers.p_movement", lang),
                        f"{result.movement_start} → {result.movement_end}"))  # fmt: skip
    return rows


def methods(lang: str = "zh") -> list[str]:
    return [
        label(f"customers.{k}", lang)
        for k in ("m_grades", "m_key_terminals", "m_trend", "m_gaps", "m_computed", "m_segments")
    ]


def place(value, lang, cfg) -> str:
    return place_name(value, lang, dict(cfg.region_names) or None)


def text(value: str) -> Html:
    """A sentence already in the report's language, as a paragraph."""
    import html

    return Html(f'<p class="ars-text">{html.escape(value)}</p>')


__all__ += ["parameters", "methods", "text", "say", "abc_movements_table", "segment_names"]


def head_numbers(summary: pd.DataFrame) -> tuple[int, float, float]:
    """(number of A, their share of the items, their share of the measure) of a summary."""
    return _head(summary)


def subsection(title: str) -> Html:
    import html

    return Html(f"<h3>{html.escape(title)}</h3>")


def matrix_sentence(result, lang: str = "zh") -> str:
    m = result.matrix
    diag = int(sum(m.loc[c, c] for c in m.index if c in m.columns))
    aa = int(m.loc["A", "A"]) if "A" in m.index and "A" in m.columns else 0
    return label("customers.say_matrix", lang, diag=diag, aa=aa)


def seedlings_sentence(result, lang: str = "zh") -> str:
    floor = fmt.money(result.size_floor)
    if len(result.seedlings):
        return label("customers.say_seedlings", lang, n=len(result.seedlings), floor=floor)
    return label("customers.say_no_seedlings", lang, floor=floor)


def at_risk_sentence(result, lang: str = "zh") -> str:
    if len(result.at_risk):
        return label(
            "customers.say_at_risk",
            lang,
            n=len(result.at_risk),
            revenue=fmt.money(result.at_risk["revenue"].sum()),
        )
    return label("customers.say_no_at_risk", lang)


__all__ += ["head_numbers", "subsection", "matrix_sentence", "seedlings_sentence",
            "at_risk_sentence"]  # fmt: skip
