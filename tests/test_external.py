"""The real public data sets in data/external load into the contract with their mapping files.

Counts of dropped and returned lines are checked against plain pandas on the raw files.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd
import pytest

from ars_analysis import load_dataset

EXTERNAL = Path(__file__).resolve().parents[1] / "data" / "external"
CHECKSUMS = (EXTERNAL / "SHA256SUMS").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def superstore():
    raw = pd.read_csv(EXTERNAL / "superstore_sales.csv", encoding="utf-8-sig")
    ds = load_dataset(EXTERNAL / "superstore_sales.csv", EXTERNAL / "superstore_mapping.yml")
    return raw, ds


@pytest.fixture(scope="module")
def online_retail():
    raw = pd.read_csv(EXTERNAL / "online_retail_sample.csv", dtype={"CustomerID": str})
    ds = load_dataset(EXTERNAL / "online_retail_sample.csv", EXTERNAL / "online_retail_mapping.yml")
    return raw, ds


def test_superstore_loads(superstore):
    raw, ds = superstore
    assert ds.fatal.empty
    assert len(ds.sales) == len(raw) == 9994
    assert ds.sales["revenue"].sum() == pytest.approx(raw["Sales"].sum())
    assert (ds.sales["revenue"] - ds.sales["cost"]).sum() == pytest.approx(raw["Profit"].sum())
    assert ds.sales["quantity"].sum() == raw["Quantity"].sum()
    assert len(ds.customers) == raw["Customer ID"].nunique()
    assert len(ds.products) == raw["Product ID"].nunique()
    assert len(ds.terminals) == raw["Customer ID"].nunique()
    first = pd.to_datetime(raw["Order Date"], format="%m/%d/%Y")
    assert ds.period == (first.min(), first.max())
    # products with several names in the raw file, reported as inconsistent
    n_names = raw.groupby("Product ID")["Product Name"].nunique()
    row = ds.quality[
        (ds.quality["check"] == "inconsistent_values") & (ds.quality["table"] == "products")
    ].iloc[0]
    assert row["n_rows"] == int((n_names > 1).sum())
    assert "returns" not in set(ds.quality["check"])  # no negative line in Superstore


def test_superstore_customer_region_is_where_most_lines_are(superstore):
    # keep: most_frequent in the mapping: each customer's region is the region of most of its
    # order lines (ties: the first seen), computed independently here with plain pandas.
    raw, ds = superstore
    counts = (
        raw.assign(order=range(len(raw)))
        .groupby(["Customer ID", "Region"])["order"]
        .agg(["size", "min"])
        .reset_index()
        .sort_values(["size", "min"], ascending=[False, True])
        .drop_duplicates("Customer ID")
        .set_index("Customer ID")["Region"]
    )
    got = ds.customers.set_index("customer_id")["region"]
    assert (got.sort_index() == counts.sort_index()).all()
    n_regions = raw.groupby("Customer ID")["Region"].nunique()
    row = ds.quality[
        (ds.quality["check"] == "inconsistent_values")
        & (ds.quality["table"] == "customers")
        & (ds.quality["column"] == "region")
    ].iloc[0]
    assert row["n_rows"] == int((n_regions > 1).sum()) == 766
    assert "most frequent" in row["problem"]
    mapping = (EXTERNAL / "superstore_mapping.yml").read_text(encoding="utf-8")
    assert "766 of 793" in mapping and "a few customers" not in mapping


def test_keep_needs_a_derived_table(tmp_path):
    from ars_analysis.data.mapping import MappingError, read_mapping

    bad = tmp_path / "m.yml"
    bad.write_text("tables:\n  sales:\n    file: s.csv\n    keep: most_frequent\n")
    with pytest.raises(MappingError, match="keep"):
        read_mapping(bad)


def test_online_retail_drops_and_returns_match_pandas(online_retail):
    raw, ds = online_retail
    assert ds.fatal.empty
    no_customer = raw["CustomerID"].isna()
    kept = raw[~no_customer]
    q = ds.quality.set_index("check")
    assert q.loc["dropped_empty", "n_rows"] == int(no_customer.sum()) == 5078
    assert q.loc["dropped_empty", "severity"] == "warning"
    cancelled = kept["InvoiceNo"].astype(str).str.startswith("C")
    assert q.loc["returns", "n_rows"] == int(cancelled.sum()) == 342
    assert len(ds.sales) == len(kept)
    assert (ds.sales["quantity"] < 0).sum() == int(cancelled.sum())
    expected = (kept["Quantity"] * kept["UnitPrice"]).sum()
    assert ds.sales["revenue"].sum() == pytest.approx(expected)
    assert len(ds.customers) == kept["CustomerID"].nunique()
    assert len(ds.products) == kept["StockCode"].nunique()
    # first data row of the file has no customer: reported as row 2
    assert q.loc["dropped_empty", "rows"].startswith("2, ")


def test_copies_identical_to_shared_data_and_attributed():
    sources = (EXTERNAL / "SOURCES.md").read_text(encoding="utf-8")
    for name in ("superstore_sales.csv", "online_retail_sample.csv", "wholesale_customers.csv"):
        assert name in sources
        # the copies are byte-identical to the published files (checksums recorded when they
        # were copied from the shared reference data; no path outside the repository)
        digest = hashlib.sha256((EXTERNAL / name).read_bytes()).hexdigest()
        assert f"{digest}  {name}" in CHECKSUMS
    assert "CC BY 4.0" in sources
    wholesale = pd.read_csv(EXTERNAL / "wholesale_customers.csv")
    assert wholesale.shape == (440, 8)
