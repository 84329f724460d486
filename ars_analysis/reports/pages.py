"""The batch's own pages: the report index (in the client's language and its twin) and one
executive summary per scope and language.

The runner (:func:`ars_analysis.reports.render`) calls :func:`write_batch_pages` after a batch.
Everything shown comes from what the reports saved (``summary.json``, see
:func:`ars_analysis.presentation.save_summary`) and from the jobs' status: titles, periods, key
results with their labels and units, findings and actions, in the page's language. Nothing is
read from ``results.json`` (its keys are for tests only). Pages are self-contained (inline
style, no script) and written atomically.

Layout of the output folder::

    index.html                     the index in the client's language (reports.yml ``lang``)
    index-en.html                  its twin in the other language (index-zh.html for en clients)
    summary-national-zh.html       executive summary of the whole country in Chinese
    summary-华东-en.html           ... of a region in English
    deck-national-zh.pptx          the slide deck beside each summary (:mod:`.deck`)
    <job>/report.html, error.html, *.xlsx, summary.json, status.json
"""

from __future__ import annotations

import datetime as _dt
import html
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ars_analysis.data.outputs import write_text
from ars_analysis.labels import LANGS, check_lang, has_label, label
from ars_analysis.presentation.blocks import SUMMARY_FILE
from ars_analysis.presentation.tables import place_name
from ars_analysis.reports.config import safe_name

INDEX_HTML = "index.html"
REPORT_HTML = "report.html"
ERROR_HTML = "error.html"
SUMMARY_PREFIX = "summary-"
#: How many actions of each list the executive summary shows (the report has all of them).
TOP_ACTIONS = 3

_esc = html.escape


def client_in(client, lang: str) -> str:
    """The client's name in ``lang`` (a {lang: name} mapping, or one proper name)."""
    if isinstance(client, dict):
        return client.get(lang) or next(iter(client.values()), "")
    return client or ""


def _L(key: str, lang: str, **kw) -> str:
    return label(f"reports.{key}", lang, **kw)


# --------------------------------------------------------------------------------------------
# file names and links
# --------------------------------------------------------------------------------------------


def index_file(lang: str, index_lang: str) -> str:
    """File name of the index in ``lang``: ``index.html`` in the client's language, else
    ``index-<lang>.html``.

    >>> index_file("zh", "zh"), index_file("en", "zh"), index_file("zh", "en")
    ('index.html', 'index-en.html', 'index-zh.html')
    """
    check_lang(lang)
    return INDEX_HTML if lang == index_lang else f"index-{lang}.html"


def summary_file(region: str | None, lang: str) -> str:
    """File name of the executive summary of ``region`` (None: whole country) in ``lang``.

    >>> summary_file(None, "zh"), summary_file("华东", "en"), summary_file("西北/西南", "zh")
    ('summary-national-zh.html', 'summary-华东-en.html', 'summary-西北_西南-zh.html')
    """
    check_lang(lang)
    scope = "national" if region is None else safe_name(region)
    return f"{SUMMARY_PREFIX}{scope}-{lang}.html"


_BACK_LINK = re.compile(r'(<p class="ars-back"><a href=")([^"]*)(")')


def set_back_link(page_html: str, href: str) -> str:
    """Point the report's "back to the index" link (rendered by ``report_opening``) at ``href``.

    >>> set_back_link('<p class="ars-back"><a href="../index.html">x</a></p>', "../index-en.html")
    '<p class="ars-back"><a href="../index-en.html">x</a></p>'
    """
    return _BACK_LINK.sub(lambda m: m.group(1) + _esc(href) + m.group(3), page_html)


def back_link(href: str, lang: str) -> str:
    """The "back to the index" paragraph of a page (same markup as the report's opening)."""
    return f'<p class="ars-back"><a href="{_esc(href)}">{_esc(_L("back_to_index", lang))}</a></p>'


# --------------------------------------------------------------------------------------------
# what the batch produced
# --------------------------------------------------------------------------------------------


@dataclass
class Entry:
    """One job of the batch as the pages need it."""

    name: str
    notebook: str  # notebook stem, e.g. "01_core_customers"
    status: str
    lang: str
    region: str | None
    page: str  # report.html or error.html
    period: str = ""
    summary: dict[str, Any] | None = None
    workbooks: list[str] = field(default_factory=list)
    fingerprint: str = ""
    version: str = ""
    #: a failed job's last good report, still in its folder: {"html": ..., "rendered": ...}
    last_good: dict[str, str] | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"

    def href(self, anchor: str | None = None) -> str:
        link = f"{self.name}/{self.page}"
        return f"{link}#{anchor.lstrip('#')}" if anchor else link


def _read_summary(folder: Path) -> dict[str, Any] | None:
    path = folder / SUMMARY_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def collect(results: list[dict[str, Any]], root: str | Path, default_lang: str) -> list[Entry]:
    """The batch's jobs (``status.json`` dicts of :func:`ars_analysis.reports.run_job`) with the
    ``summary.json`` and workbooks found in their folders under ``root``."""
    root = Path(root)
    entries = []
    for r in results:
        name = safe_name(r["name"])
        folder = root / name
        params = r.get("parameters") or {}
        region = params.get("region")
        if isinstance(region, (list, tuple)):
            region = "、".join(map(str, region)) or None
        lang = params.get("lang") if params.get("lang") in LANGS else default_lang
        ok = r.get("status") == "ok"
        summary = _read_summary(folder) if ok else None
        kept = r.get("last_good")
        if ok or not isinstance(kept, dict) or not (folder / str(kept.get("html"))).is_file():
            kept = None
        entries.append(
            Entry(
                name=name,
                notebook=Path(str(r.get("notebook", name))).stem,
                status=str(r.get("status", "failed")),
                lang=lang,
                region=region if region not in ("", None) else None,
                page=str(r.get("html") or (REPORT_HTML if ok else ERROR_HTML)),
                period=str(r.get("period") or "").replace("…", "—"),
                summary=summary,
                workbooks=sorted(p.name for p in folder.glob("*.xlsx")) if folder.is_dir() else [],
                fingerprint=str(r.get("fingerprint") or ""),
                version=str(r.get("version") or ""),
                last_good=kept,
            )
        )
    return entries


def last_good_link(last_good: dict[str, str], lang: str, folder: str = "") -> str:
    """Link to a failed job's last good report ("Last good report (2026-11-29 10:02)"), from
    the job's folder (``folder=""``) or from the batch's (``folder=<job name>``)."""
    rendered = str(last_good.get("rendered") or "").replace("T", " ")[:16]
    href = f"{folder}/{last_good['html']}" if folder else str(last_good["html"])
    text = _L("last_good_link", lang, rendered=rendered or "—")
    return f'<a href="{_esc(href)}">{_esc(text)}</a>'


def _scope_key(region: str | None) -> tuple[int, str]:
    return (0, "") if region is None else (1, str(region))


def analysis_name(notebook: str, lang: str, entries: list[Entry] = ()) -> str:
    """The analysis a notebook makes, in ``lang``: the label ``reports.analysis_names.<stem>``,
    else the ``analysis`` or title a report of it saved in that language, else the stem.

    >>> analysis_name("01_core_customers", "zh")
    '核心客户'
    """
    key = f"reports.analysis_names.{notebook}"
    if has_label(key):
        return label(key, lang)
    for e in entries:
        if e.notebook == notebook and e.summary and e.summary.get("lang") == lang:
            return str(e.summary.get("analysis") or e.summary.get("title") or notebook)
    return notebook


def scope_name(region: str | None, lang: str, places: dict | None = None) -> str:
    """全国 / National or the region's name in ``lang``.

    >>> scope_name(None, "en"), scope_name("华东", "en"), scope_name("华东", "zh")
    ('National', 'East China', '华东')
    """
    if region is None:
        return label("common.national", lang)
    return place_name(region, lang, places)


def _periods(e: Entry, lang: str) -> str:
    """The periods the report used (from its summary), else the job's data period."""
    if e.summary and e.lang == lang:
        rows = [p for p in e.summary.get("periods") or [] if isinstance(p, (list, tuple))]
        if rows:
            return "<br>".join(
                f"{_esc(str(p[0]))}：{_esc(str(p[1]))}"
                if lang == "zh"
                else f"{_esc(str(p[0]))}: {_esc(str(p[1]))}"
                for p in rows
                if len(p) == 2
            )
    return _esc(e.period or "—")


# --------------------------------------------------------------------------------------------
# the index
# --------------------------------------------------------------------------------------------


def _footer(entries: list[Entry], lang: str, fingerprint: str, version: str) -> str:
    now = _dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    lines = [_L("footer_generated", lang, time=now)]
    seen: dict[tuple[str, str], int] = {}
    for e in entries:
        key = (e.fingerprint or fingerprint, e.version or version)
        seen[key] = seen.get(key, 0) + 1
    if not seen:
        seen[(fingerprint, version)] = 0
    for (fp, ver), n in seen.items():
        text = _L("footer_data", lang, fingerprint=fp or "—", version=ver or "—")
        if len(seen) > 1:
            text += _L("footer_reports", lang, n=n)
        lines.append(text)
    return '<footer class="ars-footer">' + "<br>".join(_esc(x) for x in lines) + "</footer>"


def _key_results(e: Entry) -> str:
    items = [
        k
        for k in (e.summary or {}).get("key_results") or []
        if isinstance(k, dict) and "label" in k
    ]
    if not items:
        return "—"
    sep = "：" if e.lang == "zh" else ": "
    return "<br>".join(
        f"{_esc(str(k['label']))}{sep}{_esc(str(k.get('value', '—')))}" for k in items
    )


def _workbooks(e: Entry, lang: str) -> str:
    if not e.workbooks:
        return "—"
    if len(e.workbooks) == 1:
        return f'<a href="{_esc(e.name)}/{_esc(e.workbooks[0])}">{_esc(_L("workbook", lang))}</a>'
    return "<br>".join(
        f'<a href="{_esc(e.name)}/{_esc(b)}">{_esc(_L("workbook_n", lang, n=i))}</a>'
        for i, b in enumerate(e.workbooks, 1)
    )


def _index_row(e: Entry, lang: str, index_lang: str, entries, places) -> str:
    other = e.lang != lang
    if e.ok and e.summary and not other:
        title = str(e.summary.get("title") or analysis_name(e.notebook, lang, entries))
    else:
        title = analysis_name(e.notebook, lang, entries)
        if other:
            title = _L("report_in_lang", lang, analysis=title, language=_L(f"lang_{e.lang}", lang))
    link = f'<a href="{_esc(e.href())}">{_esc(title)}</a>'
    status = f'<span class="{_esc(e.status)}">{_esc(_L("status_" + e.status, lang))}</span>'
    if not e.ok:
        status += f'<br><a href="{_esc(e.href())}">{_esc(_L("error_link", lang))}</a>'
        if e.last_good:
            status += "<br>" + last_good_link(e.last_good, lang, e.name)
    if other and e.ok:
        key = (
            f'<a href="{_esc(index_file(e.lang, index_lang))}">'
            f"{_esc(_L('see_other_index_' + e.lang, lang))}</a>"
        )
    else:
        key = _key_results(e)
    return (
        "<tr>"
        f"<td class='txt'>{_esc(scope_name(e.region, lang, places))}</td>"
        f"<td class='txt'>{_esc(_L('lang_' + e.lang, lang))}</td>"
        f"<td class='txt'>{link}</td><td class='txt'>{status}</td>"
        f"<td class='txt'>{_periods(e, lang)}</td><td class='txt'>{key}</td>"
        f"<td class='txt'>{_workbooks(e, lang)}</td></tr>"
    )


def index_page(
    entries: list[Entry],
    *,
    lang: str,
    index_lang: str,
    client: str | dict,
    summaries: list[tuple[str | None, str]] = (),
    fingerprint: str = "",
    version: str = "",
    places: dict | None = None,
) -> str:
    """HTML of the index in ``lang``: reports grouped by analysis and by scope (national first),
    with titles, status, periods, key results, workbooks and the executive summaries.

    ``summaries`` lists the (region, lang) pairs that have an executive summary page.
    """
    from ars_analysis.presentation.page import page

    check_lang(lang)
    client = client_in(client, lang)
    title = _L("index_client_title", lang, client=client) if client else _L("index_title", lang)
    n_ok = sum(e.ok for e in entries)
    parts = [f"<h1>{_esc(title)}</h1>"]
    twins = [x for x in LANGS if x != lang]
    parts.append(
        '<p class="ars-langs">'
        + " · ".join(
            f'<a href="{_esc(index_file(x, index_lang))}" hreflang="{x}">'
            f"{_esc(_L('other_index_' + x, lang))}</a>"
            for x in twins
        )
        + "</p>"
    )
    parts.append(
        f'<p class="ars-text">{_esc(_L("summary_text", lang, ok=n_ok, total=len(entries)))}</p>'
    )
    if summaries:
        links = "".join(
            f'<li><a href="{_esc(summary_file(r, sl))}">'
            f"{_esc(_L('exec_link', lang, scope=scope_name(r, lang, places), language=_L('lang_' + sl, lang)))}"
            "</a></li>"
            for r, sl in sorted(summaries, key=lambda x: (_scope_key(x[0]), x[1] != lang, x[1]))
        )
        parts.append(
            f'<h2 id="summaries">{_esc(_L("exec_summaries", lang))}</h2>'
            f'<p class="ars-text">{_esc(_L("exec_summaries_text", lang))}</p>'
            f'<ul class="ars-summary-links">{links}</ul>'
        )
    cols = ["scope", "lang", "title", "status", "period", "key_results", "workbooks"]
    head = "".join(f"<th class='txt'>{_esc(_L('col_' + c, lang))}</th>" for c in cols)
    for nb in sorted({e.notebook for e in entries}):
        group = sorted(
            (e for e in entries if e.notebook == nb),
            key=lambda e: (_scope_key(e.region), e.lang != lang, e.lang, e.name),
        )
        rows = "".join(_index_row(e, lang, index_lang, entries, places) for e in group)
        parts.append(
            f'<h2 id="{_esc(nb)}">{_esc(analysis_name(nb, lang, entries))}</h2>'
            f"<div class='ars-table'><table class='ars-index'><thead><tr>{head}</tr></thead>"
            f"<tbody>{rows}</tbody></table></div>"
        )
    parts.append(_footer(entries, lang, fingerprint, version))
    return page(title, "\n".join(parts), lang)


# --------------------------------------------------------------------------------------------
# executive summaries
# --------------------------------------------------------------------------------------------


def _exec_block(e: Entry, lang: str, entries) -> str:
    name = analysis_name(e.notebook, lang, entries)
    if not e.ok or not e.summary:
        return (
            f'<section class="ars-exec-block"><h2>{_esc(name)}</h2>'
            f'<p class="ars-text">{_esc(_L("report_failed", lang))} '
            f'<a href="{_esc(e.href())}">{_esc(_L("error_link", lang))}</a>'
            + (" · " + last_good_link(e.last_good, lang, e.name) if e.last_good else "")
            + "</p></section>"
        )
    s = e.summary
    parts = [
        f'<h2><a href="{_esc(e.href())}">{_esc(str(s.get("title") or name))}</a></h2>',
    ]
    if s.get("question") and s.get("question") != s.get("title"):
        parts.append(f'<p class="ars-question">{_esc(str(s["question"]))}</p>')
    periods = _periods(e, lang)
    if periods and periods != "—":
        parts.append(f'<p class="small">{periods}</p>')
    findings = [f for f in s.get("findings") or [] if isinstance(f, dict) and f.get("text")]
    if findings:
        items = []
        for f in findings:
            text = _esc(str(f["text"]))
            if f.get("caveat"):
                text += f' <span class="ars-caveat-inline">{_esc(str(f["caveat"]))}</span>'
            anchor = f.get("section") or "findings"
            text += (
                f' <a class="ars-more" href="{_esc(e.href(anchor))}">'
                f"{_esc(label('common.details', lang))}</a>"
            )
            items.append(f"<li>{text}</li>")
        parts.append(
            f"<h3>{_esc(label('common.key_findings', lang))}</h3><ol>{''.join(items)}</ol>"
        )
    else:
        parts.append(f'<p class="ars-text">{_esc(_L("no_findings", lang))}</p>')
    parts.append(
        f'<p class="ars-more"><a href="{_esc(e.href("findings"))}">'
        f"{_esc(_L('all_findings', lang))}</a></p>"
    )
    lists = [a for a in s.get("actions") or [] if isinstance(a, dict)]
    if lists:
        parts.append(f"<h3>{_esc(label('common.actions', lang))}</h3>")
        for al in lists:
            items = [i for i in al.get("items") or [] if isinstance(i, dict)]
            parts.append(f'<p class="ars-caption">{_esc(str(al.get("title") or ""))}</p>')
            if not items:
                text = al.get("empty_text") or label("common.no_actions", lang)
                parts.append(f'<p class="ars-text">{_esc(str(text))}</p>')
                continue
            rows = []
            for a in items[:TOP_ACTIONS]:
                row = f"<strong>{_esc(str(a.get('name', '')))}</strong>"
                if a.get("reason"):
                    row += f" — {_esc(str(a['reason']))}"
                if a.get("stake"):
                    stake = str(a["stake"])
                    if al.get("stake_header"):
                        sep = "：" if lang == "zh" else ": "
                        stake = f"{al['stake_header']}{sep}{stake}"
                    row += f' <span class="ars-stake">{_esc(stake)}</span>'
                rows.append(f"<li>{row}</li>")
            if len(items) > TOP_ACTIONS:
                rows.append(
                    f'<li class="small"><a href="{_esc(e.href("actions"))}">'
                    f"{_esc(_L('more_actions', lang, n=len(items) - TOP_ACTIONS))}</a></li>"
                )
            parts.append(f"<ul class='ars-exec-actions'>{''.join(rows)}</ul>")
        parts.append(
            f'<p class="ars-more"><a href="{_esc(e.href("actions"))}">'
            f"{_esc(_L('all_actions', lang))}</a></p>"
        )
    return f'<section class="ars-exec-block">{"".join(parts)}</section>'


def summary_page(
    entries: list[Entry],
    *,
    region: str | None,
    lang: str,
    index_lang: str,
    client: str | dict,
    places: dict | None = None,
) -> str:
    """HTML of the executive summary of ``region`` in ``lang``: one block per report of that
    scope and language (title, findings with links into the report, top actions)."""
    from ars_analysis.presentation.page import page

    check_lang(lang)
    scope = scope_name(region, lang, places)
    title = _L("exec_title", lang, scope=scope)
    mine = sorted(
        (e for e in entries if e.region == region and e.lang == lang),
        key=lambda e: (e.notebook, e.name),
    )
    meta = [
        (label("common.client", lang), client_in(client, lang)),
        (label("common.scope", lang), scope),
        (label("common.rendered", lang), _dt.date.today().isoformat()),
    ]
    meta_html = "".join(
        f"<tr><th>{_esc(k)}</th><td>{_esc(v)}</td></tr>" for k, v in meta if v not in (None, "")
    )
    body = (
        f'<header class="ars-title">{back_link(index_file(lang, index_lang), lang)}'
        f"<h1>{_esc(title)}</h1>"
        f'<p class="ars-question">{_esc(_L("exec_question", lang))}</p>'
        f'<table class="ars-meta">{meta_html}</table></header>'
        f'<div class="ars-exec">{"".join(_exec_block(e, lang, entries) for e in mine)}</div>'
    )
    tab = f"{title} — {client_in(client, lang)}" if client else title
    return page(tab, body, lang)


def summary_scopes(entries: list[Entry]) -> list[tuple[str | None, str]]:
    """The (region, lang) pairs that have at least one report, national first."""
    pairs = {(e.region, e.lang) for e in entries}
    return sorted(pairs, key=lambda x: (_scope_key(x[0]), x[1]))


def write_batch_pages(
    results: list[dict[str, Any]],
    root: str | Path,
    *,
    index_lang: str,
    client: str | dict,
    fingerprint: str = "",
    version: str = "",
    places: dict | None = None,
) -> list[Path]:
    """Write every executive summary, its slide deck and both indexes into ``root``
    (atomically); remove summaries and decks of scopes that no longer have reports. Returns the
    written paths."""
    root = Path(root)
    check_lang(index_lang)
    entries = collect(results, root, index_lang)
    scopes = summary_scopes(entries)
    written = []
    for region, lang in scopes:
        path = root / summary_file(region, lang)
        html_text = summary_page(
            entries, region=region, lang=lang, index_lang=index_lang, client=client, places=places
        )
        written.append(write_text(path, html_text))
    keep = {p.name for p in written}
    for old in root.glob(f"{SUMMARY_PREFIX}*-*.html"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
    for lang in LANGS:
        html_text = index_page(
            entries,
            lang=lang,
            index_lang=index_lang,
            client=client,
            summaries=scopes,
            fingerprint=fingerprint,
            version=version,
            places=places,
        )
        written.append(write_text(root / index_file(lang, index_lang), html_text))
    from ars_analysis.reports.deck import write_decks  # the deck step (python-pptx)

    return written + write_decks(entries, root, client=client, places=places)
