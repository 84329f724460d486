"""Issue 11, field execution: each test fails on the code before the fix.

* item 2  - ``new_terminals`` counted distinct visited terminals (a visit log that starts inside
  the window makes every visited terminal "new"); now: first sales line in the window, with
  enough sales history before it, else unknown;
* item 15 - the correlation's interval and p-value came from two procedures (bootstrap CI,
  scipy p-value) and could contradict each other; a correlation on 5 reps was stated as a
  finding; "0 problem visits, follow up" stood above an empty table;
* item 16 - the report stated the sales period only, while visits and attainment use the
  visit-log period.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ars_analysis import compose
from ars_analysis import fieldforce as ff
from ars_analysis.client import load_client_config
from ars_analysis.data.dataset import Dataset
from ars_analysis.presentation import fieldforce as pf

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def sample(sample_field_execution):
    """The sample dataset, loaded once (the analyses never modify it)."""
    return sample_field_execution.dataset


@pytest.fixture(scope="module")
def national(sample_field_execution):
    """The national field-execution analysis of the sample with the sample client's
    configuration (shared, see conftest)."""
    return sample_field_execution(None)


# ----------------------------------------------------------------------------- item 2


@pytest.fixture
def shop_world():
    """Three terminals sold for a year before the window, one opened inside it; the visit log
    starts with the window, so every terminal's first visit falls inside it."""
    terminals = pd.DataFrame(
        {
            "terminal_id": ["T1", "T2", "T3", "T4"],
            "region": ["E"] * 4,
            "rep_id": ["R1"] * 4,
            "latitude": [30.0] * 4,
            "longitude": [120.0] * 4,
        }
    )
    days = pd.date_range("2024-10-01", "2025-09-30", freq="MS")
    old = pd.DataFrame(
        [(d, t, "R1", 100.0) for d in days for t in ("T1", "T2", "T3")],
        columns=["date", "terminal_id", "rep_id", "revenue"],
    )
    window = pd.DataFrame(
        {
            "date": pd.to_datetime(["2025-10-05", "2025-10-06", "2025-11-02"]),
            "terminal_id": ["T1", "T4", "T4"],
            "rep_id": ["R1", "R1", "R1"],
            "revenue": [100.0, 40.0, 60.0],
        }
    )
    sales = pd.concat([old, window], ignore_index=True)
    sales["customer_id"] = "C1"
    sales["product_id"] = "P1"
    sales["quantity"] = 1.0
    visits = pd.DataFrame(
        {
            "visit_id": [f"V{i}" for i in range(4)],
            "rep_id": ["R1"] * 4,
            "terminal_id": ["T1", "T2", "T3", "T4"],
            "planned_date": ["2025-10-01", "2025-10-02", "2025-10-03", "2025-10-06"],
            "check_in": ["2025-10-01 09:00", "2025-10-02 09:00", "2025-10-03 09:00",
                         "2025-10-06 09:00"],
            "check_out": ["2025-10-01 09:30", "2025-10-02 09:30", "2025-10-03 09:30",
                          "2025-10-06 09:30"],
        }
    )  # fmt: skip
    return visits, terminals, sales


def test_new_terminals_are_first_sales_in_the_window_not_first_visits(shop_world):
    visits, terminals, sales = shop_world
    card = ff.rep_scorecard(
        visits, terminals, sales=sales, start="2025-10-01", end="2025-12-31"
    ).set_index("rep_id")
    # the old count was 4 (four distinct terminals first visited in the window); only T4 is new
    assert card.loc["R1", "new_terminals"] == 1
    new = ff.new_terminal_list(sales, terminals, start="2025-10-01", end="2025-12-31")
    assert new["terminal_id"].tolist() == ["T4"] and new["revenue"].tolist() == [100.0]
    ds = Dataset({"visits": visits, "terminals": terminals, "sales": sales})
    assert compose.scorecard_from_dataset(ds, start="2025-10-01", end="2025-12-31")[
        "new_terminals"
    ].tolist() == [1.0]


def test_new_terminals_unknown_without_enough_history(shop_world):
    visits, terminals, sales = shop_world
    recent = sales[sales["date"] >= "2025-07-01"]  # 3 months before the window, 6 required
    card = ff.rep_scorecard(visits, terminals, sales=recent, start="2025-10-01", end="2025-12-31")
    assert card["new_terminals"].isna().all()
    assert ff.sales_history_months(recent, "2025-10-01") == pytest.approx(3.0)
    more = ff.rep_scorecard(visits, terminals, sales=recent, start="2025-10-01",
                            end="2025-12-31", standards_path=None)  # fmt: skip
    assert more["new_terminals"].isna().all()


def test_new_terminals_on_the_sample_are_not_the_visited_terminals(sample, national):
    ds, res = sample, national
    card = res.scorecard
    visited = ds.visits[ds.visits["check_in"].notna()].groupby("rep_id")["terminal_id"].nunique()
    # before: new_terminals == distinct visited terminals for 55 of 60 reps
    n_visited = visited.reindex(card["rep_id"]).fillna(0).to_numpy()
    same = (card["new_terminals"].to_numpy() == n_visited) & (n_visited > 0)
    assert same.sum() == 0
    # independent: terminals whose first sales line falls in the visit-log period
    first = ds.sales.groupby("terminal_id")["date"].min()
    lo, hi = res.visit_period
    expected = int(((first >= lo) & (first <= hi)).sum())
    assert card["new_terminals"].sum() == expected == len(res.new_terminals)


# ----------------------------------------------------------------------------- item 15


@pytest.mark.slow
def test_interval_and_p_value_never_contradict():
    rng = np.random.default_rng(7)
    checked = 0
    for _ in range(600):
        n = int(rng.integers(5, 80))
        x = rng.normal(size=n)
        y = rng.uniform(-0.8, 0.8) * x + rng.normal(size=n)
        if rng.random() < 0.3:  # ties
            x = np.round(x)
        r = ff.discipline_vs_attainment(pd.DataFrame({"visit_completion": x, "attainment": y}))
        if math.isnan(r["rho"]):
            continue
        excludes_zero = r["ci_low"] > 0 or r["ci_high"] < 0
        if abs(r["p_value"] - 0.05) > 1e-9:
            assert (r["p_value"] < 0.05) == excludes_zero, r
        assert r["ci_low"] <= r["rho"] <= r["ci_high"]
        checked += 1
    assert checked > 550


@pytest.mark.slow
def test_too_few_reps_is_a_caveat_not_a_finding(sample):
    ds = sample
    cfg = load_client_config()
    res = compose.analyse_field_execution(ds, cfg, region="西北")  # 5 reps
    assert res.correlation["n"] == 5 and not res.correlation["sufficient"]
    for lang in ("zh", "en"):
        text = pf.correlation_text(res, lang)
        assert text.startswith("n = 5") and "ρ" not in text and "CI" not in text
        block = pf.correlation_block(res, lang).html
        assert "ars-caveat" in block and "ρ" not in block
        summary = pf.fieldforce_summary(res, cfg, lang)
        assert any(f.text == text for f in summary.findings)
    # the minimum comes from the client configuration
    low = cfg.model_copy(
        update={"min_sample": cfg.min_sample.model_copy(update={"correlation": 5})}
    )
    assert compose.analyse_field_execution(ds, low, region="西北").correlation["sufficient"]


def test_enough_reps_gives_rho_with_its_interval_and_p(sample, national):
    ds, res = sample, national
    c = res.correlation
    # every rep employed in the visit-log window (leavers before it have no visits or target)
    start = res.visit_period[0]
    active = int((ds.reps["end_date"].isna() | (ds.reps["end_date"] >= start)).sum())
    assert c["sufficient"] and c["n"] == active
    text = pf.correlation_text(res, "en")
    assert "95% CI" in text and "p = " in text and f"n = {active}" in text
    assert (c["p_value"] < 0.05) == (c["ci_low"] > 0 or c["ci_high"] < 0)


@pytest.mark.slow
def test_no_problem_visits_gives_a_positive_sentence_and_no_table(sample):
    ds = sample
    res = compose.analyse_field_execution(ds, region="华中")
    assert res.issues.empty
    for lang in ("zh", "en"):
        html = pf.issues_block(res, lang)._repr_html_()
        assert "<table" not in html and "0" not in html
    assert all(t.title != pf._L("sheet_issues", "en") for t in pf.workbook_tables(res, "en"))
    # with problems: the count and the table
    bad = ds.visits.copy()
    i = bad.index[bad["check_in"].notna()][0]
    bad.loc[i, "check_out"] = bad.loc[i, "check_in"] - pd.Timedelta(minutes=5)
    res2 = compose.analyse_field_execution(Dataset({**ds.tables, "visits": bad}), region=None)
    html = pf.issues_block(res2, "en")._repr_html_()
    assert "<table" in html and "Check-out before check-in" in html


# ----------------------------------------------------------------------------- item 16


def test_title_block_states_sales_and_visit_periods(national):
    cfg = load_client_config()
    res = national
    for lang in ("zh", "en"):
        periods = dict(pf.fieldforce_summary(res, cfg, lang).periods)
        values = list(periods.values())
        assert "2024-01-01 – 2025-12-28" in values  # sales
        assert "2025-10-01 – 2025-12-31" in values  # visit log
        assert "2025-10 – 2025-12" in values  # attainment months
        text = pf.attainment_text(res, lang).html
        assert "2025-10" in text and "2025-12" in text
