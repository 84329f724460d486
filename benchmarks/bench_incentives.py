"""Benchmark: vectorised Monte Carlo of incentive plans vs a per-rep Python loop.

Full size: 1,000 reps x 12 months x 10,000 scenarios x the 3 shipped plans (current, A, B) on
synthetic sales (8 regions, two categories, gross margin, behaviour KPIs). The vectorised
:func:`ars_analysis.incentives.simulate` (2 threads, chunks of 50 scenarios) is timed on every
scenario; its CPU time is reported too (the machine may be shared). The baseline is the
straightforward per-rep Python loop (``reference_payout(exact=False)``: float arithmetic, the
same plan semantics) timed on a few scenarios and **scaled linearly** to the full count (its
cost is linear in scenarios: each scenario is paid independently). Peak memory is the process's
peak resident set size (``ru_maxrss``) measured after the vectorised run, before the baseline.

Usage::

    .venv/bin/python benchmarks/bench_incentives.py [--quick]

Prints a table and writes ``benchmarks/results/incentives.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
import warnings
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ars_analysis.incentives import AttainmentModel, Plan, shipped_plans, simulate  # noqa: E402
from ars_analysis.incentives.grid import _measure_key, build_grid  # noqa: E402
from ars_analysis.incentives.reference import reference_payout  # noqa: E402


def synthetic(n_reps: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    regions = np.array(["华东", "华南", "华北", "华中", "西南", "西北", "东北", "山东"])
    reps = pd.DataFrame(
        {
            "rep_id": [f"R{i:05d}" for i in range(n_reps)],
            "region": regions[rng.integers(0, 8, n_reps)],
        }
    )
    hist_periods = [f"2024-{m:02d}" for m in range(1, 13)]
    fut_periods = [f"2025-{m:02d}" for m in range(1, 13)]
    base = rng.lognormal(np.log(300_000), 0.4, n_reps)
    skill = rng.normal(-0.05, 0.12, n_reps)
    rows = []
    for p in hist_periods:
        att = np.exp(skill + rng.normal(0, 0.3, n_reps))
        for cat, share in (("调味酱", 0.2), ("酱油", 0.8)):
            rev = base * att * share
            rows.append(
                pd.DataFrame(
                    {
                        "rep_id": reps["rep_id"],
                        "period": p,
                        "category": cat,
                        "revenue": rev,
                        "gross_margin": rev * 0.22,
                    }
                )
            )
    sales = pd.concat(rows, ignore_index=True)
    hist_targets = pd.DataFrame(
        [(r, p, b) for r, b in zip(reps["rep_id"], base, strict=True) for p in hist_periods],
        columns=["rep_id", "period", "target_revenue"],
    )
    targets = hist_targets.assign(period=hist_targets["period"].str.replace("2024", "2025"))
    # monthly KPIs over the last 3 months (a visit log is shorter than the sales history)
    kpis = pd.concat(
        [
            pd.DataFrame(
                {
                    "rep_id": reps["rep_id"],
                    "period": p,
                    "visit_completion": rng.uniform(0.5, 1.0, n_reps),
                    "top_terminal_coverage": rng.uniform(0.3, 1.0, n_reps),
                    "new_terminals": rng.integers(0, 6, n_reps),
                }
            )
            for p in hist_periods[-3:]
        ],
        ignore_index=True,
    )
    del fut_periods
    return sales, hist_targets, targets, reps, kpis


def loop_baseline(plans, model, sales, targets, reps, kpis, n_scen: int, seed: int = 1) -> float:
    """Seconds to pay ``n_scen`` scenarios with the per-rep Python loop (all plans)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = build_grid(plans, sales, targets, reps=reps, kpis=kpis)
    hist_rev = sales.groupby("rep_id")["revenue"].sum()
    ratios = {}
    for p in plans:
        for c in p.commissions:
            key = _measure_key(c)
            s = sales if c.categories is None else sales[sales["category"].isin(c.categories)]
            ratios[key] = (
                (s.groupby("rep_id")[c.measure].sum() / hist_rev).reindex(g.reps).to_numpy()
            )
    att = model.sample(g, n_scen, np.random.default_rng(seed))
    t0 = time.perf_counter()
    for s in range(n_scen):
        rev = att[s] * g.target
        gs = replace(g, revenue=rev, measures={k: rev * v[:, None] for k, v in ratios.items()})
        for p in plans:
            lines = reference_payout(p, gs, exact=False)
            _ = sum(float(v) for arr in lines.values() for v in arr.ravel())
    return time.perf_counter() - t0


def main(argv=None) -> dict:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes (< 1 minute)")
    args = ap.parse_args(argv)
    n_reps, n_scen, n_loop = (200, 1000, 2) if args.quick else (1000, 10_000, 3)
    sales, hist_targets, targets, reps, kpis = synthetic(n_reps)
    plans = [Plan.from_yaml(p) for p in shipped_plans()]
    model = AttainmentModel().fit(
        sales.groupby(["rep_id", "period"], as_index=False)["revenue"].sum(), hist_targets, reps
    )
    t0 = time.perf_counter()
    c0 = time.process_time()
    res = simulate(
        plans,
        model,
        sales,
        targets,
        reps=reps,
        kpis=kpis,
        n_scenarios=n_scen,
        seed=0,
        chunk_size=50,
        n_jobs=2,
    )
    t_vec = time.perf_counter() - t0
    cpu_vec = time.process_time() - c0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB
    t_loop_sub = loop_baseline(plans, model, sales, targets, reps, kpis, n_loop)
    t_loop = t_loop_sub * n_scen / n_loop
    out = {
        "size": {"reps": n_reps, "months": 12, "scenarios": n_scen, "plans": len(plans)},
        "vectorised_s": round(t_vec, 3),
        "vectorised_cpu_s": round(cpu_vec, 3),
        "threads": 2,
        "load_average_1min": round(os.getloadavg()[0], 2),
        "loop_s_measured": round(t_loop_sub, 3),
        "loop_scenarios_measured": n_loop,
        "loop_s_scaled": round(t_loop, 1),
        "speedup": round(t_loop / t_vec, 1),
        "peak_rss_mb": round(peak_mb, 1),
        "targets": {"vectorised_s_max": 30, "peak_rss_mb_max": 4096, "speedup_min": 50},
        "quick": args.quick,
        "mean_total_cost": {
            r["plan"]: round(r["total_cost_mean"], 2) for _, r in res.summary.iterrows()
        },
    }
    print(f"{'measure':<34}{'value':>14}")
    print(f"{'size (reps x months x scen x plans)':<34}{f'{n_reps}x12x{n_scen}x{len(plans)}':>14}")
    print(f"{'vectorised simulate [s]':<34}{t_vec:>14.2f}")
    print(f"{'vectorised simulate, CPU [s]':<34}{cpu_vec:>14.2f}")
    print(f"{'machine load average (1 min)':<34}{os.getloadavg()[0]:>14.2f}")
    print(f"{'loop, ' + str(n_loop) + ' scenarios measured [s]':<34}{t_loop_sub:>14.2f}")
    print(f"{'loop, scaled to all scenarios [s]':<34}{t_loop:>14.1f}")
    print(f"{'speed-up (loop / vectorised)':<34}{t_loop / t_vec:>14.1f}")
    print(f"{'peak RSS [MB]':<34}{peak_mb:>14.1f}")
    path = ROOT / "benchmarks" / "results" / "incentives.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, ensure_ascii=False, indent=2), encoding="utf-8")
    return out


if __name__ == "__main__":
    main()
