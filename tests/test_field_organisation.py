"""The field organisation (issue 16): configuration, within-role comparison, line coverage,
distributor visits, advisor development, coaching, plans per role - each against hand-built logs
and hand-computed references."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from ars_analysis.config import ConfigError
from ars_analysis.fieldforce import (
    coaching_list,
    distributor_visit_summary,
    distributor_visits,
    line_coverage,
    line_gaps,
    line_summary,
    load_organisation,
    organisation_from_dict,
    role_summary,
    team_lists,
    tenure_curve,
    time_to_productivity,
    training_comparison,
    turnover,
    within_role,
)
from ars_analysis.fieldforce.organisation import ORGANISATION_FILE, OrganisationConfigError
from ars_analysis.incentives import (
    Plan,
    PlanAssignmentError,
    deviations_corrected,
    load_plan_assignment,
    plan_assignment_from_dict,
    plan_behaviours,
    role_backtest,
)

REPO = Path(__file__).resolve().parents[1]
ORG_FILE = REPO / "ars_analysis" / "config" / ORGANISATION_FILE


def _raw():
    return yaml.safe_load(ORG_FILE.read_text(encoding="utf-8"))


# ----------------------------------------------------------------------------- configuration


def test_shipped_organisation_loads_and_maps_roles_to_lines():
    org = load_organisation()
    assert set(org.lines) == {"main_attack", "support", "promotion", "service"}
    assert org.role_of_line()["business_manager"] == ["support"]
    assert org.distributor_interval_days() == {"A": 14.0, "B": 365.25 / 12, "C": 365.25 / 4}


def test_organisation_errors_name_file_and_key_path(tmp_path):
    raw = _raw()
    raw["roles"]["promoter"]["kpis"]["visit_complete"] = 0.1
    raw["lines"]["service"]["rolez"] = ["promoter"]
    raw["distributor_visits"]["A"] = "fortnightly"
    f = tmp_path / "org.yml"
    f.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    with pytest.raises(OrganisationConfigError) as e:
        load_organisation(f)
    lines = str(e.value).splitlines()
    # one line per problem: file, key path, expected, got, the close key
    assert f"{f}: lines.service.rolez: expected one of the keys " in str(e.value)
    assert any(x.startswith(f"{f}: lines.service.rolez: ") and "did you mean 'roles'?" in x
               for x in lines)  # fmt: skip
    assert f"{f}: roles.promoter.kpis.visit_complete: expected one of the scorecard KPIs " in str(
        e.value
    )
    assert "got 'visit_complete'; did you mean 'visit_completion'?" in str(e.value)
    assert any(
        x.startswith(f"{f}: distributor_visits.A: expected one of ['biweekly', 'monthly', ")
        and x.endswith("got 'fortnightly'")
        for x in lines
    )
    assert len(lines) == 3  # every problem is listed, each once
    assert isinstance(e.value, ConfigError) and len(e.value.problems) == 3


def test_activity_rule_needs_activities_and_kpi_in_one_family():
    raw = _raw()
    raw["lines"]["service"].pop("activities")
    with pytest.raises(OrganisationConfigError) as e:
        organisation_from_dict(raw, source="x.yml")
    assert str(e.value) == (
        "x.yml: lines.service.activities: expected a list of activity codes "
        "(rule 'activity' needs it), got None"
    )
    raw = _raw()
    raw["coaching"]["families"]["coach"].append("visit_completion")
    with pytest.raises(OrganisationConfigError) as e:
        organisation_from_dict(raw, source="x.yml")
    n = len(raw["coaching"]["families"]["coach"]) - 1
    assert str(e.value) == (
        f"x.yml: coaching.families.coach[{n}]: expected a KPI of one family only "
        "(it is in 'missionary' too), got 'visit_completion'"
    )


# ------------------------------------------------------------------------------------ roles


def test_within_role_by_hand():
    card = pd.DataFrame(
        {
            "rep_id": ["a", "b", "c", "p1", "p2"],
            "visit_completion": [0.9, 0.7, 0.5, 0.2, 0.4],
            "far_checkin_share": [0.0, 0.1, 0.5, 0.0, 0.0],
        }
    )
    reps = pd.DataFrame({"rep_id": card["rep_id"], "role": ["salesperson"] * 3 + ["promoter"] * 2})
    w = within_role(card, reps, {"salesperson": ["visit_completion", "far_checkin_share"],
                                 "promoter": ["visit_completion"]})  # fmt: skip
    # salespeople: completion median 0.7, sd 0.2 -> c: gap -0.2, -1 sd; rank 3
    c = w[(w["rep_id"] == "c") & (w["kpi"] == "visit_completion")].iloc[0]
    assert c["role_median"] == pytest.approx(0.7)
    assert c["gap_sd"] == pytest.approx(-1.0)
    assert c["role_rank"] == 3
    # far check-ins: lower is better; median 0.1, sd = std([0, .1, .5]) -> c is worse (negative)
    f = w[(w["rep_id"] == "c") & (w["kpi"] == "far_checkin_share")].iloc[0]
    sd = np.std([0.0, 0.1, 0.5], ddof=1)
    assert f["gap"] == pytest.approx(-0.4)
    assert f["gap_sd"] == pytest.approx(-0.4 / sd)
    # promoters are compared among themselves only (median 0.3, not the salespeople's)
    p = w[w["rep_id"] == "p1"].iloc[0]
    assert p["role_median"] == pytest.approx(0.3) and p["n_peers"] == 2
    s = role_summary(card, reps, ["visit_completion"])
    assert s.set_index("role")["visit_completion"].to_dict() == pytest.approx(
        {"promoter": 0.3, "salesperson": 0.7}
    )


# ------------------------------------------------------------------------------------ lines


def _line_log():
    visits = pd.DataFrame(
        {
            "rep_id": ["S", "S", "S", "P", "S", "M"],
            "terminal_id": ["T1", "T1", "T1", "T1", "T2", None],
            "customer_id": [None, None, None, None, None, "C1"],
            "check_in": ["2025-01-02 09:00", "2025-01-12 09:00", "2025-01-22 09:00",
                         "2025-01-05 10:00", "2025-01-03 09:00", "2025-01-06 09:00"],
            "activities": ["order", "order;display", "order", "promotion", "order", None],
        }
    )  # fmt: skip
    terminals = pd.DataFrame(
        {
            "terminal_id": ["T1", "T2", "T3"],
            "region": ["E", "E", "W"],
            "terminal_type": ["hypermarket", "convenience", "supermarket"],
            "customer_id": ["C1", "C2", "C1"],
        }
    )
    reps = pd.DataFrame(
        {"rep_id": ["S", "P", "M"], "role": ["salesperson", "promoter", "business_manager"]}
    )
    return visits, terminals, reps


def test_line_coverage_rules_by_hand():
    visits, terminals, reps = _line_log()
    vol = pd.Series({"T1": 100.0, "T2": 50.0, "T3": 30.0})
    cov = line_coverage(visits, terminals, reps, ["T1", "T2", "T3"], load_organisation(),
                        top_interval_days=10, start="2025-01-01", end="2025-01-31",
                        volume=vol)  # fmt: skip
    got = {(r.terminal_id, r.line): (r.wanted, r.present) for r in cov.itertuples()}
    # 31 days / 10 -> 3 salesperson visits needed: T1 has 3, T2 has 1, T3 none
    assert got[("T1", "main_attack")] == (True, True)
    assert got[("T2", "main_attack")] == (True, False)
    # support: the distributor C1 was visited by the manager -> T1 and T3, not T2 (C2)
    assert got[("T1", "support")] == (True, True)
    assert got[("T3", "support")] == (True, True)
    assert got[("T2", "support")] == (True, False)
    # promotion only wanted at hypermarkets/supermarkets; present where a promoter visited
    assert got[("T2", "promotion")] == (False, False)
    assert got[("T1", "promotion")] == (True, True)
    assert got[("T3", "promotion")] == (True, False)
    # service: a display/stock check/collection by a salesperson or promoter: only T1
    assert got[("T1", "service")] == (True, True)
    assert got[("T2", "service")] == (True, False)
    gaps = line_gaps(cov, load_organisation())
    assert gaps["terminal_id"].tolist() == ["T2", "T3"]  # largest volume first
    assert gaps.set_index("terminal_id").loc["T2", "missing_lines"] == (
        "main_attack;support;service"
    )
    s = line_summary(cov).set_index(["region", "line"])
    assert s.loc[("E", "main_attack"), "line_coverage"] == 0.5
    assert s.loc[("E", "main_attack"), "revenue_at_stake"] == 50.0
    assert s.loc[("W", "promotion"), "revenue_at_stake"] == 30.0


# ------------------------------------------------------------------------ distributor visits


def test_distributor_visits_against_grade_standard():
    visits = pd.DataFrame(
        {
            "rep_id": ["M", "M", "M", "S", "S"],
            "terminal_id": [None, None, None, None, "T1"],
            "customer_id": ["A1", "A1", "B1", "B1", "A1"],
            "check_in": ["2025-01-02 09:00", "2025-01-16 09:00", "2025-01-20 09:00",
                         "2025-01-21 09:00", "2025-01-03 09:00"],
            "planned_date": [None] * 5,
        }
    )  # fmt: skip
    grades = pd.DataFrame({"customer_id": ["A1", "A2", "B1"], "grade": ["A", "A", "B"],
                           "region": ["E", "E", "W"]})  # fmt: skip
    d = distributor_visits(visits, grades, {"A": 14, "B": 30.4375},
                           start="2025-01-01", end="2025-01-31")  # fmt: skip
    d = d.set_index("customer_id")
    # 31 days: A needs floor(31/14) = 2, B needs 1; a terminal visit does not count
    assert d.loc["A1", ["required_visits", "visits_done", "meets_standard"]].tolist() == [
        2,
        2,
        True,
    ]
    assert d.loc["A2", ["visits_done", "meets_standard"]].tolist() == [0, False]
    assert d.loc["B1", ["visits_done", "n_reps", "meets_standard"]].tolist() == [2, 2, True]
    s = distributor_visit_summary(d.reset_index()).set_index("grade")
    assert s.loc["A", "distributor_visit_compliance"] == 0.5
    assert s.loc["B", "distributor_visit_compliance"] == 1.0


# ------------------------------------------------------------------------ advisor development


def _reps():
    return pd.DataFrame(
        {
            "rep_id": ["n1", "n2", "o1"],
            "role": ["salesperson"] * 3,
            "hire_date": pd.to_datetime(["2025-01-15", "2025-02-01", "2020-01-01"]),
        }
    )


def test_tenure_bins_by_hand_and_interval_matches_scipy():
    monthly = pd.DataFrame(
        {
            "rep_id": ["n1", "n1", "n1", "n2", "n2", "o1", "o1"],
            "period": ["2025-01", "2025-02", "2025-04", "2025-02", "2025-03", "2025-01",
                       "2025-02"],
            "attainment": [0.4, 0.6, 0.9, 0.5, 0.7, 1.0, 1.2],
        }
    )  # fmt: skip
    t = tenure_curve(monthly, _reps(), [0, 3, 12]).set_index("tenure_bin")
    # n1: months 0, 1 (bin 0-3, mean 0.5) and 3 (bin 3-12); n2: months 0, 1 (mean 0.6)
    assert t.loc["0-3", "n_reps"] == 2 and t.loc["0-3", "n_rep_months"] == 4
    assert t.loc["0-3", "mean"] == pytest.approx(0.55)
    lo, hi = stats.t.interval(0.95, 1, loc=0.55, scale=np.std([0.5, 0.6], ddof=1) / np.sqrt(2))
    assert (t.loc["0-3", "low"], t.loc["0-3", "high"]) == pytest.approx((lo, hi))
    assert t.loc["3-12", "mean"] == pytest.approx(0.9) and np.isnan(t.loc["3-12", "low"])
    assert t.loc["12+", "mean"] == pytest.approx(1.1)


def test_time_to_productivity_by_hand():
    monthly = pd.DataFrame(
        {
            "rep_id": ["n1"] * 5 + ["o1"] * 2,
            "period": ["2025-01", "2025-02", "2025-03", "2025-04", "2025-05", "2025-01",
                       "2025-02"],
            "attainment": [0.3, 0.6, 0.9, 1.0, 1.0, 1.0, 1.0],
        }
    )  # fmt: skip
    r = time_to_productivity(monthly, _reps(), productive_share=0.9, experienced_months=24,
                             window=2)  # fmt: skip
    # level 1.0 -> threshold 0.9; 2-month means from month 0: 0.45, 0.75, 0.95 -> month 2
    assert r["level"] == pytest.approx(1.0)
    assert r["months"] == 2 and r["n_new_reps"] == 1


def test_turnover_by_hand_and_absent_end_date():
    reps = pd.DataFrame(
        {
            "rep_id": ["a", "b", "c", "d"],
            "role": ["s", "s", "p", "p"],
            "hire_date": pd.to_datetime(["2020-01-01", "2020-01-01", "2025-07-01", "2020-01-01"]),
            "end_date": pd.to_datetime([None, "2025-03-31", None, None]),
        }
    )
    t = turnover(reps, "2025-01-01", "2025-12-31").set_index("group")
    # headcount: Jan-Mar 3, Apr-Jun 2, Jul-Dec 3 -> mean 2.75; 1 leaver in 12 months
    assert t.loc["all", "avg_headcount"] == pytest.approx(2.75)
    assert t.loc["all", "turnover"] == pytest.approx(1 / 2.75)
    assert t.loc["all", "hires"] == 1 and t.loc["s", "leavers"] == 1 and t.loc["p", "leavers"] == 0
    assert turnover(reps.drop(columns="end_date"), "2025-01-01", "2025-12-31") is None


def _did_data():
    """Two trained and two untrained reps, course in 2025-04; 3 months each side."""
    months = ["2025-01", "2025-02", "2025-03", "2025-05", "2025-06", "2025-07"]
    pre_post = {"t1": (1.0, 1.2), "t2": (0.8, 1.0), "c1": (1.0, 1.05), "c2": (0.9, 0.9)}
    rows = []
    for rep, (pre, post) in pre_post.items():
        for m in months:
            a = pre if m < "2025-04" else post
            rows.append({"rep_id": rep, "period": m, "revenue": 100 * a,
                         "target_revenue": 100.0, "attainment": a})  # fmt: skip
    reps = pd.DataFrame({"rep_id": list(pre_post), "role": "salesperson",
                         "hire_date": pd.to_datetime("2020-01-01")})  # fmt: skip
    training = pd.DataFrame({"rep_id": ["t1", "t2"], "course": "visits",
                             "date": pd.to_datetime("2025-04-10")})  # fmt: skip
    return pd.DataFrame(rows), reps, training, pre_post


def test_training_did_2x2_by_hand_and_welch_peer():
    monthly, reps, training, pp = _did_data()
    r = training_comparison(monthly, reps, training, months=3, min_tenure_months=12)
    d = {k: np.log(b / a) for k, (a, b) in pp.items()}
    did = (d["t1"] + d["t2"]) / 2 - (d["c1"] + d["c2"]) / 2
    assert r["did"] == pytest.approx(did)
    assert r["effect"] == pytest.approx(np.expm1(did))
    assert r["n_trained"] == 2 and r["n_control"] == 2
    c = r["cohorts"].iloc[0]
    assert c["month"] == "2025-04"
    assert c["pre_trained"] == pytest.approx(0.9) and c["post_control"] == pytest.approx(0.975)
    # the p-value is Welch's t-test of the trained vs untrained changes (the same procedure)
    welch = stats.ttest_ind([d["t1"], d["t2"]], [d["c1"], d["c2"]], equal_var=False)
    assert r["p_value"] == pytest.approx(welch.pvalue)
    assert r["low"] < did < r["high"]


def test_training_absent_or_too_new_reps():
    monthly, reps, training, _ = _did_data()
    assert training_comparison(monthly, reps, None) is None
    # reps hired 6 months before: excluded by the tenure rule -> no cohort
    young = reps.assign(hire_date=pd.to_datetime("2024-07-01"))
    r = training_comparison(monthly, young, training, months=3, min_tenure_months=12)
    assert r["cohorts"].empty and np.isnan(r["did"])


@pytest.mark.slow
def test_planted_training_effect_is_covered_on_the_sample():
    """The generator plants +10 % sales after a course; the 95 % interval covers it."""
    from ars_analysis import load_dataset
    from ars_analysis.compose import aggregate
    from ars_analysis.data.synth.organisation import TRAINING_EFFECT
    from ars_analysis.fieldforce import attainment

    ds = load_dataset(REPO / "data" / "sample")
    monthly = attainment(aggregate.rep_sales(ds, freq="M"), ds.targets)
    r = training_comparison(monthly, ds.reps, ds.training, months=3, min_tenure_months=12)
    assert r["n_trained"] >= 15
    assert r["low"] <= np.log1p(TRAINING_EFFECT) <= r["high"]
    curve = tenure_curve(monthly, ds.reps, [0, 3, 6, 12, 24]).set_index("tenure_bin")
    # the learning curve: the first months well below experienced reps
    assert curve.loc["0-3", "high"] < curve.loc["24+", "low"]


# ---------------------------------------------------------------------------------- coaching


def test_coaching_role_rules():
    org = load_organisation()
    w = pd.DataFrame(
        {
            "rep_id": ["f", "f", "m", "p", "p", "c", "ok"],
            "role": "salesperson",
            "n_peers": 5,
            "kpi": ["visit_order_rate", "attainment", "visit_order_rate", "frequency_compliance",
                    "visit_order_rate", "visit_order_rate", "attainment"],
            "value": [0.1, 0.5, 0.2, 0.3, 0.35, 0.3, 1.2],
            "role_median": [0.4, 1.0, 0.4, 0.6, 0.4, 0.4, 1.0],
            "gap_sd": [-1.5, -2.5, -1.0, -2.0, -0.5, -0.7, 1.0],
        }
    )  # fmt: skip
    monthly = pd.DataFrame(
        {
            "rep_id": ["f"] * 4 + ["p"] * 4,
            "period": ["2025-01", "2025-02", "2025-03", "2025-04"] * 2,
            "attainment": [1.0, 1.0, 1.0, 0.6, 1.0, 1.0, 1.0, 0.8],
        }
    )
    reps = pd.DataFrame(
        {
            "rep_id": ["f", "m", "p", "c", "ok"],
            "hire_date": pd.to_datetime(["2020-01-01", "2025-01-10", "2020-01-01", "2020-01-01",
                                         "2020-01-01"]),
            "manager_id": ["B1", "B1", "B2", "B2", "B2"],
        }
    )  # fmt: skip
    c = coaching_list(w, org.coaching, monthly=monthly, reps=reps, last="2025-04")
    got = c.set_index("rep_id")
    assert "ok" not in got.index  # nothing below the peers, no drop
    # f: drop of 0.4 >= 0.3 -> firefighter; its two worst KPIs in order
    assert got.loc["f", "coaching_role"] == "firefighter"
    assert got.loc["f", ["kpi_1", "kpi_2"]].tolist() == ["attainment", "visit_order_rate"]
    assert got.loc["f", "attainment_drop"] == pytest.approx(0.4)
    # m: hired 3 months before the last month (< 6) -> missionary, even on a skills KPI
    assert got.loc["m", ["coaching_role", "reason"]].tolist() == ["missionary", "new_rep"]
    # p: drop 0.2 < 0.3; worst KPI frequency compliance -> planner
    assert got.loc["p", "coaching_role"] == "planner"
    # c: worst KPI order rate (skills) -> coach; only one KPI below
    assert got.loc["c", "coaching_role"] == "coach" and pd.isna(got.loc["c", "kpi_2"])
    assert c["coaching_role"].tolist() == ["firefighter", "missionary", "planner", "coach"]
    teams = team_lists(c, reps).set_index("manager_id")
    assert teams.loc["B1", ["n_reps", "firefighter", "missionary"]].tolist() == [2, 1, 1]
    assert teams.loc["B2", ["n_reps", "planner", "coach"]].tolist() == [2, 1, 1]


def test_coaching_skips_kpis_that_meet_the_standard():
    org = load_organisation()
    w = pd.DataFrame({"rep_id": ["a", "a"], "role": "promoter", "n_peers": 5,
                      "kpi": ["far_checkin_share", "visit_completion"], "value": [0.04, 0.7],
                      "role_median": [0.0, 0.8], "gap_sd": [-3.0, -1.0]})  # fmt: skip
    std = {"far_checkin_share": ("max", 0.1), "visit_completion": ("min", 0.85)}
    c = coaching_list(w, org.coaching, standards=std)
    # 4% far check-ins is within the 10% standard: only visit completion is a deviation
    assert c[["kpi_1", "kpi_2"]].values.tolist() == [["visit_completion", None]]


def test_coaching_needs_enough_peers():
    org = load_organisation()
    w = pd.DataFrame({"rep_id": ["a"], "role": "promoter", "n_peers": 2, "kpi": ["attainment"],
                      "value": [0.5], "role_median": [1.0], "gap_sd": [-3.0]})  # fmt: skip
    assert coaching_list(w, org.coaching).empty


# --------------------------------------------------------------------------- plans per role


def test_plan_assignment_loads_and_errors_name_the_key(tmp_path):
    a = load_plan_assignment()
    plans = a.plans()
    assert plans[("one_plan", "promoter")].name == "one_plan__promoter"
    assert a.reference == "one_plan"
    with pytest.raises(PlanAssignmentError) as e:
        plan_assignment_from_dict(
            {"assignments": [{"id": "x", "name": {"zh": "x", "en": "x"},
                              "roles": {"promoter": {"plan": "current.yml",
                                                     "scaled": {"ratez": 2}}}}]},
            source="f.yml",
        )  # fmt: skip
    assert str(e.value) == (
        "f.yml: assignments[0].roles.promoter.scaled.ratez: expected one of the plan parameters "
        "['rates', 'threshold', 'caps', 'bonus', 'scorecard', 'honours'], got 'ratez'; "
        "did you mean 'rates'?"
    )
    bad = plan_assignment_from_dict(
        {"assignments": [{"id": "x", "name": {"zh": "x", "en": "x"},
                          "roles": {"promoter": "missing.yml"}}]}, source=str(tmp_path / "a.yml")
    )  # fmt: skip
    with pytest.raises(PlanAssignmentError) as e:
        bad.plans()
    msg = str(e.value)
    assert msg.startswith(f"{tmp_path / 'a.yml'}: assignments[0].roles.promoter: expected a plan")
    assert msg.endswith("for assignment 'x', got 'missing.yml'") and str(tmp_path) in msg


def test_honours_are_counted_not_paid_as_cash():
    plan = Plan.from_dict({"name": "p", "base_pay": 100, "commissions": [
        {"name": "c", "basis": "amount", "tiers": [{"from": 0, "rate": 0.1}]}],
        "honours": [{"name": "h", "amount": 5000, "top_n": 1, "within": "all",
                     "frequency": "quarter"}]})  # fmt: skip
    periods = ["2025-01", "2025-02", "2025-03"]
    sales = pd.DataFrame({"rep_id": ["a"] * 3 + ["b"] * 3, "period": periods * 2,
                          "revenue": [1000.0] * 3 + [500.0] * 3})  # fmt: skip
    targets = sales.drop(columns="revenue").assign(target_revenue=1000.0)
    reps = pd.DataFrame({"rep_id": ["a", "b"], "role": "salesperson", "region": "E"})
    plans = {("one", "salesperson"): plan, ("two", "salesperson"): plan}
    r = role_backtest(plans, sales, targets, reps, recognition_cost={"h": 300})
    rr = r["reps"][r["reps"]["assignment"] == "one"].set_index("rep_id")
    # cash: 10% of revenue only; the quarterly award goes to a (best attainment), once
    assert rr.loc["a", "cash_incentive"] == pytest.approx(300.0)
    assert rr.loc["b", "cash_incentive"] == pytest.approx(150.0)
    assert rr.loc["a", "awards"] == 1 and rr.loc["b", "awards"] == 0
    assert rr.loc["a", "recognition_cost"] == 300.0
    s = r["summary"].set_index("assignment").loc["one"]
    assert s["total_cost"] == pytest.approx(600 + 450 + 300)
    assert s["n_awards"] == 1 and s["n_awards_costed"] == 1
    assert r["awards"]["rep_id"].tolist() == ["a", "a"]  # one award in each assignment
    sp = r["spread"].set_index(["assignment", "role"]).loc[("one", "salesperson")]
    assert sp["incentive_p50"] == pytest.approx(75.0)  # median of 100 and 50 per month


def test_plan_behaviours_and_deviations_corrected():
    b = Plan.from_yaml(REPO / "ars_analysis" / "config" / "plans" / "candidate_b.yml")
    beh = plan_behaviours(b)
    assert {"margin", "category_mix", "income_security"} <= set(beh["behaviour"])
    assert {"visit_completion", "top_terminal_coverage", "new_terminals"} <= set(beh["kpi"])
    dev = pd.DataFrame({"role": ["salesperson", "promoter"], "kpi": ["visit_completion"] * 2,
                        "n_reps_below": [3, 9]})  # fmt: skip
    out = deviations_corrected({("x", "salesperson"): b}, dev)
    vc = out[out["kpi"] == "visit_completion"].iloc[0]
    assert vc["n_reps_below"] == 3 and vc["corrects"]  # the salesperson count, not the promoters'
    assert out.loc[out["behaviour"] == "margin", "n_reps_below"].isna().all()


def test_roles_sharing_a_plan_are_ranked_together():
    """Today's single plan ranks managers, salespeople and promoters in one pool."""
    plan = Plan.from_dict({"name": "p", "honours": [{"name": "h", "amount": 1000, "top_n": 1,
                                                     "within": "all", "frequency": "quarter"}]})  # fmt: skip
    periods = ["2025-01", "2025-02", "2025-03"]
    sales = pd.DataFrame({"rep_id": ["a"] * 3 + ["b"] * 3, "period": periods * 2,
                          "revenue": [1000.0] * 3 + [500.0] * 3})  # fmt: skip
    targets = sales.drop(columns="revenue").assign(target_revenue=1000.0)
    reps = pd.DataFrame({"rep_id": ["a", "b"], "role": ["salesperson", "promoter"], "region": "E"})
    together = role_backtest({("one", "salesperson"): plan, ("one", "promoter"): plan},
                             sales, targets, reps)  # fmt: skip
    assert len(together["awards"]) == 1 and together["awards"]["role"].tolist() == ["salesperson"]
    other = Plan.from_dict({"name": "q", "honours": [{"name": "h", "amount": 900, "top_n": 1,
                                                      "within": "all", "frequency": "quarter"}]})  # fmt: skip
    apart = role_backtest({("one", "salesperson"): plan, ("one", "promoter"): other},
                          sales, targets, reps)  # fmt: skip
    assert len(apart["awards"]) == 2  # each role ranked in its own plan


# ------------------------------------------------------------ composition and presentation


@pytest.fixture(scope="module")
def small_world():
    from ars_analysis.data.synth import generate_dataset

    return generate_dataset(seed=5, n_customers=24, n_terminals=300, n_reps=32, months=15)


def _dataset(tables, drop=()):
    from ars_analysis.data.dataset import Dataset

    t = {k: v for k, v in tables.items() if k not in drop}
    return Dataset(t)


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_organisation_sections_without_optional_tables(small_world, lang):
    """No training table, no end dates, no distributor grades: the sections say so."""
    from ars_analysis.compose import analyse_field_organisation
    from ars_analysis.presentation import organisation as po

    tables = dict(small_world)
    tables["reps"] = tables["reps"].drop(columns="end_date")
    org = analyse_field_organisation(_dataset(tables, drop=("training",)))
    assert org.training is None and org.turnover is None and org.distributors is None
    assert (
        po.training_text(org, lang).html
        == f'<p class="ars-text">{po._L("training_none", lang)}</p>'
    )
    assert po.turnover_text(org, lang).html.endswith(f"{po._L('turnover_none', lang)}</p>")
    assert po.distributors_table(org, lang).html == ""
    for t in po.workbook_tables(org, lang):
        page = t.to_html()  # every header has a label in the report's language
        assert "nan" not in page.lower().replace("nan)", "") and "None" not in page


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_organisation_sections_with_every_table(small_world, lang):
    from ars_analysis.compose import analyse_field_organisation, core_customers
    from ars_analysis.presentation import organisation as po

    ds = _dataset(small_world)
    org = analyse_field_organisation(ds, distributor_grades=core_customers(ds))
    assert org.turnover is not None and org.distributors is not None
    # national peers: every coached rep's KPIs come from within_role of its own role
    assert set(org.coaching["role"]) <= set(org.org.roles)
    for block in (po.lines_text(org, lang), po.roles_text(org, lang),
                  po.development_text(org, lang), po.coaching_text(org, lang)):  # fmt: skip
        assert "{" not in block.html and "nan" not in block.html
    for t in po.workbook_tables(org, lang):
        assert t.headers()  # raises KeyError for a column without a label
    for _, text in po.appendix_parameters(org, lang):
        assert "{" not in text and text
    assert all(po.appendix_methods(org, lang))
    res = org.results()
    assert set(res["line_coverage"]) == set(org.org.lines)
    # the opening's key findings: the line gaps and the coaching list, linked to their sections
    from ars_analysis.presentation.blocks import Finding, ReportSummary

    base = ReportSummary("t", "q", lang, "x", [], findings=[Finding(str(i)) for i in range(5)])
    summary = po.with_organisation_findings(base, org, lang)
    assert len(base.findings) == 5  # the given summary is not changed
    # at most 5 key findings (report standard): the first three, then the organisation's two
    assert [f.text for f in summary.findings[:3]] == ["0", "1", "2"]
    assert len(summary.findings) == 5
    lines, coaching = summary.findings[3:]
    assert (lines.section, coaching.section) == ("sec-lines", "sec-coaching-list")
    gaps = org.line_gaps
    assert lines.text.startswith(f"{len(gaps):,} ") and "{" not in lines.text
    cov = org.line_summary.groupby("line")[["n_present", "n_wanted"]].sum()
    worst = (cov["n_present"] / cov["n_wanted"]).idxmin()
    assert po.line_name(org, worst, lang) in lines.text
    assert po.fmt.compact(gaps["revenue"].sum(), lang) in lines.text
    assert f'<p class="ars-text">{po._esc(coaching.text)}</p>' == po.coaching_text(org, lang).html
    assert f"{len(org.coaching):,}" in coaching.text


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_role_plan_tables_are_labelled(small_world, lang):
    from ars_analysis.client import load_client_config
    from ars_analysis.compose import analyse_role_plans
    from ars_analysis.presentation import role_plans as rp

    ds = _dataset(small_world)
    r = analyse_role_plans(ds, load_client_config(), n_scenarios=20)
    s = r.backtest["summary"].set_index("assignment")
    # the reference pays every role under one plan: the same base pay as summing its reps
    ref = r.backtest["reps"][r.backtest["reps"]["assignment"] == "one_plan"]
    assert s.loc["one_plan", "base_pay"] == pytest.approx(ref["base_pay"].sum())
    assert "{" not in rp.role_plans_text(r, lang).html
    for t in rp.workbook_tables(r, ds.reps, lang):
        assert t.headers() and "None" not in t.to_html()


# ------------------------------------------------------------------------- synthetic data


def test_synthetic_organisation_is_deterministic_and_consistent(small_world):
    from ars_analysis.data.synth import generate_dataset

    again = generate_dataset(seed=5, n_customers=24, n_terminals=300, n_reps=32, months=15)
    for name in ("reps", "training", "targets", "visits"):
        pd.testing.assert_frame_equal(small_world[name], again[name])
    reps, targets, visits = small_world["reps"], small_world["targets"], small_world["visits"]
    start = pd.Timestamp("2024-01-01")
    hires = reps[reps["hire_date"] > start]
    leavers = reps[reps["end_date"].notna()]
    assert len(hires) and len(leavers) and len(small_world["training"])
    assert (reps.loc[reps["role"] == "business_manager", "end_date"].isna()).all()
    month = pd.to_datetime(targets["period"] + "-01")
    for r in hires.itertuples():  # no target before the first full month after hire
        assert (month[targets["rep_id"] == r.rep_id] >= r.hire_date.to_period("M").start_time).all()
        assert not ((visits["rep_id"] == r.rep_id) & (visits["planned_date"] < r.hire_date)).any()
    for r in leavers.itertuples():  # nothing after the last working day
        assert (month[targets["rep_id"] == r.rep_id] <= r.end_date).all()
        assert not ((visits["rep_id"] == r.rep_id) & (visits["planned_date"] > r.end_date)).any()
    assert set(small_world["training"]["rep_id"]) <= set(reps["rep_id"])
    # promoters mostly record display and promotion, not orders
    prom = visits[visits["rep_id"].isin(reps.loc[reps["role"] == "promoter", "rep_id"])
                  & visits["check_in"].notna()]  # fmt: skip
    if len(prom):
        assert (prom["activities"] == "display;promotion").mean() > 0.6


def test_short_period_has_no_hires_leavers_or_training():
    """Under 12 months nobody is hired, leaves or is trained (the tables keep their columns)."""
    from ars_analysis.data.synth import generate_dataset

    t = generate_dataset(seed=5, n_customers=12, n_terminals=100, n_reps=16, months=2)
    assert t["reps"]["end_date"].isna().all() and t["training"].empty  # too short a period
    assert (t["reps"]["hire_date"] < pd.Timestamp("2024-01-01")).all()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_organisation_charts_draw_and_are_labelled(lang):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ars_analysis.charts.organisation import plot_line_coverage, plot_tenure_curve
    from ars_analysis.labels import label

    ax = plot_line_coverage(pd.DataFrame({"line_label": ["a", "b"], "line_coverage": [0.2, 0.95]}),
                            lang=lang)  # fmt: skip
    assert ax.get_title() == label("organisation.chart_lines_title", lang)
    assert [t.get_text() for t in ax.texts] == ["20%", "95%"]
    t = pd.DataFrame({"tenure_bin": ["0-3", "3+"], "mean": [0.5, 1.0], "low": [0.4, np.nan],
                      "high": [0.6, np.nan]})  # fmt: skip
    ax = plot_tenure_curve(t, lang=lang)
    assert ax.get_xlabel() == label("organisation.chart_tenure_x", lang)
    plt.close("all")
