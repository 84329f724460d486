"""Jobs of a batch: notebook parameter introspection, job expansion and checks, selection."""

from __future__ import annotations

import ast
import fnmatch
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ars_analysis.reports.config import (
    Job,
    ReportConfig,
    ReportConfigError,
    _date_or_none,
    _langs,
    job_dir,
    safe_name,
)
from ars_analysis.reports.data_checks import DataInfo

# --------------------------------------------------------------------------------------------
# notebook parameters
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One parameter of a notebook's ``parameters`` cell."""

    name: str
    default: Any = None
    #: Python type inferred from the literal default; None = anything JSON-able.
    kind: type | None = None


def _type_of(value: Any) -> type | None:
    if value is None:
        return None
    for t in (bool, int, float, str, list, dict):
        if isinstance(value, t):
            return t
    if isinstance(value, tuple):
        return list
    return None


def notebook_parameters(path: str | os.PathLike) -> dict[str, Param]:
    """Names, literal defaults and inferred types of the notebook's ``parameters`` cell.

    The first code cell tagged ``parameters`` is parsed with :mod:`ast` (never executed). A
    default that is not a literal (e.g. an expression) gives a parameter of unknown type.

    Raises ``ValueError`` when the notebook has no such cell or the cell is not valid Python.
    """
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    cells = [
        c
        for c in nb.cells
        if c.cell_type == "code" and "parameters" in c.get("metadata", {}).get("tags", [])
    ]
    if not cells:
        raise ReportConfigError(f"{path.name}: no code cell tagged 'parameters'")
    try:
        tree = ast.parse(cells[0].source)
    except SyntaxError as exc:
        raise ReportConfigError(
            f"{path.name}: parameters cell is not valid Python: {exc}"
        ) from None
    params: dict[str, Param] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            targets, value = node.targets, node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            targets, value = [node.target], node.value
        else:
            continue
        names = [t.id for t in targets if isinstance(t, ast.Name)]
        try:
            default = ast.literal_eval(value)
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            default = None
        for name in names:
            params[name] = Param(name, default, _type_of(default))
    return params


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def check_value(param: Param, value: Any) -> str | None:
    """Why ``value`` does not fit ``param`` (None if it fits).

    A float parameter accepts an int; a parameter whose default is ``None`` accepts any
    JSON-able value; ``bool`` is never accepted for a number nor a number for a ``bool``.

    Examples
    --------
    >>> check_value(Param("n", 5, int), "5")
    "expected int (default 5), got str '5'"
    >>> check_value(Param("x", 0.5, float), 2) is None
    True
    """
    if param.kind is None:
        return (
            None if _jsonable(value) else f"expected a JSON-able value, got {type(value).__name__}"
        )
    ok = isinstance(value, param.kind) and not (param.kind is not bool and isinstance(value, bool))
    if param.kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if param.kind is list and isinstance(value, tuple):
        ok = True
    if ok:
        return None
    return (
        f"expected {param.kind.__name__} (default {param.default!r}), "
        f"got {type(value).__name__} {value!r}"
    )


def notebook_path(path: Path, notebook: Path) -> str:
    """``path`` as the notebook's kernel should see it: relative to the notebook's folder (its
    working directory under papermill), so reports show ``../data/sample`` rather than a
    machine's absolute path; absolute when no relative path exists (other drive).

    >>> notebook_path(Path("/repo/data/sample"), Path("/repo/notebooks/01.ipynb"))
    '../data/sample'
    """
    try:
        return Path(
            os.path.relpath(Path(path).resolve(), Path(notebook).resolve().parent)
        ).as_posix()
    except ValueError:
        return str(Path(path).resolve())


def expand_jobs(cfg: ReportConfig, data: DataInfo | None = None) -> list[Job]:
    """The concrete jobs of ``cfg``: region and language lists expanded, parameters merged.

    Raises :class:`ReportConfigError` for duplicate job names or a name that cannot be made into
    a folder inside the output folder (missing notebooks are reported by :func:`check_jobs`).
    """
    data = data or DataInfo(cfg.data_path, cfg.mapping_path)
    jobs: list[Job] = []
    for i, entry in enumerate(cfg.jobs):
        where = f"{cfg.source}: jobs[{i}]"
        nb = Path(entry["notebook"])
        nb = nb if nb.is_absolute() else cfg.notebooks_dir / nb
        if nb.suffix != ".ipynb":
            nb = nb.with_suffix(".ipynb")
        base_name = str(entry.get("name") or nb.stem)
        regions_spec = entry.get("regions")
        if regions_spec is None:
            regions: list[str | None] = [None]
        elif regions_spec == "all":
            regions = list(data.regions())
        elif isinstance(regions_spec, list) and all(isinstance(r, str) and r for r in regions_spec):
            regions = list(regions_spec)
        else:
            raise ReportConfigError(
                f"{where}: regions must be 'all' or a list of region names, got {regions_spec!r}"
            )
        if regions_spec is not None and entry.get("include_all", False):
            regions = [None, *regions]
        langs = _langs(entry.get("lang", cfg.lang), f"{where}: lang")
        timeout = entry.get("timeout", cfg.timeout)
        if not isinstance(timeout, (int, float)) or isinstance(timeout, bool) or timeout <= 0:
            raise ReportConfigError(f"{where}: timeout must be a positive number, got {timeout!r}")
        extra = entry.get("parameters") or {}
        if not isinstance(extra, dict):
            raise ReportConfigError(f"{where}: parameters must be a mapping, got {extra!r}")
        for region in regions:
            for lang in langs:
                name = base_name if region is None else f"{base_name}-{region}"
                if len(langs) > 1:
                    name = f"{name}-{lang}"
                params = {
                    "data_path": notebook_path(cfg.data_path, nb),
                    "mapping_path": None
                    if cfg.mapping_path is None
                    else notebook_path(cfg.mapping_path, nb),
                    "start": _date_or_none(entry.get("start", cfg.start), f"{where}: start"),
                    "end": _date_or_none(entry.get("end", cfg.end), f"{where}: end"),
                    "region": region,
                    "lang": lang,
                    "client_config": None
                    if cfg.client_config is None
                    else notebook_path(cfg.client_config, nb),
                }
                params.update(cfg.parameters)
                params.update(extra)
                jobs.append(
                    Job(
                        name=safe_name(name),
                        notebook=nb.resolve(),
                        parameters=params,
                        timeout=float(timeout),
                    )
                )
    seen: dict[str, int] = {}
    for job in jobs:
        seen[job.name] = seen.get(job.name, 0) + 1
    dup = sorted(n for n, k in seen.items() if k > 1)
    if dup:
        raise ReportConfigError(
            f"{cfg.source}: duplicate job names {dup}; give the jobs distinct 'name's"
        )
    for job in jobs:
        try:
            job.out_dir = job_dir(cfg.output_dir, job.name)
        except ValueError as exc:
            raise ReportConfigError(str(exc)) from None
        job.parameters["output_dir"] = notebook_path(job.out_dir, job.notebook)
    return jobs


def check_jobs(jobs: list[Job]) -> None:
    """Check every job's parameters against its notebook's ``parameters`` cell.

    Raises :class:`ReportConfigError` listing every problem, each naming the job and parameter.
    """
    problems: list[str] = []
    cache: dict[Path, dict[str, Param]] = {}
    for job in jobs:
        if not job.notebook.exists():
            problems.append(f"job {job.name!r}: notebook {job.notebook} not found")
            continue
        if job.notebook not in cache:
            cache[job.notebook] = notebook_parameters(job.notebook)
        declared = cache[job.notebook]
        for key, value in job.parameters.items():
            if key == "client_config" and value is None and key not in declared:
                continue  # a notebook without client definitions: None changes nothing
            if key not in declared:
                problems.append(
                    f"job {job.name!r}: unknown parameter {key!r} for {job.notebook.name} "
                    f"(its parameters: {', '.join(declared)})"
                )
                continue
            why = check_value(declared[key], value)
            if why:
                problems.append(f"job {job.name!r}: parameter {key!r}: {why}")
    if problems:
        raise ReportConfigError(
            "invalid job parameters (nothing was run):\n  " + "\n  ".join(problems)
        )


def select_jobs(jobs: list[Job], only: str | None) -> list[Job]:
    """Jobs whose name matches the glob ``only`` (comma-separated globs; a bare word = substring)."""
    if not only:
        return jobs
    patterns = [p.strip() for p in only.split(",") if p.strip()]
    patterns = [p if any(ch in p for ch in "*?[") else f"*{p}*" for p in patterns]
    return [j for j in jobs if any(fnmatch.fnmatchcase(j.name, p) for p in patterns)]


# --------------------------------------------------------------------------------------------
# the index page
# --------------------------------------------------------------------------------------------


def _job_period(params: dict, data_period: tuple[str, str] | None) -> str:
    lo, hi = data_period or (None, None)
    start = max(filter(None, [params.get("start"), lo]), default=None)
    end = min(filter(None, [params.get("end"), hi]), default=None)
    return f"{start or '…'} – {end or '…'}"
