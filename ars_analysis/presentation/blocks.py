"""The blocks every client report is made of, in the order of the report standard:
title block, key findings, actions, section sentences and caveats, appendix.

Each block is an object with ``_repr_html_`` (a notebook cell that ends with it shows it, and
the page builder keeps it as HTML). Texts come from the label files; numbers are formatted with
:mod:`ars_analysis.presentation.fmt` before they are put into a sentence.

A report's findings and actions are also saved as ``summary.json`` (:func:`save_summary`) so
that the batch runner can put every report's findings side by side in the executive summary and
the index without knowing any analysis.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

from ars_analysis.data.outputs import write_text
from ars_analysis.labels import check_lang, label
from ars_analysis.presentation import fmt
from ars_analysis.presentation.tables import ReportTable, place_name

SUMMARY_FILE = "summary.json"


def _esc(text) -> str:
    return html.escape(str(text))


@dataclass
class Html:
    """A piece of HTML for a page (what a notebook cell displays)."""

    html: str

    def _repr_html_(self) -> str:
        return self.html

    def __repr__(self) -> str:
        return "Html(...)"


def say(key: str, lang: str = "zh", **values) -> Html:
    """One sentence of the report from the label ``key``, as a paragraph.

    Numbers must be formatted by the caller (``fmt.percent(...)``): a sentence never shows a
    raw float.
    """
    return Html(f'<p class="ars-text">{_esc(label(key, lang, **values))}</p>')


def caveat(text: str) -> Html:
    """A highlighted caveat (small sample, assumption that drives a number...)."""
    return Html(f'<p class="ars-caveat">{_esc(text)}</p>')


@dataclass
class Finding:
    """One key finding: a sentence with its number, what it means and how sure we are.

    ``text`` is already in the report's language; ``section`` is the anchor of the section
    where the evidence is (``#sec-abc``) for the executive summary's links.
    """

    text: str
    section: str | None = None
    caveat: str | None = None


@dataclass
class Action:
    """One row of an action list: who or what, why, and what is at stake."""

    name: str
    reason: str
    stake: str = ""


@dataclass
class ActionList:
    """A list of actions a manager can assign (e.g. "distributors to cultivate")."""

    title: str
    items: list[Action] = field(default_factory=list)
    empty_text: str | None = None
    stake_header: str | None = None


@dataclass
class KeyResult:
    """A key number for the index page: label and formatted value in the report's language."""

    key: str
    label: str
    value: str


@dataclass
class ReportSummary:
    """What a report found: the blocks at its top and the file the runner reads."""

    title: str
    question: str
    lang: str
    scope: str
    periods: list[tuple[str, str]]  # (label, "start – end")
    findings: list[Finding] = field(default_factory=list)
    actions: list[ActionList] = field(default_factory=list)
    key_results: list[KeyResult] = field(default_factory=list)
    client: str = ""
    analysis: str = ""
    region: str | None = None


def scope_text(region, lang: str = "zh", places: dict | None = None) -> str:
    """ "全国" / "National" or the region's name in ``lang``."""
    if region is None or (isinstance(region, str) and not region.strip()):
        return label("common.national", lang)
    if isinstance(region, (list, tuple)):
        return "、".join(place_name(r, lang, places) for r in region)
    return place_name(region, lang, places)


def period_text(start, end) -> str:
    """``2024-01-01 – 2025-12-31`` (``—`` when unknown)."""
    if fmt.is_missing(start) or fmt.is_missing(end):
        return fmt.MISSING
    return f"{pd.Timestamp(start):%Y-%m-%d} – {pd.Timestamp(end):%Y-%m-%d}"


def title_block(summary: ReportSummary, index_href: str = "../index.html") -> Html:
    """The report's opening: question, client, scope, the period of each analysis, date."""
    lang = summary.lang
    rows = [
        (label("common.client", lang), summary.client),
        (label("common.scope", lang), summary.scope),
        *summary.periods,
        (label("common.rendered", lang), _dt.date.today().isoformat()),
    ]
    meta = "".join(
        f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in rows if v not in (None, "")
    )
    return Html(
        f'<header class="ars-title"><p class="ars-back"><a href="{_esc(index_href)}">'
        f"{_esc(label('common.back_to_index', lang))}</a></p>"
        f"<h1>{_esc(summary.title)}</h1>"
        f'<p class="ars-question">{_esc(summary.question)}</p>'
        f'<table class="ars-meta">{meta}</table></header>'
    )


def findings_block(summary: ReportSummary) -> Html:
    """要点 / Key findings: 3–5 sentences, each with its number and certainty."""
    lang = summary.lang
    items = []
    for f in summary.findings:
        text = _esc(f.text)
        if f.caveat:
            text += f' <span class="ars-caveat-inline">{_esc(f.caveat)}</span>'
        if f.section:
            text += f' <a class="ars-more" href="#{_esc(f.section)}">{_esc(label("common.details", lang))}</a>'
        items.append(f"<li>{text}</li>")
    return Html(
        f'<section class="ars-findings" id="findings"><h2>{_esc(label("common.key_findings", lang))}</h2>'
        f"<ol>{''.join(items)}</ol></section>"
    )


def _action_table(al: ActionList, lang: str) -> str:
    if not al.items:
        text = al.empty_text or label("common.no_actions", lang)
        return f"<h3>{_esc(al.title)}</h3><p class='ars-text'>{_esc(text)}</p>"
    stake = al.stake_header or label("common.at_stake", lang)
    head = (
        f"<tr><th class='txt'>{_esc(label('common.action_who', lang))}</th>"
        f"<th class='txt'>{_esc(label('common.action_why', lang))}</th>"
        f"<th class='num'>{_esc(stake)}</th></tr>"
    )
    rows = "".join(
        f"<tr><td class='txt'>{_esc(a.name)}</td><td class='txt'>{_esc(a.reason)}</td>"
        f"<td class='num'>{_esc(a.stake or fmt.MISSING)}</td></tr>"
        for a in al.items
    )
    return (
        f"<h3>{_esc(al.title)}</h3><div class='ars-table'><table><thead>{head}</thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def actions_block(summary: ReportSummary) -> Html:
    """行动清单 / Actions: lists a manager can assign, each row with name, reason, stake."""
    lang = summary.lang
    body = "".join(_action_table(al, lang) for al in summary.actions)
    return Html(
        f'<section class="ars-actions" id="actions"><h2>{_esc(label("common.actions", lang))}</h2>'
        f"{body}</section>"
    )


def report_opening(summary: ReportSummary, index_href: str = "../index.html") -> Html:
    """Title block, key findings and actions in one piece (the top of every report)."""
    return Html(
        title_block(summary, index_href).html
        + findings_block(summary).html
        + actions_block(summary).html
    )


def section(anchor: str, title: str) -> Html:
    """A section heading with an anchor the findings can link to."""
    return Html(f'<h2 class="ars-section" id="{_esc(anchor)}">{_esc(title)}</h2>')


def save_summary(output_dir, summary: ReportSummary) -> Path:
    """Write ``summary.json`` (atomically) for the executive summary and the index."""
    path = Path(output_dir) / SUMMARY_FILE
    write_text(path, json.dumps(asdict(summary), ensure_ascii=False, indent=2))
    return path


def read_summary(output_dir) -> dict | None:
    """The ``summary.json`` of a report folder, or None."""
    path = Path(output_dir) / SUMMARY_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def quality_table(quality: pd.DataFrame, lang: str = "zh") -> ReportTable | Html:
    """Appendix: each data-quality problem named (file, column, what, rows, what we did)."""
    from ars_analysis.presentation.tables import category

    check_lang(lang)
    if quality is None or not len(quality):
        return Html(f"<p class='ars-text'>{_esc(label('common.no_quality_problems', lang))}</p>")
    t = pd.DataFrame(
        {
            "severity": quality["severity"].map(lambda s: label(f"common.{s}", lang)),
            "file": quality["file"],
            "column": quality["column"].map(lambda c: _column_label(c, lang)),
            "check": quality["check"].map(lambda c: category(c, "check", lang, ("quality",))),
            "n_rows": quality["n_rows"].astype("int64"),
            "action": quality["check"].map(lambda c: category(c, "action", lang, ("quality",))),
        }
    )
    t.loc[t["action"] == quality["check"].to_numpy(), "action"] = fmt.MISSING
    return ReportTable(
        t,
        lang=lang,
        namespaces=("quality",),
        kinds={c: "text" for c in ("severity", "file", "column", "check", "action")}
        | {"n_rows": "int"},
        max_rows=30,
    )


def _column_label(column, lang: str) -> str:
    from ars_analysis.labels import has_label

    if not column:
        return fmt.MISSING
    for ns in ("common", "customers", "terminals", "fieldforce", "incentives"):
        if has_label(f"{ns}.{column}"):
            return label(f"{ns}.{column}", lang)
    return str(column)


def definitions_table(definitions: list[tuple[str, str]], lang: str = "zh") -> Html:
    """Appendix: the client's definitions (top terminal, core customer, periods...) in words."""
    rows = "".join(
        f"<tr><th class='txt'>{_esc(k)}</th><td class='txt'>{_esc(v)}</td></tr>"
        for k, v in definitions
    )
    return Html(
        f"<div class='ars-table'><table class='ars-defs'><tbody>{rows}</tbody></table></div>"
    )
