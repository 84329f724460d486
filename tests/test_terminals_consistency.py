"""National and regional terminal-network reports agree (issue 11, items 6, 12 and 14).

On the sample data, every regional analysis names exactly the national top terminals of its
region (the one shared definition, computed on all data and filtered), and the additive figures
of the regions add up to the national ones.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ars_analysis import load_dataset
from ars_analysis.client import load_client_config
from ars_analysis.compose import analyse_terminal_network, top_terminals

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
FAST = {"n_boot": 20, "gof_boot": 0, "seed": 0}
# national + every region: ~20 s on 2 cores (not in make test-fast)
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs():
    ds = load_dataset(SAMPLE)
    cfg = load_client_config()
    national = analyse_terminal_network(ds, cfg, **FAST)
    regions = sorted(ds.terminals["region"].dropna().unique())
    regional = {r: analyse_terminal_network(ds, cfg, region=r, **FAST) for r in regions}
    return ds, cfg, national, regional


def test_regional_top_terminals_are_the_national_set_filtered(runs):
    ds, cfg, national, regional = runs
    shared = top_terminals(ds, cfg.definitions.top_terminal)
    shared = shared[shared["is_top"]].merge(ds.terminals[["terminal_id"]], on="terminal_id")
    assert national.top_terminal_ids == sorted(shared["terminal_id"])
    for r, res in regional.items():
        expected = sorted(shared.loc[shared["region"] == r, "terminal_id"])
        assert res.top_terminal_ids == expected, r
        assert res.n_top_terminals == len(expected)
        # coverage counts the same set
        assert int(res.coverage["n_top"].sum()) == len(expected)
    # Shandong: one number in every report (02 said 54, 04 said 69 before)
    assert regional["山东"].n_top_terminals == len(shared[shared["region"] == "山东"])


def test_additive_figures_add_up(runs):
    _, _, national, regional = runs
    res = list(regional.values())

    def total(f):
        return sum(f(r) for r in res)

    assert total(lambda r: len(r.terminals)) == len(national.terminals)
    assert total(lambda r: r.concentration["n_terminals"]) == national.concentration["n_terminals"]
    assert total(lambda r: r.terminals["revenue"].sum()) == pytest.approx(
        national.terminals["revenue"].sum(), rel=1e-12
    )
    assert total(lambda r: r.n_top_terminals) == national.n_top_terminals
    assert total(lambda r: len(r.link_plan)) == len(national.link_plan)
    assert total(lambda r: r.link_plan["volume_at_stake"].sum()) == pytest.approx(
        national.link_plan["volume_at_stake"].sum(), rel=1e-12
    )
    # market potential: each region fitted on its own, the national figure is their sum, and a
    # regional report shows the national report's row for its region
    nat = national.missing.set_index(national.missing["region"].fillna("__total__"))
    for r, rr in regional.items():
        own = rr.missing[rr.missing["region"] == r].iloc[0]
        assert own["estimate"] == pytest.approx(nat.loc[r, "estimate"], rel=1e-12)
        assert own["n_missing"] == nat.loc[r, "n_missing"]
    assert total(lambda r: r.missing.iloc[-1]["estimate"]) == pytest.approx(
        nat.loc["__total__", "estimate"], rel=1e-12
    )


def test_link_plan_is_the_national_plan_filtered(runs):
    _, _, national, regional = runs
    cols = ["terminal_id", "proposed_customer_id", "reason", "volume_at_stake"]
    parts = pd.concat([r.link_plan[cols] for r in regional.values()])
    a = parts.sort_values("terminal_id").reset_index(drop=True)
    b = national.link_plan[cols].sort_values("terminal_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(a, b)
