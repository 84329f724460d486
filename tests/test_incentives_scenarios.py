"""Backtest, Monte Carlo simulation, sensitivity and charts of incentive plans."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from scipy import stats  # noqa: E402

from ars_analysis.charts import incentives as ch  # noqa: E402
from ars_analysis.incentives import (  # noqa: E402
    AttainmentModel,
    Plan,
    backtest,
    payout_curve,
    sensitivity,
    shipped_plans,
    simulate,
)
from ars_analysis.labels import label  # noqa: E402

FLAT = Plan.from_dict(
    {
        "name": "flat",
        "base_pay": 100,
        "target_incentive": 20,
        "commissions": [{"name": "c", "tiers": [{"from": 0, "rate": 0.02}]}],
    }
)
TIERED = Plan.from_dict(
    {
        "name": "tiered",
        "base_pay": 100,
        "target_incentive": 20,
        "commissions": [
            {"name": "c", "tiers": [{"from": 0, "rate": 0.01}, {"from": 1.0, "rate": 0.05}]}
        ],
    }
)


def _history(n_reps=8, months=12, seed=0):
    rng = np.random.default_rng(seed)
    reps = pd.DataFrame(
        {"rep_id": [f"R{i}" for i in range(n_reps)], "region": ["N", "S"] * (n_reps // 2)}
    )
    periods = [f"2025-{m:02d}" for m in range(1, months + 1)]
    rows = [(r, p, float(rng.lognormal(0, 0.3)) * 1000) for r in reps["rep_id"] for p in periods]
    sales = pd.DataFrame(rows, columns=["rep_id", "period", "revenue"])
    targets = sales[["rep_id", "period"]].assign(target_revenue=1000.0)
    return sales, targets, reps


def test_backtest_summary_by_hand():
    sales = pd.DataFrame(
        {"rep_id": list("ABCD"), "period": "2025-01", "revenue": [500.0, 900.0, 1100.0, 1500.0]}
    )
    targets = sales.drop(columns="revenue").assign(target_revenue=1000.0)
    res = backtest([FLAT, TIERED], sales, targets)
    s = res.summary.set_index("plan")
    # flat: 2% of 4000 = 80; tiered: 1% of 4000 + 4% of (100 + 500) above target = 40 + 24 = 64
    assert s.loc["flat", "incentive_cost"] == 80.0 and s.loc["tiered", "incentive_cost"] == 64.0
    assert s.loc["flat", "total_cost"] == 480.0
    assert s.loc["tiered", "incentive_cost_rate"] == pytest.approx(464 / 4000)
    assert s.loc["flat", "share_at_quota"] == 0.5
    inc = res.reps[res.reps["plan"] == "tiered"]["incentive"].to_numpy()
    assert inc.tolist() == [5.0, 9.0, 15.0, 35.0]
    rho = stats.spearmanr(inc, [0.5, 0.9, 1.1, 1.5])[0]
    assert s.loc["tiered", "spearman"] == pytest.approx(rho)
    # leverage: 90th percentile of incentive / each rep's own target incentive (what the plan
    # pays at 100% of the rep's target: 1% of 1000 = 10), not the plan's stated 20
    assert s.loc["tiered", "leverage_p90"] == pytest.approx(np.percentile([5, 9, 15, 35], 90) / 10)
    chg = res.changes.set_index("rep_id")
    assert chg.loc["A", "change"] == -5.0 and chg.loc["D", "change"] == 5.0
    assert res.baseline == "flat"
    assert set(res.payouts["plan"]) == {"flat", "tiered"}


def test_backtest_target_incentive_computed_at_100_percent():
    p = Plan.from_dict(
        {
            "name": "noti",
            "commissions": [
                {"name": "c", "tiers": [{"from": 0, "rate": 0.01}, {"from": 1.0, "rate": 0.05}]}
            ],
            "bonus": {
                "amount": 10,
                "frequency": "month",
                "threshold": {"attainment": 0.9, "payout": 0.5},
                "target": {"attainment": 1.0, "payout": 1.0},
            },
        }
    )
    sales, targets, reps = _history(4, 3)
    res = backtest([p], sales, targets, reps=reps)
    # at 100%: 1% of 1000 + bonus 10 = 20 per month, 3 months
    assert (res.reps["target_incentive"] == 60.0).all()
    with pytest.raises(ValueError, match="names must be unique"):
        backtest([p, p], sales, targets)


def test_payout_curve_flat_and_tiered():
    c = payout_curve(TIERED, [0.5, 1.0, 1.5], target=1000, months=12)
    # per month: 5, 10, 10 + 25 = 35
    assert c["incentive_per_month"].tolist() == [5.0, 10.0, 35.0]
    assert c["effective_rate"].iloc[0] == pytest.approx(0.01)


def test_attainment_model_recovers_parameters():
    rng = np.random.default_rng(3)
    R, T, regions = 60, 48, ["N", "S", "E"]
    region = np.array([regions[i % 3] for i in range(R)])
    mu = rng.normal(-0.05, 0.1, R)
    tau = {"N": 0.1, "S": 0.2, "E": 0.05}
    z = {g: rng.standard_normal(T) for g in regions}
    la = (
        mu[:, None] + np.array([tau[g] * z[g] for g in region]) + 0.25 * rng.standard_normal((R, T))
    )
    periods = [f"{2020 + t // 12}-{t % 12 + 1:02d}" for t in range(T)]
    reps = pd.DataFrame({"rep_id": [f"R{i:02d}" for i in range(R)], "region": region})
    sales = pd.DataFrame(
        {
            "rep_id": np.repeat(reps["rep_id"], T),
            "period": periods * R,
            "revenue": np.exp(la).ravel() * 1000,
        }
    )
    targets = sales.drop(columns="revenue").assign(target_revenue=1000.0)
    m = AttainmentModel(shrinkage=0).fit(sales, targets, reps)
    fitted = m.reps_.set_index("rep_id")
    assert np.corrcoef(fitted["mu"], mu)[0, 1] > 0.9
    assert fitted["sigma"].median() == pytest.approx(0.25, rel=0.1)
    t = m.regions_.set_index("region")["tau"]
    assert t["S"] > t["N"] > t["E"]
    assert t["S"] == pytest.approx(0.2, rel=0.3)
    # shrinkage pulls a rep with 2 months of history towards its region
    short = sales[~((sales["rep_id"] == "R00") & (sales["period"] > "2020-02"))]
    ts = targets[~((targets["rep_id"] == "R00") & (targets["period"] > "2020-02"))]
    m2 = AttainmentModel(shrinkage=12).fit(short, ts, reps).reps_.set_index("rep_id")
    raw = np.log(short[short["rep_id"] == "R00"]["revenue"] / 1000).mean()
    reg_mu = m.regions_.set_index("region").loc["N", "mu"]
    assert abs(m2.loc["R00", "mu"] - reg_mu) < abs(raw - reg_mu)
    # regional shocks: reps of one region move together
    from ars_analysis.incentives.grid import build_grid

    g = build_grid(FLAT, sales, targets, reps=reps)
    a = np.log(m.sample(g, 2000, np.random.default_rng(0)))[:, :, 0]
    same = np.corrcoef(a[:, 3], a[:, 6])[0, 1]  # both N
    other = np.corrcoef(a[:, 3], a[:, 4])[0, 1]  # N vs S
    assert same > 0.05 and abs(other) < 0.05


def test_simulate_flat_plan_costs_rate_times_revenue():
    sales, targets, reps = _history()
    m = AttainmentModel().fit(sales, targets, reps)
    res = simulate(
        [FLAT, TIERED],
        m,
        sales,
        targets,
        reps=reps,
        n_scenarios=300,
        seed=2,
        budget=2400.0,
        chunk_size=64,
    )
    sc = res.scenarios[res.scenarios["plan"] == "flat"]
    cells = len(targets)
    # each line is rounded to the cent: |error| <= 0.005 per rep-month
    assert np.abs(sc["incentive_cost"] - 0.02 * sc["revenue"]).max() <= 0.005 * cells
    assert (sc["total_cost"] - sc["incentive_cost"]).round(6).eq(100 * cells).all()
    s = res.summary.set_index("plan")
    assert s.loc["flat", "prob_over_budget"] == pytest.approx((sc["total_cost"] > 2400).mean())
    assert s.loc["flat", "revenue_mean"] == s.loc["tiered", "revenue_mean"]  # same scenarios
    assert 0 < s.loc["flat", "share_at_quota_mean"] < 1
    assert s.loc["flat", "earnings_p10"] < s.loc["flat", "earnings_p90"]
    assert len(res.scenarios) == 600


def test_simulate_is_deterministic_across_threads():
    sales, targets, reps = _history()
    m = AttainmentModel().fit(sales, targets, reps)
    a = simulate([TIERED], m, sales, targets, reps=reps, n_scenarios=120, seed=5, chunk_size=25)
    b = simulate(
        [TIERED], m, sales, targets, reps=reps, n_scenarios=120, seed=5, chunk_size=25, n_jobs=2
    )
    pd.testing.assert_frame_equal(a.scenarios, b.scenarios)


def test_elasticity_is_off_by_default_and_moves_sales_when_on():
    sales, targets, reps = _history()
    m = AttainmentModel().fit(sales, targets, reps)
    double = Plan.from_dict(
        {
            "name": "double",
            "base_pay": 100,
            "commissions": [{"name": "c", "tiers": [{"from": 0, "rate": 0.04}]}],
        }
    )
    off = simulate([FLAT, double], m, sales, targets, n_scenarios=100, seed=1).summary
    assert off["revenue_mean"].nunique() == 1 and (off["response_multiplier"] == 1).all()
    on = simulate(
        [FLAT, double], m, sales, targets, n_scenarios=100, seed=1, elasticity=0.5
    ).summary.set_index("plan")
    # marginal incentive doubles -> attainment x 2 ** 0.5
    assert on.loc["double", "response_multiplier"] == pytest.approx(2**0.5, rel=1e-3)
    assert on.loc["double", "revenue_mean"] / on.loc["flat", "revenue_mean"] == pytest.approx(
        2**0.5, rel=1e-3
    )


def test_simulate_rejects_per_transaction_plans():
    sales, targets, reps = _history(4, 3)
    m = AttainmentModel().fit(sales, targets)
    p = Plan.from_dict(
        {
            "name": "tx",
            "commissions": [
                {
                    "name": "c",
                    "basis": "amount",
                    "application": "per_transaction",
                    "tiers": [{"from": 0, "rate": 0.01}],
                }
            ],
        }
    )
    with pytest.raises(ValueError, match="per transaction"):
        simulate([p], m, sales, targets, n_scenarios=10)


def test_sensitivity_of_flat_rate():
    sales, targets, reps = _history()
    m = AttainmentModel().fit(sales, targets, reps)
    t = sensitivity(FLAT, m, sales, targets, n_scenarios=100, seed=0).set_index("parameter")
    assert list(t.index) == ["rates"]
    incentive = t.loc["rates", "base"] - 100 * len(targets)
    assert t.loc["rates", "high"] - t.loc["rates", "base"] == pytest.approx(
        0.2 * incentive, rel=1e-3
    )
    assert t.loc["rates", "swing"] == pytest.approx(0.4 * incentive, rel=1e-3)


def test_shipped_plans_on_history_with_kpis():
    sales, targets, reps = _history()
    kpi_periods = ["2025-10", "2025-11", "2025-12"]  # the visit log covers 3 of 12 months
    kpis = pd.DataFrame(
        [
            (r, p, 0.6 + 0.05 * i + (0.1 if p == "2025-11" else 0.0), 0.5, 2)
            for i, r in enumerate(reps["rep_id"])
            for p in kpi_periods
        ],
        columns=["rep_id", "period", "visit_completion", "top_terminal_coverage", "new_terminals"],
    )
    sales["gross_margin"] = sales["revenue"] * 0.2
    sales["category"] = "调味酱"
    plans = [Plan.from_yaml(p) for p in shipped_plans()]
    res = backtest(plans, sales, targets, reps=reps, kpis=kpis)
    assert (res.summary["incentive_cost"] > 0).all()
    # every plan is paid on the KPI months only, and the windows say so
    assert set(res.payouts["period"]) == set(kpi_periods)
    assert res.comparison_window == res.kpi_window == ("2025-10", "2025-12")
    b = res.payouts[res.payouts["plan"] == plans[2].name].merge(kpis, on=["rep_id", "period"])
    gated = b["visit_completion"] < 0.8
    assert (b.loc[gated, "margin_commission"] == 0).all()
    assert (b.loc[~gated, "margin_commission"] != 0).any()
    # KPIs without months cannot be spread over the history
    with pytest.raises(ValueError, match="monthly KPIs"):
        backtest(plans, sales, targets, reps=reps, kpis=kpis.drop(columns="period"))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_return_labelled_axes(lang):
    sales, targets, reps = _history()
    res = backtest([FLAT, TIERED], sales, targets, reps=reps)
    m = AttainmentModel().fit(sales, targets, reps)
    sim = simulate([FLAT, TIERED], m, sales, targets, n_scenarios=50)
    curves = pd.concat([payout_curve(p, [0, 1, 2]) for p in (FLAT, TIERED)])
    sens = sensitivity(TIERED, m, sales, targets, n_scenarios=20)
    axes = [
        ch.plot_payout_curves(curves, lang=lang),
        ch.plot_earnings_vs_attainment(res.reps, lang=lang),
        ch.plot_cost_distribution(sim.scenarios, budget=2500, lang=lang),
        ch.plot_winners_losers(res.changes, "tiered", lang=lang),
        ch.plot_tornado(sens, plan="tiered", lang=lang),
    ]
    assert axes[0].get_title() == label("incentives.payout_curves_title", lang)
    assert axes[2].get_xlabel() == label("incentives.total_cost", lang)
    assert axes[4].get_yticklabels()[0].get_text() == label("incentives.param_rates", lang)
    assert all(ax.get_title() for ax in axes)
    plt.close("all")
