"""Sales lines kept in the engine through a report (``ARS_LINES_IN_ENGINE``; issue 14).

- the switch (:func:`ars_analysis.data.loading.lines_in_engine`) and what it loads;
- :func:`ars_analysis.data.subset` on an EngineTable against the pandas subset;
- the reductions the analyses read instead of lines (``terminal_days``, the terminal volumes,
  top terminals, new terminals) against plain pandas on generated data;
- each question asked of the engine once per table;
- the compose entry points of the four notebooks on the sample, with a guard that fails when a
  query would bring lines (not aggregates) out of the engine (``_engine_guard``).

The end-to-end comparison of rendered reports is in ``test_lines_in_engine_render.py``.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pytest
from _engine_guard import bounded, no_lines_fetched

from ars_analysis.compose import aggregate
from ars_analysis.compose.aggregate import sales_by, terminal_days
from ars_analysis.compose.definitions import new_terminal_sales, top_terminals
from ars_analysis.data import load_dataset, subset
from ars_analysis.data.engine_validation import EngineTable
from ars_analysis.data.loading import LINES_ENV, lines_in_engine
from ars_analysis.data.snapshot import environment, load_key
from ars_analysis.data.synth import generate_dataset, write_dataset
from ars_analysis.fieldforce import new_terminal_list, sales_history_months


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    t = generate_dataset(
        seed=5, n_customers=24, n_terminals=300, n_products=12, n_reps=18, months=13,
        visit_months=2,
    )  # fmt: skip
    sales = t["sales"].copy()
    sales.loc[sales.index[::9], "rep_id"] = None  # falls back to the terminal's rep
    t["sales"] = sales
    out = tmp_path_factory.mktemp("gen")
    write_dataset(t, out)
    return out


@pytest.fixture(scope="module")
def both(folder):
    """The same files loaded in pandas and with sales and visits in DuckDB."""
    pandas_ds = load_dataset(folder)
    engine_ds = load_dataset(folder, engine="duckdb")
    assert isinstance(engine_ds.sales, EngineTable) and isinstance(engine_ds.visits, EngineTable)
    return pandas_ds, engine_ds


# --------------------------------------------------------------------------------------------
# the switch


def test_switch_values():
    for value, expected in [("1", "duckdb"), ("true", "duckdb"), ("spark", "spark"), ("0", None),
                            ("", None), ("off", None), ("DuckDB", "duckdb")]:  # fmt: skip
        with environment({LINES_ENV: value, "ARS_ENGINE": "duckdb"}):
            assert lines_in_engine() == expected, value
    with environment({LINES_ENV: "maybe"}), pytest.raises(ValueError, match=LINES_ENV):
        lines_in_engine()


def test_switch_keeps_the_sales_lines_in_the_engine_and_the_visits_in_pandas(folder, both):
    with environment({LINES_ENV: "1", "ARS_ENGINE": "duckdb"}):
        ds = load_dataset(folder)
    assert isinstance(ds.sales, EngineTable)
    assert isinstance(ds.visits, pd.DataFrame)
    pandas_ds = both[0]
    assert ds.sales.count() == len(pandas_ds.sales)
    pd.testing.assert_frame_equal(ds.visits, pandas_ds.visits)
    # the same quality notes (the engine has no row numbers)
    cols = ["severity", "table", "column", "check", "n_rows"]
    assert ds.quality[cols].values.tolist() == pandas_ds.quality[cols].values.tolist()
    # a batch snapshot of the lines in the engine never answers a pandas load (and back)
    assert load_key(folder, engine="duckdb", in_engine=("sales",)) != load_key(folder)
    assert load_key(folder, engine="duckdb", in_engine=("sales",)) != load_key(
        folder, engine="duckdb"
    )


def test_an_explicit_engine_wins_over_the_switch(folder):
    with environment({LINES_ENV: "1"}):
        ds = load_dataset(folder, engine="duckdb")
    assert isinstance(ds.visits, EngineTable)  # both large tables, as asked


# --------------------------------------------------------------------------------------------
# subset


def _sums(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[["customer_id", "revenue", "quantity", "lines"]].reset_index(drop=True)


@pytest.mark.parametrize(
    "args",
    [
        {"region": None, "start": "2024-03-01", "end": "2024-06-30"},
        {"region": "华东", "start": None, "end": None},
        {"region": ["华东", "西北"], "start": "2024-02-15", "end": None},
    ],
)
def test_subset_of_an_engine_table_keeps_the_lines_of_the_pandas_subset(both, args):
    pandas_ds, engine_ds = both
    region = args["region"]
    if region is not None:  # regions of the generated data
        names = sorted(pandas_ds.customers["region"].dropna().unique())
        region = names[0] if isinstance(region, str) else names[:2]
    p = subset(pandas_ds, region=region, start=args["start"], end=args["end"])
    e = subset(engine_ds, region=region, start=args["start"], end=args["end"])
    assert isinstance(e.sales, EngineTable)
    assert e.sales.count() == len(p.sales) > 0
    expected = (
        p.sales.groupby("customer_id")
        .agg(revenue=("revenue", "sum"), quantity=("quantity", "sum"), lines=("revenue", "size"))
        .reset_index()
    )
    got = _sums(sales_by(e.sales, ["customer_id"]))
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)
    # visits: the kept reps' visits of the period
    assert e.visits.count() == len(p.visits)
    assert engine_ds.sales.period is None and engine_ds.sales.keep is None  # input unchanged


def test_subset_of_a_subset_intersects(both):
    pandas_ds, engine_ds = both
    regions = sorted(pandas_ds.customers["region"].dropna().unique())[:2]
    p = subset(subset(pandas_ds, region=regions, end="2024-09-30"), region=regions[1],
               start="2024-04-01")  # fmt: skip
    e = subset(subset(engine_ds, region=regions, end="2024-09-30"), region=regions[1],
               start="2024-04-01")  # fmt: skip
    assert e.sales.count() == len(p.sales) > 0
    assert e.sales.date_range() == (p.sales["date"].min(), p.sales["date"].max())


def test_subset_of_a_region_without_master_data_keeps_no_line(both):
    _, engine_ds = both
    e = subset(engine_ds, region="no such region")
    assert e.sales.count() == 0


# --------------------------------------------------------------------------------------------
# the reductions against plain pandas


def _line_rep(ds) -> pd.Series:
    resp = ds.terminals.drop_duplicates("terminal_id").set_index("terminal_id")["rep_id"]
    s = ds.sales
    return s["rep_id"].where(s["rep_id"].notna(), s["terminal_id"].map(resp))


def test_terminal_days_is_a_groupby_of_the_lines(both):
    pandas_ds, engine_ds = both
    s = pandas_ds.sales.assign(rep_id=_line_rep(pandas_ds))
    expected = (
        s.groupby(["terminal_id", "rep_id", "date"], dropna=False)
        .agg(revenue=("revenue", "sum"), lines=("revenue", "size"))
        .reset_index()
        .sort_values(["terminal_id", "rep_id", "date"], na_position="last")
        .reset_index(drop=True)
    )
    got = terminal_days(engine_ds)
    assert len(got) < len(s)  # a reduction, not the lines
    assert got["terminal_id"].isna().sum() == expected["terminal_id"].isna().sum() > 0
    pd.testing.assert_frame_equal(
        got.astype({"terminal_id": object, "rep_id": object}),
        expected.astype({"terminal_id": object, "rep_id": object}),
        check_dtype=False,
        rtol=1e-12,
    )


def test_new_terminals_from_terminal_days_are_those_of_the_lines(both):
    pandas_ds, engine_ds = both
    lo = pandas_ds.sales["date"].max() - pd.Timedelta(days=120)
    hi = pandas_ds.sales["date"].max()
    kw = dict(start=lo, end=hi, history_months=3)
    expected = new_terminal_list(pandas_ds.sales, pandas_ds.terminals, **kw)
    got = new_terminal_list(new_terminal_sales(engine_ds), engine_ds.terminals, **kw)
    assert expected.attrs["available"] and len(expected) > 0
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)
    assert sales_history_months(new_terminal_sales(engine_ds), lo) == pytest.approx(
        sales_history_months(pandas_ds.sales, lo), abs=1e-12
    )
    # pandas lines are passed through as they are
    assert new_terminal_sales(pandas_ds) is pandas_ds.sales


def test_top_terminals_in_the_engine_are_those_of_the_lines(both):
    pandas_ds, engine_ds = both
    expected = top_terminals(pandas_ds)
    got = top_terminals(engine_ds)
    assert expected["is_top"].sum() > 0
    pd.testing.assert_frame_equal(got, expected, check_dtype=False, rtol=1e-12)


def test_terminal_volumes_in_the_engine_are_those_of_the_lines(both):
    from ars_analysis.compose.terminals import _terminal_volumes

    pandas_ds, engine_ds = both
    core = set(pandas_ds.customers["customer_id"].iloc[::3])
    _, expected = _terminal_volumes(pandas_ds, pandas_ds.sales, core)
    _, got = _terminal_volumes(engine_ds, engine_ds.sales, core)
    assert (expected["n_distributors"] > 1).any() and (expected["core_volume"] > 0).any()
    pd.testing.assert_frame_equal(
        got.sort_index(), expected.sort_index(), check_dtype=False, check_index_type=False,
        rtol=1e-12,
    )  # fmt: skip


# --------------------------------------------------------------------------------------------
# each question once


def test_each_question_is_asked_of_the_engine_once(folder, monkeypatch):
    ds = load_dataset(folder, engine="duckdb", in_engine=("sales",))
    asked = []
    real = aggregate._sales_by
    monkeypatch.setattr(aggregate, "_sales_by", lambda *a, **k: asked.append(a[1]) or real(*a, **k))
    first = sales_by(ds, ["terminal_id"])
    first["revenue"] = 0.0  # the caller's copy
    again = aggregate.terminal_sales(ds)
    top_terminals(ds)
    assert asked == [["terminal_id"]]
    assert again["revenue"].sum() > 0
    sales_by(ds, ["terminal_id"], start="2024-03-01")  # another question
    assert len(asked) == 2
    n = ds.sales.count()
    assert ds.sales.count() == n and ("count", "duckdb") in ds.sales.answers
    # a subset is another table: its own answers; pickling drops them
    import pickle

    part = subset(ds, start="2024-06-01")
    assert part.sales.answers == {}
    assert pickle.loads(pickle.dumps(ds.sales)).answers == {}
    # pandas lines are not remembered (they can change)
    p = load_dataset(folder)
    sales_by(p, ["terminal_id"])
    sales_by(p, ["terminal_id"])
    assert len(asked) == 4


# --------------------------------------------------------------------------------------------
# no line leaves the engine


def test_the_guard_refuses_lines_and_passes_aggregates(both, monkeypatch):
    from ars_analysis.data.engines import connect

    _, engine_ds = both
    con = connect("duckdb")
    lines = engine_ds.sales.to_ibis(con)
    assert not bounded(lines) and not bounded(lines.customer_id)
    assert not bounded(lines.select("customer_id").distinct())
    assert bounded(lines.group_by("customer_id").aggregate(n=lines.count()))
    assert bounded(lines.limit(3)) and bounded(lines.count())
    with no_lines_fetched(monkeypatch) as seen, pytest.raises(AssertionError, match="lines"):
        lines.to_pandas()
    assert seen.refused and not seen.calls
    con.disconnect()


@pytest.mark.slow
def test_the_four_reports_never_fetch_a_sales_line(monkeypatch):
    """The calls of the four notebooks (national, then one region) on the sample with the lines
    in DuckDB: every query brings back aggregates; and the results equal the pandas ones."""
    from ars_analysis.client import load_client_config
    from ars_analysis.compose import (
        analyse_core_customers,
        analyse_distributor_health,
        analyse_field_execution,
        analyse_field_organisation,
        analyse_incentives,
        analyse_network_flows,
        analyse_role_plans,
        analyse_terminal_network,
        core_customers,
    )

    cfg = load_client_config(None)
    pandas_loaded = load_dataset("data/sample")

    def run(loaded, region):
        ds = subset(loaded, start=None, end=None)
        top = top_terminals(ds, cfg.definitions.top_terminal)
        c = analyse_core_customers(ds, cfg, region=region, top=top)
        h = analyse_distributor_health(ds, cfg, region=region)
        t = analyse_terminal_network(ds, cfg, region=region, n_boot=20, gof_boot=10, seed=0)
        analyse_network_flows(ds, cfg, region=region)
        i = analyse_incentives(ds, cfg, region=region, n_scenarios=40, seed=0)
        r = analyse_role_plans(ds, cfg, region=region, n_scenarios=40, seed=0)
        graded = core_customers(ds, cfg)
        f = analyse_field_execution(
            ds, cfg, region=region, sales_history=loaded.sales,
            core_customers=graded.loc[graded["is_core"], "customer_id"],
        )  # fmt: skip
        o = analyse_field_organisation(ds, cfg, region=region, distributor_grades=graded)
        return {
            "grades": c.scored.set_index("customer_id")["grade"].sort_index(),
            "top": sorted(c.top_terminal_ids),
            "health": len(h.health),
            "terminals": t.terminals.set_index("terminal_id")[["revenue", "core_volume"]],
            "link": sorted(t.link_plan["terminal_id"]),
            "backtest": i.backtest.reps.sort_values(list(i.backtest.reps.columns[:2])),
            "roles": r.results(),
            "field": f.results(),
            "organisation": o.results(),
        }

    with environment({LINES_ENV: "1", "ARS_ENGINE": "duckdb"}):
        engine_loaded = load_dataset("data/sample")
    assert isinstance(engine_loaded.sales, EngineTable)
    for region in (None, "西北"):
        expected = run(pandas_loaded, region)
        with no_lines_fetched(monkeypatch) as seen:
            got = run(engine_loaded, region)
        assert not seen.refused and len(seen.calls) > 5
        for key, value in expected.items():
            if isinstance(value, pd.Series):
                pd.testing.assert_series_equal(got[key], value, check_dtype=False)
            elif isinstance(value, pd.DataFrame):
                pd.testing.assert_frame_equal(
                    got[key].reset_index(drop=True), value.reset_index(drop=True),
                    check_dtype=False, rtol=1e-9,
                )  # fmt: skip
            else:
                assert _close(got[key], value), (region, key)


def _close(a, b) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return set(a) == set(b) and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is b
        return bool(np.isclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))
    return a == b


def test_the_lines_are_parsed_once_per_process_and_subsets_filter_them(folder, monkeypatch):
    from ars_analysis.data import engine_validation as ev

    ev.release_held()
    assert ev._HELD == {}
    ds = load_dataset(folder, engine="duckdb", in_engine=("sales",))
    parsed = []
    real = EngineTable.raw
    monkeypatch.setattr(EngineTable, "raw", lambda self, con: parsed.append(1) or real(self, con))
    total = sales_by(ds, ["customer_id"])["revenue"].sum()
    part = subset(ds, start="2024-06-01")
    in_part = sales_by(part, ["customer_id"])["revenue"].sum()
    assert part.sales.count() < ds.sales.count()
    assert 0 < in_part < total
    assert len(parsed) == 1 and len(ev._HELD) == 1
    # a changed file is parsed again (its size and time are part of the key)
    copy = folder.parent / "changed_sales.csv"
    copy.write_bytes((folder / "sales.csv").read_bytes())
    other = EngineTable("sales", str(copy), copy.name, ds.sales.columns)
    assert other.count() == ds.sales.count()
    os.utime(copy, ns=(1, 1))  # same bytes, another modification time
    assert EngineTable("sales", str(copy), copy.name, ds.sales.columns).count() == other.count()
    assert len(parsed) == 3 and len(ev._HELD) == 3
    ev.release_held()
    assert ev._HELD == {}
