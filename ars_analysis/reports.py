"""Batch rendering of client reports: ``ars render``.

A *job* is one notebook executed with one parameter set (e.g. the core-customer analysis for the
whole country, or for 华东). Jobs are described in a YAML file (default:
``ars_analysis/config/reports.yml``), checked against each notebook's ``parameters`` cell before
anything runs, executed in parallel through papermill's Python API in a process pool, and each
produces, in ``<output_dir>/<job name>/``:

- the executed notebook (``<notebook>.ipynb``),
- ``report.html``: the client-ready HTML (no code, no prompts, no stderr/warnings), or
  ``error.html`` with the failing cell and its traceback when the job failed or timed out,
- whatever the notebook writes itself into its ``output_dir`` (Excel workbooks, ``results.json``).

After a batch (see :mod:`ars_analysis.summary_pages`), ``<output_dir>/`` also holds:

- ``index.html`` (in the config's ``lang``) and its twin ``index-en.html`` (``index-zh.html``
  for an English client): the reports grouped by analysis and by scope (national first) with
  their titles, status, data periods, key results (from each report's ``summary.json``), Excel
  workbooks and a footer with the data fingerprint and package version;
- ``summary-<scope>-<lang>.html``: one executive summary per scope and language, the findings
  and top actions of every analysis side by side, linked into the reports.

Config file
-----------
Relative paths in the config (``data_path``, ``mapping_path``, ``notebooks_dir``, ``output_dir``)
are resolved against the **current working directory** (run ``ars render`` from the repository
root), not against the config file's folder. Example::

    client: 示例客户              # fallback when the client configuration has no name
    client_config: null          # the client's YAML (null: the packaged sample client)
    data_path: data/sample       # folder of client files
    mapping_path: null           # optional column-mapping YAML
    lang: zh                     # zh or en; default language of jobs and of the index page
    start: null                  # ISO date or null (whole data period)
    end: null
    notebooks_dir: notebooks
    output_dir: reports
    timeout: 600                 # seconds per job
    jobs:
      - notebook: 01_core_customers.ipynb      # whole country, name "01_core_customers"
      - notebook: 02_terminal_network.ipynb
        name: terminals                        # optional job name
        regions: all                           # one job per region found in the data
        include_all: true                      # ... plus one for the whole country
        lang: [zh, en]                         # one job per language (name gets "-en")
        parameters: {top_n: 20}                # extra notebook parameters

Job names are ``<name>[-<region>][-<lang>]`` (the language suffix only when the job lists more
than one language), made safe for the file system by :func:`safe_name`.

Before any job runs (and before the output folder is created) the data folder and mapping file
must exist, every region must be one of the data's regions (exactly: ``"华东 "`` is an error that
suggests ``"华东"``; the message lists the valid regions) and a job's period must not be reversed
or miss the sales dates (:func:`check_data`). A job renders into a hidden staging folder beside
its folder, which replaces the job folder only when complete: an interrupted run (``kill -9``)
keeps the previous report, and the next run cleans up. The index is built from what is on disk.
Worker processes end with the ``ars render`` process.
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import datetime as _dt
import fnmatch
import hashlib
import html
import json
import multiprocessing
import os
import re
import shutil
import sys
import time
import traceback
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ars_analysis import __version__
from ars_analysis.labels import LANGS, check_lang, label
from ars_analysis.notebook import RESULTS_FILE
from ars_analysis.outputs import atomic_path, write_text

#: The notebook parameters the runner sets for every job.
RUNNER_PARAMETERS = (
    "data_path", "mapping_path", "start", "end", "region", "lang", "output_dir", "client_config",
)  # fmt: skip

#: Keys allowed at the top level of a config file and in a job entry.
CONFIG_KEYS = {
    "client", "data_path", "mapping_path", "lang", "start", "end", "notebooks_dir",
    "output_dir", "timeout", "parameters", "jobs", "client_config",
}  # fmt: skip
JOB_KEYS = {
    "notebook", "name", "regions", "include_all", "lang", "start", "end", "timeout", "parameters",
}  # fmt: skip

REPORT_HTML = "report.html"
ERROR_HTML = "error.html"
INDEX_HTML = "index.html"
STATUS_FILE = "status.json"
RENDER_LOG = "render.log"

#: Exit codes of ``ars render``.
EXIT_OK, EXIT_FAILED, EXIT_CONFIG = 0, 1, 2


class ReportConfigError(ValueError):
    """The report config or a job's parameters are invalid (nothing was run)."""


# --------------------------------------------------------------------------------------------
# safe names
# --------------------------------------------------------------------------------------------

_UNSAFE = re.compile(r"[^\w\-.]+", flags=re.UNICODE)


def safe_name(name: Any) -> str:
    """A file-system-safe folder name for ``name`` that keeps Chinese characters.

    Path separators, whitespace and other punctuation become ``_``; leading dots are removed, so
    the result is never ``.``, ``..`` or hidden; an empty result becomes ``_``.

    Examples
    --------
    >>> safe_name("01_core_customers-华东")
    '01_core_customers-华东'
    >>> safe_name("../../etc/passwd")
    'etc_passwd'
    >>> safe_name("..")
    '_'
    >>> safe_name("华南 / 广东")
    '华南_广东'
    """
    text = _UNSAFE.sub("_", str(name).replace("\x00", ""))
    text = re.sub(r"\.{2,}", "_", text)
    text = re.sub(r"_+", "_", text).strip("_").lstrip(".").strip("_")
    return text[:120] or "_"


def job_dir(output_root: str | os.PathLike, name: str) -> Path:
    """The folder of job ``name`` inside ``output_root``; never outside it.

    Raises ``ValueError`` if the resolved folder would not be a direct child of ``output_root``.

    Examples
    --------
    >>> job_dir("/tmp/reports", "../x").name
    'x'
    """
    root = Path(output_root).resolve()
    path = (root / safe_name(name)).resolve()
    if path.parent != root:
        raise ValueError(f"report folder for job {name!r} would escape {root}: {path}")
    return path


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


# --------------------------------------------------------------------------------------------
# config -> jobs
# --------------------------------------------------------------------------------------------


@dataclass
class Job:
    """One notebook × parameter set."""

    name: str
    notebook: Path
    parameters: dict[str, Any]
    timeout: float
    out_dir: Path = field(default=Path("."))
    #: Facts shown in the index beside the job (data fingerprint, data period, version).
    meta: dict[str, Any] = field(default_factory=dict)
    #: Environment variables of the job's kernel (the batch snapshot, see ars_analysis.snapshot).
    env: dict[str, str] = field(default_factory=dict)

    @property
    def executed_path(self) -> Path:
        return self.out_dir / self.notebook.name


@dataclass
class ReportConfig:
    """A parsed report config file (see the module docstring)."""

    client: str = ""
    data_path: Path = Path("data/sample")
    mapping_path: Path | None = None
    lang: str = "zh"
    start: str | None = None
    end: str | None = None
    notebooks_dir: Path = Path("notebooks")
    output_dir: Path = Path("reports")
    timeout: float = 600.0
    parameters: dict[str, Any] = field(default_factory=dict)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    source: Path | None = None
    #: The client's configuration YAML (None: the packaged sample client's).
    client_config: Path | None = None


def default_config_path() -> Path:
    """The packaged default config (renders ``data/sample`` from the repository root)."""
    return Path(str(resources.files("ars_analysis") / "config" / "reports.yml"))


def _date_or_none(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        return _dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ReportConfigError(
            f"{where}: expected an ISO date (YYYY-MM-DD) or null, got {value!r}"
        ) from None


def _langs(value: Any, where: str) -> list[str]:
    values = value if isinstance(value, list) else [value]
    if not values or any(v not in LANGS for v in values):
        raise ReportConfigError(
            f"{where}: lang must be one of {list(LANGS)} (or a list), got {value!r}"
        )
    return values


def load_config(
    path: str | os.PathLike | None = None, *, base: str | os.PathLike | None = None
) -> ReportConfig:
    """Read and validate a report config; relative paths are resolved against ``base`` (cwd).

    Raises :class:`ReportConfigError` naming the file and key for anything invalid.
    """
    path = Path(path) if path is not None else default_config_path()
    base = Path(base) if base is not None else Path.cwd()
    if not path.exists():
        raise ReportConfigError(f"report config {path} not found")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, ValueError) as exc:  # PyYAML raises ValueError for e.g. 2025-13-01
        raise ReportConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ReportConfigError(f"{path}: expected a mapping of settings at the top level")
    unknown = sorted(set(raw) - CONFIG_KEYS)
    if unknown:
        raise ReportConfigError(f"{path}: unknown keys {unknown}; allowed: {sorted(CONFIG_KEYS)}")

    def _path(key: str, default: str | None) -> Path | None:
        value = raw.get(key, default)
        if value is None:
            return None
        if not isinstance(value, str):
            raise ReportConfigError(f"{path}: {key} must be a path (string), got {value!r}")
        p = Path(value).expanduser()
        return p if p.is_absolute() else (base / p)

    cfg = ReportConfig(
        client=str(raw.get("client") or ""),
        data_path=_path("data_path", "data/sample"),
        mapping_path=_path("mapping_path", None),
        lang=_langs(raw.get("lang", "zh"), f"{path}: lang")[0],
        start=_date_or_none(raw.get("start"), f"{path}: start"),
        end=_date_or_none(raw.get("end"), f"{path}: end"),
        notebooks_dir=_path("notebooks_dir", "notebooks"),
        output_dir=_path("output_dir", "reports"),
        timeout=raw.get("timeout", 600),
        parameters=raw.get("parameters") or {},
        jobs=raw.get("jobs") or [],
        source=path,
        client_config=_path("client_config", None),
    )
    if (
        not isinstance(cfg.timeout, (int, float))
        or isinstance(cfg.timeout, bool)
        or cfg.timeout <= 0
    ):
        raise ReportConfigError(
            f"{path}: timeout must be a positive number of seconds, got {cfg.timeout!r}"
        )
    if not isinstance(cfg.parameters, dict):
        raise ReportConfigError(f"{path}: parameters must be a mapping, got {cfg.parameters!r}")
    if not isinstance(cfg.jobs, list) or not cfg.jobs:
        raise ReportConfigError(f"{path}: jobs must be a non-empty list")
    for i, job in enumerate(cfg.jobs):
        where = f"{path}: jobs[{i}]"
        if not isinstance(job, dict) or "notebook" not in job:
            raise ReportConfigError(
                f"{where}: expected a mapping with at least 'notebook', got {job!r}"
            )
        bad = sorted(set(job) - JOB_KEYS)
        if bad:
            raise ReportConfigError(f"{where}: unknown keys {bad}; allowed: {sorted(JOB_KEYS)}")
    return cfg


class DataInfo:
    """Facts about the data folder the index and region expansion need (loaded lazily, once)."""

    def __init__(self, data_path: Path, mapping_path: Path | None = None):
        self.data_path = Path(data_path)
        self.mapping_path = mapping_path
        self._dataset = None

    def _load(self):
        if self._dataset is None:
            from ars_analysis import loading

            self._dataset = loading.load_dataset(self.data_path, mapping=self.mapping_path)
        return self._dataset

    def _frames(self, tables: tuple[str, ...], column: str) -> list:
        """``column`` of each of ``tables``: via the loader, else straight from ``<table>.csv``."""
        try:
            ds = self._load()
            return [
                ds.tables[t][[column]]
                for t in tables
                if ds.tables.get(t) is not None and column in ds.tables[t]
            ]
        except Exception:  # noqa: BLE001 - loader missing or data invalid: read canonical CSVs
            import pandas as pd

            frames = []
            for t in tables:
                f = self.data_path / f"{t}.csv"
                if f.exists() and column in pd.read_csv(f, nrows=0).columns:
                    frames.append(pd.read_csv(f, usecols=[column], dtype=str))
            return frames

    def regions(self) -> list[str]:
        """Sorted regions of the customers, terminals and reps in the data."""
        found: set[str] = set()
        for frame in self._frames(("customers", "terminals", "reps"), "region"):
            found.update(str(r) for r in frame["region"].dropna().unique())
        if not found:
            raise ReportConfigError(
                f"regions: all, but no region column with values in {self.data_path}"
            )
        return sorted(found)

    def period(self) -> tuple[str, str] | None:
        """First and last sales date of the data (ISO), or None."""
        import pandas as pd

        try:
            frames = self._frames(("sales",), "date")
            dates = pd.to_datetime(frames[0]["date"], errors="coerce").dropna() if frames else None
        except Exception:  # noqa: BLE001 - the index shows '…' rather than failing the run
            return None
        if dates is None or dates.empty:
            return None
        return dates.min().strftime("%Y-%m-%d"), dates.max().strftime("%Y-%m-%d")

    def fingerprint(self) -> str:
        """Short sha256 over the names and bytes of the data files (and the mapping file)."""
        return data_fingerprint(self.data_path, self.mapping_path)


def data_fingerprint(
    data_path: str | os.PathLike, mapping_path: str | os.PathLike | None = None
) -> str:
    """First 12 hex digits of a sha256 over every data file's relative name and bytes.

    Hidden files are ignored; files are taken in sorted order, so the result only changes when
    a file's name or content does.
    """
    h = hashlib.sha256()
    root = Path(data_path)
    files = (
        sorted(
            p
            for p in root.rglob("*")
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(root).parts)
        )
        if root.is_dir()
        else [root]
    )
    if mapping_path is not None:
        files.append(Path(mapping_path))
    for f in files:
        h.update(
            str(
                f.relative_to(root) if root.is_dir() and f.is_relative_to(root) else f.name
            ).encode()
        )
        h.update(b"\0")
        with open(f, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        h.update(b"\0")
    return h.hexdigest()[:12]


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


def check_data(cfg: ReportConfig, jobs: list[Job], data: DataInfo) -> None:
    """Check the data-dependent parameters of ``jobs`` before any job runs.

    The data folder (and mapping file) must exist; every region must be one of the data's
    regions (whitespace variants such as ``"华东 "`` get a suggestion); a job's period must not
    start after it ends nor miss the sales dates. Raises :class:`ReportConfigError` listing every
    problem with the valid values.
    """
    if not cfg.data_path.exists():
        raise ReportConfigError(
            f"{cfg.source}: data_path {cfg.data_path} not found; give the folder of the client's "
            "files (relative paths are relative to the current directory)"
        )
    if cfg.mapping_path is not None and not cfg.mapping_path.is_file():
        raise ReportConfigError(f"{cfg.source}: mapping_path {cfg.mapping_path} not found")
    problems: list[str] = []
    wanted = [j for j in jobs if j.parameters.get("region") is not None]
    if wanted:
        valid = data.regions()
        squeeze = {re.sub(r"\s+", "", v): v for v in valid}
        for j in wanted:
            region = j.parameters["region"]
            if not isinstance(region, str) or region not in valid:
                hint = squeeze.get(re.sub(r"\s+", "", str(region)))
                problems.append(
                    f"job {j.name!r}: region {region!r} is not in the data"
                    + (f" (did you mean {hint!r}?)" if hint else "")
                    + f"; regions in the data: {', '.join(valid)}"
                )
    data_period = data.period() if jobs else None
    for j in jobs:
        start, end = j.parameters.get("start"), j.parameters.get("end")
        if start and end and start > end:
            problems.append(f"job {j.name!r}: start {start} is after end {end}")
        elif data_period and ((start and start > data_period[1]) or (end and end < data_period[0])):
            problems.append(
                f"job {j.name!r}: the period {start or '…'} – {end or '…'} has no sales; the data "
                f"covers {data_period[0]} – {data_period[1]}"
            )
    if problems:
        raise ReportConfigError(
            "invalid job parameters for this data (nothing was run):\n  " + "\n  ".join(problems)
        )


def select_jobs(jobs: list[Job], only: str | None) -> list[Job]:
    """Jobs whose name matches the glob ``only`` (comma-separated globs; a bare word = substring)."""
    if not only:
        return jobs
    patterns = [p.strip() for p in only.split(",") if p.strip()]
    patterns = [p if any(ch in p for ch in "*?[") else f"*{p}*" for p in patterns]
    return [j for j in jobs if any(fnmatch.fnmatchcase(j.name, p) for p in patterns)]


# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes (tracebacks from the kernel carry them)."""
    return _ANSI.sub("", text)


def client_notebook(nb, lang: str | None = None):
    """A copy of an executed notebook fit for the client: no stderr/warnings, no errors shown,
    no parameter cells, and none of the cells tagged for another language.

    Notebooks keep their narrative in both languages, one markdown cell per language tagged
    ``lang-zh`` / ``lang-en``; the client sees only the cells of the report's ``lang``.
    """
    import copy

    nb = copy.deepcopy(nb)
    keep = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            continue
        if lang and any(t.startswith("lang-") and t != f"lang-{lang}" for t in tags):
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                and o.get("output_type") != "error"
            ]
        keep.append(cell)
    nb.cells = keep
    return nb


def notebook_html(nb, title: str, lang: str = "zh", index_href: str | None = None) -> str:
    """Client-ready, self-contained HTML of an executed notebook (see
    :mod:`ars_analysis.presentation.page`); its "back to the index" link (the report opening's,
    or one added at the top when the notebook has none) goes to ``index_href`` (default:
    ``../index.html``)."""
    from ars_analysis.presentation.page import notebook_page
    from ars_analysis.summary_pages import back_link, set_back_link

    text = notebook_page(nb, lang, title)
    if 'class="ars-back"' in text:
        return set_back_link(text, index_href) if index_href else text
    return text.replace("<body>\n", "<body>\n" + back_link(index_href or "../index.html", lang), 1)


def _index_href(lang: str, index_lang: str) -> str:
    """Link from a job's page to the index in the page's language (``../index.html`` in the
    client's language, ``../index-en.html`` for its twin)."""
    from ars_analysis.summary_pages import index_file

    return "../" + index_file(lang, index_lang)


def _page(title: str, body: str, lang: str) -> str:
    from ars_analysis.presentation.page import page

    return page(title, body, lang)


def error_page(
    job_name: str,
    status: str,
    message: str,
    cell_source: str | None,
    tb: str | None,
    lang: str = "zh",
    index_href: str = "../index.html",
) -> str:
    """HTML page for a failed or timed-out job: what failed, the cell's source, the traceback."""
    from ars_analysis.summary_pages import back_link

    L = lambda k, **kw: label(f"reports.{k}", lang, **kw)  # noqa: E731
    title = f"{L('error_title')}: {job_name}"
    parts = [
        back_link(index_href, lang),
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="{status}">{html.escape(L("status_" + status))}</p>',
    ]
    parts.append(f"<p>{html.escape(message)}</p>")
    if cell_source is not None:
        parts.append(
            f"<h2>{html.escape(L('failing_cell'))}</h2><pre>{html.escape(cell_source)}</pre>"
        )
    if tb:
        parts.append(
            f"<h2>{html.escape(L('traceback'))}</h2><pre>{html.escape(strip_ansi(tb))}</pre>"
        )
    return _page(title, "\n".join(parts), lang)


# --------------------------------------------------------------------------------------------
# running one job (in a worker process)
# --------------------------------------------------------------------------------------------


def _failing_cell(nb) -> tuple[int | None, str | None, str | None]:
    """Index, source and traceback text of the cell that failed (or was running) in ``nb``."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                tb = (
                    "\n".join(out.get("traceback") or [])
                    or f"{out.get('ename')}: {out.get('evalue')}"
                )
                return i, cell.source, tb
    # no error output (timeout, dead kernel): the last cell papermill started
    started = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    if started:
        return started[-1], nb.cells[started[-1]].source, None
    return None, None, None


def _job_files(out_dir: Path, notebook_name: str) -> list[Path]:
    """The files of ``out_dir`` a run of the job writes (report, error page, notebook, ...)."""
    if not out_dir.is_dir():
        return []
    return [
        p
        for p in out_dir.iterdir()
        if p.is_file()
        and (
            p.name in {REPORT_HTML, ERROR_HTML, RESULTS_FILE, STATUS_FILE, notebook_name}
            or p.suffix == ".xlsx"
        )
    ]


_STAGING = ".rendering-"
_RETIRED = ".previous-"


def _staging_dir(out_dir: Path) -> Path:
    """A fresh folder beside ``out_dir`` where a run writes until it is complete."""
    staging = out_dir.parent / f".{out_dir.name}{_STAGING}{os.getpid()}"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    return staging


def _publish(staging: Path, out_dir: Path, notebook_name: str) -> None:
    """Replace ``out_dir`` by the complete ``staging`` folder.

    Files in ``out_dir`` the job does not write (a consultant's notes) are carried over. The
    previous folder is renamed aside, the new one renamed in, then the previous one removed: a
    crash leaves either the old or the new report, never a mix or nothing
    (:func:`_recover_job_dirs` puts a folder renamed aside back).
    """
    if out_dir.is_dir():
        own = {p.name for p in _job_files(out_dir, notebook_name)}
        for p in out_dir.iterdir():
            if p.name not in own and not (staging / p.name).exists():
                if p.is_dir():
                    shutil.copytree(p, staging / p.name)
                else:
                    shutil.copy2(p, staging / p.name)
        retired = out_dir.parent / f".{out_dir.name}{_RETIRED}{os.getpid()}"
        if retired.exists():
            shutil.rmtree(retired)
        os.replace(out_dir, retired)
        os.replace(staging, out_dir)
        shutil.rmtree(retired, ignore_errors=True)
    else:
        os.replace(staging, out_dir)


def _pid_alive(pid: int) -> bool:
    """Whether process ``pid`` runs (a zombie, killed but not yet reaped, does not)."""
    try:
        import psutil

        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.NoSuchProcess:
            return False
        except psutil.Error:  # AccessDenied: it exists
            return True
    except ImportError:
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _recover_job_dirs(root: Path) -> None:
    """Clean up after an interrupted run: staging folders of dead runs are removed, a job folder
    renamed aside and not replaced is put back."""
    if not root.is_dir():
        return
    for p in root.iterdir():
        if not p.is_dir() or not p.name.startswith("."):
            continue
        for marker in (_STAGING, _RETIRED):
            name, sep, pid = p.name[1:].rpartition(marker)
            if not sep or not pid.isdigit() or _pid_alive(int(pid)) and int(pid) != os.getpid():
                continue
            final = root / name
            if marker == _RETIRED and not final.exists():
                os.replace(p, final)
            else:
                shutil.rmtree(p, ignore_errors=True)


@contextlib.contextmanager
def _inline_charts():
    """Make the kernels started meanwhile draw charts inline, whatever MPLBACKEND says.

    Kernels inherit the environment; an ``MPLBACKEND=Agg`` set for headless servers and CI would
    make every chart silently vanish from the reports.
    """
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before


def run_job(job: Job, lang_index: str = "zh") -> dict[str, Any]:
    """Execute one job with papermill and write its outputs; never raises for a notebook error.

    Returns a dict with ``name``, ``status`` ("ok", "failed" or "timeout"), ``seconds``,
    ``message`` and the output file names. Runs in a worker process.
    """
    import nbformat
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    from ars_analysis.snapshot import environment

    t0 = time.perf_counter()
    final_dir = job.out_dir
    # The previous report stays in place until the new run is complete (kill -9 loses nothing).
    out_dir = _staging_dir(final_dir)
    parameters = {**job.parameters, "output_dir": notebook_path(out_dir, job.notebook)}
    executed_path = out_dir / job.notebook.name
    lang = job.parameters.get("lang") or lang_index
    deadline = time.monotonic() + job.timeout

    def timeout_func(cell) -> int:
        # nbclient treats 0/None as "no timeout": always give at least one second.
        return max(1, int(deadline - time.monotonic() + 0.999))

    status, message, exc_tb = "ok", "", None
    with _inline_charts(), environment(job.env), atomic_path(executed_path) as tmp:
        tmp_nb = tmp.with_suffix(".ipynb")
        try:
            pm.execute_notebook(
                str(job.notebook),
                str(tmp_nb),
                parameters=parameters,
                cwd=str(job.notebook.parent),
                kernel_name="python3",
                progress_bar=False,
                log_output=False,
                request_save_on_cell_execute=True,  # keeps the partial notebook on a crash
                timeout_func=timeout_func,
            )
        except PapermillExecutionError as exc:
            status, message = "failed", f"{exc.ename}: {exc.evalue}"
        except TimeoutError as exc:  # nbclient's CellTimeoutError
            status = "timeout"
            message = label("reports.timeout_message", lang, seconds=f"{job.timeout:g}")
            exc_tb = strip_ansi(str(exc))
        except Exception as exc:  # noqa: BLE001 - kernel died, bad notebook, ...
            status, message = "failed", f"{type(exc).__name__}: {exc}"
            exc_tb = traceback.format_exc()
        if tmp_nb.exists():
            os.replace(tmp_nb, tmp)
        else:  # failed before papermill wrote anything: keep the input for inspection
            shutil.copyfile(job.notebook, tmp)
    nb = nbformat.read(executed_path, as_version=4)
    files: dict[str, Any] = {"notebook": executed_path.name}
    if status == "ok":
        write_text(
            out_dir / REPORT_HTML, notebook_html(nb, job.name, lang, _index_href(lang, lang_index))
        )
        files["html"] = REPORT_HTML
    else:
        idx, source, tb = _failing_cell(nb)
        if idx is not None:
            message = f"{message} (cell {idx})" if message else f"cell {idx}"
        write_text(
            out_dir / ERROR_HTML,
            error_page(
                job.name, status, message, source, tb or exc_tb, lang, _index_href(lang, lang_index)
            ),
        )
        files["html"] = ERROR_HTML
    result = {
        "name": job.name,
        "notebook": job.notebook.name,
        "status": status,
        "message": message,
        "seconds": round(time.perf_counter() - t0, 2),
        "parameters": job.parameters,
        **job.meta,
        **files,
    }
    write_text(out_dir / STATUS_FILE, json.dumps(result, ensure_ascii=False, indent=2))
    _publish(out_dir, final_dir, job.notebook.name)
    return result


def _end_with_parent(parent_pid: int) -> None:
    """Make this worker die with the ``ars render`` process (and take its kernels along).

    Linux: ``PR_SET_PDEATHSIG`` kills the worker when its parent process ends. Everywhere: a
    daemon thread checks every second that ``parent_pid`` is alive; when it is not, it kills the
    worker's own children (notebook kernels) and ends the worker.
    """
    if sys.platform.startswith("linux"):
        try:
            import ctypes
            import signal

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, int(signal.SIGKILL), 0, 0, 0)  # 1 = PR_SET_PDEATHSIG
        except (OSError, AttributeError):
            pass

    def watch() -> None:
        while _pid_alive(parent_pid) and os.getppid() != 1:
            time.sleep(1.0)
        try:
            import psutil

            for child in psutil.Process().children(recursive=True):
                with contextlib.suppress(psutil.Error):
                    child.kill()
        except ImportError:
            pass
        os._exit(1)

    import threading

    threading.Thread(target=watch, name="ars-parent-watchdog", daemon=True).start()


def _init_worker(log_path: str, parent_pid: int | None = None) -> None:
    """Send the worker's (and its kernels') stderr to the run log, not to the user's terminal;
    end the worker when ``parent_pid`` (the ``ars render`` process) ends."""
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(fd, 2)
    os.close(fd)
    if parent_pid is not None:
        _end_with_parent(parent_pid)


def _failure(job: Job, message: str, tb: str | None, lang: str) -> dict[str, Any]:
    """Result of a job that failed outside its notebook; writes its error page if it can."""
    result = {
        "name": job.name,
        "notebook": job.notebook.name,
        "status": "failed",
        "message": message,
        "seconds": 0.0,
        "parameters": job.parameters,
        **job.meta,
        "html": ERROR_HTML,
    }
    try:
        write_text(
            job.out_dir / ERROR_HTML, error_page(job.name, "failed", message, None, tb, lang)
        )
        write_text(job.out_dir / STATUS_FILE, json.dumps(result, ensure_ascii=False, indent=2))
    except OSError:
        pass
    return result


def _run_job_safely(job: Job, lang_index: str) -> dict[str, Any]:
    try:
        return run_job(job, lang_index)
    except Exception as exc:  # noqa: BLE001 - one job's failure must not stop the others
        staging = job.out_dir.parent / f".{job.out_dir.name}{_STAGING}{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        lang = job.parameters.get("lang") or lang_index
        return _failure(job, f"{type(exc).__name__}: {exc}", traceback.format_exc(), lang)


# --------------------------------------------------------------------------------------------
# the index page
# --------------------------------------------------------------------------------------------


def _job_period(params: dict, data_period: tuple[str, str] | None) -> str:
    lo, hi = data_period or (None, None)
    start = max(filter(None, [params.get("start"), lo]), default=None)
    end = min(filter(None, [params.get("end"), hi]), default=None)
    return f"{start or '…'} – {end or '…'}"


def client_info(cfg: ReportConfig) -> tuple[str | dict, dict]:
    """The client's name (the client configuration's ``client``, else the report config's
    ``client``) and its extra place names, from ``cfg.client_config`` (None: the sample client).

    Raises :class:`ReportConfigError` when the client configuration is invalid.
    """
    from ars_analysis.client import ClientConfigError, load_client_config

    try:
        client = load_client_config(cfg.client_config)
    except ClientConfigError as exc:
        raise ReportConfigError(str(exc)) from None
    return (client.client or cfg.client), dict(client.region_names or {})  # str or {lang: name}


def build_index(
    results: list[dict], cfg: ReportConfig, data: DataInfo, *, lang: str | None = None
) -> str:
    """HTML of the index in ``lang`` (default: the config's): reports grouped by analysis and by
    scope, titles, status, periods, key results and workbooks (see
    :mod:`ars_analysis.summary_pages`)."""
    from ars_analysis.summary_pages import collect, index_page, summary_scopes

    lang = check_lang(lang or cfg.lang)
    client, places = client_info(cfg)
    entries = collect(results, cfg.output_dir, cfg.lang)
    return index_page(
        entries,
        lang=lang,
        index_lang=cfg.lang,
        client=client,
        summaries=summary_scopes(entries),
        fingerprint=data.fingerprint(),
        version=__version__,
        places=places,
    )


def write_batch_pages(results: list[dict], cfg: ReportConfig, data: DataInfo) -> list[Path]:
    """Write the executive summaries and both indexes of a batch into ``cfg.output_dir``."""
    from ars_analysis.summary_pages import write_batch_pages as write_pages

    client, places = client_info(cfg)
    return write_pages(
        results,
        cfg.output_dir,
        index_lang=cfg.lang,
        client=client,
        fingerprint=data.fingerprint(),
        version=__version__,
        places=places,
    )


# --------------------------------------------------------------------------------------------
# the runner
# --------------------------------------------------------------------------------------------


def render(
    config: str | os.PathLike | ReportConfig | None = None,
    *,
    jobs: int = 1,
    only: str | None = None,
    timeout: float | None = None,
    progress: bool = True,
    base: str | os.PathLike | None = None,
) -> list[dict[str, Any]]:
    """Run the jobs of a report config in parallel; return one result dict per job.

    Parameters are checked for every selected job before any job runs
    (:class:`ReportConfigError`). A failing job does not stop the others. ``timeout`` overrides
    every job's timeout (seconds). Writes ``<output_dir>/index.html`` at the end.
    """
    cfg = config if isinstance(config, ReportConfig) else load_config(config, base=base)
    data = DataInfo(cfg.data_path, cfg.mapping_path)
    all_jobs = expand_jobs(cfg, data)
    selected = select_jobs(all_jobs, only)
    if not selected:
        raise ReportConfigError(
            f"no job matches --only {only!r}; jobs: {', '.join(j.name for j in all_jobs)}"
        )
    if timeout is not None:
        if timeout <= 0:
            raise ReportConfigError(f"timeout must be positive, got {timeout}")
        for j in selected:
            j.timeout = float(timeout)
    check_jobs(selected)
    check_data(cfg, selected, data)
    client_info(cfg)  # an invalid client configuration stops the run before any job
    cfg.output_dir.mkdir(parents=True, exist_ok=True)
    _recover_job_dirs(cfg.output_dir)
    from ars_analysis.snapshot import batch_env  # the data loaded once, read by every job

    env = batch_env(cfg.output_dir, data._dataset, cfg.data_path, cfg.mapping_path)
    data_period = data.period()
    meta = {"fingerprint": data.fingerprint(), "version": __version__}
    for j in selected:
        j.meta = {**meta, "period": _job_period(j.parameters, data_period)}
        j.env = {**j.env, **env}

    from tqdm import tqdm

    results: list[dict[str, Any]] = []
    n_workers = max(1, min(int(jobs), len(selected)))
    ctx = multiprocessing.get_context("forkserver" if sys.platform.startswith("linux") else "spawn")
    bar = tqdm(
        total=len(selected), desc="render", unit="job", disable=not progress, file=sys.stderr
    )
    log_path = cfg.output_dir / RENDER_LOG
    log_path.write_text("", encoding="utf-8")
    pool = ProcessPoolExecutor(
        max_workers=n_workers,
        mp_context=ctx,
        initializer=_init_worker,
        initargs=(str(log_path), os.getpid()),
    )
    with pool:
        pending = {pool.submit(_run_job_safely, j, cfg.lang): j for j in selected}
        failed = 0
        while pending:
            running = min(n_workers, sum(f.running() for f in pending))
            bar.set_postfix(running=running, failed=failed, refresh=True)
            done, _ = wait(pending, timeout=1.0, return_when=FIRST_COMPLETED)
            for fut in done:
                job = pending.pop(fut)
                try:
                    res = fut.result()
                except Exception as exc:  # noqa: BLE001 - e.g. a worker process died
                    res = _failure(job, f"{type(exc).__name__}: {exc}", None, cfg.lang)
                results.append(res)
                if res["status"] != "ok":
                    failed += 1
                    bar.write(f"FAILED {res['name']}: {res['message']}")
                bar.update(1)
        bar.set_postfix(running=0, failed=failed, refresh=True)
    bar.close()

    # The index and summaries describe what is on disk: every job of the config as its folder
    # says (jobs not run this time keep their last status).
    write_batch_pages(_on_disk(all_jobs, results), cfg, data)
    return results


def _on_disk(jobs: list[Job], results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the index shows: every job of the config as its folder says (``status.json``); a
    status whose page is not on disk is shown as failed, a job never run is left out."""
    ran = {r["name"]: r for r in results}
    out = []
    for j in jobs:
        status: dict[str, Any] | None = None
        with contextlib.suppress(OSError, ValueError):
            status = json.loads((j.out_dir / STATUS_FILE).read_text(encoding="utf-8"))
        if not isinstance(status, dict) or "status" not in status:
            status = ran.get(j.name)
        if status is None:
            continue
        page = status.get("html") or (REPORT_HTML if status["status"] == "ok" else ERROR_HTML)
        if not (j.out_dir / page).is_file():
            status = {
                **status,
                "status": "failed",
                "message": f"{page} is missing from {j.out_dir.name}/; render the job again",
            }
        out.append({**status, "name": j.name})
    return out


def summary(results: list[dict[str, Any]]) -> str:
    """A plain-text summary of a run (printed at the end of ``ars render``)."""
    n_ok = sum(r["status"] == "ok" for r in results)
    lines = [f"{n_ok}/{len(results)} reports rendered"]
    for r in sorted(results, key=lambda r: r["name"]):
        if r["status"] != "ok":
            lines.append(f"  {r['status'].upper():8} {r['name']}: {r['message']}")
    return "\n".join(lines)


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
            cfg, jobs=args.jobs, only=args.only, timeout=args.timeout, progress=not args.quiet
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
    p.add_argument("--list", action="store_true", help="list the job names and exit")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_render)
    return p
