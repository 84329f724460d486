"""The optional tables of the four flows (issue 15): aliases, validation, subsets, synthetic data."""

from __future__ import annotations

import pandas as pd
import pytest

from ars_analysis import load_dataset
from ars_analysis.data.contract import REPORT_TYPES, SERVICED_BY, TABLES, YES_NO
from ars_analysis.data.dataset import subset

try:  # tests/ is a rootdir folder (no __init__.py) or a package
    from _fixtures_loading import base_tables, quality_row, write_folder
except ImportError:  # pragma: no cover
    from tests._fixtures_loading import base_tables, quality_row, write_folder

NEW_TABLES = ("inventory", "deliveries", "distributor_reports", "terminal_targets")


def _chinese_flow_files() -> dict[str, pd.DataFrame]:
    t = base_tables()
    t["库存"] = pd.DataFrame(
        {"盘点日期": ["2025-03-01", "2025-03-08"], "经销商编码": ["001", "001"],
         "产品编码": ["P1", "P1"], "库存数量": [40, 0]}
    )  # fmt: skip
    t["配送记录"] = pd.DataFrame(
        {"订单日期": ["2025-03-01"], "经销商编码": ["001"], "门店编码": ["T1"], "产品编码": ["P1"],
         "订货数量": [10], "实发数量": [8], "到货日期": ["2025-03-03"], "是否促销": ["是"]}
    )  # fmt: skip
    t["上报记录"] = pd.DataFrame(
        {"经销商编码": ["001", "002"], "报表月份": ["2025-02", "2025-02"],
         "报表类型": ["进销存", "库存"], "上报日期": ["2025-03-05", ""]}
    )  # fmt: skip
    t["终端目标"] = pd.DataFrame(
        {"门店编码": ["T1", "T2"], "月份": ["2025-03", "2025-03"], "目标销售额": [120, 50]}
    )  # fmt: skip
    terminals = t["terminals"].copy()
    terminals["服务方"] = ["经销商", "我司", ""]
    terminals["交接日期"] = ["2025-02-01", "", ""]
    t["terminals"] = terminals
    return t


def test_chinese_headers_and_file_names_load_into_the_new_tables(tmp_path):
    ds = load_dataset(write_folder(tmp_path / "c", _chinese_flow_files()))
    assert all(ds.has(n) for n in NEW_TABLES)
    assert ds.inventory["quantity"].tolist() == [40.0, 0.0]
    assert ds.deliveries["promotion"].tolist() == ["yes"]  # 是 -> yes
    assert ds.deliveries["quantity_delivered"].tolist() == [8.0]
    assert ds.distributor_reports["report_type"].tolist() == ["sell_out", "stock"]
    assert ds.distributor_reports["submitted_date"].isna().tolist() == [False, True]
    assert ds.terminal_targets["target_revenue"].tolist() == [120.0, 50.0]
    assert ds.terminals["serviced_by"].tolist()[:2] == ["distributor", "rep"]
    assert ds.terminals["serviced_by_since"].iloc[0] == pd.Timestamp("2025-02-01")
    assert ds.fatal.empty


def test_code_lists_are_the_contract_ones():
    assert SERVICED_BY == ("rep", "distributor")
    assert YES_NO == ("yes", "no") and REPORT_TYPES == ("sell_out", "stock")
    for name in NEW_TABLES:
        assert not TABLES[name].required


def test_problems_in_the_new_tables_are_reported_like_the_others(tmp_path):
    t = base_tables()
    t["inventory"] = pd.DataFrame(
        {"date": ["2025-03-01", "2025-03-01"], "customer_id": ["001", "009"],
         "product_id": ["P1", "P1"], "quantity": [-5, 3]}
    )  # fmt: skip
    t["deliveries"] = pd.DataFrame(
        {"order_date": ["2025-03-01", "not a date"], "customer_id": ["001", "002"],
         "product_id": ["P1", "P2"], "quantity_ordered": [10, 5], "quantity_delivered": [8, 5],
         "promotion": ["yes", "maybe"]}
    )  # fmt: skip
    ds = load_dataset(write_folder(tmp_path / "bad", t), strict=False)
    q = ds.quality
    assert quality_row(q, "below_minimum", table="inventory", column="quantity")["n_rows"] == 1
    assert quality_row(q, "unknown_reference", table="inventory")["severity"] == "warning"
    assert quality_row(q, "not_a_date", table="deliveries")["rows"] == "3"
    assert quality_row(q, "unknown_code", table="deliveries")["severity"] == "warning"


def test_absent_tables_are_absent_not_empty(tmp_path):
    ds = load_dataset(write_folder(tmp_path / "plain", base_tables()))
    for name in NEW_TABLES:
        assert not ds.has(name)
        assert getattr(ds, name) is None


def test_subset_filters_the_new_tables_by_region_and_dates(tmp_path):
    ds = load_dataset(write_folder(tmp_path / "c", _chinese_flow_files()))
    east = subset(ds, region="华南")  # customer 003, terminal T3
    assert east.inventory.empty and east.deliveries.empty
    assert east.distributor_reports.empty and east.terminal_targets.empty
    march = subset(ds, start="2025-03-05", end="2025-03-31")
    assert march.inventory["date"].tolist() == [pd.Timestamp("2025-03-08")]
    assert march.deliveries.empty  # ordered 2025-03-01
    assert march.terminal_targets["period"].tolist() == ["2025-03", "2025-03"]
    assert march.distributor_reports.empty  # period 2025-02


@pytest.fixture(scope="module")
def synth():
    from ars_analysis.data.synth import generate_dataset

    return generate_dataset(seed=5, n_customers=40, n_terminals=600, n_reps=24, months=24)


def test_synthetic_flows_have_the_documented_shapes(synth):
    inv, dl, rep = synth["inventory"], synth["deliveries"], synth["distributor_reports"]
    assert inv["date"].nunique() == 13 and (inv["quantity"] >= 0).all()
    assert (inv["quantity"] == 0).mean() > 0.01  # stock-outs happen
    fill = dl["quantity_delivered"].sum() / dl["quantity_ordered"].sum()
    assert 0.8 < fill < 0.99
    assert (dl["quantity_delivered"] <= dl["quantity_ordered"]).all()
    assert set(dl["promotion"]) == {"yes", "no"}
    assert rep["period"].nunique() == 12 and rep["submitted_date"].isna().any()
    launched = synth["products"].dropna(subset=["launch_date"])
    assert len(launched) == 3
    s = synth["sales"]
    for pid, launch in zip(launched["product_id"], launched["launch_date"], strict=True):
        assert s.loc[s["product_id"] == pid, "date"].min() >= launch  # nothing sold before
    t = synth["terminals"]
    moved = t[t["serviced_by"] == "distributor"]
    assert len(moved) > 0 and moved["customer_id"].notna().all()
    assert moved["serviced_by_since"].notna().all()
    assert t.loc[t["serviced_by"] == "rep", "serviced_by_since"].isna().all()


def test_synthetic_flows_are_seeded(synth):
    from ars_analysis.data.synth import generate_dataset

    again = generate_dataset(seed=5, n_customers=40, n_terminals=600, n_reps=24, months=24)
    for name in synth:
        pd.testing.assert_frame_equal(synth[name], again[name])  # seeded
