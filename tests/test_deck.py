"""The slide deck beside each executive summary (``deck-<scope>-<lang>.pptx``).

Decks are opened with python-pptx: slide count, titles in the report's language, every chart
present at slide resolution, an East Asian font in every run, the footer, and no text running
out of its box by a *measured* estimate (the font files' own metrics through Pillow: Noto Sans
CJK for Chinese, DejaVu Sans for the rest — wider than Arial — independent of the deck's own
character-width estimate). On a batch rendered from the real notebooks (``rendered_batch``) the
same checks run on every deck, and where LibreOffice is installed the decks are converted to PDF
and the page count checked.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
import unicodedata
from dataclasses import asdict
from functools import cache
from importlib import resources

import pytest

from ars_analysis.labels import label
from ars_analysis.reports.deck import (
    ACTION_ROWS,
    EA_FONT,
    MIN_DPI,
    clip,
    deck_file,
    fit_size,
    has_cjk,
    headline_number,
    notebook_material,
    text_height,
)

pptx = pytest.importorskip("pptx")
EMU_PER_PT = 12700

# --------------------------------------------------------------------------------------------
# the measured estimate: real font metrics
# --------------------------------------------------------------------------------------------


@cache
def _font(cjk: bool, bold: bool):
    from PIL import ImageFont

    if cjk:
        path = resources.files("mplfonts") / "fonts" / "NotoSansCJKsc-Regular.otf"
    else:
        name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
        path = resources.files("matplotlib") / "mpl-data" / "fonts" / "ttf" / name
    return ImageFont.truetype(str(path), 100)


def _wide(c: str) -> bool:
    return unicodedata.east_asian_width(c) in ("W", "F")


def measured_width(text: str, size: float, bold: bool = False) -> float:
    """Width in points of ``text`` set at ``size`` (Pillow's advance widths)."""
    return sum(_font(_wide(c), bold).getlength(c) for c in text) / 100 * size


_TOKENS = re.compile(r"[\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]|[^\s\u2e80-\u9fff\u3000-\u303f\uff00-\uffef]+\s*|\s+")  # fmt: skip


def measured_height(text: str, size: float, bold: bool, width_pt: float) -> float:
    """Height in points of one paragraph wrapped at ``width_pt`` (line height from the font's
    ascent + descent: Noto Sans CJK's for a line with Chinese, 1.17 em otherwise)."""
    lines, x = 1, 0.0
    for tok in _TOKENS.findall(text):
        w, ws = measured_width(tok.rstrip(), size, bold), measured_width(tok, size, bold)
        if x + w > width_pt and x > 0:
            lines, x = lines + 1, 0.0
        while w > width_pt:
            lines, w, ws = lines + 1, w - width_pt, ws - width_pt
        x += ws
    ascent, descent = _font(True, False).getmetrics()
    factor = (ascent + descent) / 100 if any(_wide(c) for c in text) else 1.17
    return lines * size * factor


def overflow_pt(tf, width_emu: int, height_emu: int, margins) -> float:
    """Measured text height minus the box's height, in points (> 0: the text runs out)."""
    left, right, top, bottom = margins
    avail = (width_emu - left - right) / EMU_PER_PT
    height = (top + bottom) / EMU_PER_PT
    for p in tf.paragraphs:
        if p.runs:
            font = p.runs[0].font
            text = "".join(r.text for r in p.runs)
            height += measured_height(text, font.size.pt, bool(font.bold), avail)
    return height - height_emu / EMU_PER_PT


def text_overflows(prs) -> list[tuple[int, str, float]]:
    """(slide, text, points) of every text box and table cell whose text runs out of it."""
    out = []
    for i, slide in enumerate(prs.slides, 1):
        for sh in slide.shapes:
            if sh.has_text_frame:
                tf = sh.text_frame
                m = (tf.margin_left, tf.margin_right, tf.margin_top, tf.margin_bottom)
                o = overflow_pt(tf, sh.width, sh.height, m)
                if o > 0.5:
                    out.append((i, tf.text, o))
            if sh.has_table:
                t = sh.table
                for row in t.rows:
                    for j, c in enumerate(row.cells):
                        m = (c.margin_left, c.margin_right, c.margin_top, c.margin_bottom)
                        o = overflow_pt(c.text_frame, t.columns[j].width, row.height, m)
                        if o > 0.5:
                            out.append((i, c.text_frame.text, o))
            if sh.top + sh.height > prs.slide_height or sh.left + sh.width > prs.slide_width:
                out.append((i, f"shape {sh.name} off the slide", 0.0))
    return out


def slide_texts(slide) -> list[str]:
    return [sh.text_frame.text for sh in slide.shapes if sh.has_text_frame]


def title_of(slide) -> str:
    """The slide's title: its top-most text box."""
    boxes = [sh for sh in slide.shapes if sh.has_text_frame and sh.text_frame.text]
    return min(boxes, key=lambda sh: (sh.top, sh.left)).text_frame.text


def pictures(slide) -> list:
    return [sh for sh in slide.shapes if sh.shape_type == 13]  # MSO_SHAPE_TYPE.PICTURE


def runs_without_ea_font(prs) -> int:
    n = 0
    for slide in prs.slides:
        for el in slide.shapes._spTree.iter(
            "{http://schemas.openxmlformats.org/drawingml/2006/main}r"
        ):
            rpr = el.find("{http://schemas.openxmlformats.org/drawingml/2006/main}rPr")
            ea = (
                None
                if rpr is None
                else rpr.find("{http://schemas.openxmlformats.org/drawingml/2006/main}ea")
            )
            n += ea is None or ea.get("typeface") != EA_FONT
    return n  # fmt: skip


def expected_slides(summaries: list[dict]) -> int:
    """Title + executive summary + (findings or one slide) + action lists per report + appendix."""
    n = 3
    for s in summaries:
        n += max(1, len(s.get("findings") or [])) + len(s.get("actions") or [])
    return n


# --------------------------------------------------------------------------------------------
# the text estimate against the measured one
# --------------------------------------------------------------------------------------------

SENTENCES = [
    "核心客户（评分卡A级）26 家，占本范围 100 家经销商的 26.0%，贡献销售额的 70.8%。",
    "Of 2,420 terminals with sales, the top 20% carry 77.6% of revenue (95% CI 75.4%–79.6%).",
    "WWWWWWWW MMMMMMMM 1,609,844 CNY — Plan A: tiered commission + target bonus",
    "大润发(郑州南京路店) → 洛阳恒通商贸有限公司",
    "iiiiii llllll ...... ,,,,,,",
]


@pytest.mark.parametrize("text", SENTENCES)
@pytest.mark.parametrize("width", [1.5, 3.2, 8.0])
@pytest.mark.parametrize("size", [10, 14, 26])
def test_text_estimate_is_never_smaller_than_the_measured_size(text, width, size):
    from ars_analysis.reports.deck import INSET_X, INSET_Y

    for bold in (False, True):
        avail = (width - 2 * INSET_X) * 72
        measured = measured_height(text, size, bold, avail) / 72 + 2 * INSET_Y
        assert text_height(text, width, size) >= measured - 1e-9, (text, width, size, bold)


def test_fit_size_and_clip():
    text = "核心客户" * 30  # 120 CJK characters
    size = fit_size(text, 4.0, 1.2, 28, 8)
    assert size is not None and text_height(text, 4.0, size) <= 1.2
    assert text_height(text, 4.0, size + 1) > 1.2  # the largest that fits
    assert fit_size(text, 1.0, 0.3, 12, 10) is None
    short = clip(text, 1.0, 0.3, 10)
    assert short.endswith("…") and text.startswith(short[:-1]) and len(short) < len(text)
    assert text_height(short, 1.0, 10) <= 0.3


def test_headline_number_is_the_sentences_first_quantity():
    assert headline_number("核心客户（评分卡A级）26 家，占 100 家经销商") == "26 家"
    assert headline_number("下滑合计 1,983.1万 元；趋势每年 -22.4%") == "1,983.1万 元"
    assert headline_number("比较期（2025-10 – 2025-12）总成本 1,609,844 元") == "1,609,844 元"
    assert headline_number("the market potential is 166.9M CNY") == "166.9M CNY"
    assert headline_number("2024Q4 至 2025Q4：厦门（C0033）") is None
    assert headline_number("ABC分类：7 家A类经销商（38.9%）") == "7 家"
    assert has_cjk("26 家") and not has_cjk("26 CNY")


# --------------------------------------------------------------------------------------------
# a batch built here: summaries, executed notebooks with a chart and definitions
# --------------------------------------------------------------------------------------------


def _png(width_px: int, height_px: int) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (width_px, height_px), (29, 78, 137)).save(buf, "PNG")
    return buf.getvalue()


def _notebook(lang: str, chart: bytes) -> dict:
    from ars_analysis.presentation.blocks import definitions_table, section

    def out(data):
        return {"output_type": "display_data", "data": data, "metadata": {}}

    defs = [(label("common.def_top_terminal", lang), "前 20%" if lang == "zh" else "top 20%")]
    appendix = (
        section("appendix", label("common.appendix", lang)).html
        + f"<h3>{label('common.definitions', lang)}</h3>"
        + definitions_table(defs, lang).html
    )
    other = "en" if lang == "zh" else "zh"
    cells = [
        {"cell_type": "code", "metadata": {"tags": ["parameters"]}, "source": "x = 1",
         "outputs": [out({"image/png": base64.b64encode(_png(10, 10)).decode()})]},
        {"cell_type": "code", "metadata": {}, "source": "",
         "outputs": [out({"text/html": section("sec-a", "1. 第一节" if lang == "zh" else "1. First").html}),
                     {"output_type": "stream", "name": "stderr", "text": "warning"},
                     out({"image/png": base64.b64encode(chart).decode(), "text/plain": "<Figure>"})]},
        {"cell_type": "code", "metadata": {"tags": [f"lang-{other}"]}, "source": "",
         "outputs": [out({"image/png": base64.b64encode(_png(10, 10)).decode()})]},
        {"cell_type": "code", "metadata": {}, "source": "",
         "outputs": [out({"text/html": section("sec-b", "2. 第二节" if lang == "zh" else "2. Second").html})]},
        {"cell_type": "code", "metadata": {}, "source": "", "outputs": [out({"text/html": appendix})]},
    ]  # fmt: skip
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _summary(title: str, lang: str, region, n_actions: int) -> dict:
    from ars_analysis.presentation import Action, ActionList, Finding, KeyResult, ReportSummary

    zh = lang == "zh"
    long = ("很长的原因说明，" * 12) if zh else ("a long reason that goes on and on, " * 8)
    return asdict(
        ReportSummary(
            title=title,
            question=title,
            lang=lang,
            scope="全国" if zh else "National",
            periods=[("销售数据期间" if zh else "Sales period", "2024-01-01 – 2025-12-31")],
            findings=[
                Finding(f"{title}：A 级 26 家，贡献 70.8%" if zh else f"{title}: 26 grade A, 70.8%", "sec-a"),
                Finding(("第二个要点，" * 20) if zh else "A second finding " * 12, "sec-b", "n = 5"),
            ],
            actions=[
                ActionList("重点培育的经销商" if zh else "Distributors to cultivate",
                           [Action(f"杭州兴隆商贸有限公司{i}", long, "12,000") for i in range(n_actions)],
                           stake_header="销售额（元）" if zh else "Revenue (CNY)"),
                ActionList("需走访的核心客户" if zh else "Core customers to visit", [],
                           empty_text="暂无" if zh else "None"),
            ],
            key_results=[KeyResult("n", "A 类经销商数" if zh else "Class A distributors", "17")],
            client="甲公司",
            region=region,
        )
    )  # fmt: skip


@pytest.fixture
def batch(tmp_path):
    from ars_analysis.reports.pages import write_batch_pages

    chart = _png(1800, 900)  # 9 × 4.5 in at 200 px per inch, as the notebooks' charts
    jobs = [
        ("01_core_customers", "01_core_customers", None, "zh", "ok", 12),
        ("04_field_execution", "04_field_execution", None, "zh", "ok", 1),
        ("01_core_customers-en", "01_core_customers", None, "en", "ok", 3),
        ("01_core_customers-华东", "01_core_customers", "华东", "zh", "ok", 2),
        ("02_terminal_network-华东", "02_terminal_network", "华东", "zh", "failed", 0),
    ]
    results = []
    for name, nb, region, lang, status, n_actions in jobs:
        folder = tmp_path / name
        folder.mkdir()
        if status == "ok":
            title = f"{nb} 报告" if lang == "zh" else f"{nb} report"
            summary = _summary(title, lang, region, n_actions)
            (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
            (folder / f"{nb}.ipynb").write_text(json.dumps(_notebook(lang, chart)), "utf-8")
        (folder / ("report.html" if status == "ok" else "error.html")).write_text("<html></html>")
        results.append({"name": name, "notebook": f"{nb}.ipynb", "status": status,
                        "parameters": {"region": region, "lang": lang},
                        "period": "2024-01-01 – 2025-12-31", "fingerprint": "abc123",
                        "version": "9.9"})  # fmt: skip
    (tmp_path / "deck-gone-zh.pptx").write_bytes(b"stale")
    client = {"zh": "甲公司", "en": "Client A"}
    written = write_batch_pages(results, tmp_path, index_lang="zh", client=client)
    return tmp_path, written


def test_a_deck_is_written_beside_each_summary(batch):
    root, written = batch
    decks = sorted(p.name for p in written if p.suffix == ".pptx")
    summaries = sorted(p.name for p in written if p.name.startswith("summary-"))
    assert decks == ["deck-national-en.pptx", "deck-national-zh.pptx", "deck-华东-zh.pptx"]
    assert decks == sorted(
        n.replace("summary-", "deck-").replace(".html", ".pptx") for n in summaries
    )
    assert not (root / "deck-gone-zh.pptx").exists()  # a scope without reports: removed
    assert deck_file("西北/西南", "en") == "deck-西北_西南-en.pptx"


def test_national_deck_slides_titles_pictures_fonts_and_footer(batch):
    root, _ = batch
    prs = pptx.Presentation(str(root / "deck-national-zh.pptx"))
    assert (prs.slide_width, prs.slide_height) == (pptx.util.Inches(13.333), pptx.util.Inches(7.5))
    summaries = [json.loads((root / n / "summary.json").read_text("utf-8"))
                 for n in ("01_core_customers", "04_field_execution")]  # fmt: skip
    slides = list(prs.slides)
    assert len(slides) == expected_slides(summaries) == 3 + 2 * (2 + 2)
    titles = [title_of(s) for s in slides]
    assert titles[0] == label("deck.title", "zh", scope="全国")
    assert titles[1] == label("deck.exec_title", "zh")
    assert titles[-1] == label("deck.appendix_title", "zh")
    findings = [f["text"] for s in summaries for f in s["findings"]]
    assert [t for t in titles if t in findings] == findings  # in the reports' order
    assert all(has_cjk(t) for t in titles)
    # the chart of the finding's section, at slide resolution; no chart where the section has none
    for s, t in zip(slides, titles, strict=True):
        pics = pictures(s)
        if t in findings and t.startswith(tuple(x["title"] for x in summaries)):
            assert len(pics) == 1
            px_per_in = 1800 / (pics[0].width / 914400)
            assert px_per_in >= MIN_DPI - 1e-6
            assert "26 家" in slide_texts(s)  # the supporting number
        else:
            assert pics == [], t
    # the action list: at most ACTION_ROWS rows, the rest counted; an empty list says so
    table_slides = [s for s in slides if any(sh.has_table for sh in s.shapes)]
    action = next(
        s for s in table_slides if "重点培育" in title_of(s) and "01_" in " ".join(slide_texts(s))
    )
    table = next(sh for sh in action.shapes if sh.has_table).table
    assert 2 <= len(table.rows) <= ACTION_ROWS + 1
    assert table.cell(0, 2).text == "销售额（元）" and table.cell(1, 2).text == "12,000"
    assert label("deck.more_actions", "zh", n=12 - (len(table.rows) - 1)) in slide_texts(action)
    assert any("暂无" in slide_texts(s) for s in slides)
    # the executive summary: key results of each report; the appendix: periods and definitions
    assert "A 类经销商数：17" in slides[1].shapes[-1].table.cell(1, 1).text
    appendix = " ".join(slide_texts(slides[-1]))
    defs = next(sh for sh in slides[-1].shapes if sh.has_table).table
    assert "销售数据期间 2024-01-01 – 2025-12-31" in appendix and "abc123" in appendix
    assert (
        defs.cell(0, 0).text == label("common.def_top_terminal", "zh")
        and defs.cell(0, 1).text == "前 20%"
    )
    # client and data period in every footer but the title slide's
    for s in slides[1:]:
        assert any("甲公司" in t and "2024-01-01 – 2025-12-31" in t for t in slide_texts(s))
    assert runs_without_ea_font(prs) == 0
    assert text_overflows(prs) == []  # fmt: skip


def test_english_and_regional_decks(batch):
    root, _ = batch
    en = pptx.Presentation(str(root / "deck-national-en.pptx"))
    titles = [title_of(s) for s in en.slides]
    assert titles[1] == "Executive summary" and titles[-1] == "Appendix: data and definitions"
    assert titles[2].startswith("01_core_customers report: 26 grade A")
    assert not any(has_cjk(t) for t in titles)
    assert any("Client A" in t for t in slide_texts(en.slides[1]))
    assert text_overflows(en) == []
    east = pptx.Presentation(str(root / "deck-华东-zh.pptx"))
    texts = [t for s in east.slides for t in slide_texts(s)]
    assert title_of(east.slides[0]) == "深度分销诊断 — 华东"
    # a failed report is named in the executive summary and has no slides of its own
    exec_table = next(sh for sh in east.slides[1].shapes if sh.has_table).table
    assert exec_table.cell(2, 1).text == label("deck.report_failed", "zh")
    assert len(east.slides) == 3 + 2 + 2 and not any("02_terminal" in t for t in texts)
    assert text_overflows(east) == []


def test_notebook_material_reads_sections_charts_and_definitions(tmp_path):
    path = tmp_path / "x.ipynb"
    path.write_text(json.dumps(_notebook("en", _png(300, 200))), encoding="utf-8")
    mat = notebook_material(path, "en")
    # the parameter cell's and the other language's images are not the report's
    assert {k: [(c.width, c.height) for c in v] for k, v in mat.charts.items()} == {
        "sec-a": [(300, 200)]
    }
    assert mat.sections == {"sec-a": "1. First", "sec-b": "2. Second", "appendix": "Appendix"}
    assert mat.definitions == [(label("common.def_top_terminal", "en"), "top 20%")]
    assert notebook_material(tmp_path / "missing.ipynb", "en").charts == {}


# --------------------------------------------------------------------------------------------
# the decks of a batch rendered from the real notebooks
# --------------------------------------------------------------------------------------------


def _batch_decks(rendered_batch):
    root = rendered_batch.root
    decks = sorted(root.glob("deck-*.pptx"))
    summaries = sorted(root.glob("summary-*.html"))
    assert [d.stem[5:] for d in decks] == [s.stem[8:] for s in summaries]
    return decks


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.xdist_group("rendered_batch")
def test_rendered_batch_decks(rendered_batch):
    from ars_analysis.reports.pages import collect, scope_name

    root = rendered_batch.root
    assert not rendered_batch.failed
    entries = collect(rendered_batch.results, root, "zh")
    for deck in _batch_decks(rendered_batch):
        lang = deck.stem.rsplit("-", 1)[1]
        scope = deck.stem[5 : -len(lang) - 1]
        mine = sorted((e for e in entries if e.lang == lang and
                       (e.region or "national") == scope), key=lambda e: e.notebook)  # fmt: skip
        prs = pptx.Presentation(str(deck))
        slides = list(prs.slides)
        assert len(slides) == expected_slides([e.summary for e in mine]), deck.name
        titles = [title_of(s) for s in slides]
        assert titles[1] == label("deck.exec_title", lang)
        assert titles[-1] == label("deck.appendix_title", lang)
        n_charts = 0
        for e in mine:
            mat = notebook_material(root / e.name / f"{e.notebook}.ipynb", lang)
            for f in e.summary["findings"]:
                i = titles.index(f["text"])
                has_chart = bool(mat.charts.get(f["section"]))
                assert len(pictures(slides[i])) == has_chart, (deck.name, f["text"])
                n_charts += has_chart
        assert sum(len(pictures(s)) for s in slides) == n_charts > 0
        for s in slides:
            for pic in pictures(s):
                w_px = pic.image.size[0]
                assert w_px / (pic.width / 914400) >= MIN_DPI - 1e-6
        if lang == "zh":
            assert all(has_cjk(t) for t in titles), deck.name
        region = None if scope == "national" else scope
        assert titles[0] == label("deck.title", lang, scope=scope_name(region, lang))
        assert runs_without_ea_font(prs) == 0
        assert text_overflows(prs) == [], deck.name


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.xdist_group("rendered_batch")
def test_rendered_decks_convert_to_pdf(rendered_batch, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice (Debian libreoffice-impress) is not installed: `make office`")
    pdfinfo = shutil.which("pdfinfo")
    decks = [d for d in _batch_decks(rendered_batch) if d.name in
             ("deck-national-zh.pptx", "deck-西北-en.pptx")]  # fmt: skip
    assert len(decks) == 2
    subprocess.run(
        [soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to",
         "pdf", "--outdir", str(tmp_path), *map(str, decks)],
        check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    for deck in decks:
        pdf = tmp_path / f"{deck.stem}.pdf"
        data = pdf.read_bytes()
        n_slides = len(pptx.Presentation(str(deck)).slides)
        if pdfinfo:
            out = subprocess.run([pdfinfo, str(pdf)], capture_output=True, text=True).stdout
            assert int(re.search(r"Pages:\s+(\d+)", out).group(1)) == n_slides
        else:  # LibreOffice writes one uncompressed page object per slide
            assert len(re.findall(rb"/Type\s*/Page\b(?!s)", data)) == n_slides
