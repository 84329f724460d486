"""The slide deck of a batch: one ``deck-<scope>-<lang>.pptx`` beside each executive summary.

A deck is built from what the reports already saved, like the executive summary pages
(:mod:`ars_analysis.reports.pages`): ``summary.json`` gives the titles, findings, actions, key
results and periods (already worded and formatted in the report's language), and the executed
notebook in the job's folder gives the charts (its image outputs, found under the section each
finding links to) and the appendix's definitions. No number is computed here: every number on a
slide is one the HTML report shows.

Slides (16:9, 13.33 × 7.5 in): a title slide; the executive summary (each analysis with its key
results); per analysis, one slide per key finding (the headline sentence as the title, the chart
of its section, the first number of the sentence as the supporting number, its caveat) and one
table per action list; an appendix on data (periods, data fingerprint) and definitions. Every
slide but the title has the client's name and the data period in its footer.

Text is laid out with a conservative estimate of its size (:func:`text_height`: CJK characters
one em wide, Latin ones as wide as in a wide bold font; 1.5 em of height per line of CJK text), shrinking
the font within limits and clipping with "…" as the last resort, so no text runs out of its box.
Every run names an East Asian font (``<a:ea typeface="Microsoft YaHei">``) besides the Latin one,
so PowerPoint and WPS show Chinese in a Chinese font; LibreOffice substitutes a CJK font it has.
Charts are the notebooks' retina PNGs (200 pixels per inch), never shown larger than
:data:`MIN_DPI` pixels per inch allows.

The module is under ~600 lines because the deck is one concept; the notebook reading
(:func:`notebook_material`) and the text estimate are small and only serve the deck.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from ars_analysis.data.outputs import atomic_path
from ars_analysis.labels import check_lang, label

#: Slide size (16:9) in inches.
SLIDE_W, SLIDE_H = 13.333, 7.5
#: Fonts named in every run: Latin and East Asian (what PowerPoint and WPS use for Chinese).
LATIN_FONT = "Arial"
EA_FONT = "Microsoft YaHei"
#: A chart is never shown at fewer pixels per inch than this.
MIN_DPI = 150
#: Rows of an action list shown on its slide (the report has all of them).
ACTION_ROWS = 8
DECK_PREFIX = "deck-"
#: Text frame insets (inches) of every text box and table cell the deck draws.
INSET_X, INSET_Y = 0.08, 0.04

ACCENT = (0x1D, 0x4E, 0x89)
INK = (0x1F, 0x29, 0x37)
MUTED = (0x6B, 0x72, 0x80)
CAVEAT = (0x8A, 0x5A, 0x00)


def _L(key: str, lang: str, **kw) -> str:
    return label(f"deck.{key}", lang, **kw)


def deck_file(region: str | None, lang: str) -> str:
    """File name of the deck of ``region`` (None: whole country) in ``lang``, beside its summary.

    >>> deck_file(None, "zh"), deck_file("华东", "en")
    ('deck-national-zh.pptx', 'deck-华东-en.pptx')
    """
    from ars_analysis.reports.pages import SUMMARY_PREFIX, summary_file

    name = summary_file(region, lang)
    return DECK_PREFIX + name[len(SUMMARY_PREFIX) : -len(".html")] + ".pptx"


# --------------------------------------------------------------------------------------------
# what a report's executed notebook shows: charts per section, definitions
# --------------------------------------------------------------------------------------------


@dataclass
class Chart:
    """A chart image of the report (PNG bytes and its size in pixels)."""

    png: bytes
    width: int
    height: int


@dataclass
class NotebookMaterial:
    """The charts under each section anchor, section titles, and the definitions table."""

    charts: dict[str, list[Chart]] = field(default_factory=dict)
    sections: dict[str, str] = field(default_factory=dict)
    definitions: list[tuple[str, str]] = field(default_factory=list)


_SECTION = re.compile(r'<h2 class="ars-section" id="([^"]+)">(.*?)</h2>', re.S)
_H3 = re.compile(r"<h3>(.*?)</h3>", re.S)
_DEFS = re.compile(r"<table class='ars-defs'><tbody>(.*?)</tbody></table>", re.S)
_ROW = re.compile(r"<tr><th[^>]*>(.*?)</th><td[^>]*>(.*?)</td></tr>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _plain(fragment: str) -> str:
    return html.unescape(_TAG.sub("", fragment)).strip()


def _png_size(png: bytes) -> tuple[int, int]:
    if png[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("chart output is not a PNG image")
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _definitions(fragment: str, heading: str) -> list[tuple[str, str]]:
    """Rows of the definitions table that follows the ``<h3>`` named ``heading``."""
    for h3 in _H3.finditer(fragment):
        if _plain(h3.group(1)) != heading:
            continue
        table = _DEFS.search(fragment, h3.end())
        if table:
            return [(_plain(k), _plain(v)) for k, v in _ROW.findall(table.group(1))]
    return []


def notebook_material(path: str | Path, lang: str) -> NotebookMaterial:
    """Charts (by the section they appear under), section titles and definitions that an
    executed report notebook shows in ``lang`` (cells of the other language are skipped).

    A missing or unreadable notebook gives empty material (the deck then has no charts).
    """
    import json

    check_lang(lang)
    out = NotebookMaterial()
    try:  # plain JSON: nbformat's validation costs seconds and the runner wrote the file
        cells = json.loads(Path(path).read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return out
    heading = label("common.definitions", lang)
    current = ""
    for cell in cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags or "no-client" in tags:
            continue
        if any(t.startswith("lang-") and t != f"lang-{lang}" for t in tags):
            continue
        for o in cell.get("outputs", []) if cell.get("cell_type") == "code" else []:
            if o.get("output_type") not in ("display_data", "execute_result"):
                continue
            data = o.get("data", {})
            if "text/html" in data:
                text = "".join(data["text/html"]) if isinstance(data["text/html"], list) else ""
                text = text or str(data["text/html"])
                for m in _SECTION.finditer(text):
                    current = m.group(1)
                    out.sections[current] = _plain(m.group(2))
                if not out.definitions:
                    out.definitions = _definitions(text, heading)
            elif "image/png" in data:
                raw = data["image/png"]
                png = base64.b64decode("".join(raw) if isinstance(raw, list) else raw)
                w, h = _png_size(png)
                out.charts.setdefault(current, []).append(Chart(png, w, h))
    return out


# --------------------------------------------------------------------------------------------
# the text estimate
# --------------------------------------------------------------------------------------------


def _em(ch: str) -> float:
    # widths of a wide bold sans (DejaVu Sans Bold), so that the estimate errs on the safe side
    if unicodedata.east_asian_width(ch) in ("W", "F", "A"):
        return 1.0
    if ch == " ":
        return 0.35
    if ch in "WMmw@%":
        return 1.05
    if ch.isupper():
        return 0.86
    if ch in "fijlrt.,:;'|!()[]":
        return 0.5
    return 0.72


def has_cjk(text: str) -> bool:
    """Whether ``text`` has a wide (CJK) character.

    >>> has_cjk("核心客户 26"), has_cjk("Core customers")
    (True, False)
    """
    return any(unicodedata.east_asian_width(c) in ("W", "F") for c in text)


def _tokens(text: str) -> list[str]:
    # a CJK character can break anywhere; a Latin word (with its trailing space) cannot
    return re.findall(
        r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+\s*|\s+",
        text,
    )


def text_lines(text: str, width_in: float, size_pt: float) -> int:
    """Lines ``text`` takes in a box ``width_in`` inches wide (insets included) at ``size_pt``.

    >>> text_lines("核心客户" * 10, 2.16, 12)   # 40 characters, 12 per line
    4
    """
    avail = max(width_in - 2 * INSET_X, 0.1) * 72
    lines = 0
    for para in str(text).split("\n"):
        lines += 1
        x = 0.0
        for tok in _tokens(para):
            w = sum(_em(c) for c in tok) * size_pt
            if x + w > avail and x > 0:
                lines += 1
                x = 0.0
            while w > avail:  # a word longer than the line breaks by characters
                lines += 1
                w -= avail
            x += w
    return lines


@lru_cache(maxsize=65536)
def text_height(text: str, width_in: float, size_pt: float) -> float:
    """Height in inches of ``text`` in a box ``width_in`` wide at ``size_pt`` (insets included).

    >>> round(text_height("Core customers", 3, 12), 3)
    0.28
    """
    factor = 1.5 if has_cjk(text) else 1.2
    return text_lines(text, width_in, size_pt) * size_pt * factor / 72 + 2 * INSET_Y


def fit_size(text: str, width_in: float, height_in: float, max_pt: float, min_pt: float):
    """The largest font size (whole points, from ``max_pt`` down to ``min_pt``) at which ``text``
    fits the box, or None.

    >>> fit_size("核心客户" * 10, 2.16, 1.1, 20, 10)   # 4 lines of 12 characters
    12
    """
    size = int(max_pt)
    while size >= min_pt:
        if text_height(text, width_in, size) <= height_in:
            return size
        size -= 1
    return None


def clip(text: str, width_in: float, height_in: float, size_pt: float) -> str:
    """``text`` shortened with "…" until it fits the box at ``size_pt``.

    >>> clip("核心客户" * 10, 2.16, 0.45, 12)   # one line of 12 characters
    '核心客户核心客户核心客…'
    """
    if text_height(text, width_in, size_pt) <= height_in:
        return text
    lo, hi = 0, len(text)
    while lo < hi:  # the longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if text_height(text[:mid].rstrip() + "…", width_in, size_pt) <= height_in:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo].rstrip() + "…"


_NUMBER = re.compile(
    r"(?<![A-Za-z0-9.,_\-–])([+\-−]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)"
    r"(\s?(?:%|万|亿|[KMB](?![A-Za-z])))?(\s?(?:元|家|个|名|位|人|次|天|CNY))?"
)


def headline_number(text: str) -> str | None:
    """The first number of a finding's sentence with its unit, as the sentence shows it (years
    and codes are not numbers here); None when the sentence has none.

    >>> headline_number("按季度重新评分，2024Q4 至 2025Q4 有 12 家升级、10 家降级。")
    '12 家'
    >>> headline_number("Of 2,420 terminals with sales, the top 20% carry 77.6% of revenue")
    '2,420'
    >>> headline_number("最强的是厦门（C0033）")
    """
    for m in _NUMBER.finditer(text):
        number, suffix, unit = m.group(1), m.group(2) or "", m.group(3) or ""
        after = text[m.end() : m.end() + 1]
        year = not suffix and re.fullmatch(r"(19|20)\d\d", number)
        code = not (suffix or unit) and after.isascii() and after.isalnum()  # 2024Q4, 01_x
        if year or code or after in ("-", "年", "/", "_") and not unit:
            continue
        return (number + suffix + unit).strip()
    return None


# --------------------------------------------------------------------------------------------
# drawing
# --------------------------------------------------------------------------------------------


def _rgb(c):
    from pptx.dml.color import RGBColor

    return RGBColor(*c)


def _style_run(run, size: float, lang: str, *, bold=False, color=INK) -> None:
    from pptx.oxml.ns import qn
    from pptx.oxml.xmlchemy import OxmlElement
    from pptx.util import Pt

    font = run.font
    font.size = Pt(size)
    font.bold = bold
    font.name = LATIN_FONT
    font.color.rgb = _rgb(color)
    rpr = run._r.get_or_add_rPr()
    rpr.set("lang", "zh-CN" if lang == "zh" else "en-US")
    rpr.set("altLang", "en-US" if lang == "zh" else "zh-CN")
    ea = rpr.find(qn("a:ea"))
    if ea is None:
        ea = OxmlElement("a:ea")
        rpr.find(qn("a:latin")).addnext(ea)
    ea.set("typeface", EA_FONT)


def _fill_frame(tf, text: str, size: float, lang: str, *, bold=False, color=INK, align=None):
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Inches

    tf.word_wrap = True
    tf.auto_size = MSO_AUTO_SIZE.NONE
    tf.margin_left = tf.margin_right = Inches(INSET_X)
    tf.margin_top = tf.margin_bottom = Inches(INSET_Y)
    for i, line in enumerate(str(text).split("\n")):
        para = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
        if align is not None:
            para.alignment = align
        run = para.add_run()
        run.text = line
        _style_run(run, size, lang, bold=bold, color=color)


def _textbox(slide, box, text, lang, *, max_pt, min_pt, bold=False, color=INK, align=None):
    """A text box at ``box`` (x, y, w, h inches) with ``text`` at the largest size that fits."""
    from pptx.util import Inches

    x, y, w, h = box
    size = fit_size(text, w, h, max_pt, min_pt)
    if size is None:
        size = min_pt
        text = clip(text, w, h, size)
    shape = slide.shapes.add_textbox(Inches(x), Inches(y), Inches(w), Inches(h))
    _fill_frame(shape.text_frame, text, size, lang, bold=bold, color=color, align=align)
    return shape


def _table_height(rows, widths, size) -> float:
    return sum(max(text_height(c, w, size) for c, w in zip(r, widths, strict=True)) for r in rows)


def _table(slide, box, rows, widths, lang, *, max_pt=14, min_pt=10, right=(), header=True):
    """A table (first row the header) at ``box`` with column ``widths`` (inches): the largest
    font that fits; rows that do not fit at ``min_pt`` are left out. Returns the rows drawn."""
    from pptx.enum.text import PP_ALIGN
    from pptx.util import Inches, Pt

    x, y, w, h = box
    size = max_pt
    while size > min_pt and _table_height(rows, widths, size) > h:
        size -= 1
    while len(rows) > 1 + header and _table_height(rows, widths, size) > h:
        rows = rows[:-1]
    shape = slide.shapes.add_table(
        len(rows), len(widths), Inches(x), Inches(y), Inches(sum(widths)), Inches(1)
    )
    table = shape.table
    for j, cw in enumerate(widths):
        table.columns[j].width = Inches(cw)
    for i, row in enumerate(rows):
        table.rows[i].height = Inches(
            max(text_height(c, cw, size) for c, cw in zip(row, widths, strict=True))
        )
        for j, text in enumerate(row):
            cell = table.cell(i, j)
            cell.margin_left = cell.margin_right = Inches(INSET_X)
            cell.margin_top = cell.margin_bottom = Inches(INSET_Y)
            cell.text_frame.word_wrap = True
            align = PP_ALIGN.RIGHT if j in right else PP_ALIGN.LEFT
            para = cell.text_frame.paragraphs[0]
            for k, line in enumerate(str(text).split("\n")):
                if k:
                    para = cell.text_frame.add_paragraph()
                para.alignment = align
                run = para.add_run()
                run.text = line
                head = header and i == 0
                _style_run(run, size, lang, bold=head or j == 0 and not header,
                           color=(255, 255, 255) if head else INK)  # fmt: skip
    table.first_row = header
    shape.height = Pt(sum(r.height.pt for r in table.rows))
    return rows


def _picture(slide, chart: Chart, box) -> None:
    """``chart`` as large as fits in ``box`` (keeping its proportions and :data:`MIN_DPI`),
    centred."""
    import io

    from pptx.util import Inches

    x, y, w, h = box
    scale = min(w / chart.width, h / chart.height, 1 / MIN_DPI)
    pw, ph = chart.width * scale, chart.height * scale
    slide.shapes.add_picture(
        io.BytesIO(chart.png), Inches(x + (w - pw) / 2), Inches(y + (h - ph) / 2), Inches(pw)
    )


@dataclass
class _Deck:
    prs: object
    lang: str
    footer: str
    n: int = 0

    def slide(self, footer: bool = True):
        from pptx.enum.text import PP_ALIGN

        s = self.prs.slides.add_slide(self.prs.slide_layouts[6])  # blank
        self.n += 1
        if footer:
            _textbox(s, (0.5, 7.0, 10.5, 0.36), self.footer, self.lang, max_pt=10, min_pt=8,
                     color=MUTED)  # fmt: skip
            _textbox(s, (11.3, 7.0, 1.53, 0.36), _L("page", self.lang, n=self.n), self.lang,
                     max_pt=10, min_pt=8, color=MUTED, align=PP_ALIGN.RIGHT)  # fmt: skip
        return s

    def title(self, s, text: str, sub: str | None = None, h: float = 1.3) -> float:
        """The slide's title (and a muted line under it); returns where the content may start.

        A headline too long for ``h`` inches at 16 pt gets a taller box (down to 13 pt) rather
        than being cut."""
        if fit_size(text, 12.33, h, 26, 16) is None:
            h = 1.75
        _textbox(s, (0.5, 0.3, 12.33, h), text, self.lang, max_pt=26, min_pt=13, bold=True,
                 color=ACCENT)  # fmt: skip
        if sub:
            _textbox(
                s, (0.5, 0.3 + h, 12.33, 0.4), sub, self.lang, max_pt=13, min_pt=10, color=MUTED
            )
        return 0.3 + h + (0.45 if sub else 0.1)


def _sep(lang: str) -> str:
    return "：" if lang == "zh" else ": "


def _data_period(entries) -> str:
    periods = Counter(e.period for e in entries if e.period)
    return periods.most_common(1)[0][0] if periods else "—"


def build_deck(entries, *, region, lang, client, root, places=None):
    """The ``pptx.Presentation`` of ``region``'s reports in ``lang`` (``entries`` as
    :func:`ars_analysis.reports.pages.collect` gives them, their folders under ``root``)."""
    from pptx import Presentation
    from pptx.util import Inches

    from ars_analysis.reports.pages import analysis_name, client_in, scope_name

    check_lang(lang)
    mine = sorted(
        (e for e in entries if e.region == region and e.lang == lang),
        key=lambda e: (e.notebook, e.name),
    )
    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(SLIDE_W), Inches(SLIDE_H)
    client_name = client_in(client, lang)
    period = _data_period(mine)
    scope = scope_name(region, lang, places)
    footer = " · ".join(
        x for x in (client_name, scope, _L("data_period", lang, period=period)) if x
    )
    deck = _Deck(prs, lang, footer)

    # title slide
    s = deck.slide(footer=False)
    bar = s.shapes.add_shape(1, Inches(0), Inches(2.3), Inches(0.25), Inches(2.2))
    bar.fill.solid()
    bar.fill.fore_color.rgb = _rgb(ACCENT)
    bar.line.fill.background()
    _textbox(s, (0.8, 2.2, 11.8, 1.0), _L("title", lang, scope=scope), lang, max_pt=36,
             min_pt=24, bold=True, color=ACCENT)  # fmt: skip
    _textbox(s, (0.8, 3.2, 11.8, 0.6), client_name, lang, max_pt=24, min_pt=16)
    _textbox(s, (0.8, 3.8, 11.8, 0.5), _L("subtitle", lang), lang, max_pt=16, min_pt=12,
             color=MUTED)  # fmt: skip
    when = _L("rendered", lang, date=_dt.date.today().isoformat())
    _textbox(s, (0.8, 5.6, 11.8, 0.8), _L("data_period", lang, period=period) + "\n" + when,
             lang, max_pt=14, min_pt=11, color=MUTED)  # fmt: skip

    # executive summary
    s = deck.slide()
    deck.title(s, _L("exec_title", lang), scope, h=0.8)
    rows = [[_L("col_analysis", lang), _L("col_key_results", lang)]]
    for e in mine:
        name = analysis_name(e.notebook, lang, entries)
        if not e.ok or not e.summary:
            rows.append([name, _L("report_failed", lang)])
            continue
        keys = [k for k in e.summary.get("key_results") or [] if isinstance(k, dict)]
        text = "\n".join(f"{k.get('label', '')}{_sep(lang)}{k.get('value', '—')}" for k in keys)
        rows.append([str(e.summary.get("title") or name), text or "—"])
    _table(s, (0.5, 1.6, 12.33, 5.2), rows, [3.6, 8.73], lang, max_pt=14, min_pt=9)

    # per report: findings, then action lists
    material = {e.name: notebook_material(root / e.name / f"{e.notebook}.ipynb", lang)
                for e in mine if e.ok}  # fmt: skip
    for e in mine:
        if not e.ok or not e.summary:
            continue
        _report_slides(deck, e, material[e.name], analysis_name(e.notebook, lang, entries))

    # appendix: data and definitions
    s = deck.slide()
    deck.title(s, _L("appendix_title", lang), h=0.8)
    lines = []
    for e in mine:
        name = str((e.summary or {}).get("title") or analysis_name(e.notebook, lang, entries))
        ps = [p for p in (e.summary or {}).get("periods") or [] if len(p) == 2]
        periods = ("；" if lang == "zh" else "; ").join(f"{p[0]} {p[1]}" for p in ps)
        lines.append(f"{name}{_sep(lang)}{periods or e.period or '—'}")
    fps = sorted({(e.fingerprint, e.version) for e in mine})
    lines += [_L("data_fingerprint", lang, fingerprint=f or "—", version=v or "—") for f, v in fps]
    _textbox(s, (0.5, 1.25, 5.6, 0.4), _L("data_heading", lang), lang, max_pt=16, min_pt=12,
             bold=True, color=ACCENT)  # fmt: skip
    _textbox(s, (0.5, 1.65, 5.6, 5.2), "\n".join(lines), lang, max_pt=13, min_pt=9)
    defs: dict[str, str] = {}
    for e in mine:
        for k, v in material.get(e.name, NotebookMaterial()).definitions:
            defs.setdefault(k, v)
    _textbox(s, (6.4, 1.25, 6.43, 0.4), _L("definitions_heading", lang), lang, max_pt=16,
             min_pt=12, bold=True, color=ACCENT)  # fmt: skip
    if defs:
        _table(s, (6.4, 1.65, 6.43, 5.2), [list(kv) for kv in defs.items()], [1.9, 4.53], lang,
               max_pt=12, min_pt=8, header=False)  # fmt: skip
    return prs


def _report_slides(deck: _Deck, e, mat: NotebookMaterial, name: str) -> None:
    from pptx.enum.text import PP_ALIGN

    lang, s_ = deck.lang, e.summary
    findings = [f for f in s_.get("findings") or [] if isinstance(f, dict) and f.get("text")]
    title = str(s_.get("title") or name)
    if not findings:
        s = deck.slide()
        deck.title(s, title, _L("no_findings", lang))
    used: set[int] = set()
    for i, f in enumerate(findings, 1):
        s = deck.slide()
        sub = _L("finding_of", lang, analysis=title, n=i, total=len(findings))
        top = max(2.15, deck.title(s, str(f["text"]), sub))
        charts = mat.charts.get(f.get("section") or "", [])
        # the section's first chart not yet shown (findings of one section share its charts)
        chart = next((c for c in charts if id(c) not in used), charts[0] if charts else None)
        number = headline_number(str(f["text"]))
        height = 6.85 - top
        panel = (
            (9.6, top + 0.05, 3.23, height - 0.1)
            if chart
            else (0.5, top + 0.25, 12.33, height - 0.3)
        )
        if chart:
            used.add(id(chart))
            _picture(s, chart, (0.5, top, 8.9, height))
        px, py, pw, ph = panel
        align = None if charts else PP_ALIGN.CENTER
        if number:
            _textbox(s, (px, py, pw, 0.4), _L("number_caption", lang), lang, max_pt=12,
                     min_pt=10, color=MUTED, align=align)  # fmt: skip
            _textbox(s, (px, py + 0.4, pw, 1.2), number, lang, max_pt=44 if charts else 60,
                     min_pt=20, bold=True, color=ACCENT, align=align)  # fmt: skip
        sec = mat.sections.get(f.get("section") or "")
        low = py + ph
        if sec:
            low -= 0.7
            _textbox(s, (px, low, pw, 0.7), _L("see_section", lang, section=sec), lang,
                     max_pt=12, min_pt=9, color=MUTED, align=align)  # fmt: skip
        if f.get("caveat"):
            _textbox(s, (px, py + 1.8, pw, low - py - 1.8), str(f["caveat"]), lang, max_pt=14,
                     min_pt=9, color=CAVEAT, align=align)  # fmt: skip
    for al in s_.get("actions") or []:
        if not isinstance(al, dict):
            continue
        s = deck.slide()
        deck.title(s, _L("actions_title", lang, title=str(al.get("title") or "")), title)
        items = [a for a in al.get("items") or [] if isinstance(a, dict)]
        if not items:
            text = al.get("empty_text") or label("common.no_actions", lang)
            _textbox(s, (0.5, 2.2, 12.33, 1.0), str(text), lang, max_pt=18, min_pt=12)
            continue
        head = [label("common.action_who", lang), label("common.action_why", lang),
                str(al.get("stake_header") or label("common.at_stake", lang))]  # fmt: skip
        rows = [head] + [
            [str(a.get("name", "")), str(a.get("reason", "")), str(a.get("stake") or "—")]
            for a in items[:ACTION_ROWS]
        ]
        drawn = _table(s, (0.5, 2.1, 12.33, 4.4), rows, [3.9, 6.13, 2.3], lang, right=(2,))
        more = len(items) - (len(drawn) - 1)
        if more > 0:
            _textbox(s, (0.5, 6.55, 12.33, 0.4), _L("more_actions", lang, n=more), lang,
                     max_pt=12, min_pt=10, color=MUTED)  # fmt: skip


def write_decks(entries, root, *, client, places=None) -> list[Path]:
    """Write ``deck-<scope>-<lang>.pptx`` into ``root`` for every scope and language that has
    reports (atomically); remove decks of scopes that no longer have reports."""
    from ars_analysis.reports.pages import summary_scopes

    root = Path(root)
    written = []
    for region, lang in summary_scopes(entries):
        prs = build_deck(entries, region=region, lang=lang, client=client, root=root,
                         places=places)  # fmt: skip
        path = root / deck_file(region, lang)
        with atomic_path(path) as tmp:
            prs.save(str(tmp))
        written.append(path)
    keep = {p.name for p in written}
    for old in root.glob(f"{DECK_PREFIX}*-*.pptx"):
        if old.name not in keep:
            old.unlink(missing_ok=True)
    return written
