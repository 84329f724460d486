"""Tests of the batch report runner (ars render) on small notebooks built here."""

from __future__ import annotations

import argparse
import json
import os
import re
from pathlib import Path

import nbformat
import pytest

from ars_analysis import __version__
from ars_analysis.reports import (
    ERROR_HTML,
    INDEX_HTML,
    REPORT_HTML,
    Job,
    Param,
    ReportConfigError,
    add_cli,
    check_jobs,
    check_value,
    data_fingerprint,
    default_config_path,
    expand_jobs,
    job_dir,
    load_config,
    notebook_parameters,
    render,
    safe_name,
    select_jobs,
)

PARAMS = """data_path = "../data/sample"
mapping_path = None
start = None
end = None
region = None
lang = "zh"
output_dir = "../reports/x"
client_config = None
n = 3
ratio = 0.5
flag = False
names = ["a", "b"]
"""


def make_notebook(folder: Path, name: str, *codes: str, params: str = PARAMS) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    pcell = nbformat.v4.new_code_cell(params)
    pcell.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}"), pcell]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in codes]
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _bytes_of(*paths: Path) -> dict[str, bytes]:
    """The bytes of every file under ``paths`` (input files must never change)."""
    files = [q for p in paths for q in ([p] if p.is_file() else sorted(p.rglob("*")))]
    return {str(f): f.read_bytes() for f in files if f.is_file()}


@pytest.fixture
def data_dir(tmp_path):
    d = tmp_path / "data"
    d.mkdir()
    (d / "customers.csv").write_text(
        "customer_id,region\nC1,华东\nC2,华南\nC3,华东\nC4,西北/西南\n", encoding="utf-8"
    )
    (d / "sales.csv").write_text(
        "date,customer_id,product_id,quantity,revenue\n"
        "2025-01-03,C1,P1,1,10\n2025-06-30,C2,P1,2,20\n",
        encoding="utf-8",
    )
    return d


# ---------------------------------------------------------------------------- safe names


ADVERSARIAL = [
    "..",
    ".",
    "...",
    "",
    "/",
    "../../etc/passwd",
    "/etc/passwd",
    "a/../../b",
    "华东/..",
    "..\\..\\windows",
    "\x00..",
    "~/x",
    ".hidden",
    "C:\\evil",
    "a" * 500,
]


@pytest.mark.parametrize("name", ADVERSARIAL)
def test_job_dir_never_escapes_output_folder(tmp_path, name):
    root = tmp_path / "reports"
    path = job_dir(root, name)
    assert path.parent == root.resolve()
    assert path != root.resolve()
    assert "/" not in path.name and "\\" not in path.name
    assert not path.name.startswith(".")
    assert path.name not in (".", "..")


def test_safe_name_keeps_chinese_and_is_stable():
    assert safe_name("01_core_customers-华东") == "01_core_customers-华东"
    assert safe_name("华南 / 广东") == "华南_广东"
    assert safe_name("../华北") == "华北"
    assert safe_name(safe_name("a/b")) == safe_name("a/b")


def test_region_names_with_separators_stay_inside(tmp_path, data_dir):
    nbs = tmp_path / "nbs"
    make_notebook(nbs, "ok", "x = 1")
    cfg_path = write_config(
        tmp_path / "r.yml",
        f"data_path: {data_dir}\nnotebooks_dir: {nbs}\noutput_dir: {tmp_path / 'out'}\n"
        "jobs:\n  - notebook: ok\n    regions: ['../../escape', '西北/西南', '..']\n",
    )
    jobs = expand_jobs(load_config(cfg_path))
    out = (tmp_path / "out").resolve()
    assert len(jobs) == 3
    for j in jobs:
        assert j.out_dir.parent == out
        assert (j.notebook.parent / j.parameters["output_dir"]).resolve() == j.out_dir
    # the region value given to the notebook is the real one, only the folder name is cleaned
    assert [j.parameters["region"] for j in jobs] == ["../../escape", "西北/西南", ".."]


def test_names_that_collide_after_cleaning_are_an_error(tmp_path, data_dir):
    nbs = tmp_path / "nbs"
    make_notebook(nbs, "ok", "x = 1")
    cfg_path = write_config(
        tmp_path / "r.yml",
        f"data_path: {data_dir}\nnotebooks_dir: {nbs}\noutput_dir: {tmp_path / 'out'}\n"
        "jobs:\n  - notebook: ok\n    regions: ['a/b', 'a b']\n",
    )
    with pytest.raises(ReportConfigError, match="duplicate job names"):
        expand_jobs(load_config(cfg_path))


# ---------------------------------------------------------------------------- parameters


def test_notebook_parameters_parsed_with_types(tmp_path):
    nb = make_notebook(tmp_path, "p", params=PARAMS + "top: int = 10\nexpr = 2 * 3\n")
    params = notebook_parameters(nb)
    assert params["n"] == Param("n", 3, int)
    assert params["ratio"].kind is float
    assert params["flag"].kind is bool
    assert params["names"].kind is list
    assert params["region"].kind is None
    assert params["top"] == Param("top", 10, int)
    assert params["expr"].kind is None  # not a literal: any type accepted


def test_notebook_without_parameters_cell_is_an_error(tmp_path):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("x = 1")]
    path = tmp_path / "np.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ReportConfigError, match="no code cell tagged 'parameters'"):
        notebook_parameters(path)


@pytest.mark.parametrize(
    "param, value, ok",
    [
        (Param("n", 3, int), 5, True),
        (Param("n", 3, int), "5", False),
        (Param("n", 3, int), 5.0, False),
        (Param("n", 3, int), True, False),
        (Param("x", 0.5, float), 2, True),
        (Param("x", 0.5, float), "2", False),
        (Param("f", False, bool), 0, False),
        (Param("f", False, bool), True, True),
        (Param("s", "zh", str), None, False),
        (Param("l", ["a"], list), ["b", "c"], True),
        (Param("l", ["a"], list), "a", False),
        (Param("r", None, None), ["华东", "华南"], True),
        (Param("r", None, None), {"a": 1}, True),
        (Param("r", None, None), object(), False),
    ],
)
def test_check_value(param, value, ok):
    assert (check_value(param, value) is None) is ok


def test_unknown_or_wrong_parameter_fails_before_any_job_runs(tmp_path, data_dir):
    nbs = tmp_path / "nbs"
    make_notebook(nbs, "ok", "x = 1")
    make_notebook(nbs, "ok2", "x = 2")
    out = tmp_path / "out"
    cfg_path = write_config(
        tmp_path / "r.yml",
        f"data_path: {data_dir}\nnotebooks_dir: {nbs}\noutput_dir: {out}\n"
        "jobs:\n  - notebook: ok\n  - notebook: ok2\n    parameters: {n: 'three', colour: red}\n",
    )
    with pytest.raises(ReportConfigError) as info:
        render(cfg_path, jobs=1, progress=False)
    msg = str(info.value)
    assert "job 'ok2'" in msg and "'colour'" in msg and "unknown parameter" in msg
    assert "parameter 'n'" in msg and "expected int" in msg
    assert "job 'ok'" not in msg
    assert not out.exists()  # nothing ran, nothing written


def test_config_errors_name_the_key(tmp_path, data_dir):
    nbs = tmp_path / "nbs"
    make_notebook(nbs, "ok", "x = 1")
    base = f"data_path: {data_dir}\nnotebooks_dir: {nbs}\n"
    cases = {
        "jobs: []\n": "jobs: expected a non-empty list of jobs",
        "colour: red\njobs:\n  - notebook: ok\n": "colour: expected one of the keys \\[",
        "jobs:\n  - notebook: ok\n    regions: 7\n": r"jobs\[0\]\.regions: expected 'all' or a list",
        "lang: fr\njobs:\n  - notebook: ok\n": r"lang: expected one of \['zh', 'en'\]",
        "start: 2025-13-01\njobs:\n  - notebook: ok\n": "month must be in",
        "start: 'first of May'\njobs:\n  - notebook: ok\n": "start: expected an ISO date",
        "timeout: -1\njobs:\n  - notebook: ok\n": "timeout: expected a number > 0",
        "jobs:\n  - notebok: ok\n": r"jobs\[0\]\.notebok: .*did you mean 'notebook'",
        "jobs:\n  - notebook: ok\n    timeout: soon\n": r"jobs\[0\]\.timeout: expected a number",
    }
    for i, (text, pattern) in enumerate(cases.items()):
        path = write_config(tmp_path / f"c{i}.yml", base + text)
        with pytest.raises(ReportConfigError, match=pattern) as err:
            check_jobs(expand_jobs(load_config(path)))
        assert str(path) in str(err.value)


def test_missing_notebook_is_reported_only_when_selected(tmp_path, data_dir):
    nbs = tmp_path / "nbs"
    make_notebook(nbs, "ok", "x = 1")
    path = write_config(
        tmp_path / "r.yml",
        f"data_path: {data_dir}\nnotebooks_dir: {nbs}\njobs:\n  - notebook: ok\n  - notebook: missing\n",
    )
    jobs = expand_jobs(load_config(path))
    with pytest.raises(
        ReportConfigError, match="job 'missing': notebook .*missing.ipynb not found"
    ):
        check_jobs(jobs)
    check_jobs(select_jobs(jobs, "ok"))


def test_relative_paths_are_relative_to_the_working_directory(tmp_path, monkeypatch):
    cfg_dir = tmp_path / "elsewhere"
    cfg_dir.mkdir()
    path = write_config(cfg_dir / "r.yml", "data_path: d\njobs:\n  - notebook: x\n")
    monkeypatch.chdir(tmp_path)
    cfg = load_config(path)
    assert cfg.data_path == tmp_path / "d"
    assert cfg.output_dir == tmp_path / "reports"
    assert cfg.notebooks_dir == tmp_path / "notebooks"


def test_regions_all_and_language_expansion(tmp_path, data_dir):
    nbs = tmp_path / "nbs"
    make_notebook(nbs, "ok", "x = 1")
    cfg_path = write_config(
        tmp_path / "r.yml",
        f"data_path: {data_dir}\nnotebooks_dir: {nbs}\noutput_dir: {tmp_path / 'out'}\n"
        "start: 2025-01-01\n"
        "jobs:\n  - notebook: ok\n    regions: all\n    include_all: true\n    lang: [zh, en]\n"
        "  - notebook: ok\n    name: second\n    parameters: {n: 7, ratio: 1}\n    end: 2025-03-31\n",
    )
    jobs = expand_jobs(load_config(cfg_path))
    names = [j.name for j in jobs]
    assert names == [
        "ok-zh", "ok-en", "ok-华东-zh", "ok-华东-en", "ok-华南-zh", "ok-华南-en",
        "ok-西北_西南-zh", "ok-西北_西南-en", "second",
    ]  # fmt: skip
    second = jobs[-1].parameters
    assert second["n"] == 7 and second["start"] == "2025-01-01" and second["end"] == "2025-03-31"
    assert jobs[0].parameters["region"] is None and jobs[2].parameters["region"] == "华东"
    check_jobs(jobs)  # all valid
    assert [j.name for j in select_jobs(jobs, "华东")] == ["ok-华东-zh", "ok-华东-en"]
    assert [j.name for j in select_jobs(jobs, "*-en,second")] == [
        "ok-en", "ok-华东-en", "ok-华南-en", "ok-西北_西南-en", "second",
    ]  # fmt: skip


def test_data_fingerprint_changes_with_content(tmp_path, data_dir):
    a = data_fingerprint(data_dir)
    assert re.fullmatch(r"[0-9a-f]{12}", a)
    assert data_fingerprint(data_dir) == a
    f = data_dir / "sales.csv"
    f.write_text(f.read_text(encoding="utf-8").replace("10", "11"), encoding="utf-8")
    assert data_fingerprint(data_dir) != a


def test_default_config_is_valid():
    cfg = load_config(default_config_path())
    assert cfg.jobs and cfg.output_dir.name == "reports"
    assert cfg.data_path.parts[-2:] == ("data", "sample")


def test_cli_help_and_arguments(capsys):
    parser = argparse.ArgumentParser(prog="ars")
    add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["render", "--jobs", "2", "--only", "01_*", "--timeout", "30"])
    assert (args.jobs, args.only, args.timeout) == (2, "01_*", 30.0)
    assert callable(args.func)
    with pytest.raises(SystemExit) as exc:
        parser.parse_args(["render", "--help"])
    assert exc.value.code == 0
    help_text = capsys.readouterr().out
    for opt in ("--config", "--jobs", "--only", "--timeout"):
        assert opt in help_text


# ---------------------------------------------------------------------------- running


@pytest.mark.slow
def test_render_end_to_end(tmp_path, data_dir, capsys, monkeypatch):
    """ok / failing / timed-out / Chinese-chart jobs in one parallel run."""
    # a headless server often sets this; the reports must still get their charts
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nbs = tmp_path / "nbs"
    make_notebook(
        nbs,
        "ok",
        "import sys\nfrom IPython.display import HTML\nprint('STDOUT_MARKER')\n"
        "print('STDERR_MARKER', file=sys.stderr)\nHTML(f'<p>SHOWN {n} {region} {lang}</p>')",
        "import warnings\nwarnings.warn('WARNING_MARKER')",
        "import pandas as pd\nfrom ars_analysis.data.outputs import write_excel\n"
        "write_excel(f'{output_dir}/table.xlsx', {'t': pd.DataFrame({'a': [n]})})",
        "from ars_analysis.presentation.record import record_results\n"
        "record_results(output_dir, n=n, total_revenue=1234.5)",
        "from ars_analysis.presentation import KeyResult, ReportSummary, save_summary\n"
        "save_summary(output_dir, ReportSummary(title='谁是核心客户？', question='Q', lang=lang,"
        " scope=region, periods=[('销售数据期间', '2025-01-03 – 2025-06-30')],"
        " key_results=[KeyResult('total_revenue', '销售额（元）', '1,234.5')]))",
    )
    make_notebook(
        nbs, "boom", "y = 1", "z = y + 1\nraise ValueError('BOOM_MARKER')", "print('never')"
    )
    make_notebook(nbs, "slow", "import time\ntime.sleep(60)")
    make_notebook(
        nbs,
        "chart",
        "import matplotlib.pyplot as plt\nfrom ars_analysis.charts.style import use_style\n"
        "use_style()\nfig, ax = plt.subplots()\nax.bar(['华东', '华南'], [1, 2])\n"
        "ax.set_title('区域销售额')",  # shown by the inline backend, like the real notebooks
    )
    out = tmp_path / "out"
    with open(data_dir / "customers.csv", "a", encoding="utf-8") as fh:
        fh.write("C5,../escape\n")  # regions are checked against the data before any job runs
    cfg_path = write_config(
        tmp_path / "r.yml",
        f"client: 测试客户\ndata_path: {data_dir}\nnotebooks_dir: {nbs}\noutput_dir: {out}\n"
        "timeout: 120\n"
        "jobs:\n"
        "  - notebook: ok\n    regions: ['华东', '../escape']\n"
        "    parameters: {n: 42}\n"
        "  - notebook: boom\n  - notebook: slow\n    timeout: 3\n  - notebook: chart\n",
    )
    inputs_before = _bytes_of(data_dir, nbs, cfg_path)
    parser = argparse.ArgumentParser(prog="ars")
    add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["render", "--config", str(cfg_path), "--jobs", "2", "--quiet"])
    code = args.func(args)
    printed = capsys.readouterr().out
    assert _bytes_of(data_dir, nbs, cfg_path) == inputs_before  # inputs are only read
    assert code == 1  # some jobs failed
    assert "3/5 reports rendered" in printed
    assert re.search(r"FAILED\s+boom: ValueError: BOOM_MARKER", printed)
    assert re.search(r"TIMEOUT\s+slow", printed)

    # every output is inside the output folder, no temp files left behind
    assert sorted(p.name for p in out.iterdir() if p.is_dir() and not p.name.startswith(".")) == [
        "boom", "chart", "ok-_escape", "ok-华东", "slow",
    ]  # fmt: skip
    assert not [p for p in out.rglob("*.tmp")] and not list(tmp_path.glob("escape*"))

    ok = out / "ok-华东"
    assert (ok / "ok.ipynb").exists() and (ok / "table.xlsx").exists()
    assert json.loads((ok / "results.json").read_text(encoding="utf-8"))["n"] == 42
    executed = nbformat.read(ok / "ok.ipynb", as_version=4)
    assert any("STDERR_MARKER" in json.dumps(c.get("outputs", [])) for c in executed.cells)
    page = (ok / REPORT_HTML).read_text(encoding="utf-8")
    assert "SHOWN 42 华东 zh" in page and "STDOUT_MARKER" not in page  # HTML kept, prints not
    assert "STDERR_MARKER" not in page and "WARNING_MARKER" not in page  # hidden from client
    assert "print(" not in page and "record_results" not in page  # no code
    assert not re.search(r"In&nbsp;\[\d*\]|Out\[\d+\]", page)  # no prompts

    err = (out / "boom" / ERROR_HTML).read_text(encoding="utf-8")
    assert "raise ValueError(&#x27;BOOM_MARKER&#x27;)" in err  # failing cell's source
    assert "ValueError" in err and "Traceback" in err or "---" in err
    assert "never" not in err
    assert not (out / "boom" / REPORT_HTML).exists()
    slow = (out / "slow" / ERROR_HTML).read_text(encoding="utf-8")
    assert "超过时限（3 秒）" in slow and "<pre>import time\ntime.sleep(60)</pre>" in slow

    chart = (out / "chart" / REPORT_HTML).read_text(encoding="utf-8")
    assert "data:image/png;base64" in chart

    index = (out / INDEX_HTML).read_text(encoding="utf-8")
    for name in ("ok-华东", "ok-_escape", "chart"):
        assert f'href="{name}/{REPORT_HTML}"' in index
    for name in ("boom", "slow"):
        assert f'href="{name}/{ERROR_HTML}"' in index
    assert 'href="ok-华东/table.xlsx"' in index
    assert "销售额（元）：1,234.5" in index  # key results from summary.json, with their labels
    assert "total_revenue" not in index  # never a results.json key
    assert ">谁是核心客户？</a>" in index  # the report's title, not the job name
    assert data_fingerprint(data_dir) in index and __version__ in index
    # one executive summary per scope and language, linked from the index
    summaries = sorted(p.name for p in out.glob("summary-*.html"))
    assert summaries == [
        "summary-escape-zh.html",
        "summary-national-zh.html",
        "summary-华东-zh.html",
    ]
    assert all(f'href="{s}"' in index for s in summaries)
    east = (out / "summary-华东-zh.html").read_text(encoding="utf-8")
    assert '<a href="ok-华东/report.html">谁是核心客户？</a>' in east
    # the client's name comes from the client configuration (here: the packaged sample client)
    assert "示例客户（样本数据）" in index and "分析报告目录" in index  # zh labels
    assert "2025-01-03 – 2025-06-30" in index  # data period
    assert (
        index.count('class="ok"') == 3 and 'class="failed"' in index and 'class="timeout"' in index
    )

    # rerun only one job in English: the index keeps the others and switches language
    cfg_path.write_text(
        cfg_path.read_text(encoding="utf-8").replace("client:", "lang: en\nclient:"),
        encoding="utf-8",
    )
    results = render(cfg_path, jobs=1, only="boom", progress=False)
    assert [r["status"] for r in results] == ["failed"]
    index = (out / INDEX_HTML).read_text(encoding="utf-8")
    assert "Report index" in index and 'href="chart/report.html"' in index and "Timed out" in index
    assert 'href="index-zh.html"' in index and (out / "index-zh.html").exists()


@pytest.mark.notebook
def test_job_parameters_reach_the_notebook(tmp_path, data_dir):
    """One job through run_job directly: the injected parameters are the job's."""
    from ars_analysis.reports import run_job

    nbs = tmp_path / "nbs"
    nb = make_notebook(
        nbs,
        "p",
        "from ars_analysis.presentation.record import record_results\n"
        "record_results(output_dir, n=n, ratio=ratio, names=names, region=region, lang=lang)",
    )
    out = tmp_path / "out" / "p"
    params = {
        "n": 9,
        "ratio": 2,
        "names": ["华东"],
        "region": "华东",
        "lang": "en",
        "output_dir": str(out),
    }
    res = run_job(Job("p", nb.resolve(), params, timeout=60, out_dir=out))
    assert res["status"] == "ok", res
    got = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert got == {"n": 9, "ratio": 2, "names": ["华东"], "region": "华东", "lang": "en"}


def test_default_config_jobs_fit_the_notebooks(monkeypatch):
    """The packaged config, run from the repo root, expands over the sample's regions and every
    job's parameters fit its notebook (this is what `make report` runs)."""
    repo = Path(__file__).resolve().parents[1]
    monkeypatch.chdir(repo)
    cfg = load_config(default_config_path())
    jobs = expand_jobs(cfg)
    names = {j.name for j in jobs}
    regions = sorted({j.parameters["region"] for j in jobs if j.parameters["region"]})
    assert len(regions) == 8
    assert {"01_core_customers", "04_field_execution-华东", "03_incentive_scenarios-en"} <= names
    assert all(j.out_dir.parent == repo / "reports" for j in jobs)
    check_jobs(jobs)


def test_render_is_a_subcommand_of_ars():
    from ars_analysis.cli import build_parser

    args = build_parser().parse_args(["render", "--jobs", "2", "--only", "04_*"])
    assert args.command == "render" and args.jobs == 2 and args.only == "04_*"
    assert args.func.__module__ == "ars_analysis.reports.cli"


@pytest.mark.notebook
def test_dead_kernel_is_a_failure_with_an_error_page(tmp_path):
    from ars_analysis.reports import run_job

    nb = make_notebook(tmp_path / "nbs", "die", "x = 1", "import os\nos._exit(3)", "print('never')")
    out = tmp_path / "out" / "die"
    res = run_job(Job("die", nb.resolve(), {"output_dir": str(out)}, timeout=60, out_dir=out))
    assert res["status"] == "failed"
    assert "Dead" in res["message"] or "died" in res["message"].lower()
    page = (out / ERROR_HTML).read_text(encoding="utf-8")
    assert "os._exit(3)" in page  # the cell that was running
    assert not (out / REPORT_HTML).exists()
    assert (out / "die.ipynb").exists()


def test_client_html_has_no_code_prompts_or_stderr():
    from ars_analysis.reports import notebook_html

    nb = nbformat.v4.new_notebook()
    params = nbformat.v4.new_code_cell("SECRET_PARAM = 1", execution_count=1)
    params.metadata["tags"] = ["injected-parameters"]
    cell = nbformat.v4.new_code_cell("CODE_MARKER = 2\nprint(CODE_MARKER)", execution_count=2)
    cell.outputs = [
        nbformat.v4.new_output("stream", name="stdout", text="VISIBLE_OUTPUT\n"),
        nbformat.v4.new_output("stream", name="stderr", text="UserWarning: STDERR_MARKER\n"),
        nbformat.v4.new_output(
            "execute_result", data={"text/plain": "RESULT_MARKER"}, execution_count=2
        ),
        nbformat.v4.new_output(
            "display_data", data={"text/html": "<p>HTML_MARKER</p>", "text/plain": "<obj>"}
        ),
    ]
    zh = nbformat.v4.new_markdown_cell("## 中文说明 ZH_MARKER", metadata={"tags": ["lang-zh"]})
    en = nbformat.v4.new_markdown_cell("## English text EN_MARKER", metadata={"tags": ["lang-en"]})
    nb.cells = [nbformat.v4.new_markdown_cell("# 标题 TITLE_MARKER"), params, zh, en, cell]
    page = notebook_html(nb, "任务", "zh")
    assert "ZH_MARKER" in page and "EN_MARKER" not in page  # narrative in the report language
    english = notebook_html(nb, "job", "en")
    assert "EN_MARKER" in english and "ZH_MARKER" not in english
    # rich outputs (tables, charts) are kept; prints and plain-text reprs never reach a client
    assert "HTML_MARKER" in page and "TITLE_MARKER" in page
    for hidden in ("CODE_MARKER = 2", "SECRET_PARAM", "STDERR_MARKER", "VISIBLE_OUTPUT"):
        assert hidden not in page
    assert "RESULT_MARKER" not in page and "&lt;obj&gt;" not in page
    assert not re.search(r"In&nbsp;\[\d*\]|Out\[\d+\]", page)
    # the tab shows the report's title; nothing is loaded from the internet
    assert '<html lang="zh-CN">' in page and "<title>标题 TITLE_MARKER</title>" in page
    assert "<script" not in page and "http" not in page.split("<body>")[0]


def test_jobs_draw_charts_inline_whatever_mplbackend_says(monkeypatch):
    from ars_analysis.reports.html import _inline_charts

    # common on headless servers: kernels would draw nothing
    monkeypatch.setenv("MPLBACKEND", "Agg")
    with _inline_charts():
        assert os.environ["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
    assert os.environ["MPLBACKEND"] == "Agg"
    monkeypatch.delenv("MPLBACKEND")
    with _inline_charts():
        assert "inline" in os.environ["MPLBACKEND"]
    assert "MPLBACKEND" not in os.environ


# ---------------------------------------------------------------------------- issue 12


def _config(tmp_path, data_dir, jobs: str, **extra) -> Path:
    nbs = tmp_path / "nbs"
    if not (nbs / "ok.ipynb").exists():
        make_notebook(nbs, "ok", "x = 1")
    settings = {"data_path": data_dir, "notebooks_dir": nbs, "output_dir": tmp_path / "out"}
    settings.update(extra)
    head = "".join(f"{k}: {v}\n" for k, v in settings.items())
    return write_config(tmp_path / "r.yml", head + "jobs:\n" + jobs)


@pytest.mark.parametrize(
    "region, hint",
    [("火星", None), ("华 东", "华东"), ("华东 ", "华东")],
)
def test_regions_not_in_the_data_fail_before_any_job(tmp_path, data_dir, region, hint):
    cfg = _config(tmp_path, data_dir, f"  - notebook: ok\n    regions: ['华南', '{region}']\n")
    with pytest.raises(ReportConfigError) as err:
        render(cfg, progress=False)
    msg = str(err.value)
    assert f"region {region!r} is not in the data" in msg
    assert "regions in the data: 华东, 华南, 西北/西南" in msg
    assert (f"did you mean {hint!r}" in msg) == (hint is not None)
    assert not (tmp_path / "out").exists()  # nothing run, nothing written


def test_missing_data_path_is_a_message_and_leaves_no_output_folder(tmp_path, data_dir, capsys):
    cfg = _config(tmp_path, tmp_path / "nope", "  - notebook: ok\n")
    parser = argparse.ArgumentParser(prog="ars")
    add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["render", "--config", str(cfg), "--quiet"])
    assert args.func(args) == 2
    err = capsys.readouterr().err
    assert "data_path" in err and "not found" in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_job_period_outside_the_data_fails_before_any_job(tmp_path, data_dir):
    cfg = _config(tmp_path, data_dir, "  - notebook: ok\n    start: 2030-01-01\n")
    with pytest.raises(ReportConfigError, match="has no sales; the data covers 2025-01-03"):
        render(cfg, progress=False)
    cfg = _config(
        tmp_path, data_dir, "  - notebook: ok\n    start: 2025-05-01\n    end: 2025-02-01\n"
    )
    with pytest.raises(ReportConfigError, match="is after end"):
        render(cfg, progress=False)


def test_publish_replaces_the_folder_and_recovery_puts_it_back(tmp_path):
    from ars_analysis.reports.runner import _publish, _recover_job_dirs, _staging_dir

    out = tmp_path / "out" / "job"
    out.mkdir(parents=True)
    (out / REPORT_HTML).write_text("old")
    (out / "notes.txt").write_text("mine")  # not a job output: carried over
    staging = _staging_dir(out)
    (staging / ERROR_HTML).write_text("new")
    assert (out / REPORT_HTML).read_text() == "old"  # untouched while the job runs
    _publish(staging, out, "nb.ipynb")
    assert sorted(p.name for p in out.iterdir()) == [ERROR_HTML, "notes.txt"]
    assert sorted(p.name for p in out.parent.iterdir()) == ["job"]
    # a crash between the two renames: the folder renamed aside comes back; dead staging goes
    aside = out.parent / ".job.previous-999999999"
    os.replace(out, aside)
    dead = out.parent / ".job.rendering-999999999"
    dead.mkdir()
    _recover_job_dirs(out.parent)
    assert (out / ERROR_HTML).read_text() == "new"
    assert sorted(p.name for p in out.parent.iterdir()) == ["job"]


def test_index_only_describes_what_is_on_disk(tmp_path):
    from ars_analysis.reports.runner import _on_disk

    job = Job("a", tmp_path / "a.ipynb", {}, 10.0, out_dir=tmp_path / "a")
    job.out_dir.mkdir()
    status = {"name": "a", "notebook": "a.ipynb", "status": "ok", "html": REPORT_HTML}
    (job.out_dir / "status.json").write_text(json.dumps(status))
    [row] = _on_disk([job], [])
    assert row["status"] == "failed" and "missing" in row["message"]
    (job.out_dir / REPORT_HTML).write_text("<html></html>")
    assert _on_disk([job], [])[0]["status"] == "ok"


def _render_process(tmp_path, data_dir, code: str):
    """Start `ars render` in a new process group on a notebook running ``code``."""
    import subprocess
    import sys

    nbs = tmp_path / "nbs"
    make_notebook(nbs, "ok", "x = 1")
    make_notebook(nbs, "job", code)
    cfg = _config(tmp_path, data_dir, "  - notebook: job\n")
    cmd = [sys.executable, "-m", "ars_analysis.cli", "render", "--config", str(cfg), "--quiet"]
    return subprocess.Popen(
        cmd,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=tmp_path,
    )


def _wait_for(predicate, seconds: float) -> bool:
    import time

    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


@pytest.mark.slow
def test_kill_during_render_keeps_the_previous_report(tmp_path, data_dir):
    import signal

    out = tmp_path / "out"
    marker = tmp_path / "started"
    proc = _render_process(tmp_path, data_dir, "from IPython.display import HTML\nHTML('FIRST')")
    assert proc.wait(timeout=240) == 0
    first = (out / "job" / REPORT_HTML).read_text(encoding="utf-8")
    index = (out / INDEX_HTML).read_text(encoding="utf-8")
    assert "FIRST" in first
    code = f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(120)"
    proc = _render_process(tmp_path, data_dir, code)
    try:
        assert _wait_for(marker.exists, 180), "the second run never started its job"
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the whole render: runner, workers, kernels
        proc.wait(timeout=30)
    assert (out / "job" / REPORT_HTML).read_text(encoding="utf-8") == first
    assert json.loads((out / "job" / "status.json").read_text(encoding="utf-8"))["status"] == "ok"
    assert (out / INDEX_HTML).read_text(encoding="utf-8") == index
    assert [p.name for p in out.iterdir() if p.name.startswith(".")]  # the killed run's staging
    # the next run cleans it up and replaces the report
    make_notebook(tmp_path / "nbs", "job", "from IPython.display import HTML\nHTML('SECOND')")
    render(tmp_path / "r.yml", progress=False)
    assert [p.name for p in out.iterdir() if p.name.startswith(".")] == []
    assert "SECOND" in (out / "job" / REPORT_HTML).read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.skipif(not hasattr(os, "killpg"), reason="POSIX process groups")
def test_workers_end_with_the_render_process(tmp_path, data_dir):
    import signal

    psutil = pytest.importorskip("psutil")
    marker = tmp_path / "started"
    code = f"import pathlib, time\npathlib.Path({str(marker)!r}).touch()\ntime.sleep(300)"
    proc = _render_process(tmp_path, data_dir, code)
    try:
        assert _wait_for(marker.exists, 180), "the job never started"
        children = psutil.Process(proc.pid).children(recursive=True)
        assert children  # forkserver, worker, kernel
        os.kill(proc.pid, signal.SIGKILL)  # only the `ars render` process
        proc.wait(timeout=30)
        gone, alive = psutil.wait_procs(children, timeout=30)
        assert not alive, f"still running after their parent died: {alive}"
    finally:
        with pytest.raises(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------- batch pages


def _summary(title, lang, region, *, n_actions=2, section="sec-a", key="n_abc_a"):
    """A summary.json as presentation.save_summary writes it."""
    from dataclasses import asdict

    from ars_analysis.presentation import Action, ActionList, Finding, KeyResult, ReportSummary

    zh = lang == "zh"
    return asdict(
        ReportSummary(
            title=title,
            question=title,
            lang=lang,
            scope="全国" if zh else "National",
            periods=[("销售数据期间" if zh else "Sales period", "2024-01-01 – 2025-12-31")],
            findings=[
                Finding(f"{title} 要点一" if zh else f"{title}: first finding", section),
                Finding("要点二" if zh else "Second finding", None, "n = 5" if zh else "n = 5"),
            ],
            actions=[
                ActionList(
                    "重点培育的经销商" if zh else "Distributors to cultivate",
                    [
                        Action(
                            f"杭州兴隆商贸有限公司{i}", "增长快" if zh else "Fast growth", "12,000"
                        )
                        for i in range(n_actions)
                    ],
                    stake_header="销售额（元）" if zh else "Revenue (CNY)",
                )
            ],
            key_results=[KeyResult(key, "A 类经销商数" if zh else "Class A distributors", "17")],
            client="甲公司",
            analysis="",
            region=region,
        )
    )


def _batch(root: Path, jobs) -> list[dict]:
    """Job folders with status dicts, summary.json, results.json and a workbook."""
    results = []
    for name, notebook, region, lang, status, summary in jobs:
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        page = REPORT_HTML if status == "ok" else ERROR_HTML
        (folder / page).write_text("<html></html>", encoding="utf-8")
        (folder / "results.json").write_text('{"n_abc_a": 17}', encoding="utf-8")
        if summary is not None:
            (folder / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
        if status == "ok":
            (folder / "core_customers.xlsx").write_bytes(b"")
        results.append(
            {
                "name": name,
                "notebook": f"{notebook}.ipynb",
                "status": status,
                "message": "ValueError: BOOM" if status != "ok" else "",
                "parameters": {"region": region, "lang": lang, "n_boot": 5},
                "period": "2024-01-01 – …",
                "fingerprint": "abc123def456",
                "version": "9.9.9",
                "html": page,
            }
        )
    return results


@pytest.fixture
def batch(tmp_path):
    from ars_analysis.reports.pages import write_batch_pages

    root = tmp_path / "out"
    jobs = [
        ("04_field_execution", "04_field_execution", None, "zh", "ok",
         _summary("业务员拜访执行得怎么样？", "zh", None)),
        ("01_core_customers-华东", "01_core_customers", "华东", "zh", "ok",
         _summary("谁是核心客户？（华东）", "zh", "华东")),
        ("01_core_customers", "01_core_customers", None, "zh", "ok",
         _summary("谁是核心客户？", "zh", None, n_actions=5, section="sec-abc")),
        ("01_core_customers-en", "01_core_customers", None, "en", "ok",
         _summary("Who are the core distributors?", "en", None)),
        ("02_terminal_network-西北", "02_terminal_network", "西北", "en", "failed", None),
    ]  # fmt: skip
    results = _batch(root, jobs)
    (root / "summary-gone-zh.html").write_text("stale", encoding="utf-8")
    written = write_batch_pages(
        results, root, index_lang="zh", client="甲公司", fingerprint="abc123def456", version="9.9.9"
    )
    return root, results, written


def test_index_groups_reports_by_analysis_then_scope_with_titles_and_key_results(batch):
    root, _, _ = batch
    index = (root / INDEX_HTML).read_text(encoding="utf-8")
    # grouped by analysis (in notebook order), national first within each group
    h2 = re.findall(r'<h2 id="([^"]+)">', index)
    assert h2 == ["summaries", "01_core_customers", "02_terminal_network", "04_field_execution"]
    group = index.split('<h2 id="01_core_customers">')[1].split("<h2")[0]
    assert group.index("谁是核心客户？</a>") < group.index("谁是核心客户？（华东）</a>")
    # titles from summary.json, key results with their labels, never results.json keys
    assert '<a href="01_core_customers/report.html">谁是核心客户？</a>' in index
    assert "A 类经销商数：17" in index and "n_abc_a" not in index
    # the period the report used; a job without summary shows its job period, never "…"
    assert "销售数据期间：2024-01-01 – 2025-12-31" in index and "…" not in index
    # workbooks by link, named in words
    assert '<a href="01_core_customers/core_customers.xlsx">Excel 工作簿</a>' in index
    # a failed job links its error page; its message (code words) is not shown
    assert 'href="02_terminal_network-西北/error.html"' in index and "失败" in index
    assert "BOOM" not in index
    # a report in the other language is named in the index's language and points to the twin
    assert "核心客户（英文报告）" in index and "Who are the core" not in index
    assert '<a href="index-en.html" hreflang="en">英文版目录</a>' in index
    # fingerprint and version in the footer only; client's name in the title and the tab
    footer = index.split('<footer class="ars-footer">')[1]
    assert "abc123def456" in footer and "9.9.9" in footer
    assert index.count("abc123def456") == 1
    assert "<title>分析报告目录 — 甲公司</title>" in index


def test_english_index_is_the_twin(batch):
    root, _, _ = batch
    en = (root / "index-en.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in en and '<a href="index.html" hreflang="zh">Chinese index</a>' in en
    assert '<a href="01_core_customers-en/report.html">Who are the core distributors?</a>' in en
    assert "Class A distributors: 17" in en
    assert "Core distributors (Chinese report)" in en  # zh reports named in English
    assert "East China" in en and "Northwest China" in en  # regions translated
    assert "Failed" in en and "Data fingerprint abc123def456" in en


def test_executive_summary_per_scope_and_language(batch):
    root, _, written = batch
    names = sorted(p.name for p in written)
    assert names == sorted(
        [
            "index.html",
            "index-en.html",
            "summary-national-zh.html",
            "summary-national-en.html",
            "summary-华东-zh.html",
            "summary-西北-en.html",
            # the slide deck beside each summary (tests/test_deck.py)
            "deck-national-zh.pptx",
            "deck-national-en.pptx",
            "deck-华东-zh.pptx",
            "deck-西北-en.pptx",
        ]
    )
    assert not (root / "summary-gone-zh.html").exists()  # a scope without reports: removed
    page = (root / "summary-national-zh.html").read_text(encoding="utf-8")
    assert "<title>执行摘要 — 全国 — 甲公司</title>" in page
    assert '<p class="ars-back"><a href="index.html">' in page
    # one block per analysis of that scope and language, in notebook order
    blocks = page.split('<section class="ars-exec-block">')[1:]
    assert len(blocks) == 2
    assert "谁是核心客户？" in blocks[0] and "业务员拜访执行得怎么样？" in blocks[1]
    assert "（华东）" not in page and "Who are" not in page  # other scopes / languages
    # findings link to their section, the findings and actions of the report
    assert 'href="01_core_customers/report.html#sec-abc"' in blocks[0]
    assert 'href="01_core_customers/report.html#findings"' in blocks[0]
    assert 'href="01_core_customers/report.html#actions"' in blocks[0]
    assert "谁是核心客户？ 要点一" in blocks[0] and "n = 5" in blocks[0]
    # top actions only, with names, reasons and what is at stake; the rest in the report
    assert blocks[0].count("<strong>杭州兴隆商贸有限公司") == 3
    assert "另有 2 项，见报告" in blocks[0] and "销售额（元）：12,000" in blocks[0]
    # the index links every summary
    index = (root / INDEX_HTML).read_text(encoding="utf-8")
    for name in names:
        if name.startswith("summary-"):
            assert f'href="{name}"' in index
    assert ">全国（中文）</a>" in index and ">西北（英文）</a>" in index
    # a failed report is a block that says so and links the error page
    nw = (root / "summary-西北-en.html").read_text(encoding="utf-8")
    assert "could not be rendered" in nw and 'href="02_terminal_network-西北/error.html"' in nw
    assert '<p class="ars-back"><a href="index-en.html">' in nw


def test_batch_pages_are_self_contained_and_leak_free(batch):
    from ars_analysis.reports.checks import Vocabulary, page_leaks

    root, _, written = batch
    vocab = Vocabulary(
        names={"甲公司", *(f"杭州兴隆商贸有限公司{i}" for i in range(5))},
        identifiers={"n_abc_a", "n_boot"},
    )
    for path in (p for p in written if p.suffix == ".html"):
        text = path.read_text(encoding="utf-8")
        assert page_leaks(text, vocab=vocab, where=path.name) == [], path.name
        assert "<script" not in text and "http" not in text and "<link" not in text


@pytest.mark.slow
def test_batch_pages_are_cheap(tmp_path):
    """Summaries, decks and indexes of a large batch take a few seconds of the run."""
    import time

    from ars_analysis.reports.pages import write_batch_pages

    jobs = [
        (f"0{k}_x-{r}", f"0{k}_x", r, "zh", "ok", _summary(f"问题{k}", "zh", r))
        for k in range(1, 5)
        for r in [None, "华东", "华南", "华北", "华中", "西北", "西南", "东北", "山东"]
    ]
    results = _batch(tmp_path, [(n.replace("-None", ""), *rest) for n, *rest in jobs])
    # CPU time of this process: the wall time on a shared machine says little (benchmarks/)
    t0 = time.process_time()
    written = write_batch_pages(results, tmp_path, index_lang="zh", client="甲公司")
    assert len(written) == 9 + 9 + 2  # summaries, their decks, indexes
    assert time.process_time() - t0 < 5


def test_report_back_link_goes_to_the_index_of_its_language():
    from ars_analysis.presentation import ReportSummary, report_opening
    from ars_analysis.reports import error_page, notebook_html
    from ars_analysis.reports.html import _index_href

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x", execution_count=1)
    opening = report_opening(ReportSummary("Who?", "Who?", "en", "National", []))
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/html": opening.html})]
    nb.cells = [cell]
    assert (
        _index_href("en", "zh") == "../index-en.html" and _index_href("zh", "zh") == "../index.html"
    )
    page = notebook_html(nb, "job", "en", _index_href("en", "zh"))
    assert '<p class="ars-back"><a href="../index-en.html">' in page
    assert "<title>Who?</title>" in page  # the tab shows the report's title
    assert '<a href="../index.html">' in notebook_html(nb, "job", "en")  # as rendered
    err = error_page("job", "failed", "boom", "x = 1", None, "en", "../index-en.html")
    assert '<p class="ars-back"><a href="../index-en.html">' in err
    assert "<script" not in err and "http" not in err  # opens offline like every page
    # a notebook without the report opening still gets its way back to the index
    nb.cells[0].outputs = [nbformat.v4.new_output("display_data", data={"text/html": "<p>x</p>"})]
    page = notebook_html(nb, "job", "zh", _index_href("zh", "zh"))
    assert page.count('<p class="ars-back"><a href="../index.html">← 返回报告目录</a></p>') == 1


# ---------------------------------------------------------------------------- client config


def test_client_config_is_passed_to_every_notebook(tmp_path, data_dir):
    nbs = tmp_path / "nbs"
    make_notebook(nbs, "a")
    client = tmp_path / "clients" / "jia.yml"
    client.parent.mkdir()
    client.write_text("client: 甲公司\n", encoding="utf-8")
    cfg = load_config(
        write_config(
            tmp_path / "r.yml",
            f"data_path: {data_dir}\nnotebooks_dir: {nbs}\noutput_dir: {tmp_path / 'out'}\n"
            f"client_config: {client}\njobs:\n  - notebook: a\n    regions: [华东]\n",
        )
    )
    assert cfg.client_config == client
    (job,) = expand_jobs(cfg)
    assert job.parameters["client_config"] == "../clients/jia.yml"  # relative to the notebook
    check_jobs([job])
    from ars_analysis.reports import RUNNER_PARAMETERS, client_info

    assert "client_config" in RUNNER_PARAMETERS
    assert client_info(cfg)[0] == "甲公司"
    # without one: None (the sample client), whose name wins over reports.yml's `client`
    cfg.client_config, cfg.client = None, "备用名"
    assert client_info(cfg)[0] == {
        "zh": "示例客户（样本数据）",
        "en": "Sample client (synthetic data)",
    }
    client.write_text("client: ''\n", encoding="utf-8")
    cfg.client_config = client
    assert client_info(cfg)[0] == "备用名"  # fallback: reports.yml's client
    client.write_text("client: x\nmin_sample: {reps: -1}\n", encoding="utf-8")
    with pytest.raises(ReportConfigError, match="min_sample"):
        client_info(cfg)


def test_notebook_without_client_config_fails_only_when_one_is_set(tmp_path, data_dir):
    nbs = tmp_path / "nbs"
    make_notebook(nbs, "old", params=PARAMS.replace("client_config = None\n", ""))
    text = f"data_path: {data_dir}\nnotebooks_dir: {nbs}\noutput_dir: {tmp_path}/out\n"
    jobs = expand_jobs(
        load_config(write_config(tmp_path / "a.yml", text + "jobs: [{notebook: old}]\n"))
    )
    check_jobs(jobs)  # null: nothing would change in the notebook
    sample = Path(__file__).resolve().parents[1] / "ars_analysis/config/clients/sample.yml"
    cfg = load_config(
        write_config(
            tmp_path / "b.yml", text + f"client_config: {sample}\njobs: [{{notebook: old}}]\n"
        )
    )
    with pytest.raises(ReportConfigError, match="unknown parameter 'client_config'"):
        check_jobs(expand_jobs(cfg))


def test_a_kernel_that_dies_at_start_is_started_once_more():
    from ars_analysis.reports.runner import _retry_kernel_start

    calls = []

    def execute(x):
        calls.append(x)
        if len(calls) == 1:
            raise RuntimeError("Kernel died before replying to kernel_info")
        return x * 2

    assert _retry_kernel_start(execute, 4) == 8 and calls == [4, 4]

    def broken(x):
        raise RuntimeError("something else")

    with pytest.raises(RuntimeError, match="something else"):
        _retry_kernel_start(broken, 1)
