"""The one scorecard mechanism (ars_analysis.scoring): properties checked on seeded random data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import rankdata

from ars_analysis.scoring import (
    Measure,
    WeightedScorecard,
    gate_passes,
    grade_of,
    weighted_total,
)
from ars_analysis.scoring import measures as m

SEEDS = range(8)


def _frame(seed, n=40):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "g": rng.choice(["N", "S", "W"], n),
            "a": rng.normal(0, 1, n),
            "b": rng.uniform(0, 1, n),
            "c": rng.integers(0, 5, n).astype(float),
        }
    )


def _card(method, **kw):
    extra = {
        "bands": {"thresholds": (-0.5, 0.0, 0.5), "scores": (0, 30, 60, 100)},
        "curve": {"points": ((-1.0, 0.0), (1.0, 100.0))},
        "target": {"target": 1.0},
    }.get(method, {})
    return WeightedScorecard(
        (
            Measure("a", column="a", method=method, weight=0.6, **extra, **kw),
            Measure("b", column="b", method="minmax", weight=0.4),
        ),
        unit=100.0,
    )


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    "method", ["percentile", "minmax", "bands", "curve", "target", "share", "relative_to_best"]
)
def test_total_is_monotone_in_a_higher_is_better_measure(seed, method):
    f = _frame(seed)
    if method in ("share", "target", "relative_to_best"):
        f["a"] = f["a"].abs() / 3  # shares / non-negative counts
    card = _card(method)
    before = card.score(f).total
    i = int(np.random.default_rng(seed).integers(len(f)))
    better = f.copy()
    better.loc[i, "a"] = f["a"].max() + 1.0
    after = card.score(better).total
    assert after[i] >= before[i] - 1e-9
    # and turning the measure around makes the improvement a loss (or no change)
    low = _card(method, higher_is_better=False)
    assert low.score(better).total[i] <= low.score(f).total[i] + 1e-9


@pytest.mark.parametrize("seed", SEEDS)
def test_weights_renormalise_over_the_measures_an_entity_has(seed):
    f = _frame(seed)
    f.loc[::3, "a"] = np.nan
    card = WeightedScorecard(
        (
            Measure("a", column="a", method="percentile", weight=0.5),
            Measure("b", column="b", method="minmax", weight=0.3),
            Measure("c", column="c", method="bands", thresholds=(1, 3), scores=(0, 50, 100),
                    weight=0.2),
        )
    )  # fmt: skip
    res = card.score(f)
    s = res.scores
    full = (0.5 * s["a"] + 0.3 * s["b"] + 0.2 * s["c"]) / 1.0
    part = (0.3 * s["b"] + 0.2 * s["c"]) / 0.5
    expected = np.where(f["a"].isna(), part, full)
    np.testing.assert_allclose(res.total, expected, rtol=1e-12)
    np.testing.assert_allclose(res.basis, np.where(f["a"].isna(), 0.5, 1.0))
    # the explanation lists the missing measure where its weight went to the others
    why = res.explain()
    assert all(
        ("a" in miss) == bool(na) for miss, na in zip(why["missing"], f["a"].isna(), strict=True)
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_percentile_is_the_average_rank_formula_within_groups(seed):
    f = _frame(seed)
    f["c"] = f["c"].where(f.index % 7 != 0)  # some missing, many ties
    got = m.percentile(f["c"], f["g"])
    for _, idx in f.groupby("g").groups.items():
        x = f.loc[idx, "c"]
        has = x.notna().to_numpy()
        ranks = rankdata(x[has], method="average")
        k = has.sum()
        want = 100 * (ranks - 1) / (k - 1) if k > 1 else np.full(k, 50.0)
        np.testing.assert_allclose(got[np.asarray(idx)][has], want)
        assert np.isnan(got[np.asarray(idx)][~has]).all()


def test_min_basis_and_plain_weighted_sum():
    s1, s2 = np.array([1.0, np.nan, np.nan]), np.array([0.5, 0.5, np.nan])
    total, basis = weighted_total([s1, s2], [0.8, 0.2], min_basis=0.5, factor=100)
    np.testing.assert_allclose(total[:1], [90.0])
    assert np.isnan(total[1]) and np.isnan(total[2])  # 20 % measured < 50 %; nothing measured
    np.testing.assert_allclose(basis, [1.0, 0.2, 0.0])
    plain, _ = weighted_total([s1, s2], [0.8, 0.2], renormalise=False)
    np.testing.assert_allclose(plain, [0.9, 0.1, 0.0])  # a missing KPI scores 0


def test_grades_and_gates():
    assert list(grade_of([100, 69.999, 70, 0], [("A", 70, 100), ("B", 0, 70)])) == [
        "A", "B", "A", "B",
    ]  # fmt: skip
    assert gate_passes([0.8, 0.79, np.nan], 0.8).tolist() == [True, False, False]


def test_scoring_is_stateless_and_names_a_missing_column():
    card = _card("percentile")
    f = _frame(0)
    a, b = card.score(f), card.score(f)
    pd.testing.assert_frame_equal(a.frame(), b.frame())
    with pytest.raises(ValueError, match=r"dimensions\.a: column 'a' not in the features"):
        card.score(f.drop(columns="a"))
    optional = WeightedScorecard(
        (Measure("a", column="zz", optional=True), Measure("b", column="b", method="share"))
    )
    res = optional.score(f)
    assert res.used == ("b",) and "a: skipped ('zz' not available)" in res.notes[0]


def test_plan_kpi_scorecard_matches_the_piecewise_linear_formula():
    from ars_analysis.incentives.plan import Kpi, Scorecard

    sc = Scorecard(
        500.0,
        (Kpi("x", 0.7, ((0.5, 0.0), (1.0, 1.0))), Kpi("y", 0.3, ((0.0, 0.0), (0.2, 1.0)))),
    )
    x = np.array([[0.4, 0.75, 1.3, np.nan]])
    y = np.array([[0.1, np.nan, 0.2, 0.05]])
    got = sc.score({"x": x, "y": y})
    want = 0.7 * np.array([0.0, 0.5, 1.0, 0.0]) + 0.3 * np.array([0.5, 0.0, 1.0, 0.25])
    np.testing.assert_allclose(got, [want])


def test_formula_measures_and_a_formula_that_cannot_be_computed():
    f = pd.DataFrame({"margin": [1.0, 2.0, 3.0], "revenue": [10.0, 10.0, 10.0]})
    card = WeightedScorecard((Measure("rate", formula="margin / revenue", method="minmax"),))
    np.testing.assert_allclose(card.score(f).scores["rate"], [0.0, 50.0, 100.0])
    bad = WeightedScorecard((Measure("rate", formula="margin / turnover", method="minmax"),))
    with pytest.raises(ValueError, match="formula 'margin / turnover' cannot be computed"):
        bad.score(f)
    skipped = WeightedScorecard(
        (
            Measure("rate", formula="margin / turnover", optional=True),
            Measure("m", column="margin", method="minmax"),
        )
    )
    assert skipped.score(f).used == ("m",)
