"""The client configuration: one YAML per client with every definition its reports share.

One definition per concept across all reports of a client — what a top terminal is, which count
of core customers is the headline, the minimum sample sizes below which a statistic becomes a
caveat, the market assumptions that drive a number — set once in a file such as
``config/clients/sample.yml`` and read by every notebook (parameter ``client_config``).

The file is validated by pydantic models; an error names the file, the key path and what was
expected.

Examples
--------
>>> cfg = load_client_config()
>>> cfg.definitions.top_terminal.share, cfg.definitions.top_terminal.within
(0.2, 'region')
>>> cfg.min_sample.correlation
10
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from ars_analysis.config import ConfigError, ConfigModel, Layer, base_file, load_config

#: The report languages. Defined here, at the bottom of the package, so an analysis can check a
#: ``lang`` argument without importing the labels (:mod:`ars_analysis.labels` re-exports both).
LANGS = ("zh", "en")


def check_lang(lang: str) -> str:
    """Return ``lang`` if it is a supported report language, else raise ``ValueError``."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, got {lang!r}")
    return lang


class ClientConfigError(ConfigError):
    """The client configuration file is invalid (file, key path, what was expected)."""


_Model = ConfigModel


class TopTerminal(_Model):
    share: float = Field(0.2, gt=0, le=1)
    within: Literal["region", "national"] = "region"


class CoreCustomer(_Model):
    abc_scope: Literal["territory", "region", "national"] = "territory"
    abc_min_group: int = Field(10, ge=1)
    abc_cuts: tuple[float, float] = (0.8, 0.95)
    movement_freq: Literal["Q", "Y"] = "Q"
    # seedlings / at-risk core customers: confidence level of the sales-trend interval, and the
    # size floor of a seedling as a quantile of all distributors' sales in the period
    trend_level: float = Field(0.95, gt=0, lt=1)
    seedling_min_revenue_quantile: float = Field(0.5, ge=0, le=1)


class Definitions(_Model):
    top_terminal: TopTerminal = TopTerminal()
    core_customer: CoreCustomer = CoreCustomer()


class MinSample(_Model):
    correlation: int = Field(10, ge=3)
    segments: int = Field(30, ge=2)
    per_segment: int = Field(5, ge=1)
    group_rate: int = Field(5, ge=1)
    tail_fit: int = Field(50, ge=10)


class Market(_Model):
    unobserved_terminal_ratio: float = Field(0.5, ge=0)


class Terminals(_Model):
    # Terminal network: at most this many new top terminals proposed per core distributor in
    # the linking plan (spreads the work; the rest get the next-best distributor).
    max_new_per_distributor: int = Field(10, ge=1)
    max_link_distance_km: float | None = Field(150.0, gt=0)


class Incentives(_Model):
    category_share: float | None = Field(None, gt=0, le=1)


class Spark(_Model):
    # the Spark engine's master URL (e.g. "local[*]", "spark://host:7077", "yarn") and extra
    # Spark settings; empty: $ARS_SPARK_MASTER / $ARS_SPARK_CONF, else local[*]
    master: str | None = None
    conf: dict[str, str | int | float | bool] = {}
    # an existing Spark Connect endpoint ("sc://host:15002", Databricks Connect style): every
    # job's session connects to it; $ARS_SPARK_REMOTE wins over it
    remote: str | None = Field(None, pattern=r"^sc://")


class ClientConfig(_Model):
    """A client's configuration (see ``config/clients/sample.yml`` for every key)."""

    client: str | dict[str, str] = ""
    region_names: dict[str, dict[str, str]] = {}
    definitions: Definitions = Definitions()
    min_sample: MinSample = MinSample()
    market: Market = Market()
    terminals: Terminals = Terminals()
    incentives: Incentives = Incentives()
    # The client layer over the package's base files (Kedro's base/local): entries merged deep
    # over config/scorecard_default.yml, config/visit_standards.yml,
    # config/field_organisation.yml and config/plan_assignment.yml, validated after merging (an
    # error names this file); the folder of the plans to compare (relative to this file).
    scorecard: dict[str, Any] | None = None
    visit_standards: dict[str, Any] | None = None
    field_organisation: dict[str, Any] | None = None
    plan_assignment: dict[str, Any] | None = None
    plans_dir: str | None = None
    # engine of the aggregations and the large-table checks (ars_analysis.data.engines);
    # --engine and $ARS_ENGINE override it
    engine: Literal["duckdb", "spark"] = "duckdb"
    spark: Spark = Spark()
    source: str | None = None

    def layer(self, name: str) -> tuple[Layer, ...]:
        """The client's overrides of base file ``name`` (``"scorecard"``,
        ``"visit_standards"``, ``"field_organisation"`` or ``"plan_assignment"``) as a config
        layer (empty when there are none)."""
        data = getattr(self, name)
        return (Layer(self.source or "client configuration", data, at=name),) if data else ()

    def plan_files(self) -> list[Path] | None:
        """The ``*.yml`` plans of ``plans_dir`` (sorted; ``None`` when not set)."""
        if self.plans_dir is None:
            return None
        folder = Path(self.plans_dir)
        if not folder.is_absolute() and self.source:
            folder = Path(self.source).parent / folder
        files = sorted(folder.glob("*.yml"))
        if not files:
            raise ClientConfigError(
                f"{self.source}: plans_dir: expected a folder with plan files (*.yml), "
                f"got {self.plans_dir!r} ({folder})"
            )
        return files

    def client_name(self, lang: str = "zh") -> str:
        """The client's name in ``lang`` (``client: {zh: ..., en: ...}``; a plain string is
        the client's proper name in every language)."""
        if isinstance(self.client, dict):
            return self.client.get(lang) or next(iter(self.client.values()), "")
        return self.client


#: The sample client's configuration shipped with the package.
SAMPLE_CLIENT = "sample.yml"


def _default_path() -> Path:
    return base_file("clients", SAMPLE_CLIENT)


def load_client_config(path: str | os.PathLike | None = None) -> ClientConfig:
    """Read and validate a client configuration (``None``: the sample client's).

    Raises :class:`ClientConfigError` naming the file, the key path and what was expected.
    """
    file = Path(path) if path is not None else _default_path()
    if not file.is_file():
        raise ClientConfigError(f"client configuration {file}: file not found")
    return load_config(
        file,
        ClientConfig,
        overrides={"source": str(file)},
        what="client configuration",
        error=ClientConfigError,
    )
