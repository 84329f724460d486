"""Run every ``benchmarks/bench_*.py`` and collect ``benchmarks/results/*.json`` into one table.

Usage::

    .venv/bin/python benchmarks/run_all.py            # full sizes (make bench)
    .venv/bin/python benchmarks/run_all.py --quick    # small sizes, < 1 minute each
    .venv/bin/python benchmarks/run_all.py --only aggregate terminals
    .venv/bin/python benchmarks/run_all.py --collect  # only print the table of existing results

Each benchmark runs in its own process (so their memory does not add up). A failing benchmark is
reported and the others still run; the exit code is 1 if any failed. The combined table is
printed and written to ``benchmarks/results/summary.md``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

#: Row fields shown first when present (others follow in their own order).
PREFERRED = (
    "approach",
    "method",
    "name",
    "size",
    "n",
    "n_lines",
    "seconds",
    "peak_mb",
    "speedup_vs_baseline",
    "memory_fraction_of_baseline",
)


def _rows(payload) -> list[dict]:
    """Find the per-approach rows of a result file (the first list of dicts), else the scalars."""
    if isinstance(payload, list) and payload and all(isinstance(r, dict) for r in payload):
        return payload
    if isinstance(payload, dict):
        for value in payload.values():
            if isinstance(value, list) and value and all(isinstance(r, dict) for r in value):
                return value
        return [{k: v for k, v in payload.items() if isinstance(v, (int, float, str, bool))}]
    return [{"value": payload}]


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 1000 else f"{value:,.0f}"
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def collect(names: list[str] | None = None) -> str:
    """Return a Markdown table of all result files (or those named)."""
    lines = []
    for path in sorted(RESULTS.glob("*.json")):
        if names and path.stem not in names:
            continue
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            lines.append(f"\n## {path.stem}\n\nunreadable result file: {exc}\n")
            continue
        rows = _rows(payload)
        keys = [k for k in PREFERRED if any(k in r for r in rows)]
        keys += [k for r in rows for k in r if k not in keys and not isinstance(r[k], (list, dict))]
        keys = list(dict.fromkeys(keys))
        header = f"\n## {path.stem}"
        if isinstance(payload, dict):
            extra = {
                k: payload[k] for k in ("n_lines", "quick", "target_met", "date") if k in payload
            }
            if extra:
                header += "  (" + ", ".join(f"{k}={_fmt(v)}" for k, v in extra.items()) + ")"
        lines += [header, "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
        for r in rows:
            lines.append("| " + " | ".join(_fmt(r.get(k, "")) for k in keys) + " |")
    return "\n".join(lines).strip() + "\n" if lines else "no benchmark results yet\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run all benchmarks and collect their results.")
    parser.add_argument("--quick", action="store_true", help="pass --quick to every benchmark")
    parser.add_argument(
        "--only", nargs="+", metavar="NAME", help="run only these benchmarks (bench_NAME.py)"
    )
    parser.add_argument("--collect", action="store_true", help="do not run; only collect results")
    args = parser.parse_args(argv)

    scripts = sorted(HERE.glob("bench_*.py"))
    if args.only:
        wanted = set(args.only)
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in wanted]
        missing = wanted - {s.stem.removeprefix("bench_") for s in scripts}
        if missing:
            parser.error(f"no benchmark named {sorted(missing)} in {HERE}")
    failed = []
    if not args.collect:
        for script in scripts:
            cmd = [sys.executable, str(script), *(["--quick"] if args.quick else [])]
            print(f"\n=== {script.name} {'--quick' if args.quick else ''}", flush=True)
            t0 = time.perf_counter()
            proc = subprocess.run(cmd, cwd=HERE.parent)
            print(
                f"=== {script.name}: exit {proc.returncode} after {time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            if proc.returncode != 0:
                failed.append(script.name)
    names = None if not args.only else [s.stem.removeprefix("bench_") for s in scripts]
    table = collect(names)
    print("\n" + table)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "summary.md").write_text(table, encoding="utf-8")
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
