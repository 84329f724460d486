"""Field execution charts and report labels."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from ars_analysis import fieldforce as ff  # noqa: E402
from ars_analysis.charts import fieldforce as ch  # noqa: E402
from ars_analysis.labels import all_keys, label  # noqa: E402
from ars_analysis.presentation.fieldforce import for_report  # noqa: E402


@pytest.fixture(scope="module")
def world():
    reps = pd.DataFrame(
        {
            "rep_id": ["R1", "R2"],
            "rep_name": ["Ann", "Bob"],
            "region": ["East", "West"],
            "manager_id": [None, None],
        }  # fmt: skip
    )
    terminals = pd.DataFrame(
        {
            "terminal_id": ["T1", "T2"],
            "rep_id": ["R1", "R2"],
            "latitude": [30.0, 31.0],
            "longitude": [120.0, 121.0],
        }  # fmt: skip
    )
    visits = pd.DataFrame(
        {
            "visit_id": ["V1", "V2", "V3", "V4"],
            "rep_id": ["R1", "R1", "R2", "R2"],
            "terminal_id": ["T1", "T1", "T2", "T2"],
            "planned_date": ["2025-01-06", "2025-01-07", "2025-01-06", None],
            "check_in": ["2025-01-06 09:00", None, "2025-01-06 09:00", "2025-01-06 11:00"],
            "check_out": ["2025-01-06 09:30", None, "2025-01-06 09:20", "2025-01-06 11:40"],
            "activities": ["order;display", None, "stock_check", "order;training"],
            "latitude": [30.0, None, 31.02, None],
            "longitude": [120.0, None, 121.0, None],
        }
    )
    return visits, terminals, reps


def _texts(ax):
    return [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_all_charts_draw_and_are_labelled(world, lang):
    visits, terminals, reps = world
    comp = ff.visit_compliance(visits, reps)
    dist = ff.distance_summary(ff.checkin_distance(visits, terminals), reps, level="region")
    acts = ff.activity_shares(visits, reps, level="region")
    times = ff.visit_times(visits)
    card = pd.DataFrame({"rep_id": list("ABCDE"), "visit_completion": [0.5, 0.6, 0.7, 0.8, 0.9],
                         "attainment": [0.8, 0.7, 1.0, 1.1, 1.2]})  # fmt: skip
    res = ff.discipline_vs_attainment(card, min_n=3)
    att = pd.DataFrame({"rep_id": ["R1", "R2"], "rep_name": ["Ann", "Bob"],
                        "deviation_pct": [-0.2, 0.1]})  # fmt: skip
    axes = [
        ch.plot_completion(comp, lang=lang),
        ch.plot_distance_bands(dist, lang=lang),
        ch.plot_activity_shares(acts, lang=lang),
        ch.plot_time_in_store(times, lang=lang),
        ch.plot_discipline_vs_attainment(card, res, lang=lang),
        ch.plot_deviation_ranking(ff.deviation_ranking(att), lang=lang),
    ]
    keys = ["title_completion", "title_distance_bands", "title_activity_shares",
            "title_time_in_store", "title_discipline_vs_attainment", "title_deviation_ranking"]  # fmt: skip
    for ax, key in zip(axes, keys, strict=True):
        assert ax.get_title() == label(f"fieldforce.{key}", lang)
        assert all(_texts(ax)), key  # title and both axes labelled
    assert axes[0].get_xlabel() == label("fieldforce.visit_completion", lang)
    # completion bars: Bob 1.0, Ann 0.5 (sorted, lowest on top)
    assert [t.get_text() for t in axes[0].get_yticklabels()] == ["Bob", "Ann"]
    # activity tick labels translated
    ticks = [t.get_text() for t in axes[2].get_xticklabels()]
    assert label("fieldforce.act_order", lang) in ticks
    # the correlation text is on the scatter
    assert any("ρ" in t.get_text() for t in axes[4].texts)
    # the deviation bars are coloured by sign: negative deviations in one colour, others in another
    from matplotlib.colors import to_hex

    bars = axes[5].patches
    widths = [b.get_width() for b in bars]
    colours = {w < 0: to_hex(b.get_facecolor()) for w, b in zip(widths, bars, strict=True)}
    if any(w < 0 for w in widths) and any(w >= 0 for w in widths):
        assert colours[True] != colours[False]
    assert all(to_hex(b.get_facecolor()) == colours[b.get_width() < 0] for b in bars), (
        "a bar is coloured against its sign"
    )
    plt.close("all")


def test_chart_uses_given_axes(world):
    visits, _, reps = world
    fig, ax = plt.subplots()
    out = ch.plot_completion(ff.visit_compliance(visits, reps), lang="en", ax=ax)
    assert out is ax
    plt.close(fig)


def test_every_activity_and_issue_has_a_label():
    keys = set(all_keys())
    for code in (*ff.__dict__["ACTIVITIES"], "other", "none"):
        assert f"fieldforce.act_{code}" in keys
    for code in ff.ISSUES:
        assert f"fieldforce.issue_{code}" in keys
    for col in ff.SCORECARD_KPIS:
        assert f"fieldforce.{col}" in keys


def test_for_report_translates_headers_and_codes(world):
    visits, terminals, reps = world
    acts = for_report(ff.activity_shares(visits), "zh")
    assert "拜访内容" in acts.columns and "下单" in set(acts["拜访内容"])
    card = for_report(ff.rep_scorecard(visits, terminals, reps), "en")
    assert "Visit completion" in card.columns and "Attainment" in card.columns
