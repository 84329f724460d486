"""Field execution (过程管理): did the field force go where, meet whom and do what it should?

The measures answer the three questions asked of every customer advisor's visits, then link
behaviour to results:

* **went where** - :func:`visit_compliance` (拜访达成率 = planned visits done / planned visits,
  unplanned visits) and :func:`checkin_distance` / :func:`distance_summary` (check-in position vs
  the terminal's position, in configurable distance bands);
* **met whom** - :func:`terminal_grades`, :func:`frequency_vs_standard` and
  :func:`frequency_summary` (coverage of the high-volume terminals, visit frequency against the
  standard of each terminal grade) and :func:`core_customer_coverage`;
* **did what** - :func:`activity_shares` (share of done visits with each activity) and the visit
  order rate (拜访成交率) in :func:`visit_compliance`;
* **time use** - :func:`visit_times`, :func:`rep_days` and :func:`time_use` (time in store,
  working span, travel time between visits, visits per day);
* **target vs result** - :func:`attainment`, :func:`deviation_ranking` and
  :func:`discipline_vs_attainment`;
* :func:`rep_scorecard` combines them into one row per rep, the behaviour KPIs of an incentive
  plan; :func:`visit_issues` lists the problem visits for follow-up;
* :func:`analyse_field_execution` runs all of them for one report scope (national or a region)
  on the whole dataset and filters the results, returning a :class:`FieldExecution` that
  :mod:`ars_analysis.presentation.fieldforce` turns into report 04.

One definition per concept: the top terminals are the client's shared set
(:func:`ars_analysis.compose.top_terminals`, passed as ``top`` / ``top_terminals``), the visit
window of a regional report is that of the whole visit log, and new terminals are those whose
first sales line falls in the window (:func:`new_terminal_list`), never first visits.

Inputs are DataFrames in the contract's columns (``visits``, ``terminals``, ``reps``,
``targets``) and the aggregated sales of :mod:`ars_analysis.compose.aggregate`
(``rep_sales(ds, freq="M")``, ``terminal_sales(ds)``). :func:`scorecard_from_dataset` is a thin
convenience that takes a loaded :class:`~ars_analysis.data.dataset.Dataset`.

Grouping: functions with a ``level`` argument group by ``"rep"`` (``rep_id``), ``"team"``
(``team_id`` = the rep's ``manager_id``; a rep without a manager is its own team),
``"region"`` (the rep's region) or ``"all"`` (one group, column ``scope`` = ``"all"``); team and
region need the ``reps`` table. Reps not in ``reps``
are kept under the group ``"unknown"``. ``freq`` (``"M"``, ``"Q"``, ``"Y"``) adds a ``period``
column; a visit belongs to the period of its planned date, or of its check-in when unplanned.

Problem rows are never dropped silently: visits with a check-out before the check-in (or no
check-out) are left out of time measures only, and counted in ``excluded_visits``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ars_analysis.data.contract import ACTIVITIES

#: Default standards shipped with the package (edit a copy, see :func:`load_standards`).
STANDARDS_FILE = Path(__file__).parent / "config" / "visit_standards.yml"

#: Levels accepted by ``level``.
LEVELS = ("rep", "team", "region", "all")

#: Period codes accepted by ``freq``.
FREQS = ("M", "Q", "Y")

#: Group name used for reps / terminals missing from the reference tables.
UNKNOWN = "unknown"

#: Named visit intervals (days) accepted in the frequency standards.
INTERVALS = {"weekly": 7.0, "biweekly": 14.0, "monthly": 365.25 / 12}

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

#: Issue codes of :func:`visit_issues`.
ISSUES = ("checkout_before_checkin", "unknown_rep", "unknown_terminal", "overlap_previous")

#: Mean Earth radius in metres (IUGG), used by :func:`haversine_m`.
EARTH_RADIUS_M = 6_371_008.8

#: Coaching standards when the standards file has none: KPI -> {"min"|"max": value}.
_COACHING_DEFAULT = {
    "visit_completion": {"min": 0.85},
    "frequency_compliance": {"min": 0.6},
    "far_checkin_share": {"max": 0.1},
}

_GROUP_COL = {"rep": "rep_id", "team": "team_id", "region": "region", "all": "scope"}


# --------------------------------------------------------------------------------------------
# configuration


def _interval_days(grade, value) -> float:
    if isinstance(value, str) and value.strip().lower() in INTERVALS:
        return INTERVALS[value.strip().lower()]
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return float(value)
    raise ValueError(
        f"visit standards: frequency of grade {grade!r} is {value!r}; expected one of "
        f"{sorted(INTERVALS)} or a positive number of days between visits"
    )


def load_standards(path: str | Path | None = None, **overrides) -> dict:
    """Read and check the visit standards (frequency per grade, distance bands, weights).

    Parameters
    ----------
    path : str or Path, optional
        A YAML file in the format of the shipped ``config/visit_standards.yml``; ``None`` reads
        the shipped defaults.
    **overrides
        Top-level entries that replace the file's (e.g. ``frequency={"top": 14, "other": 30}``,
        ``top_share=0.1``). ``None`` values are ignored, so notebook parameters can be passed
        straight through.

    Returns
    -------
    dict
        ``frequency`` (grade -> interval in days, float), ``top_share``, ``distance_bands_m``
        (increasing list), ``far_checkin_m``, ``scorecard_weights`` (KPI -> weight),
        ``attainment_cap``, ``reference`` (KPI -> reference value),
        ``new_terminal_history_months`` (months of sales history needed before a window to
        count new terminals) and ``coaching`` (KPI -> (``"min"`` or ``"max"``, value): the
        standard below / above which a rep is to be coached).

    Raises
    ------
    ValueError
        Naming the entry that is missing or wrong.

    Examples
    --------
    >>> std = load_standards()
    >>> std["frequency"]["top"], std["distance_bands_m"]
    (7.0, [200.0, 1000.0, 5000.0])
    >>> load_standards(frequency={"top": "biweekly", "other": 60})["frequency"]
    {'top': 14.0, 'other': 60.0}
    """
    src = Path(path) if path is not None else STANDARDS_FILE
    try:
        raw = yaml.safe_load(src.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise ValueError(f"visit standards {src}: not valid YAML ({exc})") from None
    if not isinstance(raw, dict):
        raise ValueError(
            f"visit standards {src}: expected a mapping of entries, got {type(raw).__name__}"
        )
    raw.update({k: v for k, v in overrides.items() if v is not None})
    where = f"visit standards ({src.name})"
    known = {
        "frequency",
        "top_share",
        "distance_bands_m",
        "far_checkin_m",
        "scorecard_weights",
        "attainment_cap",
        "min_score_basis",
        "reference",
        "new_terminal_history_months",
        "coaching",
    }
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ValueError(f"{where}: unknown entries {unknown}; expected some of {sorted(known)}")
    freq = raw.get("frequency")
    if not isinstance(freq, Mapping) or not freq:
        raise ValueError(f"{where}: 'frequency' must map each terminal grade to an interval")
    out: dict = {"frequency": {str(g): _interval_days(g, v) for g, v in freq.items()}}

    top_share = raw.get("top_share", 0.2)
    if (
        not isinstance(top_share, (int, float))
        or isinstance(top_share, bool)
        or not 0 < top_share <= 1
    ):
        raise ValueError(f"{where}: 'top_share' must be a number in (0, 1], got {top_share!r}")
    out["top_share"] = float(top_share)

    bands = raw.get("distance_bands_m", [200, 1000, 5000])
    if (
        not isinstance(bands, list)
        or not bands
        or not all(isinstance(b, (int, float)) and not isinstance(b, bool) and b > 0 for b in bands)
        or any(b2 <= b1 for b1, b2 in zip(bands, bands[1:], strict=False))
    ):
        raise ValueError(
            f"{where}: 'distance_bands_m' must be a non-empty increasing list of positive metres, "
            f"got {bands!r}"
        )
    out["distance_bands_m"] = [float(b) for b in bands]

    far = raw.get("far_checkin_m", 1000)
    if not isinstance(far, (int, float)) or isinstance(far, bool) or far <= 0:
        raise ValueError(
            f"{where}: 'far_checkin_m' must be a positive number of metres, got {far!r}"
        )
    out["far_checkin_m"] = float(far)

    weights = raw.get("scorecard_weights", {})
    out["scorecard_weights"] = _check_weights(weights, where)

    cap = raw.get("attainment_cap", 1.2)
    if not isinstance(cap, (int, float)) or isinstance(cap, bool) or cap <= 0:
        raise ValueError(f"{where}: 'attainment_cap' must be a positive number, got {cap!r}")
    out["attainment_cap"] = float(cap)

    basis = raw.get("min_score_basis", 0.75)
    if not isinstance(basis, (int, float)) or isinstance(basis, bool) or not 0 <= basis <= 1:
        raise ValueError(f"{where}: 'min_score_basis' must be a share in [0, 1], got {basis!r}")
    out["min_score_basis"] = float(basis)

    ref = raw.get("reference", {}) or {}
    if not isinstance(ref, Mapping):
        raise ValueError(f"{where}: 'reference' must map KPIs to positive numbers")
    defaults = {"avg_time_in_store_min": 20.0, "visits_per_day": 8.0}
    for k, v in ref.items():
        if k not in defaults:
            raise ValueError(
                f"{where}: 'reference' has unknown KPI {k!r}; expected {sorted(defaults)}"
            )
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"{where}: reference of {k!r} must be a positive number, got {v!r}")
        defaults[k] = float(v)
    out["reference"] = defaults

    hist = raw.get("new_terminal_history_months", 6)
    if not isinstance(hist, (int, float)) or isinstance(hist, bool) or hist < 0:
        raise ValueError(
            f"{where}: 'new_terminal_history_months' must be a number of months >= 0, got {hist!r}"
        )
    out["new_terminal_history_months"] = float(hist)

    coaching = raw.get("coaching", _COACHING_DEFAULT) or {}
    if not isinstance(coaching, Mapping):
        raise ValueError(f"{where}: 'coaching' must map KPIs to {{min: ...}} or {{max: ...}}")
    out["coaching"] = {}
    for k, v in coaching.items():
        if k not in SCORECARD_KPIS:
            raise ValueError(
                f"{where}: 'coaching' has unknown KPI {k!r}; expected some of "
                f"{list(SCORECARD_KPIS)}"
            )
        if (
            not isinstance(v, Mapping)
            or len(v) != 1
            or next(iter(v)) not in ("min", "max")
            or not isinstance(next(iter(v.values())), (int, float))
            or isinstance(next(iter(v.values())), bool)
        ):
            raise ValueError(
                f"{where}: coaching standard of {k!r} must be {{min: number}} or "
                f"{{max: number}}, got {v!r}"
            )
        ((direction, value),) = v.items()
        out["coaching"][k] = (direction, float(value))
    return out


def _check_weights(weights, where: str = "scorecard weights") -> dict[str, float]:
    if not isinstance(weights, Mapping):
        raise ValueError(f"{where}: 'scorecard_weights' must map KPI names to weights")
    out = {}
    for k, v in weights.items():
        if k not in SCORECARD_KPIS:
            raise ValueError(
                f"{where}: unknown scorecard KPI {k!r}; expected some of {list(SCORECARD_KPIS)}"
            )
        if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 or not math.isfinite(v):
            raise ValueError(f"{where}: weight of {k!r} must be a number >= 0, got {v!r}")
        out[k] = float(v)
    if out and sum(out.values()) <= 0:
        raise ValueError(f"{where}: scorecard weights sum to 0; give at least one positive weight")
    return out


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


def _rep_info(reps: pd.DataFrame | None) -> pd.DataFrame | None:
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


def _ratio(num, den) -> pd.Series:
    num = pd.Series(num, dtype="float64")
    den = pd.Series(den, dtype="float64")
    return (num / den).where(den > 0)


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


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres between points given in degrees (vectorised).

    Examples
    --------
    >>> round(float(haversine_m(0, 0, 1, 0)))  # one degree of latitude
    111195
    """
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(x, dtype="float64")) for x in (lat1, lon1, lat2, lon2)
    )
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _fmt_m(x: float) -> str:
    return f"{x / 1000:g} km" if x >= 1000 else f"{x:g} m"


def band_labels(bands: Iterable[float]) -> list[str]:
    """Names of the distance bands for breakpoints ``bands`` (metres), plus ``"unknown"``.

    Examples
    --------
    >>> band_labels([200, 1000, 5000])
    ['<200 m', '200 m-1 km', '1-5 km', '>5 km', 'unknown']
    """
    b = [float(x) for x in bands]
    names = [f"<{_fmt_m(b[0])}"]
    for lo, hi in zip(b, b[1:], strict=False):
        if lo >= 1000 and hi >= 1000:
            names.append(f"{lo / 1000:g}-{hi / 1000:g} km")
        else:
            names.append(f"{_fmt_m(lo)}-{_fmt_m(hi)}")
    names.append(f">{_fmt_m(b[-1])}")
    return names + [UNKNOWN]


def checkin_distance(
    visits: pd.DataFrame,
    terminals: pd.DataFrame,
    *,
    bands: Iterable[float] | None = None,
    far_m: float | None = None,
) -> pd.DataFrame:
    """Distance between each done visit's check-in position and its terminal, in bands.

    Parameters
    ----------
    visits, terminals : DataFrame
        Contract tables (``visits.latitude/longitude`` = check-in position,
        ``terminals.latitude/longitude`` = terminal position).
    bands : list of float, optional
        Increasing breakpoints in metres (default: ``distance_bands_m`` of the standards,
        200 / 1000 / 5000). A distance equal to a breakpoint falls in the upper band.
    far_m : float, optional
        A check-in at least this far counts as far (default ``far_checkin_m``, 1000 m).

    Returns
    -------
    DataFrame
        One row per done visit: ``visit_id, rep_id, terminal_id, visit_date, distance_m``
        (haversine, NaN when a position or the terminal is unknown), ``distance_band``
        (ordered categorical of :func:`band_labels`) and ``far`` (bool; False when unknown).

    Examples
    --------
    >>> v = pd.DataFrame({"rep_id": ["R1", "R1"], "terminal_id": ["T1", "T1"],
    ...                   "check_in": ["2025-01-02 09:00", "2025-01-02 11:00"],
    ...                   "latitude": [30.0, 30.01], "longitude": [120.0, 120.0]})
    >>> t = pd.DataFrame({"terminal_id": ["T1"], "latitude": [30.0], "longitude": [120.0]})
    >>> checkin_distance(v, t)[["distance_m", "distance_band"]].round(0).values.tolist()
    [[0.0, '<200 m'], [1112.0, '1-5 km']]
    """
    std = load_standards() if bands is None or far_m is None else None
    bands = [float(b) for b in (bands if bands is not None else std["distance_bands_m"])]
    if (
        not bands
        or any(b2 <= b1 for b1, b2 in zip(bands, bands[1:], strict=False))
        or bands[0] <= 0
    ):
        raise ValueError(f"bands must be an increasing list of positive metres, got {bands!r}")
    far_m = float(far_m if far_m is not None else std["far_checkin_m"])
    _require(terminals, "terminals", ["terminal_id", "latitude", "longitude"])
    v = prepare_visits(visits)
    v = v[v["done"]]
    t = terminals[["terminal_id", "latitude", "longitude"]].drop_duplicates("terminal_id")
    t = t.rename(columns={"latitude": "t_lat", "longitude": "t_lon"})
    m = v.merge(t, on="terminal_id", how="left")
    dist = haversine_m(m["latitude"], m["longitude"], m["t_lat"], m["t_lon"])
    names = band_labels(bands)
    idx = np.searchsorted(np.asarray(bands), dist, side="right")
    idx = np.where(np.isnan(dist), len(names) - 1, idx)
    out = m[["visit_id", "rep_id", "terminal_id", "visit_date"]].copy()
    out["distance_m"] = dist
    out["distance_band"] = pd.Categorical.from_codes(idx, categories=names, ordered=True)
    out["far"] = np.nan_to_num(dist, nan=-1.0) >= far_m
    return out.reset_index(drop=True)


def distance_summary(
    distances: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    level: str = "rep",
    freq: str | None = None,
) -> pd.DataFrame:
    """Check-in distance bands per group: counts, shares and the far check-in share.

    Parameters
    ----------
    distances : DataFrame
        Output of :func:`checkin_distance`.
    reps : DataFrame, optional
        Needed for ``level="team"`` / ``"region"``.
    level, freq
        See the module docstring.

    Returns
    -------
    DataFrame
        Tidy: one row per group (and period) and band with ``distance_band``, ``visits``,
        ``share`` (of the group's done visits, unknown included), plus ``far_checkin_share``
        (far visits / visits with a known distance; NaN when none is known) and
        ``unknown_share`` repeated on each row of the group.

    Examples
    --------
    >>> d = pd.DataFrame({"rep_id": ["R1", "R1"], "visit_date": pd.to_datetime(["2025-01-02"] * 2),
    ...                   "distance_m": [50.0, 2000.0], "far": [False, True],
    ...                   "distance_band": pd.Categorical(["<200 m", "1-5 km"],
    ...                       categories=band_labels([200, 1000, 5000]), ordered=True)})
    >>> s = distance_summary(d)
    >>> s[["distance_band", "visits", "share"]].values.tolist()[:2]
    [['<200 m', 1, 0.5], ['200 m-1 km', 0, 0.0]]
    >>> float(s["far_checkin_share"].iloc[0])
    0.5
    """
    _check_freq(freq)
    _require(distances, "distances", ["rep_id", "distance_m", "distance_band", "far"])
    d = _attach_group(distances.copy(), reps, level)
    if freq:
        d["period"] = _period_of(pd.to_datetime(d["visit_date"]), freq)
    keys = _keys(level, freq)
    counts = (
        d.groupby(keys + ["distance_band"], dropna=False, observed=False).size().rename("visits")
    )
    counts = counts.reset_index()
    counts = counts[counts[keys].notna().all(axis=1)] if freq else counts
    totals = (
        d.groupby(keys, dropna=False)
        .agg(
            total=("distance_m", "size"),
            known=("distance_m", "count"),
            far_n=("far", "sum"),
        )
        .reset_index()
    )
    out = counts.merge(totals, on=keys, how="inner")
    out["share"] = _ratio(out["visits"], out["total"])
    out["far_checkin_share"] = _ratio(out["far_n"], out["known"])
    out["unknown_share"] = _ratio(out["total"] - out["known"], out["total"])
    out["visits"] = out["visits"].astype("int64")
    return out[keys + ["distance_band", "visits", "share", "far_checkin_share", "unknown_share"]]


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


def attainment(
    rep_sales: pd.DataFrame,
    targets: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    *,
    level: str = "rep",
    freq: str | None = "M",
    start=None,
    end=None,
) -> pd.DataFrame:
    """Target attainment (达成率) and deviation between target and result (目标与结果偏差).

    Parameters
    ----------
    rep_sales : DataFrame
        ``aggregate.rep_sales(ds, freq="M")``: ``rep_id``, ``period`` (``YYYY-MM``), ``revenue``.
    targets : DataFrame
        Contract ``targets`` table (per-customer targets are summed per rep and month).
    reps : DataFrame, optional
        Needed for ``level="team"`` / ``"region"`` (sales and targets are summed, then divided).
    level : {"rep", "team", "region"}
    freq : {"M", "Q", "Y"} or None
        Period of the result; ``None`` sums all months that have a target.
    start, end : date-like, optional
        Keep the months from the month of ``start`` to the month of ``end``.

    Returns
    -------
    DataFrame
        Group, ``period`` (``"all"`` when ``freq=None``), ``revenue`` (credited sales, 0 when
        none), ``target_revenue``, ``attainment`` (revenue / target; NaN when the target is
        missing or 0), ``deviation`` (revenue - target) and ``deviation_pct`` (attainment - 1).
        Only months with a target are compared; sales of months without any target are
        ignored, and reps with sales but no target get ``target_revenue`` NaN.

    Examples
    --------
    >>> s = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "period": ["2025-01", "2025-02", "2025-01"],
    ...                   "revenue": [80.0, 120.0, 50.0]})
    >>> t = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "period": ["2025-01", "2025-02", "2025-01"],
    ...                   "target_revenue": [100.0, 100.0, 100.0]})
    >>> attainment(s, t, freq=None)[["rep_id", "attainment", "deviation"]].values.tolist()
    [['R1', 1.0, 0.0], ['R2', 0.5, -50.0]]
    """
    _check_freq(freq)
    _require(rep_sales, "rep_sales", ["rep_id", "period", "revenue"])
    _require(targets, "targets", ["rep_id", "period", "target_revenue"])
    s = rep_sales[rep_sales["rep_id"].notna()][["rep_id", "period", "revenue"]].copy()
    s["period"] = s["period"].astype(str)
    t = targets[["rep_id", "period", "target_revenue"]].copy()
    t["period"] = t["period"].astype(str)
    if start is not None:
        first = pd.Timestamp(start).strftime("%Y-%m")
        t, s = t[t["period"] >= first], s[s["period"] >= first]
    if end is not None:
        last = pd.Timestamp(end).strftime("%Y-%m")
        t, s = t[t["period"] <= last], s[s["period"] <= last]
    tm = t.groupby(["rep_id", "period"], as_index=False)["target_revenue"].sum()
    sm = s.groupby(["rep_id", "period"], as_index=False)["revenue"].sum()
    target_months = set(tm["period"])
    sm = sm[sm["period"].isin(target_months)]
    m = tm.merge(sm, on=["rep_id", "period"], how="outer")
    m["revenue"] = m["revenue"].fillna(0.0)
    m["period"] = _to_freq_period(m["period"], freq)
    m = _attach_group(m, reps, level)
    keys = [_GROUP_COL[level], "period"]
    out = (
        m.groupby(keys, dropna=False)
        .agg(
            revenue=("revenue", "sum"),
            target_revenue=("target_revenue", lambda x: x.sum(min_count=1)),
        )
        .reset_index()
    )
    out["attainment"] = _ratio(out["revenue"], out["target_revenue"])
    out["deviation"] = out["revenue"] - out["target_revenue"]
    out["deviation_pct"] = out["attainment"] - 1
    return _add_names(out, reps, level)


def deviation_ranking(att: pd.DataFrame, *, by: str = "deviation_pct") -> pd.DataFrame:
    """Rank groups by their deviation from target, biggest shortfall first.

    Parameters
    ----------
    att : DataFrame
        Output of :func:`attainment`.
    by : {"deviation_pct", "deviation"}
        Relative (attainment - 1) or absolute (revenue - target) deviation.

    Returns
    -------
    DataFrame
        ``att`` sorted (rows without a target last) with ``rank`` (1 = furthest below target).

    Examples
    --------
    >>> a = pd.DataFrame({"rep_id": ["R1", "R2", "R3"], "deviation_pct": [0.1, -0.4, -0.1]})
    >>> deviation_ranking(a)[["rep_id", "rank"]].values.tolist()
    [['R2', 1], ['R3', 2], ['R1', 3]]
    """
    if by not in ("deviation_pct", "deviation"):
        raise ValueError(f"by must be 'deviation_pct' or 'deviation', got {by!r}")
    _require(att, "attainment", [by])
    out = att.sort_values(by, kind="mergesort", na_position="last").reset_index(drop=True)
    out["rank"] = np.where(out[by].notna(), np.arange(1, len(out) + 1), -1)
    out["rank"] = out["rank"].astype("int64")
    return out


def _spearman_matrix(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman rho per row of equally shaped 2-D arrays (average ranks for ties)."""
    from scipy.stats import rankdata

    rx = rankdata(x, axis=1)
    ry = rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    den = np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, (rx * ry).sum(axis=1) / den, np.nan)


def discipline_vs_attainment(
    data: pd.DataFrame,
    *,
    x: str = "visit_completion",
    y: str = "attainment",
    ci: float = 0.95,
    min_n: int = 10,
) -> dict:
    """Spearman correlation between a visit-discipline KPI and attainment, with its interval
    and p-value from ONE procedure (Fisher z).

    The interval and the p-value both come from the Fisher transformation ``z = atanh(rho)``
    with the standard error of Spearman's rho ``sqrt(1.06 / (n - 3))`` (Fieller, Hartley and
    Pearson 1957): the interval is ``tanh(z -+ q * se)`` and the p-value the two-sided normal
    tail of ``z / se``. So ``p_value < 1 - ci`` exactly when the interval excludes 0; they can
    never contradict each other.

    Parameters
    ----------
    data : DataFrame
        One row per rep, e.g. :func:`rep_scorecard`; rows where ``x`` or ``y`` is NaN are left
        out (their number is returned as ``excluded``).
    x, y : str
        Columns to correlate.
    ci : float
        Confidence level of the interval (0.95).
    min_n : int
        Minimum number of reps for a conclusion (the client's ``min_sample.correlation``);
        below it ``sufficient`` is False and a report shows a caveat instead of the statistic.

    Returns
    -------
    dict
        ``x, y, n, excluded, rho, p_value, ci_low, ci_high, level`` (= ``ci``), ``method``
        (``"fisher_z"``), ``min_n`` and ``sufficient`` (``n >= min_n`` and rho defined).
        ``rho`` is NaN with fewer than 4 reps or a constant column; interval and p-value are
        NaN then too.

    Examples
    --------
    >>> d = pd.DataFrame({"visit_completion": [0.5, 0.6, 0.7, 0.8, 0.9, 1.0],
    ...                   "attainment": [0.7, 0.8, 0.75, 0.9, 1.1, 1.2]})
    >>> r = discipline_vs_attainment(d)
    >>> round(r["rho"], 3), r["n"], r["ci_low"] <= r["rho"] <= r["ci_high"], r["sufficient"]
    (0.943, 6, True, False)
    """
    from scipy.stats import norm, spearmanr

    _require(data, "data", [x, y])
    if not 0 < ci < 1:
        raise ValueError(f"ci must be in (0, 1), got {ci!r}")
    d = data[[x, y]].apply(pd.to_numeric, errors="coerce")
    d = d.replace([np.inf, -np.inf], np.nan)
    ok = d.notna().all(axis=1)
    xs, ys = d.loc[ok, x].to_numpy(float), d.loc[ok, y].to_numpy(float)
    n = len(xs)
    out = {"x": x, "y": y, "n": n, "excluded": int((~ok).sum()), "rho": np.nan,
           "p_value": np.nan, "ci_low": np.nan, "ci_high": np.nan, "level": float(ci),
           "method": "fisher_z", "min_n": int(min_n), "sufficient": False}  # fmt: skip
    if n < 4 or np.ptp(xs) == 0 or np.ptp(ys) == 0:
        return out
    rho = float(spearmanr(xs, ys).statistic)
    se = math.sqrt(1.06 / (n - 3))
    z = math.atanh(min(max(rho, -1 + 1e-15), 1 - 1e-15))
    q = float(norm.ppf(0.5 + ci / 2))
    out["rho"] = rho
    out["p_value"] = float(2 * norm.sf(abs(z) / se))
    out["ci_low"], out["ci_high"] = math.tanh(z - q * se), math.tanh(z + q * se)
    out["sufficient"] = n >= min_n
    return out


# --------------------------------------------------------------------------------------------
# scorecard


def sales_history_months(sales: pd.DataFrame, start) -> float:
    """Months of sales history in ``sales`` before ``start`` (0 when none; NaN without sales).

    >>> s = pd.DataFrame({"date": pd.to_datetime(["2025-01-01", "2025-09-30"])})
    >>> sales_history_months(s, "2025-10-01")
    9.0
    """
    _require(sales, "sales", ["date"])
    dates = _to_datetime(sales["date"], "sales", "date")
    if dates.notna().sum() == 0:
        return float("nan")
    first = dates.min().normalize()
    lo = pd.Timestamp(start).normalize()
    if first >= lo:
        return 0.0
    months = (lo.year - first.year) * 12 + (lo.month - first.month)
    # a part month counts as the share of its days (1 Jan -> 1 Oct = 9.0 months)
    return float(months + (lo.day - first.day) / 30.4375)


def new_terminal_list(
    sales: pd.DataFrame,
    terminals: pd.DataFrame | None = None,
    *,
    start,
    end,
    history_months: float = 6,
) -> pd.DataFrame:
    """The terminals opened in ``[start, end]``: first sales line in the window, with at least
    ``history_months`` of sales history before ``start`` to know that they are new.

    A terminal is *new* when its first sales line in ``sales`` (pass the whole sales history,
    not only the window) falls in the window. Without enough history before the window every
    terminal would look new, so the list is then not computed: the result is empty and
    ``attrs["available"]`` is False (``attrs["history_months"]`` says how much history there
    is). The new terminal is credited to the rep of its first sales line (``sales.rep_id``),
    else to the rep responsible for it (``terminals.rep_id``).

    Parameters
    ----------
    sales : DataFrame
        Sales lines (``date``, ``terminal_id``, ``revenue``; ``rep_id`` optional).
    terminals : DataFrame, optional
        Terminal master (``terminal_id``, ``rep_id``) for the responsible rep.
    start, end : date-like
        The window (both days included).
    history_months : float
        Minimum months of sales history before ``start`` (``new_terminal_history_months`` of
        the visit standards).

    Returns
    -------
    DataFrame
        ``terminal_id, rep_id, first_sale, revenue`` (sales in the window), one row per new
        terminal, ordered by first sale; ``attrs["available"]`` and ``attrs["history_months"]``.

    Examples
    --------
    >>> s = pd.DataFrame({"terminal_id": ["T1", "T1", "T2"], "rep_id": ["R1", "R1", "R2"],
    ...     "date": pd.to_datetime(["2025-01-05", "2025-10-03", "2025-10-04"]),
    ...     "revenue": [10.0, 20.0, 30.0]})
    >>> new = new_terminal_list(s, start="2025-10-01", end="2025-12-31", history_months=6)
    >>> new[["terminal_id", "rep_id", "revenue"]].values.tolist(), new.attrs["available"]
    ([['T2', 'R2', 30.0]], True)
    """
    _require(sales, "sales", ["date", "terminal_id"])
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    cols = ["terminal_id", "rep_id", "first_sale", "revenue"]
    history = sales_history_months(sales, lo)
    available = bool(np.isfinite(history) and history >= history_months - 1e-9)
    empty = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "first_sale" else
                                       "float64" if c == "revenue" else object) for c in cols})  # fmt: skip
    if not available:
        empty.attrs.update(available=False, history_months=history)
        return empty
    s = sales[sales["terminal_id"].notna()].copy()
    s["date"] = _to_datetime(s["date"], "sales", "date")
    if "rep_id" not in s.columns:
        s["rep_id"] = np.nan
    if "revenue" not in s.columns:
        s["revenue"] = 0.0
    s = s.sort_values(["date", "terminal_id"], kind="mergesort")
    first = s.drop_duplicates("terminal_id")
    day = first["date"].dt.normalize()
    first = first[(day >= lo) & (day <= hi)]
    window = s[(s["date"].dt.normalize() >= lo) & (s["date"].dt.normalize() <= hi)]
    rev = window.groupby("terminal_id")["revenue"].sum()
    out = pd.DataFrame(
        {
            "terminal_id": first["terminal_id"].to_numpy(),
            "rep_id": first["rep_id"].astype(object).to_numpy(),
            "first_sale": first["date"].dt.normalize().to_numpy(),
        }
    )
    if terminals is not None and "rep_id" in terminals.columns:
        resp = terminals.drop_duplicates("terminal_id").set_index("terminal_id")["rep_id"]
        out["rep_id"] = out["rep_id"].where(out["rep_id"].notna(), out["terminal_id"].map(resp))
    out["revenue"] = out["terminal_id"].map(rev).fillna(0.0).astype("float64")
    out.attrs.update(available=True, history_months=history)
    return out[cols].reset_index(drop=True)


def new_terminals(
    sales: pd.DataFrame,
    terminals: pd.DataFrame | None = None,
    *,
    start,
    end,
    history_months: float = 6,
    freq: str | None = None,
) -> pd.DataFrame:
    """New terminals per rep (and period): counts of :func:`new_terminal_list`.

    A terminal is new when its first sales line falls in ``[start, end]`` and the sales data
    reach at least ``history_months`` before ``start``; otherwise the count is unknown and the
    result is empty with ``attrs["available"]`` False (a scorecard then shows NaN, never 0).

    Returns
    -------
    DataFrame
        ``rep_id`` (+ ``period`` of the first sale), ``new_terminals`` (count);
        ``attrs["available"]``.

    Examples
    --------
    >>> s = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "rep_id": ["R1", "R1", "R2"],
    ...     "date": pd.to_datetime(["2025-01-05", "2025-10-03", "2025-11-04"])})
    >>> new_terminals(s, start="2025-10-01", end="2025-12-31", freq="M").values.tolist()
    [['R1', '2025-10', 1], ['R2', '2025-11', 1]]
    """
    _check_freq(freq)
    new = new_terminal_list(sales, terminals, start=start, end=end, history_months=history_months)
    keys = ["rep_id"] + (["period"] if freq else [])
    if freq:
        new["period"] = _period_of(new["first_sale"], freq)
    out = new[new["rep_id"].notna()].groupby(keys).size().rename("new_terminals").reset_index()
    out["new_terminals"] = out["new_terminals"].astype("int64")
    out.attrs.update(new.attrs)
    return out


def _score(card: pd.DataFrame, std: dict) -> pd.Series:
    weights = std["scorecard_weights"]
    if not weights:
        return pd.Series(np.nan, index=card.index)
    num = pd.Series(0.0, index=card.index)
    den = pd.Series(0.0, index=card.index)
    for k, w in weights.items():
        x = card[k].astype("float64")
        if k == "far_checkin_share":
            x = 1 - x
        elif k == "attainment":
            x = x.clip(lower=0, upper=std["attainment_cap"]) / std["attainment_cap"]
        elif k in std["reference"]:
            x = (x / std["reference"][k]).clip(upper=1)
        elif k == "new_terminals":
            top = x.max()
            x = x / top if top and top > 0 else x * 0
        x = x.clip(0, 1)
        has = x.notna()
        num += np.where(has, w * x.fillna(0), 0.0)
        den += np.where(has, w, 0.0)
    # A rep measured on only a few KPIs (e.g. a manager without terminals of his own) gets no
    # score rather than a high one on what little is measured: ranking him would mislead.
    basis = den / sum(weights.values())
    return (100 * num / den).where((den > 0) & (basis >= std.get("min_score_basis", 0.0) - 1e-12))


def rep_scorecard(
    visits: pd.DataFrame,
    terminals: pd.DataFrame,
    reps: pd.DataFrame | None = None,
    targets: pd.DataFrame | None = None,
    rep_sales: pd.DataFrame | None = None,
    terminal_sales: pd.DataFrame | None = None,
    *,
    freq: str | None = None,
    start=None,
    end=None,
    weights: Mapping | None = None,
    standards: Mapping | None = None,
    top_share: float | None = None,
    bands: Iterable[float] | None = None,
    far_m: float | None = None,
    grades: pd.DataFrame | None = None,
    standards_path: str | Path | None = None,
    sales: pd.DataFrame | None = None,
    top_terminals=None,
) -> pd.DataFrame:
    """One row per rep (per period with ``freq``): the behaviour KPIs and attainment.

    Usable as the behaviour KPIs of an incentive plan (the column names are a contract:
    :data:`SCORECARD_KPIS`).

    Parameters
    ----------
    visits, terminals : DataFrame
        Contract tables.
    reps : DataFrame, optional
        Adds ``rep_name``, ``team_id``, ``region``; every rep of ``reps`` gets a row, visited or
        not.
    targets, rep_sales : DataFrame, optional
        Contract ``targets`` and ``aggregate.rep_sales(ds, freq="M")`` for ``attainment``
        (NaN when either is missing), over the months the window touches.
    terminal_sales : DataFrame, optional
        ``aggregate.terminal_sales(ds)``: terminal volumes (and the top terminals when
        ``top_terminals`` is not given).
    freq : {"M", "Q", "Y"}, optional
        One row per rep and period of the window (time measures by the period of the working
        day, visit completion by the period of the planned date).
    start, end : date-like, optional
        Window of the visits, the frequency standard, new terminals and attainment months
        (default: first to last visit date).
    weights : dict, optional
        KPI -> weight of the overall ``score`` (default ``scorecard_weights`` of the standards).
    standards, top_share, bands, far_m, grades, standards_path
        Passed to :func:`load_standards`, :func:`frequency_vs_standard` and
        :func:`checkin_distance`.
    sales : DataFrame, optional
        The sales lines (whole history, not only the window) for ``new_terminals``: terminals
        whose first sales line falls in the window, when the sales reach at least
        ``new_terminal_history_months`` before it (:func:`new_terminal_list`). Without them,
        or without enough history, ``new_terminals`` is NaN (unknown), never a count of
        visited terminals.
    top_terminals : DataFrame or iterable of str, optional
        The client's shared top-terminal set (:func:`ars_analysis.compose.top_terminals` on
        the whole dataset). :func:`scorecard_from_dataset` passes it; without it the top
        terminals are ranked here from ``terminal_sales`` with ``top_share``.

    Returns
    -------
    DataFrame
        ``rep_id`` (+ ``period``), ``rep_name, team_id, region`` (when ``reps`` is given), then
        ``visit_completion``, ``visit_order_rate``, ``top_terminal_coverage``,
        ``frequency_compliance`` (shares 0-1), ``avg_time_in_store_min``, ``visits_per_day``,
        ``far_checkin_share`` (0-1), ``new_terminals`` (count, float: NaN when unknown),
        ``attainment``, ``score``
        (0-100, weighted mean of the KPIs scaled to 0-1 as explained in the standards file,
        over the KPIs the rep has; empty when those carry less than ``min_score_basis`` of the
        weights, e.g. a manager without terminals of his own), plus context: ``planned_visits``, ``done_visits``,
        ``unplanned_visits``, ``excluded_visits`` (left out of time measures),
        ``revenue``, ``target_revenue``.

    Examples
    --------
    >>> v = pd.DataFrame({"rep_id": ["R1", "R1"], "terminal_id": ["T1", "T2"],
    ...     "planned_date": ["2025-01-02", "2025-01-02"],
    ...     "check_in": ["2025-01-02 09:00", None], "check_out": ["2025-01-02 09:20", None],
    ...     "activities": ["order", None], "latitude": [30.0, None], "longitude": [120.0, None]})
    >>> t = pd.DataFrame({"terminal_id": ["T1", "T2"], "rep_id": ["R1", "R1"],
    ...                   "latitude": [30.0, 30.1], "longitude": [120.0, 120.1]})
    >>> card = rep_scorecard(v, t)
    >>> card[["visit_completion", "visit_order_rate", "avg_time_in_store_min"]].values.tolist()
    [[0.5, 0.5, 20.0]]
    """
    _check_freq(freq)
    std = load_standards(
        standards_path,
        frequency=dict(standards) if standards is not None else None,
        top_share=top_share,
    )
    if weights is not None:
        std["scorecard_weights"] = _check_weights(weights)
    if bands is not None:
        std["distance_bands_m"] = [float(b) for b in bands]
    if far_m is not None:
        std["far_checkin_m"] = float(far_m)
    keys = ["rep_id"] + (["period"] if freq else [])

    vis = prepare_visits(visits)
    if start is not None or end is not None:
        lo, hi = _window(vis, start, end)
        in_window = (vis["visit_date"] >= lo) & (vis["visit_date"] <= hi)
    else:
        in_window = pd.Series(True, index=vis.index)
        lo, hi = _window(vis, None, None)
    vw = vis[in_window]

    comp = visit_compliance(vw, freq=freq)
    tu = time_use(vw, freq=freq)
    dist = distance_summary(
        checkin_distance(vw, terminals, bands=std["distance_bands_m"], far_m=std["far_checkin_m"]),
        freq=freq,
    )
    dist = dist.drop_duplicates(keys)[keys + ["far_checkin_share"]]
    fq = frequency_vs_standard(
        vw, terminals, terminal_sales, grades=grades, standards=std["frequency"],
        top_share=std["top_share"], freq=freq, start=lo, end=hi, top=top_terminals,
    )  # fmt: skip
    fs = frequency_summary(fq)
    if sales is not None:
        nt = new_terminals(sales, terminals, start=lo, end=hi, freq=freq,
                           history_months=std["new_terminal_history_months"])  # fmt: skip
    else:
        nt = pd.DataFrame({k: pd.Series(dtype=object) for k in keys})
        nt["new_terminals"] = pd.Series(dtype="int64")
        nt.attrs["available"] = False
    nt_available = bool(nt.attrs.get("available", False))

    # the frame of rows: every rep seen anywhere (and every period with visits)
    frames = [comp[keys], tu[keys], fs[keys]] + ([nt[keys]] if len(nt) else [])
    base = pd.concat(frames).drop_duplicates()
    base = base[base["rep_id"] != UNKNOWN]
    if freq:  # only the periods of the window (a visit planned for it may be done just outside)
        base = base[base["period"].isin(_period_bounds(lo, hi, freq)["period"])]
    if reps is not None:
        _require(reps, "reps", ["rep_id"])
        if freq:
            periods = sorted(set(base["period"].dropna()))
            extra = (
                reps[["rep_id"]]
                .drop_duplicates()
                .merge(pd.DataFrame({"period": periods}), how="cross")
            )
        else:
            extra = reps[["rep_id"]].drop_duplicates()
        base = pd.concat([base, extra]).drop_duplicates()
    card = base.merge(comp, on=keys, how="left")
    card = card.merge(
        tu[keys + ["avg_time_in_store_min", "visits_per_day", "excluded_visits"]],
        on=keys,
        how="left",
    )
    card = card.merge(dist, on=keys, how="left")
    card = card.merge(
        fs[keys + ["top_terminal_coverage", "frequency_compliance"]], on=keys, how="left"
    )
    card = card.merge(nt, on=keys, how="left")
    card["new_terminals"] = (
        card["new_terminals"].fillna(0).astype("float64") if nt_available else np.nan
    )
    card["excluded_visits"] = card["excluded_visits"].fillna(0).astype("int64")
    for c in ("planned_visits", "done_visits", "unplanned_visits"):
        card[c] = card[c].fillna(0).astype("int64")

    if targets is not None and rep_sales is not None:
        att = attainment(rep_sales, targets, freq=freq, start=lo, end=hi)
        if not freq:
            att = att.drop(columns="period")
        card = card.merge(
            att[keys + ["revenue", "target_revenue", "attainment"]], on=keys, how="left"
        )
    else:
        card["revenue"] = np.nan
        card["target_revenue"] = np.nan
        card["attainment"] = np.nan
    card["score"] = _score(card, std)

    info_cols: list[str] = []
    if reps is not None:
        info = _rep_info(reps)
        card = card.merge(info, on="rep_id", how="left")
        info_cols = [c for c in ("rep_name", "team_id", "region") if c in card.columns]
    cols = (
        keys
        + info_cols
        + list(SCORECARD_KPIS)
        + [
            "score",
            "planned_visits",
            "done_visits",
            "unplanned_visits",
            "excluded_visits",
            "revenue",
            "target_revenue",
        ]
    )
    return card[cols].sort_values(keys, kind="mergesort").reset_index(drop=True)


def scorecard_from_dataset(dataset, *, top_terminal=None, **kwargs) -> pd.DataFrame:
    """:func:`rep_scorecard` of a loaded :class:`~ars_analysis.data.dataset.Dataset`.

    Reads ``visits``, ``terminals``, ``reps``, ``targets`` and the sales lines (for new
    terminals) from the dataset, the sales aggregates from
    :func:`ars_analysis.compose.aggregate.rep_sales` (monthly) and
    :func:`ars_analysis.compose.aggregate.terminal_sales`, and the shared top terminals from
    :func:`ars_analysis.compose.top_terminals` with ``top_terminal`` (the client's
    ``definitions.top_terminal``; default: top 20 % within each region). Pass the whole
    dataset (all regions) and filter the rows: the top terminals are defined on all data.
    ``kwargs`` go to :func:`rep_scorecard`.
    """
    from ars_analysis.compose import aggregate
    from ars_analysis.compose import top_terminals as _shared_top

    tables = dataset.tables
    if tables.get("visits") is None:
        raise ValueError("the dataset has no 'visits' table: field execution needs the visit log")
    has_sales = tables.get("sales") is not None and len(tables["sales"])
    return rep_scorecard(
        tables["visits"],
        tables["terminals"],
        tables.get("reps"),
        tables.get("targets"),
        aggregate.rep_sales(dataset, freq="M") if has_sales else None,
        aggregate.terminal_sales(dataset) if has_sales else None,
        **{
            "sales": tables["sales"] if has_sales else None,
            "top_terminals": _shared_top(dataset, top_terminal) if has_sales else None,
            **kwargs,
        },
    )


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


# --------------------------------------------------------------------------------------------
# the analysis of a report


@dataclass
class FieldExecution:
    """Everything report 04 shows, for one scope (national or a region), in one vocabulary.

    Built by :func:`analyse_field_execution`; numbers and frames only (no wording, no
    language). Rep measures are those of the reps of the scope, terminal measures those of the
    terminals of the scope; both are computed on the whole dataset and then filtered, so a
    region's numbers are the same in the national and in the regional report.
    """

    region: object
    sales_period: tuple | None
    visit_period: tuple
    standards: dict
    reps: pd.DataFrame
    n_reps: int
    top: pd.DataFrame
    top_terminal_ids: list
    completion: pd.DataFrame
    completion_by_region: pd.DataFrame
    completion_total: dict
    distances: pd.DataFrame
    distance_by_region: pd.DataFrame
    distance_total: dict
    frequency: pd.DataFrame
    frequency_by_region: pd.DataFrame
    frequency_total: dict
    core_coverage: pd.DataFrame | None
    core_total: dict | None
    activities: pd.DataFrame
    activities_by_region: pd.DataFrame
    times: pd.DataFrame
    time_total: dict
    attainment: pd.DataFrame
    attainment_total: dict
    scorecard: pd.DataFrame
    correlation: dict
    issues: pd.DataFrame
    coaching: pd.DataFrame
    unvisited_top: pd.DataFrame
    new_terminals: pd.DataFrame
    new_terminals_available: bool
    history_months: float

    def results(self) -> dict:
        """The key numbers for ``results.json`` (tests and cross-report checks; never shown)."""

        def r(v, d=4):
            return None if v is None or pd.isna(v) else round(float(v), d)

        ct, ft, tt = self.completion_total, self.frequency_total, self.time_total
        return {
            "visit_completion": r(ct.get("visit_completion")),
            "visit_order_rate": r(ct.get("visit_order_rate")),
            "far_checkin_share": r(self.distance_total["far_checkin_share"]),
            "top_terminal_coverage": r(ft.get("top_terminal_coverage")),
            "frequency_compliance": r(ft.get("frequency_compliance")),
            "top_frequency_compliance": r(ft.get("top_frequency_compliance")),
            "avg_time_in_store_min": r(tt.get("avg_time_in_store_min"), 2),
            "visits_per_day": r(tt.get("visits_per_day"), 3),
            "attainment": r(self.attainment_total["attainment"]),
            "spearman_rho": r(self.correlation["rho"]),
            "spearman_p": r(self.correlation["p_value"]),
            "correlation_n": int(self.correlation["n"]),
            "n_problem_visits": int(len(self.issues)),
            "n_reps": int(self.n_reps),
            "top_terminal_ids": list(self.top_terminal_ids),
            "n_top_terminals": len(self.top_terminal_ids),
            "frequency_compliance_by_region": self.frequency_compliance_by_region,
            "n_unvisited_top_terminals": int(len(self.unvisited_top)),
            "n_reps_to_coach": int(self.coaching["rep_id"].nunique()),
            "n_new_terminals": int(len(self.new_terminals)) if self.new_terminals_available
            else None,
            "visit_period": [f"{d:%Y-%m-%d}" for d in self.visit_period],
        }  # fmt: skip

    @property
    def frequency_compliance_by_region(self) -> dict:
        """{region: share of the region's terminals meeting the visit-frequency standard}."""
        f = self.frequency_by_region
        return {str(r): float(v) for r, v in zip(f["region"], f["frequency_compliance"],
                                                 strict=True) if pd.notna(v)}  # fmt: skip


def _in_scope(values: pd.Series, region) -> pd.Series:
    if region is None:
        return pd.Series(True, index=values.index)
    regions = [region] if isinstance(region, str) else list(region)
    return values.isin(regions)


def _first_row(frame: pd.DataFrame) -> dict:
    return frame.iloc[0].to_dict() if len(frame) else {}


def _frequency_by_region(freq: pd.DataFrame) -> pd.DataFrame:
    f = freq.assign(
        is_top=freq["grade"] == "top",
        top_visited=(freq["grade"] == "top") & freq["visited"],
        top_meets=(freq["grade"] == "top") & freq["meets_standard"],
    )
    f["region"] = f["region"].astype(object).where(f["region"].notna(), UNKNOWN)
    out = (
        f.groupby("region", sort=True)
        .agg(
            n_terminals=("terminal_id", "size"),
            terminals_meeting_standard=("meets_standard", "sum"),
            n_top_terminals=("is_top", "sum"),
            top_terminals_visited=("top_visited", "sum"),
            top_meeting_standard=("top_meets", "sum"),
        )
        .reset_index()
    )
    for c in out.columns[1:]:
        out[c] = out[c].astype("int64")
    out["frequency_compliance"] = _ratio(out["terminals_meeting_standard"], out["n_terminals"])
    out["top_terminal_coverage"] = _ratio(out["top_terminals_visited"], out["n_top_terminals"])
    out["top_frequency_compliance"] = _ratio(out["top_meeting_standard"], out["n_top_terminals"])
    return out


def _coaching(card: pd.DataFrame, coaching: dict, stake: pd.Series) -> pd.DataFrame:
    rows = []
    for kpi, (direction, standard) in coaching.items():
        vals = card[kpi].astype("float64")
        below = vals < standard if direction == "min" else vals > standard
        for i in card.index[below.fillna(False)]:
            rows.append(
                {
                    "rep_id": card.at[i, "rep_id"],
                    "kpi": kpi,
                    "value": float(vals[i]),
                    "standard": standard,
                    "direction": direction,
                    "gap": float(vals[i] - standard),
                }
            )
    out = pd.DataFrame(rows, columns=["rep_id", "kpi", "value", "standard", "direction", "gap"])
    info = card[["rep_id"] + [c for c in ("rep_name", "region") if c in card.columns]]
    out = out.merge(info, on="rep_id", how="left")
    out["stake"] = out["rep_id"].map(stake).fillna(0.0).astype("float64")
    out["n_kpis_below"] = out.groupby("rep_id")["kpi"].transform("size").astype("int64")
    cols = ["rep_id", "rep_name", "region", "kpi", "value", "standard", "direction", "gap",
            "n_kpis_below", "stake"]  # fmt: skip
    out = out.reindex(columns=cols)
    return out.sort_values(
        ["stake", "rep_id", "kpi"], ascending=[False, True, True], kind="mergesort"
    ).reset_index(drop=True)


def _core_coverage(visits, terminals, customers, core_customers, region):
    """Distinct core customers of the scope (by the customer's region) and how many had a done
    visit (to the distributor itself or to one of its terminals, by any rep)."""
    core = pd.DataFrame({"customer_id": sorted(set(map(str, core_customers)))})
    if customers is not None and "region" in customers.columns:
        where = customers.drop_duplicates("customer_id").set_index("customer_id")["region"]
    elif {"customer_id", "region"} <= set(terminals.columns):
        where = (
            terminals.dropna(subset=["customer_id"])
            .groupby("customer_id")["region"]
            .agg(lambda r: r.mode().iloc[0])
        )
    else:
        where = pd.Series(dtype=object)
    core["region"] = core["customer_id"].map(where)
    core = core[_in_scope(core["region"], region)]
    done = visits[visits["done"]]
    seen = set(done["customer_id"].dropna().astype(str))
    if "customer_id" in terminals.columns:
        owner = terminals.drop_duplicates("terminal_id").set_index("terminal_id")["customer_id"]
        seen |= set(done["terminal_id"].map(owner).dropna().astype(str))
    core["visited"] = core["customer_id"].isin(seen)
    by_region = (
        core.assign(region=core["region"].astype(object).where(core["region"].notna(), UNKNOWN))
        .groupby("region", as_index=False)
        .agg(n_core_customers=("customer_id", "size"), core_customers_visited=("visited", "sum"))
    )
    by_region["core_customers_visited"] = by_region["core_customers_visited"].astype("int64")
    by_region["core_customer_coverage"] = _ratio(
        by_region["core_customers_visited"], by_region["n_core_customers"]
    )
    n, v = int(len(core)), int(core["visited"].sum())
    total = {
        "n_core_customers": n,
        "core_customers_visited": v,
        "core_customer_coverage": v / n if n else np.nan,
    }
    return by_region, total


def analyse_field_execution(
    dataset,
    cfg=None,
    *,
    region=None,
    standards_path: str | Path | None = None,
    frequency: Mapping | None = None,
    far_checkin_m: float | None = None,
    sales_history: pd.DataFrame | None = None,
    core_customers: Iterable[str] | None = None,
) -> FieldExecution:
    """Field execution of one report scope: every measure report 04 shows.

    Parameters
    ----------
    dataset : Dataset
        The client's data for the analysis period, ALL regions (``subset(ds, start=, end=)``;
        never filtered by region: definitions such as the top terminals and the visit window
        are computed on all data, then the results are filtered to ``region``).
    cfg : ClientConfig, optional
        The client configuration (top-terminal definition, minimum sample sizes); default the
        sample client's.
    region : str or list of str, optional
        The report's scope; ``None`` = national.
    standards_path, frequency, far_checkin_m
        The visit standards file (default the shipped ``visit_standards.yml``) and overrides
        of its frequency per grade and far check-in distance.
    sales_history : DataFrame, optional
        Sales lines before the analysis period too (the loaded dataset's ``sales``), so that
        new terminals can be told apart from old ones; default ``dataset.sales``.
    core_customers : iterable of str, optional
        IDs of the core customers (defined on the whole dataset); without them the core
        customer coverage is not measured.

    Returns
    -------
    FieldExecution

    Examples
    --------
    >>> from ars_analysis import load_dataset  # doctest: +SKIP
    >>> res = analyse_field_execution(load_dataset("data/sample"), region="华南")  # doctest: +SKIP
    >>> res.n_reps, res.visit_period  # doctest: +SKIP
    """
    from ars_analysis.client import load_client_config
    from ars_analysis.compose import aggregate, top_terminals

    cfg = cfg if cfg is not None else load_client_config()
    tables = dataset.tables
    if tables.get("visits") is None or tables.get("terminals") is None:
        raise ValueError("field execution needs the 'visits' and 'terminals' tables")
    std = load_standards(standards_path, frequency=frequency, far_checkin_m=far_checkin_m)
    visits, terminals = prepare_visits(tables["visits"]), tables["terminals"]
    reps = tables.get("reps")
    lo, hi = _window(visits, None, None)
    sales = tables.get("sales")
    has_sales = sales is not None and len(sales) > 0
    history = sales_history if sales_history is not None else sales

    # reps, terminals and visits of the scope
    rep_info = _rep_info(reps) if reps is not None else pd.DataFrame(
        {"rep_id": sorted(visits["rep_id"].dropna().unique()), "team_id": np.nan, "region": np.nan}
    )  # fmt: skip
    if "rep_name" not in rep_info.columns:
        rep_info["rep_name"] = rep_info["rep_id"]
    scope_reps = rep_info[_in_scope(rep_info["region"], region)].reset_index(drop=True)
    rep_ids = set(scope_reps["rep_id"])
    t_region = (
        terminals.drop_duplicates("terminal_id").set_index("terminal_id")["region"]
        if "region" in terminals.columns
        else pd.Series(dtype=object)
    )
    scope_visits = visits if region is None else visits[visits["rep_id"].isin(rep_ids)]

    # the ONE top-terminal set (whole dataset), then the scope's part
    top_all = top_terminals(dataset, cfg.definitions.top_terminal)
    top = top_all[_in_scope(top_all["region"], region)].reset_index(drop=True)
    if "terminal_name" in terminals.columns:
        names = terminals.drop_duplicates("terminal_id").set_index("terminal_id")["terminal_name"]
        top.insert(1, "terminal_name", top["terminal_id"].map(names))
    top_ids = sorted(top.loc[top["is_top"], "terminal_id"].astype(str))

    # went where
    comp = visit_compliance(visits, reps)
    comp = comp[comp["rep_id"].isin(rep_ids)].reset_index(drop=True)
    comp_region = (
        visit_compliance(visits, reps, level="region") if reps is not None else comp.iloc[:0]
    )
    comp_region = comp_region[_in_scope(comp_region["region"], region)].reset_index(drop=True)
    comp_total = _first_row(visit_compliance(scope_visits, level="all"))
    comp_total["n_reps_measured"] = int((comp["planned_visits"] > 0).sum())
    dist = checkin_distance(
        scope_visits, terminals, bands=std["distance_bands_m"], far_m=std["far_checkin_m"]
    )
    dist_region = (
        distance_summary(dist, reps, level="region") if reps is not None else dist.iloc[:0]
    )
    dist_region = dist_region[_in_scope(dist_region["region"], region)].reset_index(drop=True)
    known = dist["distance_m"].notna()
    dist_total = {
        "done_visits": int(len(dist)),
        "known": int(known.sum()),
        "far": int(dist["far"].sum()),
        "far_checkin_share": float(dist["far"].sum() / known.sum()) if known.any() else np.nan,
        "unknown_share": float((~known).mean()) if len(dist) else np.nan,
        "far_checkin_m": std["far_checkin_m"],
    }

    # met whom: every terminal, visits by any rep, over the whole visit window
    fq = frequency_vs_standard(
        visits, terminals, standards=std["frequency"], start=lo, end=hi, top=top_all
    )
    fq["region"] = fq["terminal_id"].map(t_region)
    fq = fq[_in_scope(fq["region"], region)].reset_index(drop=True)
    fq_region = _frequency_by_region(fq)
    tot = _frequency_by_region(fq.assign(region="all"))
    fq_total = _first_row(tot)
    core_cov = core_total = None
    if core_customers is not None:
        core_cov, core_total = _core_coverage(
            visits, terminals, tables.get("customers"), core_customers, region
        )

    # did what, time use
    acts = activity_shares(scope_visits, level="all")
    acts_region = (
        activity_shares(visits, reps, level="region") if reps is not None else acts.iloc[:0]
    )
    acts_region = acts_region[_in_scope(acts_region["region"], region)].reset_index(drop=True)
    times = visit_times(scope_visits)
    time_total = _first_row(time_use(scope_visits, level="all"))

    # target vs result, over the months of the visit window
    card = rep_scorecard(
        visits, terminals, reps, tables.get("targets"),
        aggregate.rep_sales(dataset, freq="M") if has_sales else None,
        aggregate.terminal_sales(dataset) if has_sales else None,
        start=lo, end=hi, standards_path=standards_path, standards=std["frequency"],
        far_m=std["far_checkin_m"], sales=history if has_sales else None, top_terminals=top_all,
    )  # fmt: skip
    card = card[card["rep_id"].isin(rep_ids)].reset_index(drop=True)
    att = card[["rep_id"] + [c for c in ("rep_name", "region") if c in card.columns]
               + ["revenue", "target_revenue", "attainment"]].copy()  # fmt: skip
    att["deviation"] = att["revenue"] - att["target_revenue"]
    att["deviation_pct"] = att["attainment"] - 1
    att = deviation_ranking(att)
    rev, tgt = att["revenue"].sum(), att["target_revenue"].sum(min_count=1)
    att_total = {
        "revenue": float(rev),
        "target_revenue": float(tgt) if pd.notna(tgt) else np.nan,
        "attainment": float(rev / tgt) if pd.notna(tgt) and tgt > 0 else np.nan,
        "reps_below_target": int((att["attainment"] < 1).sum()),
        "reps_with_target": int(att["attainment"].notna().sum()),
        "first_month": lo.strftime("%Y-%m"),
        "last_month": hi.strftime("%Y-%m"),
    }
    link = discipline_vs_attainment(card, min_n=cfg.min_sample.correlation)

    # actions: reps to coach, top terminals not visited
    if has_sales and "rep_id" in terminals.columns:
        in_window = sales[(sales["date"] >= lo) & (sales["date"] < hi + pd.Timedelta(days=1))]
        resp = terminals.drop_duplicates("terminal_id").set_index("terminal_id")["rep_id"]
        stake = in_window.groupby(in_window["terminal_id"].map(resp))["revenue"].sum()
    else:
        stake = pd.Series(dtype="float64")
    coaching = _coaching(card, std["coaching"], stake)
    unvisited = fq[(fq["grade"] == "top") & ~fq["visited"]][["terminal_id", "region", "rep_id"]]
    unvisited = unvisited.merge(top[["terminal_id", "revenue"]], on="terminal_id", how="left")
    if "terminal_name" in top.columns:
        unvisited = _with_names(unvisited, top, "terminal_id", "terminal_name")
    unvisited = unvisited.merge(rep_info[["rep_id", "rep_name"]], on="rep_id", how="left")
    unvisited = unvisited.sort_values(
        ["revenue", "terminal_id"], ascending=[False, True]
    ).reset_index(drop=True)
    new = (
        new_terminal_list(history, terminals, start=lo, end=hi,
                          history_months=std["new_terminal_history_months"])
        if has_sales else pd.DataFrame(columns=["terminal_id", "rep_id", "first_sale", "revenue"])
    )  # fmt: skip
    available = bool(new.attrs.get("available", False))
    if available:
        new = new[new["rep_id"].isin(rep_ids)].reset_index(drop=True)

    return FieldExecution(
        region=region,
        sales_period=dataset.period,
        visit_period=(lo, hi),
        standards=std,
        reps=scope_reps,
        n_reps=int(len(scope_reps)),
        top=top,
        top_terminal_ids=top_ids,
        completion=comp,
        completion_by_region=comp_region,
        completion_total=comp_total,
        distances=dist,
        distance_by_region=dist_region,
        distance_total=dist_total,
        frequency=fq,
        frequency_by_region=fq_region,
        frequency_total=fq_total,
        core_coverage=core_cov,
        core_total=core_total,
        activities=acts,
        activities_by_region=acts_region,
        times=times,
        time_total=time_total,
        attainment=att,
        attainment_total=att_total,
        scorecard=card,
        correlation=link,
        issues=visit_issues(scope_visits, reps, terminals),
        coaching=coaching,
        unvisited_top=unvisited,
        new_terminals=new,
        new_terminals_available=available,
        history_months=float(new.attrs.get("history_months", np.nan)),
    )


def _with_names(table: pd.DataFrame, names: pd.DataFrame, id_col: str, name_col: str):
    lookup = names.drop_duplicates(id_col).set_index(id_col)[name_col]
    out = table.copy()
    out.insert(out.columns.get_loc(id_col) + 1, name_col, out[id_col].map(lookup))
    return out
