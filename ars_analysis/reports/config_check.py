"""``ars config check <file-or-folder>``: validate the configuration files a consultant edits.

Each YAML file is recognised by its place and keys: a scorecard (``dimensions``), visit
standards (``frequency``), an incentive plan (under ``plans/`` or with plan components), report
jobs (``jobs``), the field organisation (``lines`` and ``roles``), a plan assignment
(``assignments``), a column mapping (``tables``) or a client configuration (``definitions`` /
``client``; its layers over the base scorecard, visit standards, plans, field organisation
and plan assignment are merged and validated too). Prints the merged configuration of each valid file, or every error (file, key
path, expected value); exit status 1 when any file is invalid.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import yaml

from ars_analysis.client import load_client_config
from ars_analysis.config import ConfigError, read_yaml
from ars_analysis.customers import Scorecard
from ars_analysis.data.mapping import read_mapping
from ars_analysis.fieldforce import load_organisation, load_standards
from ars_analysis.incentives import Plan, load_plan_assignment
from ars_analysis.reports.config import load_config as load_report_config

_CLIENT_KEYS = {
    "client", "definitions", "min_sample", "region_names", "market", "visit_standards",
    "field_organisation", "plan_assignment",
}  # fmt: skip
_PLAN_KEYS = {"commissions", "bonus", "scorecard", "gates", "honours", "team_bonuses", "draw"}


def kind_of(path: Path, data) -> str | None:
    """What a YAML file configures (``None``: not a configuration file of ours)."""
    keys = set(data) if isinstance(data, dict) else set()
    if "dimensions" in keys or path.name.startswith("scorecard"):
        return "scorecard"
    if "frequency" in keys or path.name.startswith("visit_standards"):
        return "visit_standards"
    if "jobs" in keys:
        return "reports"
    if "lines" in keys and "roles" in keys:
        return "organisation"
    if "assignments" in keys:
        return "plan_assignment"
    if "tables" in keys:
        return "mapping"
    if path.parent.name == "clients" or keys & _CLIENT_KEYS:
        return "client"
    if path.parent.name == "plans" or keys & _PLAN_KEYS:
        return "plan"
    return None


def check_file(path: Path) -> tuple[str, dict]:
    """``(kind, merged configuration)`` of one file; :class:`ConfigError` when invalid."""
    data = read_yaml(path, empty={})
    kind = kind_of(path, data)
    if kind == "scorecard":
        return kind, Scorecard(path).spec
    if kind == "visit_standards":
        return kind, load_standards(path)
    if kind == "plan":
        return kind, Plan.from_yaml(path).to_dict()
    if kind == "reports":
        load_report_config(path)
        return kind, data
    if kind == "organisation":
        return kind, load_organisation(path).model_dump(mode="json", exclude_none=True)
    if kind == "plan_assignment":
        assignment = load_plan_assignment(path)
        assignment.plans()  # every plan file it names exists and is valid
        return kind, assignment.model_dump(mode="json", exclude_none=True)
    if kind == "mapping":
        return kind, {t: vars(s) for t, s in read_mapping(path).items()}
    if kind == "client":
        cfg = load_client_config(path)
        out = cfg.model_dump(mode="json", exclude_none=True)
        errors = []  # every layer is checked, each error listed

        def layer(key, build):
            try:
                out[key] = build()
            except ConfigError as exc:
                errors.append(str(exc))

        layer("scorecard", lambda: Scorecard(layers=cfg.layer("scorecard")).spec)
        layer("visit_standards", lambda: load_standards(layers=cfg.layer("visit_standards")))
        layer("plans", lambda: [Plan.from_yaml(p).to_dict() for p in cfg.plan_files() or []])
        layer(
            "field_organisation",
            lambda: load_organisation(layers=cfg.layer("field_organisation")).model_dump(
                mode="json", exclude_none=True
            ),
        )

        def assignment():
            a = load_plan_assignment(layers=cfg.layer("plan_assignment"))
            a.plans()  # every plan file it names exists and is valid
            return a.model_dump(mode="json", exclude_none=True)

        layer("plan_assignment", assignment)
        if errors:
            raise ConfigError("\n".join(errors))
        return kind, out
    raise ConfigError(f"{path}: not a configuration file ars knows (no known keys)")


def check(target: str | Path, *, show: bool = True, out=print) -> int:
    """Check a file or every ``*.yml`` below a folder; print the results; 0 when all valid."""
    target = Path(target)
    files = sorted(target.rglob("*.yml")) if target.is_dir() else [target]
    bad = 0
    for f in files:
        try:
            kind, merged = check_file(f)
        except (ConfigError, ValueError) as exc:
            bad += 1
            out(f"INVALID {f}\n{exc}\n")
            continue
        out(f"ok {f} ({kind})")
        if show:
            text = yaml.safe_dump(
                merged, allow_unicode=True, sort_keys=False, default_flow_style=None
            )
            out("  " + text.replace("\n", "\n  ").rstrip())
    out(f"{len(files) - bad} of {len(files)} file(s) valid")
    return 1 if bad else 0


def add_cli(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "config", help="check configuration files (scorecards, standards, plans, jobs, clients)"
    )
    sub = p.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    c = sub.add_parser("check", help="validate and print the merged configuration or the errors")
    c.add_argument("target", help="a YAML file or a folder of them")
    c.add_argument("--quiet", action="store_true", help="only say which files are valid")
    c.set_defaults(func=lambda a: check(a.target, show=not a.quiet))
    return p
