"""Customer segments: reproducibility, stability, labels, real wholesale data, cross-tabs."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from sklearn.base import clone  # noqa: E402

from ars_analysis.charts import customers as charts  # noqa: E402
from ars_analysis.customers import (  # noqa: E402
    CustomerSegmenter,
    Scorecard,
    abc_classify,
    abc_matrix,
    abc_summary,
    channel_agreement,
    period_classes,
    segment_crosstab,
    segment_traits,
    transition_matrix,
)
from ars_analysis.labels import all_keys, label  # noqa: E402
from ars_analysis.presentation import grade_profile as presentation_grade_profile  # noqa: E402
from ars_analysis.presentation import segment_labels, segmenter_labels  # noqa: E402

WHOLESALE = Path(__file__).resolve().parents[1] / "data" / "external" / "wholesale_customers.csv"
SPEND = ["Fresh", "Milk", "Grocery", "Frozen", "Detergents_Paper", "Delicassen"]


@pytest.fixture(scope="module")
def wholesale():
    return pd.read_csv(WHOLESALE)


@pytest.fixture(scope="module")
def features():
    """A generated feature table with two clear groups of distributors."""
    rng = np.random.default_rng(5)
    n = 200
    big = np.arange(n) < 60
    return pd.DataFrame(
        {
            "customer_id": [f"c{i:03d}" for i in range(n)],
            "revenue": np.where(big, rng.lognormal(14, 0.4, n), rng.lognormal(11, 0.4, n)),
            "growth": rng.normal(0.05, 0.1, n),
            "recency_days": np.where(big, rng.integers(0, 5, n), rng.integers(20, 90, n)),
            "order_days": np.where(big, rng.integers(150, 300, n), rng.integers(5, 40, n)),
            "n_products": np.where(big, rng.integers(25, 40, n), rng.integers(3, 12, n)),
            "active_terminals": np.where(big, rng.integers(30, 80, n), rng.integers(0, 8, n)),
            "margin_rate": rng.normal(0.22, 0.03, n),
            "territory": rng.choice(["N", "S"], n),
            "_truth": big.astype(int),
        }
    )


def test_segments_recover_generated_groups(features):
    seg = CustomerSegmenter(random_state=1, n_bootstrap=5).fit(features)
    assert seg.features_[:2] == ["revenue", "growth"] and "_truth" not in seg.features_
    assert seg.n_segments_ == 2
    agree = channel_agreement(seg.labels_, features["_truth"])
    assert agree["ari"] > 0.95
    assert seg.profiles_["n_customers"].tolist() == [140, 60]  # 0 = largest segment
    assert 0.9 <= seg.stability_ <= 1.0
    names = segmenter_labels(seg, "en")
    assert names.loc[1].startswith("high") and "low" in names.loc[0]


def test_reproducible_with_random_state(features):
    a = CustomerSegmenter(n_segments=4, random_state=7, n_bootstrap=3).fit(features)
    b = CustomerSegmenter(n_segments=4, random_state=7, n_bootstrap=3).fit(features)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    np.testing.assert_array_equal(a.stability_scores_, b.stability_scores_)
    pd.testing.assert_frame_equal(a.profiles_, b.profiles_)
    np.testing.assert_array_equal(a.predict(features), a.labels_)
    c = clone(a).fit(features)
    np.testing.assert_array_equal(c.labels_, a.labels_)


@pytest.mark.parametrize(
    "params",
    [
        {"method": "gmm", "transform": "quantile"},
        {"method": "agglomerative", "transform": "robust", "max_fit_size": 150},
        {"method": "kmeans", "transform": "log1p", "n_segments": 3},
    ],
)
def test_methods_stability_in_unit_interval(features, params):
    seg = CustomerSegmenter(random_state=0, n_bootstrap=4, k_range=(2, 4), **params).fit(features)
    assert -1 <= seg.stability_scores_.min() and seg.stability_scores_.max() <= 1
    assert 0 <= seg.stability_ <= 1
    assert len(seg.stability_scores_) == 4
    assert seg.labels_.min() == 0 and seg.labels_.max() == seg.n_segments_ - 1
    if params.get("n_segments") is None:
        crit = "bic" if params["method"] == "gmm" else "silhouette"
        assert seg.criterion_ == crit and list(seg.selection_["k"]) == [2, 3, 4]
    assert len(seg.predict(features)) == len(features)


def test_bad_parameters():
    X = pd.DataFrame({"a": [1.0, 2, 3, 4]})
    with pytest.raises(ValueError, match="method"):
        CustomerSegmenter(method="dbscan").fit(X)
    with pytest.raises(ValueError, match="bic"):
        CustomerSegmenter(criterion="bic").fit(X)
    with pytest.raises(ValueError, match="zzz"):
        CustomerSegmenter(features=["zzz"]).fit(X)
    with pytest.raises(ValueError, match="not fitted"):
        CustomerSegmenter().predict(X)


def test_wholesale_segments_recover_the_channel(wholesale):
    """The segmenter never sees Channel; its segments still split Horeca from Retail."""
    assert len(wholesale) == 440
    seg = CustomerSegmenter(random_state=0, n_bootstrap=10).fit(wholesale[SPEND])
    assert seg.features_ == SPEND
    agree = channel_agreement(seg.labels_, wholesale["Channel"])
    assert agree["chance_purity"] == pytest.approx(298 / 440)
    assert agree["ari"] > 0.4  # chance is 0
    assert agree["purity"] > agree["chance_purity"] + 0.1
    assert seg.stability_ > 0.6
    en = segmenter_labels(seg, "en").tolist()
    zh = segmenter_labels(seg, "zh").tolist()
    retail = int(pd.crosstab(seg.labels_, wholesale["Channel"])[2].idxmax())
    assert "high grocery" in en[retail] or "high detergents & paper" in en[retail]
    assert "杂货高" in zh[retail] or "洗涤纸品高" in zh[retail]


def test_segment_labels_by_hand():
    ref = pd.DataFrame({"revenue": np.arange(1, 11.0), "growth": np.zeros(10)})
    prof = pd.DataFrame({"revenue": [9.5, 5.5, 1.5], "growth": [0.0, 0.0, 0.0]})
    assert segment_labels(prof, ref, "en").tolist() == ["high sales", "typical", "low sales"]
    assert segment_labels(prof, ref, "zh").tolist() == ["销售规模高", "中等水平", "销售规模低"]
    # the analysis returns keys, the presentation words them
    assert segment_traits(prof, ref).tolist() == [[("revenue", "high")], [], [("revenue", "low")]]


def test_crosstab_segments_against_abc_and_grade(features):
    seg = CustomerSegmenter(random_state=1, n_bootstrap=0).fit(features)
    assert np.isnan(seg.stability_)
    segs = seg.assignments(features)
    assert list(segs.columns) == ["customer_id", "segment", "segment_traits"]
    abc = abc_classify(features, by="territory")
    tab = segment_crosstab(segs, abc, "abc_class")
    assert tab.to_numpy().sum() == len(features)
    # the big distributors' segment holds nearly all A customers
    big = int(seg.profiles_["revenue"].idxmax())
    assert tab.loc[big, "A"] >= 0.9 * tab["A"].sum()


# ------------------------------------------------------------------------------ charts, labels
def test_labels_exist_in_both_languages():
    keys = [k for k in all_keys() if k.startswith("customers.")]
    assert len(keys) > 50
    for k in keys:
        assert label(k, "zh") and label(k, "en")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_charts_draw_with_labelled_axes(features, lang):
    abc = abc_classify(features)
    summary = abc_summary(abc)
    ax = charts.plot_pareto(summary, lang=lang)
    assert ax.get_xlabel() == label("customers.abc_class", lang)
    assert ax.get_ylabel() == label("customers.share", lang)
    ax = charts.plot_abc_curve(abc, lang=lang)
    assert ax.get_xlabel() == label("customers.cum_item_share", lang)
    m = abc_matrix(features.assign(gross_margin=features["revenue"] * features["margin_rate"]))
    ax = charts.plot_abc_matrix(m, lang=lang)
    assert ax.get_title() == label("customers.matrix_title", lang)
    card = Scorecard(
        {
            "dimensions": {
                "s": {"column": "revenue", "method": "percentile", "weight": 0.5},
                "t": {"column": "active_terminals", "method": "percentile", "weight": 0.5},
            },
            "grades": {"A": {"min": 60, "max": 100}, "C": {"min": 0, "max": 60}},
        }
    )
    ax = charts.plot_grade_profile(
        presentation_grade_profile(card.score(features), card, lang), lang=lang
    )
    assert ax.get_ylabel() == label("customers.grade", lang)
    seg = CustomerSegmenter(random_state=1, n_bootstrap=0).fit(features)
    ax = charts.plot_segment_profiles(
        seg.profile_percentiles(), lang=lang, segment_names=segmenter_labels(seg, lang)
    )
    assert ax.get_ylabel() == label("customers.segment", lang)
    q = pd.DataFrame(
        {
            "customer_id": list("abcdab"),
            "period": ["Q1"] * 4 + ["Q2"] * 2,
            "revenue": [5.0, 3, 1, 1, 1, 9],
        }
    )
    tm = transition_matrix(period_classes(q), "Q1", "Q2")
    ax = charts.plot_transitions(tm, lang=lang)
    assert "Q1" in ax.get_title() and "Q2" in ax.get_title()
    plt.close("all")
