"""The ``ars`` console command.

Each subcommand lives beside the code it drives: a module listed in :data:`COMMAND_MODULES`
defines ``add_cli(subparsers)`` that adds its subparser and sets ``func`` (a callable taking the
parsed arguments and returning the exit code).
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ars_analysis import __version__

#: Modules that contribute subcommands, in the order ``ars --help`` lists them.
COMMAND_MODULES = (
    "ars_analysis.data.cli",
    "ars_analysis.data.synth",
    "ars_analysis.reports",
    "ars_analysis.reports.config_check",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ars",
        description="ars_analysis: load and validate client data, generate sample data, "
        "render client reports.",
    )
    parser.add_argument("--version", action="version", version=f"ars_analysis {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).add_cli(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
