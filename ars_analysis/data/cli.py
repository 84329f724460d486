"""The ``ars validate`` subcommand: load a client folder, print the column mapping and the data-quality report."""

from __future__ import annotations

import os

import pandas as pd

from ars_analysis.data import loading
from ars_analysis.data.engines import ENGINES, EngineUnavailable, engine_name
from ars_analysis.data.engines import ENV as ENGINE_ENV
from ars_analysis.data.mapping import MappingError
from ars_analysis.data.quality import short_repr
from ars_analysis.data.validation import format_quality

__all__ = ["add_cli"]

# --------------------------------------------------------------------------------------------
# CLI


def format_mapping(mapping: pd.DataFrame) -> str:
    """The applied mapping as readable text: one line per table, then the non-exact matches."""
    lines = []
    for (table, file), grp in mapping.groupby(["table", "file"], sort=False):
        used = grp[grp["how"] != "unused"]
        counts = used["how"].value_counts()
        how = ", ".join(f"{n} {h}" for h, n in counts.items())
        lines.append(f"{table} <- {file}: {len(used)} column(s) ({how})")
        for r in used[used["how"] != "exact"].itertuples(index=False):
            lines.append(f"    {r.column:<16} <- {r.source_column}  [{r.how}]")
        unused = grp.loc[grp["how"] == "unused", "source_column"].tolist()
        if unused:
            lines.append(f"    not used: {', '.join(map(str, unused))}")
    return "\n".join(lines)


def _cli_validate(args) -> int:
    try:
        return _validate_and_print(args)
    except (MappingError, FileNotFoundError, ValueError, OSError, EngineUnavailable) as exc:
        if getattr(args, "debug", False):
            raise
        print(f"error: {exc}")
        return 1
    except Exception as exc:  # noqa: BLE001 - never a traceback without --debug
        if getattr(args, "debug", False):
            raise
        print(
            f"error: {type(exc).__name__}: {short_repr(str(exc))[1:-1]}\n"
            "This is unexpected; run again with --debug for the full traceback and report it."
        )
        return 1


def _validate_and_print(args) -> int:
    period = None
    if args.start or args.end:
        period = (loading.period_bound(args.start, "start"), loading.period_bound(args.end, "end"))
    engine = getattr(args, "engine", None) or os.environ.get(ENGINE_ENV) or None
    if engine is not None:
        engine = engine_name(engine)
    ds = loading.load_dataset(args.path, args.mapping, period=period, strict=False, engine=engine)
    print("Applied mapping")
    print("===============")
    print(format_mapping(ds.mapping))
    print()
    sizes = ", ".join(
        f"{k} {len(v):,}" + ("" if isinstance(v, pd.DataFrame) else f" (in {engine})")
        for k, v in ds.tables.items()
    )
    print(f"Rows loaded: {sizes}")
    print()
    print("Data quality")
    print("============")
    n_fatal = int((ds.quality["severity"] == "fatal").sum())
    n_warn = int((ds.quality["severity"] == "warning").sum())
    if len(ds.quality):
        print(format_quality(ds.quality))
    print(f"\n{n_fatal} fatal problem(s), {n_warn} warning(s).")
    return 1 if n_fatal else 0


def add_cli(subparsers) -> None:
    """Add ``ars validate PATH [--mapping FILE] [--start D] [--end D] [--engine E]``."""
    p = subparsers.add_parser(
        "validate",
        help="load client files, show the column mapping and the data-quality report",
        description="Load a folder of client files (or one order-lines file with --mapping), "
        "print how columns were matched to the data contract and every data-quality problem. "
        "Exit status 1 when a fatal problem is found.",
    )
    p.add_argument("path", help="folder of client files, or one order-lines file")
    p.add_argument("--mapping", "-m", default=None, help="YAML mapping file (see data/README.md)")
    p.add_argument("--start", default=None, help="first day of the analysis period (YYYY-MM-DD)")
    p.add_argument("--end", default=None, help="last day of the analysis period (YYYY-MM-DD)")
    p.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="keep the sales and visit lines in this engine and validate them there (large "
        f"data; default ${ENGINE_ENV}, else everything is read into memory with row numbers)",
    )
    p.add_argument(
        "--debug", action="store_true", help="show the full traceback of an unexpected error"
    )
    p.set_defaults(func=_cli_validate)
