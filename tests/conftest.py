"""Shared fixtures: one small batch rendered from the real notebooks for the whole session.

``rendered_batch`` renders the four report notebooks on the sample data once per test session
(whole country in Chinese, one small region in English, small bootstrap and simulation sizes,
two jobs in parallel); the leak test and the browser test both read it. Both tests carry the
``xdist_group("rendered_batch")`` mark, so ``pytest -n 2 --dist loadgroup`` (``make test``)
runs them in one worker and renders the batch only once.

Set ``ARS_TEST_BATCH=<folder>`` to reuse a batch rendered earlier into that folder (it is
rendered there when the folder has no index yet).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
#: The small region rendered in English (8 distributors, 5 reps in the sample).
SMALL_REGION = "西北"
#: Small sizes keep the batch fast; each is passed only to notebooks that declare it.
SMALL_PARAMETERS = {"n_boot": 50, "gof_boot": 20, "n_scenarios": 200}


@dataclass
class RenderedBatch:
    root: Path
    results: list[dict] = field(default_factory=list)
    client: str = ""

    @property
    def failed(self) -> list[str]:
        return [f"{r['name']}: {r.get('message')}" for r in self.results if r["status"] != "ok"]


def batch_config(out: Path) -> dict:
    """The test batch: every notebook nationally in Chinese and for one region in English
    (the incentive scenarios, a national analysis, nationally in English)."""
    from ars_analysis.reports import notebook_parameters

    jobs = []
    for nb in sorted(NOTEBOOKS.glob("0*.ipynb")):
        declared = notebook_parameters(nb)
        small = {k: v for k, v in SMALL_PARAMETERS.items() if k in declared}
        jobs.append({"notebook": nb.name, "lang": "zh", "parameters": small})
        en = {"notebook": nb.name, "name": f"{nb.stem}-en", "lang": "en", "parameters": small}
        if not nb.stem.startswith("03_"):
            en["regions"] = [SMALL_REGION]
        jobs.append(en)
    return {
        "client": "测试客户",
        "client_config": None,
        "data_path": str(REPO / "data" / "sample"),
        "lang": "zh",
        "notebooks_dir": str(NOTEBOOKS),
        "output_dir": str(out),
        "timeout": 900,
        "jobs": jobs,
    }


@pytest.fixture(scope="session")
def rendered_batch(tmp_path_factory) -> RenderedBatch:
    import json

    from ars_analysis.reports import STATUS_FILE, client_info, load_config, render

    reuse = os.environ.get("ARS_TEST_BATCH")
    out = Path(reuse) if reuse else tmp_path_factory.mktemp("batch") / "reports"
    cfg_path = out.parent / f"{out.name}-config.yml"
    out.parent.mkdir(parents=True, exist_ok=True)
    cfg_path.write_text(yaml.safe_dump(batch_config(out), allow_unicode=True), encoding="utf-8")
    cfg = load_config(cfg_path)
    if reuse and (out / "index.html").exists():
        results = [
            json.loads(p.read_text(encoding="utf-8")) for p in sorted(out.glob(f"*/{STATUS_FILE}"))
        ]
    else:
        results = render(cfg, jobs=2, progress=False)
    print(f"\nrendered test batch: {out}")
    return RenderedBatch(out, results, client_info(cfg)[0])  # str or {lang: name}


@pytest.fixture(scope="session")
def sample_field_execution():
    """``get(region)``: the field-execution analysis of the sample (sample client's
    configuration) for a region (None = national), computed once per test session and shared
    by the tests that only read it (the analyses never modify the dataset or the result)."""
    from ars_analysis import compose, load_dataset
    from ars_analysis.client import load_client_config

    ds, cfg, cache = load_dataset(REPO / "data" / "sample"), load_client_config(), {}

    def get(region=None):
        if region not in cache:
            cache[region] = compose.analyse_field_execution(ds, cfg, region=region)
        return cache[region]

    get.dataset, get.cfg = ds, cfg
    return get


#: The Spark tests' session: two local cores, two shuffle partitions (small data).
SPARK_TEST_SETTINGS = {"master": "local[2]", "conf": {"spark.sql.shuffle.partitions": 2}}


def spark_skip_reason() -> str | None:
    """Why the Spark engine cannot be tested here (None: it can)."""
    from ars_analysis.data.engines import java_available, spark_available

    if not spark_available():
        return "pyspark is not installed (the locked test environment has it: make venv)"
    if not java_available():
        return "no Java runtime (17 or later) on this machine: the Spark engine needs one"
    return None


@pytest.fixture(scope="session")
def spark():
    """One local[2] Spark session for the whole test session (skipped only without Java or
    pyspark, with that reason)."""
    reason = spark_skip_reason()
    if reason:
        pytest.skip(reason)
    from ars_analysis.data.engines import spark_session

    session = spark_session(**SPARK_TEST_SETTINGS)
    yield session


@pytest.fixture(scope="session")
def spark_connect_url(tmp_path_factory):
    """A Spark Connect server (``local[2]``, 2 shuffle partitions) for the test session, as
    ``ars render`` starts for a batch; its URL (skipped only without Java or pyspark)."""
    reason = spark_skip_reason()
    if reason:
        pytest.skip(reason)
    from ars_analysis.data.engines import spark_settings
    from ars_analysis.data.spark_connect import ConnectServer

    settings = spark_settings(**SPARK_TEST_SETTINGS)
    log = tmp_path_factory.mktemp("spark_connect") / "spark_connect.log"
    with ConnectServer(settings["master"], settings["conf"], log) as server:
        yield server.url


@pytest.fixture
def spark_connect(spark_connect_url, monkeypatch):
    """Spark sessions of this test are Connect sessions on the test server (as in a report
    job's kernel); afterwards pyspark is back in classic mode for the other Spark tests."""
    from ars_analysis.data.spark_connect import REMOTE_ENV

    monkeypatch.setenv(REMOTE_ENV, spark_connect_url)
    yield spark_connect_url
    # a Connect session switches pyspark into Connect mode for the whole process
    os.environ.pop("SPARK_CONNECT_MODE_ENABLED", None)


@pytest.fixture(
    params=[
        "duckdb",
        pytest.param("spark", marks=pytest.mark.slow),
        pytest.param("spark-connect", marks=pytest.mark.slow),
    ]
)
def engine(request):
    """Each engine in turn: DuckDB, Spark through the shared classic session, Spark through a
    Spark Connect session (as report jobs use it)."""
    if request.param == "spark":
        request.getfixturevalue("spark")
    if request.param == "spark-connect":
        request.getfixturevalue("spark_connect")
        return "spark"
    return request.param


def pytest_collection_modifyitems(config, items):
    """Every test that uses the Spark session is slow (starting the JVM takes ~20 s, each Spark
    query seconds): it runs in ``make test``, not in the unit tier ``make test-fast``."""
    for item in items:
        if "spark" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
