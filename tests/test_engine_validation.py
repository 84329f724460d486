"""Validation of the large tables in the engine (DuckDB and Spark) against the pandas loader.

The pandas loader (every line read, row numbers) is the reference: on the same files the
engine must find the same problems with the same counts, show the first offending lines by
content, and never hold the lines in pandas.
"""

from __future__ import annotations

import pickle
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ars_analysis import load_dataset
from ars_analysis.compose.aggregate import sales_by, visits_by
from ars_analysis.data import snapshot
from ars_analysis.data.engine_validation import EngineTable

pytestmark = pytest.mark.xdist_group("spark")

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
LARGE = ("sales", "visits")


def _counts(quality: pd.DataFrame) -> list[tuple]:
    q = quality[quality["table"].isin(LARGE)]
    return sorted((r.severity, r.table, r.column, r.check, int(r.n_rows)) for r in q.itertuples())


@pytest.fixture(scope="module")
def broken(tmp_path_factory) -> Path:
    """A copy of the sample with one problem of each kind in the sales and visit lines."""
    folder = tmp_path_factory.mktemp("broken")
    for f in SAMPLE.glob("*.csv"):
        shutil.copy(f, folder / f.name)
    sales = pd.read_csv(folder / "sales.csv", dtype=str, keep_default_na=False)
    sales.loc[3, "date"] = "2024-13-45"  # not a date
    sales.loc[5, "quantity"] = "twelve"  # not a number
    sales.loc[7, "customer_id"] = ""  # required value empty
    sales.loc[[11, 12], "customer_id"] = "C9999"  # not in customers (fatal)
    sales.loc[13, "terminal_id"] = "T_UNKNOWN"  # not in terminals (warning)
    sales.loc[17, ["quantity", "revenue"]] = ["-3", "25.5"]  # mixed signs
    sales.to_csv(folder / "sales.csv", index=False)
    visits = pd.read_csv(folder / "visits.csv", dtype=str, keep_default_na=False)
    visits.loc[4, "visit_id"] = visits.loc[3, "visit_id"]  # duplicate key
    visits.loc[6, "rep_id"] = "R_GHOST"  # not in reps
    visits.to_csv(folder / "visits.csv", index=False)
    return folder


@pytest.mark.slow
def test_sample_validates_the_same_in_the_engine(engine):
    pandas_ds = load_dataset(SAMPLE)
    engine_ds = load_dataset(SAMPLE, engine=engine)
    assert isinstance(engine_ds.tables["sales"], EngineTable)
    assert isinstance(engine_ds.tables["visits"], EngineTable)
    assert _counts(engine_ds.quality) == _counts(pandas_ds.quality)
    # the small tables are the same pandas frames
    pd.testing.assert_frame_equal(engine_ds.customers, pandas_ds.customers)
    assert engine_ds.tables["sales"].count(engine) == len(pandas_ds.sales)
    assert engine_ds.period == pandas_ds.period


@pytest.mark.slow
def test_broken_lines_found_with_the_same_counts(engine, broken):
    pandas_q = load_dataset(broken, strict=False).quality
    engine_q = load_dataset(broken, strict=False, engine=engine).quality
    want = _counts(pandas_q)
    checks = {c[3] for c in want}
    assert {
        "not_a_date",
        "not_a_number",
        "empty_value",
        "unknown_reference",
        "mixed_sign",
        "duplicate_key",
    } <= checks
    assert _counts(engine_q) == want
    # the first offending lines are shown by content (an engine has no row numbers)
    bad_date = engine_q[engine_q["check"] == "not_a_date"].iloc[0]
    assert "2024-13-45" in bad_date["problem"] and bad_date["rows"] == ""
    orphan = engine_q[(engine_q["check"] == "unknown_reference") & (engine_q["table"] == "sales")]
    assert orphan.set_index("column").loc["customer_id", "severity"] == "fatal"
    assert "C9999" in orphan.set_index("column").loc["customer_id", "problem"]
    dup = engine_q[engine_q["check"] == "duplicate_key"].iloc[0]
    assert dup["n_rows"] == 2


@pytest.mark.slow
def test_period_drops_lines_in_the_engine(engine):
    period = ("2024-03-01", "2024-06-30")
    pandas_ds = load_dataset(SAMPLE, period=period)
    engine_ds = load_dataset(SAMPLE, period=period, engine=engine)
    assert _counts(engine_ds.quality) == _counts(pandas_ds.quality)
    got = sales_by(engine_ds, ["region"], freq="M", engine=engine)
    want = sales_by(pandas_ds, ["region"], freq="M", engine="duckdb")
    assert got[["region", "period", "lines", "n_terminals"]].equals(
        want[["region", "period", "lines", "n_terminals"]]
    )
    pd.testing.assert_series_equal(got["revenue"], want["revenue"], rtol=1e-12)


@pytest.mark.slow
def test_aggregations_read_the_engine_table():
    pandas_ds = load_dataset(SAMPLE)
    engine_ds = load_dataset(SAMPLE, engine="duckdb")
    for by, freq in ((["customer_id"], "Q"), (["rep_id"], "M"), (["category"], None)):
        pd.testing.assert_frame_equal(
            sales_by(engine_ds, by, freq=freq), sales_by(pandas_ds, by, freq=freq), rtol=1e-12
        )
    pd.testing.assert_frame_equal(
        visits_by(engine_ds, ["rep_id"], freq="M"), visits_by(pandas_ds, ["rep_id"], freq="M")
    )
    from ars_analysis.data.dataset import subset  # the lines stay in the engine (issue 14)

    east = subset(engine_ds, region="华东")
    assert east.sales.count() == len(subset(pandas_ds, region="华东").sales) > 0


@pytest.mark.slow
def test_snapshot_keeps_the_description_not_the_lines(tmp_path):
    with snapshot.using(tmp_path):
        first = load_dataset(SAMPLE, engine="duckdb")
        again = load_dataset(SAMPLE, engine="duckdb")  # read from the snapshot
        (engine_pickle,) = tmp_path.glob("*/dataset.pkl")
        engine_size = engine_pickle.stat().st_size
        stored = pickle.loads(engine_pickle.read_bytes())
        plain = load_dataset(SAMPLE)  # another key (a batch keeps one snapshot per folder)
        (plain_pickle,) = tmp_path.glob("*/dataset.pkl")
    assert plain_pickle.parent.name != engine_pickle.parent.name
    assert isinstance(stored.tables["sales"], EngineTable)  # the path, not the lines
    assert again.tables["sales"] == first.tables["sales"]
    assert isinstance(plain.tables["sales"], pd.DataFrame)
    assert engine_size < 0.5 * plain_pickle.stat().st_size


@pytest.mark.slow
def test_a_gbk_csv_is_read_into_pandas_with_a_warning(tmp_path):
    for f in SAMPLE.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    visits = pd.read_csv(tmp_path / "visits.csv", dtype=str)
    visits.loc[0, "activities"] = "陈列"
    visits.to_csv(tmp_path / "visits.csv", index=False, encoding="gbk")
    ds = load_dataset(tmp_path, engine="duckdb", strict=False)
    assert isinstance(ds.tables["visits"], pd.DataFrame)
    assert isinstance(ds.tables["sales"], EngineTable)
    row = ds.quality[ds.quality["check"] == "read_into_pandas"].iloc[0]
    assert row["table"] == "visits" and "UTF-8" in row["problem"]


@pytest.mark.slow
def test_cli_validate_with_an_engine(broken, capsys):
    from ars_analysis.cli import main

    code = main(["validate", str(broken), "--engine", "duckdb"])
    out = capsys.readouterr().out
    assert code == 1
    n_lines = sum(1 for _ in (broken / "sales.csv").open(encoding="utf-8")) - 1
    assert f"sales {n_lines:,} (in duckdb)" in out
    assert "2024-13-45" in out and "C9999" in out
