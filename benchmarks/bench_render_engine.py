"""Benchmark one report rendered on a large sales table: lines in pandas vs kept in DuckDB.

The data: the sample client's master tables (customers, terminals, products, reps, visits,
targets, ...) with its ``sales.csv`` replaced by N synthetic lines (default 5 million,
``ars_analysis.data.synth.iter_sales_lines`` over the sample's own IDs and period, written as
CSV like the sample), in ``benchmarks/.data/render_<N>/`` (git-ignored, generated once).

The report: one notebook (default ``01_core_customers``, national, zh) executed by papermill
in a subprocess, twice in the same run:

- ``pandas``: ``load_dataset`` reads the lines into pandas (the default);
- ``duckdb``: ``ARS_LINES_IN_ENGINE=1`` - the lines stay in DuckDB, the analyses get
  aggregates (``ars_analysis.compose.aggregate``);
- ``duckdb_500MB`` (``--modes pandas duckdb duckdb_500MB``): the same with DuckDB's memory limit
  set (``ARS_DUCKDB_MEMORY_LIMIT``); beyond it DuckDB spills to disk.

Wall time, and peak memory of the process tree (papermill and its kernel, sampled every 100
ms with psutil); then both ``results.json`` are compared (text, counts, dates exactly,
numbers to 1e-9 relative).

Usage::

    .venv/bin/python benchmarks/bench_render_engine.py [--lines 5000000] [--notebook 01_core_customers]
        [--quick]  # 200,000 lines

Prints a table and writes it to ``benchmarks/results/render_engine.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

DATA = REPO / "benchmarks" / ".data"
RESULTS = REPO / "benchmarks" / "results"
SAMPLE = REPO / "data" / "sample"


def write_data(n_lines: int) -> Path:
    """The sample's tables with ``n_lines`` synthetic sales lines over its IDs (cached)."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.csv as pacsv

    from ars_analysis.data.outputs import atomic_path
    from ars_analysis.data.synth.bulk import iter_sales_lines

    folder = DATA / f"render_{n_lines}"
    if (folder / "sales.csv").exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    for f in SAMPLE.glob("*.csv"):
        if f.name != "sales.csv":
            shutil.copy2(f, folder / f.name)
    ids = {
        t: pd.read_csv(SAMPLE / f"{t}.csv", dtype=str)[f"{t[:-1]}_id"].tolist()
        for t in ("customers", "terminals", "products", "reps")
    }
    sizes = dict(
        n_customers=len(ids["customers"]), n_terminals=len(ids["terminals"]),
        n_products=len(ids["products"]), n_reps=len(ids["reps"]),
    )  # fmt: skip
    # the generator's own IDs (C00001, T0000001, P0001, R00001) -> the sample's, in order
    generated = {
        "customer_id": [f"C{i:05d}" for i in range(1, sizes["n_customers"] + 1)],
        "terminal_id": [f"T{i:07d}" for i in range(1, sizes["n_terminals"] + 1)],
        "product_id": [f"P{i:04d}" for i in range(1, sizes["n_products"] + 1)],
        "rep_id": [f"R{i:05d}" for i in range(1, sizes["n_reps"] + 1)],
    }
    sample = {
        "customer_id": ids["customers"], "terminal_id": ids["terminals"],
        "product_id": ids["products"], "rep_id": ids["reps"],
    }  # fmt: skip
    with atomic_path(folder / "sales.csv") as tmp:
        writer = None
        for table in iter_sales_lines(
            n_lines, seed=14, start="2024-01-01", months=24, arrow=True, **sizes
        ):
            cols = {}
            for name in table.column_names:
                col = table[name]
                if name in sample:
                    idx = pc.index_in(col, value_set=pa.array(generated[name]))
                    col = pc.take(pa.array(sample[name]), idx)
                cols[name] = col
            table = pa.table(cols)
            if writer is None:
                options = pacsv.WriteOptions(quoting_style="needed")
                writer = pacsv.CSVWriter(tmp, table.schema, write_options=options)
            writer.write_table(table)
        writer.close()
    return folder


def render(mode: str, folder: Path, notebook: str, out: Path) -> dict:
    """Execute the notebook in a subprocess; wall time and peak RSS of its process tree."""
    import psutil

    out.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, ARS_LINES_IN_ENGINE="0" if mode == "pandas" else "1")
    env["ARS_ENGINE"] = "duckdb"
    if mode.startswith("duckdb_"):  # duckdb_500MB: DuckDB's memory limit (it spills beyond)
        env["ARS_DUCKDB_MEMORY_LIMIT"] = mode.removeprefix("duckdb_")
    env.pop("ARS_SNAPSHOT_DIR", None)
    code = (
        "import papermill as pm, sys\n"
        "pm.execute_notebook(sys.argv[1], sys.argv[2], kernel_name='python3', "
        "progress_bar=False, cwd=sys.argv[3], parameters=dict(data_path=sys.argv[4], "
        "output_dir=sys.argv[5], lang='zh'))\n"
    )
    nb = REPO / "notebooks" / f"{notebook}.ipynb"
    cmd = [sys.executable, "-c", code, str(nb), str(out / "out.ipynb"), str(nb.parent),
           str(folder), str(out)]  # fmt: skip
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    root = psutil.Process(proc.pid)
    peak = 0
    while proc.poll() is None:
        total = 0
        try:
            for p in [root, *root.children(recursive=True)]:
                try:
                    total += p.memory_info().rss
                except psutil.Error:
                    pass
        except psutil.Error:
            pass
        peak = max(peak, total)
        time.sleep(0.1)
    seconds = time.perf_counter() - t0
    log = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{mode}: the notebook failed:\n{log[-3000:]}")
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    return {
        "mode": mode,
        "seconds": round(seconds, 1),
        "peak_mb": round(peak / 2**20),
        "results": results,
    }


def same(a, b, where="") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        if set(a) != set(b):
            return [f"{where}: keys differ"]
        return [d for k in a for d in same(a[k], b[k], f"{where}.{k}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} != {len(b)} items"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in same(x, y, f"{where}[{i}]")
        ]
    if isinstance(a, float) or isinstance(b, float):
        ok = a is not None and b is not None and math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
        return [] if ok else [f"{where}: {a!r} != {b!r}"]
    return [] if a == b else [f"{where}: {a!r} != {b!r}"]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=5_000_000)
    parser.add_argument("--notebook", default="01_core_customers")
    parser.add_argument("--quick", action="store_true", help="200,000 lines")
    parser.add_argument(
        "--modes", nargs="+", default=["pandas", "duckdb"],
        help="pandas, duckdb, duckdb_<memory limit> (e.g. duckdb_500MB); the first is the baseline",
    )  # fmt: skip
    args = parser.parse_args(argv)
    n = 200_000 if args.quick else args.lines
    t = time.perf_counter()
    folder = write_data(n)
    print(f"data: {folder} ({n:,} sales lines; ready in {time.perf_counter() - t:.0f} s)")
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in args.modes:
            r = render(mode, folder, args.notebook, Path(tmp) / mode)
            print(f"{mode:>7}: {r['seconds']:8.1f} s  peak {r['peak_mb']:,} MB")
            runs.append(r)
    diffs = [f"{r['mode']}{d}" for r in runs[1:] for d in same(runs[0]["results"], r["results"])]
    print("results.json: " + ("identical" if not diffs else f"{len(diffs)} difference(s)"))
    for d in diffs[:20]:
        print("  ", d)
    base = runs[0]
    rows = [
        {k: r[k] for k in ("mode", "seconds", "peak_mb")}
        | {
            "time_ratio": round(r["seconds"] / base["seconds"], 2),
            "memory_ratio": round(r["peak_mb"] / base["peak_mb"], 2),
        }  # fmt: skip
        for r in runs
    ]
    print(
        "\n| sales lines | lines held in | seconds | peak MB (process tree) | x time | x memory |"
    )
    print("|---:|---|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {n:,} | {r['mode']} | {r['seconds']} | {r['peak_mb']:,} | {r['time_ratio']} "
              f"| {r['memory_ratio']} |")  # fmt: skip
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "render_engine.json").write_text(
        json.dumps(
            {"lines": n, "notebook": args.notebook, "rows": rows, "same": not diffs,
             "differences": diffs[:50], "machine": platform.platform(),
             "cpus": os.cpu_count(), "load": os.getloadavg()},
            indent=2, ensure_ascii=False,
        ),
        encoding="utf-8",
    )  # fmt: skip
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
