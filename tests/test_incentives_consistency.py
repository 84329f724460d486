"""Report 03 (incentive scenarios): the numbers in the findings are the numbers of the tables
they summarise, and the backtest of a KPI-gated plan uses only the months with a measured KPI.

One small region of the sample data (西北, 5 reps) is analysed once; every check compares the
presentation layer's sentences with its tables, or the analysis with an independent pandas
computation on the sample CSV files.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ars_analysis import load_dataset
from ars_analysis.client import Incentives, load_client_config
from ars_analysis.compose import analyse_incentives
from ars_analysis.incentives.analysis import category_share
from ars_analysis.presentation import fmt
from ars_analysis.presentation import incentives as pres

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"
REGION = "西北"


@pytest.fixture(scope="module")
def ds():
    return load_dataset(SAMPLE)


@pytest.fixture(scope="module")
def cfg():
    return load_client_config()


@pytest.fixture(scope="module")
def a(ds, cfg):
    return analyse_incentives(ds, cfg, region=REGION, n_scenarios=60, seed=1)


def _cell(table, plan_title, column):
    frame = table.display_frame()
    row = frame.index[table.data["plan"] == plan_title][0]
    return frame.loc[row, column]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cost_finding_equals_the_backtest_and_simulation_tables(a, lang):
    cost = pres.backtest_table(a, lang)
    sim = pres.simulation_table(a, lang)
    base_title = a.plan(a.baseline).title(lang)
    for p in a.plans[1:]:
        text = pres.cost_finding(a, p.name, lang)
        title = p.title(lang)
        assert _cell(cost, title, "total_cost") in text
        delta = _cell(cost, title, "change_vs_baseline").lstrip("-")
        assert delta in text
        assert _cell(sim, title, "total_cost_p10") in text
        assert _cell(sim, title, "total_cost_p90") in text
        assert _cell(sim, base_title, "total_cost_p10") in text
        assert f"{a.comparison_window[0]} – {a.comparison_window[1]}" in text


def test_rate_and_change_findings_equal_their_tables(a):
    lang = "en"
    cost = pres.backtest_table(a, lang)
    rate_text = pres.rate_finding(a, lang)
    for p in a.plans:
        assert f"{p.title(lang)} {_cell(cost, p.title(lang), 'incentive_cost_rate')}" in rate_text
    link = pres.link_table(a, lang)
    for p in a.plans[1:]:
        text = pres.change_finding(a, p.name, lang)
        n_up = _cell(link, p.title(lang), "n_up")
        n_down = _cell(link, p.title(lang), "n_down")
        gain = "rep gains" if str(n_up) == "1" else "reps gain"  # counts agree (test_plurals.py)
        lose = "loses" if str(n_down) == "1" else "lose"
        assert f"{n_up} {gain} and {n_down} {lose}" in text
        ch = pres.changes_table(a, lang, p.name).display_frame()
        worst = pres.changes_frame(a, lang, p.name)["change"].min()
        assert fmt.money(-worst) in text
        assert fmt.money(worst) in ch["incentive_change"].tolist()


def test_link_finding_intervals_equal_the_table(a):
    lang = "zh"
    link = pres.link_table(a, lang)
    text = pres.link_finding(a, lang)
    for p in a.plans:
        assert _cell(link, p.title(lang), "spearman_ci") in text
        assert _cell(link, p.title(lang), "leverage_p90") in text


def test_backtest_of_kpi_gated_plan_uses_only_kpi_months(a):
    # the months of the visit log, from the CSV file (independent of the package)
    v = pd.read_csv(SAMPLE / "visits.csv")
    months = sorted(pd.to_datetime(v["planned_date"]).dt.strftime("%Y-%m").dropna().unique())
    gated = [p.name for p in a.plans if p.kpi_columns]
    assert gated, "the shipped candidate B reads visit KPIs"
    pays = a.backtest.payouts
    for plan_id in gated:
        assert set(pays.loc[pays["plan"] == plan_id, "period"]) <= set(months)
    assert set(pays["period"]) == set(a.backtest.periods)
    assert a.kpi_window == (months[0], months[-1])
    assert a.comparison_window == a.kpi_window
    # every plan is compared on the same months
    per_plan = pays.groupby("plan")["period"].apply(lambda s: tuple(sorted(set(s))))
    assert per_plan.nunique() == 1


def test_current_plan_cost_by_hand(a):
    """Flat 1.2% of each rep-month's revenue + 5,000 base + one 2,000 honour per region and
    quarter (the comparison window is one quarter), from the sample CSV files."""
    sales = pd.read_csv(SAMPLE / "sales.csv", parse_dates=["date"])
    reps = pd.read_csv(SAMPLE / "reps.csv")
    targets = pd.read_csv(SAMPLE / "targets.csv", dtype={"period": str})
    ids = set(reps.loc[reps["region"] == REGION, "rep_id"])
    lo, hi = a.comparison_window
    sales["period"] = sales["date"].dt.strftime("%Y-%m")
    s = sales[sales["rep_id"].isin(ids) & sales["period"].between(lo, hi)]
    rm = s.groupby(["rep_id", "period"])["revenue"].sum()
    t = targets[targets["rep_id"].isin(ids) & targets["period"].between(lo, hi)]
    n_rep_months = t[["rep_id", "period"]].drop_duplicates().shape[0]
    expected = 5000 * n_rep_months + (rm * 0.012).round(2).sum() + 2000
    got = pres.results(a)["plan_cost"][a.baseline]
    assert got == pytest.approx(expected, abs=0.01 * n_rep_months)


def test_results_record_the_windows_and_costs(a):
    r = pres.results(a)
    s = a.backtest.summary.set_index("plan")
    assert r["plan_cost"] == {p: round(float(v), 2) for p, v in s["total_cost"].items()}
    assert r["comparison_window"] == list(a.comparison_window)
    assert r["kpi_window"] == list(a.kpi_window)


def test_small_region_findings_carry_the_small_sample_caveat(a, cfg):
    assert len(a.reps) < cfg.min_sample.correlation
    summary = pres.incentives_summary(a, cfg, "en", REGION)
    assert any(f.caveat and "indicative only" in f.caveat for f in summary.findings)
    assert a.recommended is None  # no pilot decided on 5 reps
    assert 3 <= len(summary.findings) <= 5


@pytest.mark.slow
def test_category_share_is_computed_from_data_or_set_in_config(ds, cfg, a):
    """Item 17: no hard-coded 0.23: the share comes from the scope's sales, or from
    ``cfg.incentives.category_share`` when set, and is stated next to the curves."""
    sales = pd.read_csv(SAMPLE / "sales.csv")
    products = pd.read_csv(SAMPLE / "products.csv")
    reps = pd.read_csv(SAMPLE / "reps.csv")
    ids = set(reps.loc[reps["region"] == REGION, "rep_id"])
    s = sales[sales["rep_id"].isin(ids)].merge(products[["product_id", "category"]])
    want = s.loc[s["category"].isin(["调味酱", "鸡精味精"]), "revenue"].sum() / s["revenue"].sum()
    assert a.category_share == pytest.approx(want, rel=1e-9)
    assert a.category_share_source == "data"
    assert fmt.percent(want) in pres.curves_say(a, "en").html
    fixed = cfg.model_copy(update={"incentives": Incentives(category_share=0.3)})
    b = analyse_incentives(ds, fixed, region=REGION, n_scenarios=10, seed=1)
    assert b.category_share == 0.3 and b.category_share_source == "config"
    assert "30.0%" in pres.curves_say(b, "zh").html
    nb = (ROOT / "notebooks" / "03_incentive_scenarios.ipynb").read_text(encoding="utf-8")
    assert not re.search(r"category_share\s*=\s*0\.\d", nb)
    assert category_share(s.assign(category=s["category"]), a.plans) == pytest.approx(want)


def test_gate_caveat_counts_rep_months_below_the_visit_gate(a):
    """Plan B's risk: rep-months of the comparison window with visit completion below 80% (or
    no planned visit), from visits.csv in plain pandas, as the caveat says."""
    v = pd.read_csv(SAMPLE / "visits.csv")
    reps = pd.read_csv(SAMPLE / "reps.csv")
    targets = pd.read_csv(SAMPLE / "targets.csv", dtype={"period": str})
    ids = set(reps.loc[reps["region"] == REGION, "rep_id"])
    v = v[v["rep_id"].isin(ids) & v["planned_date"].notna()]
    v["period"] = pd.to_datetime(v["planned_date"]).dt.strftime("%Y-%m")
    comp = v.assign(done=v["check_in"].notna()).groupby(["rep_id", "period"])["done"].mean()
    lo, hi = a.comparison_window
    t = targets[targets["rep_id"].isin(ids) & targets["period"].between(lo, hi)]
    cells = t[["rep_id", "period"]].drop_duplicates()
    vals = cells.merge(comp.rename("c").reset_index(), how="left")["c"]
    failed = int((vals.isna() | (vals < 0.8)).sum())
    g = a.gate_fail.set_index("plan").loc["candidate_b"]
    assert (g["failed"], g["rep_months"]) == (failed, len(cells))
    text = pres.gate_caveat(a, "candidate_b", "en")
    assert f"{failed} of {len(cells)} rep-months" in text
    # and the backtest pays no B commission exactly in those rep-months
    b = a.backtest.payouts[a.backtest.payouts["plan"] == "candidate_b"]
    b = b.merge(comp.rename("c").reset_index(), on=["rep_id", "period"], how="left")
    gated = b["c"].isna() | (b["c"] < 0.8)
    assert (b.loc[gated, "margin_commission"] == 0).all()
    assert int(gated.sum()) == failed
