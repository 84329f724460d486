"""Core customers: ABC (fixed cuts and computed limits), matrix, summary, grade movements."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from abc_analysis import abc_analysis

from ars_analysis.customers import (
    abc_classify,
    abc_matrix,
    abc_summary,
    at_risk,
    computed_abc,
    computed_abc_limits,
    customer_features,
    grade_movements,
    period_classes,
    seedlings,
    transition_matrix,
)

WHOLESALE = Path(__file__).resolve().parents[1] / "data" / "external" / "wholesale_customers.csv"
SPEND = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]


def _df(values, ids=None, **extra):
    ids = ids if ids is not None else [f"c{i}" for i in range(len(values))]
    return pd.DataFrame({"customer_id": ids, "revenue": values, **extra})


# ------------------------------------------------------------------------------ fixed cuts
def test_crossing_item_is_in_the_upper_class():
    # cumulative: 0.50, 0.75, 0.85 (crosses 0.8 -> A), 0.93, 0.97 (crosses 0.95 -> B), 1.0
    out = abc_classify(_df([50, 25, 10, 8, 4, 3]))
    assert out["abc_class"].astype(str).tolist() == ["A", "A", "A", "B", "B", "C"]
    np.testing.assert_allclose(out["cumulative_share"], [0.5, 0.75, 0.85, 0.93, 0.97, 1.0])
    np.testing.assert_allclose(out["share"].sum(), 1.0)
    assert out["rank"].tolist() == [1, 2, 3, 4, 5, 6]


def test_item_reaching_the_cut_exactly_is_the_last_of_the_class():
    out = abc_classify(_df([60, 20, 15, 5]))  # cumulative 0.6, 0.8 (exactly), 0.95, 1.0
    assert out["abc_class"].astype(str).tolist() == ["A", "A", "B", "C"]


def test_ties_share_the_class_of_their_best_ranked_member():
    # 40, 30 -> 0.7; the tie 10/10/10 straddles 0.8 (0.8, 0.9, 1.0): all A
    out = abc_classify(_df([10, 40, 10, 30, 10], ids=list("abcde")))
    assert out["customer_id"].tolist() == ["b", "d", "a", "c", "e"]  # stable on ties
    assert out["abc_class"].astype(str).tolist() == ["A"] * 5
    # tie straddling the B|C cut: 70, 20 -> 0.9 (A: crosses 0.8); 5 -> 0.95 (B), 5 -> C alone,
    # but tied with a B -> B
    out = abc_classify(_df([70, 20, 5, 5]))
    assert out["abc_class"].astype(str).tolist() == ["A", "A", "B", "B"]


def test_nonpositive_values_are_c_and_do_not_count():
    out = abc_classify(_df([80, 20, 0, -5]))
    assert out["abc_class"].astype(str).tolist() == ["A", "B", "C", "C"]
    assert out["share"].tolist()[-1] == 0


def test_abc_within_territory_matches_separate_runs():
    rng = np.random.default_rng(3)
    d = _df(rng.lognormal(0, 1, 300), territory=rng.choice(["N", "S", "E"], 300))
    out = abc_classify(d, by="territory")
    for t, part in d.groupby("territory"):
        alone = abc_classify(part)
        got = out[out["territory"] == t]
        assert got["customer_id"].tolist() == alone["customer_id"].tolist()
        assert got["abc_class"].tolist() == alone["abc_class"].tolist()
        np.testing.assert_allclose(got["cumulative_share"], alone["cumulative_share"])
        assert got["rank"].tolist() == list(range(1, len(part) + 1))


def test_abc_agrees_with_plain_pandas_without_ties():
    rng = np.random.default_rng(4)
    d = _df(rng.lognormal(0, 1.5, 2000))
    s = d.sort_values("revenue", ascending=False)
    cum = s["revenue"].cumsum() / s["revenue"].sum()
    prev = cum - s["revenue"] / s["revenue"].sum()
    expected = np.where(prev < 0.8, "A", np.where(prev < 0.95, "B", "C"))
    out = abc_classify(d)
    assert out["customer_id"].tolist() == s["customer_id"].tolist()
    assert out["abc_class"].astype(str).tolist() == expected.tolist()


def test_custom_cuts_and_measure_and_input_not_mutated():
    d = _df([50, 30, 10, 6, 4], gross_margin=[1, 2, 3, 4, 90])
    before = d.copy()
    out = abc_classify(d, "gross_margin", cuts=(0.5, 0.8, 0.95))
    assert list(out["abc_class"].cat.categories) == ["A", "B", "C", "D"]
    assert out["customer_id"].iloc[0] == "c4"
    pd.testing.assert_frame_equal(d, before)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cuts": (0.95, 0.8)}, "cuts"),
        ({"cuts": (0.8, 1.2)}, "cuts"),
        ({"measure": "nope"}, "nope"),
    ],
)
def test_bad_arguments_are_value_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        abc_classify(_df([1.0, 2.0]), **kwargs)


def test_missing_values_are_reported_with_rows():
    with pytest.raises(ValueError, match="revenue.*1 row"):
        abc_classify(_df([1.0, np.nan, 3.0]))


def test_summary_shares():
    out = abc_summary(abc_classify(_df([50, 25, 10, 8, 4, 3])))
    assert out["abc_class"].astype(str).tolist() == ["A", "B", "C"]
    assert out["n_items"].tolist() == [3, 2, 1]
    np.testing.assert_allclose(out["item_share"], [0.5, 1 / 3, 1 / 6])
    np.testing.assert_allclose(out["measure_share"], [0.85, 0.12, 0.03])
    np.testing.assert_allclose(out["cum_measure_share"].iloc[-1], 1.0)


def test_summary_by_group_sums_to_one_per_group():
    d = _df([5, 4, 3, 2, 1, 9, 1, 1], territory=list("xxxxxyyy"))
    out = abc_summary(abc_classify(d, by="territory"), by="territory")
    sums = out.groupby("territory")[["item_share", "measure_share"]].sum()
    np.testing.assert_allclose(sums.to_numpy(), 1.0)


# ------------------------------------------------------------------------------ matrix
def test_abc_matrix_counts_by_hand():
    d = _df([60, 25, 10, 5], gross_margin=[5, 20, 60, 15])
    m = abc_matrix(d)
    # revenue: A A B C ; margin (60, 20, 15, 5): c2 A, c1 A, c3 B, c0 C
    assert m.loc["A", "C"] == 1 and m.loc["A", "A"] == 1
    assert m.loc["B", "A"] == 1 and m.loc["C", "B"] == 1
    assert m.to_numpy().sum() == 4
    assert list(m.index) == ["A", "B", "C"] and list(m.columns) == ["A", "B", "C"]
    items = m.attrs["items"]
    assert items.set_index("customer_id").loc["c2", "cell"] == "BA"
    rev = abc_matrix(d, values="revenue")
    assert rev.to_numpy().sum() == pytest.approx(100)
    assert rev.loc["A", "C"] == 60


# ------------------------------------------------------------------------------ computed ABC
def _reference_classes(values):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = abc_analysis(pd.Series(values))
    cls = np.full(len(values), "C", dtype=object)
    cls[r["Aind"]] = "A"
    cls[r["Bind"]] = "B"
    return cls, r


def _datasets():
    rng = np.random.default_rng(2015)
    sets = {}
    for n in (30, 150, 3000, 20000):
        sets[f"lognormal{n}"] = rng.lognormal(0, 1.2, n)
        sets[f"pareto{n}"] = rng.pareto(1.2, n) + 1
        sets[f"uniform{n}"] = rng.uniform(0, 100, n)
        sets[f"exponential{n}"] = rng.exponential(5, n)
        sets[f"integers{n}"] = rng.integers(0, 30, n).astype(float)
    sets["with_negatives"] = rng.normal(5, 4, 500)
    sets["small"] = np.array([100, 50, 20, 10, 5, 3, 2, 1, 1, 1.0])
    ws = pd.read_csv(WHOLESALE)
    for col in SPEND:
        sets[f"wholesale_{col}"] = ws[col].to_numpy(dtype=float)
    return sets


@pytest.mark.parametrize("name, values", list(_datasets().items()))
def test_computed_abc_equals_abc_analysis(name, values):
    expected, ref = _reference_classes(values)
    d = _df(values)
    out, limits = computed_abc(d, return_limits=True)
    got = out.set_index("customer_id").loc[d["customer_id"], "abc_class"].astype(str).to_numpy()
    assert (got == expected).all(), f"{name}: {np.sum(got != expected)} classes differ"
    assert limits.loc[0, "ab_limit"] == ref["ABLimit"]
    assert limits.loc[0, "bc_limit"] == ref["BCLimit"]
    assert limits.loc[0, "exchanged"] == ref["ABexchanged"]
    lim = computed_abc_limits(values)
    assert lim["a_effort"] == ref["A"]["Effort"] and lim["c_effort"] == ref["C"]["Effort"]
    np.testing.assert_allclose(lim["yield"], ref["ABC"], atol=1e-12)


def test_computed_abc_large_sample_uses_windowed_spline():
    rng = np.random.default_rng(7)
    values = rng.lognormal(0, 1.5, 60_000)  # > 5000 knots: the windowed solver is used
    expected, ref = _reference_classes(values)
    lim = computed_abc_limits(values)
    np.testing.assert_allclose(lim["yield"], ref["ABC"], atol=1e-13)
    assert lim["ab_limit"] == ref["ABLimit"] and lim["bc_limit"] == ref["BCLimit"]


def test_computed_abc_by_group_and_errors():
    rng = np.random.default_rng(8)
    d = _df(rng.lognormal(0, 1, 400), territory=rng.choice(["N", "S"], 400))
    out, limits = computed_abc(d, by="territory", return_limits=True)
    assert len(limits) == 2 and set(limits["territory"]) == {"N", "S"}
    for t, part in d.groupby("territory"):
        expected, _ = _reference_classes(part["revenue"].to_numpy())
        got = out[out["territory"] == t].set_index("customer_id").loc[part["customer_id"]]
        assert (got["abc_class"].astype(str).to_numpy() == expected).all()
    with pytest.raises(ValueError, match="at least 3"):
        computed_abc(_df([1.0, 2.0]))
    with pytest.raises(ValueError, match="no positive"):
        computed_abc(_df([0.0, 0.0, 0.0]))


# ------------------------------------------------------------------------------ features
def test_customer_features_from_aggregates():
    sales = pd.DataFrame(
        {
            "customer_id": ["C1", "C2"],
            "revenue": [100.0, 50.0],
            "gross_margin": [20.0, 10.0],
            "first_date": pd.to_datetime(["2025-01-01", "2025-01-01"]),
            "last_date": pd.to_datetime(["2025-04-30", "2025-04-01"]),
        }
    )
    periods = pd.DataFrame(
        {
            "customer_id": ["C1"] * 4 + ["C2"] * 2,
            "period": ["2025-01", "2025-02", "2025-03", "2025-04", "2025-01", "2025-03"],
            "revenue": [10.0, 30.0, 20.0, 40.0, 30.0, 20.0],
        }
    )
    ct = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C1", "C2"],
            "terminal_id": ["T1", "T2", None, "T3"],
            "revenue": [80.0, 10.0, 10.0, 50.0],
        }
    )
    rec = pd.DataFrame(
        {
            "customer_id": ["C1", "C1", "C2"],
            "amount_due": [99.0, 10.0, 20.0],
            "amount_overdue": [99.0, 5.0, 0.0],
            "days_overdue": [99.0, 30.0, 0.0],
            "as_of_date": pd.to_datetime(["2025-01-31", "2025-04-30", "2025-04-30"]),
        }
    )
    f = customer_features(
        sales, periods=periods, customer_terminals=ct, receivables=rec, top_terminal_ids=["T3"]
    )
    f = f.set_index("customer_id")
    # growth: (30 + 40... later half = Mar+Apr) / (Jan+Feb) - 1
    assert f.loc["C1", "growth"] == pytest.approx((20 + 40) / (10 + 30) - 1)
    assert f.loc["C2", "growth"] == pytest.approx(20 / 30 - 1)
    assert f.loc["C2", "active_period_share"] == pytest.approx(0.5)
    assert f.loc["C1", "active_terminals"] == 2
    # key terminals: the shared top-terminal set given (T3 only), not a local 80 % rule
    assert f.loc["C1", "key_terminals"] == 0 and f.loc["C2", "key_terminals"] == 1
    no_top = customer_features(sales, customer_terminals=ct)
    assert "key_terminals" not in no_top and "active_terminals" in no_top
    assert f.loc["C1", "margin_rate"] == pytest.approx(0.2)
    assert f.loc["C2", "recency_days"] == 29
    # receivables: latest balance only
    assert f.loc["C1", "amount_due"] == 10 and f.loc["C1", "overdue_share"] == pytest.approx(0.5)
    assert f.loc["C1", "days_overdue"] == pytest.approx(30)


# ------------------------------------------------------------------------------ movements
@pytest.fixture
def quarters():
    rng = np.random.default_rng(11)
    ids = [f"c{i:02d}" for i in range(40)]
    rows = []
    for q in ("2025Q1", "2025Q2"):
        for c in ids:
            if q == "2025Q2" and c == "c00":
                continue  # lost customer
            rows.append({"customer_id": c, "period": q, "revenue": rng.lognormal(0, 1)})
    rows.append({"customer_id": "new", "period": "2025Q2", "revenue": 3.0})
    return pd.DataFrame(rows)


def test_transitions_sum_correctly(quarters):
    pc = period_classes(quarters)
    mat = transition_matrix(pc, "2025Q1", "2025Q2")
    start_counts = pc[pc["period"] == "2025Q1"]["abc_class"].astype(str).value_counts()
    end_counts = pc[pc["period"] == "2025Q2"]["abc_class"].astype(str).value_counts()
    for c in ("A", "B", "C"):
        assert mat.loc[c].sum() == start_counts.get(c, 0)
        assert mat[c].sum() == end_counts.get(c, 0)
    assert mat.loc["-"].sum() == 1 and mat["-"].sum() == 1  # one new, one lost
    assert mat.to_numpy().sum() == 41
    shares = transition_matrix(pc, "2025Q1", "2025Q2", normalize=True)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)


def test_movements_seedlings_at_risk(quarters):
    pc = period_classes(quarters)
    mv = grade_movements(pc, "2025Q1", "2025Q2")
    assert set(mv["movement"]) <= {"up", "down", "same", "new", "lost"}
    assert mv.set_index("customer_id").loc["c00", "movement"] == "lost"
    assert mv.set_index("customer_id").loc["new", "movement"] == "new"
    seeds = seedlings(mv, n=5)
    assert len(seeds) <= 5 and set(seeds["to"]) <= {"B", "C"} and (seeds["growth"] > 0).all()
    assert seeds["growth"].is_monotonic_decreasing
    eligible = mv[mv["to"].isin(["B", "C"]) & (mv["growth"] > 0)]
    assert seeds["growth"].iloc[0] == eligible["growth"].max()
    risk = at_risk(mv, n=50)
    assert (risk["from"] == "A").all() and (risk["growth"] < 0).all()
    assert len(risk) == ((mv["from"] == "A") & (mv["growth"] < 0)).sum()
    with pytest.raises(ValueError, match="2030Q1"):
        grade_movements(pc, "2030Q1", "2025Q2")


def test_period_classes_fill_absent_items_as_c():
    q = pd.DataFrame({"customer_id": ["a", "b"], "period": ["Q1", "Q2"], "revenue": [5.0, 5.0]})
    pc = period_classes(q, items=["a", "b", "z"])
    assert len(pc) == 6
    q1 = pc[pc["period"] == "Q1"].set_index("customer_id")["abc_class"].astype(str)
    assert q1.to_dict() == {"a": "A", "b": "C", "z": "C"}


# ------------------------------------------------------------------------------ helpers
def test_unsorted_output_is_the_same_table_in_input_order():
    rng = np.random.default_rng(12)
    d = _df(rng.integers(0, 20, 500).astype(float), territory=rng.choice(["N", "S"], 500))
    for fn, kw in ((abc_classify, {"by": "territory"}), (computed_abc, {})):
        a = fn(d, **kw)
        b = fn(d, sort=False, **kw)
        assert b["customer_id"].tolist() == d["customer_id"].tolist()
        pd.testing.assert_frame_equal(
            a.sort_values("customer_id").reset_index(drop=True),
            b.sort_values("customer_id").reset_index(drop=True),
        )


@pytest.mark.slow
def test_core_customer_inputs_from_a_dataset():
    from ars_analysis.compose import core_customer_inputs
    from ars_analysis.customers import movement_periods
    from ars_analysis.data.dataset import Dataset
    from ars_analysis.presentation.customers import report_table

    dates = pd.to_datetime(["2024-02-01", "2024-05-01", "2025-02-01", "2025-05-03", "2025-05-04"])
    ds = Dataset(
        {
            "customers": pd.DataFrame(
                {
                    "customer_id": ["C1", "C2"],
                    "customer_name": ["甲", "乙"],
                    "region": ["East", "East"],
                    "territory": ["T1", "T2"],
                }
            ),
            "terminals": pd.DataFrame(
                {
                    "terminal_id": ["S1", "S2"],
                    "region": ["East", "East"],
                    "customer_id": ["C1", "C1"],
                }
            ),
            "products": pd.DataFrame({"product_id": ["P1"], "product_name": ["x"]}),
            "sales": pd.DataFrame(
                {
                    "date": dates,
                    "customer_id": ["C1", "C2", "C1", "C1", "C2"],
                    "terminal_id": ["S1", None, "S2", "S1", None],
                    "product_id": ["P1"] * 5,
                    "quantity": [1.0] * 5,
                    "revenue": [10.0, 20.0, 30.0, 5.0, 10.0],
                    "cost": [5.0] * 5,
                }
            ),
        }
    )
    out = core_customer_inputs(ds, freq="Q")
    f = out["features"].set_index("customer_id")
    assert f.loc["C1", "revenue"] == 45 and f.loc["C1", "active_terminals"] == 2
    assert f.loc["C2", "territory"] == "T2" and "amount_due" not in f
    assert set(out["periods"]["period"]) == {"2024Q1", "2024Q2", "2025Q1", "2025Q2"}
    assert movement_periods(out["periods"]) == ("2024Q2", "2025Q2")
    only = core_customer_inputs(ds, territory="T2")
    assert only["features"]["customer_id"].tolist() == ["C2"]
    assert set(only["periods"]["customer_id"]) == {"C2"}
    with pytest.raises(ValueError, match="T9"):
        core_customer_inputs(ds, territory=["T9"])
    zh = report_table(out["features"], "zh")
    assert "销售额" in zh.columns and "责任地区" in zh.columns
