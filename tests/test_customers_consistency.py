"""Core customers: national and regional reports agree (issue 11, items 7, 8, 9, 10, 11, 15).

The analysis is run on the sample data for the whole country and for every region, as the
report notebooks run it (the period's whole dataset, the client's configuration, the shared
top-terminal set), and the results are compared with each other and with plain pandas.

Which test covers which item of issue 11:

* 7 (five counts of core customers, ABC within tiny territories):
  ``test_abc_small_territories_fall_back_to_the_region``,
  ``test_counts_table_relates_every_count_to_the_headline``,
  ``test_headline_finding_equals_the_grade_table``
* 8 (grades change with the scope): ``test_grades_identical_nationally_and_per_region``,
  ``test_regional_counts_sum_to_national``
* 9 (grade movements were ABC movements): ``test_grade_movements_are_rescored_grades``
* 10 (seedlings ranked on growth alone): ``test_seedlings_need_a_confident_trend_and_size``,
  ``test_one_quarter_jump_is_not_a_trend``,
  ``test_trend_matches_theil_sen_and_mann_kendall_by_hand``
* 11 (computed ABC sentence vs table): ``test_computed_abc_sentence_and_table_share_one_frame``
* 15 (segments from 14 customers): ``test_no_segmentation_below_the_minimum_sample``
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ars_analysis import load_dataset
from ars_analysis.client import load_client_config
from ars_analysis.compose import analyse_core_customers, top_terminals
from ars_analysis.customers import dimension_gaps, sales_trend, scoped_abc
from ars_analysis.presentation import customers as P

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def runs():
    ds = load_dataset(SAMPLE)
    cfg = load_client_config()
    top = top_terminals(ds, cfg.definitions.top_terminal)
    national = analyse_core_customers(ds, cfg, top=top)
    regions = sorted(pd.read_csv(SAMPLE / "customers.csv", dtype=str)["region"].dropna().unique())
    regional = {
        r: analyse_core_customers(ds, cfg, region=r, top=top, segments=r == regions[0])
        for r in regions
    }
    return {"ds": ds, "cfg": cfg, "top": top, "national": national, "regional": regional}


# ------------------------------------------------------------------------------ item 8
@pytest.mark.slow
def test_grades_identical_nationally_and_per_region(runs):
    nat = runs["national"].grades
    seen = {}
    for region, res in runs["regional"].items():
        assert res.grades, region
        for cid, grade in res.grades.items():
            assert grade == nat[cid], f"{cid} is {nat[cid]} nationally but {grade} in {region}"
            seen[cid] = grade
        # the top terminals of a region are the national ones of that region
        assert set(res.top_terminal_ids) <= set(runs["national"].top_terminal_ids)
    assert seen == nat  # every distributor appears in exactly one regional report
    # ABC classes and dimension scores too (percentile within territory on all distributors)
    abc_nat = runs["national"].abc.set_index("customer_id")["abc_class"].astype(str)
    scored_nat = runs["national"].scored.set_index("customer_id")
    for res in runs["regional"].values():
        a = res.abc.set_index("customer_id")["abc_class"].astype(str)
        assert a.equals(abc_nat.reindex(a.index))
        s = res.scored.set_index("customer_id")
        pd.testing.assert_frame_equal(s, scored_nat.loc[s.index])


@pytest.mark.slow
def test_regional_counts_sum_to_national(runs):
    nat = runs["national"]
    reg = list(runs["regional"].values())
    g = sum(r.grade_counts().set_index("grade")["n_customers"] for r in reg)
    assert g.to_dict() == nat.grade_counts().set_index("grade")["n_customers"].to_dict()
    for col in ("abc_class",):
        total = sum(r.abc[col].astype(str).value_counts() for r in reg)
        assert total.to_dict() == nat.abc[col].astype(str).value_counts().to_dict()
    assert sum(r.n_customers for r in reg) == nat.n_customers == nat.n_all
    assert sum(len(r.seedlings) for r in reg) == len(nat.seedlings)
    assert sum(len(r.at_risk) for r in reg) == len(nat.at_risk)
    for definition in ("grade_a", "abc_a", "computed_abc_a", "matrix_aa", "grade_a_latest"):
        n = sum(int(r.counts.set_index("definition").loc[definition, "n_customers"]) for r in reg)
        assert n == int(nat.counts.set_index("definition").loc[definition, "n_customers"])


# ------------------------------------------------------------------------------ item 7
def test_abc_small_territories_fall_back_to_the_region():
    # territory t1 has 2 distributors, t2 has 3, region E has 5, region W has 1
    d = pd.DataFrame(
        {
            "customer_id": list("abcdef"),
            "region": ["E"] * 5 + ["W"],
            "territory": ["t1", "t1", "t2", "t2", "t2", "t3"],
            "revenue": [100.0, 1.0, 50.0, 30.0, 10.0, 5.0],
        }
    )
    out = scoped_abc(d, min_group=4).set_index("customer_id")
    assert out.loc[["a", "b", "c", "d", "e"], "abc_scope"].eq("region").all()
    assert out.loc["f", "abc_scope"] == "national"
    # plain pandas: region E ranked together (191): a 100 (0 before), c 50 (100/191 < .8) -> A,
    # d 30 (150/191 = .785 < .8) -> A, e 10 (180/191 = .94 < .95) -> B, b 1 -> C (190/191);
    # f nationally (196): 191/196 = .974 before it -> C, not "A of a group of one"
    assert out["abc_class"].astype(str).to_dict() == {
        "a": "A", "b": "C", "c": "A", "d": "A", "e": "B", "f": "C",
    }  # fmt: skip
    # within territories (the old behaviour) the single distributor of t3 is "A" by itself
    within = scoped_abc(d, min_group=1).set_index("customer_id")
    assert within.loc["f", "abc_scope"] == "territory" and within.loc["f", "abc_class"] == "A"


@pytest.mark.slow
def test_abc_groups_state_the_scope_and_are_never_degenerate(runs):
    cfg = runs["cfg"]
    cc = cfg.definitions.core_customer
    nat = runs["national"]
    # no distributor is ranked within a group smaller than the minimum
    assert (nat.abc["group_size"] >= cc.abc_min_group).all()
    g = nat.abc_groups
    sizes = pd.read_csv(SAMPLE / "customers.csv", dtype=str).groupby("territory").size()
    assert set(g.columns) >= {"territory", "n_customers", "abc_scope", "n_a"}
    for _, row in g.iterrows():
        assert row["n_customers"] == sizes[row["territory"]]
        expected = "territory" if row["n_customers"] >= cc.abc_min_group else row["abc_scope"]
        assert row["abc_scope"] == expected and row["abc_scope"] in ("region", "national")
    # the share of A distributors is no longer the degenerate ~44 %
    share_a = (nat.abc["abc_class"] == "A").mean()
    assert share_a < 0.35
    sentence = P.scope_sentence(nat, "en")
    assert f"fewer than {cc.abc_min_group}" in sentence and str(len(g)) in sentence


@pytest.mark.slow
def test_counts_table_relates_every_count_to_the_headline(runs):
    nat = runs["national"]
    c = nat.counts.set_index("definition")
    assert list(c.index)[0] == "grade_a"
    n_a = int((nat.scored["grade"] == "A").sum())
    assert c.loc["grade_a", "n_customers"] == c.loc["grade_a", "n_grade_a"] == n_a
    assert c.loc["abc_a", "n_customers"] == int((nat.abc["abc_class"] == "A").sum())
    assert c.loc["computed_abc_a", "n_customers"] == int((nat.computed["abc_class"] == "A").sum())
    assert (c["n_grade_a"] <= c["n_customers"]).all()
    # shares of sales by plain pandas
    rev = nat.scored.set_index("customer_id")["revenue"]
    ids = nat.abc.loc[nat.abc["abc_class"] == "A", "customer_id"]
    assert c.loc["abc_a", "revenue_share"] == pytest.approx(rev[ids].sum() / rev.sum())
    table = P.counts_table(nat, "zh").display_frame()
    assert table.iloc[0, 0] == "评分卡A级（本报告的核心客户口径）"


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_headline_finding_equals_the_grade_table(runs, lang):
    for res in [runs["national"], *runs["regional"].values()]:
        summary = P.core_customers_summary(res, runs["cfg"], lang, res.region)
        counts = res.grade_counts().set_index("grade")
        n_a = int(counts.loc["A", "n_customers"])
        grade_table = P.grade_tables(res, lang)[0].display_frame()
        assert grade_table.iloc[0, 1] == str(n_a)
        head = summary.findings[0].text
        assert head.startswith(f"核心客户（评分卡A级）{n_a} 家" if lang == "zh" else f"{n_a} of")
        assert P.fmt.percent(counts.loc["A", "revenue_share"]) in head
        assert summary.key_results[0].value == str(n_a)


# ------------------------------------------------------------------------------ item 9
@pytest.mark.slow
def test_grade_movements_are_rescored_grades(runs):
    nat = runs["national"]
    pg = nat.period_grades
    start, end = nat.movement_start, nat.movement_end
    assert (start, end) == ("2024Q4", "2025Q4")
    # the transition matrix counts scorecard grades of each period, not ABC classes
    t = nat.transitions
    g0 = pg[pg["period"] == start]["grade"].astype(str).value_counts()
    g1 = pg[pg["period"] == end]["grade"].astype(str).value_counts()
    for grade in "ABC":
        assert t.loc[grade].sum() == g0.get(grade, 0)
        assert t[grade].sum() == g1.get(grade, 0)
    # each period's revenue is the quarter's own (plain pandas), so its features are the period's
    sales = pd.read_csv(SAMPLE / "sales.csv", dtype={"customer_id": str}, parse_dates=["date"])
    q = sales[sales["date"].dt.to_period("Q").astype(str) == end]
    rev = q.groupby("customer_id")["revenue"].sum()
    got = pg[pg["period"] == end].set_index("customer_id")["revenue"]
    pd.testing.assert_series_equal(got.sort_index(), rev.sort_index(), check_names=False)
    # and the period grade is not simply the ABC class of the period
    abc = nat.abc_movements.set_index("customer_id")["to"]
    grades = pg[pg["period"] == end].set_index("customer_id")["grade"].astype(str)
    assert (abc.reindex(grades.index) != grades).any()
    # the movement table says grades, in words
    mv = P.movements_table(nat, "zh").display_frame()
    assert set(mv.iloc[:, 4]) <= {"升级", "降级", "新增", "流失"}


# ------------------------------------------------------------------------------ item 10
def test_trend_matches_theil_sen_and_mann_kendall_by_hand():
    from itertools import combinations
    from math import erf, sqrt

    rng = np.random.default_rng(3)
    months = [f"2024-{m:02d}" for m in range(1, 13)] + [f"2025-{m:02d}" for m in range(1, 13)]
    y = 100 + 3 * np.arange(24) + rng.normal(0, 10, 24)
    m = pd.DataFrame({"customer_id": "a", "period": months, "revenue": y})
    got = sales_trend(m).iloc[0]
    pairs = list(combinations(range(24), 2))
    slopes = sorted((y[j] - y[i]) / (j - i) for i, j in pairs)
    mean = y.mean()
    assert got["trend"] == pytest.approx(12 * float(np.median(slopes)) / mean)
    # Mann-Kendall by hand (no ties): S and its variance n(n-1)(2n+5)/18
    s = sum(np.sign(y[j] - y[i]) for i, j in pairs)
    var = 24 * 23 * 53 / 18
    p = 2 * (1 - 0.5 * (1 + erf(abs(s) / sqrt(var) / sqrt(2))))
    assert got["p_value"] == pytest.approx(p)
    # Sen's interval: ranks (N -+ z sqrt(var)) / 2 of the ordered slopes
    c = 1.959963984540054 * sqrt(var)
    lo = slopes[int(np.round((len(slopes) - c) / 2)) - 1]
    assert got["trend_low"] == pytest.approx(12 * lo / mean, rel=0.05)
    # interval and p-value from one procedure: the interval excludes 0 iff p < 0.05
    for series in (y, rng.normal(100, 10, 24), 200 - 2 * np.arange(24) + rng.normal(0, 30, 24)):
        t = sales_trend(pd.DataFrame({"customer_id": "a", "period": months, "revenue": series}))
        t = t.iloc[0]
        assert (t["trend_low"] > 0 or t["trend_high"] < 0) == (t["p_value"] < 0.05)


def test_one_quarter_jump_is_not_a_trend():
    months = [f"2024-{m:02d}" for m in range(1, 13)] + [f"2025-{m:02d}" for m in range(1, 13)]
    rng = np.random.default_rng(0)
    flat_then_jump = np.r_[rng.normal(6419 / 3, 300, 21), [12000, 12000, 12314]]
    steady = 2000 + 60 * np.arange(24) + rng.normal(0, 150, 24)
    m = pd.concat(
        [
            pd.DataFrame({"customer_id": "jump", "period": months, "revenue": flat_then_jump}),
            pd.DataFrame({"customer_id": "steady", "period": months, "revenue": steady}),
        ]
    )
    tr = sales_trend(m).set_index("customer_id")
    # the last quarter's growth of "jump" is huge (the old ranking put it first) ...
    assert flat_then_jump[-3:].sum() / flat_then_jump[-6:-3].sum() - 1 > 4
    # ... but its trend is not established; the steady grower's is
    assert tr.loc["steady", "trend_low"] > 0
    assert tr.loc["jump", "p_value"] > tr.loc["steady", "p_value"]
    scored = pd.DataFrame(
        {"customer_id": ["jump", "steady"], "grade": ["B", "B"], "revenue": [1e5, 5e4]}
    )
    from ars_analysis.customers import trend_seedlings

    seeds = trend_seedlings(scored, tr.reset_index(), min_revenue=0)
    assert seeds["customer_id"].iloc[0] == "steady"


@pytest.mark.slow
def test_seedlings_need_a_confident_trend_and_size(runs):
    nat = runs["national"]
    s = nat.seedlings
    assert (s["grade"].astype(str) == "B").all()
    assert (s["trend_low"] > 0).all() and (s["revenue"] >= nat.size_floor).all()
    assert nat.size_floor == pytest.approx(nat.features["revenue"].median())
    assert list(s["trend_low"]) == sorted(s["trend_low"], reverse=True)
    # every B above the floor with a confident trend is listed, no other
    t = nat.trend.set_index("customer_id")
    b = nat.scored[(nat.scored["grade"] == "B") & (nat.scored["revenue"] >= nat.size_floor)]
    expected = {c for c in b["customer_id"] if t.loc[c, "trend_low"] > 0}
    assert set(s["customer_id"]) == expected
    # their missing dimensions: below the grade-A mean
    scored = nat.scored
    a_mean = scored[scored["grade"] == "A"].mean(numeric_only=True)
    for _, row in s.iterrows():
        own = scored.set_index("customer_id").loc[row["customer_id"]]
        assert row["gaps"], row["customer_id"]
        assert all(own[k] < a_mean[k] for k in row["gaps"])
    r = nat.at_risk
    assert (r["grade"].astype(str) == "A").all() and (r["trend_high"] < 0).all()
    # the actions name the distributor and give the money at stake
    summary = P.core_customers_summary(nat, runs["cfg"], "en")
    cultivate, visit = summary.actions
    assert len(cultivate.items) == min(len(s), 8)
    for action, (_, row) in zip(cultivate.items, s.iterrows(), strict=False):
        assert row["customer_name"] in action.name and row["customer_id"] in action.name
        assert action.stake == P.fmt.money(row["revenue"])
        assert "points short of A" in action.reason


def test_dimension_gaps_by_hand():
    from ars_analysis.customers import Scorecard

    card = Scorecard(
        {
            "dimensions": {
                "x": {"column": "x", "method": "minmax", "weight": 0.75},
                "y": {"column": "y", "method": "minmax", "weight": 0.25},
            },
            "grades": {"A": {"min": 70, "max": 100}, "C": {"min": 0, "max": 70}},
        }
    )
    f = pd.DataFrame({"customer_id": ["a", "b", "c"], "x": [10.0, 0, 5], "y": [10.0, 10, 0]})
    s = card.score(f)  # a: 100, b: 25, c: 37.5
    g = dimension_gaps(s, card).set_index("customer_id")
    assert g.loc["a", "gaps"] == [] and g.loc["a", "points_to_grade"] == 0
    assert g.loc["b", "gaps"] == ["x"] and g.loc["b", "points_to_grade"] == pytest.approx(45)
    # c: x short by 0.75 * 50 = 37.5, y by 0.25 * 100 = 25 -> x first
    assert g.loc["c", "gaps"] == ["x", "y"]


def _one_seedling(score: float, gap: float):
    """A hand-built result with one grade-B seedling (A from 70) for the presentation."""
    from types import SimpleNamespace

    from ars_analysis.customers import Scorecard

    row = {"customer_id": "D1", "customer_name": "甲", "region": "华南", "revenue": 1.2e6,
           "score": score, "trend": 0.3, "trend_low": 0.1, "trend_high": 0.5, "p_value": 0.01,
           "points_to_grade": gap, "gaps": ["sales"]}  # fmt: skip
    return SimpleNamespace(
        seedlings=pd.DataFrame([row]), scorecard=Scorecard(), options={"trend_level": 0.95}
    )


@pytest.mark.parametrize(
    ("score", "gap", "shown"),
    [
        (69.6, 0.4, ("69.6", "0.4")),  # was "70" and "0 points short of A"
        (69.96, 0.04, ("69.9", "0.1")),  # rounds up: never 0 below the bound
        (69.64, 0.36, ("69.6", "0.4")),
        (55.0, 15.0, ("55.0", "15.0")),
    ],
)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_seedlings_never_show_zero_points_short_of_a(score, gap, shown, lang):
    assert P.score_and_gap(score, gap) == (float(shown[0]), float(shown[1]))
    res = _one_seedling(score, gap)
    table = P.seedlings_table(res, lang).display_frame().iloc[0]
    assert (table["score"], table["points_to_grade"]) == shown
    # the shown score plus the shown gap is the bound of grade A
    assert float(shown[0]) + float(shown[1]) == pytest.approx(70)
    # the action list of the summary says the same gap
    reason = P.cultivate_reason(res.seedlings.iloc[0], res, lang)
    assert reason.startswith(("距A级差 " if lang == "zh" else "") + shown[1])


# ------------------------------------------------------------------------------ item 11
@pytest.mark.slow
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_computed_abc_sentence_and_table_share_one_frame(runs, lang):
    for res in [runs["national"], runs["regional"]["华南"]]:
        table = P.abc_tables(res, lang)["computed"].display_frame()
        a = table[table.iloc[:, 0] == ("A类" if lang == "zh" else "A")].iloc[0]
        sentence = P.computed_sentence(res.computed_summary, lang)
        n, items, share = a.iloc[1], a.iloc[2], a.iloc[4]
        assert f"{n} " in sentence and items in sentence and share in sentence
        # and the numbers are the classes themselves (plain pandas), not the curve's grid
        c = res.computed
        is_a = c["abc_class"] == "A"
        assert int(n) == int(is_a.sum())
        assert share == P.fmt.percent(c.loc[is_a, "revenue"].sum() / c["revenue"].sum())


# ------------------------------------------------------------------------------ item 15
@pytest.mark.slow
def test_no_segmentation_below_the_minimum_sample(runs):
    cfg = runs["cfg"]
    for res in runs["regional"].values():
        assert res.n_customers < cfg.min_sample.segments
        assert res.segment_profiles is None and res.segmenter is None
        assert res.segment_reason in ("too_few", "off")
    res = runs["regional"][sorted(runs["regional"])[0]]
    assert res.segment_reason == "too_few"
    text = P.segment_sentence(res, cfg, "en")
    assert f"has {res.n_customers} distributors" in text and "too little data" in text
    nat = runs["national"]
    assert nat.n_customers >= cfg.min_sample.segments
    assert nat.segment_profiles is not None
    assert nat.segment_profiles["n_customers"].min() >= cfg.min_sample.per_segment
    assert nat.segment_profiles["n_customers"].sum() == nat.n_customers


def test_segmentation_refused_when_every_split_leaves_a_tiny_segment():
    from ars_analysis.client import ClientConfig, MinSample
    from ars_analysis.customers import fit_segments

    rng = np.random.default_rng(0)
    # 30 distributors: 28 alike and 2 far away -> any split leaves a 2-distributor segment
    f = pd.DataFrame(
        {
            "revenue": np.r_[rng.lognormal(10, 0.05, 28), [1e9, 2e9]],
            "growth": np.r_[rng.normal(0, 0.01, 28), [5.0, 6.0]],
        }
    )
    cfg = ClientConfig(min_sample=MinSample(segments=30, per_segment=5))
    seg, reason = fit_segments(f, cfg, 0)
    assert seg is None and reason == "small_segments"
    seg, reason = fit_segments(f.head(20), cfg, 0)
    assert seg is None and reason == "too_few"


def test_every_customers_label_has_exactly_zh_and_en():
    """An unquoted comma in a YAML flow mapping silently cuts a label (it happened)."""
    import yaml

    path = Path(__file__).resolve().parents[1] / "ars_analysis" / "labels" / "customers.yml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def walk(key, value):
        if isinstance(value, dict) and ({"zh", "en"} & set(value)):
            assert set(value) == {"zh", "en"}, f"{key}: {sorted(value)}"
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(f"{key}.{k}", v)

    for k, v in data.items():
        walk(k, v)


@pytest.mark.slow
def test_workbook_has_names_beside_ids_and_localised_sheets(runs, tmp_path):
    import openpyxl

    from ars_analysis.presentation import write_workbook

    res = runs["regional"]["华南"]
    path = write_workbook(tmp_path / "x.xlsx", P.workbook_tables(res, "zh"))
    wb = openpyxl.load_workbook(path)
    assert not [n for n in wb.sheetnames if n.isascii() and n != "ABC"], wb.sheetnames
    for ws in wb.worksheets:
        heads = [c.value for c in ws[1]]
        if "客户编码" in heads:
            assert heads[heads.index("客户编码") + 1] == "客户名称", ws.title
        for row in ws.iter_rows(min_row=2, values_only=True):
            for v in row:
                assert v not in ("same", "up", "down", "territory", "region", "national"), ws.title
                assert not (isinstance(v, str) and v.endswith("...")), ws.title


_CORE_COUNTS_SCRIPT = """
import numpy as np, pandas as pd
from ars_analysis.customers import core_counts
rng = np.random.default_rng(3)
ids = [f"c{i:03d}" for i in range(300)]
rev = rng.lognormal(10, 2, 300) * rng.uniform(0.1, 10, 300)
scored = pd.DataFrame({"customer_id": ids, "revenue": rev, "grade": ["A"] * 200 + ["B"] * 100})
cls = pd.DataFrame({"customer_id": ids, "abc_class": ["A"] * 250 + ["C"] * 50})
cells = pd.DataFrame({"customer_id": ids, "cell": ["AA"] * 220 + ["CC"] * 80})
out = core_counts(scored, cls, cls, cells, None)
print(out["revenue_share"].map(float.hex).tolist())
"""


@pytest.mark.slow
def test_core_counts_do_not_depend_on_the_hash_seed():
    # revenue shares summed over a set of ids: the order (and so the last digit) must not
    # follow the string hash order, which changes with PYTHONHASHSEED
    import os
    import subprocess
    import sys

    outs = {
        subprocess.run(
            [sys.executable, "-c", _CORE_COUNTS_SCRIPT],
            env={**os.environ, "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outs) == 1, outs
