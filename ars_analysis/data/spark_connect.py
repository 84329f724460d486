"""One Spark Connect server shared by the report jobs of a batch; connecting to one.

Each report job runs in its own notebook kernel. On Spark each kernel used to start its own
Spark JVM (tens of seconds per job). With ``ars render --engine spark`` and a local master
(``local``, ``local[N]``, ``local[*]``) the runner instead starts ONE `Spark Connect
<https://spark.apache.org/docs/latest/spark-connect-overview.html>`_ server for the whole batch
(:class:`ConnectServer`, from the ``spark-connect`` jar that pyspark ships), and every job's
kernel connects to it as a thin client: :func:`ars_analysis.data.engines.spark_session` sees
:data:`REMOTE_ENV` (``ARS_SPARK_REMOTE=sc://localhost:<port>``) and opens a Connect session
(:func:`remote_session`). Each job gets its own session on the server (its own temporary
views and settings), so jobs running side by side (``--jobs 2``) do not see each other's tables,
and a job that fails leaves the server to the others.

The same variable, or ``spark: {remote: "sc://host:port"}`` in the client configuration, points
every kernel at an existing Connect endpoint (a cluster's Connect server, Databricks Connect
style); the runner then starts nothing.

Lifecycle of the batch's server: started when the batch starts (while the data are loaded),
on a free port of ``localhost``, its output in ``spark_connect.log`` of the output folder; a
server that does not start stops the batch with a message that names that log; stopped when
the batch ends, fails or is interrupted (Ctrl-C), and killed with ``ars render`` itself (Linux:
the JVM dies with its parent process). A server that dies during the batch is started again on
the same port (:meth:`ConnectServer.ensure_running`, at most :data:`MAX_RESTARTS` times); a
kernel waits up to :data:`WAIT_ENV` seconds (default :data:`DEFAULT_WAIT`) for it, then stops
with a message that names the log.

Examples
--------
>>> parse_remote("sc://localhost:15002/;token=abc")
('localhost', 15002)
>>> is_local_master("local[2]"), is_local_master("yarn")
(True, False)
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

__all__ = [
    "DEFAULT_WAIT",
    "LOG_ENV",
    "MAX_RESTARTS",
    "REMOTE_ENV",
    "SERVER_LOG",
    "SHARE_ENV",
    "WAIT_ENV",
    "ConnectServer",
    "connect_client_available",
    "is_local_master",
    "parse_remote",
    "remote_session",
    "shared_server",
    "wait_for_server",
]

#: Spark Connect URL every Spark session of this process uses (``sc://host:port[/;params]``).
REMOTE_ENV = "ARS_SPARK_REMOTE"
#: Log file of the batch's own server (set by the runner beside :data:`REMOTE_ENV`).
LOG_ENV = "ARS_SPARK_CONNECT_LOG"
#: ``0``: ``ars render`` does not start a shared server (each job's kernel starts its own Spark).
SHARE_ENV = "ARS_SPARK_SHARED_SERVER"
#: File name of the batch server's log, in the batch's output folder.
SERVER_LOG = "spark_connect.log"
#: Seconds a kernel waits for the batch's server to answer (it may be restarting).
WAIT_ENV = "ARS_SPARK_CONNECT_WAIT"
DEFAULT_WAIT = 180.0
#: How many times a batch's server that died is started again.
MAX_RESTARTS = 2
#: Seconds the server may take to start (a loaded machine: a JVM and a SparkContext).
START_TIMEOUT = 300.0
#: The server's main class (in ``pyspark/jars/spark-connect_*.jar``).
SERVER_CLASS = "org.apache.spark.sql.connect.service.SparkConnectServer"
#: Modules of pyspark's Connect client (``pyspark[connect]``; in the ``spark`` extra).
CLIENT_MODULES = ("grpc", "grpc_status", "google.rpc")
#: Spark Connect's default port.
DEFAULT_PORT = 15002


def is_local_master(master: str | None) -> bool:
    """Whether ``master`` runs Spark in one process of this machine (``local``, ``local[*]``)."""
    return master is not None and (master == "local" or master.startswith("local["))


def parse_remote(url: str) -> tuple[str, int]:
    """Host and port of a Spark Connect URL ``sc://host[:port][/;param=value...]``.

    >>> parse_remote("sc://example.com")
    ('example.com', 15002)
    """
    if not url.startswith("sc://"):
        raise ValueError(f"a Spark Connect URL starts with sc://, got {url!r}")
    hostport = url[len("sc://") :].split("/", 1)[0]
    host, sep, port = hostport.rpartition(":")
    if not sep:
        return hostport, DEFAULT_PORT
    if not port.isdigit():
        raise ValueError(f"the port of the Spark Connect URL {url!r} is not a number")
    return host, int(port)


def connect_client_available() -> bool:
    """Whether pyspark's Connect client can run here (grpcio, grpcio-status, googleapis)."""
    try:
        return all(importlib.util.find_spec(m) is not None for m in CLIENT_MODULES)
    except ModuleNotFoundError:  # a parent package is missing
        return False


def _answers(host: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def wait_for_server(url: str, log: str | None = None, wait: float | None = None) -> None:
    """Wait until the Connect server of ``url`` accepts connections (up to ``wait`` seconds,
    default ``$ARS_SPARK_CONNECT_WAIT`` or :data:`DEFAULT_WAIT`); raise
    :class:`~ars_analysis.data.engines.EngineUnavailable` naming ``log`` if it does not."""
    from ars_analysis.data.engines import EngineUnavailable

    if wait is None:
        wait = float(os.environ.get(WAIT_ENV) or DEFAULT_WAIT)
    host, port = parse_remote(url)
    deadline = time.monotonic() + wait
    while not _answers(host, port):
        if time.monotonic() >= deadline:
            where = f"; see its log {log}" if log else ""
            raise EngineUnavailable(
                f"the Spark Connect server {url} does not answer after {wait:g} s (it was "
                f"stopped or failed{where}); render the job again, or choose --engine duckdb"
            )
        time.sleep(0.5)


def remote_session(url: str, conf: dict[str, str] | None = None, *, log: str | None = None):
    """A Spark Connect session on ``url`` (the process's default one, created on first use).

    The runtime SQL settings of ``conf`` (keys ``spark.sql.*``) are set on the session; the
    others belong to the server. ``log``: the batch server's log, to wait for it and name it.
    """
    from ars_analysis.data.engines import SPARK_INSTALL, EngineUnavailable

    if not connect_client_available():
        raise EngineUnavailable(
            "a Spark Connect session needs pyspark's Connect client (grpcio, grpcio-status, "
            f"googleapis-common-protos), which is not installed: {SPARK_INSTALL}"
        )
    if log is not None:
        wait_for_server(url, log)
    from pyspark.sql.connect.session import SparkSession

    # as pyspark's own builder does (which refuses when this process also holds a classic
    # session, as the test suite does): pyspark's functions now build Connect expressions
    os.environ["SPARK_CONNECT_MODE_ENABLED"] = "1"
    session = SparkSession.builder.remote(url).getOrCreate()
    if id(session) not in _CONFIGURED:  # once per session (each set is a round trip)
        for key, value in (conf or {}).items():
            if key.startswith("spark.sql."):
                session.conf.set(key, value)
        _CONFIGURED.add(id(session))
    return session


_CONFIGURED: set[int] = set()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGKILL), 0, 0, 0)


def _tail(path: Path, n: int = 12) -> str:
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    shown = [ln for ln in lines if ln.strip() and not ln.lstrip().startswith("at ")][-n:]
    return "\n  ".join(shown)


class ConnectServer:
    """A local Spark Connect server (one JVM) for the jobs of a batch.

    Parameters
    ----------
    master : str
        Spark master of the server (``local[*]``...).
    conf : dict of str to str
        Spark settings of the server; every Connect session starts with them.
    log_path : path
        Where the server writes its output (appended; one header line per start).
    port : int, optional
        Port on ``localhost``; default: a free one.

    Use as a context manager (``with ConnectServer(...) as server:``) or call :meth:`start`
    and :meth:`stop`. :attr:`starts` counts the JVMs started.
    """

    def __init__(self, master: str, conf: dict[str, str], log_path, port: int | None = None):
        self.master = master
        self.conf = dict(conf)
        self.log_path = Path(log_path)
        self.port = port or _free_port()
        self.starts = 0
        self.restarts = 0
        self._process: subprocess.Popen | None = None
        self._scratch: str | None = None

    @property
    def url(self) -> str:
        """``sc://localhost:<port>``, the value of :data:`REMOTE_ENV` for the kernels."""
        return f"sc://localhost:{self.port}"

    def env(self) -> dict[str, str]:
        """The environment variables that send a kernel's Spark sessions to this server."""
        return {REMOTE_ENV: self.url, LOG_ENV: str(self.log_path)}

    def _command(self) -> list[str]:
        from pyspark.find_spark_home import _find_spark_home

        submit = Path(_find_spark_home()) / "bin" / "spark-submit"
        conf = {
            **self.conf,
            "spark.connect.grpc.binding.address": "127.0.0.1",
            "spark.connect.grpc.binding.port": str(self.port),
            "spark.connect.grpc.port.maxRetries": "0",
            "spark.ui.enabled": "false",
            "spark.log.level": "WARN",
            "spark.sql.warehouse.dir": str(Path(self._scratch or ".") / "warehouse"),
        }
        cmd = [str(submit), "--master", self.master, "--name", "ars_analysis"]
        for key, value in conf.items():
            cmd += ["--conf", f"{key}={value}"]
        return [*cmd, "--class", SERVER_CLASS, "spark-internal"]

    def launch(self) -> None:
        """Start the JVM (returns at once; :meth:`wait_ready` waits until it answers)."""
        from ars_analysis.data.engines import _require_spark

        _require_spark(local=True)
        if self._scratch is None:
            self._scratch = tempfile.mkdtemp(prefix="ars_spark_connect_")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        cmd = self._command()
        with open(self.log_path, "a", encoding="utf-8") as log:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S")
            log.write(f"ars: starting Spark Connect server {self.url} ({self.master}) {stamp}\n")
            log.flush()
            self._process = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                cwd=self._scratch,
                start_new_session=True,  # Ctrl-C reaches ars render, which stops the server
                preexec_fn=_die_with_parent,  # noqa: PLW1509 - only prctl, async-signal-safe
            )
        self.starts += 1

    def wait_ready(self, timeout: float = START_TIMEOUT) -> None:
        """Wait until the server accepts connections; raise
        :class:`~ars_analysis.data.engines.EngineUnavailable` (with its log) if it stops or
        does not answer within ``timeout`` seconds."""
        from ars_analysis.data.engines import EngineUnavailable

        deadline = time.monotonic() + timeout
        while not _answers("127.0.0.1", self.port):
            code = self._process.poll() if self._process else -1
            if code is not None or time.monotonic() >= deadline:
                why = (
                    f"stopped with exit code {code}"
                    if code is not None
                    else f"did not answer within {timeout:g} s"
                )
                self.stop()
                raise EngineUnavailable(
                    f"the Spark Connect server of this batch ({self.master}, port {self.port}) "
                    f"{why}; its log: {self.log_path}\n  {_tail(self.log_path)}"
                )
            time.sleep(0.25)

    def start(self, timeout: float = START_TIMEOUT) -> ConnectServer:
        """:meth:`launch` and :meth:`wait_ready`."""
        self.launch()
        self.wait_ready(timeout)
        return self

    def alive(self) -> bool:
        """Whether the server's JVM runs."""
        return self._process is not None and self._process.poll() is None

    def ensure_running(self, timeout: float = START_TIMEOUT) -> bool:
        """Start the server again (same port) if it died; True if it did. At most
        :data:`MAX_RESTARTS` times: after that a dead server stays dead (the kernels then stop
        with a message naming the log)."""
        from ars_analysis.data.engines import EngineUnavailable

        if self.alive() or self._process is None or self.restarts >= MAX_RESTARTS:
            return False
        self.restarts += 1
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(f"ars: the server stopped (exit code {self._process.returncode}); restart\n")
        try:
            self.start(timeout)
        except EngineUnavailable as exc:  # the kernels stop with a message naming the log
            with open(self.log_path, "a", encoding="utf-8") as log:
                log.write(f"ars: {exc}\n")
            return False
        return True

    def stop(self, grace: float = 20.0) -> None:
        """Stop the JVM (SIGTERM to its process group, then SIGKILL) and remove its scratch
        folder."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        if self._scratch is not None:
            shutil.rmtree(self._scratch, ignore_errors=True)
            self._scratch = None

    def __enter__(self) -> ConnectServer:
        return self.start() if self._process is None else self

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "running" if self.alive() else "stopped"
        return f"ConnectServer({self.url}, {self.master}, {state})"


def shared_server(env: dict[str, str], output_dir) -> ConnectServer | None:
    """The Connect server a batch whose jobs get the environment ``env``
    (:func:`~ars_analysis.data.engines.engine_env`) shares, *launched* (call
    :meth:`~ConnectServer.wait_ready`), or None: not the spark engine, a Connect URL already
    set, a master that is not local (the cluster's own driver per job), or
    ``$ARS_SPARK_SHARED_SERVER=0``. The server's settings are the jobs' (:func:`spark_settings
    <ars_analysis.data.engines.spark_settings>`); its log is ``<output_dir>/spark_connect.log``.

    Examples
    --------
    >>> shared_server({"ARS_ENGINE": "duckdb"}, ".") is None
    True
    """
    import json

    from ars_analysis.data import engines

    if env.get(engines.ENV) != "spark" or os.environ.get(SHARE_ENV) == "0":
        return None
    if env.get(REMOTE_ENV) or os.environ.get(REMOTE_ENV):
        return None
    conf = json.loads(env[engines.SPARK_CONF_ENV]) if engines.SPARK_CONF_ENV in env else None
    settings = engines.spark_settings(env.get(engines.SPARK_MASTER_ENV), conf)
    if not is_local_master(settings["master"]):
        return None
    server = ConnectServer(settings["master"], settings["conf"], Path(output_dir) / SERVER_LOG)
    server.launch()
    return server
