"""Tests of the shared plumbing: labels, atomic outputs, Dataset.subset, recorded results."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pandas as pd
import pytest

from ars_analysis import labels as L
from ars_analysis.data.dataset import Dataset, subset
from ars_analysis.data.outputs import atomic_path, write_excel, write_text
from ars_analysis.presentation.record import read_results, record_results

PACKAGE = Path(__file__).resolve().parents[1] / "ars_analysis"


def test_every_label_has_both_languages_and_nonempty_text():
    keys = L.all_keys()
    assert len(keys) > 20
    for key in keys:
        for lang in L.LANGS:
            assert L.label(key, lang).strip(), (key, lang)


def test_unknown_label_and_language_are_errors():
    with pytest.raises(KeyError, match="no label 'common.nope'"):
        L.label("common.nope", "en")
    with pytest.raises(ValueError, match="lang must be one of"):
        L.label("common.revenue", "fr")


def test_label_placeholders_are_filled():
    text = L.label("common.data_period", "en", start="2025-01-01", end="2025-12-31")
    assert text == "Data period: 2025-01-01 to 2025-12-31"


def _label_keys_used_in_code() -> set[str]:
    """String literals passed as first argument to label(...) anywhere in the package."""
    used = set()
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", None))
                in {"label", "_label"}
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
                and "." in node.args[0].value
            ):
                used.add(node.args[0].value)
    return used


def test_every_label_key_used_in_the_code_exists():
    used = _label_keys_used_in_code()
    assert "common.data_period" in used  # the scan itself finds label() calls
    missing = sorted(used - set(L.all_keys()))
    assert not missing, f"label keys used in code but missing from labels/*.yml: {missing}"


def test_atomic_path_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("crash while writing")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]  # no temp file left behind


def test_write_text_replaces_atomically(tmp_path):
    path = write_text(tmp_path / "sub" / "a.txt", "新内容")
    assert path.read_text(encoding="utf-8") == "新内容"


def test_write_excel_cleans_and_deduplicates_sheet_names(tmp_path):
    df = pd.DataFrame({"a": [1, 2]})
    long = "x" * 40
    path = write_excel(tmp_path / "out.xlsx", {"a/b": df, long: df, long + "y": df, "华东": df})
    sheets = pd.read_excel(path, sheet_name=None)
    names = list(sheets)
    assert names[0] == "a_b"
    assert len(names[1]) == 31 and len(names[2]) == 31 and names[1] != names[2]
    assert names[3] == "华东"
    assert sheets["华东"]["a"].tolist() == [1, 2]


def _dataset() -> Dataset:
    customers = pd.DataFrame({"customer_id": ["C1", "C2"], "region": ["华东", "华南"]})
    terminals = pd.DataFrame(
        {
            "terminal_id": ["T1", "T2", "T3"],
            "region": ["华东", "华南", "华东"],
            "customer_id": ["C1", "C2", None],
        }
    )
    sales = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-10", "2025-02-10", "2025-03-31", "2025-03-01"]),
            "customer_id": ["C1", "C2", "C1", "C2"],
            "terminal_id": ["T1", "T2", None, "T3"],
            "revenue": [1.0, 2.0, 3.0, 4.0],
        }
    )
    reps = pd.DataFrame({"rep_id": ["R1", "R2"], "region": ["华东", "华南"]})
    targets = pd.DataFrame(
        {
            "rep_id": ["R1", "R1", "R2"],
            "period": ["2025-01", "2025-03", "2025-01"],
            "target_revenue": [1.0, 1.0, 1.0],
        }
    )
    visits = pd.DataFrame(
        {
            "rep_id": ["R1", "R2", "R1"],
            "planned_date": pd.to_datetime(["2025-01-05", "2025-01-06", None]),
            "check_in": pd.to_datetime(["2025-01-05 09:00", None, "2025-03-02 10:00"]),
        }
    )
    return Dataset(
        {
            "customers": customers,
            "terminals": terminals,
            "sales": sales,
            "reps": reps,
            "targets": targets,
            "visits": visits,
        }
    )


def test_subset_by_region_keeps_related_rows_and_leaves_input_alone():
    ds = _dataset()
    before = ds.sales.copy()
    east = subset(ds, region="华东")
    # C1's lines plus the line of terminal T3 (an East terminal supplied by C2)
    assert sorted(east.sales["revenue"]) == [1.0, 3.0, 4.0]
    assert east.reps["rep_id"].tolist() == ["R1"]
    assert set(east.targets["rep_id"]) == {"R1"}
    assert set(east.visits["rep_id"]) == {"R1"}
    pd.testing.assert_frame_equal(ds.sales, before)


def test_subset_by_dates_includes_the_whole_end_day():
    ds = _dataset()
    q1 = subset(ds, start="2025-02-01", end="2025-03-31")
    assert sorted(q1.sales["revenue"]) == [2.0, 3.0, 4.0]  # 2025-03-31 kept
    assert q1.targets["period"].tolist() == ["2025-03"]
    assert len(q1.visits) == 1  # the unplanned visit of 2025-03-02
    assert q1.period == (pd.Timestamp("2025-02-10"), pd.Timestamp("2025-03-31"))


def test_missing_optional_table_reads_as_none():
    ds = Dataset({"sales": pd.DataFrame({"date": []})})
    assert ds.receivables is None and not ds.has("receivables")
    with pytest.raises(AttributeError):
        ds.not_a_table  # noqa: B018


def test_record_results_merges_and_writes_json(tmp_path):
    record_results(tmp_path, gini=0.5, when=pd.Timestamp("2025-01-01"))
    record_results(tmp_path, gini=0.6, n=3)
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert data == {"gini": 0.6, "when": "2025-01-01T00:00:00", "n": 3}
    assert read_results(tmp_path) == data
    assert read_results(tmp_path / "missing") == {}


@pytest.mark.parametrize("command", ["validate", "generate", "render"])
def test_ars_lists_and_documents_every_subcommand(command, capsys):
    from ars_analysis.cli import main

    with pytest.raises(SystemExit) as top:
        main(["--help"])
    assert top.value.code == 0
    assert command in capsys.readouterr().out
    with pytest.raises(SystemExit) as sub:
        main([command, "--help"])
    assert sub.value.code == 0
    assert f"usage: ars {command}" in capsys.readouterr().out


def test_ars_without_a_command_prints_help_and_fails(capsys):
    from ars_analysis.cli import main

    assert main([]) == 2
    assert "COMMAND" in capsys.readouterr().out


def test_report_intro_states_period_parameters_and_quality_in_the_report_language():
    from ars_analysis.presentation.record import report_intro

    ds = _dataset()
    ds.quality = pd.DataFrame(
        [
            {"severity": "warning", "table": "sales", "n_rows": 187},
            {"severity": "warning", "table": "visits", "n_rows": 3},
        ]
    )
    zh = report_intro("核心客户分析", ds, {"region": "华东", "cuts": [0.8, 0.95]}, "zh").data
    assert zh.startswith("# 核心客户分析")
    assert "数据期间：2025-01-10 至 2025-03-31" in zh
    assert "| region | 华东 |" in zh and "| cuts | 0.8, 0.95 |" in zh
    assert "提示2 项（涉及 190 行）" in zh and "rows" not in zh
    en = report_intro("Core customers", ds, {}, "en").data
    assert "Data period: 2025-01-10 to 2025-03-31" in en and "Warning: 2 (190 rows)" in en
