"""The four flows, distribution, terminal targets and 提升 (issue 15): numbers against hand-built
references, the absent-table paths and the scorecard's optional dimensions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ars_analysis.customers import Scorecard
from ars_analysis.customers.flows import (
    delivery_performance,
    price_adherence,
    receivable_days,
    report_timeliness,
    stock_cover,
    stockout_days,
)
from ars_analysis.customers.health import flow_scores, health_flags
from ars_analysis.data.dataset import Dataset
from ars_analysis.terminals.distribution import distribution, distribution_gaps, rollout_curve
from ars_analysis.terminals.handover import handover_readiness, servicing_share
from ars_analysis.terminals.terminal_targets import suggest_targets, target_attainment

D = pd.Timestamp


# --------------------------------------------------------------------------------------------
# the measures, by hand
# --------------------------------------------------------------------------------------------
def test_fill_rate_on_time_and_lost_value_by_hand():
    d = pd.DataFrame({
        "customer_id": ["C1", "C1", "C1", "C2"],
        "product_id": ["P1", "P2", "P1", "P1"],
        "quantity_ordered": [10.0, 20.0, 5.0, 8.0],
        "quantity_delivered": [10.0, 15.0, 0.0, 8.0],
        "order_date": [D("2025-03-01")] * 4,
        "delivery_date": [D("2025-03-03"), D("2025-03-06"), pd.NaT, D("2025-03-02")],
        "due_date": [pd.NaT, D("2025-03-10"), pd.NaT, pd.NaT],
    })  # fmt: skip
    p = pd.DataFrame({"product_id": ["P1", "P2"], "list_price": [2.0, 3.0]})
    out = delivery_performance(d, p, lead_days=3).set_index("customer_id")
    assert out.loc["C1", "fill_rate"] == pytest.approx(25 / 35)
    assert out.loc["C1", "full_line_share"] == pytest.approx(1 / 3)
    # line 1: due 03-04 (order + 3), delivered 03-03: on time; line 2: due date given 03-10,
    # delivered 03-06: on time; line 3: not delivered: late
    assert out.loc["C1", "on_time_share"] == pytest.approx(2 / 3)
    assert out.loc["C1", "lost_value"] == pytest.approx(5 * 3.0 + 5 * 2.0)
    assert out.loc["C2", "fill_rate"] == 1.0


def test_dso_is_the_closed_form_and_changes_follow_the_balances():
    r = pd.DataFrame({"customer_id": ["C1", "C1", "C2"], "amount_due": [500.0, 800.0, 0.0],
                      "amount_overdue": [100.0, 400.0, 0.0], "days_overdue": [5.0, 9.0, 0.0],
                      "as_of_date": [D("2025-03-31"), D("2025-06-30"), D("2025-06-30")]})  # fmt: skip
    rev = pd.DataFrame({"customer_id": ["C1", "C1", "C2"], "as_of_date": r["as_of_date"],
                        "revenue": [1500.0, 1200.0, 300.0], "days": [90, 91, 91]})  # fmt: skip
    out = receivable_days(r, rev)
    c1 = out[out["customer_id"] == "C1"].reset_index(drop=True)
    # DSO = receivables / revenue x days
    assert c1["dso"].tolist() == pytest.approx([500 / 1500 * 90, 800 / 1200 * 91])
    assert c1["overdue_share"].tolist() == pytest.approx([0.2, 0.5])
    assert c1["dso_change"].iloc[1] == pytest.approx(800 / 1200 * 91 - 30)
    assert out.loc[out["customer_id"] == "C2", "dso"].iloc[0] == 0.0


def test_stock_cover_and_stockout_days_by_hand():
    inv = pd.DataFrame({
        "date": [D("2025-03-01"), D("2025-03-08"), D("2025-03-15")] * 2,
        "customer_id": ["C1"] * 6, "product_id": ["P1"] * 3 + ["P2"] * 3,
        "quantity": [10.0, 0.0, 30.0, 0.0, 0.0, 20.0],
    })  # fmt: skip
    sold = pd.DataFrame({"customer_id": ["C1", "C1"], "product_id": ["P1", "P2"],
                         "quantity": [90.0, 45.0]})  # fmt: skip
    p = pd.DataFrame({"product_id": ["P1", "P2"], "list_price": [1.0, 2.0]})
    c = stock_cover(inv, sold, p, window_days=90, excess_days=20).iloc[0]
    # last count: 30 x 1 + 20 x 2 = 70; daily sales value (90 x 1 + 45 x 2) / 90 = 2
    assert c["stock_value"] == 70 and c["daily_sales_value"] == 2
    assert c["cover_days"] == 35 and c["excess_value"] == 70 - 40
    s = stockout_days(inv).iloc[0]
    # P1 out 7 days of 21, P2 out 14 of 21
    assert s["stockout_days"] == pytest.approx((7 + 14) / 2)
    assert s["stockout_share"] == pytest.approx(21 / 42)


def test_price_index_and_reports_on_time_by_hand():
    cp = pd.DataFrame({"customer_id": ["C1", "C1", "C2"], "product_id": ["P1", "P2", "P1"],
                       "quantity": [10.0, 4.0, 10.0], "revenue": [80.0, 20.0, 100.0]})  # fmt: skip
    p = pd.DataFrame({"product_id": ["P1", "P2"], "list_price": [10.0, 5.0]})
    out = price_adherence(cp, p).set_index("customer_id")
    assert out.loc["C1", "price_index"] == pytest.approx(100 / 120)
    assert out.loc["C2", "price_index"] == pytest.approx(1.0)
    rep = pd.DataFrame({"customer_id": ["C1"] * 3, "period": ["2025-01", "2025-02", "2025-02"],
                        "due_date": [pd.NaT, D("2025-03-05"), pd.NaT],
                        "submitted_date": [D("2025-02-10"), D("2025-03-06"), pd.NaT]})  # fmt: skip
    t = report_timeliness(rep, due_days=10).iloc[0]
    # Jan due 02-10 (on time), Feb due 03-05 given (1 day late), one missing
    assert t["n_on_time"] == 1 and t["n_missing"] == 1
    assert t["reports_on_time"] == pytest.approx(1 / 3)
    assert t["mean_delay_days"] == pytest.approx(0.5)


def test_flow_scores_are_oriented_percentiles_and_flags_carry_the_money():
    h = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "dso": [30.0, 60.0, 90.0],
                      "overdue_share": [0.1, 0.1, 0.5], "amount_overdue": [1.0, 2.0, 300.0],
                      "cover_days": [20.0, 70.0, 90.0], "excess_value": [0.0, 100.0, 450.0]})  # fmt: skip
    s = flow_scores(h).set_index("customer_id")
    assert s.loc["C1", "cash"] == pytest.approx((100 + 75) / 2)  # dso best; overdue tied
    assert s.loc["C3", "cash"] == 0
    assert s["commerce"].isna().all() and s["health_score"].equals(s["cash"])
    f = health_flags(h)
    over = f[f["flag"] == "overstock"]
    assert over["customer_id"].tolist() == ["C2", "C3"] and over["at_stake"].sum() == 550
    assert f.loc[f["flag"] == "overdue", "customer_id"].tolist() == ["C3"]


# --------------------------------------------------------------------------------------------
# distribution
# --------------------------------------------------------------------------------------------
def test_numeric_and_weighted_distribution_match_plain_pandas():
    rng = np.random.default_rng(3)
    n = 400
    ti = pd.DataFrame({"terminal_id": rng.choice([f"T{i}" for i in range(60)], n),
                       "product_id": rng.choice(["P1", "P2", "P3", "P4"], n),
                       "revenue": rng.gamma(1.5, 100, n)})  # fmt: skip
    ti.loc[rng.random(n) < 0.05, "revenue"] = -5.0  # returns are not purchases
    ti = ti.groupby(["terminal_id", "product_id"], as_index=False)["revenue"].sum()
    terminals = pd.DataFrame({"terminal_id": [f"T{i}" for i in range(60)],
                              "region": ["E", "W", "N"] * 20})  # fmt: skip
    got = distribution(ti, terminals, by=["region"]).set_index(["region", "product_id"])
    # reference: a plain pandas computation
    buys = ti[ti["revenue"] > 0].merge(terminals, on="terminal_id")
    vol = buys.groupby("terminal_id")["revenue"].sum()
    for (region, pid), row in got.iterrows():
        active = buys.loc[buys["region"] == region, "terminal_id"].unique()
        have = buys.loc[(buys["region"] == region) & (buys["product_id"] == pid), "terminal_id"]
        assert row["numeric_distribution"] == pytest.approx(have.nunique() / len(active))
        assert row["weighted_distribution"] == pytest.approx(
            vol[have.unique()].sum() / vol[active].sum()
        )
    assert len(got) == buys.groupby(["region", "product_id"]).ngroups


def test_rollout_curve_is_cumulative_from_the_launch_week():
    fp = pd.DataFrame({"terminal_id": ["T1", "T2", "T3", "T4"], "product_id": ["P9"] * 4,
                       "first_date": [D("2025-01-01"), D("2025-01-09"), D("2025-01-09"),
                                      D("2025-02-20")]})  # fmt: skip
    la = pd.DataFrame({"product_id": ["P9", "P1"], "launch_date": [D("2025-01-01"), pd.NaT]})
    c = rollout_curve(fp, la, 8, end=D("2025-01-31"))
    assert c["week"].tolist() == [0, 1, 2, 3, 4]
    assert c["n_terminals"].tolist() == [1, 3, 3, 3, 3]  # T4 bought after the end
    assert c["numeric_distribution"].iloc[-1] == pytest.approx(3 / 8)
    assert c["n_terminals"].is_monotonic_increasing


def test_gaps_list_high_volume_terminals_missing_a_core_product():
    ti = pd.DataFrame({"terminal_id": ["T1", "T1", "T2", "T3", "T3", "T4"],
                       "product_id": ["P1", "P2", "P1", "P1", "P2", "P2"],
                       "revenue": [100.0, 50.0, 30.0, 20.0, 70.0, 10.0]})  # fmt: skip
    t = pd.DataFrame({"terminal_id": ["T1", "T2", "T3", "T4"],
                      "terminal_type": ["a", "a", "b", "a"]})  # fmt: skip
    g = distribution_gaps(ti, t, ["P1", "P2"], ["T1", "T2"])
    assert g[["terminal_id", "product_id"]].values.tolist() == [["T2", "P2"]]
    assert g["peer_revenue"].iloc[0] == pytest.approx(30.0)  # median of type a: 50, 10


# --------------------------------------------------------------------------------------------
# targets and handover
# --------------------------------------------------------------------------------------------
def test_attainment_by_distributor_sums_targets_and_actuals():
    m = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "period": ["2025-01"] * 3,
                      "revenue": [50.0, 100.0, 10.0]})  # fmt: skip
    tg = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "period": ["2025-01"] * 3,
                       "target_revenue": [100.0, 100.0, 20.0]})  # fmt: skip
    t = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "customer_id": ["C1", "C1", "C2"]})
    a = target_attainment(m, tg, t, by="customer_id").set_index("customer_id")
    assert a.loc["C1", "attainment"] == pytest.approx(150 / 200)
    assert a.loc["C1", "n_reached"] == 1 and a.loc["C2", "attainment"] == 0.5
    with pytest.raises(ValueError, match="customer_id"):
        target_attainment(m, tg, None, by="customer_id")


def test_suggested_targets_state_the_peer_level_used():
    periods = [f"2025-{i:02d}" for i in range(1, 5)]
    rows = []
    for tid, base, g in (("T1", 100, 0.1), ("T2", 200, 0.2), ("T3", 50, 0.3)):
        for i, p in enumerate(periods):
            rows.append((tid, p, base * (1 + g) if i >= 2 else base))
    m = pd.DataFrame(rows, columns=["terminal_id", "period", "revenue"])
    t = pd.DataFrame({"terminal_id": ["T1", "T2", "T3", "T4"],
                      "terminal_type": ["s", "s", "h", "s"], "city": ["X", "X", "X", "Y"],
                      "region": ["E"] * 4})  # fmt: skip
    s = suggest_targets(m, t, months=2, min_peers=2, exclude=["T2"]).set_index("terminal_id")
    assert "T2" not in s.index
    # T1: type s in city X has T1, T2 (2 peers): growth median(0.1, 0.2) = 0.15
    assert s.loc["T1", "peer_level"] == "type_city"
    assert s.loc["T1", "suggested_target"] == pytest.approx(110 * 1.15, abs=0.5)
    # T3: alone as h in X and in E -> type h has 1 -> all terminals: median growth 0.2
    assert s.loc["T3", "peer_level"] == "all"
    assert s.loc["T3", "suggested_target"] == pytest.approx(65 * 1.2, abs=0.5)
    # T4: no history -> peers' median average (type s in region E: 110, 240)
    assert s.loc["T4", "method"] == "peer_median"
    assert s.loc["T4", "suggested_target"] == pytest.approx(175)


def test_servicing_share_follows_the_handover_date_and_readiness_names_the_reason():
    t = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "region": ["E", "E", "W"],
                      "serviced_by": ["distributor", "rep", "rep"],
                      "serviced_by_since": [D("2025-02-15"), pd.NaT, D("2025-02-01")]})  # fmt: skip
    m = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"] * 2,
                      "period": ["2025-01"] * 3 + ["2025-02"] * 3,
                      "revenue": [10.0, 30.0, 60.0] * 2})  # fmt: skip
    s = servicing_share(t, m).set_index("period")
    # Jan: T3 was serviced by the distributor until 02-01 (then taken back by our rep)
    assert s.loc["2025-01", "n_distributor"] == 1
    assert s.loc["2025-01", "volume_share"] == pytest.approx(0.6)
    assert s.loc["2025-02", "volume_share"] == pytest.approx(0.1)
    g = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "grade": ["A", "A", "B"],
                      "is_core": [True, True, False]})  # fmt: skip
    h = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "health_score": [80.0, 80.0, 90.0],
                      "cash": [70.0, 10.0, 90.0]})  # fmt: skip
    n = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "n_linked": [20, 20, 20],
                      "n_active": [19, 19, 19], "n_own_team": [0, 0, 0]})  # fmt: skip
    r = handover_readiness(g, h, n).set_index("customer_id")
    assert "C3" not in r.index  # not a core distributor
    assert r.loc["C1", "reason"] == "ready" and r.loc["C2", "reason"] == "weak_flow"
    assert r.loc["C2", "weakest_flow"] == "cash"


# --------------------------------------------------------------------------------------------
# the dataset: absent tables, scorecard
# --------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tables():
    from ars_analysis.data.synth import generate_dataset

    return generate_dataset(seed=11, n_customers=24, n_terminals=320, n_reps=16, months=12)


OPTIONAL = ("inventory", "deliveries", "distributor_reports", "terminal_targets", "receivables")


@pytest.mark.slow
def test_health_without_the_optional_tables_says_what_is_missing(tables):
    from ars_analysis.compose.health import analyse_distributor_health, health_features

    plain = Dataset({k: v for k, v in tables.items() if k not in OPTIONAL})
    h = analyse_distributor_health(plain)
    assert h.missing == ["deliveries", "distributor_reports", "inventory", "receivables"]
    assert not h.measured("logistics") and not h.measured("cash")
    assert not h.measured("information") and h.measured("commerce")
    assert h.health[["logistics", "cash", "information"]].isna().all().all()
    assert h.health["commerce"].notna().all()
    assert not {"fill_rate", "cover_days", "dso", "reports_on_time"} & set(h.health.columns)
    assert set(health_features(plain).columns) == {"customer_id", "price_index"}
    full = analyse_distributor_health(Dataset(dict(tables)))
    assert full.missing == [] and all(full.measured(f) for f in full.available)
    assert {"fill_rate", "cover_days", "dso", "reports_on_time"} <= set(full.health.columns)


@pytest.mark.slow
def test_scorecard_skips_the_four_flow_dimensions_when_their_tables_are_absent(tables):
    from ars_analysis.compose.customers import _dataset_features

    card = Scorecard()
    plain = Dataset({k: v for k, v in tables.items() if k not in OPTIONAL})
    features = _dataset_features(plain)
    out, used = card.score(features), card.evaluate(features).used
    # no receivables, inventory, deliveries, reports (and no top terminals given)
    assert set(used) == {"sales", "growth", "terminal_reach", "regularity", "margin",
                         "price_adherence"}  # fmt: skip
    w = pd.Series({k: card.dimensions[k]["weight"] for k in used})
    row = out.dropna(subset=list(used)).iloc[0]
    assert row["score"] == pytest.approx((row[w.index] * w).sum() / w.sum())  # re-normalised
    used_full = card.evaluate(_dataset_features(Dataset(dict(tables)))).used
    assert {"fill_rate", "stock_cover", "reporting", "price_adherence"} <= set(used_full)


@pytest.mark.slow
def test_network_flows_without_targets_handover_or_launches(tables):
    from ars_analysis.compose.network_flows import analyse_network_flows

    t = dict(tables)
    t.pop("terminal_targets")
    t["terminals"] = t["terminals"].drop(columns=["serviced_by", "serviced_by_since"])
    t["products"] = t["products"].drop(columns=["launch_date"])
    f = analyse_network_flows(Dataset(t))
    assert f.missing == ["launch_date", "terminal_targets", "serviced_by"]
    assert f.rollout.empty and f.attainment == {} and f.servicing.empty and f.readiness.empty
    assert len(f.distribution["total"]) == len(f.core_products)
    assert f.suggested["suggested_target"].notna().all() and len(f.suggested)
    full = analyse_network_flows(Dataset(dict(tables)))
    assert full.missing == [] and set(full.attainment) == {"terminal_id", "customer_id", "rep_id"}
    assert set(full.rollout["product_id"]) == set(
        tables["products"].dropna(subset=["launch_date"])["product_id"]
    )
    total = full.servicing[full.servicing["region"].isna()]
    assert total["volume_share"].iloc[-1] > total["volume_share"].iloc[0]  # the handover
    # regional = national filtered for the shared definitions
    region = tables["terminals"]["region"].iloc[0]
    reg = analyse_network_flows(Dataset(dict(tables)), region=region)
    assert set(reg.gaps["terminal_id"]) <= set(full.gaps["terminal_id"])
    assert (reg.core_products["product_id"] == full.core_products["product_id"]).all()
