"""A re-render that fails keeps the job's last good report in place and says so."""

from __future__ import annotations

import json

import pytest
from test_reports import PARAMS as BASE_PARAMS
from test_reports import make_notebook

from ars_analysis.reports import ERROR_HTML, INDEX_HTML, REPORT_HTML

#: Light notebooks (no pandas, no workbook library): what matters is the files a job leaves.
GOOD = (
    "import json\n"
    "from IPython.display import HTML\n"
    "open(f'{output_dir}/table.xlsx', 'wb').write(b'workbook ' + marker.encode())\n"
    "json.dump({'n': n}, open(f'{output_dir}/results.json', 'w'))\n"
    "HTML(f'<p>REPORT {marker}</p>')"
)
#: Writes a partial workbook, then fails: none of it may replace the good report.
BROKEN = (
    "open(f'{output_dir}/partial.xlsx', 'wb').write(b'partial')",
    "raise ValueError('BROKEN_DATA')",
)
PARAMS = BASE_PARAMS + 'marker = "FIRST"\n'


def _files(folder) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def _index(out, results) -> str:
    from ars_analysis.reports.pages import write_batch_pages

    write_batch_pages(
        results, out, index_lang="zh", client="测试客户", fingerprint="f", version="v", places={}
    )
    return (out / INDEX_HTML).read_text(encoding="utf-8")


@pytest.mark.slow
@pytest.mark.notebook
def test_failed_rerender_keeps_the_last_good_report_and_reports_the_failure(tmp_path):
    """A job rendered again and again (``run_job``, as ``ars render`` runs it): fails with no
    report yet, succeeds, fails (the good report stays), fails again, succeeds."""
    from ars_analysis.reports import Job, run_job

    nbs, out = tmp_path / "nbs", tmp_path / "out"
    job = out / "job"

    def run(*cells, marker="FIRST"):
        nb = make_notebook(nbs, "job", *cells, params=PARAMS)
        return run_job(Job("job", nb.resolve(), {"marker": marker}, 120, out_dir=job))

    # the first run fails: nothing to keep, its error page and outputs are published
    first = run(*BROKEN)
    assert first["status"] == "failed" and "last_good" not in first
    assert {ERROR_HTML, "job.ipynb", "partial.xlsx"} <= set(_files(job))
    assert "上次成功的报告" not in _index(out, [first])

    # a good run replaces it
    ok = run(GOOD)
    assert ok["status"] == "ok"
    (job / "notes.txt").write_text("consultant's notes")
    good = _files(job)
    assert ERROR_HTML not in good and "partial.xlsx" not in good
    assert {REPORT_HTML, "table.xlsx", "results.json", "job.ipynb"} <= set(good)

    # the data (here: the notebook) breaks; the re-render fails after writing a partial workbook
    failed = run(*BROKEN)
    assert failed["status"] == "failed" and "BROKEN_DATA" in failed["message"]
    assert failed["last_good"] == {"html": REPORT_HTML, "rendered": ok["rendered"]}
    # every file of the good report is untouched, the failed run's partial output is not there
    now = _files(job)
    assert {k: v for k, v in now.items() if k in good and k != "status.json"} == {
        k: v for k, v in good.items() if k != "status.json"
    }
    assert "partial.xlsx" not in now
    # the failure is on record: its error page (with a link to the good report), its executed
    # notebook, the status
    error = (job / ERROR_HTML).read_text(encoding="utf-8")
    assert "BROKEN_DATA" in error and 'href="report.html"' in error
    assert "BROKEN_DATA" in (job / "job.failed.ipynb").read_text(encoding="utf-8")
    status = json.loads((job / "status.json").read_text(encoding="utf-8"))
    assert status["status"] == "failed" and status["html"] == ERROR_HTML
    assert status["last_good"] == failed["last_good"]
    # the index shows the failure and links to the last good report
    index = _index(out, [status])
    assert 'class="failed"' in index and 'href="job/error.html"' in index
    assert 'href="job/report.html"' in index and "上次成功的报告" in index

    # failing again: still the same last good report
    again = run(*BROKEN)
    assert again["status"] == "failed" and again["last_good"] == failed["last_good"]
    assert (job / REPORT_HTML).read_bytes() == good[REPORT_HTML]

    # a good run replaces everything: the error page and the failed notebook go, notes stay
    second = run(GOOD, marker="SECOND")
    assert second["status"] == "ok" and "last_good" not in second
    now = _files(job)
    assert ERROR_HTML not in now and "job.failed.ipynb" not in now and "notes.txt" in now
    assert "REPORT SECOND" in (job / REPORT_HTML).read_text(encoding="utf-8")
    index = _index(out, [second])
    assert 'class="failed"' not in index and "上次成功的报告" not in index


def test_a_good_report_stays_when_the_worker_itself_fails(tmp_path):
    """A job that failed outside its notebook (its worker died) keeps the good report too."""
    from ars_analysis.reports import Job
    from ars_analysis.reports.runner import _failure

    job = Job("job", tmp_path / "job.ipynb", {}, 10.0, out_dir=tmp_path / "job")
    job.out_dir.mkdir()
    (job.out_dir / REPORT_HTML).write_text("<html>GOOD</html>")
    (job.out_dir / "status.json").write_text(json.dumps({"status": "ok", "html": REPORT_HTML}))
    res = _failure(job, "BrokenProcessPool: a worker died", None, "en")
    assert res["status"] == "failed" and res["last_good"]["html"] == REPORT_HTML
    assert (job.out_dir / REPORT_HTML).read_text() == "<html>GOOD</html>"
    assert 'href="report.html"' in (job.out_dir / ERROR_HTML).read_text(encoding="utf-8")
    on_disk = json.loads((job.out_dir / "status.json").read_text(encoding="utf-8"))
    assert on_disk["last_good"] == res["last_good"]
