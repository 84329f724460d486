"""Engines that run the aggregations and the validation of the large tables: DuckDB or Spark.

The aggregations (:mod:`ars_analysis.compose.aggregate`) and the checks of the large tables
(:mod:`ars_analysis.data.engine_validation`) are written once as `Ibis <https://ibis-project.org>`_
expressions; this module gives them an Ibis connection to the chosen engine and the sales or
visit lines as an engine table, so the lines never pass through pandas.

``duckdb``
    The embedded default: nothing to install or start, uses every core of one machine and
    spills to disk beyond its memory limit (:func:`duckdb_config`).
``spark``
    For data that already sits in a Spark cluster, or outgrows one machine: ``local[*]``,
    standalone, YARN, Kubernetes, or Databricks through Databricks Connect. Needs the ``spark``
    extra (``pip install "ars-analysis[spark]"``) and Java 17 on the machine that runs it.

Which engine (:func:`engine_name`): the ``engine`` argument (``--engine`` on ``ars validate`` and
``ars render``), else the environment variable :data:`ENV` (``ARS_ENGINE``), else the client
configuration's ``engine``, else ``duckdb``. Spark settings come from the client configuration
(``spark: {master: ..., conf: {...}, remote: ...}``) or the environment
(:data:`SPARK_MASTER_ENV`, :data:`SPARK_CONF_ENV` as JSON, :data:`SPARK_REMOTE_ENV`); a notebook
kernel keeps ONE Spark session (:func:`spark_session`). With a Spark Connect URL
(``ARS_SPARK_REMOTE=sc://host:port`` or ``spark: {remote: ...}``) that session is a thin Connect
client of that server: ``ars render --engine spark`` with a local master starts one Connect
server for the whole batch and points every job's kernel at it
(:mod:`ars_analysis.data.spark_connect`), so the batch starts one Spark JVM, not one per job.

Examples
--------
>>> engine_name("duckdb")
'duckdb'
>>> con = connect("duckdb")
>>> con.name
'duckdb'
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from ars_analysis.data.spark_connect import (
    LOG_ENV,
    REMOTE_ENV,
    connect_client_available,
    remote_session,
)

__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "ENV",
    "SPARK_CONF_ENV",
    "SPARK_INSTALL",
    "SPARK_MASTER_ENV",
    "SPARK_REMOTE_ENV",
    "EngineUnavailable",
    "connect",
    "duckdb_config",
    "engine_name",
    "java_available",
    "spark_available",
    "spark_session",
    "check_available",
    "engine_env",
]

#: The engines, the default first.
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
#: Environment variable that chooses the engine (overrides the client configuration).
ENV = "ARS_ENGINE"
#: Environment variables with the Spark master URL and extra Spark settings (JSON object).
SPARK_MASTER_ENV = "ARS_SPARK_MASTER"
SPARK_CONF_ENV = "ARS_SPARK_CONF"
#: Environment variable with a Spark Connect URL (``sc://host:port``): Spark sessions connect to it.
SPARK_REMOTE_ENV = REMOTE_ENV
#: What to install for the Spark engine.
SPARK_INSTALL = 'pip install "ars-analysis[spark]"'


class EngineUnavailable(RuntimeError):
    """The chosen engine cannot run here (a package or Java is missing); the message says what
    to install."""


def engine_name(engine: str | None = None, configured: str | None = None) -> str:
    """The engine to use: ``engine``, else ``$ARS_ENGINE``, else ``configured``, else duckdb.

    Examples
    --------
    >>> engine_name(None, configured="spark")
    'spark'
    >>> engine_name("Spark")
    'spark'
    """
    name = engine or os.environ.get(ENV) or configured or DEFAULT_ENGINE
    name = str(name).strip().lower()
    if name not in ENGINES:
        raise ValueError(
            f"engine must be one of {', '.join(ENGINES)} (--engine, ${ENV} or the client "
            f"configuration's 'engine'), got {name!r}"
        )
    return name


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not available (e.g. Windows)
        return None


def duckdb_config() -> dict[str, object]:
    """Settings of the DuckDB connections used here.

    DuckDB by default may use up to 80% of the machine's memory. The distinct counts build hash
    tables whose size grows with the number of threads, so each connection runs with:

    * ``threads`` = every core, or ``ARS_DUCKDB_THREADS`` (set 1 on a machine busy with other
      work: extra threads then mostly contend);
    * ``memory_limit`` = a quarter of physical memory (at least 1 GB), or
      ``ARS_DUCKDB_MEMORY_LIMIT`` (e.g. ``"4GB"``); beyond it DuckDB spills to a temporary
      folder (``<system temp>/ars_duckdb``) instead of failing.

    Examples
    --------
    >>> sorted(duckdb_config())
    ['memory_limit', 'preserve_insertion_order', 'temp_directory', 'threads']
    """
    threads = os.environ.get("ARS_DUCKDB_THREADS")
    memory = os.environ.get("ARS_DUCKDB_MEMORY_LIMIT")
    if not memory:
        total = _physical_memory()
        memory = f"{max(1024, total // 4 // 2**20)}MB" if total else "2GB"
    return {
        "threads": int(threads) if threads else (os.cpu_count() or 1),
        "memory_limit": memory,
        "temp_directory": str(Path(tempfile.gettempdir()) / "ars_duckdb"),
        # results are sorted explicitly; not keeping scan order saves memory
        "preserve_insertion_order": False,
    }


def spark_available() -> bool:
    """Whether pyspark is installed (the ``spark`` extra)."""
    import importlib.util

    return importlib.util.find_spec("pyspark") is not None


def java_available() -> bool:
    """Whether a Java runtime is found (``$JAVA_HOME/bin/java`` or ``java`` on the PATH)."""
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").exists():
        return True
    return shutil.which("java") is not None


def _require_spark(local: bool | None = None) -> None:
    """Raise :class:`EngineUnavailable` when pyspark (or, for a Spark started here, Java) is
    missing. ``local``: whether Spark runs here (default: unless a Connect URL is set)."""
    if not spark_available():
        raise EngineUnavailable(
            f"the spark engine needs pyspark, which is not installed: {SPARK_INSTALL} "
            "(and Java 17), or choose --engine duckdb"
        )
    if local is None:
        local = not (os.environ.get(REMOTE_ENV) or os.environ.get("SPARK_REMOTE"))
    if local and not java_available():
        raise EngineUnavailable(
            "the spark engine needs a Java runtime (17 or later) and none was found: install "
            "one (e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME, or choose "
            "--engine duckdb"
        )


def spark_settings(
    master: str | None = None, conf: dict[str, Any] | None = None, remote: str | None = None
) -> dict:
    """Spark master, settings and Connect URL: the arguments, else ``$ARS_SPARK_MASTER`` /
    ``$ARS_SPARK_CONF`` (JSON) / ``$ARS_SPARK_REMOTE``, else ``local[*]`` with few shuffle
    partitions (one machine) and no Connect URL. ``user_conf``: the settings given (argument
    and environment) without the local defaults - what a Connect session sets.

    Examples
    --------
    >>> spark_settings("local[2]", {"spark.sql.shuffle.partitions": 2})["master"]
    'local[2]'
    """
    env_conf = os.environ.get(SPARK_CONF_ENV)
    user: dict[str, Any] = {}
    merged: dict[str, Any] = {
        "spark.sql.shuffle.partitions": max(2, 2 * (os.cpu_count() or 1)),
        "spark.sql.session.timeZone": "UTC",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.execution.arrow.pyspark.enabled": "true",
    }
    if env_conf:
        try:
            user.update(json.loads(env_conf))
        except json.JSONDecodeError as exc:
            raise ValueError(f"${SPARK_CONF_ENV} is not a JSON object: {exc}") from None
    user.update(conf or {})
    merged.update(user)
    return {
        "master": master or os.environ.get(SPARK_MASTER_ENV) or "local[*]",
        "conf": {k: str(v) for k, v in merged.items()},
        "user_conf": {k: str(v) for k, v in user.items()},
        "remote": remote or os.environ.get(REMOTE_ENV) or None,
    }


def check_available(engine: str, *, remote: str | None = None) -> None:
    """Raise :class:`EngineUnavailable` (with what to install) when ``engine`` cannot run here
    (``remote``: the Spark Connect URL its sessions will use, if any)."""
    if engine_name(engine) == "spark":
        remote = remote or os.environ.get(REMOTE_ENV)
        _require_spark(local=not remote)
        if remote and not connect_client_available():
            raise EngineUnavailable(
                "a Spark Connect session needs pyspark's Connect client (grpcio, grpcio-status, "
                f"googleapis-common-protos), which is not installed: {SPARK_INSTALL}"
            )


def engine_env(
    engine: str | None = None,
    configured: str | None = None,
    *,
    master: str | None = None,
    conf: dict[str, Any] | None = None,
    remote: str | None = None,
) -> dict[str, str]:
    """Environment variables that give a batch's jobs (their notebook kernels) the engine.

    ``engine`` (``--engine``) wins over ``$ARS_ENGINE``, which wins over ``configured`` (the
    client configuration's ``engine``); Spark settings set in the environment win over the
    client configuration's ``spark`` settings (``master``, ``conf``, ``remote``).

    Examples
    --------
    >>> engine_env("duckdb")
    {'ARS_ENGINE': 'duckdb'}
    """
    name = engine_name(engine, configured)
    env = {ENV: name}
    if name == "spark":
        if master and not os.environ.get(SPARK_MASTER_ENV):
            env[SPARK_MASTER_ENV] = master
        if conf and not os.environ.get(SPARK_CONF_ENV):
            env[SPARK_CONF_ENV] = json.dumps(conf)
        if remote and not os.environ.get(REMOTE_ENV):
            env[REMOTE_ENV] = remote
    return env


_spark_lock = threading.Lock()


def spark_session(
    master: str | None = None, conf: dict[str, Any] | None = None, remote: str | None = None
):
    """The process's Spark session (created on first use, then shared).

    With a Spark Connect URL (``remote``, else ``$ARS_SPARK_REMOTE``: the batch's shared server,
    or an existing Connect endpoint) a Connect session on it
    (:func:`~ars_analysis.data.spark_connect.remote_session`; only the ``spark.sql.*`` settings
    apply). Otherwise an active session (a notebook attached to a cluster, ``spark-submit``) is
    used as it is, or one is built from :func:`spark_settings`. Raises
    :class:`EngineUnavailable` with the install command when pyspark or Java is missing.
    """
    settings = spark_settings(master, conf, remote)
    _require_spark(local=not settings["remote"])
    if settings["remote"]:
        with _spark_lock:
            return remote_session(
                settings["remote"], settings["user_conf"], log=os.environ.get(LOG_ENV)
            )
    from pyspark.sql import SparkSession

    with _spark_lock:
        active = SparkSession.getActiveSession()
        if active is not None:
            return active
        builder = SparkSession.builder.master(settings["master"]).appName("ars_analysis")
        for key, value in settings["conf"].items():
            builder = builder.config(key, value)
        session = builder.getOrCreate()
        session.sparkContext.setLogLevel("ERROR")
        return session


def connect(engine: str | None = None, **spark):
    """An Ibis connection to ``engine`` (see :func:`engine_name`).

    DuckDB: a new in-memory connection with :func:`duckdb_config` (cheap; close it when done).
    Spark: a connection on the process's one Spark session (:func:`spark_session`); ``spark``
    keywords (``master``, ``conf``, ``remote``) are used only when the session is created.
    """
    import ibis

    name = engine_name(engine)
    if name == "duckdb":
        return ibis.duckdb.connect(**duckdb_config())
    return ibis.pyspark.connect(spark_session(**spark))


#: Where lines read several times are held: ``memory``, ``disk`` or ``auto`` (the default).
HOLD_ENV = "ARS_DUCKDB_HOLD"


def memory_bytes(text: str) -> int:
    """A DuckDB memory setting in bytes.

    Examples
    --------
    >>> memory_bytes("6144MB") == 6144 * 2**20, memory_bytes("1.5 GiB") == int(1.5 * 2**30)
    (True, True)
    """
    units = {"KB": 2**10, "KIB": 2**10, "MB": 2**20, "MIB": 2**20, "GB": 2**30, "GIB": 2**30,
             "TB": 2**40, "TIB": 2**40, "B": 1}  # fmt: skip
    t = text.strip().upper()
    for unit in sorted(units, key=len, reverse=True):
        if t.endswith(unit):
            return int(float(t[: -len(unit)].strip()) * units[unit])
    return int(float(t))


def hold_in_memory(nbytes: int | None) -> bool:
    """Whether lines read from ``nbytes`` of files are held in memory (else on disk).

    In memory is fastest (about 30% less CPU than on disk, measured on 20 million lines) but
    takes about 1.5 times the size of the CSV text, so it is chosen when the files take less
    than a quarter of DuckDB's memory limit (:func:`duckdb_config`). ``$ARS_DUCKDB_HOLD`` =
    ``memory`` or ``disk`` forces either.
    """
    choice = os.environ.get(HOLD_ENV, "auto").strip().lower()
    if choice in ("memory", "disk"):
        return choice == "memory"
    if choice != "auto":
        raise ValueError(f"${HOLD_ENV} must be memory, disk or auto, got {choice!r}")
    if nbytes is None:
        return True
    return nbytes * 4 < memory_bytes(str(duckdb_config()["memory_limit"]))


class Held:
    """A table held by DuckDB for several scans, in memory or in a temporary DuckDB file.

    On disk DuckDB stores the table in its own compressed columnar format (dictionary-encoded
    IDs: 20 million sales lines take about 340 MB), keeps in memory what fits under its memory
    limit and reads the rest from the file, so memory stays bounded; the file lives in DuckDB's
    temporary folder and :meth:`release` removes it. ``table`` is the held Ibis table.
    """

    def __init__(self, con, expr, *, in_memory: bool):
        self.con, self.path = con, None
        if in_memory:
            self.table = expr.cache()
            return
        folder = Path(str(duckdb_config()["temp_directory"]))
        folder.mkdir(parents=True, exist_ok=True)
        self.alias = f"ars_hold_{uuid.uuid4().hex[:12]}"
        self.path = folder / f"{self.alias}.duckdb"
        con.raw_sql(f"ATTACH '{self.path}' AS {self.alias}")
        try:
            con.raw_sql(f"CREATE TABLE {self.alias}.lines AS {con.compile(expr)}")
            self.table = con.table("lines", database=(self.alias, "main"))
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Drop the held table (and its file)."""
        if self.path is None:
            table = self.__dict__.pop("table", None)
            if table is not None:
                table.release()
            return
        try:
            self.con.raw_sql(f"DETACH {self.alias}")
        finally:
            for path in (self.path, self.path.with_name(self.path.name + ".wal")):
                path.unlink(missing_ok=True)


def hold(con, expr, *, nbytes: int | None = None) -> Held:
    """Hold ``expr`` on DuckDB connection ``con`` for several scans (see :class:`Held`);
    ``nbytes``: size of the files it comes from, for :func:`hold_in_memory`."""
    return Held(con, expr, in_memory=hold_in_memory(nbytes))
