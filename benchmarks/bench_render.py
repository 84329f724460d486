"""Benchmark ``ars render``: this version against a baseline version of the package, same run.

Both sides render the same batch (default: the jobs of ``ars_analysis/config/reports.yml``, i.e.
``make report``: 4 notebooks x (national + 7 regions) = 32 jobs) with ``--jobs 2``, each in its own
``ars render`` process (cold: a fresh output folder, so this version builds its snapshot):

- before: the package as of ``--baseline-ref`` (default: the merge-base of HEAD and ``main``),
  exported with ``git archive`` and put first on ``PYTHONPATH`` (the notebook kernels inherit
  it), so the same notebooks run on the old code;
- after: the package of this working tree (the batch snapshot, ``ars_analysis.data.snapshot``;
  kernels forked from a fork server, ``ars_analysis.reports.kernels``), or as of
  ``--after-ref``, exported like the baseline (so the tree can change while the benchmark runs).

Then it checks that the outputs are identical: every job's status, ``results.json`` and
``summary.json``, and every cell value of every sheet of every workbook. Any difference is
listed, for JSON with where and what (and the exit status is 1).

With ``--cli`` it also times the old baseline: the papermill command line, job after job, and
the per-notebook overhead of an (almost) empty notebook via the API and the CLI.

Usage::

    .venv/bin/python benchmarks/bench_render.py [--quick] [--jobs 2] [--baseline-ref REF] [--cli]

Prints a table and writes the same numbers to ``benchmarks/results/render.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ars_analysis import __version__  # noqa: E402
from ars_analysis.reports import DataInfo  # noqa: E402

PAPERMILL = str(Path(sys.executable).with_name("papermill"))
EMPTY_PARAMS = 'data_path = "../data/sample"\nregion = None\nlang = "zh"\noutput_dir = "."\n'


def empty_notebook(path: Path) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cell = nbformat.v4.new_code_cell(EMPTY_PARAMS)
    cell.metadata["tags"] = ["parameters"]
    nb.cells = [cell, nbformat.v4.new_code_cell("x = 1")]
    nbformat.write(nb, path)
    return path


def overhead(tmp: Path, repeats: int) -> dict[str, float]:
    """Median seconds to run the empty notebook via the API (warm process) and via the CLI."""
    import papermill as pm

    nb = empty_notebook(tmp / "empty.ipynb")
    out = tmp / "empty.out.ipynb"
    pm.execute_notebook(str(nb), str(out), progress_bar=False, kernel_name="python3")  # warm-up
    api, cli = [], []
    for _ in range(repeats):
        t = time.perf_counter()
        pm.execute_notebook(str(nb), str(out), progress_bar=False, kernel_name="python3")
        api.append(time.perf_counter() - t)
        t = time.perf_counter()
        subprocess.run([PAPERMILL, str(nb), str(out), "--no-progress-bar", "-k", "python3"],
                       check=True, capture_output=True)  # fmt: skip
        cli.append(time.perf_counter() - t)
    return {"empty_api_s": statistics.median(api), "empty_cli_s": statistics.median(cli)}


def baseline_source(ref: str, dest: Path) -> Path:
    """Export the package as of git ``ref`` into ``dest`` (for ``PYTHONPATH``)."""
    dest.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "-C", str(REPO), "archive", ref, "ars_analysis"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    return dest


def default_ref() -> str:
    proc = subprocess.run(
        ["git", "-C", str(REPO), "merge-base", "HEAD", "main"], capture_output=True, text=True
    )
    return proc.stdout.strip() or "HEAD"


def batch_config(args, data: Path, nb_dir: Path, out: Path) -> tuple[dict, int | None]:
    """The batch: ``make report``'s jobs, or notebooks x regions (``--quick``, ``--regions``,
    ``--notebooks``). Returns the config and the number of jobs."""
    if not (args.quick or args.regions or args.notebooks):
        cfg = yaml.safe_load((REPO / "ars_analysis" / "config" / "reports.yml").read_text("utf-8"))
        cfg.update(data_path=str(data), notebooks_dir=str(nb_dir), output_dir=str(out))
        return cfg, None
    notebooks = sorted(p.name for p in nb_dir.glob("0*.ipynb"))
    if args.notebooks:
        notebooks = [n if n.endswith(".ipynb") else f"{n}.ipynb" for n in args.notebooks]
    elif args.quick:
        notebooks = notebooks[:1]
    regions = DataInfo(data).regions()[: args.regions or (2 if args.quick else 8)]
    cfg = {
        "data_path": str(data),
        "notebooks_dir": str(nb_dir),
        "output_dir": str(out),
        "timeout": 1800,
        "jobs": [{"notebook": nb, "regions": regions} for nb in notebooks],
    }
    return cfg, len(notebooks) * len(regions)


def render_batch(cfg: dict, path: Path, jobs: int, pythonpath: Path | None) -> float:
    """Seconds for ``ars render --config path --jobs N`` in its own process."""
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ARS_SNAPSHOT_DIR")}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    # Fixed string hashing in both batches (the kernels inherit it): some sums run over Python
    # sets, whose order, and so the last bit of a float, changes with the hash seed.
    env["PYTHONHASHSEED"] = "0"
    cmd = [sys.executable, "-m", "ars_analysis.cli", "render", "--config", str(path)]
    t0 = time.perf_counter()
    proc = subprocess.run(
        [*cmd, "--jobs", str(jobs), "--quiet"], cwd=path.parent, env=env, capture_output=True
    )
    seconds = time.perf_counter() - t0
    if proc.returncode not in (0, 1):  # 1: some job failed (reported by the comparison)
        sys.stderr.write(proc.stdout.decode() + proc.stderr.decode())
        raise SystemExit(f"ars render failed ({path.name})")
    return seconds


def _workbook_values(path: Path) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        return {ws.title: [tuple(row) for row in ws.iter_rows(values_only=True)] for ws in wb}
    finally:
        wb.close()


def _json_diff(a, b, path: str = "", limit: int = 3) -> list[str]:
    """Where two JSON values differ (at most ``limit`` places, with both values, shortened)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if a.get(k) != b.get(k):
                out += _json_diff(a.get(k), b.get(k), f"{path}.{k}", limit - len(out))
            if len(out) >= limit:
                break
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                out += _json_diff(x, y, f"{path}[{i}]", limit - len(out))
            if len(out) >= limit:
                break
        return out
    return [f"{path or '.'}: {str(a)[:90]!r} before, {str(b)[:90]!r} after"]


def compare_outputs(before: Path, after: Path) -> tuple[list[str], dict[str, int]]:
    """Differences between two rendered batches (empty: identical) and what was compared."""
    diffs: list[str] = []
    counts = {"jobs": 0, "results_json": 0, "summary_json": 0, "workbooks": 0, "cells": 0}

    def jobs(root: Path) -> set[str]:
        return {p.parent.name for p in root.glob("*/status.json")}

    a, b = jobs(before), jobs(after)
    if a != b:
        diffs.append(f"job folders differ: only before {sorted(a - b)}, only after {sorted(b - a)}")
    for job in sorted(a & b):
        counts["jobs"] += 1
        sa = json.loads((before / job / "status.json").read_text("utf-8"))
        sb = json.loads((after / job / "status.json").read_text("utf-8"))
        if (sa["status"], sa.get("message")) != (sb["status"], sb.get("message")):
            diffs.append(f"{job}: status {sa['status']} before, {sb['status']} after")
        for name in ("results.json", "summary.json"):
            fa, fb = before / job / name, after / job / name
            if fa.exists() != fb.exists():
                diffs.append(f"{job}/{name}: exists only {'before' if fa.exists() else 'after'}")
            elif fa.exists():
                counts[name.replace(".", "_")] += 1
                ja, jb = json.loads(fa.read_text("utf-8")), json.loads(fb.read_text("utf-8"))
                if ja != jb:
                    where = "; ".join(_json_diff(ja, jb))
                    diffs.append(f"{job}/{name} differs: {where}")
        ba = sorted(p.name for p in (before / job).glob("*.xlsx"))
        bb = sorted(p.name for p in (after / job).glob("*.xlsx"))
        if ba != bb:
            diffs.append(f"{job}: workbooks {ba} before, {bb} after")
        for name in sorted(set(ba) & set(bb)):
            counts["workbooks"] += 1
            va, vb = _workbook_values(before / job / name), _workbook_values(after / job / name)
            if list(va) != list(vb):
                diffs.append(f"{job}/{name}: sheets {list(va)} before, {list(vb)} after")
            for sheet in set(va) & set(vb):
                counts["cells"] += sum(len(r) for r in va[sheet])
                if va[sheet] != vb[sheet]:
                    diffs.append(f"{job}/{name}[{sheet}]: cell values differ")
    return diffs, counts


def cli_sequential(cfg: dict, tmp: Path) -> tuple[float, list[str]]:
    """The old baseline: ``papermill`` on the command line, one job after another."""
    from ars_analysis.reports import expand_jobs, load_config

    path = tmp / "cli.yml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    rc = load_config(path)
    failed = []
    t0 = time.perf_counter()
    for job in expand_jobs(rc, DataInfo(rc.data_path)):
        out_dir = tmp / "cli" / job.name
        out_dir.mkdir(parents=True)
        params = {**job.parameters, "output_dir": str(out_dir)}
        proc = subprocess.run(
            [PAPERMILL, str(job.notebook), str(out_dir / job.notebook.name), "-y",
             yaml.safe_dump(params, allow_unicode=True), "--cwd", str(job.notebook.parent),
             "--no-progress-bar", "-k", "python3"],
            capture_output=True,
        )  # fmt: skip
        if proc.returncode:  # a failing job is timed like the others, and reported
            failed.append(job.name)
    return time.perf_counter() - t0, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 notebook x 2 regions")
    parser.add_argument("--regions", type=int, default=None, help="number of regions")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--notebooks", nargs="*", default=None, help="notebook names")
    parser.add_argument("--notebooks-dir", type=Path, default=REPO / "notebooks")
    parser.add_argument(
        "--baseline-ref", default=None, help="git ref of the 'before' package (default: merge-base)"
    )
    parser.add_argument(
        "--after-ref",
        default=None,
        help="git ref of the 'after' package (default: this working tree, as it is)",
    )
    parser.add_argument("--cli", action="store_true", help="also time the papermill CLI loop")
    args = parser.parse_args(argv)

    data = REPO / "data" / "sample"
    nb_dir = args.notebooks_dir.resolve()
    ref = args.baseline_ref or default_ref()
    with tempfile.TemporaryDirectory(prefix="bench_render_") as tmpdir:
        tmp = Path(tmpdir)
        cfg_before, n_jobs = batch_config(args, data, nb_dir, tmp / "before")
        cfg_after = {**cfg_before, "output_dir": str(tmp / "after")}
        after = args.after_ref or "this working tree"
        print(f"--jobs {args.jobs}; before = {ref[:12]}, after = {after}")
        src = baseline_source(ref, tmp / "baseline_src")
        after_src = baseline_source(args.after_ref, tmp / "after_src") if args.after_ref else None
        t_before = render_batch(cfg_before, tmp / "before.yml", args.jobs, src)
        t_after = render_batch(cfg_after, tmp / "after.yml", args.jobs, after_src)
        diffs, compared = compare_outputs(tmp / "before", tmp / "after")
        statuses = [
            json.loads(p.read_text("utf-8")) for p in sorted((tmp / "after").glob("*/status.json"))
        ]
        failed = [r["name"] for r in statuses if r["status"] != "ok"]
        per_job = {r["name"]: r["seconds"] for r in statuses}
        n_jobs = len(statuses)
        t_cli = cli_failed = ov = None
        if args.cli:
            t_cli, cli_failed = cli_sequential(cfg_before, tmp)
            ov = overhead(tmp, repeats=2 if args.quick else 3)

    ratio = t_after / t_before
    result = {
        "benchmark": "render",
        "quick": args.quick,
        "n_jobs": n_jobs,
        "workers": args.jobs,
        "baseline_ref": ref,
        "after_ref": args.after_ref or "working tree",
        "before_s": round(t_before, 2),
        "after_s": round(t_after, 2),
        "after_over_before": round(ratio, 3),
        "speedup": round(t_before / t_after, 2),
        "target": "after <= 0.5 x before, identical outputs",
        "outputs_identical": not diffs,
        "output_differences": diffs,
        "compared": compared,
        "failed_jobs": failed,
        "render_job_seconds": per_job,
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "ars_analysis": __version__,
    }
    rows = [
        (f"before ({ref[:12]}), ars render --jobs {args.jobs}", f"{t_before:8.1f} s"),
        (
            f"after ({(args.after_ref or 'this tree')[:12]}), ars render --jobs {args.jobs}",
            f"{t_after:8.1f} s",
        ),  # fmt: skip
        ("after / before (target <= 0.5)", f"{ratio:8.2f}"),
        ("outputs identical", f"{'yes' if not diffs else 'NO':>8}"),
        ("compared", ", ".join(f"{v} {k}" for k, v in compared.items())),
    ]
    if t_cli is not None:
        result |= {
            "papermill_cli_sequential_s": round(t_cli, 2),
            "failed_jobs_cli": cli_failed,
            "empty_notebook_api_s": round(ov["empty_api_s"], 3),
            "empty_notebook_cli_s": round(ov["empty_cli_s"], 3),
        }
        rows += [
            ("papermill CLI, sequential", f"{t_cli:8.1f} s"),
            (
                "empty notebook via API / CLI",
                f"{ov['empty_api_s']:.2f} / {ov['empty_cli_s']:.2f} s",
            ),
        ]
    rows.append(("load average (1 min) at end", f"{os.getloadavg()[0]:8.2f}"))
    width = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"{a:<{width}}  {b}")
    for d in diffs:
        print(f"DIFFERENCE: {d}", file=sys.stderr)
    if failed:
        print(f"FAILED jobs: {failed}", file=sys.stderr)
    out = REPO / "benchmarks" / "results" / "render.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(REPO)}")
    return 1 if failed or diffs else 0


if __name__ == "__main__":
    sys.exit(main())
