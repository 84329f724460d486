"""One definition per concept: the core customers and top terminals every report uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from ars_analysis import load_dataset
from ars_analysis.client import load_client_config
from ars_analysis.compose import core_customers, top_terminals

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample():
    return load_dataset(SAMPLE), load_client_config()


@pytest.mark.slow
def test_core_customers_are_the_core_customer_reports_grade_a(sample):
    from ars_analysis.compose import analyse_core_customers

    ds, cfg = sample
    shared = core_customers(ds, cfg).set_index("customer_id")
    report = analyse_core_customers(ds, cfg, segments=False).scored.set_index("customer_id")
    assert shared["grade"].astype(str).sort_index().equals(report["grade"].astype(str).sort_index())
    assert set(shared.index[shared["is_core"]]) == set(report.index[report["grade"] == "A"])


@pytest.mark.slow
def test_terminal_network_links_through_the_same_core_customers(sample):
    from ars_analysis.compose import analyse_terminal_network

    ds, cfg = sample
    shared = core_customers(ds, cfg)
    net = analyse_terminal_network(ds, cfg, n_boot=0, gof_boot=0)
    assert set(net.core.loc[net.core["is_core"], "customer_id"]) == set(
        shared.loc[shared["is_core"], "customer_id"]
    )
    # a terminal is "linked" exactly when its supplier is one of those core customers
    t = net.terminals
    core = set(shared.loc[shared["is_core"], "customer_id"])
    assert (t["linked"] == t["customer_id"].isin(core)).all()


def test_top_terminals_per_region_are_the_top_share_of_that_region(sample):
    # an independent plain-pandas ranking of the sample
    import math

    ds, cfg = sample
    top = top_terminals(ds, cfg.definitions.top_terminal)
    rev = ds.sales.groupby("terminal_id")["revenue"].sum()
    for region, group in ds.terminals.groupby("region"):
        ranked = (
            group.assign(revenue=group["terminal_id"].map(rev).fillna(0.0))
            .sort_values(["revenue", "terminal_id"], ascending=[False, True])
            .head(math.ceil(cfg.definitions.top_terminal.share * len(group) - 1e-9))
        )
        expected = set(ranked.loc[ranked["revenue"] > 0, "terminal_id"])
        got = set(top.loc[top["is_top"] & (top["region"] == region), "terminal_id"])
        assert got == expected, region


@pytest.mark.slow
def test_every_report_states_the_same_visit_log_period(sample):
    # 02 and 04 both state the visit-log period in their title block: one definition
    from ars_analysis.compose import analyse_field_execution, analyse_terminal_network

    ds, cfg = sample
    net = analyse_terminal_network(ds, cfg, n_boot=0, gof_boot=0)
    field = analyse_field_execution(ds, cfg)
    assert tuple(net.visit_period) == tuple(field.visit_period)
    assert net.visit_period[0].strftime("%Y-%m-%d") == "2025-10-01"
