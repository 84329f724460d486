"""Leak checks: what a client must never see in a page or a workbook.

The checker (:mod:`ars_analysis.reports.checks`) is tested on pages built here, one per leak
kind, and on clean pages; then it runs over every page and workbook of a batch rendered from the
real notebooks (the ``rendered_batch`` fixture of ``conftest.py``, shared with the browser test).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from ars_analysis.reports.checks import (
    KINDS,
    Vocabulary,
    batch_leaks,
    batch_vocabulary,
    count_by_kind,
    page_leaks,
    proper_names,
    workbook_leaks,
)

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"


def page(body: str, lang: str = "zh", head: str = "") -> str:
    code = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html><html lang="{code}"><head><meta charset="utf-8">'
        f"<title>{'报告' if lang == 'zh' else 'Report'}</title>"
        f"<style>body{{font-family:Arial}} .x_y{{color:red}}</style>{head}</head>"
        f"<body>{body}</body></html>"
    )


@pytest.fixture(scope="module")
def vocab():
    return Vocabulary(
        names=proper_names(SAMPLE) | {"示例客户（样本数据）", "KFC 连锁"},
        identifiers={"n_boot", "top_share", "data_path", "region", "abcClass"},
    )


CLEAN_ZH = """
<h1>谁是核心客户？</h1><p class="ars-question">核心客户（A 级）集中在华东。</p>
<table><tr><th>经销商编码</th><th>经销商</th><th>销售额（元）</th><th>占比</th></tr>
<tr><td>C0001</td><td>杭州兴隆商贸有限公司</td><td>1,234,567</td><td>88.1%</td></tr></table>
<p>ABC 分类、KPI、Gini 系数 0.62（95% CI 0.58–0.66），P10/P50/P90，见 Excel 工作簿。</p>
<p>样本量 n = 5：仅供参考。终端 T00001、业务员 R001 曾明。</p>
<img alt="" src="data:image/png;base64,iVBORw0KGgo=">
"""
CLEAN_EN = """
<h1>Who are the core distributors?</h1>
<p>East China holds 41.2% of revenue; 杭州兴隆商贸有限公司 (C0001) grew fastest.</p>
<p>Rep 曾明 (R001) visits 便利蜂(宁波滨江路店) weekly. None of the ... </p>
"""


def test_clean_pages_pass(vocab):
    assert page_leaks(page(CLEAN_ZH), vocab=vocab) == []
    en = CLEAN_EN.replace("None of the ... ", "Every rep visits.")
    assert page_leaks(page(en, "en"), vocab=vocab) == []


@pytest.mark.parametrize(
    "kind, body, lang",
    [
        ("repr", "<p>&lt;Axes: title={'center': 'x'}&gt;</p>", "en"),
        ("repr", "<p>{'current': 1.0}</p>", "en"),
        ("repr", "<p>&lt;ars_analysis.customers.Result object at 0x7f00&gt;</p>", "en"),
        ("repr", "<p>Name: revenue, dtype: float64</p>", "en"),
        ("plain_table", "<pre>a  b</pre>", "en"),
        ("plain_table", "<p>region   revenue   share\nEast     12,000    0.5\n</p>", "en"),
        ("missing_word", "<td>NaN</td>", "en"),
        ("missing_word", "<td>nan</td>", "zh"),
        ("missing_word", "<td>None</td>", "en"),
        ("missing_word", "<p>是否达标：True</p>", "zh"),
        ("missing_word", "<td>False</td>", "en"),
        ("missing_word", "<td>NaT</td>", "en"),
        ("identifier", "<p>Number of n_abc_a</p>", "en"),
        ("identifier", "<th>abc_class</th>", "en"),
        ("identifier", "<p>with top_share of 20%</p>", "en"),
        ("identifier", "<p>see abcClass</p>", "en"),
        ("identifier", "<p>seed = 0</p>", "en"),
        ("path", "<p>data: ../data/sample</p>", "en"),
        ("path", "<p>读取 sales.csv 出错</p>", "zh"),
        ("path", "<p>plan current.yml</p>", "en"),
        ("path", "<p>ars_analysis/config</p>", "en"),
        ("ascii_in_zh", "<p>华东 convenience 终端</p>", "zh"),
        ("ascii_in_zh", "<h2>Key findings</h2>", "zh"),
        ("cjk_in_en", "<p>Region 华东 grew</p>", "en"),
        ("cjk_in_en", "<th>销售额</th>", "en"),
        ("truncation", "<td>杭州兴隆商...</td>", "zh"),
        ("truncation", "<td>Hangzhou…</td>", "en"),
        ("network", '<script src="x.js"></script>', "en"),
        ("network", '<img src="https://example.org/a.png" alt="">', "en"),
        ("network", "<style>@import url(https://fonts.example/css);</style>", "en"),
    ],
)
def test_each_leak_kind_is_found(vocab, kind, body, lang):
    found = page_leaks(page(body, lang), vocab=vocab)
    assert kind in {x.kind for x in found}, found


def test_head_links_and_fonts_from_the_internet_are_loads(vocab):
    head = '<link rel="stylesheet" href="https://cdn.example/x.css">'
    assert [x.kind for x in page_leaks(page("<p>好</p>", head=head), vocab=vocab)] == ["network"]


def test_proper_names_from_the_data_are_allowed_only_as_written(vocab):
    names = proper_names(SAMPLE)
    assert {"杭州兴隆商贸有限公司", "曾明", "便利蜂(宁波滨江路店)", "杭州"} <= names
    assert "华东" not in names  # regions are translated, never proper names
    # in an English page: names stay as written, but a region or a label inside is a leak
    assert page_leaks(page("<p>曾明 and 杭州</p>", "en"), vocab=vocab) == []
    found = page_leaks(page("<p>华东 region</p>", "en"), vocab=vocab)
    assert [x.text for x in found] == ["华东"]
    # ASCII words of proper names are allowed in Chinese pages, other ASCII words are not
    assert page_leaks(page("<p>KFC 连锁门店</p>"), vocab=vocab) == []
    assert [x.text for x in page_leaks(page("<p>KFC store</p>"), vocab=vocab)] == ["store"]


def test_code_and_style_are_not_text(vocab):
    # class names, style sheets and data URIs are markup, not what a reader sees
    body = '<div class="ars_table x_y"><img src="data:image/png;base64,AAAA" alt=""></div>'
    assert page_leaks(page(body), vocab=vocab) == []


def test_workbook_leaks(tmp_path, vocab):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "核心客户"
    sheet.append(["经销商编码", "经销商", "销售额（元）", "是否核心"])
    sheet.append(["C0001", "杭州兴隆商贸有限公司", 1234.5, "是"])
    clean = tmp_path / "clean.xlsx"
    book.save(clean)
    assert workbook_leaks(clean, "zh", vocab) == []
    sheet.append(["C0002", "abc_class", "nan", "True"])
    bad_sheet = book.create_sheet("Sheet")
    bad_sheet.append(["customer_id"])
    bad = tmp_path / "bad.xlsx"
    book.save(bad)
    kinds = count_by_kind(workbook_leaks(bad, "zh", vocab))
    assert kinds["identifier"] == 2  # abc_class, customer_id
    assert kinds["missing_word"] == 2  # nan, True
    assert kinds["ascii_in_zh"] == 1  # the sheet name "Sheet"
    assert set(kinds) == set(KINDS)


def test_batch_leaks_over_a_folder(tmp_path, vocab):
    (tmp_path / "job").mkdir()
    (tmp_path / "job" / "report.html").write_text(page("<p>nan</p>"), encoding="utf-8")
    (tmp_path / "job" / "error.html").write_text(page("<pre>tb</pre>"), encoding="utf-8")
    (tmp_path / "index.html").write_text(page("<p>目录</p>"), encoding="utf-8")
    found = batch_leaks(tmp_path, vocab)
    assert [(x.kind, x.where) for x in found] == [("missing_word", "job/report.html")]


# ---------------------------------------------------------------------------- the real batch


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.xdist_group("rendered_batch")
def test_rendered_batch_has_no_leaks(rendered_batch):
    """Every page and workbook of a batch rendered from the real notebooks is leak-free.

    On the reports of the notebooks before issue 10 this finds thousands of leaks (Python
    reprs, printed tables, NaN/True/False, parameter names, paths, untranslated labels).
    """
    root = rendered_batch.root
    assert rendered_batch.failed == [], rendered_batch.failed
    vocab = batch_vocabulary(
        root,
        SAMPLE,
        sorted((REPO / "notebooks").glob("*.ipynb")),
        _client_names(rendered_batch.client),
    )
    leaks = batch_leaks(root, vocab)
    counts = {k: n for k, n in count_by_kind(leaks).items() if n}
    examples = "\n".join(str(x) for x in leaks[:40])
    assert not leaks, f"{len(leaks)} leaks by kind {counts}; first ones:\n{examples}"


COMPLIANT = r"""
import matplotlib.pyplot as plt
import pandas as pd

from ars_analysis.charts.style import thousands, use_style
from ars_analysis.client import load_client_config
from ars_analysis.labels import label
from ars_analysis.presentation import (
    Action, ActionList, Finding, KeyResult, ReportSummary, ReportTable, fmt, period_text,
    report_opening, save_summary, scope_text, section,
)
from ars_analysis.presentation.definitions import appendix
from ars_analysis.presentation.workbook import write_workbook

use_style()
cfg = load_client_config(client_config)
zh = lang == "zh"
customers = pd.read_csv(f"{data_path}/customers.csv")
if region:
    customers = customers[customers["region"] == region]
t = customers[["customer_id", "customer_name", "region", "city"]].assign(
    revenue=[1234567.0 + 1000 * i for i in range(len(customers))]
)
top = t.iloc[0]
summary = ReportSummary(
    title="谁是核心客户？" if zh else "Who are the core distributors?",
    question="谁是核心客户？" if zh else "Who are the core distributors?",
    lang=lang,
    scope=scope_text(region, lang),
    periods=[(label("common.sales_period", lang), period_text("2024-01-01", "2025-12-28"))],
    findings=[
        Finding(
            (f"{top.customer_name} 销售额最高：{fmt.money(top.revenue)} 元。" if zh
             else f"{top.customer_name} sells most: CNY {fmt.money(top.revenue)}."),
            "sec-table",
        )
    ],
    actions=[
        ActionList(
            "重点培育的经销商" if zh else "Distributors to cultivate",
            [Action(f"{r.customer_name}（{r.customer_id}）", "增长快" if zh else "Fast growth",
                    fmt.money(r.revenue)) for r in t.head(4).itertuples()],
        )
    ],
    key_results=[KeyResult("n", "经销商数" if zh else "Distributors", fmt.number(len(t)))],
    client=cfg.client_name(lang),
)
save_summary(output_dir, summary)
report_opening(summary)
"""

COMPLIANT_SECTION = r"""
table = ReportTable(t, lang=lang, title="经销商销售额" if zh else "Distributor revenue",
                    kinds={"revenue": "money"})
display(section("sec-table", "经销商销售额" if zh else "Distributor revenue"))
display(table)
fig, ax = plt.subplots(figsize=(6, 3))
ax.bar(t["customer_id"].head(8), t["revenue"].head(8))
ax.set_title("经销商销售额" if zh else "Distributor revenue")
thousands(ax, "y")
plt.show()
write_workbook(f"{output_dir}/customers.xlsx", [table])
appendix(None, cfg, lang, parameters=[("期间" if zh else "Period", "2024–2025")])
"""


@pytest.mark.slow
@pytest.mark.notebook
def test_a_report_built_with_the_presentation_layer_passes(tmp_path):
    """No false alarms: a small report made the way issue 10 asks (opening, section, table,
    chart, workbook, appendix) has no leak in Chinese nor in English, and its summary feeds
    the executive summary and the index without leaks."""
    import nbformat
    import yaml

    from ars_analysis.reports import render

    nbs = tmp_path / "nbs"
    nbs.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell(
        'data_path = "../data/sample"\nmapping_path = None\nstart = None\nend = None\n'
        'region = None\nlang = "zh"\noutput_dir = "out"\nclient_config = None\n'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [
        params,
        nbformat.v4.new_code_cell(COMPLIANT),
        nbformat.v4.new_code_cell(COMPLIANT_SECTION),
    ]
    nbformat.write(nb, nbs / "01_core_customers.ipynb")
    out = tmp_path / "out"
    config = {
        "data_path": str(SAMPLE),
        "notebooks_dir": str(nbs),
        "output_dir": str(out),
        "jobs": [
            {"notebook": "01_core_customers"},
            {"notebook": "01_core_customers", "name": "en", "regions": ["西北"], "lang": "en"},
        ],
    }
    cfg = tmp_path / "r.yml"
    cfg.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    results = render(cfg, jobs=2, progress=False)
    assert [r["status"] for r in results] == ["ok", "ok"], results
    vocab = batch_vocabulary(
        out, SAMPLE, [nbs / "01_core_customers.ipynb"], {"示例客户（样本数据）"}
    )
    files = {p.relative_to(out).as_posix() for p in out.rglob("*.*")}
    assert {"01_core_customers/customers.xlsx", "en-西北/customers.xlsx"} <= files
    assert {"summary-national-zh.html", "summary-西北-en.html", "index-en.html"} <= files
    assert batch_leaks(out, vocab) == []
    report = (out / "en-西北" / "report.html").read_text(encoding="utf-8")
    assert "<title>Who are the core distributors?</title>" in report
    assert '<p class="ars-back"><a href="../index-en.html">' in report


def test_client_data_file_names_are_not_leaks():
    # The appendix names the client's own file a problem was found in; a repository path or a
    # file the client never gave us is still a leak.
    from ars_analysis.reports.checks import Vocabulary, text_leaks

    vocab = Vocabulary(files={"sales.csv"})
    assert text_leaks("文件 sales.csv：退货行 187 行", "zh", vocab) == []
    kinds = {leak.kind for leak in text_leaks("文件 sales.csv", "zh", Vocabulary())}
    assert "path" in kinds
    assert {leak.kind for leak in text_leaks("见 config/plans.yml", "zh", vocab)} >= {"path"}


def test_every_sample_region_and_territory_has_an_english_name():
    # English reports translate regions and territories (华东 -> East China); the sample's
    # places must all be known, or an English page shows Chinese.
    import pandas as pd

    from ars_analysis.presentation import place_name

    sample = Path(__file__).resolve().parents[1] / "data" / "sample"
    places = set()
    for table, cols in {"customers": ["region", "territory"], "terminals": ["region"]}.items():
        frame = pd.read_csv(sample / f"{table}.csv", usecols=cols, dtype=str)
        places |= set(frame.stack().dropna())
    untranslated = {p for p in places if place_name(p, "en") == p}
    assert not untranslated


def _client_names(client) -> set[str]:
    # the client's proper name(s): one string, or one per language
    return set(client.values()) if isinstance(client, dict) else {client}


def test_client_name_follows_the_report_language():
    from ars_analysis.client import ClientConfig

    named = ClientConfig(client={"zh": "甲公司", "en": "Jia Co."})
    assert (named.client_name("zh"), named.client_name("en")) == ("甲公司", "Jia Co.")
    assert ClientConfig(client="甲公司").client_name("en") == "甲公司"  # a proper name


def section_numbers(page: str) -> list[int | None]:
    """The number of each section heading of a report page (None: an unnumbered heading)."""
    import html
    import re

    titles = re.findall(r'<h2 class="ars-section" id="(?!appendix)[^"]*">(.*?)</h2>', page, re.S)
    return [
        int(m.group(1)) if (m := re.match(r"(\d+)\. ", html.unescape(t).strip())) else None
        for t in titles
    ]


def test_section_numbers_of_a_page():
    page = (
        '<h2 class="ars-section" id="sec-a">1. 甲</h2><h2 class="ars-section" id="sec-b">'
        'Two</h2><h2 class="ars-section" id="appendix">附录</h2>'
    )
    assert section_numbers(page) == [1, None]


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.xdist_group("rendered_batch")
def test_sections_are_numbered_one_to_n_or_not_at_all(rendered_batch):
    """A report numbers all its sections 1, 2, ... in page order, or none of them (02): a
    section added later is numbered like the older ones, in Chinese and in English."""
    pages = sorted(rendered_batch.root.glob("*/*.html"))
    assert pages
    for page in pages:
        numbers = section_numbers(page.read_text(encoding="utf-8"))
        if any(n is not None for n in numbers):
            assert numbers == list(range(1, len(numbers) + 1)), (page, numbers)
