"""Met whom: terminal grades, the visit window, visit frequency against the standard, core-customer coverage."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from ars_analysis.fieldforce.common import (
    _GROUP_COL,
    UNKNOWN,
    _add_names,
    _attach_group,
    _check_freq,
    _period_of,
    _ratio,
    _require,
    prepare_visits,
)
from ars_analysis.fieldforce.standards import load_standards

# --------------------------------------------------------------------------------------------
# met whom


def terminal_grades(
    terminals: pd.DataFrame,
    terminal_sales: pd.DataFrame | None,
    *,
    top_share: float = 0.2,
    volume: str = "revenue",
    top=None,
) -> pd.DataFrame:
    """Grade terminals ``"top"`` or ``"other"``.

    Reports pass ``top``: the client's ONE top-terminal set,
    :func:`ars_analysis.compose.top_terminals` computed on the whole dataset (ranked within
    each region by the client's definition), so that every report names the same top terminals.
    Without it (quick looks at a table), the top terminals are the ``ceil(top_share * n)`` with
    the highest volume over all ``n`` terminals of the ``terminals`` table (terminals without
    sales have volume 0; ties broken by ``terminal_id``).

    Parameters
    ----------
    terminals : DataFrame
        Contract ``terminals`` table.
    terminal_sales : DataFrame or None
        ``aggregate.terminal_sales(ds)`` (``terminal_id`` + ``volume`` column); ``None`` grades
        every terminal ``"other"``.
    top_share : float
        Share of terminals that are "top" (0-1].
    volume : str
        Column of ``terminal_sales`` that measures volume (``revenue`` or ``quantity``).
    top : DataFrame or iterable of str, optional
        The shared top-terminal set: the output of :func:`ars_analysis.compose.top_terminals`
        (``terminal_id``, ``is_top``) or the top terminal IDs. Replaces the ranking here.

    Returns
    -------
    DataFrame
        ``terminal_id, rep_id, customer_id, volume, volume_rank, grade``.

    Examples
    --------
    >>> t = pd.DataFrame({"terminal_id": [f"T{i}" for i in range(10)]})
    >>> s = pd.DataFrame({"terminal_id": ["T3", "T7", "T1"], "revenue": [50.0, 90.0, 10.0]})
    >>> g = terminal_grades(t, s, top_share=0.2)
    >>> sorted(g.loc[g["grade"] == "top", "terminal_id"])
    ['T3', 'T7']
    """
    if not isinstance(top_share, (int, float)) or not 0 < top_share <= 1:
        raise ValueError(f"top_share must be in (0, 1], got {top_share!r}")
    _require(terminals, "terminals", ["terminal_id"])
    t = terminals.drop_duplicates("terminal_id").copy()
    for col in ("rep_id", "customer_id"):
        if col not in t.columns:
            t[col] = np.nan
    t = t[["terminal_id", "rep_id", "customer_id"]]
    if terminal_sales is not None:
        _require(terminal_sales, "terminal_sales", ["terminal_id", volume])
        vol = terminal_sales.groupby("terminal_id")[volume].sum()
        t["volume"] = t["terminal_id"].map(vol).fillna(0.0).astype("float64")
    elif isinstance(top, pd.DataFrame) and "revenue" in top.columns:
        vol = top.drop_duplicates("terminal_id").set_index("terminal_id")["revenue"]
        t["volume"] = t["terminal_id"].map(vol).fillna(0.0).astype("float64")
    else:
        t["volume"] = 0.0
    t = t.sort_values(["volume", "terminal_id"], ascending=[False, True], kind="mergesort")
    t["volume_rank"] = np.arange(1, len(t) + 1)
    if top is not None:
        ids = _top_ids(top)
        t["grade"] = np.where(t["terminal_id"].isin(ids), "top", "other")
    else:
        n_top = math.ceil(top_share * len(t) - 1e-9) if terminal_sales is not None else 0
        t["grade"] = np.where(t["volume_rank"] <= n_top, "top", "other")
    return t.sort_values("terminal_id", kind="mergesort").reset_index(drop=True)


def _top_ids(top) -> set:
    """The top terminal IDs of a :func:`ars_analysis.compose.top_terminals` frame or a list."""
    if isinstance(top, pd.DataFrame):
        _require(top, "top", ["terminal_id", "is_top"])
        return set(top.loc[top["is_top"].astype(bool), "terminal_id"])
    return set(top)


def _window(v: pd.DataFrame, start, end) -> tuple[pd.Timestamp, pd.Timestamp]:
    lo = pd.Timestamp(start).normalize() if start is not None else v["visit_date"].min()
    hi = pd.Timestamp(end).normalize() if end is not None else v["visit_date"].max()
    if pd.isna(lo) or pd.isna(hi):
        raise ValueError("visits: no dated visit to define the analysis window; pass start and end")
    if hi < lo:
        raise ValueError(f"end ({hi.date()}) is before start ({lo.date()})")
    return lo, hi


def visit_window(visits: pd.DataFrame, start=None, end=None) -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last visit date (planned date, else check-in date), or ``start`` / ``end``.

    The window of the frequency standard, new terminals and the scorecard's attainment months.

    Examples
    --------
    >>> v = pd.DataFrame({"rep_id": ["R1", "R1"], "planned_date": ["2025-01-03", None],
    ...                   "check_in": [None, "2025-02-01 09:00"]})
    >>> [d.date().isoformat() for d in visit_window(v)]
    ['2025-01-03', '2025-02-01']
    """
    return _window(prepare_visits(visits), start, end)


def _period_bounds(lo: pd.Timestamp, hi: pd.Timestamp, freq: str) -> pd.DataFrame:
    alias = {"M": "M", "Q": "Q", "Y": "Y"}[freq]
    periods = pd.period_range(lo, hi, freq=alias)
    starts = pd.Series(periods.start_time.normalize()).clip(lower=lo)
    ends = pd.Series(periods.end_time.normalize()).clip(upper=hi)
    b = pd.DataFrame({"p_start": starts, "p_end": ends})
    b["period"] = _period_of(pd.Series(b["p_start"]), freq).to_numpy()
    return b


def frequency_vs_standard(
    visits: pd.DataFrame,
    terminals: pd.DataFrame,
    terminal_sales: pd.DataFrame | None = None,
    *,
    grades: pd.DataFrame | None = None,
    standards: Mapping | None = None,
    top_share: float | None = None,
    freq: str | None = None,
    start=None,
    end=None,
    top=None,
) -> pd.DataFrame:
    """Visits done per terminal against the standard frequency of its grade.

    The standard is an interval in days per grade (e.g. top terminals weekly, others monthly,
    from ``config/visit_standards.yml``). Over a window of ``D`` days (inclusive) a terminal is
    expected ``D / interval`` visits and meets the standard when it got at least
    ``max(1, floor(D / interval))`` done visits (by any rep).

    Parameters
    ----------
    visits, terminals : DataFrame
        Contract tables. Every terminal of ``terminals`` is listed, visited or not.
    terminal_sales : DataFrame, optional
        ``aggregate.terminal_sales(ds)``, used to grade terminals (see :func:`terminal_grades`).
    grades : DataFrame, optional
        Your own grades (``terminal_id``, ``grade``) instead of top/other; every grade needs a
        standard. Terminals missing from it get grade ``"other"``.
    standards : dict, optional
        Grade -> interval (``"weekly"``, ``"biweekly"``, ``"monthly"`` or days); default from
        :func:`load_standards`.
    top_share : float, optional
        Default from the standards (0.2).
    freq : {"M", "Q", "Y"}, optional
        Measure per period (each period clipped to the window); else over the whole window.
    start, end : date-like, optional
        Window; default first / last visit date in ``visits``. A regional report passes the
        window of the whole visit log so that its terminals are measured as in the national one.
    top : DataFrame or iterable of str, optional
        The shared top-terminal set (see :func:`terminal_grades`); reports always pass it.

    Returns
    -------
    DataFrame
        One row per terminal (and period): ``terminal_id, rep_id`` (responsible rep),
        ``customer_id, grade, interval_days, window_days, expected_visits, required_visits,
        visits_done, visited, meets_standard``.

    Examples
    --------
    >>> v = pd.DataFrame({"rep_id": ["R1"] * 3, "terminal_id": ["T1", "T1", "T2"],
    ...     "check_in": ["2025-01-01 09:00", "2025-01-08 09:00", "2025-01-10 09:00"]})
    >>> t = pd.DataFrame({"terminal_id": ["T1", "T2"], "rep_id": ["R1", "R1"]})
    >>> g = pd.DataFrame({"terminal_id": ["T1", "T2"], "grade": ["top", "other"]})
    >>> f = frequency_vs_standard(v, t, grades=g, start="2025-01-01", end="2025-01-14")
    >>> f[["terminal_id", "required_visits", "visits_done", "meets_standard"]].values.tolist()
    [['T1', 2, 2, True], ['T2', 1, 1, True]]
    """
    _check_freq(freq)
    std = load_standards(frequency=dict(standards) if standards is not None else None)
    intervals = std["frequency"]
    share = std["top_share"] if top_share is None else top_share
    if grades is not None:
        _require(grades, "grades", ["terminal_id", "grade"])
        base = terminal_grades(terminals, None)
        gmap = grades.drop_duplicates("terminal_id").set_index("terminal_id")["grade"].astype(str)
        base["grade"] = base["terminal_id"].map(gmap).fillna("other")
    else:
        base = terminal_grades(terminals, terminal_sales, top_share=share, top=top)
    missing = sorted(set(base["grade"]) - set(intervals))
    if missing:
        raise ValueError(
            f"visit standards: no frequency standard for grade(s) {missing}; "
            f"standards given for {sorted(intervals)}"
        )
    v = prepare_visits(visits)
    lo, hi = _window(v, start, end)
    done = v[v["done"]].copy()
    done["day"] = done["check_in"].dt.normalize()
    done = done[(done["day"] >= lo) & (done["day"] <= hi)]
    base["interval_days"] = base["grade"].map(intervals).astype("float64")
    if freq:
        bounds = _period_bounds(lo, hi, freq)
        base = base.merge(bounds, how="cross")
        done["period"] = _period_of(done["day"], freq)
        counts = done.groupby(["terminal_id", "period"]).size().rename("visits_done")
        base = base.join(counts, on=["terminal_id", "period"])
        days = (base["p_end"] - base["p_start"]).dt.days + 1
        base = base.drop(columns=["p_start", "p_end"])
    else:
        counts = done.groupby("terminal_id").size().rename("visits_done")
        base = base.join(counts, on="terminal_id")
        days = pd.Series((hi - lo).days + 1, index=base.index)
    base["window_days"] = days.astype("int64")
    base["expected_visits"] = base["window_days"] / base["interval_days"]
    base["required_visits"] = np.maximum(1, np.floor(base["expected_visits"] + 1e-9)).astype(
        "int64"
    )
    base["visits_done"] = base["visits_done"].fillna(0).astype("int64")
    base["visited"] = base["visits_done"] > 0
    base["meets_standard"] = base["visits_done"] >= base["required_visits"]
    cols = (
        ["terminal_id"]
        + (["period"] if freq else [])
        + [
            "rep_id",
            "customer_id",
            "grade",
            "volume",
            "interval_days",
            "window_days",
            "expected_visits",
            "required_visits",
            "visits_done",
            "visited",
            "meets_standard",
        ]
    )
    return (
        base[cols]
        .sort_values(["terminal_id"] + (["period"] if freq else []))
        .reset_index(drop=True)
    )


def frequency_summary(
    frequency: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    level: str = "rep",
) -> pd.DataFrame:
    """Coverage and frequency compliance per group, from :func:`frequency_vs_standard`.

    Terminals are counted for the rep responsible for them (``terminals.rep_id``); terminals
    without a responsible rep are grouped under ``"unknown"``.

    Returns
    -------
    DataFrame
        Group (and ``period`` if present) with ``n_terminals``, ``terminals_meeting_standard``,
        ``frequency_compliance`` (share meeting the standard), ``n_top_terminals``,
        ``top_terminals_visited``, ``top_terminal_coverage`` (share of top terminals visited at
        least once; NaN when the group has none) and ``top_frequency_compliance``.

    Examples
    --------
    >>> f = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "rep_id": ["R1"] * 3,
    ...     "grade": ["top", "other", "other"], "visited": [True, True, False],
    ...     "meets_standard": [False, True, False]})
    >>> frequency_summary(f)[["frequency_compliance", "top_terminal_coverage"]].round(3).values.tolist()
    [[0.333, 1.0]]
    """
    _require(
        frequency, "frequency", ["terminal_id", "rep_id", "grade", "visited", "meets_standard"]
    )
    f = frequency.copy()
    f["rep_id"] = f["rep_id"].astype(object).where(f["rep_id"].notna(), UNKNOWN)
    f = _attach_group(f, reps, level)
    keys = [_GROUP_COL[level]] + (["period"] if "period" in f.columns else [])
    f["is_top"] = f["grade"] == "top"
    f["top_visited"] = f["is_top"] & f["visited"]
    f["top_meets"] = f["is_top"] & f["meets_standard"]
    out = (
        f.groupby(keys, dropna=False)
        .agg(
            n_terminals=("terminal_id", "size"),
            terminals_meeting_standard=("meets_standard", "sum"),
            n_top_terminals=("is_top", "sum"),
            top_terminals_visited=("top_visited", "sum"),
            top_meeting_standard=("top_meets", "sum"),
        )
        .reset_index()
    )
    out["frequency_compliance"] = _ratio(out["terminals_meeting_standard"], out["n_terminals"])
    out["top_terminal_coverage"] = _ratio(out["top_terminals_visited"], out["n_top_terminals"])
    out["top_frequency_compliance"] = _ratio(out["top_meeting_standard"], out["n_top_terminals"])
    for c in ("terminals_meeting_standard", "n_top_terminals", "top_terminals_visited"):
        out[c] = out[c].astype("int64")
    return _add_names(
        out[
            keys
            + [
                "n_terminals",
                "terminals_meeting_standard",
                "frequency_compliance",
                "n_top_terminals",
                "top_terminals_visited",
                "top_terminal_coverage",
                "top_frequency_compliance",
            ]
        ],
        reps,
        level,
    )


def core_customer_coverage(
    visits: pd.DataFrame,
    terminals: pd.DataFrame,
    core_customers: Iterable[str],
    reps: pd.DataFrame | None = None,
    *,
    level: str = "rep",
) -> pd.DataFrame:
    """Share of the core customers assigned to a rep that the rep visited.

    A core customer is assigned to a rep when the rep is responsible for at least one terminal it
    supplies (``terminals.rep_id`` / ``terminals.customer_id``). It is covered when the rep has a
    done visit with that ``visits.customer_id`` (a visit to the distributor itself) or to one of
    its terminals.

    Returns
    -------
    DataFrame
        Group with ``n_core_customers``, ``core_customers_visited``, ``core_customer_coverage``.

    Examples
    --------
    >>> t = pd.DataFrame({"terminal_id": ["T1", "T2"], "rep_id": ["R1", "R1"],
    ...                   "customer_id": ["C1", "C2"]})
    >>> v = pd.DataFrame({"rep_id": ["R1"], "customer_id": ["C1"], "check_in": ["2025-01-02 09:00"]})
    >>> core_customer_coverage(v, t, ["C1", "C2"])[["n_core_customers", "core_customer_coverage"]].values.tolist()
    [[2.0, 0.5]]
    """
    _require(terminals, "terminals", ["terminal_id", "rep_id", "customer_id"])
    core = set(map(str, core_customers))
    t = terminals[terminals["customer_id"].astype(str).isin(core) & terminals["rep_id"].notna()]
    assigned = t[["rep_id", "customer_id"]].drop_duplicates()
    v = prepare_visits(visits)
    v = v[v["done"]]
    direct = v[["rep_id", "customer_id"]].dropna()
    via = (
        v[["rep_id", "terminal_id"]]
        .dropna()
        .merge(terminals[["terminal_id", "customer_id"]].dropna(), on="terminal_id")[
            ["rep_id", "customer_id"]
        ]
    )
    seen = pd.concat([direct, via]).drop_duplicates().assign(_seen=True)
    a = assigned.merge(seen, on=["rep_id", "customer_id"], how="left")
    a["_seen"] = a["_seen"].fillna(False).astype(bool)
    a = _attach_group(a, reps, level)
    key = _GROUP_COL[level]
    out = (
        a.groupby(key)
        .agg(n_core_customers=("customer_id", "size"), core_customers_visited=("_seen", "sum"))
        .reset_index()
    )
    out["core_customers_visited"] = out["core_customers_visited"].astype("int64")
    out["core_customer_coverage"] = _ratio(out["core_customers_visited"], out["n_core_customers"])
    return _add_names(out, reps, level)
