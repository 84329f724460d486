"""Benchmark: core-customer analyses (ars_analysis.customers) against their baselines.

Usage::

    .venv/bin/python benchmarks/bench_customers.py           # 1,000,000 customers
    .venv/bin/python benchmarks/bench_customers.py --quick   # 100,000 customers (< 1 minute)

Cases, all measured in this run on the same data (lognormal revenue, sigma 1.5, fixed seed):

* ``computed_abc`` vs ``abc-analysis`` (``abc_analysis.abc_analysis``, the reference Python port
  of Ultsch & Lötsch's computed ABC): same values in, classes compared (must be identical);
  our side returns the full per-customer table (rank, shares, class), in rank order (default)
  and in input order (``sort=False``: the string id column is not gathered, which alone costs
  ~0.3 s per million ids). Target >= 5x faster. Measured at the full size and at 1/10 of it
  (equal sizes on both sides).
* ``abc_classify`` (fixed cuts 80/95 %) vs a plain pandas implementation
  (``sort_values`` + ``cumsum`` + ``np.select``); classes compared.
* ``CustomerSegmenter`` (k-means, k chosen by silhouette in 2..8, 10 bootstrap refits for
  stability) on 100,000 customers (``--quick``: 20,000) with the seven default features.
  Target: under 60 s.

Timings are the best of ``--repeat`` runs (wall clock; the machine may be shared); peak memory
is the largest traced allocation (``tracemalloc``, Python + NumPy buffers) in a separate run.
Results are printed and written to ``benchmarks/results/customers.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import tracemalloc
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from ars_analysis.customers import (  # noqa: E402
    CustomerSegmenter,
    abc_classify,
    computed_abc,
)

RESULTS = HERE / "results"


def _data(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {"customer_id": np.arange(n).astype(str), "revenue": rng.lognormal(0, 1.5, n)}
    )


def _reference_abc(values: pd.Series) -> np.ndarray:
    from abc_analysis import abc_analysis

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = abc_analysis(values)
    cls = np.full(len(values), 2, dtype=np.int8)
    cls[r["Aind"]] = 0
    cls[r["Bind"]] = 1
    return cls


def _ours_computed(df: pd.DataFrame) -> pd.DataFrame:
    return computed_abc(df)


def _ours_computed_unsorted(df: pd.DataFrame) -> pd.DataFrame:
    return computed_abc(df, sort=False)


def _codes_in_input_order(out: pd.DataFrame, df: pd.DataFrame) -> np.ndarray:
    pos = pd.Index(df["customer_id"]).get_indexer(out["customer_id"])
    codes = np.empty(len(df), dtype=np.int8)
    codes[pos] = out["abc_class"].cat.codes.to_numpy()
    return codes


def _pandas_fixed(df: pd.DataFrame) -> pd.DataFrame:
    s = df.sort_values("revenue", ascending=False, kind="stable")
    total = s["revenue"].clip(lower=0).sum()
    cum = s["revenue"].clip(lower=0).cumsum() / total
    prev = cum - s["revenue"].clip(lower=0) / total
    s = s.assign(
        rank=np.arange(1, len(s) + 1),
        share=s["revenue"] / total,
        cumulative_share=cum,
        abc_class=np.select([prev < 0.8, prev < 0.95], ["A", "B"], "C"),
    )
    return s


def _ours_fixed(df: pd.DataFrame) -> pd.DataFrame:
    return abc_classify(df)


def _time(fn, *args, repeat: int = 3):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, result


def _peak_mb(fn, *args) -> float:
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def _segment_data(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    size = rng.choice(3, n, p=[0.6, 0.3, 0.1])
    return pd.DataFrame(
        {
            "customer_id": np.arange(n).astype(str),
            "revenue": rng.lognormal(10 + 1.5 * size, 0.6),
            "growth": rng.normal(0.05 * size, 0.2),
            "recency_days": rng.exponential(30 / (1 + size)),
            "order_days": rng.poisson(20 * (1 + size)),
            "n_products": rng.poisson(8 * (1 + size)),
            "active_terminals": rng.poisson(5 * (1 + 2 * size)),
            "margin_rate": rng.normal(0.22, 0.04, n),
        }
    )


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="100k customers, segmenter on 20k")
    ap.add_argument("--n", type=int, default=None, help="customers for the ABC cases")
    ap.add_argument("--n-segment", type=int, default=None, help="customers for the segmenter")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    n = args.n or (100_000 if args.quick else 1_000_000)
    n_seg = args.n_segment or (20_000 if args.quick else 100_000)
    rows = []

    for size in (n // 10, n):
        df = _data(size)
        t_ref, ref = _time(_reference_abc, df["revenue"], repeat=args.repeat)
        t_our, ours = _time(_ours_computed, df, repeat=args.repeat)
        t_uns, uns = _time(_ours_computed_unsorted, df, repeat=args.repeat)
        rows.append(
            {
                "case": "computed ABC",
                "n": size,
                "approach": "abc-analysis (baseline)",
                "seconds": t_ref,
                "peak_mb": _peak_mb(_reference_abc, df["revenue"]),
                "ratio": 1.0,
                "check": "",
            }
        )
        for name, t, out, fn in (
            ("customers.computed_abc (rank order)", t_our, ours, _ours_computed),
            ("customers.computed_abc(sort=False)", t_uns, uns, _ours_computed_unsorted),
        ):
            same = bool((_codes_in_input_order(out, df) == ref).all())
            rows.append(
                {
                    "case": "computed ABC",
                    "n": size,
                    "approach": name,
                    "seconds": t,
                    "peak_mb": _peak_mb(fn, df),
                    "ratio": t_ref / t,
                    "check": "same classes" if same else "CLASSES DIFFER",
                }
            )
        t_pd, pdres = _time(_pandas_fixed, df, repeat=args.repeat)
        t_fx, fx = _time(_ours_fixed, df, repeat=args.repeat)
        same = bool((pdres["abc_class"].to_numpy() == fx["abc_class"].astype(str).to_numpy()).all())
        rows.append(
            {
                "case": "fixed-cut ABC",
                "n": size,
                "approach": "plain pandas (baseline)",
                "seconds": t_pd,
                "peak_mb": _peak_mb(_pandas_fixed, df),
                "ratio": 1.0,
                "check": "",
            }
        )
        rows.append(
            {
                "case": "fixed-cut ABC",
                "n": size,
                "approach": "customers.abc_classify",
                "seconds": t_fx,
                "peak_mb": _peak_mb(_ours_fixed, df),
                "ratio": t_pd / t_fx,
                "check": "same classes" if same else "CLASSES DIFFER",
            }
        )

    X = _segment_data(n_seg)
    t0 = time.perf_counter()
    seg = CustomerSegmenter(random_state=0, n_bootstrap=10).fit(X)
    t_seg = time.perf_counter() - t0
    rows.append(
        {
            "case": "segmenter",
            "n": n_seg,
            "approach": "CustomerSegmenter (kmeans, k=2..8, 10 bootstraps)",
            "seconds": t_seg,
            "peak_mb": float("nan"),
            "ratio": 60.0 / t_seg,
            "check": f"k={seg.n_segments_}, stability={seg.stability_:.3f}, "
            f"{'within' if t_seg < 60 else 'OVER'} 60 s",
        }
    )

    table = pd.DataFrame(rows)
    with pd.option_context("display.width", 200, "display.max_colwidth", 60):
        print(table.round({"seconds": 3, "peak_mb": 1, "ratio": 2}).to_string(index=False))
    print("ratio = baseline seconds / our seconds (segmenter: 60 s budget / seconds)")
    result = {
        "module": "customers",
        "quick": args.quick,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "rows": json.loads(table.to_json(orient="records")),
        "targets": {
            "computed_abc_speedup_min": 5.0,
            "segmenter_seconds_max": 60.0,
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "customers.json").write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


if __name__ == "__main__":
    main()
