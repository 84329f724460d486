"""Benchmark: latency of the what-if controls per change, against re-running the analysis.

On the sample data (national scope, as notebook 03 opens), the controls are built once and then
driven like a person would: ``controls.set(key, value)`` on one widget at a time, cycling
through tier rates, a tier bound, the threshold, the monthly cap, a gate level and a bonus-curve
point (``--changes`` changes, default 40). For every change it records

- ``cost_ms``: from the widget change until the backtest numbers (cost, cost rate, payout
  spread, winners / losers) are shown (what the consultant waits for to see the cost move);
- ``full_ms``: until P(over budget) is shown as well (the 200-scenario Monte Carlo; in the
  notebook it runs in a background thread after the cost is shown).

Baseline in the same run: what a change costs without the controls, i.e. editing a plan file
and re-running the incentive analysis of the report (``analyse_incentives`` with the edited
plans, the notebook's default 2,000 scenarios), timed ``--baseline-runs`` times (default 2).
The grading (notebook 01) and coverage (notebook 02) controls are timed the same way (no
target in the issue; reported for information). Wall times on a shared 2-core machine are noisy:
the CPU time of the process is reported beside them.

Target (issue 17): under 300 ms per change on the sample.

Usage::

    .venv/bin/python benchmarks/bench_whatif.py [--quick] [--changes N]

Prints a table and writes ``benchmarks/results/whatif.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.chdir(ROOT)
warnings.simplefilter("ignore")

from ars_analysis import load_dataset  # noqa: E402
from ars_analysis.client import load_client_config  # noqa: E402
from ars_analysis.compose import (  # noqa: E402
    analyse_core_customers,
    analyse_incentives,
    analyse_terminal_network,
    top_terminals,
)
from ars_analysis.whatif import (  # noqa: E402
    build_coverage_controls,
    build_grading_controls,
    build_incentive_controls,
    edit_plan,
)

TARGET_MS = 300.0


def _stats(ms: list[float]) -> dict:
    a = np.asarray(ms, float)
    return {
        "n": len(a),
        "median_ms": round(float(np.median(a)), 1),
        "p90_ms": round(float(np.percentile(a, 90)), 1),
        "max_ms": round(float(a.max()), 1),
    }


def incentive_changes(controls, n: int) -> list[tuple[str, float]]:
    s = {k: w.value for k, w in controls.widgets.items()}
    keys = [k for k in s if k.endswith(".rate")] + [
        k for k in s if k.endswith((".from", "threshold", "cap_period", "gates.0.min"))
    ] + [k for k in s if k.startswith("bonus.")]  # fmt: skip
    out = []
    for i in range(n):
        k = keys[i % len(keys)]
        factor = 1.1 if (i // len(keys)) % 2 == 0 else 1.0  # move, then move back
        out.append((k, round(s[k] * factor, 6)))
    return out


def time_controls(controls, changes, *, full_attr: str | None) -> dict:
    cost, full, cpu = [], [], []
    for key, value in changes:
        c0 = time.process_time()
        t0 = time.perf_counter()
        controls.set(key, value)
        wall = (time.perf_counter() - t0) * 1000
        cpu.append((time.process_time() - c0) * 1000)
        cost.append(controls.seconds * 1000)
        full.append(getattr(controls, full_attr) * 1000 if full_attr else wall)
    return {"cost": _stats(cost), "full": _stats(full), "cpu": _stats(cpu)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--changes", type=int, default=None)
    ap.add_argument("--baseline-runs", type=int, default=None)
    args = ap.parse_args()
    n = args.changes or (12 if args.quick else 40)
    n_base = args.baseline_runs or (1 if args.quick else 2)

    ds = load_dataset("data/sample")
    cfg = load_client_config()
    res = analyse_incentives(ds, cfg)
    scen = Path(tempfile.mkdtemp())
    t0 = time.perf_counter()
    c = build_incentive_controls(ds, res, lang="zh", scenario_dir=scen)
    setup_s = time.perf_counter() - t0
    changes = incentive_changes(c, n)
    inc = time_controls(c, changes, full_attr="budget_seconds")

    # baseline: edit the plan file, re-run the report's incentive analysis
    base_ms = []
    for i in range(n_base):
        key, value = changes[i]
        plans = [edit_plan(p, {key: value}) if p.name == c.plan.name else p for p in res.plans]
        t0 = time.perf_counter()
        analyse_incentives(ds, cfg, plan_files=plans)
        base_ms.append((time.perf_counter() - t0) * 1000)

    top = top_terminals(ds, cfg.definitions.top_terminal)
    cores = analyse_core_customers(ds, cfg, top=top, segments=False)
    g = build_grading_controls(ds, cfg, cores, top=top, scenario_dir=scen)
    keys = list(g.widgets)
    g_changes = [(keys[i % len(keys)], g.widgets[keys[i % len(keys)]].value * (0.9 if i % 2 == 0 else 1.0))
                 for i in range(max(6, n // 4))]  # fmt: skip
    grading = time_controls(g, g_changes, full_attr=None)

    net = analyse_terminal_network(ds, cfg, n_boot=100, gof_boot=20)
    cov = build_coverage_controls(ds, cfg, net, scenario_dir=scen)
    cv_changes = [("top_share", v) for v in (0.25, 0.3, 0.2)] + [
        ("unobserved_ratio", v) for v in (0.8, 1.0, 0.5)
    ]
    coverage = time_controls(cov, cv_changes, full_attr=None)

    rows = [
        {"approach": "whatif_incentives_cost", **inc["cost"], "target_ms": TARGET_MS,
         "meets_target": inc["cost"]["p90_ms"] < TARGET_MS},
        {"approach": "whatif_incentives_with_p_over_budget", **inc["full"],
         "target_ms": TARGET_MS, "meets_target": inc["full"]["p90_ms"] < TARGET_MS},
        {"approach": "whatif_incentives_cpu", **inc["cpu"]},
        {"approach": "baseline_rerun_analysis", **_stats(base_ms)},
        {"approach": "whatif_grading", **grading["full"]},
        {"approach": "whatif_coverage", **coverage["full"]},
    ]  # fmt: skip
    speedup = float(np.median(base_ms)) / max(inc["full"]["median_ms"], 1e-9)
    payload = {
        "rows": rows,
        "setup_seconds": round(setup_s, 2),
        "speedup_vs_baseline": round(speedup, 1),
        "load_average": os.getloadavg(),
        "changes": [list(ch) for ch in changes],
    }
    out = ROOT / "benchmarks" / "results" / "whatif.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"{'approach':40} {'n':>3} {'median ms':>10} {'p90 ms':>8} {'max ms':>8}")
    for r in rows:
        print(
            f"{r['approach']:40} {r['n']:>3} {r['median_ms']:>10} {r['p90_ms']:>8} {r['max_ms']:>8}"
        )
    print(f"controls set up in {setup_s:.1f} s; full update {speedup:.0f}x faster than re-running "
          f"the analysis; load average {os.getloadavg()[0]:.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
