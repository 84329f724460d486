"""Benchmark ``ars render`` against running the papermill command line job after job.

Both sides run the same jobs (analysis notebooks × regions of the sample data) in the same run:

- baseline: ``papermill <nb> <out> -y <params> --cwd notebooks`` in a subprocess per job, one
  after another (what a shell loop would do; it does not even export HTML);
- ars render: :func:`ars_analysis.reports.render` with ``jobs=2`` (process pool + papermill's
  Python API), including the HTML reports and the index.

It also measures the per-notebook overhead: an (almost) empty notebook run through the API in a
warm process vs through the command line.

Usage::

    .venv/bin/python benchmarks/bench_render.py [--quick] [--regions 8] [--jobs 2]

Prints a table and writes the same numbers to ``benchmarks/results/render.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
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
from ars_analysis.reports import DataInfo, load_config, render  # noqa: E402

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 notebook x 2 regions")
    parser.add_argument("--regions", type=int, default=None, help="number of regions (default 8)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--notebooks", nargs="*", default=None, help="notebook names")
    parser.add_argument("--notebooks-dir", type=Path, default=REPO / "notebooks")
    args = parser.parse_args(argv)

    data = REPO / "data" / "sample"
    nb_dir = args.notebooks_dir
    notebooks = sorted(p.name for p in nb_dir.glob("0*.ipynb"))
    if args.notebooks:
        notebooks = [n if n.endswith(".ipynb") else f"{n}.ipynb" for n in args.notebooks]
    n_regions = args.regions or (2 if args.quick else 8)
    if args.quick and not args.notebooks:
        notebooks = notebooks[:1]
    if not notebooks:
        print("no notebooks in notebooks/", file=sys.stderr)
        return 1
    regions = DataInfo(data).regions()[:n_regions]
    jobs = len(notebooks) * len(regions)
    print(f"{len(notebooks)} notebooks x {len(regions)} regions = {jobs} jobs; --jobs {args.jobs}")

    with tempfile.TemporaryDirectory(prefix="bench_render_") as tmpdir:
        tmp = Path(tmpdir)
        # -- baseline: papermill CLI, one job after another
        t0 = time.perf_counter()
        cli_failed = []
        for nb in notebooks:
            for region in regions:
                out_dir = tmp / "cli" / f"{Path(nb).stem}-{region}"
                out_dir.mkdir(parents=True)
                params = {"data_path": str(data), "region": region, "output_dir": str(out_dir)}
                proc = subprocess.run(
                    [PAPERMILL, str(nb_dir / nb), str(out_dir / nb), "-y", yaml.safe_dump(params, allow_unicode=True),
                     "--cwd", str(nb_dir), "--no-progress-bar", "-k", "python3"],
                    capture_output=True,
                )  # fmt: skip
                if proc.returncode:  # a failing job is timed like the others, and reported
                    cli_failed.append(f"{Path(nb).stem}-{region}")
        t_cli = time.perf_counter() - t0

        # -- ars render: process pool + papermill API (+ HTML + index)
        cfg_path = tmp / "bench.yml"
        cfg_path.write_text(
            yaml.safe_dump(
                {
                    "data_path": str(data),
                    "notebooks_dir": str(nb_dir),
                    "output_dir": str(tmp / "render"),
                    "timeout": 1800,
                    "jobs": [{"notebook": nb, "regions": regions} for nb in notebooks],
                },
                allow_unicode=True,
            ),
            encoding="utf-8",
        )
        t0 = time.perf_counter()
        results = render(load_config(cfg_path), jobs=args.jobs, progress=False)
        t_render = time.perf_counter() - t0
        failed = [r["name"] for r in results if r["status"] != "ok"]
        per_job = {r["name"]: r["seconds"] for r in results}
        ov = overhead(tmp, repeats=2 if args.quick else 3)
        shutil.rmtree(tmp / "cli", ignore_errors=True)

    ratio = t_cli / t_render
    result = {
        "benchmark": "render",
        "quick": args.quick,
        "notebooks": notebooks,
        "regions": len(regions),
        "n_jobs": jobs,
        "workers": args.jobs,
        "papermill_cli_sequential_s": round(t_cli, 2),
        "ars_render_s": round(t_render, 2),
        "speedup": round(ratio, 2),
        "target_speedup": 1.5,
        "failed_jobs": failed,
        "failed_jobs_cli": cli_failed,
        "render_job_seconds": per_job,
        "empty_notebook_api_s": round(ov["empty_api_s"], 3),
        "empty_notebook_cli_s": round(ov["empty_cli_s"], 3),
        "cli_overhead_per_notebook_s": round(ov["empty_cli_s"] - ov["empty_api_s"], 3),
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2),
        "python": platform.python_version(),
        "ars_analysis": __version__,
    }
    rows = [
        ("papermill CLI, sequential", f"{t_cli:8.1f} s"),
        (f"ars render --jobs {args.jobs}", f"{t_render:8.1f} s"),
        ("speed-up (target >= 1.5x)", f"{ratio:8.2f} x"),
        ("empty notebook via API", f"{ov['empty_api_s']:8.2f} s"),
        ("empty notebook via CLI", f"{ov['empty_cli_s']:8.2f} s"),
        ("CLI overhead per notebook", f"{ov['empty_cli_s'] - ov['empty_api_s']:8.2f} s"),
        ("load average (1 min) at end", f"{os.getloadavg()[0]:8.2f}"),
    ]
    width = max(len(a) for a, _ in rows)
    for a, b in rows:
        print(f"{a:<{width}}  {b}")
    if failed or cli_failed:
        print(f"FAILED jobs: render {failed}, papermill CLI {cli_failed}", file=sys.stderr)
    out = REPO / "benchmarks" / "results" / "render.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {out.relative_to(REPO)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
