"""Plan model: YAML validation errors name the file, the key and what was expected."""

from __future__ import annotations

import pytest

from ars_analysis.incentives import Plan, PlanError, shipped_plans


def test_shipped_plans_load_and_round_trip():
    plans = [Plan.from_yaml(p) for p in shipped_plans()]
    assert [p.name for p in plans] == ["current", "candidate_a", "candidate_b"]
    assert plans[0].title("zh") == "现行方案" and plans[0].title("en") == "Current plan"
    assert len(plans) == 3
    for p in plans:
        again = Plan.from_dict(p.to_dict())
        assert again.commissions == p.commissions
        assert again.bonus == p.bonus and again.draw == p.draw and again.honours == p.honours
        assert again.name == p.name and again.titles == p.titles
    b = plans[2]
    assert b.kpi_columns == ["visit_completion", "top_terminal_coverage", "new_terminals"]
    assert b.commissions[0].application == "cumulative" and b.draw.recoverable


@pytest.mark.parametrize(
    "patch, key, expected",
    [
        (
            {"commissions": [{"name": "c", "tiers": [{"from": 0, "rate": 2}]}]},
            "commissions[0].tiers[0].rate",
            "a number <= 1",
        ),
        (
            {"commissions": [{"name": "c", "tiers": [{"from": 0.5, "rate": 0.1}]}]},
            "commissions[0].tiers[0].from",
            "0 for the first tier",
        ),
        (
            {
                "commissions": [
                    {"name": "c", "tiers": [{"from": 0, "rate": 0.1}, {"from": 0, "rate": 0.2}]}
                ]
            },
            "commissions[0].tiers[1].from",
            "above the previous",
        ),
        (
            {
                "commissions": [
                    {"name": "c", "mode": "stepped", "tiers": [{"from": 0, "rate": 0.1}]}
                ]
            },
            "commissions[0].mode",
            "one of ['marginal', 'retroactive', 'interpolated']",
        ),
        (
            {
                "commissions": [
                    {
                        "name": "c",
                        "application": "per_transaction",
                        "tiers": [{"from": 0, "rate": 0.1}],
                    }
                ]
            },
            "commissions[0].basis",
            "'amount' when application is 'per_transaction'",
        ),
        (
            {"commissions": [{"name": "total_pay", "tiers": [{"from": 0, "rate": 0.1}]}]},
            "commissions[0].name",
            "a unique name",
        ),
        ({"commisions": []}, "commisions", "one of the keys"),
        ({"base_pay": "5000"}, "base_pay", "a number"),
        (
            {
                "bonus": {
                    "amount": 1,
                    "threshold": {"attainment": 1.0, "payout": 0.5},
                    "target": {"attainment": 0.9, "payout": 1},
                }
            },
            "bonus.target.attainment",
            "a value above 1.0",
        ),
        (
            {
                "scorecard": {
                    "amount": 1,
                    "kpis": [{"column": "a", "weight": 0.5, "points": [[0, 0], [1, 1]]}],
                }
            },
            "scorecard.kpis[].weight",
            "weights that sum to 1",
        ),
        (
            {"gates": [{"kpi": "a", "min": 0.8, "applies_to": ["bonuses"]}]},
            "gates[0].applies_to",
            "a list of",
        ),
        (
            {"honours": [{"name": "h", "amount": 1}]},
            "honours[0].top_n",
            "exactly one of top_n or top_share",
        ),
        ({"draw": {"amount": 1, "recoverable": "yes"}}, "draw.recoverable", "true or false"),
    ],
)
def test_validation_errors(patch, key, expected):
    with pytest.raises(PlanError) as err:
        Plan.from_dict({"name": "x", **patch}, source="plans/x.yml")
    msg = str(err.value)
    assert msg.startswith("plans/x.yml: " + key + ": expected"), msg
    assert expected in msg


def test_yaml_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(PlanError, match="bad.yml: not valid YAML"):
        Plan.from_yaml(bad)
    missing = tmp_path / "m.yml"
    missing.write_text("base_pay: 1\n", encoding="utf-8")
    with pytest.raises(PlanError, match=r"m.yml: name: expected this required key"):
        Plan.from_yaml(missing)
    assert issubclass(PlanError, ValueError)


def test_scaled_parameters():
    p = Plan.from_yaml(shipped_plans()[1])
    up = p.scaled("rates", 1.2)
    assert [t.rate for t in up.commissions[0].tiers] == pytest.approx(
        [t.rate * 1.2 for t in p.commissions[0].tiers]
    )
    assert p.scaled("caps", 0.8).commissions[0].cap_period == pytest.approx(12000)
    assert p.scaled("bonus", 1.2).bonus.amount == pytest.approx(3600)
    th = p.scaled("threshold", 1.2)
    assert th.commissions[0].threshold == pytest.approx(0.72)
    assert th.bonus.threshold.attainment < th.bonus.target.attainment  # kept below target
    assert p.scaled("scorecard", 2.0) == p  # no scorecard: unchanged
    with pytest.raises(ValueError, match="parameter must be one of"):
        p.scaled("quota", 1.1)
