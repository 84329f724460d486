"""The same aggregations on DuckDB and Spark (one Ibis expression each), and engine selection.

Keys, line counts, distinct counts and dates must be identical across engines; sums (float64)
agree to 1e-12 relative, since the engines add the lines in different orders (money stays
float64, as in the pandas baseline). Spark runs in one ``local[2]`` session for the whole test
session (``conftest.spark``); these tests skip only on a machine without Java or pyspark.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from test_aggregate import assert_same, joined, reference

from ars_analysis.compose.aggregate import (
    MEASURES,
    VISIT_MEASURES,
    SalesLines,
    sales_by,
    sales_tables,
    terminal_sales,
    visits_by,
)
from ars_analysis.data import engines
from ars_analysis.data.dataset import Dataset
from ars_analysis.data.synth import generate_dataset

pytestmark = pytest.mark.xdist_group("spark")

SUMS = ("quantity", "revenue", "cost", "gross_margin")


@pytest.fixture(scope="module")
def tables():
    t = generate_dataset(
        seed=5, n_customers=12, n_terminals=90, n_products=8, n_reps=16, months=5, visit_months=2
    )
    sales = t["sales"].copy()
    sales.loc[sales.index[::9], "rep_id"] = None  # falls back to the terminal's rep
    t["sales"] = sales
    return t


def assert_identical(a: pd.DataFrame, b: pd.DataFrame, measures=MEASURES) -> None:
    """Same columns, keys, counts and dates exactly; sums to 1e-12 relative."""
    assert list(a.columns) == list(b.columns)
    assert len(a) == len(b)
    for col in a.columns:
        if col in SUMS or col == "minutes":
            np.testing.assert_allclose(
                a[col].to_numpy(float), b[col].to_numpy(float), rtol=1e-12, atol=0, err_msg=col
            )
        else:
            assert (
                a[col].astype(object).where(a[col].notna(), None).tolist()
                == b[col].astype(object).where(b[col].notna(), None).tolist()
            ), col
            assert a[col].dtype == b[col].dtype, col


@pytest.mark.slow
@pytest.mark.parametrize(
    ("by", "freq"),
    [
        (["customer_id"], "M"),
        (["terminal_id"], None),
        (["rep_id"], "Q"),
        (["region", "category"], "Y"),
        ([], "M"),
    ],
)
def test_duckdb_and_spark_give_identical_results(spark, tables, by, freq):
    ds = Dataset(dict(tables))
    duck = sales_by(ds, by, freq=freq, engine="duckdb")
    sprk = sales_by(ds, by, freq=freq, engine="spark")
    assert len(duck) > 1 or not by
    assert_identical(duck, sprk)
    # and both match the independent pandas groupby
    assert_same(sprk, reference(joined(tables), by, freq))


@pytest.mark.slow
def test_spark_reads_csv_and_parquet_folders(spark, tables, tmp_path):
    sales = tables["sales"]
    sales.to_csv(tmp_path / "sales.csv", index=False)
    folder = tmp_path / "sales_parquet"
    folder.mkdir()
    half = len(sales) // 2
    sales.iloc[:half].to_parquet(folder / "part-0.parquet")
    sales.iloc[half:].to_parquet(folder / "part-1.parquet")
    want = sales_by(sales, ["customer_id"], freq="M", start="2024-02-01", engine="duckdb")
    for source in (tmp_path / "sales.csv", folder):
        got = sales_by(source, ["customer_id"], freq="M", start="2024-02-01", engine="spark")
        assert_identical(want, got)


@pytest.mark.slow
def test_spark_terminal_sales_and_held_lines(spark, tables):
    ds = Dataset(dict(tables))
    assert_identical(terminal_sales(ds, engine="duckdb"), terminal_sales(ds, engine="spark"))
    with SalesLines(ds, engine="spark") as held:
        assert len(held) == len(tables["sales"])
        assert_identical(
            sales_by(held, ["territory"]), sales_by(ds, ["territory"], engine="duckdb")
        )


def visits_reference(visits: pd.DataFrame, freq: str) -> pd.DataFrame:
    """visits_by with pandas (independent of the engines)."""
    v = visits.copy()
    when = v["planned_date"].dt.normalize().fillna(v["check_in"].dt.normalize())
    done = v["check_in"].notna()
    v["period"] = when.dt.strftime("%Y-%m")
    v["_when"] = when
    v["_planned"] = v["planned_date"].notna()
    v["_done"] = done
    minutes = (v["check_out"] - v["check_in"]).dt.total_seconds() / 60
    v["_minutes"] = minutes.where(done & (minutes > 0))
    v["_term"] = v["terminal_id"].where(done)
    v["_day"] = when.where(done)
    g = v.groupby(["rep_id", "period"], sort=True)
    out = pd.DataFrame(
        {
            "visits": g.size(),
            "planned": g["_planned"].sum(),
            "done": g["_done"].sum(),
            "unplanned": g.apply(lambda x: int((x["_done"] & ~x["_planned"]).sum())),
            "planned_done": g.apply(lambda x: int((x["_done"] & x["_planned"]).sum())),
            "terminals_visited": g["_term"].nunique(),
            "visit_days": g["_day"].nunique(),
            "minutes": g["_minutes"].sum(),
            "first_date": g["_when"].min(),
            "last_date": g["_when"].max(),
        }
    ).reset_index()
    return out[["rep_id", "period", *VISIT_MEASURES]]


def test_visits_by_matches_pandas(engine, tables):
    visits = tables["visits"]
    assert visits["check_in"].isna().any() and visits["planned_date"].isna().any()
    got = visits_by(Dataset(dict(tables)), ["rep_id"], freq="M", engine=engine)
    want = visits_reference(visits, "M")
    assert got[["rep_id", "period"]].values.tolist() == want[["rep_id", "period"]].values.tolist()
    for col in VISIT_MEASURES:
        if col == "minutes":
            np.testing.assert_allclose(got[col], want[col], rtol=1e-12)
        elif col.endswith("_date"):
            assert (got[col].to_numpy() == pd.to_datetime(want[col]).to_numpy()).all(), col
        else:
            assert got[col].tolist() == want[col].astype(int).tolist(), col


def test_engine_choice_argument_environment_configuration(monkeypatch):
    monkeypatch.delenv(engines.ENV, raising=False)
    assert engines.engine_name() == "duckdb"
    assert engines.engine_name(None, configured="spark") == "spark"
    monkeypatch.setenv(engines.ENV, "spark")
    assert engines.engine_name(None, configured="duckdb") == "spark"  # environment wins
    assert engines.engine_name("duckdb") == "duckdb"  # the argument wins over both
    monkeypatch.setenv(engines.ENV, "polars")
    with pytest.raises(ValueError, match="duckdb, spark.*polars"):
        engines.engine_name()


def test_missing_pyspark_says_what_to_install(monkeypatch):
    monkeypatch.setattr(engines, "spark_available", lambda: False)
    with pytest.raises(engines.EngineUnavailable, match=r'pip install "ars-analysis\[spark\]"'):
        engines.connect("spark")
    with pytest.raises(engines.EngineUnavailable, match="pyspark"):
        sales_by(pd.DataFrame({"customer_id": ["C1"]}), engine="spark")


def test_missing_java_says_so(monkeypatch):
    monkeypatch.setattr(engines, "spark_available", lambda: True)
    monkeypatch.setattr(engines, "java_available", lambda: False)
    monkeypatch.delenv("SPARK_REMOTE", raising=False)
    with pytest.raises(engines.EngineUnavailable, match="Java"):
        engines.spark_session()


def test_batch_engine_from_client_configuration(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from ars_analysis.reports.runner import _engine_env

    monkeypatch.delenv(engines.ENV, raising=False)
    monkeypatch.delenv(engines.SPARK_MASTER_ENV, raising=False)
    monkeypatch.setattr(engines, "check_available", lambda name, **kw: None)
    client = tmp_path / "client.yml"
    client.write_text(
        "engine: spark\nspark: {master: 'local[1]', conf: {spark.sql.shuffle.partitions: 3}}\n",
        encoding="utf-8",
    )
    cfg = SimpleNamespace(client_config=client)
    env = _engine_env(cfg, None)
    assert env[engines.ENV] == "spark"
    assert env[engines.SPARK_MASTER_ENV] == "local[1]"
    assert '"spark.sql.shuffle.partitions": 3' in env[engines.SPARK_CONF_ENV]
    assert _engine_env(cfg, "duckdb") == {engines.ENV: "duckdb"}  # --engine wins
    monkeypatch.setenv(engines.ENV, "duckdb")
    assert _engine_env(cfg, None) == {engines.ENV: "duckdb"}  # then the environment


@pytest.mark.slow
def test_sales_tables_identical_on_duckdb_and_spark(spark, tables):
    """DuckDB rolls quarters and totals up from months; Spark counts each table directly."""
    ds = Dataset(dict(tables))
    specs = {
        "m": (["customer_id"], "M"),
        "q": (["customer_id"], "Q"),
        "all": ["customer_id"],
        "region": (["region"], "Y"),
    }
    duck = sales_tables(ds, specs, engine="duckdb")
    sprk = sales_tables(ds, specs, engine="spark")
    for name in specs:
        assert len(duck[name]) > 1
        assert_identical(duck[name], sprk[name])
