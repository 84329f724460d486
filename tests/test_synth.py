"""Tests of ars_analysis.data.synth: determinism, integrity, the 2:8 shape, quality issues, CLI."""

from __future__ import annotations

import argparse
import hashlib

import numpy as np
import pandas as pd
import pytest

from ars_analysis.data.contract import ACTIVITIES, ROLES, TABLES, TERMINAL_TYPES
from ars_analysis.data.synth import (
    QUALITY_ISSUES,
    SALES_COLUMNS,
    add_cli,
    generate_dataset,
    generate_sales_lines,
    iter_sales_lines,
    write_dataset,
    write_sales_lines,
)

SMALL = dict(n_customers=40, n_terminals=800, n_products=20, n_reps=32, months=6, visit_months=2)
TINY = dict(n_customers=16, n_terminals=240, n_products=10, n_reps=16, months=3, visit_months=1)


@pytest.fixture(scope="module")
def tables():
    return generate_dataset(seed=11, **SMALL)


@pytest.fixture(scope="module")
def tiny():
    return generate_dataset(seed=11, **TINY)


@pytest.fixture(scope="module")
def sample():
    """The committed sample's configuration (seed 2026, defaults)."""
    return generate_dataset(seed=2026)


def _digest(folder) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


def _top20_share(values) -> float:
    v = np.sort(np.asarray(values, dtype=float))[::-1]
    k = int(np.ceil(0.2 * len(v)))
    return v[:k].sum() / v.sum()


def test_same_seed_gives_identical_files(tmp_path):
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_dataset(generate_dataset(seed=5, **TINY), a)
    write_dataset(generate_dataset(seed=5, **TINY), b)
    write_dataset(generate_dataset(seed=6, **TINY), c)
    assert _digest(a) == _digest(b)
    assert _digest(a)["sales.csv"] != _digest(c)["sales.csv"]


def test_tables_have_contract_columns_and_keys(tables):
    assert set(tables) == set(TABLES)
    for name, df in tables.items():
        assert list(df.columns) == TABLES[name].column_names, name
        key = [k for k in TABLES[name].key if df[k].notna().any()]
        if key:
            assert not df.duplicated(key).any(), name
        for col in TABLES[name].columns:
            if not col.nullable:
                assert df[col.name].notna().all(), (name, col.name)
            if col.min_value is not None:
                assert (df[col.name] >= col.min_value).all(), (name, col.name)


def test_referential_integrity(tables):
    for name, table in TABLES.items():
        df = tables[name]
        for col, (ref_table, ref_col) in table.references.items():
            values = df[col].dropna()
            assert values.isin(tables[ref_table][ref_col]).all(), (name, col)
    # sales of a linked terminal go through its distributor
    s = tables["sales"].merge(
        tables["terminals"][["terminal_id", "customer_id"]], on="terminal_id", suffixes=("", "_t")
    )
    linked = s["customer_id_t"].notna()
    assert (s.loc[linked, "customer_id"] == s.loc[linked, "customer_id_t"]).all()


def test_codes_and_hierarchy(tables):
    assert set(tables["terminals"]["terminal_type"]) <= set(TERMINAL_TYPES)
    reps = tables["reps"]
    assert set(reps["role"]) == set(ROLES)
    # every non-manager reports to the business manager of its own region
    mgr = reps.set_index("rep_id")
    sub = reps[reps["manager_id"].notna()]
    assert (mgr.loc[sub["manager_id"], "role"].to_numpy() == "business_manager").all()
    assert (mgr.loc[sub["manager_id"], "region"].to_numpy() == sub["region"].to_numpy()).all()
    acts = tables["visits"]["activities"].dropna().str.split(";").explode()
    assert set(acts) <= set(ACTIVITIES) and len(set(acts)) == len(ACTIVITIES)
    assert tables["customers"]["region"].nunique() == 8
    assert tables["terminals"]["terminal_name"].is_unique
    assert tables["customers"]["customer_name"].str.contains("[\u4e00-\u9fff]").all()


def test_sales_lines_are_plausible(tables):
    s = tables["sales"]
    first = pd.Timestamp("2024-01-01")
    assert s["date"].min() >= first and s["date"].max() <= pd.Timestamp("2024-06-30")
    returns = s["quantity"] < 0
    assert 0 < returns.mean() < 0.02
    assert (np.sign(s["quantity"]) == np.sign(s["revenue"])).all()
    assert (np.sign(s["cost"]) == np.sign(s["revenue"])).all()
    assert s["terminal_id"].isna().any()  # sell-in lines
    assert s["rep_id"].notna().all()
    assert not s.duplicated(["date", "customer_id", "terminal_id", "product_id"]).any()
    # revenue ~ list price x quantity x discount (the price cutters of synth.flows: 10-18% less)
    price = s["product_id"].map(tables["products"].set_index("product_id")["list_price"])
    ratio = (s["revenue"] / (price * s["quantity"]))[~returns]
    assert ratio.between(0.58, 1.05).all()
    assert ratio.between(0.7, 1.05).mean() > 0.9
    # margins differ by category
    margin = s.groupby(s["product_id"].map(tables["products"].set_index("product_id")["category"]))[
        ["revenue", "cost"]
    ].sum()
    rate = 1 - margin["cost"] / margin["revenue"]
    assert rate.max() - rate.min() > 0.1


def test_sample_two_eight_rule_and_unlinked_terminals(sample):
    s, t = sample["sales"], sample["terminals"]
    rev = s.dropna(subset=["terminal_id"]).groupby("terminal_id")["revenue"].sum()
    t = t.assign(revenue=t["terminal_id"].map(rev).fillna(0.0))
    shares = t.groupby("region")["revenue"].apply(_top20_share)
    assert len(shares) == 8
    assert shares.between(0.70, 0.85).all(), shares
    assert shares.max() - shares.min() > 0.04  # concentration differs between regions
    unlinked = t["customer_id"].isna()
    assert 0.15 <= unlinked.mean() <= 0.30
    # mostly small terminals, but every region has high-volume unlinked ones
    top = t.groupby("region")["revenue"].rank(ascending=False, pct=True) <= 0.2
    assert (top & unlinked).groupby(t["region"]).sum().min() >= 1
    assert unlinked[top].mean() < unlinked[~top].mean()


def test_sample_size_and_visits(sample):
    assert len(sample["visits"]) < 30_000
    assert len(sample["sales"]) < 70_000
    v = sample["visits"]
    done = v["check_in"].notna()
    assert 0.05 < (~done & v["planned_date"].notna()).mean() < 0.5  # planned, not done
    assert v["planned_date"].isna().any()  # unplanned visits
    stay = (v["check_out"] - v["check_in"]).dt.total_seconds() / 60
    assert stay[done].between(10, 60).all()
    hours = v.loc[done, "check_in"].dt.hour
    assert hours.between(8, 18).all()
    # no overlapping visits of the same rep
    d = v[done].sort_values(["rep_id", "check_in"])
    same = d["rep_id"] == d["rep_id"].shift()
    assert (d["check_in"][same] >= d["check_out"].shift()[same]).all()


def test_discipline_goes_with_attainment(sample):
    s, v, tg = sample["sales"], sample["visits"], sample["targets"]
    actual = s.groupby("rep_id")["revenue"].sum()
    target = tg.groupby("rep_id")["target_revenue"].sum()
    attainment = actual / target
    planned = v[v["planned_date"].notna()]
    completion = planned["check_in"].notna().groupby(planned["rep_id"]).mean()
    both = pd.concat([attainment, completion], axis=1, join="inner")
    assert both.corr(method="spearman").iloc[0, 1] > 0.25
    assert attainment.between(0.5, 1.6).all()


def test_seasonality_and_uneven_growth(sample):
    s = sample["sales"]
    monthly = s.groupby(s["date"].dt.to_period("M"))["revenue"].sum()
    # the month before / of Chinese New Year beats the summer months
    assert monthly[pd.Period("2024-02")] > 1.15 * monthly[pd.Period("2024-08")]
    by_year = s.groupby(["customer_id", s["date"].dt.year])["revenue"].sum().unstack()
    growth = by_year[2025] / by_year[2024] - 1
    assert (growth > 0.1).sum() >= 5 and (growth < -0.05).sum() >= 5
    # a few distributors carry most of a region's sales
    share = s.groupby("customer_id")["revenue"].sum()
    region = sample["customers"].set_index("customer_id")["region"]
    assert share.groupby(region).apply(lambda x: x.nlargest(3).sum() / x.sum()).median() > 0.45


@pytest.mark.parametrize("issue", sorted(QUALITY_ISSUES))
def test_each_quality_issue_appears(tiny, issue):
    dirty = generate_dataset(seed=11, quality_issues=[issue], **TINY)
    s, clean_s = dirty["sales"], tiny["sales"]
    v = dirty["visits"]
    if issue == "bad_dates":
        parsed = pd.to_datetime(s["date"], errors="coerce", format="%Y-%m-%d")
        assert parsed.isna().sum() >= 3
    elif issue == "bad_numbers":
        for col in ("quantity", "revenue"):
            assert pd.to_numeric(s[col], errors="coerce").isna().sum() >= 3
    elif issue == "duplicate_keys":
        for name, key in (
            ("customers", "customer_id"),
            ("terminals", "terminal_id"),
            ("products", "product_id"),
        ):
            assert dirty[name][key].duplicated().sum() >= 2
    elif issue == "unknown_products":
        assert (~s["product_id"].isin(dirty["products"]["product_id"])).sum() >= 3
    elif issue == "unknown_customers":
        assert (~s["customer_id"].isin(dirty["customers"]["customer_id"])).sum() >= 3
    elif issue == "unknown_terminals":
        known = s["terminal_id"].isna() | s["terminal_id"].isin(dirty["terminals"]["terminal_id"])
        assert (~known).sum() >= 3
    elif issue == "unknown_reps":
        assert (~s["rep_id"].isin(dirty["reps"]["rep_id"])).sum() >= 3
        assert (~v["rep_id"].isin(dirty["reps"]["rep_id"])).sum() >= 3
    elif issue == "negative_revenue":
        assert ((s["revenue"] < 0) & (s["quantity"] > 0)).sum() >= 3
    elif issue == "checkout_before_checkin":
        assert (v["check_out"] < v["check_in"]).sum() >= 3
    elif issue == "overlapping_visits":
        d = v[v["check_in"].notna()].sort_values(["rep_id", "check_in"])
        same = d["rep_id"] == d["rep_id"].shift()
        assert (d["check_in"][same] < d["check_out"].shift()[same]).sum() >= 3
    elif issue == "out_of_period":
        assert (~s["date"].between(clean_s["date"].min(), clean_s["date"].max())).sum() >= 3
    elif issue == "missing_values":
        assert s["customer_id"].isna().sum() >= 3
        assert dirty["customers"]["customer_name"].isna().sum() >= 2
    else:  # pragma: no cover - a new issue needs a test
        pytest.fail(f"no test for quality issue {issue}")
    # the other tables are untouched
    untouched = {"receivables", "targets"}
    for name in untouched:
        pd.testing.assert_frame_equal(dirty[name], tiny[name])


def test_unknown_issue_and_bad_sizes_raise():
    with pytest.raises(ValueError, match="unknown quality issue"):
        generate_dataset(quality_issues=["nope"], **TINY)
    with pytest.raises(ValueError, match="n_regions"):
        generate_dataset(n_regions=9, **TINY)
    with pytest.raises(ValueError, match="n_reps"):
        generate_dataset(n_reps=3, n_customers=40, n_terminals=800, months=2)


def _cli(argv):
    parser = argparse.ArgumentParser(prog="ars")
    add_cli(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_cli_generate_and_refuse_non_empty(tmp_path, capsys):
    out = tmp_path / "data"
    argv = [
        "generate",
        str(out),
        "--seed",
        "3",
        "--customers",
        "16",
        "--terminals",
        "120",
        "--reps",
        "16",
        "--months",
        "2",
        "--issues",
        "duplicate_keys",
    ]
    assert _cli(argv) == 0
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{t}.csv" for t in TABLES)
    assert "sales.csv" in capsys.readouterr().out
    customers = pd.read_csv(out / "customers.csv")
    assert customers["customer_id"].duplicated().any()
    before = _digest(out)
    with pytest.raises(SystemExit, match="not empty"):
        _cli([*argv[:-2], "--seed", "4"])
    assert _digest(out) == before
    assert _cli([*argv[:-2], "--seed", "4", "--force"]) == 0
    assert _digest(out) != before
    with pytest.raises(SystemExit, match="unknown quality issue"):
        _cli(["generate", str(tmp_path / "x"), "--issues", "nope"])


def test_cli_help(capsys):
    with pytest.raises(SystemExit):
        _cli(["generate", "--help"])
    assert "--seed" in capsys.readouterr().out


def test_large_sales_lines(tmp_path):
    lines = generate_sales_lines(25_000, seed=3, chunk_size=10_000, n_terminals=5_000)
    assert list(lines.columns) == SALES_COLUMNS
    assert len(lines) == 25_000
    assert 0.05 < lines["terminal_id"].isna().mean() < 0.15
    again = pd.concat(
        iter_sales_lines(25_000, seed=3, chunk_size=10_000, n_terminals=5_000), ignore_index=True
    )
    assert (again["revenue"].to_numpy() == lines["revenue"].to_numpy()).all()
    # heavy-tailed terminals
    per_terminal = lines.groupby("terminal_id")["quantity"].count()
    assert _top20_share(per_terminal) > 0.5
    path = write_sales_lines(5_000, tmp_path / "s.csv", seed=1)
    back = pd.read_csv(path)
    assert list(back.columns) == SALES_COLUMNS and len(back) == 5_000
    pq = write_sales_lines(5_000, tmp_path / "s.parquet", seed=1)
    assert pd.read_parquet(pq)["revenue"].sum() == pytest.approx(back["revenue"].sum())


def test_committed_sample_is_up_to_date(sample, tmp_path):
    """data/sample must be exactly what `ars generate data/sample --seed 2026` writes."""
    from pathlib import Path

    committed = Path(__file__).resolve().parents[1] / "data" / "sample"
    write_dataset(sample, tmp_path)
    csvs = {k: v for k, v in _digest(committed).items() if k.endswith(".csv")}
    assert csvs == _digest(tmp_path)
