"""Wording, tables and charts of the four flows, distribution, targets and 提升 (issue 15), in
both languages, with and without the optional tables."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ars_analysis.customers.health import DistributorHealth  # noqa: E402
from ars_analysis.data.dataset import Dataset  # noqa: E402
from ars_analysis.presentation import distribution as D  # noqa: E402
from ars_analysis.presentation import health as H  # noqa: E402

LANGS = ("zh", "en")
RAW = re.compile(r"\bnan\b|None|True|False|\b[a-z]+_[a-z_]+\b|\{|\}")


def _health(flags: pd.DataFrame, missing=()) -> DistributorHealth:
    h = pd.DataFrame({"customer_id": ["C1", "C2", "C3"], "customer_name": ["甲", "乙", "丙"],
                      "region": ["华东"] * 3, "commerce": [10.0, 50.0, 90.0],
                      "logistics": [20.0, 60.0, 80.0], "cash": [30.0, 40.0, 70.0],
                      "information": [5.0, 50.0, 95.0], "health_score": [16.25, 50.0, 83.75],
                      "cover_days": [75.0, 30.0, 20.0]})  # fmt: skip
    from ars_analysis.compose.health import HEALTH_PARAMETERS
    from ars_analysis.customers.health import HEALTH_THRESHOLDS

    return DistributorHealth(health=h, flags=flags, trend=pd.DataFrame(), by_product=pd.DataFrame(),
                             available={"commerce": ("sales",)}, missing=list(missing),
                             parameters={**HEALTH_PARAMETERS, **HEALTH_THRESHOLDS})  # fmt: skip


def test_the_action_row_states_count_threshold_and_money_in_both_languages():
    flags = pd.DataFrame({"customer_id": ["C1", "C2"], "flag": ["overstock", "overstock"],
                          "value": [75.0, 80.0], "at_stake": [3_000_000.0, 1_200_000.0]})  # fmt: skip
    res = _health(flags)
    zh = H.actions_table(res, "zh").html
    en = H.actions_table(res, "en").html
    assert "库存周转超过60天：2家经销商，积压资金420.0万元" in zh and "甲、乙" in zh
    assert "Stock cover above 60 days at 2 distributors: CNY 4.2M tied up" in en
    assert H.top_issue_sentence(res, "en").html.count("4.2M") == 1
    for lang in LANGS:
        for html in (H.actions_table(res, lang).html, H.health_sentence(res, lang).html,
                     H.method_note(res, lang).html):  # fmt: skip
            assert not RAW.search(re.sub(r"<[^>]+>", "", html)), html


def test_health_actions_join_the_opening_action_list_largest_stake_first():
    from ars_analysis.presentation.blocks import ActionList, ReportSummary, actions_block

    flags = pd.DataFrame({"customer_id": ["C2", "C1", "C1", "C3"],
                          "flag": ["overstock", "late_reports", "overdue", "late_reports"],
                          "value": [80.0, 0.5, 0.3, 0.4],
                          "at_stake": [1_200_000.0, float("nan"), 3_000_000.0, float("nan")]})  # fmt: skip
    res = _health(flags)
    base = ReportSummary("t", "q", "zh", "全国", [], actions=[ActionList("培育", [])])
    for lang in LANGS:
        summary = H.with_health_actions(base, res, lang)
        assert len(base.actions) == 1 and len(summary.actions) == 2  # the given one unchanged
        acts = summary.actions[1]
        assert acts.title == H.label("health.actions_title", lang)
        # one row per distributor, the largest money at stake first; C3 (nothing at stake) last
        assert [a.stake for a in acts.items] == ["3,000,000", "1,200,000", "—"]
        names = [a.name for a in acts.items]
        assert names == (["甲（C1）", "乙（C2）", "丙（C3）"] if lang == "zh"
                         else ["甲 (C1)", "乙 (C2)", "丙 (C3)"])  # fmt: skip
        # C1's two issues in the order of the actions table: overdue before late reports
        overdue = H.label("health.flag_values.overdue", lang)
        late = H.label("health.flag_values.late_reports", lang)
        reason = acts.items[0].reason
        assert reason.index(overdue) < reason.index(late)
        assert H.label("health.action_todo.overdue", lang) in reason
        html = actions_block(summary).html
        assert H.label("health.stake_header", lang) in html and not RAW.search(
            re.sub(r"<[^>]+>", "", html)
        )
    none = H.opening_actions(_health(flags.iloc[0:0]), "en")
    assert none.items == [] and none.empty_text == "No distributor is beyond a health threshold."


def test_absent_tables_are_named_in_the_report_and_no_action_is_invented():
    res = _health(pd.DataFrame(columns=["customer_id", "flag", "value", "at_stake"]),
                  missing=["inventory", "deliveries"])  # fmt: skip
    assert "库存数据、配送记录" in H.missing_note(res, "zh").html
    assert "stock counts, delivery records not supplied" in H.missing_note(res, "en").html
    assert "No distributor is beyond a health threshold" in H.actions_table(res, "en").html
    assert H.top_issue_sentence(res, "en") is None
    assert H.missing_note(_health(pd.DataFrame(), missing=[]), "en") is None


def test_health_table_is_weakest_first_with_localised_headers():
    res = _health(pd.DataFrame(columns=["customer_id", "flag", "value", "at_stake"]))
    t = H.health_table(res, "en")
    assert t.data["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert {"Commerce", "Logistics", "Cash", "Information", "Health"} <= set(t.headers())
    assert t.display_frame()["cover_days"].tolist() == ["75", "30", "20"]
    zh = H.health_table(res, "zh")
    assert "信息流" in zh.headers() and "健康度" in zh.headers()


def test_radars_draw_one_polar_axis_per_distributor():
    from ars_analysis.charts.health import plot_health_radars

    res = _health(pd.DataFrame())
    axes = plot_health_radars(H.radar_data(res, n=3), lang="en")
    shown = [a for a in axes.flat if a.get_visible()]
    assert len(shown) == 3 and shown[0].name == "polar"
    assert [t.get_text() for t in shown[0].get_xticklabels()] == [
        "commerce", "logistics", "cash", "information"]  # fmt: skip
    plt.close("all")


@pytest.fixture(scope="module")
def flows():
    from ars_analysis.compose.network_flows import analyse_network_flows
    from ars_analysis.data.synth import generate_dataset

    t = generate_dataset(seed=4, n_customers=24, n_terminals=320, n_reps=16, months=12)
    plain = dict(t)
    plain.pop("terminal_targets")
    plain["terminals"] = t["terminals"].drop(columns=["serviced_by", "serviced_by_since"])
    plain["products"] = t["products"].drop(columns=["launch_date"])
    return analyse_network_flows(Dataset(t)), analyse_network_flows(Dataset(plain))


@pytest.mark.slow
def test_network_sections_read_well_with_and_without_the_optional_inputs(flows):
    full, plain = flows
    for lang in LANGS:
        for res in (full, plain):
            parts = [D.distribution_sentence(res, lang), D.gaps_sentence(res, lang),
                     D.rollout_sentence(res, lang), D.targets_sentence(res, lang),
                     D.handover_sentence(res, lang), D.method_note(res, lang)]  # fmt: skip
            if D.ready_sentence(res, lang) is not None:
                parts.append(D.ready_sentence(res, lang))
            for p in parts:
                text = re.sub(r"<[^>]+>", "", p.html)
                assert text and not RAW.search(text), text
            tables = [*D.distribution_tables(res, lang), D.gaps_table(res, lang),
                      *D.attainment_tables(res, lang), *D.handover_tables(res, lang),
                      *D.workbook_tables(res, lang)]  # fmt: skip
            for t in tables:
                t.headers()  # every column has a label (KeyError otherwise)
                assert "nan" not in t.display_frame().to_string()
    assert "has no launch dates" in D.rollout_sentence(plain, "en").html
    assert "No terminal targets were supplied" in D.targets_sentence(plain, "en").html
    assert "cannot be measured" in D.handover_sentence(plain, "en").html
    assert D.ready_sentence(plain, "en") is None
    assert "rose from" in D.handover_sentence(full, "en").html


@pytest.mark.slow
def test_network_charts_draw_the_numbers_they_are_given(flows):
    from ars_analysis.charts.distribution import plot_distribution, plot_rollout, plot_servicing

    full, _ = flows
    total = full.distribution["total"]
    ax = plot_distribution(total, lang="zh", names=D.product_names(full))
    heights = sorted(round(p.get_height(), 6) for p in ax.patches)
    expect = sorted(round(v, 6) for v in [*total["numeric_distribution"],
                                          *total["weighted_distribution"]])  # fmt: skip
    assert heights == expect
    ax = plot_rollout(full.rollout, lang="en")
    assert len(ax.get_lines()) == full.rollout["product_id"].nunique()
    s = D.servicing_total(full)
    ax = plot_servicing(s, lang="en")
    assert list(ax.get_lines()[1].get_ydata()) == pytest.approx(s["volume_share"].tolist())
    plt.close("all")
