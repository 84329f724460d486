"""The ``ars render`` subcommand."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ars_analysis.reports.config import (
    EXIT_CONFIG,
    EXIT_FAILED,
    EXIT_OK,
    INDEX_HTML,
    ReportConfigError,
    load_config,
)
from ars_analysis.reports.jobs import expand_jobs, select_jobs
from ars_analysis.reports.runner import render, summary


def _cmd_render(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        print("ars render: --jobs must be at least 1", file=sys.stderr)
        return EXIT_CONFIG
    try:
        if args.list:
            cfg = load_config(args.config)
            if args.output:
                cfg.output_dir = Path(args.output)
            for j in select_jobs(expand_jobs(cfg), args.only):
                print(j.name)
            return EXIT_OK
        cfg = load_config(args.config)
        if args.output:
            cfg.output_dir = Path(args.output).resolve()
        results = render(
            cfg,
            jobs=args.jobs,
            only=args.only,
            timeout=args.timeout,
            progress=not args.quiet,
            engine=args.engine,
        )
    except ReportConfigError as exc:
        print(f"ars render: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    print(summary(results))
    print(f"index: {cfg.output_dir / INDEX_HTML}")
    return EXIT_OK if all(r["status"] == "ok" for r in results) else EXIT_FAILED


def add_cli(subparsers) -> argparse.ArgumentParser:
    """Add the ``render`` subcommand to the ``ars`` command's subparsers."""
    p = subparsers.add_parser(
        "render",
        help="render client reports (notebooks x parameter sets) to HTML",
        description=(
            "Execute the report jobs of a YAML config in parallel with papermill and write, per "
            "job, reports/<job>/report.html (client-ready, no code), the executed notebook and "
            "the notebook's Excel workbooks, plus reports/index.html. Relative paths in the "
            "config are relative to the current directory (run from the repository root). "
            "Exit code: 0 all rendered, 1 some job failed or timed out, 2 invalid config or "
            "parameters (nothing run)."
        ),
    )
    p.add_argument(
        "--config",
        default=None,
        help="report config YAML (default: the packaged ars_analysis/config/reports.yml)",
    )
    p.add_argument(
        "--jobs", "-j", type=int, default=1, help="number of jobs to run in parallel (default 1)"
    )
    p.add_argument(
        "--only",
        default=None,
        metavar="PATTERN",
        help="run only jobs whose name matches this glob (comma-separated; a plain word matches as a substring)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=None,
        help="seconds per job, overrides the config's timeout",
    )
    p.add_argument(
        "--output", default=None, help="output folder (overrides the config's output_dir)"
    )
    p.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default=None,
        help="engine of the aggregations (default: $ARS_ENGINE, else the client "
        "configuration's engine, else duckdb)",
    )
    p.add_argument("--list", action="store_true", help="list the job names and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_render)
    return p
