"""What-if controls: the logic functions, and the widgets driven like a person would.

Fast tests use small hand-made plans and data, with the backtest's exact (Decimal) engine as the
independent reference of the what-if's vector-engine numbers. Slow tests drive the controls on
the sample data and check that, left at the report's settings, they show the report's numbers,
and that each control moves its outputs the way it must; "save as scenario" files are read
back by the loaders ``ars render`` uses. Speed is measured in benchmarks/bench_whatif.py.
"""

from __future__ import annotations

import json
import warnings

import pandas as pd
import pytest
import yaml

from ars_analysis.client import load_client_config
from ars_analysis.incentives import AttainmentModel, Plan, PlanError, backtest, shipped_plans
from ars_analysis.whatif import (
    IncentiveInputs,
    IncentiveWhatIf,
    edit_plan,
    edit_scorecard,
    grading_settings,
    live_kernel,
    plan_settings,
    save_client_config,
    save_plan,
    save_scorecard,
    scorecard_spec,
)

pytest.importorskip("ipywidgets")

# --------------------------------------------------------------------------------------------
# plans: settings, edits, saving
# --------------------------------------------------------------------------------------------


def test_plan_settings_cover_tiers_thresholds_caps_gates_and_the_bonus_curve():
    a, b = (Plan.from_yaml(p) for p in shipped_plans()[1:])
    s = plan_settings(a)
    assert s["commissions.0.tiers.0.rate"] == 0.008 and s["commissions.0.tiers.2.from"] == 1.5
    assert s["commissions.0.threshold"] == 0.6 and s["commissions.0.cap_period"] == 15000
    assert s["bonus.excellence.payout"] == 1.8 and "commissions.0.tiers.0.from" not in s
    assert plan_settings(b)["gates.0.min"] == 0.8
    assert "commissions.0.threshold" not in plan_settings(b)  # only settings the plan has


def test_edit_plan_changes_one_setting_and_validates():
    a = Plan.from_yaml(shipped_plans()[1])
    b = edit_plan(a, {"commissions.0.threshold": 0.7, "bonus.target.payout": 1.2})
    assert b.commissions[0].threshold == 0.7 and b.bonus.target.payout == 1.2
    assert b.commissions[0].tiers == a.commissions[0].tiers and b.name == a.name
    assert edit_plan(a, {}, plan_id="x").name == "x"
    assert edit_plan(a, {}, plan_id="x").title("en").endswith("(what-if)")
    with pytest.raises(PlanError, match="commissions.0.tiers.9.rate"):
        edit_plan(a, {"commissions.0.tiers.9.rate": 0.1})
    with pytest.raises(PlanError, match="tiers"):  # bounds out of order: the schema says so
        edit_plan(a, {"commissions.0.tiers.1.from": 2.0})


def test_save_plan_writes_a_plan_file_that_reads_back(tmp_path):
    a = edit_plan(Plan.from_yaml(shipped_plans()[2]), {"gates.0.min": 0.7}, plan_id="b_whatif")
    path = save_plan(a, tmp_path / "scenarios" / "b_whatif.yml")
    back = Plan.from_yaml(path)
    assert back.name == "b_whatif" and back.gates[0].min == 0.7
    assert plan_settings(back) == plan_settings(a)


def _small_inputs(plans):
    sales = pd.DataFrame({
        "rep_id": ["x", "y", "z"] * 3,
        "period": ["2025-01"] * 3 + ["2025-02"] * 3 + ["2025-03"] * 3,
        "revenue": [800.0, 1200.0, 1500.0, 900.0, 1000.0, 2000.0, 700.0, 1300.0, 1100.0],
    })  # fmt: skip
    targets = sales.drop(columns="revenue").assign(target_revenue=1000.0)
    reps = pd.DataFrame({"rep_id": ["x", "y", "z"], "region": ["华东", "华东", "华南"]})
    model = AttainmentModel().fit(sales, targets, reps)
    window = ["2025-01", "2025-02", "2025-03"]
    return IncentiveInputs(sales, targets, reps, None, window, targets, model, budget=300.0)


def test_incentive_whatif_agrees_with_the_exact_backtest():
    base = Plan.from_dict({"name": "base", "base_pay": 10, "commissions": [{"name": "c",
                           "tiers": [{"from": 0, "rate": 0.02}]}]})  # fmt: skip
    cand = Plan.from_dict({"name": "cand", "base_pay": 10, "commissions": [{"name": "c",
                           "threshold": 0.8, "cap_period": 60,
                           "tiers": [{"from": 0, "rate": 0.01}, {"from": 1.0, "rate": 0.05}]}]})  # fmt: skip
    inputs = _small_inputs([base, cand])
    engine = IncentiveWhatIf(inputs, base, n_scenarios=50)
    for rate in (0.03, 0.05, 0.09):
        plan = edit_plan(cand, {"commissions.0.tiers.1.rate": rate})
        got = engine.evaluate(plan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            ref = backtest([base, plan], inputs.sales, inputs.targets, reps=inputs.reps)
        row = ref.summary.set_index("plan").loc["cand"]
        assert got["total_cost"] == pytest.approx(row["total_cost"], abs=0.01)
        assert got["incentive_cost_rate"] == pytest.approx(row["incentive_cost_rate"], rel=1e-9)
        assert got["change_vs_baseline"] == pytest.approx(row["change_vs_baseline"], abs=0.01)
        assert (got["n_up"], got["n_down"]) == (row["n_up"], row["n_down"])
        per = ref.reps.set_index(["plan", "rep_id"]).loc["cand", "incentive"]
        assert got["payout_p50"] == pytest.approx(per.median(), abs=0.01)
        assert 0.0 <= got["prob_over_budget"] <= 1.0
    # a higher accelerator never costs less
    costs = [engine.evaluate(edit_plan(cand, {"commissions.0.tiers.1.rate": r}),
                             simulate_budget=False)["total_cost"] for r in (0.02, 0.05, 0.1)]  # fmt: skip
    assert costs == sorted(costs) and costs[0] < costs[-1]


# --------------------------------------------------------------------------------------------
# scorecard and client configuration scenarios
# --------------------------------------------------------------------------------------------


def test_edit_scorecard_renormalises_weights_and_moves_grade_bounds():
    spec = scorecard_spec()
    s = grading_settings(spec, (0.8, 0.95))
    assert s["weight.payment"] == 0.10 and s["grade_min.B"] == 50 and "grade_min.C" not in s
    new = edit_scorecard(spec, {"weight.sales": 1.0, "grade_min.A": 80, "abc_cut_a": 0.7})
    weights = {k: d["weight"] for k, d in new["dimensions"].items()}
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights["sales"] == pytest.approx(1.0 / 1.8)  # 1.0 of the new total 1.8
    assert new["grades"]["A"]["min"] == 80 and new["grades"]["B"]["max"] == 80
    assert spec["dimensions"]["sales"]["weight"] == 0.20  # the caller's spec is not modified
    with pytest.raises(KeyError, match="nope"):
        edit_scorecard(spec, {"weight.nope": 0.1})


def test_scenario_files_read_back(tmp_path):
    cfg = load_client_config()
    path = save_client_config(cfg, {"definitions.top_terminal.share": 0.3,
                                    "definitions.core_customer.abc_cuts": (0.7, 0.9)},
                              tmp_path / "client.yml")  # fmt: skip
    back = load_client_config(path)
    assert back.definitions.top_terminal.share == 0.3
    assert tuple(back.definitions.core_customer.abc_cuts) == (0.7, 0.9)
    assert back.client == cfg.client and back.market == cfg.market
    with pytest.raises(KeyError):
        save_client_config(cfg, {"definitions.nope": 1}, tmp_path / "bad.yml")
    from ars_analysis.client import ClientConfigError

    with pytest.raises(ClientConfigError, match="share"):
        save_client_config(cfg, {"definitions.top_terminal.share": 3}, tmp_path / "bad.yml")
    from ars_analysis.customers import Scorecard

    card = save_scorecard(edit_scorecard(scorecard_spec(), {"weight.growth": 0.3}),
                          tmp_path / "card.yml")  # fmt: skip
    assert Scorecard(card).dimensions["growth"]["weight"] == pytest.approx(0.3 / 1.2)


def test_controls_show_only_in_a_live_kernel(monkeypatch):
    monkeypatch.delenv("ARS_WHATIF", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    assert not live_kernel()  # papermill, nbval, python: no Jupyter session
    monkeypatch.setenv("JPY_SESSION_NAME", "notebooks/03_incentive_scenarios.ipynb")
    monkeypatch.setenv("ARS_SNAPSHOT_DIR", "/tmp/x")
    assert not live_kernel()  # a batch job of ars render, even started from a Lab terminal
    monkeypatch.setenv("ARS_WHATIF", "1")
    assert live_kernel()
    monkeypatch.setenv("ARS_WHATIF", "0")
    assert not live_kernel()
    from ars_analysis.whatif import coverage_controls, grading_controls, incentive_controls

    # not live: nothing is built or shown (the arguments are not even looked at)
    assert incentive_controls(None, None) is None
    assert (
        grading_controls(None, None, None) is None and coverage_controls(None, None, None) is None
    )


# --------------------------------------------------------------------------------------------
# the controls on the sample data
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample():
    from ars_analysis import load_dataset

    return load_dataset("data/sample"), load_client_config()


@pytest.fixture(scope="module")
def incentives(sample):
    from ars_analysis.compose import analyse_incentives

    ds, cfg = sample
    return analyse_incentives(ds, cfg, n_scenarios=200, seed=0)


@pytest.mark.slow
def test_incentive_controls_show_the_reports_numbers_and_move(sample, incentives, tmp_path):
    from ars_analysis.incentives import simulate
    from ars_analysis.whatif import build_incentive_controls

    ds, _ = sample
    res = incentives
    c = build_incentive_controls(ds, res, lang="en", scenario_dir=tmp_path)
    summary = res.backtest.summary.set_index("plan")
    for plan in res.plans:  # left at the report's settings: the report's backtest
        c.chooser.value = plan.name
        row = summary.loc[plan.name]
        assert c.outcome["total_cost"] == pytest.approx(row["total_cost"], rel=1e-8)  # cents
        assert c.outcome["incentive_cost_rate"] == pytest.approx(row["incentive_cost_rate"])
        assert (c.outcome["n_up"], c.outcome["n_down"]) == (row["n_up"], row["n_down"])
        assert set(c.widgets) == set(plan_settings(plan))
    c.chooser.value = "candidate_a"
    before = c.outcome
    c.set("commissions.0.tiers.1.rate", 0.03)  # the accelerator: costs more, nobody earns less
    after = c.outcome
    assert after["total_cost"] > before["total_cost"]
    assert after["n_up"] >= before["n_up"] and after["payout_p90"] >= before["payout_p90"]
    # P(over budget): the same Monte Carlo run directly on the edited plan
    direct = simulate([c.edited()], c.engine.inputs.model, c.engine.inputs.sales,
                      c.engine.inputs.future, reps=ds.reps, kpis=res.kpis, n_scenarios=200,
                      chunk_size=200, seed=res.seed, budget=res.budget)  # fmt: skip
    assert after["prob_over_budget"] == direct.summary.loc[0, "prob_over_budget"]
    c.set("commissions.0.threshold", 0.9)  # a higher threshold pays less
    assert c.outcome["total_cost"] < after["total_cost"]
    c.set("commissions.0.cap_period", 1000.0)  # a tight cap pays less
    capped = c.outcome["total_cost"]
    assert capped < after["total_cost"]
    c.set("bonus.amount", 0.0)
    assert c.outcome["total_cost"] < capped
    # an invalid setting is named and changes nothing
    good = c.outcome
    c.set("commissions.0.tiers.2.from", 0.5)  # below the previous tier's start
    assert "tiers" in c.message.value and c.outcome is good
    c.set("commissions.0.tiers.2.from", 1.5)
    # the table shows every number, in English
    for text in (
        "Backtest total cost (CNY)",
        "P(over budget) (simulated)",
        "Reps paid more / less",
    ):
        assert text in c.output.value
    # save as scenario: a plan file the report accepts, paying what the control showed
    (path,) = c.save()
    saved = Plan.from_yaml(path)
    assert saved.name == "candidate_a_whatif" and saved.bonus.amount == 0.0
    from ars_analysis.compose import analyse_incentives

    # with the same plans beside it (plan B reads KPIs, so the window is the KPI months)
    files = [shipped_plans()[0], path, shipped_plans()[2]]
    again = analyse_incentives(ds, load_client_config(), plan_files=files, n_scenarios=20)
    row = again.backtest.summary.set_index("plan").loc["candidate_a_whatif"]
    assert row["total_cost"] == pytest.approx(c.outcome["total_cost"], abs=0.01)
    # gates: plan B's visit-completion gate; a stricter gate never pays more
    c.chooser.value = "candidate_b"
    loose = c.outcome["total_cost"]
    c.set("gates.0.min", 0.95)
    assert c.outcome["total_cost"] <= loose


@pytest.mark.slow
def test_incentive_controls_in_background_mode(sample, incentives, tmp_path):
    from ars_analysis.whatif import build_incentive_controls

    ds, _ = sample
    c = build_incentive_controls(ds, incentives, lang="zh", scenario_dir=tmp_path,
                                 background=True)  # fmt: skip
    c.wait()
    c.set("commissions.0.tiers.1.rate", 0.02)
    assert c.outcome["total_cost"] > 0  # the backtest numbers are there at once
    c.wait()
    assert 0 <= c.outcome["prob_over_budget"] <= 1 and c.budget_seconds >= c.seconds
    assert "回测总成本（元）" in c.output.value and "—" not in c.output.value.split("超预算")[1]


@pytest.mark.slow
def test_grading_controls(sample, tmp_path):
    from ars_analysis.compose import analyse_core_customers, top_terminals
    from ars_analysis.customers import Scorecard
    from ars_analysis.whatif import build_grading_controls

    ds, cfg = sample
    top = top_terminals(ds, cfg.definitions.top_terminal)
    res = analyse_core_customers(ds, cfg, top=top, segments=False)
    g = build_grading_controls(ds, cfg, res, top=top, lang="zh", scenario_dir=tmp_path)
    o = g.outcome  # the report's settings: the report's grades, classes and seedlings
    counts = res.scored["grade"].astype(str).value_counts()
    assert o.grade_counts.set_index("grade")["n_whatif"].to_dict() == {
        k: int(counts.get(k, 0)) for k in ("A", "B", "C")
    }
    assert len(o.grade_changes) == 0 and len(o.class_changes) == 0
    assert list(o.seedlings["customer_id"]) == list(res.seedlings["customer_id"])
    g.set("grade_min.A", 60.0)  # a lower bar for A: more core customers, none lost
    o = g.outcome
    n = o.grade_counts.set_index("grade")
    assert n.loc["A", "n_whatif"] > n.loc["A", "n_report"]
    assert set(o.grade_changes["grade_whatif"]) <= {"A"}
    assert len(o.grade_changes) == n.loc["A", "n_whatif"] - n.loc["A", "n_report"]
    g.set("weight.sales", 0.9)  # weights: grades move both ways, counts stay consistent
    o = g.outcome
    assert o.grade_counts["n_whatif"].sum() == len(res.scored)
    moved = o.grade_changes.groupby("grade_whatif").size().sub(
        o.grade_changes.groupby("grade_report").size(), fill_value=0)  # fmt: skip
    diff = o.grade_counts.set_index("grade").eval("n_whatif - n_report")
    assert all(moved.get(k, 0) == diff[k] for k in diff.index)
    g.set("abc_cut_a", 0.6)  # a lower A cut: fewer A-class distributors
    n_a = int((res.abc["abc_class"].astype(str) == "A").sum())
    assert g.outcome.class_counts.set_index("abc_class").loc["A", "n_whatif"] < n_a
    card, client = g.save()
    assert Scorecard(card).grades and load_client_config(
        client
    ).definitions.core_customer.abc_cuts == (0.6, 0.95)
    assert "等级变化的经销商" in g.output.value


@pytest.mark.slow
def test_coverage_controls(sample, tmp_path):
    from ars_analysis.compose import analyse_terminal_network
    from ars_analysis.whatif import build_coverage_controls

    ds, cfg = sample
    res = analyse_terminal_network(ds, cfg, n_boot=100, gof_boot=20, seed=0)
    c = build_coverage_controls(ds, cfg, res, lang="en", scenario_dir=tmp_path)
    o = c.outcome  # the report's settings: the report's coverage, gaps and potential
    tot = res.coverage.sum(numeric_only=True)
    assert o["n_top"] == res.n_top_terminals == tot["n_top"]
    assert o["linked"] == tot["linked"] and o["neither"] == tot["neither"]
    assert o["opportunity"] == pytest.approx(tot["volume_at_stake"], abs=0.01)
    assert o["potential"] == pytest.approx(res.missing.iloc[-1]["estimate"], rel=1e-9)
    c.set("top_share", 0.3)
    more = c.outcome
    assert more["n_top"] > o["n_top"] and more["opportunity"] >= o["opportunity"]
    c.set("unobserved_ratio", 0.0)
    assert c.outcome["potential"] == 0 and c.outcome["n_top"] == more["n_top"]
    c.set("unobserved_ratio", 1.0)
    assert c.outcome["potential"] > o["potential"]  # twice the unseen terminals
    c.set("within", "national")
    assert "Coverage gaps (neither linked nor visited)" in c.output.value
    (path,) = c.save()
    back = load_client_config(path)
    assert back.definitions.top_terminal.share == 0.3
    assert back.definitions.top_terminal.within == "national"
    assert back.market.unobserved_terminal_ratio == 1.0
    assert yaml.safe_load(path.read_text("utf-8"))["client"] == json.loads(
        json.dumps(cfg.client, ensure_ascii=False))  # fmt: skip


@pytest.mark.slow
@pytest.mark.notebook
@pytest.mark.xdist_group("rendered_batch")
def test_batch_notebooks_show_no_controls(rendered_batch):
    """Under papermill the what-if cell of each notebook shows nothing."""
    root = rendered_batch.root
    found = 0
    for nb_path in root.glob("*/0*.ipynb"):
        nb = json.loads(nb_path.read_text("utf-8"))
        for cell in nb["cells"]:
            if "whatif." in "".join(cell.get("source", "")):
                found += 1
                assert cell.get("outputs") == [], nb_path
    assert found >= 3


def test_controls_base_cannot_be_used_without_its_three_steps():
    from ars_analysis.whatif.widgets import Controls

    with pytest.raises(TypeError, match="abstract"):
        Controls.__new__(Controls)  # evaluate, render and save are abstract
