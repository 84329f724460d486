"""The report-jobs configuration (``config/reports.yml``): :func:`load_config`, job folders and file names.

The format of the file is described in :mod:`ars_analysis.reports`.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import AfterValidator, Field, field_validator

from ars_analysis.config import ConfigError, ConfigModel, problem, read_yaml, validate_config
from ars_analysis.labels import LANGS

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


def _iso_date(value: Any) -> Any:
    if value is None or isinstance(value, _dt.date):
        return value
    try:
        _dt.date.fromisoformat(str(value))
    except ValueError:
        raise problem("", "an ISO date (YYYY-MM-DD) or null", value) from None
    return value


def _lang_spec(value: Any) -> Any:
    values = value if isinstance(value, list) else [value]
    if not values or any(v not in LANGS for v in values):
        raise problem("", f"one of {list(LANGS)} (or a list of them)", value)
    return value


def _regions_spec(value: Any) -> Any:
    ok = (
        value is None
        or value == "all"
        or (isinstance(value, list) and all(isinstance(r, str) and r for r in value))
    )
    if not ok:
        raise problem("", "'all' or a list of region names", value)
    return value


_Date = Annotated[Any, AfterValidator(_iso_date)]
_Lang = Annotated[Any, AfterValidator(_lang_spec)]
_Seconds = Annotated[float, Field(strict=True, allow_inf_nan=False, gt=0)]
_PathText = Annotated[str, Field(strict=True)]


class JobEntry(ConfigModel):
    """One entry of ``jobs:`` in a report config file."""

    notebook: _PathText
    name: str | None = None
    regions: Annotated[Any, AfterValidator(_regions_spec)] = None
    include_all: Annotated[bool, Field(strict=True)] = False
    lang: _Lang = None
    start: _Date = None
    end: _Date = None
    timeout: _Seconds | None = None
    parameters: dict[str, Any] | None = None


class ReportsFile(ConfigModel):
    """A report config file (``config/reports.yml``; the format is in :mod:`ars_analysis.reports`)."""

    client: Any = ""
    data_path: _PathText | None = "data/sample"
    mapping_path: _PathText | None = None
    lang: _Lang = "zh"
    start: _Date = None
    end: _Date = None
    notebooks_dir: _PathText | None = "notebooks"
    output_dir: _PathText | None = "reports"
    timeout: _Seconds = 600.0
    parameters: dict[str, Any] | None = None
    jobs: list[JobEntry]
    client_config: _PathText | None = None

    @field_validator("jobs", mode="before")
    @classmethod
    def _jobs_given(cls, v):
        if not isinstance(v, list) or not v:
            raise problem("", "a non-empty list of jobs ({notebook: ...})", v)
        return v


def load_config(
    path: str | os.PathLike | None = None, *, base: str | os.PathLike | None = None
) -> ReportConfig:
    """Read and validate a report config; relative paths are resolved against ``base`` (cwd).

    Raises :class:`ReportConfigError` naming the file, the key path (``jobs[1].regions``) and
    what was expected for anything invalid (the model: :class:`ReportsFile`).
    """
    path = Path(path) if path is not None else default_config_path()
    base = Path(base) if base is not None else Path.cwd()
    if not path.exists():
        raise ReportConfigError(f"report config {path} not found")
    raw = read_yaml(path, what="report config", empty={}, error=ReportConfigError)
    f = validate_config(raw, ReportsFile, source=str(path), error=ReportConfigError)

    def _path(value: str | None) -> Path | None:
        if value is None:
            return None
        p = Path(value).expanduser()
        return p if p.is_absolute() else (base / p)

    jobs = raw["jobs"]  # validated: the entries as written (expand_jobs reads them)
    return ReportConfig(
        client=str(f.client or ""),
        data_path=_path(f.data_path),
        mapping_path=_path(f.mapping_path),
        lang=_langs(f.lang, f"{path}: lang")[0],
        start=_date_or_none(f.start, f"{path}: start"),
        end=_date_or_none(f.end, f"{path}: end"),
        notebooks_dir=_path(f.notebooks_dir),
        output_dir=_path(f.output_dir),
        timeout=raw.get("timeout", 600),
        parameters=f.parameters or {},
        jobs=jobs,
        source=path,
        client_config=_path(f.client_config),
    )
