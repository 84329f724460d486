"""Wording, tables and workbook sheets of distributor health on the four flows (report 01).

Takes a :class:`~ars_analysis.customers.health.DistributorHealth` (numbers only) and returns what
the client reads: the section's sentences, the action list (issue, distributors, what to do,
money at stake), the health table of the least healthy distributors and the workbook sheets.
"""

from __future__ import annotations

import dataclasses

import pandas as pd

from ars_analysis.customers.health import FLOWS
from ars_analysis.labels import label
from ars_analysis.presentation import fmt
from ars_analysis.presentation.blocks import (
    Action,
    ActionList,
    Html,
    ReportSummary,
    _esc,
    caveat,
    say,
    section,
)
from ars_analysis.presentation.tables import ReportTable

__all__ = [
    "SECTION",
    "actions_table",
    "health_section",
    "health_sentence",
    "health_table",
    "method_note",
    "missing_note",
    "radar_data",
    "workbook_tables",
]

#: Anchor of the section in report 01.
SECTION = "sec-health"

#: Order of the issues in the action list: money tied up or lost first.
_PRIORITY = ("overstock", "low_fill", "overdue", "dso_rising", "late_reports", "price_cutting",
             "promotion_driven", "understock")  # fmt: skip
_RATE_KEYS = {"low_fill": "fill_rate", "late_reports": "reports_on_time",
              "overdue": "overdue_share", "price_cutting": "price_gap",
              "promotion_driven": "promotion_share"}  # fmt: skip
_DAY_KEYS = {"overstock": "cover_high", "understock": "cover_low", "dso_rising": "dso_rise"}


def _flow(name: str, lang: str) -> str:
    return label(f"health.flow_values.{name}", lang)


def health_section(lang: str = "zh") -> Html:
    """The section heading."""
    return section(SECTION, label("health.sec_health", lang))


def missing_note(res, lang: str = "zh") -> Html | None:
    """A caveat naming the optional tables that were not supplied (None when all were)."""
    if not res.missing:
        return None
    sep = label("health.sep", lang)
    tables = sep.join(label(f"health.table_values.{t}", lang) for t in res.missing)
    return caveat(label("health.missing", lang, tables=tables))


def health_sentence(res, lang: str = "zh") -> Html:
    """The finding: how many distributors, how many to act on, the weakest flow."""
    h = res.health
    if h.empty:
        return say("health.say_none", lang)
    flows = [f for f in FLOWS if f in h and h[f].notna().any()]
    low = h.nsmallest(min(10, len(h)), "health_score")
    weakest = low[flows].idxmin(axis=1).value_counts() if flows else pd.Series(dtype=int)
    top = weakest.index[0] if len(weakest) else flows[0]
    return say(
        "health.say_health", lang, n=len(h), n_flagged=res.flags["customer_id"].nunique(),
        weakest=_flow(top, lang), n_weak=int(weakest.iloc[0]) if len(weakest) else 0,
        n_low=len(low),
    )  # fmt: skip


def _flag_text(flag: str, n: int, stake: float, res, lang: str) -> str:
    p = res.parameters
    values = {"n": n, "stake": label("health.money", lang, v=fmt.compact(stake, lang))}
    if flag in _DAY_KEYS:
        values["days"] = fmt.number(p[_DAY_KEYS[flag]])
    if flag in _RATE_KEYS:
        values["rate"] = fmt.percent(abs(p[_RATE_KEYS[flag]]), 0)
    return label(f"health.flag_text.{flag}", lang, **values)


def _summary(res) -> pd.DataFrame:
    f = res.flags.merge(res.health[["customer_id", *(["customer_name"]
                        if "customer_name" in res.health else [])]], on="customer_id",
                        how="left")  # fmt: skip
    name = f["customer_name"] if "customer_name" in f else f["customer_id"]
    f = f.assign(_name=name.fillna(f["customer_id"]))
    out = f.groupby("flag", sort=False).agg(
        n_customers=("customer_id", "nunique"), at_stake=("at_stake", "sum"),
        names_=("_name", list), count_=("at_stake", "count"),
    ).reset_index()  # fmt: skip
    out.loc[out["count_"] == 0, "at_stake"] = float("nan")
    order = {f: i for i, f in enumerate(_PRIORITY)}
    return out.sort_values("flag", key=lambda s: s.map(order), kind="stable")


def actions_table(res, lang: str = "zh", max_names: int = 6) -> Html:
    """行动清单: one row per issue — the issue in words with its count and money, the
    distributors (largest at stake first), what to do."""
    title = label("health.actions_title", lang)
    if res.flags.empty:
        return Html(f"<h3>{_esc(title)}</h3><p class='ars-text'>"
                    f"{_esc(label('health.actions_none', lang))}</p>")  # fmt: skip
    s = _summary(res)
    sep = label("health.sep", lang)
    head = "".join(f"<th class='txt'>{_esc(label(k, lang))}</th>"
                   for k in ("health.flag", "health.customers", "health.todo"))  # fmt: skip
    rows = []
    for r in s.itertuples(index=False):
        names = list(dict.fromkeys(r.names_))
        more = len(names) - max_names
        shown = sep.join(names[:max_names]) + (
            label("health.more_names", lang, n=len(names), more=more) if more > 0 else ""
        )
        text = _flag_text(r.flag, r.n_customers, r.at_stake, res, lang)
        rows.append(f"<tr><td class='txt'>{_esc(text[:1].upper() + text[1:])}</td>"
                    f"<td class='txt'>{_esc(shown)}</td>"
                    f"<td class='txt'>{_esc(label(f'health.action_todo.{r.flag}', lang))}</td>"
                    "</tr>")  # fmt: skip
    return Html(f"<h3>{_esc(title)}</h3><div class='ars-table'><table><thead><tr>{head}</tr>"
                f"</thead><tbody>{''.join(rows)}</tbody></table></div>")  # fmt: skip


def opening_actions(res, lang: str = "zh", *, max_actions: int = 8) -> ActionList:
    """The distributor-health actions for the report's opening (行动清单): one row per flagged
    distributor, the largest money at stake first, each issue named with what to do.

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> flags = pd.DataFrame({"customer_id": ["D1", "D1", "D2"], "at_stake": [5e4, 1e4, None],
    ...                       "flag": ["overstock", "overdue", "late_reports"]})
    >>> res = SimpleNamespace(flags=flags, health=pd.DataFrame(
    ...     {"customer_id": ["D1", "D2"], "customer_name": ["甲", "乙"]}))
    >>> [(a.name, a.reason, a.stake) for a in opening_actions(res, "en").items]
    ... # doctest: +NORMALIZE_WHITESPACE
    [('甲 (D1)', 'Over-stocked: cut orders, sell the stock down; High overdue: collect, tighten credit', '60,000'),
     ('乙 (D2)', 'Late reports: agree report dates, follow up', '—')]
    """
    title = label("health.actions_title", lang)
    header = label("health.stake_header", lang)
    if res.flags.empty:
        return ActionList(title, [], empty_text=label("health.actions_none", lang),
                          stake_header=header)  # fmt: skip
    f = res.flags
    order = {x: i for i, x in enumerate(_PRIORITY)}
    per = (
        f.assign(_o=f["flag"].map(order))
        .sort_values("_o", kind="stable")
        .groupby("customer_id", sort=False)
        .agg(flags=("flag", list), at_stake=("at_stake", lambda x: x.sum(min_count=1)))
        .reset_index()
        .sort_values("at_stake", ascending=False, na_position="last", kind="stable")
    )
    names = dict(zip(res.health["customer_id"], res.health["customer_name"], strict=False)) if (
        "customer_name" in res.health) else {}  # fmt: skip
    items = []
    for r in per.head(max_actions).itertuples(index=False):
        name = names.get(r.customer_id)
        who = r.customer_id if fmt.is_missing(name) else label(
            "health.name_id", lang, name=name, id=r.customer_id)  # fmt: skip
        reason = label("health.reason_sep", lang).join(
            label("health.opening_reason", lang, flag=label(f"health.flag_values.{x}", lang),
                  todo=label(f"health.action_todo.{x}", lang))
            for x in dict.fromkeys(r.flags)
        )  # fmt: skip
        items.append(Action(who, reason, fmt.money(r.at_stake)))
    return ActionList(title, items, stake_header=header)


def with_health_actions(summary: ReportSummary, res, lang: str = "zh") -> ReportSummary:
    """``summary`` with the distributor-health actions (:func:`opening_actions`) added to its
    action lists (a new summary; the given one is not changed)."""
    return dataclasses.replace(summary, actions=[*summary.actions, opening_actions(res, lang)])


def top_issue_sentence(res, lang: str = "zh") -> Html | None:
    """The issue with the most money at stake, as one sentence (None without issues)."""
    if res.flags.empty:
        return None
    r = _summary(res).iloc[0]
    return say("health.say_actions", lang,
               text=_flag_text(r["flag"], int(r["n_customers"]), r["at_stake"], res, lang))  # fmt: skip


_TABLE_COLUMNS = ("customer_id", "customer_name", "region", *FLOWS, "health_score",
                  "cover_days", "fill_rate", "dso", "reports_on_time")  # fmt: skip


def health_table(res, lang: str = "zh", places=None, *, full: bool = False) -> ReportTable:
    """The least healthy distributors (all of them with ``full``), weakest first."""
    h = res.health.sort_values("health_score", na_position="last", kind="stable")
    cols = [c for c in _TABLE_COLUMNS if c in h]
    return ReportTable(
        h[cols], lang, namespaces=("health",),
        kinds={**{f: "num" for f in (*FLOWS, "health_score")}, "cover_days": "num", "dso": "num",
               "reports_on_time": "pct"},
        decimals={**{f: 0 for f in (*FLOWS, "health_score")}, "cover_days": 0, "dso": 0},
        title=None if full else label("health.table_title", lang),
        missing_note=label("health.missing_note", lang), places=places,
    )  # fmt: skip


def radar_data(res, n: int = 8) -> pd.DataFrame:
    """The ``n`` least healthy distributors' flow scores, for
    :func:`ars_analysis.charts.health.plot_health_radars` (``name`` and one column per flow)."""
    h = res.health.nsmallest(min(n, len(res.health)), "health_score")
    name = h["customer_name"] if "customer_name" in h else h["customer_id"]
    out = pd.DataFrame({"name": name.to_numpy()})
    for f in FLOWS:
        out[f] = h[f].to_numpy() if f in h else float("nan")
    return out


def method_note(res, lang: str = "zh") -> Html:
    """How the measures are defined (below the section's evidence)."""
    p = res.parameters
    lo, hi = p["cover_band"]
    text = label("health.method", lang, window=p["stock_window_days"], lo=lo, hi=hi,
                 lead=p["lead_days"], months=p["dso_months"], due=p["report_due_days"])  # fmt: skip
    thresholds = label(
        "health.param_thresholds_value", lang, lo=p["cover_low"], hi=p["cover_high"],
        fill=fmt.percent(p["fill_rate"], 0), rep=fmt.percent(p["reports_on_time"], 0),
        over=fmt.percent(p["overdue_share"], 0), dso=p["dso_rise"],
        gap=fmt.percent(p["price_gap"], 0), promo=fmt.percent(p["promotion_share"], 0),
    )  # fmt: skip
    return Html(f'<p class="ars-note">{_esc(text)} {_esc(label("health.param_thresholds", lang))}'
                f"{'：' if lang == 'zh' else ': '}{_esc(thresholds)}</p>")  # fmt: skip


def workbook_tables(res, lang: str = "zh", places=None) -> list[ReportTable]:
    """Sheets: the full health table, the issues, the monthly trend."""
    h = res.health
    keep = [c for c in ("customer_id", "customer_name", "region", *FLOWS, "health_score",
                        "price_index", "price_gap", "order_interval_days", "promotion_share",
                        "cover_days", "excess_value", "stockout_share", "fill_rate",
                        "on_time_share", "lost_value", "dso", "dso_change", "overdue_share",
                        "amount_overdue", "reports_on_time", "missing_share") if c in h]  # fmt: skip
    num = {c: "num" for c in ("price_index", "price_gap", "order_interval_days", "cover_days",
                              "dso", "dso_change", *FLOWS, "health_score")}  # fmt: skip
    num.update(
        price_gap="pct",
        promotion_share="pct",
        reports_on_time="pct",
        missing_share="pct",
        on_time_share="pct",
        stockout_share="pct",
        fill_rate="pct",
    )
    sheets = [ReportTable(h[keep], lang, namespaces=("health",), kinds=num,
                          title=label("health.workbook_health", lang), places=places)]  # fmt: skip
    if len(res.flags):
        f = res.flags.merge(h[["customer_id", *[c for c in ("customer_name", "region") if c in h]]],
                            on="customer_id", how="left")  # fmt: skip
        cols = [c for c in ("flag", "customer_id", "customer_name", "region", "value",
                            "at_stake") if c in f]  # fmt: skip
        sheets.append(ReportTable(f[cols], lang, namespaces=("health",),
                                  kinds={"flag": "text", "value": "num"},
                                  title=label("health.workbook_flags", lang), places=places))  # fmt: skip
    if len(res.trend):
        sheets.append(ReportTable(res.trend, lang, namespaces=("health",),
                                  kinds={"measure": "text", "period": "text", "value": "num"},
                                  title=label("health.workbook_trend", lang)))  # fmt: skip
    return sheets
