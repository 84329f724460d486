"""Benchmark: aggregating a large sales table with DuckDB (ars_analysis.compose.aggregate) vs plain pandas.

Usage::

    .venv/bin/python benchmarks/bench_aggregate.py           # 20 million lines
    .venv/bin/python benchmarks/bench_aggregate.py --quick   # 1 million lines
    .venv/bin/python benchmarks/bench_aggregate.py --lines 5000000

The sales table (contract columns) is generated once with ``ars_analysis.data.synth.write_sales_lines``
as CSV and Parquet under ``benchmarks/.data/`` (git-ignored) and reused afterwards. Each approach
then runs in its own subprocess, which reports its wall time and its own peak resident memory
(``getrusage(RUSAGE_SELF).ru_maxrss``, i.e. interpreter + libraries + data). Every approach
computes the same two tables: per distributor, and per distributor x month, with the measures of
``ars_analysis.compose.aggregate.MEASURES`` (sums, line count, distinct dates / products / terminals,
first and last date). The results are checked against the pandas baseline.

Approaches:

* ``pandas_csv`` (baseline): ``pd.read_csv`` + ``groupby().agg()``;
* ``duckdb_csv``: ``aggregate.sales_tables`` on the CSV path: the file is parsed once, the
  columns the two tables need are held in DuckDB, and the month table and the total are
  computed together (the total rolled up from the months, distinct products and terminals
  re-counted from the distinct rows);
* ``duckdb_parquet``: the same on the Parquet path (scanned, not held: a Parquet scan is cheaper
  than holding);
* ``duckdb_sales_by``: two ``aggregate.sales_by`` calls on the Parquet path, one per table (what
  a caller asking for one table at a time gets).

Targets (issue #14): DuckDB at least 4x faster than the baseline on CSV and 8x on Parquet, with
at most 1/4 of its peak memory, same results.
Results: printed as a table and written to ``benchmarks/results/aggregate.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
RESULTS = HERE / "results"
APPROACHES = ("pandas_csv", "duckdb_csv", "duckdb_parquet", "duckdb_sales_by")
#: Minimum speed-up over the baseline per approach (issue #14).
TARGETS = {"duckdb_csv": 4.0, "duckdb_parquet": 8.0}
BASELINE = "pandas_csv"


def _pandas(path: str):
    import pandas as pd

    sales = pd.read_csv(
        path,
        dtype={
            "customer_id": "str",
            "terminal_id": "str",
            "product_id": "str",
            "rep_id": "str",
            "quantity": "float64",
            "revenue": "float64",
            "cost": "float64",
        },
        parse_dates=["date"],
    )
    aggs = {
        "quantity": ("quantity", "sum"),
        "revenue": ("revenue", "sum"),
        "cost": ("cost", "sum"),
        "lines": ("revenue", "size"),
        "order_days": ("date", "nunique"),
        "n_products": ("product_id", "nunique"),
        "n_terminals": ("terminal_id", "nunique"),
        "first_date": ("date", "min"),
        "last_date": ("date", "max"),
    }
    by_customer = sales.groupby("customer_id").agg(**aggs).reset_index()
    sales["period"] = sales["date"].dt.strftime("%Y-%m")
    by_month = sales.groupby(["customer_id", "period"]).agg(**aggs).reset_index()
    for out in (by_customer, by_month):
        out["gross_margin"] = out["revenue"] - out["cost"]
    return by_customer, by_month


def _duckdb(path: str):
    from ars_analysis.compose.aggregate import sales_tables

    out = sales_tables(path, {"c": ["customer_id"], "cm": (["customer_id"], "M")})
    return out["c"], out["cm"]


def _duckdb_sales_by(path: str):
    from ars_analysis.compose.aggregate import sales_by

    return sales_by(path, ["customer_id"]), sales_by(path, ["customer_id"], freq="M")


def worker(approach: str, csv_path: str, parquet_path: str, out: str) -> None:
    """Run one approach in this process and print its timing and peak memory as JSON."""
    t0 = time.perf_counter()
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    if approach == "pandas_csv":
        by_customer, by_month = _pandas(csv_path)
    elif approach == "duckdb_csv":
        by_customer, by_month = _duckdb(csv_path)
    elif approach == "duckdb_parquet":
        by_customer, by_month = _duckdb(parquet_path)
    elif approach == "duckdb_sales_by":
        by_customer, by_month = _duckdb_sales_by(parquet_path)
    else:
        raise SystemExit(f"unknown approach {approach!r}")
    seconds = time.perf_counter() - t0
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    cols = ["customer_id", "revenue", "lines", "order_days", "n_products", "n_terminals"]
    by_customer[cols].to_pickle(out)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_mb": peak_kb / 1024,
                "cpu_seconds": cpu,
                "groups_customer": len(by_customer),
                "groups_customer_month": len(by_month),
            }
        )
    )


def _run(approach: str, csv_path: Path, parquet_path: Path, out: Path) -> dict:
    cmd = [
        sys.executable,
        __file__,
        "--worker",
        approach,
        str(csv_path),
        str(parquet_path),
        str(out),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{approach} failed:\n{proc.stderr}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _data(n_lines: int) -> tuple[Path, Path, dict]:
    sys.path.insert(0, str(ROOT))
    from ars_analysis.data.synth import write_sales_lines

    DATA.mkdir(parents=True, exist_ok=True)
    csv_path = DATA / f"sales_{n_lines}.csv"
    parquet_path = DATA / f"sales_{n_lines}.parquet"
    made = {}
    for path in (csv_path, parquet_path):
        if not path.exists():
            t0 = time.perf_counter()
            write_sales_lines(n_lines, path, seed=42)
            made[path.suffix.lstrip(".")] = round(time.perf_counter() - t0, 1)
            print(f"generated {path} in {made[path.suffix.lstrip('.')]:.1f} s", flush=True)
    return csv_path, parquet_path, made


def _check(outputs: dict[str, Path]) -> dict[str, bool]:
    import numpy as np
    import pandas as pd

    base = pd.read_pickle(outputs[BASELINE]).sort_values("customer_id").reset_index(drop=True)
    ok = {}
    for name, path in outputs.items():
        got = pd.read_pickle(path).sort_values("customer_id").reset_index(drop=True)
        same_keys = (
            got["customer_id"].astype(str).tolist() == base["customer_id"].astype(str).tolist()
        )
        ok[name] = bool(
            same_keys
            and np.allclose(got["revenue"], base["revenue"], rtol=1e-9)
            and all(
                (got[c].astype("int64") == base[c].astype("int64")).all()
                for c in ("lines", "order_days", "n_products", "n_terminals")
            )
        )
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help="1 million lines instead of 20 million"
    )
    parser.add_argument("--lines", type=int, help="number of sales lines (overrides --quick)")
    parser.add_argument(
        "--worker", nargs=4, metavar=("APPROACH", "CSV", "PARQUET", "OUT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.worker:
        sys.path.insert(0, str(ROOT))
        worker(*args.worker)
        return 0

    n_lines = args.lines or (1_000_000 if args.quick else 20_000_000)
    csv_path, parquet_path, made = _data(n_lines)
    tmp = DATA / "out"
    tmp.mkdir(exist_ok=True)
    results, outputs = {}, {}
    for approach in APPROACHES:
        outputs[approach] = tmp / f"{approach}.pkl"
        results[approach] = _run(approach, csv_path, parquet_path, outputs[approach])
        print(
            f"  {approach:<15} {results[approach]['seconds']:8.2f} s  "
            f"{results[approach]['peak_mb']:8.0f} MB",
            flush=True,
        )
    same = _check(outputs)
    base = results[BASELINE]
    rows = []
    for approach, r in results.items():
        rows.append(
            {
                "approach": approach,
                "seconds": round(r["seconds"], 3),
                "cpu_seconds": round(r["cpu_seconds"], 2),
                "cpu_ratio_to_baseline": round(base["cpu_seconds"] / r["cpu_seconds"], 2),
                "peak_mb": round(r["peak_mb"], 1),
                "speedup_vs_baseline": round(base["seconds"] / r["seconds"], 2),
                "memory_fraction_of_baseline": round(r["peak_mb"] / base["peak_mb"], 3),
                "same_result_as_baseline": same[approach],
            }
        )
    target_met = all(
        r["speedup_vs_baseline"] >= TARGETS[r["approach"]]
        and r["memory_fraction_of_baseline"] <= 0.25
        and r["same_result_as_baseline"]
        for r in rows
        if r["approach"] in TARGETS
    )

    header = (
        f"{'approach':<16}{'seconds':>10}{'CPU s':>9}{'peak MB':>10}{'speed-up':>10}"
        f"{'memory':>10}{'same':>6}"
    )
    print(
        f"\nAggregate {n_lines:,} sales lines per customer and per customer x month "
        f"({csv_path.stat().st_size / 1e6:,.0f} MB CSV, {parquet_path.stat().st_size / 1e6:,.0f} MB Parquet)"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['approach']:<16}{r['seconds']:>10.2f}{r['cpu_seconds']:>9.1f}{r['peak_mb']:>10.0f}"
            f"{r['speedup_vs_baseline']:>9.1f}x{r['memory_fraction_of_baseline']:>10.2f}"
            f"{'yes' if r['same_result_as_baseline'] else 'NO':>6}"
        )
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = float("nan")
    print(
        f"load average at the end: {load:.1f} on {os.cpu_count()} cores (CPU seconds are "
        "less sensitive to other work on the machine than wall seconds)"
    )
    print(
        f"target (DuckDB >= 4x faster on CSV, >= 8x on Parquet, <= 1/4 of baseline memory, "
        f"same result): "
        f"{'met' if target_met else 'NOT met'}"
    )

    import duckdb
    import pandas as pd

    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "aggregate",
        "quick": n_lines == 1_000_000 and not args.lines,
        "n_lines": n_lines,
        "csv_mb": round(csv_path.stat().st_size / 1e6, 1),
        "parquet_mb": round(parquet_path.stat().st_size / 1e6, 1),
        "baseline": BASELINE,
        "results": rows,
        "target": "duckdb_csv >= 4x, duckdb_parquet >= 8x faster, <= 0.25x peak memory of pandas",
        "target_met": target_met,
        "generation_seconds": made,
        "versions": {
            "python": platform.python_version(),
            "pandas": pd.__version__,
            "duckdb": duckdb.__version__,
        },
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "load": load},
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    (RESULTS / "aggregate.json").write_text(
        json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    print(f"wrote {RESULTS / 'aggregate.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
