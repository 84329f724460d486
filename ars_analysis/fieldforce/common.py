"""Shared definitions and helpers of the field-execution measures: levels, periods, groups.

Grouping: functions with a ``level`` argument group by ``"rep"`` (``rep_id``), ``"team"``
(``team_id`` = the rep's ``manager_id``; a rep without a manager is its own team), ``"region"``
(the rep's region) or ``"all"`` (one group, column ``scope`` = ``"all"``); team and region need
the ``reps`` table. Reps not in ``reps`` are kept under the group :data:`UNKNOWN`. ``freq``
(``"M"``, ``"Q"``, ``"Y"``) adds a ``period`` column; a visit belongs to the period of its
planned date, or of its check-in when unplanned.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import pandas as pd

#: Levels accepted by ``level``.
LEVELS = ("rep", "team", "region", "all")

#: Period codes accepted by ``freq``.
FREQS = ("M", "Q", "Y")

#: Group name used for reps / terminals missing from the reference tables.
UNKNOWN = "unknown"

#: KPI columns of :func:`rep_scorecard` (read by the incentive module: keep the names).
SCORECARD_KPIS = (
    "visit_completion",
    "visit_order_rate",
    "top_terminal_coverage",
    "frequency_compliance",
    "avg_time_in_store_min",
    "visits_per_day",
    "far_checkin_share",
    "new_terminals",
    "attainment",
)

_GROUP_COL = {"rep": "rep_id", "team": "team_id", "region": "region", "all": "scope"}

# --------------------------------------------------------------------------------------------
# input preparation


def _require(df: pd.DataFrame | None, table: str, columns: Iterable[str]) -> None:
    if df is None:
        raise ValueError(f"table {table!r} is required here but was not given")
    if not isinstance(df, pd.DataFrame):
        raise ValueError(f"table {table!r} must be a DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(
            f"table {table!r} lacks column(s) {missing}; it has {list(df.columns)} "
            "(see ars_analysis.data.contract for the expected names)"
        )


def _to_datetime(s: pd.Series, table: str, column: str) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(s):
        return s
    with warnings.catch_warnings():  # "could not infer format" for odd strings: checked below
        warnings.simplefilter("ignore", UserWarning)
        out = pd.to_datetime(s, errors="coerce")
    bad = out.isna() & s.notna() & (s.astype(str).str.strip() != "")
    if bad.any():
        rows = ", ".join(map(str, bad[bad].index[:5]))
        raise ValueError(
            f"table {table!r}, column {column!r}: {int(bad.sum())} value(s) are not dates/times "
            f"(rows {rows}); expected ISO dates like 2025-03-01 08:30"
        )
    return out


def _check_level(level: str) -> str:
    if level not in LEVELS:
        raise ValueError(f"level must be one of {LEVELS}, got {level!r}")
    return level


def _check_freq(freq: str | None) -> str | None:
    if freq is not None and freq not in FREQS:
        raise ValueError(
            f"freq must be one of {FREQS} (month, quarter, year) or None, got {freq!r}"
        )
    return freq


def _period_of(dates: pd.Series, freq: str) -> pd.Series:
    """Period labels matching :mod:`ars_analysis.compose.aggregate` (``2025-03``, ``2025Q1``, ``2025``)."""
    if freq == "M":
        out = dates.dt.strftime("%Y-%m")
    elif freq == "Q":
        out = (
            dates.dt.year.astype("Int64").astype(str)
            + "Q"
            + dates.dt.quarter.astype("Int64").astype(str)
        )
    else:
        out = dates.dt.year.astype("Int64").astype(str)
    return out.where(dates.notna())


_PREPARED = {"planned", "done", "unplanned", "visit_date", "activity_set", "has_order"}


def prepare_visits(visits: pd.DataFrame) -> pd.DataFrame:
    """A checked copy of the visit log with parsed times and derived flags.

    Adds ``planned`` (has a planned date), ``done`` (has a check-in), ``unplanned`` (done without
    a planned date), ``visit_date`` (planned date, else check-in date), ``activity_set``
    (frozenset of lower-case activity codes), ``has_order`` and, when missing, ``visit_id``
    (row number). Other functions call it; it is public so a notebook can look at the result.

    Examples
    --------
    >>> v = pd.DataFrame({"rep_id": ["R1", "R1"], "planned_date": ["2025-01-02", None],
    ...                   "check_in": [None, "2025-01-02 09:00"]})
    >>> prepare_visits(v)[["planned", "done", "unplanned"]].values.tolist()
    [[True, False, False], [False, True, True]]
    """
    _require(visits, "visits", ["rep_id"])
    if _PREPARED <= set(visits.columns):  # already prepared (internal reuse)
        return visits.copy(deep=False)
    v = visits.copy()
    for col in ("planned_date", "check_in", "check_out"):
        if col not in v.columns:
            v[col] = pd.NaT
        v[col] = _to_datetime(v[col], "visits", col)
    if "visit_id" not in v.columns:
        v["visit_id"] = v.index.astype(str)
    for col in ("terminal_id", "customer_id", "activities", "latitude", "longitude"):
        if col not in v.columns:
            v[col] = np.nan
    v["planned"] = v["planned_date"].notna()
    v["done"] = v["check_in"].notna()
    v["unplanned"] = v["done"] & ~v["planned"]
    v["visit_date"] = v["planned_date"].dt.normalize().fillna(v["check_in"].dt.normalize())
    acts = v["activities"].astype("string").str.lower().str.replace(" ", "", regex=False)
    v["activity_set"] = [
        frozenset(a for a in str(x).split(";") if a) if pd.notna(x) else frozenset() for x in acts
    ]
    v["has_order"] = v["done"] & acts.str.contains(r"(?:^|;)order(?:;|$)", regex=True).fillna(
        False
    ).astype(bool)
    return v


def rep_info(reps: pd.DataFrame | None) -> pd.DataFrame | None:
    """``rep_id, team_id, region`` (+ ``rep_name``) of each rep; the team is the rep's manager
    (a rep without one is his own team). ``None`` without a reps table.

    >>> rep_info(pd.DataFrame({"rep_id": ["R1", "R2"], "manager_id": ["M", None]}))
      rep_id team_id  region
    0     R1       M     NaN
    1     R2      R2     NaN
    """
    if reps is None:
        return None
    _require(reps, "reps", ["rep_id"])
    r = reps.copy()
    if "manager_id" not in r.columns:
        r["manager_id"] = np.nan
    if "region" not in r.columns:
        r["region"] = np.nan
    r["team_id"] = r["manager_id"].where(r["manager_id"].notna(), r["rep_id"])
    cols = ["rep_id", "team_id", "region"] + (["rep_name"] if "rep_name" in r.columns else [])
    return r[cols].drop_duplicates("rep_id")


def _attach_group(df: pd.DataFrame, reps: pd.DataFrame | None, level: str) -> pd.DataFrame:
    """Add the group column of ``level`` to a frame that has ``rep_id``."""
    _check_level(level)
    if level == "rep":
        return df
    if level == "all":
        return df.assign(scope="all")
    info = _rep_info(reps)
    if info is None:
        raise ValueError(
            f"level={level!r} needs the 'reps' table (manager_id / region of each rep)"
        )
    col = _GROUP_COL[level]
    out = df.drop(columns=[c for c in (col,) if c in df.columns]).merge(
        info[["rep_id", col]], on="rep_id", how="left"
    )
    out[col] = out[col].astype(object).where(out[col].notna(), UNKNOWN)
    return out


def _keys(level: str, freq: str | None) -> list[str]:
    return [_GROUP_COL[level]] + (["period"] if freq else [])


def _add_names(out: pd.DataFrame, reps: pd.DataFrame | None, level: str) -> pd.DataFrame:
    if level == "rep" and reps is not None and "rep_name" in reps.columns:
        names = reps[["rep_id", "rep_name"]].drop_duplicates("rep_id")
        out = out.merge(names, on="rep_id", how="left")
        cols = ["rep_id", "rep_name"] + [c for c in out.columns if c not in ("rep_id", "rep_name")]
        out = out[cols]
    return out


def ratio(num, den) -> pd.Series:
    """``num / den`` as floats, NaN where ``den`` is not positive (a share of nothing).

    >>> ratio([1, 2], [4, 0]).tolist()
    [0.25, nan]
    """
    num = pd.Series(num, dtype="float64")
    den = pd.Series(den, dtype="float64")
    return (num / den).where(den > 0)


_ratio, _rep_info = ratio, rep_info  # the names used inside the package


# --------------------------------------------------------------------------------------------
# target vs result


def _to_freq_period(period: pd.Series, freq: str | None) -> pd.Series:
    month = pd.to_datetime(period.astype(str) + "-01", format="%Y-%m-%d", errors="coerce")
    bad = month.isna()
    if bad.any():
        rows = ", ".join(map(str, bad[bad].index[:5]))
        raise ValueError(
            f"period values must be months 'YYYY-MM'; rows {rows} are not "
            f"(e.g. {period[bad].iloc[0]!r}). Pass rep_sales(ds, freq='M')"
        )
    if freq is None:
        return pd.Series("all", index=period.index)
    return _period_of(month, freq)
