"""The visit-log checks of the engine validation give the pandas validation's quality rows.

``unknown_code`` (activity codes outside the contract list, after the Chinese/English aliases)
and ``overlapping_visits`` (a visit that starts before the same rep's previous one ended) on a
copy of the sample with known problems: the counts are the constructed ones, and pandas,
DuckDB, Spark and Spark Connect give the same rows (severity, table, column, check, count) and
name the same offending codes and visits.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ars_analysis import load_dataset

pytestmark = pytest.mark.xdist_group("spark")

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
CHECKS = ("unknown_code", "overlapping_visits", "checkout_before_checkin")
UNKNOWN = {"dance", "飞行", "bogus"}


@pytest.fixture(scope="module")
def bad_visits(tmp_path_factory) -> tuple[Path, str]:
    """A copy of the sample whose visit log has 3 lines with unknown activity codes, 1 visit
    overlapping the rep's previous one and 1 visit ending before it starts; the id of the
    overlapping visit."""
    folder = tmp_path_factory.mktemp("bad_visits")
    for f in SAMPLE.glob("*.csv"):
        shutil.copy(f, folder / f.name)
    v = pd.read_csv(folder / "visits.csv", dtype=str, keep_default_na=False)
    done = v.index[v["check_in"] != ""]
    rep, day = v.loc[done[0], "rep_id"], v.loc[done[0], "check_in"][:10]
    late = done[1:6]  # five visits of one rep, late in the evening of one day
    v.loc[late, "rep_id"] = rep
    times = [
        ("22:00", "22:30"),
        ("22:20", "22:40"),  # starts before the previous one ended: overlaps
        ("23:00", "23:20"),
        ("23:00", "23:00"),  # same start, zero length: ordered first, so no overlap
        ("23:50", "23:40"),  # ends before it starts: that check, not an overlap
    ]
    for i, (cin, cout) in zip(late, times, strict=True):
        v.loc[i, ["check_in", "check_out"]] = [f"{day} {cin}", f"{day} {cout}"]
    codes = ["下单、陈列", "order;dance", "Stock Check , 收款", "飞行", "order|bogus", " ;order"]
    v.loc[done[10:16], "activities"] = codes
    v.to_csv(folder / "visits.csv", index=False)
    return folder, v.loc[late[1], "visit_id"]


def _rows(quality: pd.DataFrame) -> list[tuple]:
    q = quality[quality["check"].isin(CHECKS)]
    return sorted((r.severity, r.table, r.column, r.check, int(r.n_rows)) for r in q.itertuples())


def _problem(quality: pd.DataFrame, check: str) -> str:
    return quality.set_index("check").loc[check, "problem"]


@pytest.fixture(scope="module")
def pandas_quality(bad_visits):
    return load_dataset(bad_visits[0], strict=False).quality


def test_pandas_finds_the_constructed_problems(pandas_quality, bad_visits):
    assert _rows(pandas_quality) == [
        ("warning", "visits", "activities", "unknown_code", 3),
        ("warning", "visits", "check_in", "overlapping_visits", 1),
        ("warning", "visits", "check_out", "checkout_before_checkin", 1),
    ]
    shown = set(re.findall(r"'([^']*)'", _problem(pandas_quality, "unknown_code")))
    assert shown == UNKNOWN


def test_engine_checks_give_the_pandas_rows(engine, pandas_quality, bad_visits):
    folder, overlapping_id = bad_visits
    quality = load_dataset(folder, strict=False, engine=engine).quality
    assert _rows(quality) == _rows(pandas_quality)
    # the same unknown codes named; the overlapping visit shown by content (no row numbers)
    shown = set(re.findall(r"'([^']*)'", _problem(quality, "unknown_code")))
    assert shown == UNKNOWN
    assert overlapping_id in _problem(quality, "overlapping_visits")
    assert quality.set_index("check").loc["overlapping_visits", "rows"] == ""
