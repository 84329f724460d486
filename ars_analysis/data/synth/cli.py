"""The ``ars generate`` subcommand."""

from __future__ import annotations

import argparse
from pathlib import Path

from ars_analysis.data.synth.export import write_dataset
from ars_analysis.data.synth.problems import QUALITY_ISSUES
from ars_analysis.data.synth.world import generate_dataset

# --------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------


def _run_generate(args: argparse.Namespace) -> int:
    out = Path(args.out_dir)
    if out.exists() and not out.is_dir():
        raise SystemExit(f"ars generate: {out} exists and is not a folder")
    if out.exists() and any(out.iterdir()) and not args.force:
        raise SystemExit(
            f"ars generate: {out} is not empty; refusing to write there (it may hold input data). "
            "Use an empty folder or pass --force to overwrite the generated files."
        )
    issues = [s.strip() for s in (args.issues or "").split(",") if s.strip()]
    try:
        tables = generate_dataset(
            seed=args.seed,
            n_regions=args.regions,
            n_customers=args.customers,
            n_terminals=args.terminals,
            n_products=args.products,
            n_reps=args.reps,
            start=args.start,
            months=args.months,
            visit_months=args.visit_months,
            quality_issues=issues or None,
        )
    except ValueError as exc:
        raise SystemExit(f"ars generate: {exc}") from exc
    paths = write_dataset(tables, out)
    for p in paths:
        print(f"{p}  ({len(tables[p.stem]):,} rows)")
    return 0


def add_cli(subparsers) -> argparse.ArgumentParser:
    """Add the ``generate`` subcommand to the ``ars`` command."""
    p = subparsers.add_parser(
        "generate",
        help="generate a synthetic dataset (CSV files in the contract's format)",
        description="Generate a synthetic deep-distribution dataset (distributors, terminals, "
        "products, reps, sales lines, visits, targets, receivables) as CSV files in OUT_DIR.",
    )
    p.add_argument(
        "out_dir", metavar="OUT_DIR", help="folder to write (must be empty unless --force)"
    )
    p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    p.add_argument("--regions", type=int, default=8, help="number of regions, 1-8 (default 8)")
    p.add_argument(
        "--customers", type=int, default=100, help="number of distributors (default 100)"
    )
    p.add_argument("--terminals", type=int, default=2500, help="number of terminals (default 2500)")
    p.add_argument(
        "--products", type=int, default=40, help="number of products, at most 40 (default 40)"
    )
    p.add_argument("--reps", type=int, default=60, help="number of reps (default 60)")
    p.add_argument("--months", type=int, default=24, help="months of sales (default 24)")
    p.add_argument(
        "--visit-months", type=int, default=3, help="months of visits at the end (default 3)"
    )
    p.add_argument(
        "--start", default="2024-01-01", help="first month, ISO date (default 2024-01-01)"
    )
    p.add_argument(
        "--issues",
        default="",
        help="comma-separated data-quality problems to inject: " + ", ".join(QUALITY_ISSUES),
    )
    p.add_argument("--force", action="store_true", help="write even if OUT_DIR is not empty")
    p.set_defaults(func=_run_generate)
    return p
