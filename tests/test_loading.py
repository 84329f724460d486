"""load_dataset: file formats, encodings, column matching, mapping files, strictness, CLI."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ars_analysis
from ars_analysis import Dataset, load_dataset
from ars_analysis.data.cli import add_cli
from ars_analysis.data.dataset import MAPPING_COLUMNS
from ars_analysis.data.mapping import MappingError, read_mapping
from ars_analysis.data.validation import DataValidationError

try:  # tests/ is a rootdir folder (no __init__.py) or a package
    from _fixtures_loading import base_tables, checksums, quality_row, with_people, write_folder
except ImportError:  # pragma: no cover
    from tests._fixtures_loading import (
        base_tables,
        checksums,
        quality_row,
        with_people,
        write_folder,
    )

ROOT = Path(__file__).resolve().parents[1]


def test_public_api():
    assert ars_analysis.load_dataset is load_dataset
    assert {"load_dataset", "Dataset", "subset"} <= set(ars_analysis.__all__)
    assert issubclass(DataValidationError, ValueError) and issubclass(MappingError, ValueError)


def test_types_and_leading_zeros(tmp_path):
    ds = load_dataset(write_folder(tmp_path / "c", with_people(base_tables())))
    assert isinstance(ds, Dataset)
    s = ds.sales
    assert s["customer_id"].tolist() == ["001", "002", "003", "001", "002"]
    assert pd.api.types.is_string_dtype(s["customer_id"])
    assert pd.api.types.is_datetime64_any_dtype(s["date"])
    assert s["quantity"].dtype == np.float64 and s["revenue"].dtype == np.float64
    assert pd.isna(s.loc[3, "terminal_id"])  # empty terminal = sell-in
    assert pd.api.types.is_datetime64_any_dtype(ds.visits["check_in"])
    assert ds.visits.loc[0, "check_in"] == pd.Timestamp("2025-01-05 09:00")
    assert list(ds.sales.index) == list(range(5))
    assert ds.files["sales"].name == "sales.csv" and ds.source == tmp_path / "c"
    assert set(ds.tables) == {"customers", "products", "terminals", "sales", "reps", "visits"}


def test_gbk_csv_with_chinese_headers_and_file_aliases(tmp_path):
    t = base_tables()
    folder = tmp_path / "c"
    folder.mkdir()
    cust = t["customers"].rename(
        columns={"customer_id": "客户编码", "customer_name": "客户名称", "region": "区域"}
    )
    cust.to_csv(folder / "经销商.csv", index=False, encoding="gbk")
    sales = t["sales"].rename(
        columns={
            "date": "销售日期",
            "customer_id": "经销商编码",
            "terminal_id": "门店编码",
            "product_id": "产品编码",
            "quantity": "数量",
            "revenue": "销售金额",
        }
    )
    sales["备注"] = "无"
    sales.to_csv(folder / "销售明细.csv", index=False, encoding="gbk")
    write_folder(folder, {"products": t["products"], "terminals": t["terminals"]})
    raw = (folder / "经销商.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # really GBK
    ds = load_dataset(folder)
    assert ds.customers["customer_name"].tolist() == ["甲商贸", "乙贸易", "丙批发"]
    assert ds.customers["region"].tolist() == ["华东", "华东", "华南"]
    assert ds.files["customers"].name == "经销商.csv" and ds.files["sales"].name == "销售明细.csv"
    m = ds.mapping
    assert list(m.columns) == MAPPING_COLUMNS
    row = m[(m["table"] == "customers") & (m["column"] == "customer_id")].iloc[0]
    assert (row["source_column"], row["how"], row["file"]) == ("客户编码", "alias", "经销商.csv")
    unused = m[m["how"] == "unused"]
    assert unused[["table", "source_column"]].values.tolist() == [["sales", "备注"]]
    assert (m.loc[m["table"] == "products", "how"] == "exact").all()


def test_utf8_bom_header(tmp_path):
    folder = write_folder(tmp_path / "c", base_tables(), encoding="utf-8-sig")
    assert (folder / "sales.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    ds = load_dataset(folder)
    assert "date" in ds.sales.columns and ds.sales["date"].notna().all()
    assert "unused" not in set(ds.mapping["how"])


def test_header_matching_ignores_case_space_punctuation(tmp_path):
    t = base_tables()
    t["customers"] = t["customers"].rename(
        columns={
            "customer_id": "Customer ID",
            "customer_name": "CUSTOMER-NAME",
            "region": " Region ",
        }
    )
    t["sales"] = t["sales"].rename(columns={"customer_id": "CustomerID", "revenue": "Net Sales"})
    ds = load_dataset(write_folder(tmp_path / "c", t))
    m = ds.mapping.set_index(["table", "column"])["how"]
    assert m[("customers", "customer_id")] == "exact"  # "Customer ID" == "customer_id"
    assert m[("customers", "customer_name")] == "exact"  # "customer_name" without punctuation
    assert m[("sales", "revenue")] == "alias"
    assert ds.sales["revenue"].sum() == pytest.approx(196.0)


def test_excel_rows_and_sheet(tmp_path):
    t = base_tables()
    t["sales"].loc[2, "quantity"] = "三"
    folder = write_folder(tmp_path / "c", t, names={"sales": "销售.xlsx", "products": "产品.xlsx"})
    ds = load_dataset(folder, strict=False)
    assert ds.files["sales"].name == "销售.xlsx"
    row = quality_row(ds.quality, "not_a_number")
    assert (row["file"], row["column"], row["rows"]) == ("销售.xlsx", "quantity", "4")
    assert ds.products["list_price"].tolist() == [10.0, 8.0]


def test_parquet_keeps_types_and_ids_as_text(tmp_path):
    t = base_tables()
    t["products"] = pd.DataFrame({"product_id": [101, 102], "product_name": ["a", "b"]})
    t["sales"] = t["sales"].assign(
        product_id=[101, 102, 101, 102, 101],
        date=pd.to_datetime(t["sales"]["date"]),
        quantity=t["sales"]["quantity"].astype(int),
        revenue=t["sales"]["revenue"].astype(float),
    )
    folder = write_folder(
        tmp_path / "c", t, names={"sales": "sales.parquet", "products": "products.parquet"}
    )
    ds = load_dataset(folder)
    assert ds.products["product_id"].tolist() == ["101", "102"]
    assert ds.sales["product_id"].tolist()[:2] == ["101", "102"]
    assert ds.sales["date"].iloc[0] == pd.Timestamp("2025-01-05")
    assert ds.sales["quantity"].dtype == np.float64


def test_dates_in_several_formats(tmp_path):
    t = base_tables()
    t["sales"]["date"] = ["2025/1/5", "2025-01-06", "2025年2月1日", "2025-03-10 14:30", "20250311"]
    ds = load_dataset(write_folder(tmp_path / "c", t))
    assert ds.sales["date"].tolist() == list(
        pd.to_datetime(["2025-01-05", "2025-01-06", "2025-02-01", "2025-03-10", "2025-03-11"])
    )


def test_numbers_with_separators_and_currency(tmp_path):
    t = base_tables()
    t["sales"]["revenue"] = ["1,234.50", "¥40", "(3.5)", " 16 ", "10"]
    t["sales"]["quantity"] = [10, 5, -1, 2, 1]
    ds = load_dataset(write_folder(tmp_path / "c", t))
    assert ds.sales["revenue"].tolist() == [1234.5, 40.0, -3.5, 16.0, 10.0]


def test_blank_line_does_not_shift_row_numbers(tmp_path):
    folder = write_folder(tmp_path / "c", base_tables())
    lines = (folder / "sales.csv").read_text().splitlines()
    lines.insert(2, "")  # blank line at file row 3
    lines[4] = lines[4].replace("2025-02-01", "2025-02-31")  # file row 5
    (folder / "sales.csv").write_text("\n".join(lines) + "\n")
    ds = load_dataset(folder, strict=False)
    assert quality_row(ds.quality, "not_a_date")["rows"] == "5"
    assert len(ds.sales) == 5


def test_input_files_untouched(tmp_path):
    folder = write_folder(tmp_path / "c", with_people(base_tables()))
    mapping = tmp_path / "m.yml"
    mapping.write_text("tables:\n  sales:\n    drop_if_empty: [terminal_id]\n")
    before = checksums(tmp_path)
    ds = load_dataset(folder, mapping, period=("2025-01-06", None))
    ds.sales.loc[0, "revenue"] = 1e9  # the returned frames are not views of anything on disk
    load_dataset(folder, strict=False)
    assert checksums(tmp_path) == before


def test_strict_raises_non_strict_returns(tmp_path):
    t = base_tables()
    t["sales"].loc[0, "customer_id"] = "999"
    folder = write_folder(tmp_path / "c", t)
    with pytest.raises(DataValidationError) as err:
        load_dataset(folder)
    msg = str(err.value)
    assert "sales.csv [sales] column customer_id" in msg and "rows 2" in msg
    assert "every customer_id listed in customers.customer_id" in msg
    ds = load_dataset(folder, strict=False)
    assert len(ds.fatal) == 1 and len(ds.sales) == 5


def test_unused_and_ambiguous_files(tmp_path):
    folder = write_folder(tmp_path / "c", base_tables())
    (folder / "notes.csv").write_text("a,b\n1,2\n")
    (folder / "README.md").write_text("ignored: not a data file")
    ds = load_dataset(folder)
    row = quality_row(ds.quality, "unused_file")
    assert (row["severity"], row["file"]) == ("warning", "notes.csv")
    base_tables()["products"].to_csv(folder / "产品.csv", index=False)
    ds = load_dataset(folder, strict=False)
    row = quality_row(ds.quality, "ambiguous_file")
    assert (
        row["severity"] == "fatal" and "products.csv" in row["file"] and "产品.csv" in row["file"]
    )


def write_mapping(tmp_path, text) -> Path:
    path = tmp_path / "mapping.yml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def order_lines_export(tmp_path) -> Path:
    """One order-lines file in a foreign layout (like an ERP export)."""
    path = tmp_path / "export" / "erp_lines.csv"
    path.parent.mkdir()
    pd.DataFrame(
        {
            "Invoice": ["1001", "1002", "C1003", "1004", "1005"],
            "Day": ["01/31/2025", "02/01/2025", "02/02/2025", "02/03/2025", "02/04/2025"],
            "Buyer": ["K1", "K2", "K1", None, "K2"],
            "Buyer Name": ["Alpha", "Beta", "Alpha", None, "Beta"],
            "Area": ["North", "South", "North", None, "South"],
            "Shop": ["S1", "S2", "S1", "S3", "S2"],
            "Item": ["A", "B", "A", "A", "B"],
            "Item Text": ["Apple", "Banana", "Apple", "Apple", "Banana"],
            "Units": [2, 3, 1, 5, 4],
            "Price Each": [1.5, 2.0, 1.5, 1.5, 2.0],
        }
    ).to_csv(path, index=False)
    return path


MAPPING = """\
tables:
  sales:
    file: erp_lines.csv
    date_format: "%m/%d/%Y"
    columns: {Day: date, Buyer: customer_id, Shop: terminal_id, Item: product_id, Units: quantity}
    compute: {revenue: "quantity * `Price Each`", cost: "revenue * 0.6"}
    drop_if_empty: [customer_id]
    returns: {invoice_prefix: {column: Invoice, prefix: C}}
  customers:
    derive_from: sales
    columns: {Buyer: customer_id, Buyer Name: customer_name, Area: region}
  terminals:
    derive_from: sales
    columns: {Shop: [terminal_id, terminal_name], Area: region}
  products:
    derive_from: sales
    columns: {Item: product_id, Item Text: product_name}
"""


def test_single_file_with_mapping(tmp_path):
    export = order_lines_export(tmp_path)
    mapping = write_mapping(tmp_path, MAPPING)
    ds = load_dataset(export, mapping)
    s = ds.sales
    assert len(s) == 4  # the line without buyer is dropped
    assert s["revenue"].tolist() == [3.0, 6.0, -1.5, 8.0]  # C1003 is a return
    assert s["quantity"].tolist() == [2.0, 3.0, -1.0, 4.0]
    assert s["cost"].tolist() == pytest.approx([1.8, 3.6, -0.9, 4.8])
    assert s["date"].iloc[0] == pd.Timestamp("2025-01-31")
    assert ds.customers.set_index("customer_id")["customer_name"].to_dict() == {
        "K1": "Alpha",
        "K2": "Beta",
    }
    assert ds.terminals["terminal_id"].tolist() == ["S1", "S2"]  # S3 only on the dropped line
    assert ds.products["product_name"].tolist() == ["Apple", "Banana"]
    q = ds.quality
    drop = quality_row(q, "dropped_empty")
    assert (drop["severity"], drop["column"], drop["rows"], drop["file"]) == (
        "warning",
        "customer_id",
        "5",
        "erp_lines.csv",
    )
    assert quality_row(q, "returns")["rows"] == "4"
    m = ds.mapping
    assert set(m["how"]) == {"user", "unused"}
    assert "= quantity * `Price Each`" in m["source_column"].tolist()
    assert sorted(m.loc[(m["how"] == "unused"), "source_column"]) == [
        "Area",
        "Buyer Name",
        "Invoice",
        "Item Text",
        "Price Each",
    ]


def test_mapping_as_folder_with_file_key(tmp_path):
    export = order_lines_export(tmp_path)
    ds = load_dataset(export.parent, write_mapping(tmp_path, MAPPING))
    assert len(ds.sales) == 4 and ds.files["sales"] == export


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        ("tables:\n  salez: {}\n", ["tables.salez", "expected a contract table", "mean 'sales'"]),
        ("tables:\n  sales:\n    columns: {Day: dat}\n", ["tables.sales.columns.Day", "'dat'"]),
        (
            "tables:\n  sales:\n    colums: {}\n",
            ["tables.sales.colums", "expected one of the keys", "did you mean 'columns'"],
        ),
        ("tables: [\n", ["not valid YAML"]),
        ("tablez: {}\n", ["tables"]),
        (
            "tables:\n  sales:\n    compute: {revenue: \"__import__('os').system('x')\"}\n",
            ["tables.sales.compute.revenue", "only + - * /"],
        ),
        ("tables:\n  sales:\n    file: nothere.csv\n", ["tables.sales.file", "nothere.csv"]),
        (
            "tables:\n  sales:\n    compute: {cost: revenue - Nope}\n",
            ["tables.sales.compute.cost", "'Nope'"],
        ),
        (
            "tables:\n  customers:\n    derive_from: sales\n    file: x.csv\n",
            ["tables.customers", "either"],
        ),
    ],
)
def test_mapping_errors_name_file_and_key(tmp_path, text, fragments):
    folder = write_folder(tmp_path / "c", base_tables())
    mapping = write_mapping(tmp_path, text)
    with pytest.raises(MappingError) as err:
        load_dataset(folder, mapping)
    message = str(err.value)
    assert str(mapping) in message
    for fragment in fragments:
        assert fragment in message


def test_read_mapping_forms(tmp_path):
    spec = read_mapping(write_mapping(tmp_path, MAPPING))
    assert spec["terminals"].columns == {
        "Shop": ["terminal_id", "terminal_name"],
        "Area": ["region"],
    }
    assert spec["sales"].date_format == {"date": "%m/%d/%Y"}
    assert spec["sales"].returns == {"column": "Invoice", "prefix": "C"}


def test_mapping_header_missing_is_fatal(tmp_path):
    folder = write_folder(tmp_path / "c", base_tables())
    mapping = write_mapping(tmp_path, "tables:\n  sales:\n    columns: {Umsatz: revenue}\n")
    ds = load_dataset(folder, mapping, strict=False)
    row = quality_row(ds.quality, "missing_source_column")
    assert row["severity"] == "fatal" and "Umsatz" in row["problem"]


def test_sample_dataset_loads_without_fatal_problems():
    ds = load_dataset(ROOT / "data" / "sample", strict=False)
    assert ds.fatal.empty, ds.fatal.to_string()
    assert {"customers", "products", "terminals", "sales"} <= set(ds.tables)
    assert len(ds.sales) > 1000
    assert not (ds.mapping["how"] == "unused").any()


# ---------------------------------------------------------------- CLI


def run_cli(argv, capsys):
    parser = argparse.ArgumentParser(prog="ars")
    add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    code = args.func(args)
    return code, capsys.readouterr().out


def test_cli_validate_ok_and_fatal(tmp_path, capsys):
    folder = write_folder(tmp_path / "good", base_tables())
    code, out = run_cli(["validate", str(folder), "--start", "2025-01-06"], capsys)
    assert code == 0
    assert "sales <- sales.csv" in out and "outside_period" not in out
    assert "dated outside the analysis period" in out and "0 fatal problem(s), 1 warning(s)" in out
    t = base_tables()
    t["sales"].loc[1, "date"] = "yesterday"
    bad = write_folder(tmp_path / "bad", t)
    code, out = run_cli(["validate", str(bad)], capsys)
    assert code == 1
    assert "FATAL sales.csv [sales] column date" in out and "'yesterday'" in out and "rows 3" in out


def test_cli_mapping_error_and_help(tmp_path, capsys):
    folder = write_folder(tmp_path / "c", base_tables())
    mapping = write_mapping(tmp_path, "tables:\n  nope: {}\n")
    code, out = run_cli(["validate", str(folder), "--mapping", str(mapping)], capsys)
    assert code == 1 and "tables.nope" in out
    with pytest.raises(SystemExit) as exit_:
        run_cli(["validate", "--help"], capsys)
    assert exit_.value.code == 0
    assert "--mapping" in capsys.readouterr().out


def test_cli_main_when_all_commands_exist(tmp_path, capsys):
    from ars_analysis import cli

    parser = cli.build_parser()
    assert "validate" in parser.format_help()
    folder = write_folder(tmp_path / "c", base_tables())
    assert cli.main(["validate", str(folder)]) == 0
