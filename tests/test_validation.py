"""Validation: every kind of bad input is reported with its file, column and rows."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pytest

from ars_analysis import load_dataset
from ars_analysis.data.contract import TABLES
from ars_analysis.data.dataset import QUALITY_COLUMNS
from ars_analysis.data.quality import normalise_codes
from ars_analysis.data.validation import (
    DataValidationError,
    format_quality,
    schema_for,
    validate,
)

try:  # tests/ is a rootdir folder (no __init__.py) or a package
    from _fixtures_loading import base_tables, quality_row, with_people, write_folder
except ImportError:  # pragma: no cover
    from tests._fixtures_loading import base_tables, quality_row, with_people, write_folder


def load_bad(tmp_path, tables, **kw):
    return load_dataset(write_folder(tmp_path / "client", tables), strict=False, **kw)


def test_valid_dataset_has_no_quality_rows(tmp_path):
    ds = load_bad(tmp_path, with_people(base_tables()))
    assert list(ds.quality.columns) == QUALITY_COLUMNS
    assert ds.quality.empty, ds.quality.to_string()


def test_missing_required_table_and_column_are_fatal(tmp_path):
    t = base_tables()
    del t["products"]
    t["customers"] = t["customers"].drop(columns="region")
    ds = load_bad(tmp_path, t)
    row = quality_row(ds.quality, "missing_table", table="products")
    assert row["severity"] == "fatal"
    row = quality_row(ds.quality, "missing_column", table="customers")
    assert (row["severity"], row["column"], row["file"]) == ("fatal", "region", "customers.csv")
    with pytest.raises(DataValidationError) as err:
        load_dataset(tmp_path / "client")
    assert isinstance(err.value, ValueError)
    assert "customers.csv" in str(err.value) and "region" in str(err.value)
    assert "products" in str(err.value)
    assert set(err.value.quality["check"]) >= {"missing_table", "missing_column"}


def test_unparseable_dates_and_numbers_name_rows_and_values(tmp_path):
    t = base_tables()
    t["sales"].loc[1, "date"] = "2025-13-45"
    t["sales"].loc[3, "date"] = "not a date"
    t["sales"].loc[4, "revenue"] = "12,5x"
    ds = load_bad(tmp_path, t)
    row = quality_row(ds.quality, "not_a_date")
    assert (row["severity"], row["file"], row["column"]) == ("fatal", "sales.csv", "date")
    assert row["n_rows"] == 2 and row["rows"] == "3, 5"  # header = row 1, line index 1 -> row 3
    assert "'2025-13-45'" in row["problem"] and "'not a date'" in row["problem"]
    row = quality_row(ds.quality, "not_a_number")
    assert (row["column"], row["rows"], row["n_rows"]) == ("revenue", "6", 1)
    assert "12,5x" in row["problem"]


def test_returns_allowed_and_mixed_signs_fatal(tmp_path):
    t = base_tables()
    t["sales"].loc[1, ["quantity", "revenue"]] = [-5, -40.0]  # return
    t["sales"].loc[2, ["quantity", "revenue"]] = [0, -3.0]  # price credit: return
    t["sales"].loc[4, ["quantity", "revenue"]] = [-1, 10.0]  # mixed
    ds = load_bad(tmp_path, t)
    ret = quality_row(ds.quality, "returns")
    assert (ret["severity"], ret["n_rows"], ret["rows"]) == ("warning", 2, "3, 4")
    assert "-43.00" in ret["problem"]
    mixed = quality_row(ds.quality, "mixed_sign")
    assert (mixed["severity"], mixed["rows"], mixed["n_rows"]) == ("fatal", "6", 1)
    assert ds.sales["revenue"].sum() == pytest.approx(100 - 40 - 3 + 16 + 10)


def test_duplicate_keys_fatal(tmp_path):
    t = base_tables()
    t["customers"] = pd.concat([t["customers"], t["customers"].iloc[[0]]], ignore_index=True)
    ds = load_bad(tmp_path, t)
    row = quality_row(ds.quality, "duplicate_key", table="customers")
    assert (row["severity"], row["column"], row["rows"], row["n_rows"]) == (
        "fatal",
        "customer_id",
        "2, 5",
        2,
    )
    assert "001" in row["problem"]


def test_foreign_keys_customer_product_fatal_terminal_warning(tmp_path):
    t = base_tables()
    t["sales"].loc[0, "customer_id"] = "999"
    t["sales"].loc[2, "product_id"] = "P9"
    t["sales"].loc[4, "terminal_id"] = "T9"
    ds = load_bad(tmp_path, t)
    q = ds.quality
    cust = quality_row(q, "unknown_reference", column="customer_id", table="sales")
    assert (cust["severity"], cust["rows"]) == ("fatal", "2")
    assert "'999'" in cust["problem"]
    prod = quality_row(q, "unknown_reference", column="product_id")
    assert (prod["severity"], prod["rows"]) == ("fatal", "4")
    term = quality_row(q, "unknown_reference", column="terminal_id", table="sales")
    assert (term["severity"], term["rows"]) == ("warning", "6")


def test_empty_required_values_fatal(tmp_path):
    t = base_tables()
    t["sales"].loc[2, "customer_id"] = ""
    t["products"].loc[1, "product_id"] = "  "
    ds = load_bad(tmp_path, t)
    row = quality_row(ds.quality, "empty_value", table="sales")
    assert (row["severity"], row["column"], row["rows"]) == ("fatal", "customer_id", "4")
    row = quality_row(ds.quality, "empty_value", table="products")
    assert (row["column"], row["rows"]) == ("product_id", "3")


def test_below_minimum_fatal(tmp_path):
    t = base_tables()
    t["products"].loc[0, "list_price"] = -1
    ds = load_bad(tmp_path, t)
    row = quality_row(ds.quality, "below_minimum")
    assert (row["severity"], row["table"], row["column"], row["rows"]) == (
        "fatal",
        "products",
        "list_price",
        "2",
    )


def test_period_drops_and_reports(tmp_path):
    ds = load_bad(tmp_path, base_tables(), period=("2025-01-06", "2025-03-10"))
    row = quality_row(ds.quality, "outside_period")
    assert (row["severity"], row["n_rows"], row["rows"]) == ("warning", 2, "2, 6")
    assert len(ds.sales) == 3
    assert ds.sales["date"].min() == pd.Timestamp("2025-01-06")
    assert ds.sales["date"].max() == pd.Timestamp("2025-03-10")  # end day included


def test_visit_checks_are_warnings(tmp_path):
    t = with_people(base_tables())
    v = t["visits"]
    v.loc[1, "check_in"] = "2025-01-05 09:10"  # R1: starts before V1 (09:00-09:30) ended
    v.loc[2, "check_out"] = "2025-01-05 08:00"  # R2: ends before it starts
    extra = pd.DataFrame(
        {
            "visit_id": ["V4"],
            "rep_id": ["R9"],
            "terminal_id": ["T8"],
            "check_in": ["2025-01-06 09:00"],
            "check_out": ["2025-01-06 09:30"],
            "activities": ["order"],
        }
    )
    t["visits"] = pd.concat([v, extra], ignore_index=True)
    ds = load_bad(tmp_path, t)
    q = ds.quality
    assert (q["severity"] == "warning").all(), q.to_string()
    assert quality_row(q, "overlapping_visits")["rows"] == "3"
    assert quality_row(q, "checkout_before_checkin")["rows"] == "4"
    assert quality_row(q, "unknown_reference", table="visits", column="rep_id")["rows"] == "5"
    assert quality_row(q, "unknown_reference", table="visits", column="terminal_id")["rows"] == "5"


def test_chinese_codes_mapped_and_unknown_codes_warned(tmp_path):
    t = with_people(base_tables())
    t["terminals"]["terminal_type"] = ["大卖场", "便利店", "路边摊"]
    t["reps"]["role"] = ["业务经理", "导购员"]
    t["visits"]["activities"] = ["下单、陈列", "查库存;跳舞", "收款"]
    ds = load_bad(tmp_path, t)
    assert ds.terminals["terminal_type"].tolist()[:2] == ["hypermarket", "convenience"]
    assert ds.reps["role"].tolist() == ["business_manager", "promoter"]
    assert ds.visits["activities"].tolist() == ["order;display", "stock_check;跳舞", "collection"]
    row = quality_row(ds.quality, "unknown_code", column="terminal_type")
    assert (row["severity"], row["rows"]) == ("warning", "4") and "路边摊" in row["problem"]
    row = quality_row(ds.quality, "unknown_code", column="activities")
    assert row["rows"] == "3" and "跳舞" in row["problem"]


def test_all_problems_reported_at_once(tmp_path):
    t = base_tables()
    t["sales"].loc[0, "date"] = "bad"
    t["sales"].loc[1, "quantity"] = "x"
    t["sales"].loc[2, "customer_id"] = "999"
    t["products"] = pd.concat([t["products"], t["products"]], ignore_index=True)
    with pytest.raises(DataValidationError) as err:
        load_dataset(write_folder(tmp_path / "c", t))
    checks = set(err.value.quality["check"])
    assert {"not_a_date", "not_a_number", "unknown_reference", "duplicate_key"} <= checks
    message = str(err.value)
    assert "4 fatal data problem(s)" in message
    assert "sales.csv [sales] column date" in message and "rows 2" in message


def test_schema_built_from_contract():
    for name, table in TABLES.items():
        schema = schema_for(name)
        assert isinstance(schema, pa.DataFrameSchema)
        assert list(schema.columns) == table.column_names
        for c in table.columns:
            col = schema.columns[c.name]
            assert col.nullable == c.nullable
            assert bool(col.checks) == (c.min_value is not None)


def test_validate_does_not_mutate_and_formats():
    t = {k: v.copy() for k, v in base_tables().items()}
    for k in t:
        t[k].index = t[k].index + 2
    t["sales"]["date"] = pd.to_datetime(t["sales"]["date"])
    t["sales"]["terminal_id"] = t["sales"]["terminal_id"].replace("", np.nan)
    before = t["sales"].copy()
    out, quality = validate(t, {"sales": "s.csv"}, period=("2025-02-01", None))
    pd.testing.assert_frame_equal(t["sales"], before)
    assert len(out["sales"]) == 3
    text = format_quality(quality)
    assert "WARNING s.csv [sales] column date" in text and "rows 2, 3" in text


def test_normalise_codes_keeps_unknown():
    s = pd.Series(["超市", "Weird", None])
    assert normalise_codes(s, "terminal_type").tolist()[:2] == ["supermarket", "Weird"]
    assert normalise_codes(s, "region").equals(s)


@pytest.mark.slow
def test_one_million_lines_validate_fast():
    n = 1_000_000
    rng = np.random.default_rng(1)
    customers = pd.DataFrame(
        {"customer_id": [f"C{i}" for i in range(500)], "customer_name": "x", "region": "r"}
    )
    products = pd.DataFrame({"product_id": [f"P{i}" for i in range(300)], "product_name": "x"})
    terminals = pd.DataFrame(
        {"terminal_id": [f"T{i}" for i in range(20000)], "terminal_name": "x", "region": "r"}
    )
    q = rng.integers(-2, 50, n).astype(float)
    sales = pd.DataFrame(
        {
            "date": pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 730, n), "D"),
            "customer_id": pd.Series(customers["customer_id"].to_numpy()[rng.integers(0, 500, n)]),
            "terminal_id": pd.Series(
                terminals["terminal_id"].to_numpy()[rng.integers(0, 20000, n)]
            ),
            "product_id": pd.Series(products["product_id"].to_numpy()[rng.integers(0, 300, n)]),
            "quantity": q,
            "revenue": q * 2.5,
        }
    )
    sales.loc[[10, 20], "customer_id"] = "nobody"
    t0 = time.perf_counter()
    _, quality = validate(
        {"customers": customers, "products": products, "terminals": terminals, "sales": sales},
        period=("2024-02-01", "2025-11-30"),
    )
    elapsed = time.perf_counter() - t0
    assert elapsed < 10, f"validation of 1M lines took {elapsed:.1f}s"
    row = quality_row(quality, "unknown_reference")
    assert (row["n_rows"], row["rows"]) == (2, "10, 20")
    in_period = (sales["date"] >= "2024-02-01") & (sales["date"] < "2025-12-01")
    assert quality_row(quality, "outside_period")["n_rows"] == int((~in_period).sum())
    assert quality_row(quality, "returns")["n_rows"] == int(((q < 0) & in_period).sum())


def test_every_check_has_a_name_in_both_report_languages():
    # The report appendix names each data-quality problem in the report's language.
    from ars_analysis.data.quality import CHECKS
    from ars_analysis.labels import has_label, label

    for check in CHECKS:
        assert has_label(f"quality.check_values.{check}"), check
        assert label(f"quality.check_values.{check}", "zh") != check
