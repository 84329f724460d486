"""Field execution measures on hand-built visit logs with known answers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ars_analysis import fieldforce as ff

# --------------------------------------------------------------------------------------------
# a tiny world: two teams in two regions
#   M1 (manager, East) manages R1, R2; R3 (West) has no manager.


@pytest.fixture
def reps():
    return pd.DataFrame(
        {
            "rep_id": ["M1", "R1", "R2", "R3"],
            "rep_name": ["Boss", "Ann", "Bob", "Cat"],
            "region": ["East", "East", "East", "West"],
            "role": ["business_manager", "salesperson", "salesperson", "salesperson"],
            "manager_id": [None, "M1", "M1", None],
        }
    )


@pytest.fixture
def terminals():
    return pd.DataFrame(
        {
            "terminal_id": ["T1", "T2", "T3", "T4", "T5"],
            "region": ["East", "East", "East", "West", "West"],
            "rep_id": ["R1", "R1", "R2", "R3", "R3"],
            "customer_id": ["C1", "C1", "C2", "C3", "C3"],
            "latitude": [30.0, 30.0, 31.0, 40.0, 40.0],
            "longitude": [120.0, 121.0, 120.0, 116.0, 117.0],
        }
    )


def _v(rows):
    cols = ["visit_id", "rep_id", "terminal_id", "planned_date", "check_in", "check_out",
            "activities", "latitude", "longitude"]  # fmt: skip
    df = pd.DataFrame(rows, columns=cols)
    df["customer_id"] = None
    return df


@pytest.fixture
def visits():
    # R1: 4 planned (3 done), 1 unplanned; R2: 2 planned (1 done); R3: 1 planned done
    return _v(
        [
            ("V1", "R1", "T1", "2025-01-06", "2025-01-06 09:00", "2025-01-06 09:30", "order;display", 30.0, 120.0),
            ("V2", "R1", "T2", "2025-01-06", "2025-01-06 10:00", "2025-01-06 10:20", "stock_check", 30.0, 121.001),
            ("V3", "R1", "T1", "2025-01-07", None, None, None, None, None),
            ("V4", "R1", "T1", "2025-01-13", "2025-01-13 14:00", "2025-01-13 14:45", "order;training", 30.05, 120.0),
            ("V5", "R1", "T2", None, "2025-01-13 15:00", "2025-01-13 15:10", "order", None, None),
            ("V6", "R2", "T3", "2025-01-08", "2025-01-08 09:00", "2025-01-08 09:40", "order;stock_check;display", 31.0, 120.0),
            ("V7", "R2", "T3", "2025-01-09", None, None, None, None, None),
            ("V8", "R3", "T4", "2025-01-10", "2025-01-10 08:00", "2025-01-10 09:00", "display", 40.2, 116.0),
        ]
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# went where


def test_visit_completion_unplanned_and_order_rate(visits, reps):
    c = ff.visit_compliance(visits, reps).set_index("rep_id")
    assert c.loc["R1", "planned_visits"] == 4
    assert c.loc["R1", "planned_done"] == 3
    assert c.loc["R1", "visit_completion"] == pytest.approx(3 / 4)
    assert c.loc["R1", "unplanned_visits"] == 1
    assert c.loc["R1", "done_visits"] == 4
    # order rate: planned visits with an order / planned visits (V1, V4 of 4 planned)
    assert c.loc["R1", "visit_order_rate"] == pytest.approx(2 / 4)
    # per done visit: V1, V4, V5 of 4 done
    assert c.loc["R1", "order_rate_per_done_visit"] == pytest.approx(3 / 4)
    assert c.loc["R2", "visit_completion"] == pytest.approx(0.5)
    assert c.loc["R3", "visit_completion"] == 1.0
    assert c.loc["R1", "rep_name"] == "Ann"


def test_visit_completion_by_team_region_and_period(visits, reps):
    team = ff.visit_compliance(visits, reps, level="team").set_index("team_id")
    assert team.loc["M1", "planned_visits"] == 6
    assert team.loc["M1", "visit_completion"] == pytest.approx(4 / 6)
    assert team.loc["R3", "planned_visits"] == 1  # a rep without a manager is its own team
    region = ff.visit_compliance(visits, reps, level="region").set_index("region")
    assert region.loc["West", "planned_done"] == 1
    per = ff.visit_compliance(visits, freq="M")
    assert set(per["period"]) == {"2025-01"}
    q = ff.visit_compliance(visits, freq="Q")
    assert set(q["period"]) == {"2025Q1"}


def test_unknown_rep_is_kept_not_dropped(visits, reps):
    v = pd.concat(
        [
            visits,
            _v(
                [
                    (
                        "V9",
                        "RX",
                        "T1",
                        "2025-01-06",
                        "2025-01-06 12:00",
                        "2025-01-06 12:10",
                        "order",
                        30.0,
                        120.0,
                    )
                ]
            ),
        ]
    )
    region = ff.visit_compliance(v, reps, level="region").set_index("region")
    assert region.loc[ff.UNKNOWN, "planned_visits"] == 1
    assert region["planned_visits"].sum() == 8


def test_haversine_known_pairs():
    # one degree of latitude along a meridian: R * pi / 180 (closed form)
    assert ff.haversine_m(0, 0, 1, 0) == pytest.approx(ff.EARTH_RADIUS_M * math.pi / 180, rel=1e-12)
    # one degree of longitude at latitude 60: central angle by the spherical law of cosines
    phi = math.radians(60)
    angle = math.acos(math.sin(phi) ** 2 + math.cos(phi) ** 2 * math.cos(math.radians(1)))
    assert ff.haversine_m(60, 0, 60, 1) == pytest.approx(ff.EARTH_RADIUS_M * angle, rel=1e-9)
    # antipodes: half the circumference
    assert ff.haversine_m(0, 0, 0, 180) == pytest.approx(math.pi * ff.EARTH_RADIUS_M)


def test_checkin_distance_bands(visits, terminals):
    d = ff.checkin_distance(visits, terminals).set_index("visit_id")
    assert len(d) == 6  # done visits only
    assert d.loc["V1", "distance_m"] == pytest.approx(0.0)
    assert d.loc["V1", "distance_band"] == "<200 m"
    # V2: 0.001 deg of longitude at 30N
    expected = ff.EARTH_RADIUS_M * math.radians(0.001) * math.cos(math.radians(30))
    assert d.loc["V2", "distance_m"] == pytest.approx(expected, rel=1e-6)
    assert d.loc["V2", "distance_band"] == "<200 m"  # ~96 m
    # V4: 0.05 deg latitude = 5.56 km -> >5 km
    assert d.loc["V4", "distance_m"] == pytest.approx(ff.EARTH_RADIUS_M * math.radians(0.05))
    assert d.loc["V4", "distance_band"] == ">5 km"
    assert bool(d.loc["V4", "far"])
    assert d.loc["V5", "distance_band"] == ff.UNKNOWN
    assert not bool(d.loc["V5", "far"])
    assert d.loc["V8", "distance_band"] == ">5 km"  # 0.2 deg = 22 km
    custom = ff.checkin_distance(visits, terminals, bands=[50, 100], far_m=90).set_index("visit_id")
    assert custom.loc["V2", "distance_band"] == "50 m-100 m"
    assert bool(custom.loc["V2", "far"])


def test_distance_boundary_goes_to_upper_band():
    v = _v([("V1", "R1", "T1", None, "2025-01-06 09:00", None, None, 0.0, 0.0)])
    t = pd.DataFrame({"terminal_id": ["T1"], "latitude": [0.0], "longitude": [0.0]})
    one_deg = ff.EARTH_RADIUS_M * math.pi / 180
    d = ff.checkin_distance(v, t, bands=[one_deg / 2], far_m=1)
    assert d["distance_band"].iloc[0] == ff.band_labels([one_deg / 2])[0]


def test_distance_summary_shares(visits, terminals, reps):
    d = ff.checkin_distance(visits, terminals)
    s = ff.distance_summary(d)
    r1 = s[s["rep_id"] == "R1"].set_index("distance_band")
    assert r1["visits"].sum() == 4
    assert r1.loc["<200 m", "visits"] == 2
    assert r1.loc[">5 km", "visits"] == 1
    assert r1.loc[ff.UNKNOWN, "visits"] == 1
    assert r1["share"].sum() == pytest.approx(1.0)
    # far share over visits with a known distance: 1 of 3
    assert r1["far_checkin_share"].iloc[0] == pytest.approx(1 / 3)
    assert r1["unknown_share"].iloc[0] == pytest.approx(1 / 4)
    reg = ff.distance_summary(d, reps, level="region")
    assert set(reg["region"]) == {"East", "West"}


# --------------------------------------------------------------------------------------------
# met whom


def test_terminal_grades_top_share():
    t = pd.DataFrame({"terminal_id": [f"T{i:02d}" for i in range(11)]})
    s = pd.DataFrame({"terminal_id": t["terminal_id"], "revenue": np.arange(11.0)})
    g = ff.terminal_grades(t, s, top_share=0.2)
    # ceil(0.2 * 11) = 3 top terminals: the three with revenue 10, 9, 8
    assert sorted(g.loc[g["grade"] == "top", "terminal_id"]) == ["T08", "T09", "T10"]
    with pytest.raises(ValueError, match="top_share"):
        ff.terminal_grades(t, s, top_share=0)


def test_frequency_vs_standard(visits, terminals):
    sales = pd.DataFrame(
        {"terminal_id": ["T1", "T2", "T3", "T4", "T5"], "revenue": [100.0, 5, 4, 3, 2]}
    )
    # window 2025-01-06 .. 2025-01-19 = 14 days: top (weekly) needs 2 visits, others 1
    f = ff.frequency_vs_standard(visits, terminals, sales, start="2025-01-06", end="2025-01-19")
    f = f.set_index("terminal_id")
    assert f.loc["T1", "grade"] == "top"  # ceil(0.2 * 5) = 1 top terminal
    assert f.loc["T1", "window_days"] == 14
    assert f.loc["T1", "expected_visits"] == pytest.approx(2.0)
    assert f.loc["T1", "required_visits"] == 2
    assert f.loc["T1", "visits_done"] == 2  # V1, V4 (V3 not done)
    assert bool(f.loc["T1", "meets_standard"])
    assert f.loc["T2", "visits_done"] == 2 and bool(f.loc["T2", "meets_standard"])
    assert f.loc["T5", "visits_done"] == 0 and not bool(f.loc["T5", "meets_standard"])
    assert f.loc["T3", "required_visits"] == 1
    # a stricter standard for others: every 3 days -> floor(14 / 3) = 4 required
    g = ff.frequency_vs_standard(
        visits, terminals, sales, standards={"top": "weekly", "other": 3}, start="2025-01-06",
        end="2025-01-19",
    ).set_index("terminal_id")  # fmt: skip
    assert g.loc["T2", "required_visits"] == 4 and not bool(g.loc["T2", "meets_standard"])


def test_frequency_per_period_and_own_grades(visits, terminals):
    grades = pd.DataFrame({"terminal_id": ["T1", "T2"], "grade": ["A", "B"]})
    std = {"A": "weekly", "B": "biweekly", "other": "monthly"}
    f = ff.frequency_vs_standard(
        visits, terminals, grades=grades, standards=std, freq="M", start="2025-01-01",
        end="2025-02-28",
    )  # fmt: skip
    assert set(f["period"]) == {"2025-01", "2025-02"}
    jan = f[(f["period"] == "2025-01")].set_index("terminal_id")
    assert jan.loc["T1", "window_days"] == 31
    assert jan.loc["T1", "required_visits"] == 4  # floor(31 / 7)
    assert jan.loc["T2", "required_visits"] == 2  # floor(31 / 14)
    assert jan.loc["T3", "grade"] == "other"
    with pytest.raises(ValueError, match="no frequency standard for grade"):
        ff.frequency_vs_standard(visits, terminals, grades=grades, standards={"A": 7, "other": 30})


def test_frequency_summary_coverage(visits, terminals, reps):
    sales = pd.DataFrame({"terminal_id": ["T1", "T4"], "revenue": [100.0, 90.0]})
    f = ff.frequency_vs_standard(
        visits, terminals, sales, top_share=0.4, start="2025-01-06", end="2025-01-19"
    )
    s = ff.frequency_summary(f).set_index("rep_id")
    # R1: T1 (top, 2 visits, meets), T2 (other, meets) -> 1.0; R3: T4 top visited once (needs 2)
    assert s.loc["R1", "frequency_compliance"] == 1.0
    assert s.loc["R1", "top_terminal_coverage"] == 1.0
    assert s.loc["R3", "n_terminals"] == 2
    assert s.loc["R3", "frequency_compliance"] == 0.0
    assert s.loc["R3", "top_terminal_coverage"] == 1.0
    assert s.loc["R3", "top_frequency_compliance"] == 0.0
    assert math.isnan(s.loc["R2", "top_terminal_coverage"])  # R2 has no top terminal
    team = ff.frequency_summary(f, reps, level="team").set_index("team_id")
    assert team.loc["M1", "n_terminals"] == 3


def test_core_customer_coverage(visits, terminals):
    c = ff.core_customer_coverage(visits, terminals, ["C1", "C3", "C9"]).set_index("rep_id")
    assert c.loc["R1", "n_core_customers"] == 1 and c.loc["R1", "core_customer_coverage"] == 1.0
    assert c.loc["R3", "core_customers_visited"] == 1
    assert "R2" not in c.index  # C2 is not core


# --------------------------------------------------------------------------------------------
# did what


def test_activity_shares(visits, reps):
    a = ff.activity_shares(visits)
    r1 = a[a["rep_id"] == "R1"].set_index("activity")
    assert (r1["done_visits"] == 4).all()
    assert r1.loc["order", "visits"] == 3
    assert r1.loc["order", "share"] == pytest.approx(0.75)
    assert r1.loc["stock_check", "share"] == pytest.approx(0.25)
    assert r1.loc["display", "share"] == pytest.approx(0.25)
    assert r1.loc["training", "share"] == pytest.approx(0.25)
    assert r1.loc["collection", "share"] == 0.0
    assert list(r1.index[:4]) == ["order", "stock_check", "display", "training"]
    reg = ff.activity_shares(visits, reps, level="region")
    east = reg[reg["region"] == "East"].set_index("activity")
    assert east.loc["display", "share"] == pytest.approx(2 / 5)


def test_activity_unknown_codes_counted_as_other():
    v = _v(
        [
            ("V1", "R1", "T1", None, "2025-01-06 09:00", None, "Order; tasting", None, None),
            ("V2", "R1", "T1", None, "2025-01-06 10:00", None, "", None, None),
        ]
    )
    a = ff.activity_shares(v).set_index("activity")
    assert a.loc["order", "visits"] == 1  # case and spaces normalised
    assert a.loc["other", "visits"] == 1
    assert a.loc["none", "visits"] == 1


# --------------------------------------------------------------------------------------------
# time use


def test_time_in_store_span_travel_visits_per_day(visits):
    t = ff.visit_times(visits).set_index("visit_id")
    assert t.loc["V1", "time_in_store_min"] == 30
    assert t.loc["V4", "time_in_store_min"] == 45
    d = ff.rep_days(visits).set_index(["rep_id", "day"])
    day1 = d.loc[("R1", pd.Timestamp("2025-01-06"))]
    assert day1["working_span_h"] == pytest.approx(80 / 60)  # 09:00 -> 10:20
    assert day1["travel_min"] == 30  # 09:30 -> 10:00
    day2 = d.loc[("R1", pd.Timestamp("2025-01-13"))]
    assert day2["travel_min"] == 15  # 14:45 -> 15:00
    u = ff.time_use(visits).set_index("rep_id")
    assert u.loc["R1", "days"] == 2
    assert u.loc["R1", "visits_per_day"] == 2.0
    assert u.loc["R1", "avg_time_in_store_min"] == pytest.approx((30 + 20 + 45 + 10) / 4)
    assert u.loc["R1", "median_time_in_store_min"] == pytest.approx(25.0)
    assert u.loc["R1", "avg_working_span_h"] == pytest.approx((80 / 60 + 70 / 60) / 2)
    assert u.loc["R1", "avg_travel_min"] == pytest.approx(22.5)
    assert u.loc["R1", "travel_min_per_day"] == pytest.approx(22.5)
    assert u.loc["R3", "visits_per_day"] == 1.0
    assert math.isnan(u.loc["R3", "avg_travel_min"])  # a single visit: no gap


def test_checkout_before_checkin_excluded_and_counted():
    v = _v(
        [
            ("V1", "R1", "T1", None, "2025-01-06 09:00", "2025-01-06 09:30", None, None, None),
            ("V2", "R1", "T1", None, "2025-01-06 11:00", "2025-01-06 10:00", None, None, None),
            ("V3", "R1", "T1", None, "2025-01-06 12:00", None, None, None, None),
        ]
    )
    u = ff.time_use(v).iloc[0]
    assert u["excluded_visits"] == 2
    assert u["done_visits"] == 3  # still counted as visits done
    assert u["visits_per_day"] == 3.0
    assert u["avg_time_in_store_min"] == 30.0  # only the valid one
    t = ff.visit_times(v).set_index("visit_id")
    assert t.loc["V2", "time_problem"] == "check_out_before_check_in"
    assert t.loc["V3", "time_problem"] == "no_check_out"
    assert not (t["time_in_store_min"] < 0).any()


def test_overlapping_visits_not_counted_as_travel():
    v = _v(
        [
            ("V1", "R1", "T1", None, "2025-01-06 09:00", "2025-01-06 10:00", None, None, None),
            ("V2", "R1", "T2", None, "2025-01-06 09:30", "2025-01-06 10:30", None, None, None),
            ("V3", "R1", "T2", None, "2025-01-06 11:00", "2025-01-06 11:10", None, None, None),
        ]
    )
    d = ff.rep_days(v).iloc[0]
    assert d["overlaps"] == 1
    assert d["travel_min"] == 30  # only 10:30 -> 11:00
    assert d["travel_gaps"] == 1
    assert d["working_span_h"] == pytest.approx(130 / 60)


# --------------------------------------------------------------------------------------------
# target vs result


@pytest.fixture
def sales_targets():
    sales = pd.DataFrame(
        {
            "rep_id": ["R1", "R1", "R2", "R2", "R3", None],
            "period": ["2025-01", "2025-02", "2025-01", "2025-03", "2025-01", "2025-01"],
            "revenue": [90.0, 130.0, 40.0, 500.0, 100.0, 7.0],
        }
    )
    targets = pd.DataFrame(
        {
            "rep_id": ["R1", "R1", "R2", "R2", "R3"],
            "period": ["2025-01", "2025-02", "2025-01", "2025-02", "2025-01"],
            "target_revenue": [100.0, 100.0, 80.0, 80.0, 0.0],
        }
    )
    return sales, targets


def test_attainment_per_month_and_total(sales_targets, reps):
    sales, targets = sales_targets
    m = ff.attainment(sales, targets).set_index(["rep_id", "period"])
    assert m.loc[("R1", "2025-01"), "attainment"] == pytest.approx(0.9)
    assert m.loc[("R1", "2025-02"), "deviation"] == pytest.approx(30.0)
    assert m.loc[("R2", "2025-02"), "revenue"] == 0.0  # target, no sales
    assert m.loc[("R2", "2025-02"), "attainment"] == 0.0
    assert math.isnan(m.loc[("R3", "2025-01"), "attainment"])  # zero target
    assert ("R2", "2025-03") not in m.index  # no target that month
    tot = ff.attainment(sales, targets, freq=None).set_index("rep_id")
    assert tot.loc["R1", "attainment"] == pytest.approx(220 / 200)
    assert tot.loc["R2", "attainment"] == pytest.approx(40 / 160)
    q = ff.attainment(sales, targets, freq="Q").set_index(["rep_id", "period"])
    assert q.loc[("R1", "2025Q1"), "target_revenue"] == 200
    team = ff.attainment(sales, targets, reps, level="team", freq=None).set_index("team_id")
    assert team.loc["M1", "attainment"] == pytest.approx((220 + 40) / 360)


def test_attainment_bad_period(sales_targets):
    sales, targets = sales_targets
    with pytest.raises(ValueError, match="YYYY-MM"):
        ff.attainment(sales.assign(period="2025Q1"), targets.assign(period="2025Q1"))


def test_deviation_ranking(sales_targets):
    sales, targets = sales_targets
    r = ff.deviation_ranking(ff.attainment(sales, targets, freq=None))
    assert r["rep_id"].tolist()[:2] == ["R2", "R1"]
    assert r["rank"].tolist() == [1, 2, -1]  # R3 has no usable target -> last, rank -1


def test_discipline_vs_attainment_sign_and_ci():
    rng = np.random.default_rng(1)
    x = rng.uniform(0.4, 1.0, 40)
    d = pd.DataFrame({"visit_completion": x, "attainment": 0.5 + x + rng.normal(0, 0.05, 40)})
    r = ff.discipline_vs_attainment(d)
    ref = stats.spearmanr(d["visit_completion"], d["attainment"])
    assert r["rho"] == pytest.approx(ref.statistic)
    # Fisher z by hand: interval and p-value of the same procedure
    z, se = math.atanh(ref.statistic), math.sqrt(1.06 / 37)
    assert r["p_value"] == pytest.approx(2 * stats.norm.sf(abs(z) / se))
    assert r["ci_low"] == pytest.approx(math.tanh(z - 1.959963984540054 * se))
    assert r["ci_high"] == pytest.approx(math.tanh(z + 1.959963984540054 * se))
    assert r["rho"] > 0.8 and r["ci_low"] > 0.5 and r["ci_high"] <= 1.0
    assert r["method"] == "fisher_z" and r["sufficient"] and r["n"] == 40
    neg = ff.discipline_vs_attainment(d.assign(attainment=-d["attainment"]))
    assert neg["rho"] < -0.8 and neg["ci_high"] < -0.5


def test_bootstrap_spearman_matches_scipy():
    rng = np.random.default_rng(3)
    xs = rng.integers(0, 5, size=(20, 12)).astype(float)  # with ties
    ys = rng.normal(size=(20, 12))
    from ars_analysis.fieldforce.targets import _spearman_matrix

    ours = _spearman_matrix(xs, ys)
    ref = [stats.spearmanr(a, b).statistic for a, b in zip(xs, ys, strict=True)]
    np.testing.assert_allclose(ours, ref, rtol=1e-12)


def test_discipline_vs_attainment_small_or_missing():
    d = pd.DataFrame({"visit_completion": [0.5, np.nan, 0.7], "attainment": [1.0, 0.9, np.nan]})
    r = ff.discipline_vs_attainment(d)
    assert r["n"] == 1 and r["excluded"] == 2 and math.isnan(r["rho"])
    with pytest.raises(ValueError, match="lacks column"):
        ff.discipline_vs_attainment(d, x="nope")


# --------------------------------------------------------------------------------------------
# scorecard


def test_rep_scorecard_columns_and_ranges(visits, terminals, reps, sales_targets):
    sales, targets = sales_targets
    tsales = pd.DataFrame({"terminal_id": ["T1", "T4"], "revenue": [100.0, 90.0]})
    card = ff.rep_scorecard(visits, terminals, reps, targets, sales, tsales, start="2025-01-06",
                            end="2025-01-19")  # fmt: skip
    for col in ("rep_id", *ff.SCORECARD_KPIS, "score", "excluded_visits"):
        assert col in card.columns
    assert card["rep_id"].tolist() == ["M1", "R1", "R2", "R3"]  # every rep of reps
    for col in ("visit_completion", "visit_order_rate", "top_terminal_coverage",
                "frequency_compliance", "far_checkin_share"):  # fmt: skip
        vals = card[col].dropna()
        assert ((vals >= 0) & (vals <= 1)).all(), col
    assert card["score"].dropna().between(0, 100).all()
    c = card.set_index("rep_id")
    assert c.loc["R1", "visit_completion"] == 0.75
    assert c.loc["R1", "visit_order_rate"] == 0.5
    # no sales lines given: new terminals are unknown (NaN), never a count of visited terminals
    assert c["new_terminals"].isna().all()
    assert c.loc["R1", "visits_per_day"] == 2.0
    assert c.loc["R1", "far_checkin_share"] == pytest.approx(1 / 3)
    assert c.loc["R1", "attainment"] == pytest.approx(0.9)  # January only: the visit window
    assert c.loc["M1", "done_visits"] == 0 and math.isnan(c.loc["M1", "visit_completion"])
    assert c.loc["R1", "team_id"] == "M1"


def test_scorecard_score_weights(visits, terminals):
    one = ff.rep_scorecard(visits, terminals, weights={"visit_completion": 1.0})
    c = one.set_index("rep_id")
    assert c.loc["R1", "score"] == pytest.approx(75.0)
    assert c.loc["R2", "score"] == pytest.approx(50.0)
    two = ff.rep_scorecard(
        visits, terminals, weights={"visit_completion": 1, "far_checkin_share": 1}
    )
    c2 = two.set_index("rep_id")
    assert c2.loc["R1", "score"] == pytest.approx(100 * (0.75 + (1 - 1 / 3)) / 2)
    with pytest.raises(
        ValueError, match=r"scorecard_weights\.charm: expected one of the scorecard"
    ):
        ff.rep_scorecard(visits, terminals, weights={"charm": 1})
    with pytest.raises(ValueError, match=">= 0"):
        ff.rep_scorecard(visits, terminals, weights={"visit_completion": -1})


def test_scorecard_per_period(visits, terminals, reps):
    card = ff.rep_scorecard(visits, terminals, reps, freq="M")
    assert set(card["period"]) == {"2025-01"}
    assert len(card) == 4


def test_new_terminals_first_sale_credit():
    sales = pd.DataFrame(
        {
            "date": pd.to_datetime(["2024-06-01", "2025-01-10", "2025-02-03", "2025-02-20",
                                    "2025-03-01"]),
            "terminal_id": ["T1", "T1", "T2", "T3", "T3"],
            "rep_id": ["R1", "R2", "R2", None, "R1"],
            "revenue": [5.0, 6.0, 7.0, 8.0, 9.0],
        }
    )  # fmt: skip
    terminals = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "rep_id": ["R1", "R2", "R3"]})
    n = ff.new_terminals(sales, terminals, start="2025-01-01", end="2025-03-31", freq="M")
    n = n.set_index(["rep_id", "period"])["new_terminals"]
    # T1 sold before the window: not new; T3's first line has no rep -> its responsible rep
    assert n.to_dict() == {("R2", "2025-02"): 1, ("R3", "2025-02"): 1}
    new = ff.new_terminal_list(sales, terminals, start="2025-01-01", end="2025-03-31")
    assert new.set_index("terminal_id")["revenue"].to_dict() == {"T2": 7.0, "T3": 17.0}
    short = ff.new_terminals(sales, start="2025-01-01", end="2025-03-31", history_months=8)
    assert short.empty and short.attrs["available"] is False


# --------------------------------------------------------------------------------------------
# data problems


def test_visit_issues():
    v = _v(
        [
            ("V1", "R1", "T1", None, "2025-01-06 09:00", "2025-01-06 10:00", None, None, None),
            ("V2", "R1", "T2", None, "2025-01-06 09:45", "2025-01-06 10:30", None, None, None),
            ("V3", "R1", "T9", None, "2025-01-06 11:00", "2025-01-06 10:59", None, None, None),
            ("V4", "RX", "T1", None, "2025-01-06 09:10", "2025-01-06 09:20", None, None, None),
            ("V5", "R2", "T1", "2025-01-06", None, None, None, None, None),
        ]
    )
    reps = pd.DataFrame({"rep_id": ["R1", "R2"]})
    terms = pd.DataFrame({"terminal_id": ["T1", "T2"]})
    issues = ff.visit_issues(v, reps, terms)
    got = sorted(zip(issues["visit_id"], issues["issue"], strict=True))
    assert got == [
        ("V2", "overlap_previous"),
        ("V3", "checkout_before_checkin"),
        ("V3", "unknown_terminal"),
        ("V4", "unknown_rep"),
    ]
    ov = issues[issues["issue"] == "overlap_previous"].iloc[0]
    assert "V1" in ov["detail"] and "15" in ov["detail"]
    clean = ff.visit_issues(v[v["visit_id"].isin(["V1", "V5"])], reps, terms)
    assert clean.empty and list(clean.columns)[-2:] == ["issue", "detail"]


# --------------------------------------------------------------------------------------------
# config and input errors


def test_load_standards_defaults_and_overrides(tmp_path):
    std = ff.load_standards()
    assert std["frequency"] == {"top": 7.0, "other": pytest.approx(30.4375)}
    assert std["top_share"] == 0.2
    assert set(std["scorecard_weights"]) <= set(ff.SCORECARD_KPIS)
    assert ff.load_standards(top_share=None)["top_share"] == 0.2  # None = keep default
    p = tmp_path / "s.yml"
    p.write_text("frequency: {top: 10, other: biweekly}\ntop_share: 0.1\n", encoding="utf-8")
    s = ff.load_standards(p)
    assert s["frequency"] == {"top": 10.0, "other": 14.0} and s["top_share"] == 0.1


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("frequency: {top: fortnightly}", "bad.yml: frequency.top: expected one of"),
        ("frequency: {top: -3}", "bad.yml: frequency.top: .*frequency of grade 'top'"),
        ("frequency: []", "bad.yml: frequency: expected a mapping"),
        ("frequency: {top: 7}\ntop_share: 1.5", "bad.yml: top_share: expected a number <= 1"),
        ("frequency: {top: 7}\ndistance_bands_m: [1000, 200]", "bad.yml: distance_bands_m: "),
        ("frequency: {top: 7}\nfar_checkin_m: 0", "bad.yml: far_checkin_m: expected a number > 0"),
        (
            "frequency: {top: 7}\nscorecard_weights: {speed: 1}",
            "bad.yml: scorecard_weights.speed: expected one of the scorecard KPIs",
        ),
        ("frequency: {top: 7}\nscorecard_weights: {visit_completion: 0}", "sum to 0"),
        ("frequency: {top: 7}\nreference: {visits_per_day: 0}", "reference.visits_per_day"),
        ("frequency: {top: 7}\ncolour: blue", "bad.yml: colour: expected one of the keys"),
        ("frequency: {top: 7}\ntop_shar: 0.1", "top_shar: .*did you mean 'top_share'"),
        ("top_share: 0.1", "bad.yml: frequency: expected this required key"),
        ("frequency: {top: 7}\ntop_share: high", "bad.yml: top_share: expected a number"),
        ("frequency: [top: 7", "bad.yml: not valid YAML"),
    ],
)
def test_load_standards_errors(tmp_path, text, match):
    p = tmp_path / "bad.yml"
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=match):
        ff.load_standards(p)


def test_input_errors(visits, terminals):
    with pytest.raises(ValueError, match="lacks column"):
        ff.visit_compliance(visits.drop(columns="rep_id"))
    with pytest.raises(ValueError, match="level must be one of"):
        ff.visit_compliance(visits, level="city")
    with pytest.raises(ValueError, match="needs the 'reps' table"):
        ff.visit_compliance(visits, level="team")
    with pytest.raises(ValueError, match="freq must be one of"):
        ff.time_use(visits, freq="W")
    with pytest.raises(ValueError, match="'check_in'.*not dates"):
        ff.visit_compliance(visits.assign(check_in="yesterday"))
    with pytest.raises(ValueError, match="bands"):
        ff.checkin_distance(visits, terminals, bands=[500, 100], far_m=100)


def test_inputs_not_mutated(visits, terminals, reps):
    before = visits.copy()
    ff.rep_scorecard(visits, terminals, reps)
    ff.visit_issues(visits, reps, terminals)
    pd.testing.assert_frame_equal(visits, before)


def test_attainment_window_and_level_all(sales_targets):
    sales, targets = sales_targets
    a = ff.attainment(sales, targets, freq=None, start="2025-02-10", end="2025-02-20")
    a = a.set_index("rep_id")
    assert a.loc["R1", "attainment"] == pytest.approx(1.3)  # February only
    assert a.loc["R2", "revenue"] == 0.0
    tot = ff.attainment(sales, targets, level="all", freq=None)
    assert tot["scope"].tolist() == ["all"]
    assert tot["attainment"].iloc[0] == pytest.approx((220 + 40 + 100) / 360)


def test_level_all(visits):
    c = ff.visit_compliance(visits, level="all")
    assert len(c) == 1 and c["planned_visits"].iloc[0] == 7
    assert c["visit_completion"].iloc[0] == pytest.approx(5 / 7)


def test_visit_window_and_errors(visits):
    lo, hi = ff.visit_window(visits)
    assert (lo, hi) == (pd.Timestamp("2025-01-06"), pd.Timestamp("2025-01-13"))
    assert ff.visit_window(visits, start="2025-01-01")[0] == pd.Timestamp("2025-01-01")
    with pytest.raises(ValueError, match="before start"):
        ff.visit_window(visits, start="2025-02-01", end="2025-01-01")


def test_team_time_use_counts_excluded(reps):
    v = _v(
        [
            ("V1", "R1", "T1", None, "2025-01-06 09:00", "2025-01-06 08:00", None, None, None),
            ("V2", "R2", "T3", None, "2025-01-06 09:00", "2025-01-06 09:30", None, None, None),
        ]
    )
    u = ff.time_use(v, reps, level="team").set_index("team_id")
    assert u.loc["M1", "excluded_visits"] == 1
    assert u.loc["M1", "done_visits"] == 2
    assert u.loc["M1", "avg_time_in_store_min"] == 30.0


def test_scorecard_periods_stay_in_window():
    # planned for 1 Feb, done on 31 Jan: the February row gets the completion, no January row
    v = _v(
        [
            (
                "V1",
                "R1",
                "T1",
                "2025-02-01",
                "2025-01-31 09:00",
                "2025-01-31 09:30",
                "order",
                None,
                None,
            )
        ]
    )
    t = pd.DataFrame(
        {"terminal_id": ["T1"], "rep_id": ["R1"], "latitude": [0.0], "longitude": [0.0]}
    )
    card = ff.rep_scorecard(v, t, freq="M")
    assert card["period"].tolist() == ["2025-02"]
    assert card["visit_completion"].tolist() == [1.0]


def test_rep_measured_on_too_few_kpis_gets_no_score(visits, terminals, tmp_path):
    # R2 keeps visiting T3 but no longer has terminals of its own: no coverage KPI
    unassigned = terminals.assign(rep_id=terminals["rep_id"].replace({"R2": None}))
    weights = {"visit_completion": 0.5, "frequency_compliance": 0.5}
    card = ff.rep_scorecard(visits, unassigned, weights=weights).set_index("rep_id")
    assert math.isnan(card.loc["R2", "frequency_compliance"])
    assert math.isnan(card.loc["R2", "score"])  # 50% of the weight measured < 75% default
    assert card.loc["R1", "score"] == pytest.approx(100 * (0.75 + 1.0) / 2)
    lenient = tmp_path / "standards.yml"
    lenient.write_text("frequency: {top: 7, other: 30}\nmin_score_basis: 0.5\n", encoding="utf-8")
    card = ff.rep_scorecard(visits, unassigned, weights=weights, standards_path=lenient)
    assert card.set_index("rep_id").loc["R2", "score"] == pytest.approx(50.0)
    with pytest.raises(ValueError, match="min_score_basis"):
        ff.load_standards(_write(tmp_path, "frequency: {top: 7}\nmin_score_basis: 2\n"))


def _write(tmp_path, text):
    path = tmp_path / "bad_standards.yml"
    path.write_text(text, encoding="utf-8")
    return path
