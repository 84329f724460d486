"""Report 04 on the sample data: one top-terminal set, and national and regional reports that
agree (issue 11, item 6).

* the top terminals of a region are the national (shared) set filtered to the region;
* per-region frequency compliance and visit completion are the same in the national analysis
  and in the region's own analysis, and equal a plain-pandas computation;
* the rep counts of the regions sum to the national count;
* the counts stated in the key findings equal the tables they summarise.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ars_analysis import compose, load_dataset
from ars_analysis.client import load_client_config
from ars_analysis.compose import top_terminals
from ars_analysis.presentation import fieldforce as pf

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
# national + every region (~8 s on 2 cores): not in make test-fast
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def world():
    ds = load_dataset(SAMPLE)
    cfg = load_client_config()
    national = compose.analyse_field_execution(ds, cfg)
    regions = sorted(ds.reps["region"].dropna().unique())
    regional = {r: compose.analyse_field_execution(ds, cfg, region=r) for r in regions}
    return ds, cfg, national, regional


def test_top_terminals_of_a_region_are_the_national_set_filtered(world):
    ds, cfg, national, regional = world
    shared = top_terminals(ds, cfg.definitions.top_terminal)
    assert national.top_terminal_ids == sorted(shared.loc[shared["is_top"], "terminal_id"])
    region_of = ds.terminals.set_index("terminal_id")["region"]
    for r, res in regional.items():
        expected = sorted(t for t in national.top_terminal_ids if region_of[t] == r)
        assert res.top_terminal_ids == expected, r
        # the frequency table grades exactly these terminals "top"
        assert sorted(res.frequency.loc[res.frequency["grade"] == "top", "terminal_id"]) == expected
    assert sum(len(res.top_terminal_ids) for res in regional.values()) == len(
        national.top_terminal_ids
    )


def test_scorecard_uses_the_shared_top_terminals(world):
    # the scorecard of the incentive plans: top-terminal coverage on the shared set, not on a
    # national top 20 % ranked by the scorecard itself
    ds, cfg, national, _ = world
    card = compose.scorecard_from_dataset(ds, top_terminal=cfg.definitions.top_terminal)
    c = card.set_index("rep_id")["top_terminal_coverage"]
    n = national.scorecard.set_index("rep_id")["top_terminal_coverage"]
    pd.testing.assert_series_equal(c.sort_index(), n.sort_index(), check_names=False)


def _plain_frequency_compliance(region: str, interval_top=7.0, interval_other=365.25 / 12):
    """Share of a region's terminals meeting the visit-frequency standard, in plain pandas."""
    visits = pd.read_csv(SAMPLE / "visits.csv", dtype=str)
    terms = pd.read_csv(SAMPLE / "terminals.csv", dtype=str)
    sales = pd.read_csv(SAMPLE / "sales.csv", dtype={"terminal_id": str})
    # top: first ceil(20 %) by revenue within each region (ties by ID), with sales > 0
    rev = sales.groupby("terminal_id")["revenue"].sum()
    terms["revenue"] = terms["terminal_id"].map(rev).fillna(0.0)
    terms = terms.sort_values(["region", "revenue", "terminal_id"], ascending=[True, False, True])
    terms["rank"] = terms.groupby("region").cumcount() + 1
    terms["n"] = terms.groupby("region")["terminal_id"].transform("size")
    terms["top"] = (terms["rank"] <= np.ceil(0.2 * terms["n"] - 1e-9)) & (terms["revenue"] > 0)
    day = pd.to_datetime(visits["planned_date"]).fillna(
        pd.to_datetime(visits["check_in"]).dt.normalize()
    )
    lo, hi = day.min(), day.max()
    done = visits[visits["check_in"].notna()].copy()
    d = pd.to_datetime(done["check_in"]).dt.normalize()
    done = done[(d >= lo) & (d <= hi)]
    n_done = done.groupby("terminal_id").size()
    t = terms[terms["region"] == region].copy()
    days = (hi - lo).days + 1
    t["required"] = [
        max(1, math.floor(days / (interval_top if top else interval_other) + 1e-9))
        for top in t["top"]
    ]
    t["done"] = t["terminal_id"].map(n_done).fillna(0)
    return float((t["done"] >= t["required"]).mean())


def test_per_region_compliance_is_the_same_in_national_and_regional_reports(world):
    _, _, national, regional = world
    nat = national.frequency_compliance_by_region
    assert set(nat) == set(regional)
    for r, res in regional.items():
        assert res.frequency_compliance_by_region == {r: pytest.approx(nat[r], abs=1e-12)}
        assert res.frequency_total["frequency_compliance"] == pytest.approx(nat[r], abs=1e-12)
        comp_nat = national.completion_by_region.set_index("region").loc[r]
        comp_reg = res.completion_by_region.set_index("region").loc[r]
        assert comp_reg["visit_completion"] == comp_nat["visit_completion"]
        assert res.completion_total["visit_completion"] == pytest.approx(
            comp_nat["visit_completion"], abs=1e-12
        )
    # an independent computation for one region
    assert nat["华中"] == pytest.approx(_plain_frequency_compliance("华中"), abs=1e-12)


def test_rep_counts_of_regions_sum_to_the_national_count(world):
    _, _, national, regional = world
    assert sum(res.n_reps for res in regional.values()) == national.n_reps == 60
    assert sum(len(res.scorecard) for res in regional.values()) == len(national.scorecard)


def _numbers(text: str) -> list[int]:
    return [int(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?![\d.]*%)", text)]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headline_counts_in_findings_equal_their_tables(world, lang):
    _, cfg, national, regional = world
    for res in [national, *regional.values()]:
        summary = pf.fieldforce_summary(res, cfg, lang)
        by_section = {f.section: f.text for f in summary.findings}
        comp = by_section[pf.SECTIONS["completion"]]
        table = res.completion_by_region
        planned, done = int(table["planned_visits"].sum()), int(table["planned_done"].sum())
        below = res.coaching.loc[res.coaching["kpi"] == "visit_completion", "rep_id"].nunique()
        nums = _numbers(comp)
        assert done in nums and planned in nums and res.n_reps in nums and below in nums
        top = by_section[pf.SECTIONS["top"]]
        nums = _numbers(top)
        freq = pf.frequency_table(res, lang).data
        assert int(freq["n_top_terminals"].sum()) == len(res.top_terminal_ids) == nums[0]
        assert len(res.unvisited_top) == nums[-1]
        assert len(res.unvisited_top) == int(
            (freq["n_top_terminals"] - freq["top_terminals_visited"]).sum()
        )
        # the action lists hold the same terminals and reps as the tables
        top_actions = summary.actions[1]
        assert len(top_actions.items) == min(len(res.unvisited_top), pf.MAX_ACTIONS)
        coach = summary.actions[0]
        assert len(coach.items) == min(res.coaching["rep_id"].nunique(), pf.MAX_ACTIONS)
