"""Report 04 as a client reads it: no raw values, one language, names beside IDs, a workbook
with localised sheets (presentation.fieldforce on the sample data)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook

from ars_analysis.presentation import fieldforce as pf
from ars_analysis.presentation import report_opening, write_workbook

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
RAW = re.compile(r"\b(nan|NaN|None|True|False|NaT|inf)\b|\{|\}|\.\.\.")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def results(sample_field_execution):
    get = sample_field_execution  # shared with other modules (conftest)
    return get.cfg, {r: get(r) for r in (None, "西北")}


def _page_parts(res, cfg, lang):
    summary = pf.fieldforce_summary(res, cfg, lang)
    parts = [report_opening(summary).html]
    for fn in (pf.completion_text, pf.distance_text, pf.frequency_text, pf.activities_text,
               pf.time_text, pf.attainment_text, pf.correlation_block, pf.issues_block):  # fmt: skip
        parts.append(fn(res, lang)._repr_html_())
    for t in (pf.completion_table(res, lang), pf.frequency_table(res, lang),
              pf.scorecard_table(res, lang)):  # fmt: skip
        parts.append(t.to_html())
    return summary, "".join(parts)


@pytest.mark.parametrize("region", [None, "西北"])
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_raw_values_and_one_language(results, region, lang):
    cfg, by_region = results
    res = by_region[region]
    summary, html = _page_parts(res, cfg, lang)
    text = re.sub(r"<[^>]+>", " ", html)
    assert not RAW.search(text), RAW.search(text).group(0)
    assert 3 <= len(summary.findings) <= 5
    assert 3 <= len(summary.key_results) <= 6
    names = set(res.reps["rep_name"].dropna()) | set(res.top.get("terminal_name", []))
    names |= {cfg.client_name(lang)}
    if lang == "en":
        stripped = text
        for n in sorted(names, key=len, reverse=True):
            stripped = stripped.replace(str(n), "")
        assert not CJK.search(stripped), CJK.search(stripped)
    else:
        # no English category values or headers in a zh page (IDs, units and CI allowed)
        words = set(re.findall(r"[A-Za-z]{3,}", text)) - {"CI", "KPI", "Excel", "Fisher"}
        assert not words, words


def test_actions_name_people_and_terminals_beside_ids(results):
    cfg, by_region = results
    res = by_region[None]
    summary = pf.fieldforce_summary(res, cfg, "en")
    coach, top = summary.actions
    first = res.coaching.iloc[0]
    assert coach.items[0].name == f"{first['rep_name']} ({first['rep_id']})"
    assert "Visit completion" in " ".join(a.reason for a in coach.items) or "Frequency" in (
        " ".join(a.reason for a in coach.items)
    )
    row = res.unvisited_top.iloc[0]
    assert top.items[0].name == f"{row['terminal_name']} ({row['terminal_id']})"
    assert row["rep_name"] in top.items[0].reason
    assert top.items[0].stake == f"{row['revenue']:,.0f}"


def test_workbook_sheets_are_localised(results, tmp_path):
    cfg, by_region = results
    res = by_region["西北"]
    path = write_workbook(tmp_path / "f.xlsx", pf.workbook_tables(res, "zh"))
    wb = load_workbook(path)
    assert "业务员评分卡" in wb.sheetnames and "需辅导的业务员" in wb.sheetnames
    ws = wb["业务员评分卡"]
    headers = [c.value for c in ws[1]]
    assert "业务员" in headers and "拜访达成率" in headers
    assert ws.max_row - 1 == len(res.scorecard)
