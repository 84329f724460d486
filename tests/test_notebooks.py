"""Notebook tests.

1. The nbval reference mechanism (``tests/notebooks/make_references.py``) really compares the
   key results: a reference built from a small notebook passes nbval, and the same reference
   with one number changed fails.
2. Each analysis notebook runs under papermill with non-default parameters (another region, the
   other language) and the values it records in ``results.json`` agree with an independent
   computation in plain pandas on the same subset of the sample data.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "data" / "sample"
NOTEBOOKS = REPO / "notebooks"
REFS = REPO / "tests" / "notebooks"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _load_make_references():
    spec = importlib.util.spec_from_file_location("make_references", REFS / "make_references.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


mr = _load_make_references()


# ---------------------------------------------------------------------------- 1. nbval mechanism


def test_rewrite_parameters_shifts_relative_paths_only():
    src = (
        'data_path = "../data/sample"\nmapping_path = None\nplan = "../ars_analysis/config/p.yml"\n'
        'name = "x"\noutput_dir = "../reports/x"\nn = 3  # comment\nn_scenarios = 2000\n'
    )
    out = mr.rewrite_parameters(src, "x")
    ns: dict = {}
    exec(out, ns)  # noqa: S102 - our own test string
    assert ns["n_scenarios"] == mr.TINY_PARAMETERS["n_scenarios"] < 2000  # tiny sizes for nbval
    assert ns["data_path"] == "../../data/sample"
    assert ns["plan"] == "../../ars_analysis/config/p.yml"
    assert ns["name"] == "x" and ns["n"] == 3 and ns["mapping_path"] is None
    assert Path(ns["output_dir"]).parts[-2:] == ("ars_nbval", "x")
    assert "n = 3  # comment" in out


def _tiny_notebook(folder: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    params = nbformat.v4.new_code_cell(
        'data_path = "../data/sample"\noutput_dir = "../reports/tiny"'
    )
    params.metadata["tags"] = ["parameters"]
    key = nbformat.v4.new_code_cell(
        "import pandas as pd\nsales = pd.read_csv(f'{data_path}/sales.csv')\n"
        "print(sales.groupby('region')['revenue'].sum().round(2).to_string())"
    )
    key.metadata["tags"] = ["key-result"]
    volatile = nbformat.v4.new_code_cell("import random, time\nprint(random.random(), time.time())")
    nb.cells = [nbformat.v4.new_markdown_cell("# tiny"), params, key, volatile]
    folder.mkdir(parents=True)
    path = folder / "tiny.ipynb"
    nbformat.write(nb, path)
    return path


def _nbval(path: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval", str(path), "-p", "no:cacheprovider", "-q",
         "--nbval-sanitize-with", str(REFS / "sanitize.cfg"), "-o", "addopts=", "--rootdir", str(path.parent)],
        capture_output=True, text=True, cwd=path.parent, timeout=300,
    )  # fmt: skip


@pytest.mark.slow
def test_reference_compares_key_results_and_fails_when_a_number_changes(tmp_path):
    # layout like the repo: <root>/notebooks/tiny.ipynb, <root>/data/sample, <root>/tests/notebooks
    data = tmp_path / "data" / "sample"
    data.mkdir(parents=True)
    (data / "sales.csv").write_text(
        "region,revenue\n华东,10.5\n华南,2.25\n华东,1\n", encoding="utf-8"
    )
    src = _tiny_notebook(tmp_path / "notebooks")
    refs = tmp_path / "tests" / "notebooks"
    refs.mkdir(parents=True)

    name, status, _ = mr.make_reference(src, refs)
    assert status == "written"
    assert mr.make_reference(src, refs)[1] == "unchanged"  # idempotent
    ref_path = refs / name
    ref = nbformat.read(ref_path, as_version=4)
    key, volatile = ref.cells[2], ref.cells[3]
    assert "华东    11.50" in key.outputs[0]["text"] and key.execution_count == 1
    assert volatile.outputs == [] and volatile.execution_count is None
    assert "../../data/sample" in ref.cells[1].source

    ok = _nbval(ref_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "3 passed" in ok.stdout  # parameters, key result and volatile cell all run

    key.outputs[0]["text"] = key.outputs[0]["text"].replace("11.50", "11.51")
    nbformat.write(ref, ref_path)
    bad = _nbval(ref_path)
    assert bad.returncode != 0
    assert "Cell outputs differ" in bad.stdout and "1 failed" in bad.stdout


def test_reference_builder_rejects_errors_and_missing_key_results():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    executed = nbformat.v4.new_notebook()
    executed.cells = [nbformat.v4.new_code_cell("x = 1")]
    with pytest.raises(ValueError, match="no cell tagged 'key-result'"):
        mr.reference_from_executed(executed, nb)
    executed.cells[0].outputs = [
        nbformat.v4.new_output("error", ename="KeyError", evalue="'x'", traceback=[])
    ]
    with pytest.raises(ValueError, match="cell 0 failed: KeyError"):
        mr.reference_from_executed(executed, nb)


def test_committed_references_keep_only_key_result_outputs():
    refs = sorted(REFS.glob("*.ipynb"))
    assert refs, "run tests/notebooks/make_references.py"
    for path in refs:
        assert (NOTEBOOKS / path.name).exists(), f"{path.name}: no such notebook in notebooks/"
        nb = nbformat.read(path, as_version=4)
        keys = 0
        for cell in nb.cells:
            if cell.cell_type != "code":
                continue
            if "key-result" in cell.metadata.get("tags", []):
                keys += 1
                assert cell.outputs and cell.execution_count, (
                    f"{path.name}: key result without output"
                )
            else:
                assert not cell.outputs and cell.execution_count is None
        assert keys >= 1
        # same code as the notebook, except the parameters cell
        src = nbformat.read(NOTEBOOKS / path.name, as_version=4)
        assert [c.source for c in src.cells if "parameters" not in c.metadata.get("tags", [])] == [
            c.source for c in nb.cells if "parameters" not in c.metadata.get("tags", [])
        ], f"{path.name} is stale: rerun tests/notebooks/make_references.py"
        # and the parameters cell is the notebook's, rewritten (paths, tiny sizes)
        params = [c.source for c in mr.runnable_copy(src, path.stem).cells if "parameters" in
                  c.metadata.get("tags", [])]  # fmt: skip
        assert params == [c.source for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
        assert f"n_boot = {mr.TINY_PARAMETERS['n_boot']}" in params[0] or "n_boot" not in params[0]


# ---------------------------------------------------------------------------- 2. papermill


def _run(notebook: str, tmp_path: Path, **params) -> tuple[dict, nbformat.NotebookNode]:
    import papermill as pm

    out_dir = tmp_path / "out"
    params = {"data_path": str(SAMPLE), "output_dir": str(out_dir), **params}
    executed = tmp_path / notebook
    from ars_analysis.reports.html import _inline_charts

    with _inline_charts():  # as the report runner does
        pm.execute_notebook(
            str(NOTEBOOKS / notebook), str(executed), parameters=params, cwd=str(NOTEBOOKS),
            kernel_name="python3", progress_bar=False,
        )  # fmt: skip
    results = json.loads((out_dir / "results.json").read_text(encoding="utf-8"))
    assert list(out_dir.glob("*.xlsx")), "the notebook wrote no Excel workbook"
    nb = nbformat.read(executed, as_version=4)
    charts = sum("image/png" in o.get("data", {}) for c in nb.cells for o in c.get("outputs", []))
    assert charts >= 3, f"{notebook} showed {charts} charts"
    return results, nb


def _key_outputs(nb) -> list[str]:
    return [
        "".join(o.get("text", "") for o in c.outputs if o.get("output_type") == "stream")
        for c in nb.cells
        if c.cell_type == "code" and "key-result" in c.metadata.get("tags", [])
    ]


def _assert_english_headers(nb):
    outs = _key_outputs(nb)
    assert outs
    for text in outs:
        first = text.strip().splitlines()[0] if text.strip() else ""
        assert not CJK.search(first), f"Chinese header in an English report: {first!r}"


@pytest.mark.slow
@pytest.mark.notebook
def test_field_execution_notebook_other_region_in_english(tmp_path):
    region = "华南"
    results, nb = _run("04_field_execution.ipynb", tmp_path, region=region, lang="en")
    # key results are ReportTables: their plain-text twin (what nbval compares) is in English
    plain = [
        o["data"].get("text/plain", "")
        for c in nb.cells
        if "key-result" in c.metadata.get("tags", [])
        for o in c.outputs
        if o.get("output_type") == "execute_result"
    ]
    assert len(plain) >= 3
    for text in plain:
        title, headers = text.splitlines()[:2]
        assert not CJK.search(title + headers), f"Chinese header in an English report: {text!r}"
    # nothing printed, no raw reprs: every output is HTML or a chart
    for c in nb.cells:
        for o in c.get("outputs", []):
            assert o.get("output_type") != "stream" or o.get("name") == "stderr", o
            if o.get("output_type") in ("execute_result", "display_data"):
                assert {"text/html", "image/png"} & set(o["data"]), o["data"].keys()
    # independent: planned visits of the region's reps, done = with a check-in
    reps = pd.read_csv(SAMPLE / "reps.csv", dtype=str)
    visits = pd.read_csv(SAMPLE / "visits.csv", dtype=str)
    v = visits[visits["rep_id"].isin(reps.loc[reps["region"] == region, "rep_id"])]
    planned = v["planned_date"].notna()
    done = v["check_in"].notna()
    has_order = v["activities"].fillna("").str.split(";").apply(lambda a: "order" in a)
    assert results["visit_completion"] == pytest.approx(
        (planned & done).sum() / planned.sum(), abs=1e-4
    )
    assert results["visit_order_rate"] == pytest.approx(
        (planned & has_order).sum() / planned.sum(), abs=1e-4
    )
    assert results["n_reps"] == (reps["region"] == region).sum()
    # the region's top terminals: the shared set (ranked within the region on all data)
    terms = pd.read_csv(SAMPLE / "terminals.csv", dtype=str)
    assert set(results["top_terminal_ids"]) <= set(terms.loc[terms["region"] == region,
                                                             "terminal_id"])  # fmt: skip
    assert results["n_top_terminals"] == len(results["top_terminal_ids"]) == 83
    assert list(results["frequency_compliance_by_region"]) == [region]
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    assert summary["scope"] == "South China" and 3 <= len(summary["findings"]) <= 5
    assert any("Visit-log period" == k for k, _ in summary["periods"])


def _region_sales(region: str) -> pd.DataFrame:
    """Sales lines of a region as :func:`ars_analysis.data.dataset.subset` defines them (plain pandas):
    lines of the region's customers or of the region's terminals."""
    sales = pd.read_csv(
        SAMPLE / "sales.csv", dtype={"customer_id": str, "terminal_id": str, "rep_id": str}
    )
    cust = pd.read_csv(SAMPLE / "customers.csv", dtype=str)
    term = pd.read_csv(SAMPLE / "terminals.csv", dtype=str)
    keep = sales["customer_id"].isin(cust.loc[cust["region"] == region, "customer_id"])
    keep |= sales["terminal_id"].isin(term.loc[term["region"] == region, "terminal_id"])
    return sales[keep]


@pytest.mark.slow
@pytest.mark.notebook
def test_incentive_notebook_other_region_in_english(tmp_path):
    from ars_analysis.presentation.page import notebook_page

    region = "华北"
    results, nb = _run(
        "03_incentive_scenarios.ipynb", tmp_path, region=region, lang="en", n_scenarios=200
    )
    # the comparison window is the visit log's months (plain pandas on the CSV)
    visits = pd.read_csv(SAMPLE / "visits.csv", dtype=str)
    months = sorted(pd.to_datetime(visits["planned_date"]).dt.strftime("%Y-%m").dropna().unique())
    assert results["kpi_window"] == [months[0], months[-1]]
    assert results["comparison_window"] == results["kpi_window"]
    # the backtest covers exactly the region's reps' revenue in those months
    reps = pd.read_csv(SAMPLE / "reps.csv", dtype=str)
    ids = set(reps.loc[reps["region"] == region, "rep_id"])
    sales = pd.read_csv(SAMPLE / "sales.csv", dtype={"rep_id": str}, parse_dates=["date"])
    sales["period"] = sales["date"].dt.strftime("%Y-%m")
    lo, hi = results["comparison_window"]
    revenue = sales.loc[sales["rep_id"].isin(ids) & sales["period"].between(lo, hi), "revenue"]
    book = tmp_path / "out" / "incentive_scenarios.xlsx"
    per_rep = pd.read_excel(book, sheet_name="Reps (comparison window)")
    by_plan = per_rep.groupby("Plan")[["Revenue (CNY)", "Total pay (CNY)"]].sum()
    assert len(by_plan) == len(results["plans"]) == 3
    assert by_plan["Revenue (CNY)"].to_numpy() == pytest.approx(revenue.sum(), rel=1e-9)
    assert sorted(by_plan["Total pay (CNY)"]) == pytest.approx(
        sorted(results["plan_cost"].values()), abs=0.05
    )
    for plan, cost in results["plan_cost"].items():
        assert results["incentive_cost_rate"][plan] == pytest.approx(cost / revenue.sum(), abs=1e-6)
    assert results["n_scenarios"] == 200 and results["budget"] > 0
    assert all(0 <= p <= 1 for p in results["prob_over_budget"].values())
    # what the client sees: English plan names, no reprs, no parameter names, no paths
    page = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", notebook_page(nb, "en", "03"))
    for bad in (
        "<Axes",
        "{'",
        "cost_of_sales",
        "config/plans",
        "现行方案",
        "方案A",
        "...",
        "NaN",
        "None",
        "category_share",
    ):
        assert bad not in page, bad
    assert "Current plan" in page and "Plan B: margin commission + behaviour" in page
    assert "Monthly guarantee (recoverable)" in page  # B's guarantee is listed


@pytest.mark.slow
@pytest.mark.notebook
def test_core_customer_notebook_other_region_in_english(tmp_path):
    import math

    import numpy as np

    from ars_analysis.presentation.page import notebook_page

    region = "华南"
    results, nb = _run("01_core_customers.ipynb", tmp_path, region=region, lang="en")
    # key results are ReportTables: their text twin (what nbval compares) is English
    keys = [
        o["data"]["text/plain"]
        for c in nb.cells
        if c.cell_type == "code" and "key-result" in c.metadata.get("tags", [])
        for o in c.outputs
        if o.get("output_type") == "execute_result"
    ]
    assert len(keys) >= 2
    for text in keys:
        assert not CJK.search(text.splitlines()[0] + text.splitlines()[1]), text[:200]
    # the client page: no Python, no raw category values, no truncation, no print
    page = re.sub(r"data:image/[a-z]+;base64,[A-Za-z0-9+/=]+", "", notebook_page(nb, "en", "x"))
    for bad in ("NaN", "None", "True", "False", "...", ">same<", ">up<", "abc_class", "{'"):
        assert bad not in page, bad
    assert not [o for c in nb.cells for o in c.get("outputs", []) if o.get("name") == "stdout"]
    # independent (plain pandas): the distributors of the region, each with ALL its sales
    sales = pd.read_csv(SAMPLE / "sales.csv", dtype={"customer_id": str, "terminal_id": str})
    cust = pd.read_csv(SAMPLE / "customers.csv", dtype=str)
    mine = cust[cust["region"] == region]
    rev = sales.groupby("customer_id")["revenue"].sum().clip(lower=0)
    assert results["n_customers"] == len(mine)
    assert sorted(results["grades"]) == sorted(mine["customer_id"])
    assert results["n_grade_a"] == sum(g == "A" for g in results["grades"].values())
    # ABC: every territory of the region has fewer than 10 distributors and the region has 16,
    # so the region is ranked as one group (the client's abc_min_group = 10)
    assert (mine.groupby("territory").size() < 10).all() and len(mine) >= 10
    v = rev.reindex(mine["customer_id"]).fillna(0.0).sort_values(ascending=False)
    before = v.cumsum() - v
    is_a = before / v.sum() < 0.8 - 1e-12
    assert results["n_abc_a"] == int(is_a.sum())
    assert results["abc_a_share"] == pytest.approx(v[is_a].sum() / v.sum(), abs=1e-4)
    # top terminals: the region's terminals ranked by sales, the top 20 % (ceil), shared set
    term = pd.read_csv(SAMPLE / "terminals.csv", dtype=str)
    t = term[term["region"] == region][["terminal_id"]].copy()
    t["revenue"] = t["terminal_id"].map(sales.groupby("terminal_id")["revenue"].sum()).fillna(0)
    t = t.sort_values(["revenue", "terminal_id"], ascending=[False, True])
    top = t.head(math.ceil(0.2 * len(t) - 1e-9))
    assert results["top_terminal_ids"] == sorted(top.loc[top["revenue"] > 0, "terminal_id"])
    assert np.isfinite(results["n_seedlings"]) and results["segments_shown"] is False


@pytest.mark.slow
@pytest.mark.notebook
def test_terminal_notebook_other_region_in_english(tmp_path):
    import numpy as np

    region = "华东"
    results, nb = _run(
        "02_terminal_network.ipynb", tmp_path, region=region, lang="en", n_boot=100, gof_boot=50
    )
    _assert_english_headers(nb)
    # the tables the key-result cells show have English headers (terminal types too)
    for cell in nb.cells:
        if cell.cell_type == "code" and "key-result" in cell.metadata.get("tags", []):
            for o in cell.outputs:
                text = o.get("data", {}).get("text/plain", "")
                header = text.strip().splitlines()[:2]
                assert not any(CJK.search(h) for h in header), header
    # the region's terminals (terminal master), with all their sales in the period
    sales = pd.read_csv(SAMPLE / "sales.csv", dtype={"customer_id": str, "terminal_id": str})
    term = pd.read_csv(SAMPLE / "terminals.csv", dtype=str)
    ids = set(term.loc[term["region"] == region, "terminal_id"])
    v = sales[sales["terminal_id"].isin(ids)].groupby("terminal_id")["revenue"].sum()
    v = v[v > 0].to_numpy()
    n = len(v)
    assert results["n_terminals"] == n
    # Gini as mean absolute difference / (2 * mean), top-20 % share on the Lorenz curve
    gini = np.abs(v[:, None] - v[None, :]).sum() / (2 * n * n * v.mean())
    assert results["gini"] == pytest.approx(gini, abs=1e-4)
    desc = np.sort(v)[::-1]
    cum = np.concatenate([[0.0], np.cumsum(desc)]) / desc.sum()
    assert results["top_share"] == pytest.approx(
        np.interp(0.2, np.arange(n + 1) / n, cum), abs=1e-4
    )
    # top terminals: the 20 % of the region's terminals with the highest revenue (ties by ID)
    allv = sales.groupby("terminal_id")["revenue"].sum()
    reg = term.loc[term["region"] == region, ["terminal_id"]].copy()
    reg["v"] = reg["terminal_id"].map(allv).fillna(0.0)
    reg = reg.sort_values(["v", "terminal_id"], ascending=[False, True])
    top = reg.head(int(np.ceil(0.2 * len(reg) - 1e-9)))
    assert results["top_terminal_ids"] == sorted(top.loc[top["v"] > 0, "terminal_id"])
    assert results["n_top_terminals"] == len(results["top_terminal_ids"])
    # the tail fit is reported with its status; when fitted, alpha is the closed-form MLE
    # (Clauset et al. 2009, eq. 3.1)
    assert results["tail_status"] in ("valid", "rejected", "too_few", "failed")
    if results["xmin"] is not None:
        tail = v[v >= results["xmin"] - 1e-6]
        assert results["n_tail"] == len(tail)
        alpha = 1 + len(tail) / np.log(tail / results["xmin"]).sum()
        assert results["alpha"] == pytest.approx(alpha, abs=1e-3)
    assert results["margin_basis"] == "ours"  # the sample has no retail price
