"""Benchmark: field execution measures on large visit logs (ars_analysis.fieldforce).

Usage::

    .venv/bin/python benchmarks/bench_fieldforce.py           # 100k and 1M visits
    .venv/bin/python benchmarks/bench_fieldforce.py --quick   # 10k and 50k visits

A synthetic visit log (contract columns: reps visiting terminals on working days, some planned
visits not done, some unplanned, a few check-outs before check-in and overlaps) is generated in
memory. Each size times:

* ``loop_rep_days`` (baseline): one plain Python pass over the sorted visits computing each
  rep-day's visits, working span, travel time and overlaps (what one writes first);
* ``rep_days``: the vectorised :func:`ars_analysis.fieldforce.rep_days` (same results, checked);
* ``time_use``, ``visit_compliance``, ``visit_issues``, ``rep_scorecard``: the public measures.

Wall time with ``time.perf_counter`` (best of ``--repeat``), peak Python/numpy memory with
``tracemalloc`` in a separate run. Results: printed and written to
``benchmarks/results/fieldforce.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from ars_analysis import fieldforce as ff  # noqa: E402


def make_visits(n: int, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """A synthetic visit log of about ``n`` visits, with terminals and reps."""
    rng = np.random.default_rng(seed)
    n_reps = max(5, n // 2000)
    n_terms = max(20, n // 20)
    per_day = 6
    n_days = max(1, n // (n_reps * per_day))
    reps = pd.DataFrame({"rep_id": [f"R{i:05d}" for i in range(n_reps)],
                         "region": rng.choice(["East", "West", "North"], n_reps)})  # fmt: skip
    reps["manager_id"] = np.where(np.arange(n_reps) % 10 == 0, None, "R00000")
    terms = pd.DataFrame({
        "terminal_id": [f"T{i:07d}" for i in range(n_terms)],
        "rep_id": reps["rep_id"].to_numpy()[rng.integers(0, n_reps, n_terms)],
        "latitude": rng.uniform(20, 40, n_terms), "longitude": rng.uniform(100, 120, n_terms),
    })  # fmt: skip
    m = n_reps * n_days * per_day
    rep = np.repeat(reps["rep_id"].to_numpy(), n_days * per_day)
    day = np.tile(np.repeat(np.arange(n_days), per_day), n_reps)
    slot = np.tile(np.arange(per_day), n_reps * n_days)
    base = pd.Timestamp("2025-01-01") + pd.to_timedelta(day, unit="D")
    check_in = base + pd.to_timedelta(8 * 60 + slot * 70 + rng.integers(0, 20, m), unit="min")
    dur = rng.integers(10, 60, m)
    dur[rng.random(m) < 0.002] *= -1  # check-out before check-in
    check_out = check_in + pd.to_timedelta(dur, unit="min")
    done = rng.random(m) > 0.15
    planned = rng.random(m) > 0.1
    t_idx = rng.integers(0, n_terms, m)
    visits = pd.DataFrame({
        "visit_id": [f"V{i:08d}" for i in range(m)], "rep_id": rep,
        "terminal_id": terms["terminal_id"].to_numpy()[t_idx],
        "planned_date": pd.Series(base.normalize()).where(planned),
        "check_in": pd.Series(check_in).where(done), "check_out": pd.Series(check_out).where(done),
        "activities": rng.choice(["order;stock_check", "display", "order", "training;display"], m),
        "latitude": terms["latitude"].to_numpy()[t_idx] + rng.normal(0, 0.002, m),
        "longitude": terms["longitude"].to_numpy()[t_idx] + rng.normal(0, 0.002, m),
    })  # fmt: skip
    return visits, terms, reps


def loop_rep_days(visits: pd.DataFrame) -> pd.DataFrame:
    """Baseline: one pass in plain Python over the sorted done visits (per rep-day state)."""
    v = visits[visits["check_in"].notna()].copy()
    v["day"] = v["check_in"].dt.normalize()
    v = v.sort_values(["rep_id", "day", "check_in", "visit_id"], kind="mergesort")
    rows: list[list] = []
    state: list = []
    key = None
    for rep, day, ci, co in zip(v["rep_id"], v["day"], v["check_in"], v["check_out"], strict=True):
        if (rep, day) != key:
            if key is not None:
                rows.append(state)
            key = (rep, day)
            state = [rep, day, 0, None, None, 0.0, 0, 0, None]  # .., first, last, travel, ..
        state[2] += 1
        if pd.isna(co) or co < ci:
            continue
        state[3] = ci if state[3] is None else min(state[3], ci)
        state[4] = co if state[4] is None else max(state[4], co)
        if state[8] is not None:
            gap = (ci - state[8]).total_seconds() / 60
            if gap >= 0:
                state[5] += gap
                state[6] += 1
            else:
                state[7] += 1
        state[8] = co
    if key is not None:
        rows.append(state)
    out = pd.DataFrame(rows, columns=["rep_id", "day", "visits", "first", "last", "travel_min",
                                      "travel_gaps", "overlaps", "_prev"])  # fmt: skip
    timed = out["first"].notna()
    out["working_span_h"] = (
        pd.to_datetime(out["last"]) - pd.to_datetime(out["first"])
    ).dt.total_seconds() / 3600
    out["travel_min"] = out["travel_min"].where(timed)
    return out[["rep_id", "day", "visits", "working_span_h", "travel_min", "travel_gaps",
                "overlaps"]]  # fmt: skip


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    cols = ["visits", "working_span_h", "travel_min", "travel_gaps", "overlaps"]
    a = a.sort_values(["rep_id", "day"]).reset_index(drop=True)
    b = b.sort_values(["rep_id", "day"]).reset_index(drop=True)
    if len(a) != len(b):
        return False
    return all(np.allclose(a[c].astype(float), b[c].astype(float), equal_nan=True) for c in cols)


def _time(fn, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def _peak_mb(fn) -> float:
    tracemalloc.start()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="10k and 50k visits")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--sizes", type=int, nargs="*")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([10_000, 50_000] if args.quick else [100_000, 1_000_000])
    rows = []
    for n in sizes:
        visits, terms, reps = make_visits(n)
        cases = {
            "loop_rep_days": lambda v=visits: loop_rep_days(v),
            "rep_days": lambda v=visits: ff.rep_days(v),
            "time_use": lambda v=visits, r=reps: ff.time_use(v, r, level="team"),
            "visit_compliance": lambda v=visits: ff.visit_compliance(v, freq="M"),
            "visit_issues": lambda v=visits, r=reps, t=terms: ff.visit_issues(v, r, t),
            "rep_scorecard": lambda v=visits, r=reps, t=terms: ff.rep_scorecard(v, t, r),
        }
        same = _same(loop_rep_days(visits), ff.rep_days(visits))
        base = None
        for name, fn in cases.items():
            sec = _time(fn, args.repeat)
            if name == "loop_rep_days":
                base = sec
            mb = _peak_mb(fn)
            rows.append({
                "visits": len(visits), "case": name, "seconds": round(sec, 3),
                "peak_mb": round(mb, 1), "speedup_vs_loop": round(base / sec, 2),
                "same_as_loop": same if name == "rep_days" else None,
            })  # fmt: skip
            print(f"{len(visits):>10,} {name:<18}{sec:9.3f} s {mb:9.1f} MB  x{base / sec:6.2f}",
                  flush=True)  # fmt: skip
    print(f"\n{'visits':>10} {'case':<18}{'seconds':>9} {'peak MB':>10} {'vs loop':>8} same")
    for r in rows:
        same = "" if r["same_as_loop"] is None else str(r["same_as_loop"])
        print(f"{r['visits']:>10,} {r['case']:<18}{r['seconds']:9.3f} {r['peak_mb']:10.1f} "
              f"{r['speedup_vs_loop']:8.2f} {same}")  # fmt: skip
    out = {
        "benchmark": "fieldforce",
        "baseline": "loop_rep_days",
        "python": platform.python_version(),
        "pandas": pd.__version__,
        "machine": platform.machine(),
        "quick": args.quick,
        "rows": rows,
    }
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "fieldforce.json").write_text(json.dumps(out, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
