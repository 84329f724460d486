"""Benchmark: validation and aggregation of a large sales table on DuckDB, Spark and pandas.

Usage::

    .venv/bin/python benchmarks/bench_engines.py                      # 1, 5 and 20 million lines
    .venv/bin/python benchmarks/bench_engines.py --sizes 1000000 5000000
    .venv/bin/python benchmarks/bench_engines.py --quick               # 1 million lines

The sales lines (contract columns, ``ars_analysis.data.synth.write_sales_lines``) are written
once as Parquet under ``benchmarks/.data/`` (git-ignored) and reused. Every approach reads the
same Parquet file and does the same work:

1. **validation** of the lines: counts of missing, unreadable and negative values, mixed signs,
   returns, and orphans (customer, product, terminal IDs not in the master tables);
2. **aggregation**: sales per distributor, and per distributor x month, with every measure of
   ``ars_analysis.compose.aggregate.MEASURES``.

Approaches, each in its own subprocess (wall time; peak memory = the largest resident set of
the process and its children, sampled every 50 ms with psutil, so Spark's JVM counts):

* ``pandas`` (baseline): ``pd.read_parquet`` then the pandas validation
  (``ars_analysis.data.validation.validate``) and ``groupby().agg()``;
* ``duckdb``: ``validate_engine_table`` and ``sales_tables`` on DuckDB - no line enters pandas;
* ``spark``: the same Ibis code on a Spark ``local[2]`` session (2 shuffle partitions per
  core, session start-up included and reported separately).

The results of the three are checked against each other (keys and counts exact, revenue to
1e-9). Printed as a table and written to ``benchmarks/results/engines.json``, with a fit of
time and memory against size (``seconds = a * lines^b``) per approach.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / ".data"
RESULTS = HERE / "results"
APPROACHES = ("pandas", "duckdb", "spark")
BASELINE = "pandas"
SIZES = (1_000_000, 5_000_000, 20_000_000)


class PeakMemory:
    """Largest resident set of this process and its children, sampled in a thread."""

    def __init__(self, every: float = 0.05):
        import psutil

        self._proc = psutil.Process()
        self._every = every
        self.peak = 0
        self._child_cpu: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> int:
        total = 0
        for p in [self._proc, *self._proc.children(recursive=True)]:
            try:
                total += p.memory_info().rss
                if p.pid != self._proc.pid:
                    t = p.cpu_times()
                    self._child_cpu[p.pid] = t.user + t.system
            except Exception:  # noqa: BLE001 - a child that just ended
                pass
        return total

    @property
    def cpu_seconds(self) -> float:
        """CPU time of this process and its children (Spark's JVM included)."""
        t = self._proc.cpu_times()
        return t.user + t.system + sum(self._child_cpu.values())

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._sample())
            time.sleep(self._every)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.peak = max(self.peak, self._sample())
        self._stop.set()
        self._thread.join()


def _masters(n_customers: int = 2000, n_products: int = 200, n_terminals: int = 60000):
    """Master tables covering the generator's IDs except a few, so orphans exist."""
    import pandas as pd

    from ars_analysis.data.synth.bulk import iter_sales_lines

    first = next(iter_sales_lines(200_000, seed=42))
    cust = sorted(first["customer_id"].dropna().unique())
    prod = sorted(first["product_id"].dropna().unique())
    term = sorted(first["terminal_id"].dropna().unique())
    return {
        "customers": pd.DataFrame({"customer_id": cust[1:]}),  # the first one is unknown
        "products": pd.DataFrame({"product_id": prod}),
        "terminals": pd.DataFrame({"terminal_id": term[2:]}),
    }


def _pandas(path: str, masters):
    import pandas as pd

    from ars_analysis.data.validation import validate

    sales = pd.read_parquet(path)
    sales["date"] = pd.to_datetime(sales["date"])
    _, quality = validate({"sales": sales, **masters}, {"sales": "sales.parquet"})
    s = sales.assign(period=sales["date"].dt.strftime("%Y-%m"))

    def agg(keys):
        g = s.groupby(keys, sort=True)
        out = g.agg(
            quantity=("quantity", "sum"),
            revenue=("revenue", "sum"),
            cost=("cost", "sum"),
            lines=("revenue", "size"),
            order_days=("date", "nunique"),
            n_products=("product_id", "nunique"),
            n_terminals=("terminal_id", "nunique"),
            first_date=("date", "min"),
            last_date=("date", "max"),
        ).reset_index()
        out["gross_margin"] = out["revenue"] - out["cost"]
        return out

    return quality, agg(["customer_id"]), agg(["customer_id", "period"])


def _engine(path: str, masters, engine: str):
    from ars_analysis.compose.aggregate import sales_tables
    from ars_analysis.data.engine_validation import EngineTable, validate_engine_table

    cols = ["date", "customer_id", "terminal_id", "product_id", "quantity", "revenue", "cost"]
    table = EngineTable("sales", path, Path(path).name, {c: c for c in cols})
    quality = validate_engine_table(table, masters, engine=engine)
    out = sales_tables(path, {"c": ["customer_id"], "cm": (["customer_id"], "M")}, engine=engine)
    by_customer, by_month = out["c"], out["cm"]
    return quality, by_customer, by_month


def worker(approach: str, path: str, out: str) -> None:
    """Run one approach in this process; print its timing and peak memory as JSON."""
    import pandas as pd

    masters = _masters()
    startup = 0.0
    with PeakMemory() as mem:
        cpu0 = mem.cpu_seconds
        t0 = time.perf_counter()
        if approach == "pandas":
            quality, by_customer, by_month = _pandas(path, masters)
        elif approach == "duckdb":
            quality, by_customer, by_month = _engine(path, masters, "duckdb")
        elif approach == "spark":
            from ars_analysis.data.engines import spark_session

            spark_session("local[2]", {"spark.sql.shuffle.partitions": 4})
            startup = time.perf_counter() - t0
            quality, by_customer, by_month = _engine(path, masters, "spark")
        else:
            raise SystemExit(f"unknown approach {approach!r}")
        seconds = time.perf_counter() - t0
    checks = {
        r.check + (f":{r.column}" if r.check == "unknown_reference" else ""): int(r.n_rows)
        for r in quality.itertuples()
        if r.table == "sales"
    }
    cols = ["customer_id", "revenue", "lines", "order_days", "n_products", "n_terminals"]
    pd.to_pickle({"customer": by_customer[cols], "checks": checks}, out)
    print(
        json.dumps(
            {
                "seconds": seconds,
                "startup_seconds": startup,
                "peak_mb": mem.peak / 2**20,
                "cpu_seconds": mem.cpu_seconds - cpu0,
                "groups_customer": len(by_customer),
                "groups_customer_month": len(by_month),
            }
        )
    )


def _run(approach: str, path: Path, out: Path) -> dict:
    cmd = [sys.executable, __file__, "--worker", approach, str(path), str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if proc.returncode != 0:
        raise SystemExit(f"{approach} failed:\n{proc.stderr[-4000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _data(n_lines: int) -> Path:
    sys.path.insert(0, str(ROOT))
    from ars_analysis.data.synth import write_sales_lines

    DATA.mkdir(parents=True, exist_ok=True)
    path = DATA / f"sales_{n_lines}.parquet"
    if not path.exists():
        t0 = time.perf_counter()
        write_sales_lines(n_lines, path, seed=42)
        print(f"generated {path} in {time.perf_counter() - t0:.1f} s", flush=True)
    return path


def _same(outputs: dict[str, Path]) -> dict[str, bool]:
    import numpy as np
    import pandas as pd

    base = pd.read_pickle(outputs[BASELINE])
    b = base["customer"].sort_values("customer_id").reset_index(drop=True)
    ok = {}
    for name, path in outputs.items():
        got = pd.read_pickle(path)
        g = got["customer"].sort_values("customer_id").reset_index(drop=True)
        ok[name] = bool(
            g["customer_id"].astype(str).tolist() == b["customer_id"].astype(str).tolist()
            and np.allclose(g["revenue"], b["revenue"], rtol=1e-9)
            and all(
                (g[c].astype("int64") == b[c].astype("int64")).all()
                for c in ("lines", "order_days", "n_products", "n_terminals")
            )
            and got["checks"] == base["checks"]
        )
    return ok


def _load() -> float:
    import os

    try:
        return os.getloadavg()[0]
    except OSError:
        return float("nan")


def _fit(sizes: list[int], values: list[float]) -> dict | None:
    """``value = a * lines^b`` by least squares on logs (needs two sizes)."""
    import numpy as np

    if len(sizes) < 2:
        return None
    b, log_a = np.polyfit(np.log(sizes), np.log(values), 1)
    return {"a": float(np.exp(log_a)), "b": round(float(b), 3)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1 million lines only")
    parser.add_argument("--sizes", type=int, nargs="+", help="numbers of sales lines")
    parser.add_argument("--approaches", nargs="+", choices=APPROACHES, default=list(APPROACHES))
    parser.add_argument("--worker", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        sys.path.insert(0, str(ROOT))
        worker(*args.worker)
        return 0
    sizes = args.sizes or ([1_000_000] if args.quick else list(SIZES))
    rows = []
    for n in sizes:
        path = _data(n)
        outputs = {}
        for approach in args.approaches:
            outputs[approach] = DATA / "out" / f"engines_{approach}_{n}.pkl"
            outputs[approach].parent.mkdir(parents=True, exist_ok=True)
            r = _run(approach, path, outputs[approach])
            rows.append({"lines": n, "approach": approach, **r, "load": _load()})
            print(
                f"  {n:>11,} {approach:<8} {r['seconds']:8.2f} s "
                f"(start-up {r['startup_seconds']:.1f} s, CPU {r['cpu_seconds']:.1f} s) "
                f"{r['peak_mb']:8.0f} MB  load {rows[-1]['load']:.1f}",
                flush=True,
            )
            RESULTS.mkdir(parents=True, exist_ok=True)  # kept as it goes: a long run may stop
            (RESULTS / "engines_partial.json").write_text(json.dumps(rows, indent=2))
        same = _same(outputs) if BASELINE in outputs else {}
        for r in rows:
            if r["lines"] == n:
                r["same_as_baseline"] = same.get(r["approach"])
    fits = {}
    for approach in args.approaches:
        mine = [r for r in rows if r["approach"] == approach]
        fits[approach] = {
            "seconds": _fit([r["lines"] for r in mine], [r["seconds"] for r in mine]),
            "peak_mb": _fit([r["lines"] for r in mine], [r["peak_mb"] for r in mine]),
        }
    header = f"{'lines':>12} {'approach':<8}{'seconds':>10}{'CPU s':>9}{'peak MB':>10}{'same':>6}"
    print("\nValidate + aggregate sales lines (Parquet), same run")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['lines']:>12,} {r['approach']:<8}{r['seconds']:>10.2f}{r['cpu_seconds']:>9.1f}"
            f"{r['peak_mb']:>10.0f}"
            f"{'yes' if r.get('same_as_baseline') else '-' if r.get('same_as_baseline') is None else 'NO':>6}"
        )
    for approach, f in fits.items():
        if f["seconds"]:
            print(
                f"fit {approach:<7} seconds = {f['seconds']['a']:.3g} * lines^{f['seconds']['b']}, "
                f"peak MB = {f['peak_mb']['a']:.3g} * lines^{f['peak_mb']['b']}"
            )
    import duckdb
    import ibis

    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {
        "benchmark": "engines",
        "sizes": sizes,
        "rows": rows,
        "fits": fits,
        "machine": {
            "python": platform.python_version(),
            "cpus": __import__("os").cpu_count(),
            "duckdb": duckdb.__version__,
            "ibis": ibis.__version__,
        },
    }
    out = RESULTS / "engines.json"
    out.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    print(f"written {out.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
