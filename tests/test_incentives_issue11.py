"""Issue 11 (incentive scenarios): each test fails on the code before the fix.

* item 1  - KPI-gated pay only on months with a measured KPI; simulated KPIs drawn per month
* item 3  - a plan lists exactly the components it has
* item 4  - leverage against each rep's own target incentive
* item 5  - "incentive cost rate", not "cost of sales"
* item 15 - rank-correlation interval and p-value from one procedure
* item 18 - the exact engine sums several sales rows of a rep-month in Decimal
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ars_analysis.incentives import (
    AttainmentModel,
    Plan,
    backtest,
    payout,
    shipped_plans,
    simulate,
)


def test_exact_engine_sums_rows_of_a_month_in_decimal():
    """Item 18: 10.10 + 20.45 = 30.55; 10% of 30.55 = 3.055 -> 3.06 (half-up), both engines."""
    plan = Plan.from_dict(
        {
            "name": "p",
            "commissions": [{"name": "c", "basis": "amount", "tiers": [{"from": 0, "rate": 0.1}]}],
        }
    )
    sales = pd.DataFrame({"rep_id": ["A", "A"], "period": "2025-01", "revenue": [10.10, 20.45]})
    targets = pd.DataFrame({"rep_id": ["A"], "period": ["2025-01"], "target_revenue": [100.0]})
    exact = payout(plan, sales, targets, engine="exact")
    vector = payout(plan, sales, targets, engine="vector")
    assert exact["c"].tolist() == [3.06]
    assert vector["c"].tolist() == [3.06]


def test_component_names_are_the_components_the_plan_has():
    """Item 3: no bonus / scorecard / draw listed for a plan without them."""
    plans = {p.name: p for p in (Plan.from_yaml(f) for f in shipped_plans())}
    assert plans["current"].component_names == ["commission", "honour_top_rep"]
    assert plans["candidate_a"].component_names == [
        "commission",
        "bonus",
        "honour_top10",
        "team_region",
    ]
    # B's guarantee (draw) is listed, it has no target bonus
    assert plans["candidate_b"].component_names == [
        "margin_commission",
        "category_push",
        "scorecard",
        "draw",
    ]
    sales = pd.DataFrame({"rep_id": ["A"], "period": ["2025-01"], "revenue": [50.0]})
    targets = sales.rename(columns={"revenue": "target_revenue"})
    df = payout(plans["current"], sales, targets.assign(target_revenue=100.0))
    assert "bonus" not in df and "scorecard" not in df and "draw" not in df


def test_plan_names_and_descriptions_per_language():
    for f in shipped_plans():
        p = Plan.from_yaml(f)
        for lang in ("zh", "en"):
            assert p.title(lang) and p.describe(lang)
            for name in p.component_names:
                assert p.component_label(name, lang), (p.name, name, lang)
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in p.title("en") + p.describe("en"))


def test_leverage_uses_each_reps_own_target_incentive():
    """Item 4: a flat 1.2% plan pays a rep at 90.6% attainment 90.6% of its own target
    incentive, whatever one fixed ``target_incentive`` the plan file states."""
    plan = Plan.from_dict(
        {
            "name": "flat",
            "base_pay": 5000,
            "target_incentive": 3600,
            "commissions": [
                {"name": "c", "basis": "amount", "tiers": [{"from": 0, "rate": 0.012}]}
            ],
        }
    )
    sales = pd.DataFrame(
        {"rep_id": ["R001", "R002"], "period": "2025-01", "revenue": [906_000.0, 50_000.0]}
    )
    targets = pd.DataFrame(
        {"rep_id": ["R001", "R002"], "period": "2025-01", "target_revenue": [1e6, 100_000.0]}
    )
    res = backtest([plan], sales, targets)
    r = res.reps.set_index("rep_id")
    assert r.loc["R001", "target_incentive"] == pytest.approx(12_000.0)
    assert r.loc["R002", "target_incentive"] == pytest.approx(1_200.0)
    assert r.loc["R001", "pay_vs_target"] == pytest.approx(0.906)
    assert r.loc["R002", "pay_vs_target"] == pytest.approx(0.5)


def test_incentive_cost_rate_is_named_for_what_it_is():
    """Item 5: field-force pay / revenue is the incentive cost rate, not "cost of sales"."""
    from ars_analysis.labels import label

    plan = Plan.from_dict(
        {
            "name": "p",
            "base_pay": 10,
            "commissions": [{"name": "c", "tiers": [{"from": 0, "rate": 0.1}]}],
        }
    )
    sales = pd.DataFrame({"rep_id": ["A"], "period": ["2025-01"], "revenue": [100.0]})
    targets = sales.rename(columns={"revenue": "target_revenue"})
    s = backtest([plan], sales, targets).summary.iloc[0]
    assert "cost_of_sales" not in s.index
    assert s["incentive_cost_rate"] == pytest.approx((10 + 10) / 100)
    assert s["variable_pay_rate"] == pytest.approx(10 / 100)
    assert label("incentives.incentive_cost_rate", "zh") == "人力激励费用率"
    from ars_analysis.labels import has_label

    assert not has_label("incentives.cost_of_sales")


@pytest.mark.parametrize("seed", range(40))
def test_rank_correlation_interval_and_p_value_agree(seed):
    """Item 15: p < 0.05 exactly when the 95% interval excludes 0; at level 1 - p the interval
    touches 0 (one procedure)."""
    from ars_analysis.incentives import rank_correlation

    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 40))
    x = rng.normal(size=n)
    y = 0.4 * x + rng.normal(size=n)
    r = rank_correlation(x, y)
    assert (r["p"] < 0.05) == (r["low"] > 0 or r["high"] < 0)
    edge = rank_correlation(x, y, level=1 - r["p"])
    assert min(abs(edge["low"]), abs(edge["high"])) == pytest.approx(0, abs=1e-9)
    assert (
        rank_correlation([1, 2, 3], [3, 2, 1])["rho"]
        != rank_correlation([1, 2, 3], [3, 2, 1])["rho"]
    )


def _months(n, year=2025):
    return [f"{year + (m // 12)}-{m % 12 + 1:02d}" for m in range(n)]


def _gated_setup():
    """24 months of sales; KPIs measured in the last 3 months only."""
    rng = np.random.default_rng(5)
    reps = pd.DataFrame({"rep_id": [f"R{i}" for i in range(6)], "region": ["N"] * 6})
    periods = _months(24, 2024)
    sales = pd.DataFrame(
        [(r, p, float(rng.lognormal(0, 0.2)) * 10_000) for r in reps["rep_id"] for p in periods],
        columns=["rep_id", "period", "revenue"],
    )
    targets = sales[["rep_id", "period"]].assign(target_revenue=10_000.0)
    kpi_periods = periods[-3:]
    # R0: gate met in 2 of 3 measured months; R1..R5 always met
    kpis = pd.DataFrame(
        [
            (r, p, 0.7 if (r == "R0" and p == kpi_periods[0]) else 0.9)
            for r in reps["rep_id"]
            for p in kpi_periods
        ],
        columns=["rep_id", "period", "visit_completion"],
    )
    plan = Plan.from_dict(
        {
            "name": "gated",
            "base_pay": 100,
            "commissions": [{"name": "c", "basis": "amount", "tiers": [{"from": 0, "rate": 0.1}]}],
            "gates": [{"kpi": "visit_completion", "min": 0.8}],
            "draw": {"amount": 150, "recoverable": False},
        }
    )
    flat = Plan.from_dict(
        {
            "name": "flat",
            "base_pay": 100,
            "commissions": [{"name": "c", "basis": "amount", "tiers": [{"from": 0, "rate": 0.1}]}],
        }
    )
    return plan, flat, sales, targets, reps, kpis, kpi_periods


def test_backtest_pays_kpi_gated_plans_only_on_measured_months():
    """Item 1: a KPI measured in 3 months is not applied to 24 months of history."""
    plan, flat, sales, targets, reps, kpis, kpi_periods = _gated_setup()
    res = backtest([flat, plan], sales, targets, reps=reps, kpis=kpis)
    assert sorted(res.payouts["period"].unique()) == kpi_periods
    assert res.comparison_window == (kpi_periods[0], kpi_periods[-1]) == res.kpi_window
    assert res.summary.set_index("plan")["months"].eq(3).all()
    # same months for both plans: the difference is R0's one gated month (commission -> draw)
    s = sales[sales["period"].isin(kpi_periods)]
    r0_m0 = s[(s["rep_id"] == "R0") & (s["period"] == kpi_periods[0])]["revenue"].iloc[0]
    diff = res.summary.set_index("plan")["incentive_cost"].diff().iloc[-1]
    assert diff == pytest.approx(150 - round(0.1 * r0_m0, 2), abs=0.011)


def test_monte_carlo_draws_each_reps_kpis_from_its_measured_months():
    """Item 1: in the simulation the rep gated in 1 of 3 measured months is gated in about a
    third of the simulated months (bootstrap), not in all or none of them."""
    plan, flat, sales, targets, reps, kpis, kpi_periods = _gated_setup()
    future = targets[targets["period"].isin(_months(12, 2025))]
    model = AttainmentModel().fit(sales, targets, reps)
    sim = simulate([flat, plan], model, sales, future, reps=reps, kpis=kpis, n_scenarios=400)
    s = sim.summary.set_index("plan")
    # expected incentive of R0 under the gate: 2/3 of the months commission, 1/3 the draw
    inc_flat = s.loc["flat", "total_cost_mean"]
    inc_gated = s.loc["gated", "total_cost_mean"]
    months = 12
    mean_comm_r0 = (inc_flat - 100 * 6 * months) / 6 / months  # a rep's mean monthly commission
    expected = months * (150 - mean_comm_r0) / 3  # R0 alone changes, in a third of the months
    assert inc_gated - inc_flat == pytest.approx(expected, rel=0.15)
    # and the P10 of rep earnings is not the draw x months for everyone (no collapsed spread)
    assert s.loc["gated", "earnings_p10"] < s.loc["gated", "earnings_p90"]


def test_plan_overview_lists_exactly_each_plans_components_in_the_report_language():
    """Item 3 (report side) and plan texts: components a plan does not have are not listed,
    B's guarantee is; names and descriptions in the report's language only, never cut."""
    from types import SimpleNamespace

    from ars_analysis.presentation import incentives as pres

    plans = [Plan.from_yaml(f) for f in shipped_plans()]
    a = SimpleNamespace(plans=plans)
    zh = pres.plans_table(a, "zh").display_frame()
    en = pres.plans_table(a, "en").display_frame()
    assert zh.loc[0, "plan"] == "现行方案" and en.loc[0, "plan"] == "Current plan"
    assert "目标奖金" not in zh.loc[0, "components"] and "保底" not in zh.loc[0, "components"]
    assert "保底" in zh.loc[2, "components"] and "Monthly guarantee" in en.loc[2, "components"]
    assert "Target bonus" not in en.loc[2, "components"]
    for col in ("plan", "components", "description"):
        assert not en[col].str.contains("[\u4e00-\u9fff]").any(), col
        assert not en[col].str.contains(r"\.\.\.|…").any()
        assert not zh[col].str.contains("commission|bonus|scorecard|draw").any(), col
    assert en.loc[2, "description"] == plans[2].describe("en")
