"""Files shaped like real Chinese client exports: right numbers or a named problem, never a
traceback (issue 12). Every file is generated here, in tmp_path."""

from __future__ import annotations

import argparse
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from ars_analysis import load_dataset
from ars_analysis.data.cli import add_cli
from ars_analysis.data.loading import period_bound
from ars_analysis.data.mapping import read_mapping
from ars_analysis.data.validation import DataValidationError

try:  # tests/ is a rootdir folder (no __init__.py) or a package
    from _fixtures_loading import base_tables, checksums, quality_row, write_folder
except ImportError:  # pragma: no cover
    from tests._fixtures_loading import base_tables, checksums, quality_row, write_folder

SALES_ZH = {
    "date": "日期",
    "customer_id": "客户编码",
    "terminal_id": "门店编码",
    "product_id": "产品编码",
    "quantity": "数量",
    "revenue": "金额",
}


def folder_with(tmp_path, **changes):
    t = base_tables()
    for name, frame in changes.items():
        t[name] = frame
    return write_folder(tmp_path / "c", t)


def run_validate(argv, capsys):
    parser = argparse.ArgumentParser(prog="ars")
    add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["validate", *argv])
    code = args.func(args)
    return code, capsys.readouterr().out


# ---------------------------------------------------------------------------------------------
# numbers


def test_percent_discount_in_compute_is_a_fraction(tmp_path):
    t = base_tables()
    sales = t["sales"].drop(columns="revenue")
    sales["单价"] = ["10", "8", "10", "8", "10"]
    sales["折扣"] = ["88%", "100%", "50%", "88 %", "0.9"]
    folder = write_folder(tmp_path / "c", {**t, "sales": sales})
    mapping = tmp_path / "m.yml"
    mapping.write_text(
        "tables:\n  sales:\n    compute:\n      revenue: 'quantity * 单价 * 折扣'\n",
        encoding="utf-8",
    )
    ds = load_dataset(folder, mapping)
    assert ds.sales["revenue"].round(6).tolist() == [88.0, 40.0, 15.0, 14.08, 9.0]


@pytest.mark.parametrize("bad", ["inf", "Infinity", "1e309", "-inf"])
def test_non_finite_numbers_are_not_numbers(tmp_path, bad):
    t = base_tables()
    t["sales"]["revenue"] = ["100", bad, "30", "16", "10"]
    t["products"]["list_price"] = [bad, "8"]
    ds = load_dataset(write_folder(tmp_path / "c", t), strict=False)
    row = quality_row(ds.quality, "not_a_number", table="sales")
    assert (row["severity"], row["column"], row["rows"]) == ("fatal", "revenue", "3")
    assert quality_row(ds.quality, "not_a_number", table="products")["rows"] == "2"
    assert math.isfinite(ds.sales["revenue"].sum())


def test_non_finite_target_is_fatal(tmp_path):
    t = base_tables()
    t["targets"] = pd.DataFrame(
        {"rep_id": ["R1", "R1"], "period": ["2025-01", "2025-02"], "target_revenue": ["1e309", "5"]}
    )
    ds = load_dataset(write_folder(tmp_path / "c", t), strict=False)
    assert quality_row(ds.quality, "not_a_number", table="targets")["column"] == "target_revenue"


def test_negative_cost_is_a_warning(tmp_path):
    t = base_tables()
    t["sales"]["cost"] = ["60", "-5", "20", "10", "6"]
    ds = load_dataset(write_folder(tmp_path / "c", t), strict=False)
    row = quality_row(ds.quality, "negative_cost")
    assert (row["severity"], row["rows"]) == ("warning", "3")


def test_huge_id_is_shortened_in_messages(tmp_path):
    t = base_tables()
    t["sales"].loc[0, "customer_id"] = "X" * 300_000
    ds = load_dataset(write_folder(tmp_path / "c", t), strict=False)
    row = quality_row(ds.quality, "unknown_reference", column="customer_id")
    assert len(row["problem"]) < 400 and "300,000 characters" in row["problem"]


# ---------------------------------------------------------------------------------------------
# dates


def dmy_sales(tmp_path, dates):
    t = base_tables()
    t["sales"]["date"] = dates
    return write_folder(tmp_path / "c", t)


def test_day_first_dates_decided_from_the_data(tmp_path):
    ds = load_dataset(
        dmy_sales(tmp_path, ["05/01/2025", "13/01/2025", "01/02/2025", "10/03/2025", "11/03/2025"])
    )
    assert ds.sales["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-01-05",
        "2025-01-13",
        "2025-02-01",
        "2025-03-10",
        "2025-03-11",
    ]


def test_month_first_dates_decided_from_the_data(tmp_path):
    ds = load_dataset(
        dmy_sales(tmp_path, ["01/05/2025", "01/13/2025", "02/01/2025", "03/10/2025", "03/11/2025"])
    )
    assert ds.sales["date"].dt.strftime("%m-%d").tolist() == [
        "01-05",
        "01-13",
        "02-01",
        "03-10",
        "03-11",
    ]


def test_undecidable_date_order_asks_for_date_format(tmp_path):
    folder = dmy_sales(
        tmp_path, ["05/01/2025", "06/01/2025", "01/02/2025", "10/03/2025", "11/03/2025"]
    )
    ds = load_dataset(folder, strict=False)
    row = quality_row(ds.quality, "ambiguous_date_order")
    assert row["severity"] == "fatal" and row["n_rows"] == 5
    assert "date_format" in row["expected"]
    assert not (ds.quality["check"] == "empty_value").any()  # not reported twice
    mapping = tmp_path / "m.yml"
    mapping.write_text("tables:\n  sales:\n    date_format: '%d/%m/%Y'\n")
    ds = load_dataset(folder, mapping)
    assert ds.sales["date"].iloc[0] == pd.Timestamp("2025-01-05")


@pytest.mark.parametrize("bad", ["2205-01-15", "1900-01-01", "9999-12-31", "2032-01-05"])
def test_implausible_dates_are_fatal(tmp_path, bad):
    ds = load_dataset(
        dmy_sales(tmp_path, ["2025-01-05", bad, "2025-02-01", "2025-03-10", "2025-03-11"]),
        strict=False,
    )
    row = quality_row(ds.quality, "implausible_date")
    assert (row["severity"], row["rows"]) == ("fatal", "3") and bad in row["problem"]
    assert ds.period[1] == pd.Timestamp("2025-03-11")


def test_excel_serial_dates_in_csv(tmp_path):
    ds = load_dataset(dmy_sales(tmp_path, ["45662", "45663", "45689", "45726", "2025-03-11"]))
    assert ds.sales["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2025-01-05",
        "2025-01-06",
        "2025-02-01",
        "2025-03-10",
        "2025-03-11",
    ]


def test_excel_date_cells_with_a_csv_date_format(tmp_path):
    t = base_tables()
    t["sales"]["date"] = pd.to_datetime(t["sales"]["date"])
    folder = write_folder(tmp_path / "c", t, names={"sales": "sales.xlsx"})
    mapping = tmp_path / "m.yml"
    mapping.write_text("tables:\n  sales:\n    date_format: '%m/%d/%Y'\n")
    ds = load_dataset(folder, mapping)
    assert ds.sales["date"].iloc[0] == pd.Timestamp("2025-01-05")
    assert ds.sales["date"].notna().all()


# ---------------------------------------------------------------------------------------------
# periods and empty sales


def test_period_without_sales_and_reversed_period_are_fatal(tmp_path):
    folder = folder_with(tmp_path)
    ds = load_dataset(folder, period=("2030-01-01", "2030-12-31"), strict=False)
    row = quality_row(ds.quality, "no_sales")
    assert row["severity"] == "fatal" and "2025-01-05 – 2025-03-11" in row["problem"]
    ds = load_dataset(folder, period=("2025-03-01", "2025-01-01"), strict=False)
    assert quality_row(ds.quality, "invalid_period")["severity"] == "fatal"


def test_header_only_sales_file_is_fatal(tmp_path):
    t = base_tables()
    t["sales"] = t["sales"].iloc[:0]
    ds = load_dataset(write_folder(tmp_path / "c", t), strict=False)
    assert quality_row(ds.quality, "no_sales")["severity"] == "fatal"


@pytest.mark.parametrize("value", ["2025-13-01", "2025年1月1日", "yesterday"])
def test_cli_start_option_is_checked(tmp_path, capsys, value):
    folder = folder_with(tmp_path)
    code, out = run_validate([str(folder), "--start", value], capsys)
    if value == "2025年1月1日":
        assert code == 0 and "0 fatal" in out
    else:
        assert code == 1 and "error: period start" in out and "YYYY-MM-DD" in out
        assert "Traceback" not in out


def test_period_bound_forms():
    assert period_bound("2025/1/5") == pd.Timestamp("2025-01-05")
    assert period_bound(None) is None
    with pytest.raises(ValueError, match="end"):
        period_bound("05/01/2025", "end")


# ---------------------------------------------------------------------------------------------
# totals rows and ids


def test_totals_row_in_customers_is_dropped(tmp_path):
    t = base_tables()
    t["customers"] = pd.concat(
        [t["customers"], pd.DataFrame({"customer_id": ["合计"], "customer_name": [""]})]
    )
    ds = load_dataset(write_folder(tmp_path / "c", t))
    assert ds.customers["customer_id"].tolist() == ["001", "002", "003"]
    row = quality_row(ds.quality, "totals_row")
    assert (row["severity"], row["table"], row["rows"]) == ("warning", "customers", "5")


def test_totals_row_in_sales_does_not_double_revenue(tmp_path):
    t = base_tables()
    total = pd.DataFrame({"date": ["总计"], "quantity": ["21"], "revenue": ["196"]})
    t["sales"] = pd.concat([t["sales"], total]).astype(object)
    ds = load_dataset(write_folder(tmp_path / "c", t))
    assert ds.sales["revenue"].sum() == 196.0


def test_full_width_ids_match_their_master(tmp_path):
    t = base_tables()
    t["sales"]["terminal_id"] = ["Ｔ1", "T2", "Ｔ３", "", "T2"]
    t["sales"]["customer_id"] = ["００1", "002", "003", "001", "002"]
    ds = load_dataset(write_folder(tmp_path / "c", t))
    assert ds.sales["terminal_id"].dropna().tolist() == ["T1", "T2", "T3", "T2"]
    assert not (ds.quality["check"] == "unknown_reference").any()


# ---------------------------------------------------------------------------------------------
# files that cannot be read


@pytest.mark.parametrize(
    "content", [b"", b"\n\n  \r\n", b"\xef\xbb\xbf", "\u3000\n".encode()], ids=repr
)
def test_empty_files_are_named_not_tracebacks(tmp_path, capsys, content):
    folder = folder_with(tmp_path)
    (folder / "customers.csv").write_bytes(content)
    (folder / "visits.csv").write_bytes(content)  # optional: a warning, the rest still loads
    ds = load_dataset(folder, strict=False)
    row = quality_row(ds.quality, "empty_file", table="customers")
    assert row["severity"] == "fatal" and row["file"] == "customers.csv"
    assert quality_row(ds.quality, "empty_file", table="visits")["severity"] == "warning"
    assert not (ds.quality["check"] == "missing_table").any()
    assert len(ds.sales) == 5
    code, out = run_validate([str(folder)], capsys)
    assert code == 1 and "customers.csv is empty" in out and "Traceback" not in out


def test_empty_optional_table_does_not_stop_loading(tmp_path):
    folder = folder_with(tmp_path)
    (folder / "targets.csv").write_bytes(b"")
    ds = load_dataset(folder)  # strict: only a warning
    assert ds.targets is None and len(ds.sales) == 5


@pytest.mark.parametrize(
    "content, words",
    [
        (
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
            + b"\0" * 500
            + "EncryptionInfo".encode("utf-16-le"),
            "password-protected",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 500, "damaged"),
        (b"<html><body><table><tr><td>1</td></tr></table></body></html>", "HTML"),
        (b"PK\x03\x04" + b"\0" * 40, "damaged"),
    ],
    ids=["protected", "bad-ole2", "html", "truncated"],
)
def test_unreadable_workbooks_get_a_message(tmp_path, capsys, content, words):
    folder = folder_with(tmp_path)
    (folder / "customers.csv").unlink()
    (folder / "经销商.xlsx").write_bytes(content)
    ds = load_dataset(folder, strict=False)
    row = quality_row(ds.quality, "unreadable_file")
    assert row["severity"] == "fatal" and row["file"] == "经销商.xlsx"
    assert words in row["problem"] and "calamine" not in row["problem"]
    code, out = run_validate([str(folder)], capsys)
    assert code == 1 and "Traceback" not in out and "经销商.xlsx" in out


def test_truncated_real_workbook(tmp_path):
    t = base_tables()
    folder = write_folder(tmp_path / "c", t, names={"customers": "customers.xlsx"})
    data = (folder / "customers.xlsx").read_bytes()
    (folder / "customers.xlsx").write_bytes(data[: len(data) // 2])
    ds = load_dataset(folder, strict=False)
    assert "damaged" in quality_row(ds.quality, "unreadable_file")["problem"]


def test_old_xls_workbook_is_read_or_named(tmp_path):
    folder = folder_with(tmp_path)
    (folder / "customers.csv").unlink()
    (folder / "customers.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100)
    ds = load_dataset(folder, strict=False)
    row = quality_row(ds.quality, "unreadable_file")  # listed, never skipped silently
    assert row["file"] == "customers.xls"


def test_cli_never_prints_a_traceback_without_debug(tmp_path, capsys, monkeypatch):
    import ars_analysis.data.loading as loading

    folder = folder_with(tmp_path)

    def boom(*a, **k):
        raise RuntimeError("something odd")

    monkeypatch.setattr(loading, "load_dataset", boom)
    code, out = run_validate([str(folder)], capsys)
    assert code == 1 and "something odd" in out and "--debug" in out
    with pytest.raises(RuntimeError):
        run_validate([str(folder), "--debug"], capsys)


# ---------------------------------------------------------------------------------------------
# shapes: title blocks, two-row headers, sheets, delimiters


def test_title_block_above_the_header_csv_gb18030(tmp_path):
    t = base_tables()
    folder = write_folder(tmp_path / "c", {k: v for k, v in t.items() if k != "sales"})
    body = t["sales"].rename(columns=SALES_ZH).to_csv(index=False)
    text = "XX公司2024年销售明细,,,,,\n,,,,,\n" + body
    (folder / "销售明细.csv").write_bytes(text.encode("gb18030"))
    t2 = t["sales"].copy()
    t2.loc[1, "date"] = "not a date"
    ds = load_dataset(folder)
    assert ds.sales["revenue"].tolist() == [100.0, 40.0, 30.0, 16.0, 10.0]
    (folder / "销售明细.csv").write_bytes(
        ("XX公司2024年销售明细\n\n" + t2.rename(columns=SALES_ZH).to_csv(index=False)).encode(
            "gb18030"
        )
    )
    ds = load_dataset(folder, strict=False)
    assert quality_row(ds.quality, "not_a_date")["rows"] == "5"  # title 1, blank 2, header 3


def test_two_row_merged_header_in_excel(tmp_path):
    t = base_tables()
    folder = write_folder(tmp_path / "c", {k: v for k, v in t.items() if k != "customers"})
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["XX公司经销商名录"])
    ws.append(["客户", None, "区域"])
    ws.append(["编码", "名称", None])
    ws.merge_cells("A2:B2")
    for r in t["customers"].itertuples(index=False):
        ws.append([r.customer_id, r.customer_name, r.region])
    wb.save(folder / "经销商.xlsx")
    ds = load_dataset(folder)
    assert ds.customers["customer_id"].tolist() == ["001", "002", "003"]
    assert ds.customers["customer_name"].tolist() == ["甲商贸", "乙贸易", "丙批发"]


def test_header_row_in_the_mapping_file(tmp_path):
    t = base_tables()
    folder = write_folder(tmp_path / "c", {k: v for k, v in t.items() if k != "products"})
    lines = "说明: 产品,列表\n导出时间,2025-01-01\n产品,名\nP1,生抽\nP2,陈醋\n"
    (folder / "products.csv").write_text(lines, encoding="utf-8")
    mapping = tmp_path / "m.yml"
    mapping.write_text(
        "tables:\n  products:\n    header_row: 3\n    columns: {产品: product_id, 名: product_name}\n",
        encoding="utf-8",
    )
    assert read_mapping(mapping)["products"].header_row == 3
    ds = load_dataset(folder, mapping)
    assert ds.products["product_id"].tolist() == ["P1", "P2"]
    bad = tmp_path / "bad.yml"
    bad.write_text("tables:\n  products:\n    header_row: [3, 5]\n")
    with pytest.raises(ValueError, match="header_row"):
        read_mapping(bad)


def test_workbook_with_one_sheet_per_month_is_read_whole(tmp_path):
    t = base_tables()
    folder = write_folder(tmp_path / "c", {k: v for k, v in t.items() if k != "sales"})
    sales = t["sales"].rename(columns=SALES_ZH)
    month = pd.to_datetime(t["sales"]["date"]).dt.month
    with pd.ExcelWriter(folder / "销售明细.xlsx") as xw:
        for m in (1, 2, 3):
            sales[month.to_numpy() == m].to_excel(xw, sheet_name=f"{m}月", index=False)
        pd.DataFrame({"说明": ["本表为示例"]}).to_excel(xw, sheet_name="说明", index=False)
    ds = load_dataset(folder, strict=False)
    assert len(ds.sales) == 5 and ds.sales["revenue"].sum() == 196.0
    assert "说明" in quality_row(ds.quality, "unused_file")["problem"]


def test_semicolon_separated_csv(tmp_path):
    t = base_tables()
    folder = write_folder(tmp_path / "c", {k: v for k, v in t.items() if k != "sales"})
    t["sales"].to_csv(folder / "sales.csv", index=False, sep=";")
    ds = load_dataset(folder)
    assert ds.sales["revenue"].tolist() == [100.0, 40.0, 30.0, 16.0, 10.0]


def test_input_bytes_unchanged_after_validation_of_odd_files(tmp_path, capsys):
    folder = folder_with(tmp_path)
    (folder / "visits.csv").write_bytes(b"")
    (folder / "终端.xlsx").write_bytes(b"<html></html>")
    before = checksums(tmp_path)
    load_dataset(folder, strict=False)
    run_validate([str(folder), "--start", "2025-01-01"], capsys)
    with pytest.raises(DataValidationError):
        load_dataset(folder)
    assert checksums(tmp_path) == before


def test_numbers_still_exact(tmp_path):
    t = base_tables()
    t["sales"]["revenue"] = ["¥1,234.50", "(40)", "30\u00a0", "\u300016", "1e3"]
    t["sales"]["quantity"] = ["10", "-5", "3", "2", "1"]
    ds = load_dataset(write_folder(tmp_path / "c", t))
    assert np.allclose(ds.sales["revenue"], [1234.5, -40.0, 30.0, 16.0, 1000.0])
