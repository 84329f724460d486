"""Met whom, at the distributors: visits to distributors (core-customer service by advisors and
managers) against a standard per distributor grade.

A distributor visit is a visit log row with a distributor (``customer_id``) and no terminal.
Over a window of ``D`` days a distributor of a grade with a standard interval ``i`` days needs
``max(1, floor(D / i))`` done visits (the rule of terminal visits,
:func:`~.frequency.frequency_vs_standard`), by any rep.

Examples
--------
>>> v = pd.DataFrame({"rep_id": ["M", "M", "M"], "terminal_id": [None, None, "T1"],
...     "customer_id": ["C1", "C1", None],
...     "check_in": ["2025-01-02 09:00", "2025-01-20 09:00", "2025-01-03 10:00"]})
>>> g = pd.DataFrame({"customer_id": ["C1", "C2"], "grade": ["A", "B"]})
>>> d = distributor_visits(v, g, {"A": 14, "B": 30.4375}, start="2025-01-01", end="2025-01-31")
>>> d[["customer_id", "required_visits", "visits_done", "meets_standard"]].values.tolist()
[['C1', 2, 2, True], ['C2', 1, 0, False]]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ars_analysis.fieldforce.common import _ratio, _require, prepare_visits
from ars_analysis.fieldforce.frequency import _window


def distributor_visits(
    visits: pd.DataFrame,
    grades: pd.DataFrame,
    intervals: Mapping[str, float],
    *,
    start=None,
    end=None,
) -> pd.DataFrame:
    """Done visits per distributor against the standard of its grade.

    Parameters
    ----------
    visits : DataFrame
        Contract visit log (``rep_id, terminal_id, customer_id, check_in``).
    grades : DataFrame
        ``customer_id, grade`` (+ optional ``customer_name, region, revenue``): every
        distributor to measure. Distributors of a grade without a standard are not measured.
    intervals : dict
        Grade -> days between two visits.
    start, end : date-like, optional
        The window (default: first to last visit date).

    Returns
    -------
    DataFrame
        ``customer_id`` (+ the extra columns of ``grades``), ``grade, interval_days,
        required_visits, visits_done, n_reps`` (distinct reps who visited), ``visited,
        meets_standard``.
    """
    _require(grades, "grades", ["customer_id", "grade"])
    v = prepare_visits(visits)
    lo, hi = _window(v, start, end)
    if "customer_id" not in v.columns:
        v["customer_id"] = np.nan
    day = v["check_in"].dt.normalize()
    to_dist = v[v["done"] & v["terminal_id"].isna() & v["customer_id"].notna()
                & (day >= lo) & (day <= hi)]  # fmt: skip
    key = to_dist["customer_id"].astype(str)
    n = to_dist.groupby(key).size()
    n_reps = to_dist.groupby(key)["rep_id"].nunique()
    g = grades.drop_duplicates("customer_id").copy()
    g["grade"] = g["grade"].astype(str)
    g = g[g["grade"].isin(list(intervals))].reset_index(drop=True)
    days = (hi - lo).days + 1
    g["interval_days"] = g["grade"].map(intervals).astype("float64")
    g["required_visits"] = np.maximum(1, np.floor(days / g["interval_days"] + 1e-9)).astype("int64")
    cid = g["customer_id"].astype(str)
    g["visits_done"] = cid.map(n).fillna(0).astype("int64")
    g["n_reps"] = cid.map(n_reps).fillna(0).astype("int64")
    g["visited"] = g["visits_done"] > 0
    g["meets_standard"] = g["visits_done"] >= g["required_visits"]
    return g.sort_values(["grade", "customer_id"], kind="mergesort").reset_index(drop=True)


def distributor_visit_summary(table: pd.DataFrame, by: str = "grade") -> pd.DataFrame:
    """Per group (``grade`` or ``region``): ``n_distributors, visited, meeting_standard,
    distributor_visit_compliance`` (share meeting the standard), ``visits_done``.

    Examples
    --------
    >>> t = pd.DataFrame({"grade": ["A", "A", "B"], "customer_id": ["1", "2", "3"],
    ...     "visited": [True, True, False], "meets_standard": [True, False, False],
    ...     "visits_done": [2, 1, 0]})
    >>> distributor_visit_summary(t)["distributor_visit_compliance"].tolist()
    [0.5, 0.0]
    """
    out = (
        table.groupby(by, sort=True)
        .agg(n_distributors=("customer_id", "size"), visited=("visited", "sum"),
             meeting_standard=("meets_standard", "sum"), visits_done=("visits_done", "sum"))
        .reset_index()
    )  # fmt: skip
    for c in ("visited", "meeting_standard", "visits_done"):
        out[c] = out[c].astype("int64")
    out["distributor_visit_compliance"] = _ratio(out["meeting_standard"], out["n_distributors"])
    return out
