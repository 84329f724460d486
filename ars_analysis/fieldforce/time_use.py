"""Time use: time in store, working span, travel time between visits, visits per day."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.fieldforce.common import (
    _add_names,
    _attach_group,
    _check_freq,
    _keys,
    _period_of,
    _ratio,
    prepare_visits,
)

# --------------------------------------------------------------------------------------------
# time use


def visit_times(visits: pd.DataFrame) -> pd.DataFrame:
    """Per done visit: time in store (在店时长) in minutes and whether it is usable.

    Returns
    -------
    DataFrame
        ``visit_id, rep_id, terminal_id, day, check_in, check_out, time_in_store_min`` (NaN
        when unusable), ``valid_time`` and ``time_problem`` (``""``, ``"no_check_out"`` or
        ``"check_out_before_check_in"``).

    Examples
    --------
    >>> v = pd.DataFrame({"rep_id": ["R1", "R1"],
    ...     "check_in": ["2025-01-02 09:00", "2025-01-02 11:00"],
    ...     "check_out": ["2025-01-02 09:25", "2025-01-02 10:50"]})
    >>> visit_times(v)[["time_in_store_min", "time_problem"]].values.tolist()
    [[25.0, ''], [nan, 'check_out_before_check_in']]
    """
    v = prepare_visits(visits)
    v = v[v["done"]].copy()
    minutes = (v["check_out"] - v["check_in"]).dt.total_seconds() / 60.0
    problem = np.select(
        [v["check_out"].isna(), minutes < 0], ["no_check_out", "check_out_before_check_in"], ""
    )
    v["time_problem"] = problem
    v["valid_time"] = problem == ""
    v["time_in_store_min"] = minutes.where(v["valid_time"])
    v["day"] = v["check_in"].dt.normalize()
    cols = ["visit_id", "rep_id", "terminal_id", "day", "check_in", "check_out",
            "time_in_store_min", "valid_time", "time_problem"]  # fmt: skip
    return v[cols].reset_index(drop=True)


def rep_days(visits: pd.DataFrame) -> pd.DataFrame:
    """Per rep and working day: visits, working span and travel time between visits.

    The working span is the first check-in to the last check-out of the day; travel time is the
    sum of the gaps between a visit's check-out and the next check-in of the same rep and day
    (visits in check-in order; a gap that spans an excluded visit counts as travel). Visits with
    unusable times (no check-out, check-out before check-in) count in ``visits`` but are left
    out of span and travel, and counted in ``excluded_visits``; a negative gap (overlapping
    visits) is left out of travel and counted in ``overlaps``.

    Returns
    -------
    DataFrame
        ``rep_id, day, visits, timed_visits, excluded_visits, first_check_in, last_check_out,
        working_span_h, travel_min, travel_gaps, overlaps, time_in_store_min`` (sum).

    Examples
    --------
    >>> v = pd.DataFrame({"rep_id": ["R1"] * 3,
    ...     "check_in": ["2025-01-02 09:00", "2025-01-02 10:00", "2025-01-02 13:00"],
    ...     "check_out": ["2025-01-02 09:30", "2025-01-02 10:20", "2025-01-02 13:40"]})
    >>> rep_days(v)[["working_span_h", "travel_min"]].round(3).values.tolist()
    [[4.667, 190.0]]
    """
    t = visit_times(visits)
    t = t.sort_values(["rep_id", "day", "check_in", "visit_id"], kind="mergesort")
    valid = t[t["valid_time"]].copy()
    prev_out = valid.groupby(["rep_id", "day"])["check_out"].shift()
    gap = (valid["check_in"] - prev_out).dt.total_seconds() / 60.0
    valid["travel"] = gap.where(gap >= 0)
    valid["gap_ok"] = gap >= 0
    valid["overlap"] = gap < 0
    t["excluded"] = ~t["valid_time"]
    all_days = t.groupby(["rep_id", "day"]).agg(
        visits=("visit_id", "size"), excluded_visits=("excluded", "sum")
    )
    vd = valid.groupby(["rep_id", "day"]).agg(
        timed_visits=("visit_id", "size"),
        first_check_in=("check_in", "min"),
        last_check_out=("check_out", "max"),
        travel_min=("travel", "sum"),
        travel_gaps=("gap_ok", "sum"),
        overlaps=("overlap", "sum"),
        time_in_store_min=("time_in_store_min", "sum"),
    )
    out = all_days.join(vd, how="left").reset_index()
    out["timed_visits"] = out["timed_visits"].fillna(0).astype("int64")
    for c in ("travel_gaps", "overlaps"):
        out[c] = out[c].fillna(0).astype("int64")
    out["working_span_h"] = (
        out["last_check_out"] - out["first_check_in"]
    ).dt.total_seconds() / 3600
    out["travel_min"] = out["travel_min"].where(out["timed_visits"] > 0)
    out["excluded_visits"] = out["excluded_visits"].astype("int64")
    cols = ["rep_id", "day", "visits", "timed_visits", "excluded_visits", "first_check_in",
            "last_check_out", "working_span_h", "travel_min", "travel_gaps", "overlaps",
            "time_in_store_min"]  # fmt: skip
    return out[cols]


def time_use(
    visits: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    level: str = "rep",
    freq: str | None = None,
) -> pd.DataFrame:
    """Time use per group: time in store, working span, travel time and visits per day.

    Parameters
    ----------
    visits : DataFrame
        Contract ``visits`` table (only done visits are used).
    reps : DataFrame, optional
        Needed for ``level="team"`` / ``"region"``.
    level, freq
        See the module docstring (the period is that of the working day).

    Returns
    -------
    DataFrame
        Group (and ``period``) with ``days`` (rep-days worked), ``done_visits``,
        ``visits_per_day`` (done visits / rep-days), ``avg_time_in_store_min``,
        ``median_time_in_store_min``, ``avg_working_span_h`` (mean over rep-days with a usable
        visit), ``avg_travel_min`` (mean gap between visits), ``travel_min_per_day``,
        ``excluded_visits`` (done visits left out of time measures: no check-out or check-out
        before check-in) and ``overlaps`` (negative gaps left out of travel).

    Examples
    --------
    >>> v = pd.DataFrame({"rep_id": ["R1"] * 3,
    ...     "check_in": ["2025-01-02 09:00", "2025-01-02 10:00", "2025-01-03 09:00"],
    ...     "check_out": ["2025-01-02 09:30", "2025-01-02 10:20", "2025-01-03 08:00"]})
    >>> r = time_use(v)
    >>> r[["visits_per_day", "avg_time_in_store_min", "avg_travel_min"]].values.tolist()
    [[1.5, 25.0, 30.0]]
    >>> r["excluded_visits"].tolist()
    [1]
    """
    _check_freq(freq)
    t = visit_times(visits)
    d = rep_days(visits)
    t = _attach_group(t, reps, level)
    d = _attach_group(d, reps, level)
    if freq:
        t["period"] = _period_of(t["day"], freq)
        d["period"] = _period_of(d["day"], freq)
    keys = _keys(level, freq)
    tv = t.groupby(keys, dropna=False).agg(
        avg_time_in_store_min=("time_in_store_min", "mean"),
        median_time_in_store_min=("time_in_store_min", "median"),
    )
    dv = d.groupby(keys, dropna=False).agg(
        days=("day", "size"),
        done_visits=("visits", "sum"),
        avg_working_span_h=("working_span_h", "mean"),
        travel_total=("travel_min", "sum"),
        travel_gaps=("travel_gaps", "sum"),
        excluded_visits=("excluded_visits", "sum"),
        overlaps=("overlaps", "sum"),
    )
    out = dv.join(tv).reset_index()
    out["visits_per_day"] = _ratio(out["done_visits"], out["days"])
    out["avg_travel_min"] = _ratio(out["travel_total"], out["travel_gaps"])
    out["travel_min_per_day"] = _ratio(out["travel_total"], out["days"])
    cols = keys + ["days", "done_visits", "visits_per_day", "avg_time_in_store_min",
                   "median_time_in_store_min", "avg_working_span_h", "avg_travel_min",
                   "travel_min_per_day", "excluded_visits", "overlaps"]  # fmt: skip
    out = out[cols]
    for c in ("days", "done_visits", "excluded_visits", "overlaps"):
        out[c] = out[c].astype("int64")
    return _add_names(out, reps, level)
