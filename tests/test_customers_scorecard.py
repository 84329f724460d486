"""Grading scorecard: YAML config, validation errors, a hand-computed example, explanations."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

from ars_analysis.customers import Scorecard, ScorecardError, grade_profile
from ars_analysis.presentation import grade_profile as presentation_grade_profile

SPEC = {
    "dimensions": {
        "sales": {
            "label": {"zh": "销售规模", "en": "sales volume"},
            "column": "revenue",
            "method": "percentile",
            "within": "territory",
            "weight": 50,
        },
        "growth": {
            "label": {"zh": "销售增长", "en": "growth"},
            "column": "growth",
            "method": "bands",
            "thresholds": [0.0, 0.1],
            "scores": [0, 50, 100],
            "weight": 30,
        },
        "margin": {
            "label": {"zh": "毛利率", "en": "margin rate"},
            "formula": "gross_margin / revenue",
            "method": "minmax",
            "weight": 20,
        },
        "payment": {
            "label": {"zh": "回款", "en": "payment"},
            "column": "days_overdue",
            "method": "minmax",
            "higher_is_better": False,
            "requires": "receivables",
            "weight": 0,
        },
    },
    "grades": {
        "A": {"min": 70, "max": 100, "label": {"zh": "目标客户", "en": "target customer"}},
        "B": {"min": 40, "max": 70, "label": {"zh": "潜在核心客户", "en": "potential core"}},
        "C": {"min": 0, "max": 40, "label": {"zh": "待推进客户", "en": "to be developed"}},
    },
}

FEATURES = pd.DataFrame(
    {
        "customer_id": ["a", "b", "c", "d"],
        "territory": ["N", "N", "N", "S"],
        "revenue": [300.0, 200.0, 100.0, 50.0],
        "gross_margin": [30.0, 60.0, 10.0, 15.0],
        "growth": [-0.2, 0.05, 0.5, np.nan],
    }
)


def test_hand_computed_example():
    card = Scorecard(SPEC)
    out = card.score(FEATURES).set_index("customer_id")
    # sales: percentile within territory N (a best 100, b 50, c 0); d alone in S -> 50
    assert out["sales"].tolist() == [100.0, 50.0, 0.0, 50.0]
    # growth bands: <0 -> 0, [0, 0.1) -> 50, >= 0.1 -> 100; d missing
    assert out["growth"].iloc[:3].tolist() == [0.0, 50.0, 100.0]
    assert np.isnan(out.loc["d", "growth"])
    # margin rate 0.1, 0.3, 0.1, 0.3 -> minmax 0, 100, 0, 100
    np.testing.assert_allclose(out["margin"], [0.0, 100.0, 0.0, 100.0], atol=1e-9)
    # weights 50/30/20 (payment skipped: no column, weight 0)
    assert out.loc["a", "score"] == pytest.approx(0.5 * 100 + 0.3 * 0 + 0.2 * 0)
    assert out.loc["b", "score"] == pytest.approx(0.5 * 50 + 0.3 * 50 + 0.2 * 100)
    assert out.loc["c", "score"] == pytest.approx(0.5 * 0 + 0.3 * 100 + 0.2 * 0)
    # d: growth missing -> weights re-normalised over sales and margin
    assert out.loc["d", "score"] == pytest.approx((0.5 * 50 + 0.2 * 100) / 0.7)
    assert out["grade"].astype(str).tolist() == ["B", "B", "C", "B"]
    notes = card.evaluate(FEATURES).notes  # stateless: the notes come with the result
    assert any("payment" in n for n in notes)
    assert not hasattr(card, "notes")


def test_grade_band_edges():
    card = Scorecard(SPEC)
    assert card.grade([0, 39.999, 40, 69.99, 70, 100]).astype(str).tolist() == [
        "C",
        "C",
        "B",
        "B",
        "A",
        "A",
    ]
    assert card.grade_label("A", "zh") == "目标客户"


def test_optional_dimension_used_when_present_and_weights_renormalised():
    spec = copy.deepcopy(SPEC)
    spec["dimensions"]["payment"]["weight"] = 25
    spec["dimensions"]["sales"]["weight"] = 25
    card = Scorecard(spec)
    f = FEATURES.assign(days_overdue=[0.0, 10.0, 20.0, 40.0])
    with_pay = card.score(f).set_index("customer_id")
    assert "payment" in with_pay and with_pay.loc["a", "payment"] == 100
    assert with_pay.loc["d", "payment"] == 0
    without = card.score(FEATURES).set_index("customer_id")
    assert "payment" not in without
    # without receivables: sales 25, growth 30, margin 20 -> re-normalised over 75
    assert without.loc["b", "score"] == pytest.approx((25 * 50 + 30 * 50 + 20 * 100) / 75)


def _write(tmp_path, spec):
    p = tmp_path / "card.yml"
    p.write_text(yaml.safe_dump(spec, allow_unicode=True), encoding="utf-8")
    return p


def _mutate(fn):
    spec = copy.deepcopy(SPEC)
    fn(spec)
    return spec


@pytest.mark.parametrize(
    "mutate, key",
    [
        (lambda s: s["dimensions"]["sales"].update(weight=10), "weight"),
        (lambda s: s["dimensions"]["sales"].update(method="zscore"), "dimensions.sales.method"),
        (lambda s: s["grades"]["B"].update(max=75), "grades.B"),  # overlaps A
        (lambda s: s["grades"]["B"].update(min=45), "grades.C"),  # gap 40..45
        (lambda s: s["dimensions"]["growth"].update(scores=[0, 100]), "dimensions.growth.scores"),
        (
            lambda s: s["dimensions"]["growth"].update(thresholds=[0.1, 0.0]),
            "dimensions.growth.thresholds",
        ),
        (lambda s: s["dimensions"]["sales"].update(colum="revenue"), "dimensions.sales"),
        (lambda s: s["dimensions"]["sales"].pop("weight"), "dimensions.sales.weight"),
        (lambda s: s.pop("grades"), "grades"),
    ],
)
def test_config_errors_name_file_and_key(tmp_path, mutate, key):
    path = _write(tmp_path, _mutate(mutate))
    with pytest.raises(ScorecardError) as err:
        Scorecard(path)
    assert str(path) in str(err.value) and key in str(err.value)


def test_unknown_column_is_named_at_scoring_time(tmp_path):
    spec = _mutate(lambda s: s["dimensions"]["sales"].update(column="turnover"))
    path = _write(tmp_path, spec)
    card = Scorecard(path)
    with pytest.raises(ScorecardError, match=r"card\.yml.*dimensions\.sales.*turnover"):
        card.score(FEATURES)
    with pytest.raises(ValueError, match="not found"):
        Scorecard(tmp_path / "missing.yml")


def test_default_scorecard_loads_and_scores_all_dimensions():
    card = Scorecard()
    assert {"sales", "growth", "terminal_reach", "key_terminals", "regularity", "margin"} <= set(
        card.dimensions
    )
    assert sum(d["weight"] for d in card.dimensions.values()) == pytest.approx(1)
    assert [g[0] for g in card.grades] == ["A", "B", "C"]
    assert card.grade_label("B", "zh") == "潜在核心客户"
    assert card.grade_label("C", "en") == "customer to be developed"
    rng = np.random.default_rng(0)
    n = 30
    f = pd.DataFrame(
        {
            "customer_id": [f"c{i}" for i in range(n)],
            "territory": rng.choice(["N", "S"], n),
            "revenue": rng.lognormal(10, 1, n),
            "growth": rng.normal(0, 0.2, n),
            "active_terminals": rng.integers(0, 50, n),
            "key_terminals": rng.integers(0, 10, n),
            "active_period_share": rng.uniform(0.3, 1, n),
            "margin_rate": rng.uniform(0.1, 0.3, n),
        }
    )
    out = card.score(f)
    # the two receivables dimensions and the four optional four-flow ones are skipped
    assert len(card.evaluate(f).notes) == 6
    assert out["score"].between(0, 100).all() and out["grade"].notna().all()
    f2 = f.assign(days_overdue=rng.uniform(0, 100, n), overdue_share=0.1, price_index=0.9,
                  fill_rate=0.95, cover_gap_days=0.0, reports_on_time=0.9)  # fmt: skip
    out2 = card.score(f2)
    assert {"payment", "overdue", "fill_rate", "reporting"} <= set(out2.columns)
    assert not card.evaluate(f2).notes


def test_explanations_in_both_languages():
    # moved from Scorecard.explain to the presentation layer (analysis builds no sentence)
    from ars_analysis.presentation.customers import explain_grades

    card = Scorecard(SPEC)
    out = card.score(FEATURES)
    en = explain_grades(out, card, "en")
    zh = explain_grades(out, card, "zh")
    # b: sales 50, growth 50, margin 100 -> strong margin rate, nothing weak
    assert en.iloc[1] == "graded B (60): strong margin rate"
    assert zh.iloc[1] == "评为B级（60分）：优势为毛利率"
    # c: sales 0, growth 100, margin 0 -> strong growth; weak sales volume, margin rate
    assert en.iloc[2] == "graded C (30): strong growth; weak sales volume, margin rate"
    assert zh.iloc[2] == "评为C级（30分）：优势为销售增长；短板为销售规模、毛利率"
    with pytest.raises(ValueError):
        explain_grades(out, card, "fr")
    assert not hasattr(card, "explain")


def test_grade_profile_means():
    card = Scorecard(SPEC)
    out = card.score(FEATURES)
    keys = grade_profile(out, card)  # the analysis: dimension keys, no wording
    assert list(keys.columns) == ["grade", "dimension", "score", "n"]
    prof = presentation_grade_profile(out, card, "en")
    b_sales = prof[(prof["grade"] == "B") & (prof["dimension"] == "sales")]
    assert b_sales["score"].item() == pytest.approx(np.mean([100, 50, 50]))
    assert set(prof["dimension_label"]) == {"sales volume", "growth", "margin rate"}


def test_within_falls_back_to_the_region_when_the_data_has_no_territory():
    # A client export without territories: the percentile dimension compares within the
    # region (and says so) instead of failing; the scores equal those of the same groups given
    # as territories.
    card = Scorecard(SPEC)
    no_territory = FEATURES.rename(columns={"territory": "region"})
    by_region = card.score(no_territory)
    assert any("territory" in n and "region" in n for n in card.evaluate(no_territory).notes)
    by_territory = Scorecard(SPEC).score(FEATURES)
    assert by_region["sales"].tolist() == by_territory["sales"].tolist() == [100, 50, 0, 50]
    assert by_region["grade"].tolist() == by_territory["grade"].tolist()
    # no region either: compared within all distributors
    alone = Scorecard(SPEC).score(FEATURES.drop(columns="territory"))
    assert alone["sales"].tolist() == [100, 200 / 3, 100 / 3, 0]
