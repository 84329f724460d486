"""Tests of ars_analysis.compose.aggregate against an independent plain-pandas groupby."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ars_analysis.compose.aggregate import (
    MEASURES,
    SalesLines,
    customer_sales,
    period_sales,
    rep_sales,
    sales_by,
    sales_tables,
    terminal_sales,
)
from ars_analysis.data.dataset import Dataset
from ars_analysis.data.synth import generate_dataset, write_dataset


@pytest.fixture(scope="module")
def tables():
    t = generate_dataset(
        seed=21,
        n_customers=30,
        n_terminals=400,
        n_products=15,
        n_reps=24,
        months=14,
        visit_months=1,
    )
    sales = t["sales"].copy()
    # some lines without a rep: they fall back to the terminal's rep
    sales.loc[sales.index[::7], "rep_id"] = None
    t["sales"] = sales
    return t


@pytest.fixture(scope="module")
def dataset(tables):
    return Dataset(tables=dict(tables))


def _period(dates: pd.Series, freq: str) -> pd.Series:
    if freq == "M":
        return dates.dt.strftime("%Y-%m")
    if freq == "Q":
        return dates.dt.year.astype(str) + "Q" + dates.dt.quarter.astype(str)
    return dates.dt.year.astype(str)


def reference(sales: pd.DataFrame, by: list[str], freq=None, start=None, end=None) -> pd.DataFrame:
    """Plain pandas version of sales_by (independent of DuckDB)."""
    s = sales.copy()
    if start is not None:
        s = s[s["date"] >= pd.Timestamp(start)]
    if end is not None:
        s = s[s["date"] <= pd.Timestamp(end)]
    keys = list(by)
    if freq:
        s["period"] = _period(s["date"], freq)
        keys.append("period")
    s["_one"] = 1
    g = s.groupby(keys, dropna=False, sort=True) if keys else s.groupby(lambda _: 0)
    out = pd.DataFrame(
        {
            "quantity": g["quantity"].sum().astype(float),
            "revenue": g["revenue"].sum().astype(float),
            "cost": g["cost"].sum().astype(float),
            "lines": g["_one"].sum(),
            "order_days": g["date"].nunique(),
            "n_products": g["product_id"].nunique(),
            "n_terminals": g["terminal_id"].nunique(),
            "first_date": g["date"].min(),
            "last_date": g["date"].max(),
        }
    )
    out["gross_margin"] = out["revenue"] - out["cost"]
    out = out.reset_index(drop=not keys)
    return out[[*keys, *MEASURES]]


def joined(tables) -> pd.DataFrame:
    """Sales lines with the attributes sales_by can join, built with pandas merges."""
    t = tables["terminals"][["terminal_id", "region", "terminal_type", "rep_id"]].rename(
        columns={"region": "terminal_region", "rep_id": "terminal_rep"}
    )
    c = tables["customers"][["customer_id", "region", "territory"]].rename(
        columns={"region": "customer_region"}
    )
    p = tables["products"][["product_id", "category"]]
    s = (
        tables["sales"]
        .merge(t, on="terminal_id", how="left")
        .merge(c, on="customer_id", how="left")
    )
    s = s.merge(p, on="product_id", how="left")
    s["region"] = s["terminal_region"].fillna(s["customer_region"])
    s["rep_id"] = s["rep_id"].fillna(s["terminal_rep"])
    return s


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(want.columns)
    assert len(got) == len(want)
    keys = [c for c in got.columns if c not in MEASURES]
    if keys:
        got = got.sort_values(keys).reset_index(drop=True)
        want = want.sort_values(keys).reset_index(drop=True)
        for k in keys:
            assert (
                got[k].astype(object).where(got[k].notna(), None).tolist()
                == want[k].astype(object).where(want[k].notna(), None).tolist()
            ), k
    for col in ("quantity", "revenue", "cost", "gross_margin"):
        np.testing.assert_allclose(
            got[col].to_numpy(float), want[col].to_numpy(float), rtol=1e-9, atol=1e-6, err_msg=col
        )
    for col in ("lines", "order_days", "n_products", "n_terminals"):
        assert (got[col].to_numpy() == want[col].to_numpy()).all(), col
    for col in ("first_date", "last_date"):
        assert (
            pd.to_datetime(got[col]).to_numpy() == pd.to_datetime(want[col]).to_numpy()
        ).all(), col


@pytest.mark.parametrize("freq", [None, "M", "Q", "Y"])
@pytest.mark.parametrize(
    "by", [["customer_id"], ["customer_id", "product_id"], ["terminal_id"], []]
)
def test_sales_by_matches_pandas_on_dataframe(tables, by, freq):
    sales = tables["sales"]
    assert_same(sales_by(sales, by, freq=freq), reference(sales, by, freq))


@pytest.mark.parametrize(
    ("start", "end"), [("2024-03-01", None), (None, "2024-06-30"), ("2024-02-15", "2024-11-10")]
)
def test_start_end_filters(tables, start, end):
    sales = tables["sales"]
    got = sales_by(sales, ["customer_id"], freq="M", start=start, end=end)
    assert_same(got, reference(sales, ["customer_id"], "M", start, end))
    if start:
        assert got["first_date"].min() >= pd.Timestamp(start)
    if end:
        assert got["last_date"].max() <= pd.Timestamp(end)


@pytest.mark.parametrize(
    "by",
    [
        ["region"],
        ["customer_region", "territory"],
        ["terminal_region"],
        ["terminal_type"],
        ["category"],
        ["rep_id"],
        ["region", "category"],
    ],
)
def test_dataset_source_with_joined_columns(tables, dataset, by):
    assert_same(sales_by(dataset, by, freq="Q"), reference(joined(tables), by, "Q"))


def test_rep_falls_back_to_terminal_rep(tables, dataset):
    missing = tables["sales"]["rep_id"].isna()
    assert missing.any() and tables["sales"].loc[missing, "terminal_id"].notna().any()
    got = rep_sales(dataset, freq="M")
    assert_same(got, reference(joined(tables), ["rep_id"], "M"))
    # bare sales lines cannot fall back: the lines without a rep form their own group
    bare = sales_by(tables["sales"], ["rep_id"])
    assert bare["rep_id"].isna().sum() == 1
    assert bare.loc[bare["rep_id"].isna(), "lines"].item() == missing.sum()


def test_convenience_functions(tables, dataset):
    sales = tables["sales"]
    assert_same(customer_sales(dataset), reference(sales, ["customer_id"]))
    want = reference(sales, ["terminal_id"], "Y")
    assert_same(terminal_sales(sales, freq="Y"), want[want["terminal_id"].notna()])
    assert_same(period_sales(sales, freq="Q"), reference(sales, [], "Q"))
    total = period_sales(sales, freq="Y")["revenue"].sum()
    assert total == pytest.approx(sales["revenue"].sum())


def test_csv_and_parquet_path_sources(tables, tmp_path):
    sales = tables["sales"]
    write_dataset({"sales": sales}, tmp_path / "csv")
    want = reference(sales, ["customer_id", "terminal_id"], "M")
    assert_same(
        sales_by(tmp_path / "csv" / "sales.csv", ["customer_id", "terminal_id"], freq="M"), want
    )
    assert_same(sales_by(tmp_path / "csv", ["customer_id", "terminal_id"], freq="M"), want)
    # split over several Parquet files, read through a glob
    (tmp_path / "pq").mkdir()
    half = len(sales) // 2
    sales.iloc[:half].to_parquet(tmp_path / "pq" / "sales_1.parquet")
    sales.iloc[half:].to_parquet(tmp_path / "pq" / "sales_2.parquet")
    assert_same(
        sales_by(
            str(tmp_path / "pq" / "sales_*.parquet"), ["customer_id", "terminal_id"], freq="M"
        ),
        want,
    )


def test_no_cost_column_gives_nan_cost(tables):
    sales = tables["sales"].drop(columns="cost")
    got = sales_by(sales, ["customer_id"])
    assert got["cost"].isna().all() and got["gross_margin"].isna().all()
    assert got["revenue"].sum() == pytest.approx(tables["sales"]["revenue"].sum())


def test_empty_result_keeps_columns(tables):
    got = sales_by(tables["sales"], ["customer_id"], freq="M", start="2030-01-01")
    assert got.empty
    assert list(got.columns) == ["customer_id", "period", *MEASURES]


def test_input_not_mutated(tables):
    sales = tables["sales"]
    before = sales.copy()
    sales_by(sales, ["customer_id"], freq="M")
    pd.testing.assert_frame_equal(sales, before)


def test_bad_arguments(tables):
    with pytest.raises(ValueError, match="no such column"):
        sales_by(tables["sales"], ["colour"])
    with pytest.raises(ValueError, match="Dataset"):
        sales_by(tables["sales"], ["region"])
    with pytest.raises(ValueError, match="freq"):
        sales_by(tables["sales"], ["customer_id"], freq="W")
    with pytest.raises(FileNotFoundError):
        sales_by("/nonexistent/folder/sales_*.csv")


def test_sales_lines_parse_once_and_serve_many_aggregations(tables, dataset, tmp_path):
    sales = tables["sales"]
    write_dataset({"sales": sales}, tmp_path / "csv")
    with SalesLines(tmp_path / "csv" / "sales.csv") as held:
        assert len(held) == len(sales)
        assert_same(sales_by(held, ["customer_id"]), reference(sales, ["customer_id"]))
        assert_same(
            sales_by(held, ["customer_id"], freq="M", start="2024-03-01"),
            reference(sales, ["customer_id"], "M", start="2024-03-01"),
        )
    # a held Dataset keeps its dimension tables for joined groupings
    with SalesLines(dataset) as held:
        assert_same(
            sales_by(held, ["region", "category"]), sales_by(dataset, ["region", "category"])
        )
    with pytest.raises(FileNotFoundError):
        SalesLines(tmp_path / "nothing_here_*.csv")


@pytest.mark.slow
def test_unknown_terminal_ids_do_not_become_phantom_terminals(tmp_path):
    # A client export whose sales name terminals missing from the master (typos, closed shops):
    # validation warns, and the terminal analyses see only master terminals.
    import shutil

    from ars_analysis import load_dataset
    from ars_analysis.compose.aggregate import terminal_sales

    src = Path(__file__).resolve().parents[1] / "data" / "sample"
    for f in src.glob("*.csv"):
        shutil.copy(f, tmp_path / f.name)
    sales = pd.read_csv(tmp_path / "sales.csv", dtype=str)
    n_master = pd.read_csv(tmp_path / "terminals.csv", dtype=str)["terminal_id"].nunique()
    sales.loc[sales.index[:500], "terminal_id"] = [f"X{i:05d}" for i in range(500)]
    sales.to_csv(tmp_path / "sales.csv", index=False)
    ds = load_dataset(tmp_path)
    q = ds.quality
    assert ((q["check"] == "unknown_reference") & (q["column"] == "terminal_id")).any()
    per_terminal = terminal_sales(ds)
    assert not per_terminal["terminal_id"].str.startswith("X").any()
    assert per_terminal["terminal_id"].nunique() <= n_master


def test_grouping_by_day_keeps_dates():
    """Grouping by ``date`` returns dates (the health measures subtract them), not text."""
    from ars_analysis.compose import sales_by

    lines = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-01-05", "2025-01-05", "2025-01-09"]),
            "customer_id": ["C1", "C1", "C1"],
            "terminal_id": ["T1", "T2", "T1"],
            "product_id": ["P1", "P1", "P2"],
            "quantity": [1.0, 2.0, 3.0],
            "revenue": [10.0, 20.0, 30.0],
        }
    )
    out = sales_by(lines, ["customer_id", "date"])
    assert str(out["date"].dtype) == "datetime64[ns]"
    assert (out["date"].diff().dt.days.iloc[1], out["revenue"].tolist()) == (4, [30.0, 30.0])


ROLLUP = {
    "customer": ["customer_id"],
    "customer_month": (["customer_id"], "M"),
    "customer_quarter": {"by": ["customer_id"], "freq": "Q"},
    "customer_year": (["customer_id"], "Y"),
    "terminal_month": (["terminal_id"], "M"),
    "terminal": ["terminal_id"],
    "total_quarter": ([], "Q"),
    "total": [],
}


def test_sales_tables_rolled_up_match_pandas(tables):
    """Quarters, years and totals are rolled up from the month tables (order days added,
    distinct products/terminals re-counted): each must equal an independent pandas groupby,
    including the NULL terminal group of sell-in lines."""
    sales = tables["sales"].copy()
    sales.loc[sales.index[::5], "terminal_id"] = None
    out = sales_tables(sales, ROLLUP)
    assert set(out) == set(ROLLUP)
    for name, spec in ROLLUP.items():
        if isinstance(spec, dict):
            by, freq = spec["by"], spec["freq"]
        elif isinstance(spec, tuple):
            by, freq = spec
        else:
            by, freq = spec, None
        assert_same(out[name], reference(sales, by, freq))
        assert_same(out[name], sales_by(sales, by, freq=freq))
    assert out["terminal"]["terminal_id"].isna().sum() == 1


def test_sales_tables_from_files_with_filters(tables, tmp_path):
    """A CSV is parsed once and held; Parquet is scanned; both with start/end filters."""
    sales = tables["sales"]
    csv, pq = tmp_path / "sales.csv", tmp_path / "sales.parquet"
    sales.to_csv(csv, index=False)
    sales.to_parquet(pq, index=False)
    specs = {"c": ["customer_id"], "cm": (["customer_id"], "M"), "py": (["product_id"], "Y")}
    for path in (csv, pq):
        out = sales_tables(path, specs, start="2024-02-10", end="2024-09-30")
        for name, by, freq in (
            ("c", ["customer_id"], None),
            ("cm", ["customer_id"], "M"),
            ("py", ["product_id"], "Y"),
        ):
            want = reference(sales, by, freq, start="2024-02-10", end="2024-09-30")
            assert_same(out[name], want)


def test_sales_tables_bad_spec(tables):
    with pytest.raises(ValueError, match="freq"):
        sales_tables(tables["sales"], {"x": (["customer_id"], "W")})
    with pytest.raises(ValueError, match="unknown keys"):
        sales_tables(tables["sales"], {"x": {"by": ["customer_id"], "period": "M"}})


@pytest.mark.parametrize("hold", ["memory", "disk"])
def test_csv_held_in_memory_or_on_disk_gives_the_same_tables(tables, tmp_path, monkeypatch, hold):
    """Lines parsed from a CSV are held in memory or in a temporary DuckDB file (for lines
    larger than memory); both give the pandas tables, and the file is gone afterwards."""
    import tempfile

    monkeypatch.setenv("ARS_DUCKDB_HOLD", hold)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    sales = tables["sales"]
    csv = tmp_path / "sales.csv"
    sales.to_csv(csv, index=False)
    out = sales_tables(csv, {"c": ["customer_id"], "tm": (["terminal_id"], "M")})
    assert_same(out["c"], reference(sales, ["customer_id"]))
    assert_same(out["tm"], reference(sales, ["terminal_id"], "M"))
    with SalesLines(csv) as held:
        assert len(held) == len(sales)
        assert_same(sales_by(held, ["product_id"], freq="Q"), reference(sales, ["product_id"], "Q"))
    left = list((tmp_path / "tmp").rglob("*.duckdb*"))
    assert left == [], left


def test_hold_choice_follows_size_and_environment(monkeypatch):
    from ars_analysis.data.engines import hold_in_memory

    monkeypatch.delenv("ARS_DUCKDB_HOLD", raising=False)
    monkeypatch.setenv("ARS_DUCKDB_MEMORY_LIMIT", "1GB")
    assert hold_in_memory(30)  # 30 bytes << 1 GB / 4
    assert hold_in_memory(None)  # a frame: already in memory
    assert not hold_in_memory(300 * 2**20)  # 300 MB of files > 1 GB / 4
    monkeypatch.setenv("ARS_DUCKDB_HOLD", "memory")
    assert hold_in_memory(300 * 2**20)
    monkeypatch.setenv("ARS_DUCKDB_HOLD", "disk")
    assert not hold_in_memory(30)
    monkeypatch.setenv("ARS_DUCKDB_HOLD", "ram")
    with pytest.raises(ValueError, match="memory, disk or auto"):
        hold_in_memory(30)
