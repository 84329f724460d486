"""The report-jobs configuration (``config/reports.yml``): :func:`load_config`, job folders and file names.

The format of the file is described in :mod:`ars_analysis.reports`.
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
from ars_analysis.config import ConfigError
from ars_analysis.data.outputs import atomic_path, write_text
from ars_analysis.labels import LANGS, check_lang, label
from ars_analysis.presentation.record import RESULTS_FILE

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

class ReportConfigError(ConfigError):
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
    #: Environment variables of the job's kernel (the batch snapshot, see
    #: :mod:`ars_analysis.data.snapshot`).
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
