"""The one config model (ars_analysis.config): errors name file, key path and expectation;
client layers over the base files."""

from __future__ import annotations

from pathlib import Path

import pytest

from ars_analysis.cli import main as ars
from ars_analysis.client import ClientConfigError, load_client_config
from ars_analysis.config import ConfigError, Layer, base_file, merge_layers
from ars_analysis.customers import Scorecard, ScorecardError
from ars_analysis.data.mapping import MappingError
from ars_analysis.fieldforce import (
    SCORECARD_KPIS,
    OrganisationConfigError,
    load_organisation,
    load_standards,
)
from ars_analysis.incentives import Plan, PlanAssignmentError, load_plan_assignment
from ars_analysis.incentives.plan import PlanError
from ars_analysis.reports import ReportConfigError
from ars_analysis.reports.config_check import check_file

SCORECARD = """
dimensions:
  sales: {column: revenue, method: percentile, weight: 0.6}
  growth: {column: growth, method: bands, thresholds: [0, 0.1], scores: [0, 50, 100], weight: 0.4}
grades:
  A: {min: 60, max: 100}
  B: {min: 0, max: 60}
"""


def _write(path, text):
    path.write_text(text, encoding="utf-8")
    return path


def test_one_error_type():
    for cls in (ScorecardError, PlanError, ReportConfigError, MappingError, ClientConfigError):
        assert issubclass(cls, ConfigError) and issubclass(cls, ValueError)


def test_wrong_type_names_file_key_and_expected(tmp_path):
    p = _write(tmp_path / "card.yml", SCORECARD.replace("weight: 0.6", "weight: lots"))
    with pytest.raises(ScorecardError) as err:
        Scorecard(p)
    msg = str(err.value)
    assert f"{p}: dimensions.sales.weight: expected a number, got 'lots'" in msg


def test_missing_key_names_file_and_key(tmp_path):
    p = _write(tmp_path / "card.yml", SCORECARD.replace(", weight: 0.4", ""))
    with pytest.raises(ScorecardError) as err:
        Scorecard(p)
    assert f"{p}: dimensions.growth.weight: expected this required key" in str(err.value)


def test_unknown_key_suggests_the_close_one(tmp_path):
    p = _write(tmp_path / "card.yml", SCORECARD.replace("column: revenue", "colum: revenue"))
    with pytest.raises(ScorecardError) as err:
        Scorecard(p)
    msg = str(err.value)
    assert f"{p}: dimensions.sales.colum: expected one of the keys" in msg
    assert "did you mean 'column'?" in msg
    s = _write(tmp_path / "std.yml", "frequency: {top: 7}\nfar_chekin_m: 500\n")
    with pytest.raises(
        ConfigError, match=r"std\.yml: far_chekin_m: .*did you mean 'far_checkin_m'"
    ):
        load_standards(s)


def test_list_positions_in_the_key_path(tmp_path):
    p = _write(
        tmp_path / "plan.yml",
        "name: p\ncommissions:\n  - name: c\n    tiers: [{from: 0, rate: 0.1}, {from: 1, rate: 2}]\n",
    )
    with pytest.raises(PlanError, match=r"plan\.yml: commissions\[0\]\.tiers\[1\]\.rate: expected"):
        Plan.from_yaml(p)


def _client(tmp_path, extra: str):
    base = load_client_config().source
    text = open(base, encoding="utf-8").read() + "\n" + extra
    return _write(tmp_path / "client.yml", text)


def test_client_layer_overrides_the_base_deep_and_is_validated_after_merging(tmp_path):
    cfg = load_client_config(
        _client(tmp_path, "scorecard:\n  dimensions:\n    sales: {weight: 0.15}\n"
                          "    growth: {weight: 0.15}\n"
                          "visit_standards:\n  frequency: {top: biweekly}\n  top_share: 0.1\n")
    )  # fmt: skip
    card = Scorecard(layers=cfg.layer("scorecard"))
    base = Scorecard()
    # only the weight changed: the other keys of dimensions.sales come from the base file
    assert card.spec["dimensions"]["sales"]["column"] == "revenue"
    raw = {k: d["weight"] for k, d in card.spec["dimensions"].items()}
    assert raw["sales"] == 0.15 and raw["growth"] == 0.15
    assert raw["margin"] == base.spec["dimensions"]["margin"]["weight"]
    assert card.dimensions["sales"]["weight"] < base.dimensions["sales"]["weight"]
    std = load_standards(layers=cfg.layer("visit_standards"))
    assert std["frequency"] == {"top": 14.0, "other": load_standards()["frequency"]["other"]}
    assert std["top_share"] == 0.1


def test_a_bad_value_in_the_client_layer_names_the_client_file(tmp_path):
    path = _client(tmp_path, "scorecard:\n  dimensions:\n    sales: {weight: -1}\n")
    cfg = load_client_config(path)
    with pytest.raises(ScorecardError) as err:
        Scorecard(layers=cfg.layer("scorecard"))
    # the key path as written in the client file (under scorecard:)
    msg = str(err.value)
    assert f"{path}: scorecard.dimensions.sales.weight: expected a number >= 0.0, got -1" in msg
    path2 = _client(tmp_path, "visit_standards:\n  top_share: 2\n")
    with pytest.raises(ConfigError) as err2:
        load_standards(layers=load_client_config(path2).layer("visit_standards"))
    assert f"{path2}: visit_standards.top_share: expected a number <= 1" in str(err2.value)
    # a value of the base file that the client left alone is attributed to the base file
    merged, origin = merge_layers([Layer("base.yml", {"a": {"x": 1}}), Layer("c.yml", {"b": 2})])
    assert origin[("a", "x")] == "base.yml" and origin[("b",)] == "c.yml"


def test_client_configuration_errors(tmp_path):
    path = _client(tmp_path, "min_sampel: {correlation: 5}\n")
    with pytest.raises(ClientConfigError) as err:
        load_client_config(path)
    assert f"{path}: min_sampel: " in str(err.value) and "did you mean 'min_sample'" in str(
        err.value
    )
    path = _client(tmp_path, "plans_dir: no_such_folder\n")
    with pytest.raises(ClientConfigError, match=r"client\.yml: plans_dir: expected a folder"):
        load_client_config(path).plan_files()


def test_config_check_command(tmp_path, capsys):
    assert ars(["config", "check", "ars_analysis/config", "--quiet"]) == 0
    out = capsys.readouterr().out
    n = len(list(Path("ars_analysis/config").rglob("*.yml")))
    assert f"{n} of {n} file(s) valid" in out and "INVALID" not in out
    bad = _write(tmp_path / "scorecard_x.yml", SCORECARD.replace("weight: 0.6", "weight: lots"))
    assert ars(["config", "check", str(bad)]) == 1
    out = capsys.readouterr().out
    assert f"{bad}: dimensions.sales.weight: expected a number" in out


# --------------------------------------------- the organisation and plan assignment client layer

ORG_AND_ASSIGNMENT = """
field_organisation:
  roles:
    promoter: {visits_per_day: 12}
  distributor_visits: {C: monthly}
plan_assignment:
  recognition: {cost: {honour_top10: 1000}}
"""


def test_organisation_and_assignment_client_layers_merge_over_the_base_files(tmp_path):
    cfg = load_client_config(_client(tmp_path, ORG_AND_ASSIGNMENT))
    base_org, base_a = load_organisation(), load_plan_assignment()
    org = load_organisation(layers=cfg.layer("field_organisation"))
    # the client's values replace the base file's key by key; the rest comes from the base
    assert org.roles["promoter"].visits_per_day == 12 != base_org.roles["promoter"].visits_per_day
    assert org.roles["promoter"].kpis == base_org.roles["promoter"].kpis
    assert org.roles["salesperson"] == base_org.roles["salesperson"]
    assert org.distributor_interval_days() == {"A": 14.0, "B": 365.25 / 12, "C": 365.25 / 12}
    assert org.lines == base_org.lines
    a = load_plan_assignment(layers=cfg.layer("plan_assignment"))
    assert a.recognition.cost == {"honour_top_rep": 1500, "honour_top10": 1000}
    assert a.assignments == base_a.assignments and a.source == base_a.source
    # no layer: the base file as it is
    assert load_organisation(layers=load_client_config().layer("field_organisation")) == base_org


def test_client_assignments_replace_the_list_and_find_plans_beside_the_client_file(tmp_path):
    plan = _write(tmp_path / "my_plan.yml", "name: mine\nbase_pay: 3000\n")
    path = _client(
        tmp_path,
        "plan_assignment:\n  assignments:\n"
        "    - {id: today, name: {zh: 现行, en: Today}, roles: {promoter: current.yml}}\n"
        "    - {id: mine, name: {zh: 新, en: New}, roles: {promoter: my_plan.yml}}\n",
    )
    a = load_plan_assignment(layers=load_client_config(path).layer("plan_assignment"))
    assert [x.id for x in a.assignments] == ["today", "mine"] and a.source == str(path)
    assert a.recognition.cost["honour_top_rep"] == 1500  # not given: the base file's
    plans = a.plans()
    assert set(plans) == {("today", "promoter"), ("mine", "promoter")}
    assert plans[("mine", "promoter")].to_dict()["base_pay"] == Plan.from_yaml(plan).base_pay
    # a name the client's folder does not hold: the shipped plans
    assert plans[("today", "promoter")].to_dict() == {
        **Plan.from_yaml(base_file("plans", "current.yml")).to_dict(), "id": "today__promoter"
    }  # fmt: skip


def test_organisation_and_assignment_errors_name_the_client_file_and_key(tmp_path):
    path = _client(
        tmp_path,
        "field_organisation:\n  roles:\n    promoter:\n      kpis: {visit_complete: 1}\n"
        "plan_assignment:\n  recognition: {cost: {honour_top10: -5}}\n",
    )
    cfg = load_client_config(path)
    with pytest.raises(OrganisationConfigError) as err:
        load_organisation(layers=cfg.layer("field_organisation"))
    assert str(err.value) == (
        f"{path}: field_organisation.roles.promoter.kpis.visit_complete: expected one of the "
        f"scorecard KPIs {list(SCORECARD_KPIS)}, got 'visit_complete'; "
        "did you mean 'visit_completion'?"
    )
    with pytest.raises(PlanAssignmentError) as err:
        load_plan_assignment(layers=cfg.layer("plan_assignment"))
    assert str(err.value) == (
        f"{path}: plan_assignment.recognition.cost.honour_top10: expected a number >= 0.0, got -5"
    )
    # a misspelt key of the client's layer, and a plan file that is nowhere
    path = _client(
        tmp_path,
        "field_organisation:\n  coaching: {min_peer: 3}\n"
        "plan_assignment:\n  assignments:\n"
        "    - {id: x, name: {zh: x, en: x}, roles: {promoter: no_such_plan.yml}}\n",
    )
    cfg = load_client_config(path)
    with pytest.raises(OrganisationConfigError) as err:
        load_organisation(layers=cfg.layer("field_organisation"))
    assert str(err.value).startswith(
        f"{path}: field_organisation.coaching.min_peer: expected one of the keys ["
    ) and str(err.value).endswith("got 'min_peer'; did you mean 'min_peers'?")
    with pytest.raises(PlanAssignmentError) as err:
        load_plan_assignment(layers=cfg.layer("plan_assignment")).plans()
    assert str(err.value).startswith(
        f"{path}: plan_assignment.assignments[0].roles.promoter: expected a plan file (in "
    ) and str(err.value).endswith("got 'no_such_plan.yml'")
    # ars config check knows both layers of a client file and lists both errors
    with pytest.raises(ConfigError) as err:
        check_file(path)
    assert "field_organisation.coaching.min_peer" in str(err.value)
    assert "plan_assignment.assignments[0].roles.promoter" in str(err.value)


def test_config_check_shows_the_merged_organisation_and_assignment(tmp_path):
    kind, merged = check_file(_client(tmp_path, ORG_AND_ASSIGNMENT))
    assert kind == "client"
    assert merged["field_organisation"]["roles"]["promoter"]["visits_per_day"] == 12
    assert merged["field_organisation"]["roles"]["promoter"]["kpis"]  # from the base file
    assert merged["plan_assignment"]["recognition"]["cost"]["honour_top10"] == 1000
    kind, org = check_file(base_file("field_organisation.yml"))
    assert kind == "organisation" and org["roles"] == load_organisation().model_dump()["roles"]
    kind, a = check_file(base_file("plan_assignment.yml"))
    assert kind == "plan_assignment" and a["assignments"][0]["id"] == "one_plan"
