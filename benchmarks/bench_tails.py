"""Benchmark of the power-law tail fit (ars_analysis.terminals.tails.fit_tail) against `powerlaw`.

Run: .venv/bin/python benchmarks/bench_tails.py [--quick | --before-after]

``--before-after`` times only the fast xmin search as it was (every subsample stage before the
first exact round, exact evaluations over whole tails) and as it is (one stage per round, exact
evaluations that stop once a candidate is worse than the best) on the same 10^6 values (pure power law, log-normal, mixture) in one run and
checks that xmin and alpha are identical.

For each data set and size it times, in the same run:
* ours, fast xmin search (the default), with peak traced memory (tracemalloc);
* ours, exhaustive scan (the reference), where it runs in reasonable time;
* powerlaw 2.0.0 full scan (``powerlaw.Fit(x)``), where it finishes (small sizes), and
  powerlaw restricted to an xmin range around our xmin (``xmin=(lo, hi)``) at larger sizes,
  compared with our fast search on the same range.
It checks that the xmin/alpha agree and prints the time ratios. Results go to
benchmarks/results/tails.json.
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ars_analysis.terminals import tails as _tails  # noqa: E402
from ars_analysis.terminals.tails import fit_tail  # noqa: E402

#: The previous fast search: three subsample stages, all applied before any exact round, and
#: every exact evaluation over the whole tail.
OLD_OPTIONS = {"q_sizes": (32, 256, 2048), "lazy": False, "early_stop": False}


def fit_tail_old(x):
    """fit_tail with the previous fast search, for comparison in the same run only."""
    new = _tails._search_continuous_fast

    def old(x, cand, **kw):
        return new(x, cand, **{**kw, **OLD_OPTIONS})

    _tails._search_continuous_fast = old
    try:
        return fit_tail(x)
    finally:
        _tails._search_continuous_fast = new


def speed_before_after(sizes=(1_000_000,)):
    """Previous and current fast search on the same data, same run: time and identical
    results."""
    rows = []
    for kind in ("power_law", "lognormal", "mixture"):
        for n in sizes:
            x = data(kind, n)
            old, t_old, _ = timed(lambda x=x: fit_tail_old(x))
            new, t_new, _ = timed(lambda x=x: fit_tail(x))
            row = {
                "data": kind,
                "n": n,
                "old_s": round(t_old, 2),
                "new_s": round(t_new, 2),
                "old_n_exact": old.search_.get("n_exact"),
                "new_n_exact": new.search_.get("n_exact"),
                "same_xmin": bool(old.xmin == new.xmin),
                "same_alpha": bool(old.alpha == new.alpha),
                "proved_exact": bool(new.search_.get("exact")),
            }
            rows.append(row)
            print(json.dumps(row), flush=True)
    return rows


def data(kind: str, n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "lognormal":  # terminal-like volumes
        return rng.lognormal(10, 1.6, n)
    if kind == "mixture":  # lognormal body + power-law tail (alpha = 2.2)
        return np.r_[rng.lognormal(0, 1, n - n // 2), 3 * (1 - rng.random(n // 2)) ** (-1 / 1.2)]
    if kind == "power_law":  # pure power law from x = 1 (worst case of the fast search)
        return (1 - rng.random(n)) ** (-1 / 1.5)
    raise ValueError(kind)


def timed(f, memory=False):
    if memory:
        tracemalloc.start()
    t = time.perf_counter()
    out = f()
    dt = time.perf_counter() - t
    peak = None
    if memory:
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out, dt, peak


def run_powerlaw(x, xmin=None):
    import powerlaw

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = powerlaw.Fit(x, xmin=xmin, verbose=0)
        return float(f.xmin), float(f.alpha)


def main(argv=None):
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="small sizes, < 1 minute")
    ap.add_argument(
        "--before-after",
        action="store_true",
        help="only the previous and the current fast xmin search on the same 10^6 values",
    )
    args = ap.parse_args(argv)
    if args.before_after:
        rows = speed_before_after()
        path = Path(__file__).resolve().parent / "results" / "tails_before_after.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps({"rows": rows}, indent=2))
        print(f"written {path}")
        return
    if args.quick:
        plan = [
            ("lognormal", 2000, True, True),
            ("mixture", 2000, True, True),
            ("lognormal", 100_000, False, False),
            ("lognormal", 1_000_000, False, False),
        ]
    else:
        plan = [
            ("lognormal", 2000, True, True),
            ("mixture", 2000, True, True),
            ("power_law", 2000, True, True),
            ("lognormal", 5000, True, True),
            ("mixture", 10_000, True, False),
            ("lognormal", 100_000, False, False),
            ("mixture", 100_000, False, False),
            ("lognormal", 1_000_000, False, False),
            ("mixture", 1_000_000, False, False),
        ]
    rows = []
    for kind, n, do_exh, do_pl in plan:
        x = data(kind, n)
        fast, t_fast, mem = timed(lambda x=x: fit_tail(x), memory=n <= 100_000)
        if n > 100_000:  # tracemalloc slows big runs: measure memory on a second run
            _, _, mem = timed(lambda x=x: fit_tail(x), memory=True)
        row = {
            "data": kind,
            "n": n,
            "ours_fast_s": round(t_fast, 4),
            "ours_peak_mib": mem and round(mem, 1),
            "xmin": fast.xmin,
            "alpha": round(fast.alpha, 6),
            "n_tail": fast.n_tail,
            "proved_exact": bool(fast.search_.get("exact")),
            "n_exact": fast.search_.get("n_exact"),
        }
        if do_exh:
            exh, t_exh, _ = timed(lambda x=x: fit_tail(x, xmin_search="exhaustive"))
            row.update(
                ours_exhaustive_s=round(t_exh, 4),
                same_as_exhaustive=bool(
                    exh.xmin == fast.xmin and abs(exh.alpha - fast.alpha) < 1e-12
                ),
            )
        if do_pl:
            (pxm, pal), t_pl, _ = timed(lambda x=x: run_powerlaw(x))
            row.update(
                powerlaw_s=round(t_pl, 3),
                powerlaw_xmin=pxm,
                powerlaw_alpha=round(pal, 6),
                same_as_powerlaw=bool(np.isclose(pxm, fast.xmin)),
                speedup_vs_powerlaw=round(t_pl / t_fast, 1),
            )
        else:
            # powerlaw does not finish a full scan at this size: compare on an xmin range
            # holding ~300 candidates around our xmin
            xs = np.sort(x)
            i = int(np.searchsorted(xs, fast.xmin))
            lo, hi = xs[max(i - 150, 0)], xs[min(i + 150, n - 1)]
            (pxm, pal), t_pl, _ = timed(lambda x=x, lo=lo, hi=hi: run_powerlaw(x, (lo, hi)))
            rng_fit, t_rng, _ = timed(lambda x=x, lo=lo, hi=hi: fit_tail(x, xmin_range=(lo, hi)))
            row.update(
                range=[float(lo), float(hi)],
                powerlaw_range_s=round(t_pl, 3),
                ours_range_s=round(t_rng, 4),
                powerlaw_xmin=pxm,
                same_as_powerlaw=bool(np.isclose(pxm, rng_fit.xmin)),
                speedup_vs_powerlaw_range=round(t_pl / t_rng, 1),
            )
        if not row["same_as_powerlaw"] and fast.alpha > 3:
            row["note"] = (
                "powerlaw accepts only alpha <= 3 (Power_Law.DEFAULT_PARAMETER_RANGES), "
                "so it skips the KS minimum whose alpha > 3"
            )
        rows.append(row)
        print(json.dumps(row, ensure_ascii=False), flush=True)

    print()
    hdr = f"{'data':<10}{'n':>9}{'fast s':>9}{'MiB':>7}{'exh s':>9}{'powerlaw s':>12}{'ratio':>8}  same xmin"
    print(hdr)
    for r in rows:
        pl = r.get("powerlaw_s", r.get("powerlaw_range_s"))
        ratio = r.get("speedup_vs_powerlaw", r.get("speedup_vs_powerlaw_range"))
        tag = "" if "powerlaw_s" in r else " (xmin range)"
        print(
            f"{r['data']:<10}{r['n']:>9}{r['ours_fast_s']:>9.3f}{(r['ours_peak_mib'] or 0):>7.0f}"
            f"{r.get('ours_exhaustive_s', float('nan')):>9.2f}{pl:>12.2f}{ratio:>8.1f}  "
            f"{r.get('same_as_exhaustive', '-')}/{r['same_as_powerlaw']}{tag}"
        )
    out = {
        "benchmark": "tails.fit_tail vs powerlaw",
        "quick": args.quick,
        "machine": {
            "python": platform.python_version(),
            "processor": platform.processor(),
            "numpy": np.__version__,
        },
        "rows": rows,
    }
    path = Path(__file__).resolve().parent / "results" / "tails.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False))
    print(f"\nwritten {path}")


if __name__ == "__main__":
    main()
