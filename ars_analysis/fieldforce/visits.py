"""Went where and did what: visit compliance (拜访达成率), activity shares, problem visits."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ars_analysis.data.contract import ACTIVITIES
from ars_analysis.fieldforce.common import (
    _add_names,
    _attach_group,
    _check_freq,
    _keys,
    _period_of,
    _ratio,
    _require,
    prepare_visits,
)

#: Issue codes of :func:`visit_issues`.
ISSUES = ("checkout_before_checkin", "unknown_rep", "unknown_terminal", "overlap_previous")

# --------------------------------------------------------------------------------------------
# went where


def visit_compliance(
    visits: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    level: str = "rep",
    freq: str | None = None,
) -> pd.DataFrame:
    """Visit completion (拜访达成率), unplanned visits and the visit order rate (拜访成交率).

    Parameters
    ----------
    visits : DataFrame
        The contract's ``visits`` table.
    reps : DataFrame, optional
        The ``reps`` table; needed for ``level="team"`` / ``"region"``, adds ``rep_name``.
    level : {"rep", "team", "region"}
    freq : {"M", "Q", "Y"}, optional
        Add a ``period`` column (period of the planned date, else of the check-in).

    Returns
    -------
    DataFrame
        One row per group (and period) with

        ==========================  ===========================================================
        planned_visits              visits with a planned date
        planned_done                planned visits with a check-in
        visit_completion            planned_done / planned_visits (0-1, NaN without plan)
        unplanned_visits            done visits without a planned date
        done_visits                 all visits with a check-in (planned or not)
        planned_orders              planned visits done with an ``order`` activity
        visit_order_rate            planned_orders / planned_visits (denominator: **planned**
                                    visits, so an unplanned or missed visit never raises it)
        orders                      done visits (planned or not) with an order
        order_rate_per_done_visit   orders / done_visits
        ==========================  ===========================================================

    Examples
    --------
    >>> v = pd.DataFrame({
    ...     "rep_id": ["R1", "R1", "R1", "R1"],
    ...     "planned_date": ["2025-01-02", "2025-01-02", "2025-01-03", None],
    ...     "check_in": ["2025-01-02 09:00", None, "2025-01-03 10:00", "2025-01-03 11:00"],
    ...     "activities": ["order;display", None, "stock_check", "order"]})
    >>> r = visit_compliance(v)
    >>> r[["visit_completion", "visit_order_rate", "order_rate_per_done_visit"]].round(3).values.tolist()
    [[0.667, 0.333, 0.667]]
    >>> r["unplanned_visits"].tolist()
    [1]
    """
    _check_freq(freq)
    v = prepare_visits(visits)
    v = _attach_group(v, reps, level)
    if freq:
        v["period"] = _period_of(v["visit_date"], freq)
    keys = _keys(level, freq)
    v["planned_done"] = v["planned"] & v["done"]
    v["planned_orders"] = v["planned"] & v["has_order"]
    g = v.groupby(keys, dropna=False, sort=True)
    out = g.agg(
        planned_visits=("planned", "sum"),
        planned_done=("planned_done", "sum"),
        unplanned_visits=("unplanned", "sum"),
        done_visits=("done", "sum"),
        planned_orders=("planned_orders", "sum"),
        orders=("has_order", "sum"),
    ).reset_index()
    out["visit_completion"] = _ratio(out["planned_done"], out["planned_visits"])
    out["visit_order_rate"] = _ratio(out["planned_orders"], out["planned_visits"])
    out["order_rate_per_done_visit"] = _ratio(out["orders"], out["done_visits"])
    cols = keys + [
        "planned_visits",
        "planned_done",
        "visit_completion",
        "unplanned_visits",
        "done_visits",
        "planned_orders",
        "visit_order_rate",
        "orders",
        "order_rate_per_done_visit",
    ]
    out = out[cols]
    for c in (
        "planned_visits",
        "planned_done",
        "unplanned_visits",
        "done_visits",
        "planned_orders",
        "orders",
    ):
        out[c] = out[c].astype("int64")
    return _add_names(out, reps, level)


# --------------------------------------------------------------------------------------------
# did what


def activity_shares(
    visits: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    level: str = "rep",
    freq: str | None = None,
    activities: Iterable[str] = ACTIVITIES,
) -> pd.DataFrame:
    """Share of done visits with each activity (order taken, stock check, display, training ...).

    Codes outside ``activities`` are counted under ``"other"`` (not dropped); a done visit with
    no activity recorded counts in the denominator and under ``"none"``.

    Returns
    -------
    DataFrame
        Tidy: group (and ``period``), ``activity``, ``visits`` (done visits with it),
        ``done_visits`` and ``share`` = visits / done_visits.

    Examples
    --------
    >>> v = pd.DataFrame({"rep_id": ["R1"] * 4,
    ...     "check_in": ["2025-01-02 09:00"] * 3 + [None],
    ...     "activities": ["order;display", "stock_check;order", None, "order"]})
    >>> a = activity_shares(v)
    >>> a.set_index("activity").loc[["order", "display", "none"], "share"].round(3).tolist()
    [0.667, 0.333, 0.333]
    """
    _check_freq(freq)
    acts = list(activities)
    v = prepare_visits(visits)
    v = v[v["done"]]
    v = _attach_group(v, reps, level)
    keys = _keys(level, freq)
    if freq:
        v["period"] = _period_of(v["visit_date"], freq)
    known = set(acts)
    flags = pd.DataFrame(
        {a: [a in s for s in v["activity_set"]] for a in acts}, index=v.index, dtype=bool
    )
    flags["other"] = [bool(s - known) for s in v["activity_set"]]
    flags["none"] = [not s for s in v["activity_set"]]
    flags[keys] = v[keys]
    wide = flags.groupby(keys, dropna=False).sum()
    done = flags.groupby(keys, dropna=False).size().rename("done_visits")
    out = wide.stack().rename("visits").reset_index()
    out = out.rename(columns={out.columns[len(keys)]: "activity"})
    out = out.merge(done.reset_index(), on=keys)
    out["visits"] = out["visits"].astype("int64")
    out["done_visits"] = out["done_visits"].astype("int64")
    out["share"] = _ratio(out["visits"], out["done_visits"])
    order = {a: i for i, a in enumerate([*acts, "other", "none"])}
    out = out.sort_values(
        keys + ["activity"], key=lambda s: s.map(order) if s.name == "activity" else s
    )
    return out.reset_index(drop=True)[keys + ["activity", "visits", "done_visits", "share"]]


# --------------------------------------------------------------------------------------------
# data problems


def visit_issues(
    visits: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    terminals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The problem visits, one row per visit and issue, for the consultant's follow-up list.

    Issues (column ``issue``, codes in :data:`ISSUES`):

    * ``checkout_before_checkin`` - check-out earlier than check-in;
    * ``unknown_rep`` - ``rep_id`` not in ``reps`` (checked only when ``reps`` is given);
    * ``unknown_terminal`` - a non-empty ``terminal_id`` not in ``terminals`` (when given);
    * ``overlap_previous`` - a done visit that starts before the previous done visit of the same
      rep (in check-in order) checked out.

    Returns
    -------
    DataFrame
        ``visit_id, rep_id, terminal_id, check_in, check_out, issue, detail`` (``detail`` names
        the overlapping previous visit and the overlap in minutes).

    Examples
    --------
    >>> v = pd.DataFrame({"visit_id": ["V1", "V2", "V3"], "rep_id": ["R1", "R1", "R9"],
    ...     "terminal_id": ["T1", "T2", "T1"],
    ...     "check_in": ["2025-01-02 09:00", "2025-01-02 09:20", "2025-01-02 10:00"],
    ...     "check_out": ["2025-01-02 09:30", "2025-01-02 09:10", "2025-01-02 10:30"]})
    >>> r = pd.DataFrame({"rep_id": ["R1"]})
    >>> t = pd.DataFrame({"terminal_id": ["T1", "T2"]})
    >>> visit_issues(v, r, t)[["visit_id", "issue"]].values.tolist()
    [['V2', 'checkout_before_checkin'], ['V2', 'overlap_previous'], ['V3', 'unknown_rep']]
    """
    v = prepare_visits(visits)
    parts = []
    cols = ["visit_id", "rep_id", "terminal_id", "check_in", "check_out"]

    def add(mask, code, detail=""):
        if mask.any():
            p = v.loc[mask, cols].copy()
            p["issue"] = code
            p["detail"] = detail if isinstance(detail, str) else detail[mask]
            p["_order"] = np.flatnonzero(mask.to_numpy())
            parts.append(p)

    add(v["check_out"].notna() & v["check_in"].notna() & (v["check_out"] < v["check_in"]),
        "checkout_before_checkin")  # fmt: skip
    if reps is not None:
        _require(reps, "reps", ["rep_id"])
        add(~v["rep_id"].isin(reps["rep_id"]), "unknown_rep", "rep_id not in reps")
    if terminals is not None:
        _require(terminals, "terminals", ["terminal_id"])
        add(
            v["terminal_id"].notna() & ~v["terminal_id"].isin(terminals["terminal_id"]),
            "unknown_terminal",
            "terminal_id not in terminals",
        )
    done = v[v["done"]].sort_values(["rep_id", "check_in", "visit_id"], kind="mergesort")
    grp = done.groupby("rep_id", sort=False)
    prev_out = grp["check_out"].shift()
    prev_id = grp["visit_id"].shift()
    ov = (done["check_in"] < prev_out).reindex(v.index, fill_value=False)
    minutes = ((prev_out - done["check_in"]).dt.total_seconds() / 60).reindex(v.index)
    detail = pd.Series("", index=v.index, dtype=object)
    pid = prev_id.reindex(v.index)
    detail[ov] = [
        f"starts {m:g} min before {p} checked out"
        for m, p in zip(minutes[ov], pid[ov], strict=True)
    ]
    add(ov, "overlap_previous", detail)
    if not parts:
        return pd.DataFrame(
            {
                c: pd.Series(dtype=v[c].dtype if c in v else object)
                for c in [*cols, "issue", "detail"]
            }
        )
    out = pd.concat(parts, ignore_index=True)
    out["_code"] = out["issue"].map({c: i for i, c in enumerate(ISSUES)})
    out = out.sort_values(["_order", "_code"], kind="mergesort").drop(columns=["_order", "_code"])
    return out.reset_index(drop=True)
