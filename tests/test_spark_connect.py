"""Report jobs on Spark share one Spark Connect server per batch (``ars_analysis.data.spark_connect``).

The batch tests render small notebooks built here (each connects to the engine, writes the
Spark application id it sees and an aggregation); they need Java and pyspark and skip without
them, with that reason. The unit tests run everywhere.
"""

from __future__ import annotations

import json
import os
import signal
import socket

import pandas as pd
import pytest
from conftest import REPO, spark_skip_reason
from test_reports import make_notebook

from ars_analysis.client import ClientConfigError, load_client_config
from ars_analysis.data import engines
from ars_analysis.data.spark_connect import (
    LOG_ENV,
    REMOTE_ENV,
    SERVER_LOG,
    SHARE_ENV,
    ConnectServer,
    parse_remote,
    shared_server,
    wait_for_server,
)

# ------------------------------------------------------------------------------ unit tests


def test_parse_remote_and_errors():
    assert parse_remote("sc://localhost:15099") == ("localhost", 15099)
    assert parse_remote("sc://gw.example.com/;token=x;use_ssl=true") == ("gw.example.com", 15002)
    with pytest.raises(ValueError, match="starts with sc://"):
        parse_remote("http://localhost:15002")
    with pytest.raises(ValueError, match="not a number"):
        parse_remote("sc://host:abc")


def test_no_shared_server_unless_spark_with_a_local_master(monkeypatch, tmp_path):
    monkeypatch.delenv(REMOTE_ENV, raising=False)
    monkeypatch.delenv(engines.SPARK_MASTER_ENV, raising=False)
    assert shared_server({"ARS_ENGINE": "duckdb"}, tmp_path) is None
    spark = {"ARS_ENGINE": "spark", engines.SPARK_MASTER_ENV: "yarn"}
    assert shared_server(spark, tmp_path) is None  # a cluster: its own driver
    assert shared_server({**spark, REMOTE_ENV: "sc://gw:15002"}, tmp_path) is None
    monkeypatch.setenv(SHARE_ENV, "0")
    assert shared_server({"ARS_ENGINE": "spark"}, tmp_path) is None
    assert not (tmp_path / SERVER_LOG).exists()  # nothing was started


def test_remote_endpoint_from_client_configuration(tmp_path, monkeypatch):
    monkeypatch.delenv(REMOTE_ENV, raising=False)
    cfg = tmp_path / "client.yml"
    cfg.write_text("engine: spark\nspark: {remote: 'sc://gw.example.com:15002'}\n", "utf-8")
    client = load_client_config(cfg)
    env = engines.engine_env(None, client.engine, remote=client.spark.remote)
    assert env[REMOTE_ENV] == "sc://gw.example.com:15002"
    monkeypatch.setenv(REMOTE_ENV, "sc://other:1")  # the environment wins
    assert REMOTE_ENV not in engines.engine_env(None, "spark", remote=client.spark.remote)
    cfg.write_text("spark: {remote: 'gw.example.com:15002'}\n", "utf-8")
    with pytest.raises(ClientConfigError, match="remote"):
        load_client_config(cfg)


def test_connect_session_needs_no_java_but_the_connect_client(monkeypatch):
    monkeypatch.setattr(engines, "spark_available", lambda: True)
    monkeypatch.setattr(engines, "java_available", lambda: False)
    monkeypatch.setattr(engines, "connect_client_available", lambda: True)
    engines.check_available("spark", remote="sc://gw:15002")  # no Java needed
    with pytest.raises(engines.EngineUnavailable, match="Java"):
        engines.check_available("spark")
    monkeypatch.setattr(engines, "connect_client_available", lambda: False)
    with pytest.raises(engines.EngineUnavailable, match=r"grpcio.*pip install"):
        engines.check_available("spark", remote="sc://gw:15002")


def test_a_server_that_does_not_answer_gives_a_clear_error(tmp_path):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = tmp_path / SERVER_LOG
    with pytest.raises(engines.EngineUnavailable, match=rf"does not answer.*{SERVER_LOG}"):
        wait_for_server(f"sc://localhost:{port}", str(log), wait=0.5)


# ------------------------------------------------------------------------------ with Spark

needs_spark = pytest.mark.skipif(spark_skip_reason() is not None, reason=str(spark_skip_reason()))

#: A job: the Spark application its session runs in, and an aggregation, into its folder.
JOB_CODE = """
import pathlib
from ars_analysis import load_dataset
from ars_analysis.compose.aggregate import sales_by
from ars_analysis.data.engines import connect
con = connect()
app = con._session.conf.get("spark.app.id") if con.name == "pyspark" else "duckdb"
table = sales_by(load_dataset(data_path), ["region"], freq="M")
out = pathlib.Path(output_dir)
out.mkdir(parents=True, exist_ok=True)
(out / "app.txt").write_text(app)
table.to_csv(out / "sales.csv", index=False)
"""


def _batch(tmp_path, data_dir, names: list[str], out: str) -> str:
    notebooks = tmp_path / "nb"
    make_notebook(notebooks, "job", JOB_CODE)
    make_notebook(notebooks, "boom", JOB_CODE, "raise RuntimeError('this job fails')")
    jobs = "".join(
        f"  - {{notebook: {n.split('-')[0]}.ipynb, name: {n}, lang: zh}}\n" for n in names
    )
    cfg = tmp_path / f"{out}.yml"
    cfg.write_text(
        f"data_path: {data_dir}\nnotebooks_dir: {notebooks}\noutput_dir: {tmp_path / out}\n"
        f"jobs:\n{jobs}",
        encoding="utf-8",
    )
    return str(cfg)


@needs_spark
@pytest.mark.slow
@pytest.mark.notebook
def test_a_batch_on_spark_starts_one_server_and_gives_the_duckdb_results(tmp_path, monkeypatch):
    from ars_analysis.reports import render

    for var in (REMOTE_ENV, SHARE_ENV, engines.SPARK_MASTER_ENV, "ARS_KERNEL_FORK"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv(engines.SPARK_CONF_ENV, json.dumps({"spark.sql.shuffle.partitions": 2}))
    monkeypatch.setenv(engines.SPARK_MASTER_ENV, "local[2]")
    data_dir = REPO / "data" / "sample"
    names = ["job-1", "boom-2", "job-3", "job-4"]
    # one worker: the four jobs run one after the other, the failing one second
    spark = render(
        _batch(tmp_path, data_dir, names, "spark"), jobs=1, progress=False, engine="spark"
    )
    status = {r["name"]: r["status"] for r in spark}
    assert status == {"job-1": "ok", "boom-2": "failed", "job-3": "ok", "job-4": "ok"}
    assert "this job fails" in next(r["message"] for r in spark if r["name"] == "boom-2")
    out = tmp_path / "spark"
    log = (out / SERVER_LOG).read_text(encoding="utf-8")
    assert log.count("ars: starting Spark Connect server") == 1  # one JVM for the batch
    apps = {n: (out / n / "app.txt").read_text() for n in ("job-1", "job-3", "job-4")}
    assert len(set(apps.values())) == 1 and next(iter(apps.values())).startswith("local-")
    # the failed job did not break the server for the jobs after it; then it was stopped
    host, port = parse_remote(f"sc://localhost:{log.split('localhost:')[1].split(' ')[0]}")
    with pytest.raises(OSError):
        socket.create_connection((host, port), timeout=1).close()

    duck = render(_batch(tmp_path, data_dir, ["job-1"], "duck"), progress=False, engine="duckdb")
    assert duck[0]["status"] == "ok"
    want = pd.read_csv(tmp_path / "duck" / "job-1" / "sales.csv")
    for n in apps:
        pd.testing.assert_frame_equal(pd.read_csv(out / n / "sales.csv"), want, rtol=1e-12)


@needs_spark
@pytest.mark.slow
def test_a_killed_server_is_restarted_and_a_failed_start_names_its_log(tmp_path, monkeypatch):
    settings = engines.spark_settings("local[1]", {"spark.sql.shuffle.partitions": 1})
    server = ConnectServer(settings["master"], settings["conf"], tmp_path / SERVER_LOG)
    with server:
        port = server.port
        assert server.env() == {REMOTE_ENV: server.url, LOG_ENV: str(tmp_path / SERVER_LOG)}
        assert not server.ensure_running()  # running: nothing to do
        os.killpg(server._process.pid, signal.SIGKILL)
        server._process.wait()
        assert server.ensure_running()  # started again, same port: the kernels' URL holds
        assert server.port == port and server.alive() and server.starts == 2
        wait_for_server(server.url, wait=5)
    assert not server.alive()

    bad = ConnectServer("local[not-a-number]", settings["conf"], tmp_path / "bad.log")
    with pytest.raises(engines.EngineUnavailable, match=r"stopped with exit code.*bad\.log"):
        bad.start(timeout=240)
    assert not bad.alive()
