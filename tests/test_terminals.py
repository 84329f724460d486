"""Tests of ars_analysis.terminals: closed forms, hand examples, bootstrap coverage."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from ars_analysis import terminals as T
from ars_analysis.terminals.tails import FitResult


def test_fit_tail_reexported():
    assert T.fit_tail([1.0, 2.0, 3.0, 5.0, 8.0, 13.0], xmin=1.0).__class__ is FitResult


@pytest.mark.parametrize("alpha", [2.5, 3.0, 4.0])
def test_gini_pareto_closed_form(alpha):
    # pdf exponent alpha -> shape a = alpha - 1 -> Gini = 1 / (2a - 1) = 1 / (2 alpha - 3)
    # (the brief's "1/(2 alpha - 1)" uses the CCDF/shape exponent alpha = a).
    a = alpha - 1
    x = (1 - np.random.default_rng(0).random(400_000)) ** (-1 / a)
    tol = 0.01 if a > 2 else 0.03  # heavy tails converge slowly
    assert T.gini(x) == pytest.approx(1 / (2 * a - 1), abs=tol)


@pytest.mark.parametrize("sigma", [0.5, 1.0, 1.5])
def test_gini_lognormal_closed_form(sigma):
    x = np.random.default_rng(1).lognormal(0, sigma, 400_000)
    assert T.gini(x) == pytest.approx(2 * stats.norm.cdf(sigma / np.sqrt(2)) - 1, abs=0.01)


def test_gini_uniform_equal_and_extreme():
    assert T.gini(np.random.default_rng(2).random(200_000)) == pytest.approx(1 / 3, abs=0.005)
    assert T.gini([7.0] * 10) == 0.0
    assert T.gini([0, 0, 0, 0, 1]) == pytest.approx(0.8)  # (n-1)/n
    df = pd.DataFrame({"revenue": [1.0, 2.0, 3.0]})
    # hand: sum (2i-n-1) x_i / (n sum x) = (-2*1 + 0 + 2*3) / (3 * 6)
    assert T.gini(df) == pytest.approx(4 / 18)


def test_gini_equals_lorenz_area():
    x = np.random.default_rng(3).lognormal(0, 1, 501)
    L = T.lorenz(x)
    area = np.trapezoid(L["volume_share"], L["terminal_share"])
    assert T.gini(x) == pytest.approx(1 - 2 * area, abs=1e-12)


def test_lorenz_endpoints_monotone_convex():
    x = np.random.default_rng(4).lognormal(0, 1.2, 300)
    L = T.lorenz(x)
    p, v = L["terminal_share"].to_numpy(), L["volume_share"].to_numpy()
    assert (p[0], v[0]) == (0.0, 0.0)
    assert p[-1] == pytest.approx(1.0) and v[-1] == pytest.approx(1.0)
    assert np.all(np.diff(v) >= 0)
    slopes = np.diff(v) / np.diff(p)
    assert np.all(np.diff(slopes) >= -1e-12)  # convex
    assert np.all(v <= p + 1e-12)


def test_lorenz_and_pareto_by_group():
    df = pd.DataFrame(
        {
            "terminal_id": list("abcde"),
            "region": list("EEWWW"),
            "revenue": [1.0, 3.0, 2.0, 2.0, 6.0],
        }
    )
    L = T.lorenz(df, by="region")
    assert L.groupby("region").size().to_dict() == {"E": 3, "W": 4}
    P = T.pareto_curve(df, by="region")
    w = P[P["region"] == "W"]
    assert w["terminal_id"].tolist() == ["e", "c", "d"]
    assert w["cumulative_share"].tolist() == pytest.approx([0.6, 0.8, 1.0])


def test_top_share_interpolates():
    assert T.top_share([1, 1, 1, 7], 0.25) == pytest.approx(0.7)
    # top 20% of 4 terminals = 0.8 terminal: 0.8 * 7 / 10
    assert T.top_share([1, 1, 1, 7], 0.2) == pytest.approx(0.56)
    assert T.top_share([2, 2, 2, 2, 2], 0.2) == pytest.approx(0.2)


def test_terminals_to_reach_hand_example():
    df = pd.DataFrame({"terminal_id": list("abcde"), "revenue": [40, 25, 15, 10, 10]})
    r = T.terminals_to_reach(df, [0.5, 0.8, 0.9, 0.4])
    # 40 -> 40%, 65%, 80%, 90%, 100%: the crossing terminal counts, exact hits count as reached
    assert r.set_index("share")["n_terminals"].to_dict() == {0.4: 1, 0.5: 2, 0.8: 3, 0.9: 4}
    d = T.terminals_to_reach(df, [0.5, 0.8], detail=True)
    assert d["terminal_id"].tolist() == ["a", "b", "c"]
    assert d["needed_for"].tolist() == [0.5, 0.5, 0.8]


def test_bootstrap_ci_covers_truth():
    # coverage of the 90% percentile interval for the Gini of lognormal(0, 1) samples of 300
    truth = 2 * stats.norm.cdf(1 / np.sqrt(2)) - 1
    rng = np.random.default_rng(5)
    hits = 0
    reps = 60
    for r in range(reps):
        x = rng.lognormal(0, 1, 300)
        _, lo, hi = T.bootstrap_ci(x, "gini", n_boot=200, level=0.9, seed=r)
        hits += lo <= truth <= hi
    # expected ~ 0.9 (percentile intervals undercover a little for the skewed Gini)
    assert 0.75 <= hits / reps <= 0.99


def test_concentration_table_groups_and_ci():
    rng = np.random.default_rng(6)
    df = pd.DataFrame(
        {
            "terminal_id": [f"T{i}" for i in range(600)],
            "region": ["A"] * 300 + ["B"] * 300,
            "revenue": np.r_[rng.lognormal(0, 0.5, 300), rng.lognormal(0, 1.5, 300)],
        }
    )
    t = T.concentration_table(df, by="region", n_boot=100, seed=0)
    assert t["region"].tolist() == ["B", "A"]  # more concentrated first
    assert (t["gini_low"] <= t["gini"]).all() and (t["gini"] <= t["gini_high"]).all()
    assert (t["top_share_low"] <= t["top_share"]).all()
    assert {"n_for_50", "n_for_80", "n_for_90"} <= set(t.columns)
    again = T.concentration_table(df, by="region", n_boot=100, seed=0)
    pd.testing.assert_frame_equal(t, again)


def test_negative_volume_rejected():
    with pytest.raises(ValueError, match="negative"):
        T.gini(pd.DataFrame({"revenue": [1.0, -2.0]}))
    with pytest.raises(ValueError, match="column 'sales'"):
        T.gini(pd.DataFrame({"revenue": [1.0]}), measure="sales")


def test_lorenz_fit_recovers_parameters():
    x = np.random.default_rng(7).lognormal(0, 1.2, 20_000)
    r = T.lorenz_fit(x)
    p = r["params"].set_index("model")
    assert p.loc["lognormal", "value"] == pytest.approx(1.2, abs=0.05)
    assert p.loc["lognormal", "rmse"] < p.loc["pareto", "rmse"]
    y = (1 - np.random.default_rng(8).random(20_000)) ** (-1 / 2.5)
    q = T.lorenz_fit(y, method="mle")["params"].set_index("model")
    assert q.loc["pareto", "value"] == pytest.approx(2.5, rel=0.05)
    assert q.loc["pareto", "gini"] == pytest.approx(1 / 4, rel=0.05)


def test_missing_volume_truth_inside_interval():
    rng = np.random.default_rng(9)
    full = rng.lognormal(2, 1, 3000)
    seen = full[:2000]  # missing at random
    r = T.missing_volume(seen, n_total=3000, upper=None, n_boot=300, seed=1)
    assert r["low"] <= full[2000:].sum() <= r["high"]
    assert r["estimate"] == pytest.approx(1000 * np.exp(2 + 0.5), rel=0.1)
    # truncating at the observed max can only lower the estimate
    r2 = T.missing_volume(seen, n_total=3000, n_boot=0)
    assert r2["estimate"] <= r["estimate"]
    with pytest.raises(ValueError, match="n_total"):
        T.missing_volume(seen, n_total=10)


@pytest.fixture
def network():
    terminals = pd.DataFrame(
        {
            "terminal_id": [f"T{i}" for i in range(1, 11)],
            "region": ["E"] * 5 + ["W"] * 5,
            "customer_id": ["C1", None, "", "C2", "C1", "C3", "C3", None, "C9", ""],
            "rep_id": ["R1"] * 10,
        }
    )
    sales = pd.DataFrame(
        {
            "terminal_id": [f"T{i}" for i in range(1, 11)],
            "revenue": [100.0, 90, 80, 10, 5, 50, 40, 30, 20, 0],
            "cost": [60.0, 80, 40, 5, 4, 20, 30, 10, 15, 0],
        }
    )
    visits = pd.DataFrame(
        {
            "terminal_id": ["T2", "T3", "T6", "T8", "T9"],
            "check_in": pd.to_datetime(["2025-01-02", None, "2025-01-03", "2025-01-04", None]),
        }
    )
    return sales, terminals, visits


def test_coverage_hand_example(network):
    sales, terminals, visits = network
    cov = T.coverage(sales, terminals, visits, top=0.4).set_index("region")
    # E top 2: T1 (linked, not visited), T2 (not linked, visited) -> both covered
    e = cov.loc["E"]
    assert (e["n_high"], e["linked"], e["visited"], e["neither"]) == (2, 1, 1, 0)
    assert e["coverage_rate"] == 1.0 and e["volume_not_linked"] == 90.0
    # W top 2: T6 (linked C3, visited), T7 (linked C3, not visited)
    w = cov.loc["W"]
    assert (w["n_high"], w["both"], w["linked_only"]) == (2, 1, 1)
    # with core = C1 only, W's terminals are no longer linked: T7 becomes uncovered
    cov2 = T.coverage(sales, terminals, visits, top=0.4, core_customers=["C1"]).set_index("region")
    assert cov2.loc["W", "neither"] == 1 and cov2.loc["W", "visited_only"] == 1
    assert cov2.loc["W", "coverage_rate"] == 0.5


def test_buildout_list_sorted_with_stake(network):
    sales, terminals, visits = network
    b = T.buildout_list(sales, terminals, visits, top=0.6)
    # E top 3: T1 linked, T2 + T3 not; W top 3: T6, T7 linked, T8 not
    assert b["terminal_id"].tolist() == ["T2", "T3", "T8"]
    assert b["cumulative_volume"].tolist() == [90.0, 170.0, 200.0]
    # a terminal that was not visited (check_in empty) is flagged as such
    assert b.set_index("terminal_id").loc["T3", "visited"] == np.False_


def test_terminal_margins_quadrants(network):
    sales, terminals, _ = network
    m = T.terminal_margins(sales, terminals, volume_threshold=30, margin_threshold=0.4)
    q = m.set_index("terminal_id")["quadrant"]
    assert q["T1"] == "consolidate"  # 100, 40%
    assert q["T2"] == "improve_margin"  # 90, 11%
    assert q["T4"] == "grow"  # 10, 50%
    assert q["T5"] == "review"  # 5, 20%
    assert q["T10"] == "review"  # no revenue -> margin rate NaN
    assert m.set_index("terminal_id").loc["T3", "margin_rate"] == pytest.approx(0.5)
    assert "region" in m.columns
    with pytest.raises(ValueError, match="cost"):
        T.terminal_margins(sales.drop(columns="cost"))


def test_charts_and_localize(network):
    import matplotlib.pyplot as plt

    from ars_analysis.charts import terminals as C

    sales, terminals, visits = network
    df = sales.merge(terminals[["terminal_id", "region"]])
    for lang in ("zh", "en"):
        ax = C.plot_pareto(
            T.pareto_curve(df), lang=lang, marker={"top": 0.2, "share": 0.5, "lo": 0.4, "hi": 0.6}
        )
        assert ax.get_title()
        C.plot_lorenz(T.lorenz_fit(df)["curves"], lang=lang, gini=0.5)
        C.plot_concentration(T.concentration_table(df, by="region", n_boot=20, seed=0), lang=lang)
        fit = T.fit_tail(np.random.default_rng(0).pareto(1.5, 300) + 1)
        C.plot_tail(fit.data, fit, lang=lang)
        cov = T.coverage(sales, terminals, visits, top=0.4)
        C.plot_coverage(cov, lang=lang)
        C.plot_margin_quadrants(T.terminal_margins(sales), lang=lang)
        loc = C.localize(cov, lang)
        assert ("覆盖率" if lang == "zh" else "Coverage rate") in loc.columns
        plt.close("all")


def test_coverage_with_the_shared_top_set(network):
    sales, terminals, visits = network
    # the shared set names T3 and T8 (e.g. ranked on all data): coverage counts exactly them
    cov = T.coverage(sales, terminals, visits, top_ids=["T3", "T8"]).set_index("region")
    assert cov.loc["E", "n_high"] == 1 and cov.loc["W", "n_high"] == 1
    assert cov.loc["E", "volume_not_linked"] == 80.0  # T3: supplier "" = not linked
    b = T.buildout_list(sales, terminals, visits, top_ids=["T3", "T8"])
    assert b["terminal_id"].tolist() == ["T3", "T8"]
