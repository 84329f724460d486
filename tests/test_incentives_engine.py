"""Payout engine: published worked examples, hand-computed cases per component, and agreement of
the exact (Decimal) and vectorised (float64) engines to the cent."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ars_analysis.incentives import Plan, payout, round_cents


def _one(rev, target=None, rep="A", periods=None):
    """Sales and targets of one rep over len(rev) months."""
    periods = periods or [f"2025-{m:02d}" for m in range(1, len(rev) + 1)]
    target = (
        [1.0] * len(rev)
        if target is None
        else ([target] * len(rev) if np.isscalar(target) else target)
    )
    sales = pd.DataFrame({"rep_id": rep, "period": periods, "revenue": rev})
    targets = pd.DataFrame({"rep_id": rep, "period": periods, "target_revenue": target})
    return sales, targets


def _both(plan, sales, targets, **kw):
    a = payout(plan, sales, targets, engine="exact", **kw)
    b = payout(plan, sales, targets, engine="vector", **kw)
    cols = plan.component_names + ["incentive", "total_pay"]
    pd.testing.assert_frame_equal(a[cols], b[cols], check_exact=False, atol=1e-9, rtol=0)
    return a


def _plan(**kw):
    return Plan.from_dict({"name": "t", **kw})


def _comm(tiers, **kw):
    return {"name": "c", "tiers": [{"from": f, "rate": r} for f, r in tiers], **kw}


# ------------------------------------------------------------------ published worked examples

GP_TIERS = [(0, 0.02), (200, 0.03), (500, 0.04), (1000, 0.055)]


def test_epicor_eclipse_gp_tiers_marginal():
    """Epicor Eclipse online help, "Tiered Commission Plan Details" (commission on GP$ with GP$
    ranges; help page PRICE/PRICE_CON_TieredCommissionPlanDetails.htm):
    GP$ 1,200 over the ranges 0-200 at 2%, 200-500 at 3%, 500-1,000 at 4%, above at 5.5%:
    $4.00 + $9.00 + $20.00 + $11.00 = $44.00 (tiered), versus $66.00 at 5.5% on the whole."""
    plan = _plan(commissions=[_comm(GP_TIERS, measure="gross_margin", basis="amount")])
    sales, targets = _one([5000.0], target=5000.0)
    sales["gross_margin"] = 1200.0
    assert _both(plan, sales, targets)["c"].iloc[0] == 44.00


def test_epicor_eclipse_gp_tiers_retroactive():
    """Same page: without tiered calculation the whole GP$ 1,200 is paid at the rate of the range
    reached (5.5%) = $66.00 - a retroactive rate table."""
    plan = _plan(
        commissions=[_comm(GP_TIERS, measure="gross_margin", basis="amount", mode="retroactive")]
    )
    sales, targets = _one([5000.0], target=5000.0)
    sales["gross_margin"] = 1200.0
    assert _both(plan, sales, targets)["c"].iloc[0] == 66.00


def test_excelforum_over_quota_accelerators():
    """ExcelForum thread 861932 (quarterly quota accelerators):
    https://excelforum.com/excel-formulas-and-functions/861932-vlookup-for-multiple-results-without-duplicates-prev-thread.html
    Quota 100,000; 5% up to quota, +1% (6%) from 100,000 to 125,000, another +1% (7%) above:
    150,000 of sales pays $5,000 + $1,500 + $1,750 = $8,250 (marginal tiers on attainment)."""
    plan = _plan(commissions=[_comm([(0, 0.05), (1.0, 0.06), (1.25, 0.07)], basis="attainment")])
    sales, targets = _one([150_000.0], target=100_000.0)
    out = _both(plan, sales, targets)
    assert out["c"].iloc[0] == 8250.00
    # the same table as amounts gives the same figure
    plan2 = _plan(
        commissions=[_comm([(0, 0.05), (100_000, 0.06), (125_000, 0.07)], basis="amount")]
    )
    assert _both(plan2, sales, targets)["c"].iloc[0] == 8250.00


def test_oracle_siebel_recoverable_draw():
    """Oracle Siebel Incentive Compensation Administration Guide, "Recoverable Draw Scenario":
    https://docs.oracle.com/cd/E05553_01/books/InCompAdm/InCompAdmPlanDesign8.html
    Draw $2,000/month; gross earnings 2,750, 3,000, 1,500, 2,375, 3,000, 2,750 give net earnings
    2,750, 3,000, 2,000, 2,000, 2,875, 2,750 (the $500 advanced in March is recovered $375 in
    April and $125 in May)."""
    plan = _plan(commissions=[_comm([(0, 0.1)], basis="amount")], draw={"amount": 2000})
    earned = [2750, 3000, 1500, 2375, 3000, 2750]
    sales, targets = _one([e * 10.0 for e in earned], target=30_000.0)
    out = _both(plan, sales, targets)
    assert out["c"].tolist() == earned
    assert out["incentive"].tolist() == [2750, 3000, 2000, 2000, 2875, 2750]
    assert out["draw"].tolist() == [0, 0, 500, -375, -125, 0]


def test_xactly_recoverable_vs_non_recoverable_draw():
    """Xactly, "The Non-Recoverable Draw Against Commission":
    https://www.xactlycorp.com/blog/non-recoverable-draw/
    $1,500 draw; August commissions $500 -> paid $1,500; September $3,000 -> $2,000 with a
    recoverable draw (the $1,000 is repaid), $3,000 with a non-recoverable draw."""
    sales, targets = _one([5000.0, 30000.0], target=10000.0)
    rec = _plan(
        commissions=[_comm([(0, 0.1)], basis="amount")], draw={"amount": 1500, "recoverable": True}
    )
    non = _plan(
        commissions=[_comm([(0, 0.1)], basis="amount")], draw={"amount": 1500, "recoverable": False}
    )
    assert _both(rec, sales, targets)["incentive"].tolist() == [1500, 2000]
    assert _both(non, sales, targets)["incentive"].tolist() == [1500, 3000]


# --------------------------------------------------------------- hand-computed, per component


def test_quotapath_style_retroactive_attainment_table():
    """QuotaPath's "Commission with Accelerators" template table (5% under 50%, 10% to 100%, 12%
    to 150%, 15% above, on all deals closed): hand-computed at 120% of a 33,000 quota:
    39,600 x 12% = 4,752.00; at 49% 16,170 x 5% = 808.50."""
    plan = _plan(
        commissions=[_comm([(0, 0.05), (0.5, 0.10), (1.0, 0.12), (1.5, 0.15)], mode="retroactive")]
    )
    sales, targets = _one([39_600.0, 16_170.0], target=33_000.0)
    assert _both(plan, sales, targets)["c"].tolist() == [4752.00, 808.50]


def test_interpolated_rate():
    # rate moves from 2% at 0 to 4% at 100%: at 50% the rate is 3% of 500 = 15; above: flat 4%
    plan = _plan(commissions=[_comm([(0, 0.02), (1.0, 0.04)], mode="interpolated")])
    sales, targets = _one([500.0, 1500.0], target=1000.0)
    assert _both(plan, sales, targets)["c"].tolist() == [15.00, 60.00]


def test_cumulative_marginal_and_retroactive_true_up():
    sales, targets = _one([800.0, 800.0, 0.0], target=1000.0)
    marg = _plan(
        commissions=[_comm([(0, 0.01), (1000, 0.02)], basis="amount", application="cumulative")]
    )
    # YTD 800 -> 8; YTD 1600 -> 10 + 12 = 22 (pays 14); YTD unchanged -> 0
    assert _both(marg, sales, targets)["c"].tolist() == [8.00, 14.00, 0.00]
    retro = _plan(
        commissions=[
            _comm(
                [(0, 0.01), (1000, 0.02)],
                basis="amount",
                mode="retroactive",
                application="cumulative",
            )
        ]
    )
    # YTD 1600 at 2% = 32: the first 800 is trued up from 1% to 2% -> 24 paid in month 2
    assert _both(retro, sales, targets)["c"].tolist() == [8.00, 24.00, 0.00]
    # a new calendar year resets the YTD figures
    s2, t2 = _one([800.0, 800.0], target=1000.0, periods=["2024-12", "2025-01"])
    assert _both(marg, s2, t2)["c"].tolist() == [8.00, 8.00]


def test_per_period_tiers_reset_each_month():
    plan = _plan(commissions=[_comm([(0, 0.01), (1000, 0.02)], basis="amount")])
    sales, targets = _one([800.0, 800.0], target=1000.0)
    assert _both(plan, sales, targets)["c"].tolist() == [8.00, 8.00]


def test_per_transaction():
    plan = _plan(
        commissions=[_comm([(0, 0.01), (500, 0.02)], basis="amount", application="per_transaction")]
    )
    sales = pd.DataFrame(
        {"rep_id": "A", "period": ["2025-01", "2025-01"], "revenue": [400.0, 700.0]}
    )
    targets = pd.DataFrame({"rep_id": ["A"], "period": ["2025-01"], "target_revenue": [1000.0]})
    # 400 -> 4.00; 700 -> 5.00 + 4.00 = 9.00 (each deal on its own table); on the month's 1,100
    # a per-period table would pay 5 + 12 = 17
    assert _both(plan, sales, targets)["c"].tolist() == [13.00]


def test_threshold_and_caps():
    plan = _plan(commissions=[_comm([(0, 0.1)], threshold=0.6, cap_period=90, cap_year=200)])
    sales, targets = _one([590.0, 600.0, 1000.0, 800.0, 500.0], target=1000.0)
    # 59% -> nothing; 60 ; 100 capped at 90 ; 80 (YTD 230 -> only 50 fits under 200) ; 0 left
    assert _both(plan, sales, targets)["c"].tolist() == [0.00, 60.00, 90.00, 50.00, 0.00]


def test_category_and_margin_measures():
    plan = _plan(
        commissions=[
            _comm([(0, 0.1)], basis="amount", categories=["sauce"]),
            {
                "name": "gm",
                "measure": "gross_margin",
                "basis": "attainment",
                "mode": "retroactive",
                "tiers": [{"from": 0, "rate": 0.05}, {"from": 1.0, "rate": 0.1}],
            },
        ]
    )
    sales = pd.DataFrame(
        {
            "rep_id": "A",
            "period": "2025-01",
            "category": ["sauce", "oil"],
            "revenue": [300.0, 900.0],
            "gross_margin": [100.0, 200.0],
        }
    )
    targets = pd.DataFrame({"rep_id": ["A"], "period": ["2025-01"], "target_revenue": [1000.0]})
    out = _both(plan, sales, targets)
    assert out["c"].iloc[0] == 30.00  # 10% of the sauce revenue
    assert out["gm"].iloc[0] == 30.00  # 120% attainment -> 10% of the whole 300 margin
    with pytest.raises(ValueError, match="category"):
        payout(plan, sales.drop(columns="category"), targets)


def test_bonus_payout_curve():
    plan = _plan(
        bonus={
            "amount": 1000,
            "frequency": "month",
            "threshold": {"attainment": 0.8, "payout": 0.5},
            "target": {"attainment": 1.0, "payout": 1.0},
            "excellence": {"attainment": 1.3, "payout": 2.0},
        }
    )
    att = [0.79, 0.8, 0.9, 1.0, 1.15, 1.3, 1.6]
    sales, targets = _one([a * 1000 for a in att], target=1000.0)
    assert _both(plan, sales, targets)["bonus"].tolist() == [0, 500, 750, 1000, 1500, 2000, 2000]


def test_quarterly_bonus_paid_in_last_month_on_quarter_attainment():
    plan = _plan(
        bonus={
            "amount": 900,
            "threshold": {"attainment": 0.8, "payout": 0.5},
            "target": {"attainment": 1.0, "payout": 1.0},
        }
    )
    sales, targets = _one([500.0, 1000.0, 1200.0, 1000.0], target=1000.0)
    # Q1 attainment 2700/3000 = 90% -> factor 0.75 -> 675 in March; Q2 (April only) 100% -> 900
    assert _both(plan, sales, targets)["bonus"].tolist() == [0, 0, 675.00, 900.00]


def test_scorecard_and_gate():
    plan = _plan(
        commissions=[_comm([(0, 0.1)])],
        scorecard={
            "amount": 1000,
            "kpis": [
                {"column": "visit_completion", "weight": 0.5, "points": [[0.6, 0], [1.0, 1]]},
                {"column": "new_terminals", "weight": 0.5, "points": [[0, 0], [4, 1]]},
            ],
        },
        gates=[{"kpi": "visit_completion", "min": 0.8}],
    )
    sales = pd.DataFrame({"rep_id": ["A", "B", "C"], "period": "2025-01", "revenue": 1000.0})
    targets = sales.drop(columns="revenue").assign(target_revenue=1000.0)
    kpis = pd.DataFrame(
        {"rep_id": ["A", "B"], "visit_completion": [0.9, 0.7], "new_terminals": [2, 8]}
    )
    out = _both(plan, sales, targets, kpis=kpis).set_index("rep_id")
    # A: 0.5*0.75 + 0.5*0.5 = 0.625 -> 625; B: 0.5*0.25 + 0.5*1 = 0.625 -> 625 but gated
    assert out.loc["A", "scorecard"] == 625.00 and out.loc["B", "scorecard"] == 625.00
    assert out.loc["A", "c"] == 100.00 and out.loc["B", "c"] == 0.00
    assert out.loc["C", "c"] == 0.00 and out.loc["C", "scorecard"] == 0.00  # no KPI: no pay
    with pytest.raises(ValueError, match="visit_completion"):
        payout(plan, sales, targets)


def test_kpis_by_period():
    plan = _plan(commissions=[_comm([(0, 0.1)])], gates=[{"kpi": "vc", "min": 0.8}])
    sales, targets = _one([1000.0, 1000.0], target=1000.0)
    kpis = pd.DataFrame({"rep_id": "A", "period": ["2025-01", "2025-02"], "vc": [0.9, 0.5]})
    assert _both(plan, sales, targets, kpis=kpis)["c"].tolist() == [100.00, 0.00]


def _team(n=5):
    reps = pd.DataFrame(
        {"rep_id": list("ABCDEFG")[:n], "region": ["N", "N", "N", "S", "S", "S", "S"][:n]}
    )
    return reps


def test_honours_top_n_ties_and_share():
    reps = pd.DataFrame({"rep_id": list("ABCDEFG"), "region": list("NNNSSSS")})
    att = {"A": 1.2, "B": 1.2, "C": 0.9, "D": 1.5, "E": 1.1, "F": 1.0, "G": 0.7}
    sales = pd.DataFrame(
        {"rep_id": list(att), "period": "2025-03", "revenue": [a * 1000 for a in att.values()]}
    )
    targets = sales.drop(columns="revenue").assign(target_revenue=1000.0)
    plan = _plan(
        honours=[
            {"name": "top1", "amount": 500, "top_n": 1, "frequency": "quarter"},
            {
                "name": "top_half",
                "amount": 100,
                "top_share": 0.5,
                "frequency": "quarter",
                "min_attainment": 1.0,
            },
            {"name": "national", "amount": 50, "top_n": 2, "within": "all", "rank_by": "revenue"},
        ]
    )
    out = _both(plan, sales, targets, reps=reps).set_index("rep_id")
    # N: A and B tie for first -> both win; S: D
    assert sorted(out.index[out["top1"] > 0]) == ["A", "B", "D"]
    # top 50%: N ceil(1.5) = 2 -> A, B; S ceil(2) = 2 -> D, E (F at 100% ranks 3rd)
    assert sorted(out.index[out["top_half"] > 0]) == ["A", "B", "D", "E"]
    # national top 2 by revenue: D (1500), then A and B tie at 1200 -> all three
    assert sorted(out.index[out["national"] > 0]) == ["A", "B", "D"]


def test_team_bonus_on_regional_attainment():
    reps = pd.DataFrame({"rep_id": list("ABCD"), "region": list("NNSS")})
    sales = pd.DataFrame(
        {"rep_id": list("ABCD"), "period": "2025-01", "revenue": [1300.0, 800.0, 900.0, 1000.0]}
    )
    targets = sales.drop(columns="revenue").assign(target_revenue=1000.0)
    plan = _plan(team_bonuses=[{"name": "team", "amount": 300, "frequency": "month"}])
    out = _both(plan, sales, targets, reps=reps).set_index("rep_id")
    # N: 2100 / 2000 >= 100% -> both reps, including B at 80%; S: 95% -> nobody
    assert out["team"].to_dict() == {"A": 300.0, "B": 300.0, "C": 0.0, "D": 0.0}


def test_draw_forgiven_at_year_end():
    plan = _plan(
        commissions=[_comm([(0, 0.1)], basis="amount")],
        draw={"amount": 1000, "forgive_at_year_end": True},
    )
    sales, targets = _one([0.0, 20000.0], target=1.0, periods=["2024-12", "2025-01"])
    # December: 1000 advanced; January: the balance was forgiven -> the full 2000
    assert _both(plan, sales, targets)["incentive"].tolist() == [1000.0, 2000.0]


def test_rounding_half_up_once_per_line():
    # 0.5% of 201 = 1.005 -> 1.01 (half-up; binary float would give 1.00 with naive rounding)
    plan = _plan(base_pay=1000.004, commissions=[_comm([(0, 0.005)], basis="amount")])
    sales, targets = _one([201.0], target=100.0)
    out = _both(plan, sales, targets)
    assert out["c"].iloc[0] == 1.01
    assert round_cents(np.array([2.675, -2.675, 0.125]))[0] == 2.68
    assert list(round_cents(np.array([2.675, -2.675, 0.125]))) == [2.68, -2.68, 0.13]


def test_total_and_output_columns():
    plan = _plan(base_pay=5000, commissions=[_comm([(0, 0.02)])])
    sales, targets = _one([1000.0], target=1000.0)
    out = payout(plan, sales, targets)
    assert list(out.columns[:7]) == [
        "rep_id",
        "region",
        "period",
        "revenue",
        "target_revenue",
        "attainment",
        "base_pay",
    ]
    assert out["total_pay"].iloc[0] == 5020.00 and out["incentive"].iloc[0] == 20.00


def test_sales_without_target_are_left_out_with_warning():
    plan = _plan(commissions=[_comm([(0, 0.1)])])
    sales = pd.DataFrame({"rep_id": ["A", "B"], "period": "2025-01", "revenue": [100.0, 50.0]})
    targets = pd.DataFrame({"rep_id": ["A"], "period": ["2025-01"], "target_revenue": [100.0]})
    with pytest.warns(UserWarning, match="without a target"):
        out = payout(plan, sales, targets)
    assert out["rep_id"].tolist() == ["A"]


def test_bad_inputs_name_the_column():
    plan = _plan(commissions=[_comm([(0, 0.1)])])
    sales, targets = _one([1.0])
    with pytest.raises(ValueError, match="targets: missing column 'target_revenue'"):
        payout(plan, sales, targets.drop(columns="target_revenue"))
    with pytest.raises(ValueError, match="YYYY-MM"):
        payout(plan, sales, targets.assign(period="2025/01"))
    with pytest.raises(ValueError, match="engine"):
        payout(plan, sales, targets, engine="fast")


def _random_plan(rng, i):
    mode = ["marginal", "retroactive", "interpolated"][i % 3]
    app = ["per_period", "cumulative"][(i // 3) % 2]
    basis = ["attainment", "amount"][(i // 6) % 2]
    starts = [0.0, 0.8, 1.0, 1.3] if basis == "attainment" else [0.0, 800.0, 1000.0, 1300.0]
    tiers = [{"from": s, "rate": round(float(rng.uniform(0.005, 0.06)), 4)} for s in starts]
    d = {
        "name": f"r{i}",
        "base_pay": 100,
        "commissions": [
            {
                "name": "c",
                "mode": mode,
                "application": app,
                "basis": basis,
                "tiers": tiers,
                "threshold": 0.5 if i % 2 else None,
                "cap_period": 60.0 if i % 4 == 0 else None,
                "cap_year": 400.0 if i % 5 == 0 else None,
            },
            {
                "name": "gm",
                "measure": "gross_margin",
                "mode": mode,
                "application": app,
                "basis": basis,
                "tiers": tiers,
            },
        ],
        "bonus": {
            "amount": 333.33,
            "frequency": ["month", "quarter", "year"][i % 3],
            "threshold": {"attainment": 0.85, "payout": 0.3},
            "target": {"attainment": 1.0, "payout": 1.0},
            "excellence": {"attainment": 1.4, "payout": 1.7},
        },
        "scorecard": {
            "amount": 123.45,
            "kpis": [
                {"column": "k1", "weight": 0.3, "points": [[0.5, 0], [0.9, 1]]},
                {"column": "k2", "weight": 0.7, "points": [[0, 0], [3, 1]]},
            ],
        },
        "gates": [{"kpi": "k1", "min": 0.6, "applies_to": ["commissions", "bonus"]}],
        "honours": [{"name": "h", "amount": 77.7, "top_share": 0.3, "frequency": "quarter"}],
        "team_bonuses": [{"name": "tb", "amount": 55.5, "min_attainment": 0.95}],
        "draw": {"amount": 150, "recoverable": bool(i % 2), "forgive_at_year_end": i % 3 == 0},
    }
    return Plan.from_dict(d)


@pytest.mark.parametrize("i", range(12))
def test_exact_and_vector_engines_agree_to_the_cent(i):
    rng = np.random.default_rng(i)
    reps = pd.DataFrame({"rep_id": [f"R{j}" for j in range(9)], "region": list("NNNSSSWWW")})
    periods = [f"2024-{m:02d}" for m in range(7, 13)] + [f"2025-{m:02d}" for m in range(1, 7)]
    rows = [
        (r, p, round(float(rng.lognormal(np.log(1000), 0.35)), 2))
        for r in reps["rep_id"]
        for p in periods
    ]
    sales = pd.DataFrame(rows, columns=["rep_id", "period", "revenue"])
    sales["gross_margin"] = (sales["revenue"] * rng.uniform(0.1, 0.3, len(sales))).round(2)
    targets = sales[["rep_id", "period"]].assign(target_revenue=1000.0)
    targets = targets.drop(index=[3, 40])  # two rep-months off the plan
    kpis = pd.DataFrame(
        {"rep_id": reps["rep_id"], "k1": rng.uniform(0.4, 1.0, 9), "k2": rng.integers(0, 5, 9)}
    )
    plan = _random_plan(rng, i)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        out = _both(plan, sales, targets, reps=reps, kpis=kpis)
    assert out["incentive"].sum() > 0


def test_payout_from_attainment():
    plan = _plan(commissions=[_comm([(0, 0.05), (1.0, 0.06), (1.25, 0.07)])])
    targets = pd.DataFrame(
        {
            "rep_id": ["A", "A"],
            "period": ["2025-01", "2025-01"],
            "target_revenue": [60_000.0, 40_000.0],
        }
    )  # per-customer targets
    given = pd.DataFrame({"rep_id": ["A"], "period": ["2025-01"], "attainment": [1.5]})
    out = payout(plan, given, targets)
    assert out["revenue"].iloc[0] == 150_000.0 and out["c"].iloc[0] == 8250.00


@pytest.mark.parametrize("i", [0, 3, 7, 10])
def test_vector_engine_with_many_scenarios_matches_exact_per_scenario(i):
    """The Monte Carlo path (S scenarios at once) pays each scenario as the exact engine does."""
    from dataclasses import replace

    from ars_analysis.incentives.engine import vector_payout
    from ars_analysis.incentives.grid import build_grid
    from ars_analysis.incentives.reference import reference_payout

    rng = np.random.default_rng(100 + i)
    reps = pd.DataFrame({"rep_id": [f"R{j}" for j in range(6)], "region": list("NNNSSS")})
    periods = [f"2025-{m:02d}" for m in range(1, 13)]
    sales = pd.DataFrame(
        [(r, p, 1000.0, 200.0) for r in reps["rep_id"] for p in periods],
        columns=["rep_id", "period", "revenue", "gross_margin"],
    )
    targets = sales[["rep_id", "period"]].assign(target_revenue=1000.0)
    kpis = pd.DataFrame(
        {"rep_id": reps["rep_id"], "k1": rng.uniform(0.4, 1.0, 6), "k2": rng.integers(0, 5, 6)}
    )
    plan = _random_plan(rng, i)
    g = build_grid(plan, sales, targets, reps=reps, kpis=kpis)
    S = 4
    rev = np.round(rng.lognormal(np.log(1000), 0.4, (S, 6, 12)), 2)
    gm = np.round(rev * 0.2, 2)
    lines = vector_payout(plan, g, rev, {("revenue", None): rev, ("gross_margin", None): gm})
    for s in range(S):
        gs = replace(
            g,
            revenue=rev[s],
            measures={("revenue", None): rev[s], ("gross_margin", None): gm[s]},
            rows={},  # the grid's values replaced: no sales rows behind them any more
        )
        ref = reference_payout(plan, gs, exact=True)
        for name in plan.component_names:
            want = np.array([[float(v) for v in row] for row in ref[name]])
            np.testing.assert_allclose(lines[name][s], want, atol=1e-9, err_msg=name)
