"""Coaching and correction: per rep, the two KPIs furthest below the role's peers and the coaching
role that fits; per manager, the team's list.

The coaching roles (教练的四种角色), tried in this order (settings in the ``coaching`` block of
``config/field_organisation.yml``):

1. **firefighter** (救火队员): a sudden drop - attainment in the last month at least ``drop``
   below the mean of the ``drop_months`` months before;
2. **missionary** (传教士): the standards are not known - a rep in the first ``new_rep_months``
   months since hire, or whose weakest KPI is a standard KPI (family ``missionary``);
3. **planner** (规划师): route and time use (weakest KPI in family ``planner``);
4. **coach** (教练): skills (weakest KPI in family ``coach``, and any KPI not in a family).

"Below the peers" is the gap to the role's median in the role's standard deviations
(:func:`~.roles.within_role`), lower-is-better KPIs turned round; only KPIs of the role's set and
roles with at least ``min_peers`` reps measured count.

Examples
--------
>>> from ars_analysis.fieldforce.organisation import load_organisation
>>> w = pd.DataFrame({"rep_id": ["a", "a", "a"], "role": "salesperson", "n_peers": 5,
...     "kpi": ["visit_order_rate", "frequency_compliance", "attainment"],
...     "value": [0.2, 0.5, 0.9], "role_median": [0.4, 0.6, 1.0], "gap_sd": [-2.0, -1.5, -0.5]})
>>> c = coaching_list(w, load_organisation().coaching)
>>> c[["kpi_1", "kpi_2", "coaching_role"]].values.tolist()
[['visit_order_rate', 'frequency_compliance', 'coach']]
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.fieldforce.development import months_since_hire
from ars_analysis.fieldforce.organisation import Coaching

COLUMNS = ["rep_id", "role", "kpi_1", "value_1", "peer_1", "gap_sd_1", "kpi_2", "value_2",
           "peer_2", "gap_sd_2", "coaching_role", "reason", "attainment_drop",
           "months_since_hire"]  # fmt: skip


def sudden_drops(monthly: pd.DataFrame, *, drop: float, months: int, last=None) -> pd.Series:
    """rep_id -> drop of attainment in the last month against the mean of the ``months`` months
    before (positive = a fall), for reps measured in the last month and at least one before.

    Examples
    --------
    >>> m = pd.DataFrame({"rep_id": ["a"] * 4, "period": ["2025-01", "2025-02", "2025-03",
    ...                   "2025-04"], "attainment": [1.0, 1.1, 0.9, 0.6]})
    >>> sudden_drops(m, drop=0.2, months=3).round(2).to_dict()
    {'a': 0.4}
    """
    m = monthly.dropna(subset=["attainment"])
    if m.empty:
        return pd.Series(dtype="float64")
    last = str(last) if last is not None else str(m["period"].max())
    prev = pd.period_range(end=pd.Period(last, "M") - 1, periods=months, freq="M").astype(str)
    now = m[m["period"].astype(str) == last].groupby("rep_id")["attainment"].mean()
    before = m[m["period"].astype(str).isin(prev)].groupby("rep_id")["attainment"].mean()
    return (before - now).dropna().rename("attainment_drop")


def coaching_list(
    within: pd.DataFrame,
    settings: Coaching,
    *,
    monthly: pd.DataFrame | None = None,
    reps: pd.DataFrame | None = None,
    last=None,
    standards: dict | None = None,
) -> pd.DataFrame:
    """One row per rep to coach: the two KPIs furthest below the role's peers and the role.

    Parameters
    ----------
    within : DataFrame
        :func:`~.roles.within_role` (``rep_id, role, kpi, value, role_median, gap_sd,
        n_peers``).
    settings : Coaching
        The ``coaching`` block of the organisation.
    monthly : DataFrame, optional
        ``rep_id, period, attainment`` by month, for sudden drops (firefighter).
    reps : DataFrame, optional
        ``rep_id, hire_date`` for new reps (missionary).
    last : str, optional
        The last month (``YYYY-MM``) of the window (default: the last month of ``monthly``).
    standards : dict, optional
        KPI -> (``"min"`` or ``"max"``, value): the coaching standards of the visit standards
        file. A KPI that meets its standard is not a deviation, however far from the peers.

    Returns
    -------
    DataFrame
        :data:`COLUMNS`: ``kpi_1`` the furthest below (``value_1``, the role's median
        ``peer_1``, ``gap_sd_1``), ``kpi_2`` the next (empty when only one KPI is below),
        ``coaching_role`` (firefighter, missionary, planner, coach), ``reason`` (``drop``,
        ``new_rep``, ``kpi``), ``attainment_drop``, ``months_since_hire``. Reps with no KPI below
        their peers and no sudden drop are not listed. Sorted by coaching role (in the order
        above), then the largest gap.
    """
    w = within[(within["n_peers"] >= settings.min_peers) & (within["gap_sd"] < 0)]
    for kpi, (direction, value) in (standards or {}).items():
        meets = (w["kpi"] == kpi) & (
            (w["value"] >= value) if direction == "min" else (w["value"] <= value)
        )
        w = w[~meets]
    w = w.sort_values(["rep_id", "gap_sd", "kpi"], kind="mergesort")
    drops = (
        sudden_drops(monthly, drop=settings.drop, months=settings.drop_months, last=last)
        if monthly is not None
        else pd.Series(dtype="float64")
    )
    tenure = pd.Series(dtype="float64")
    if reps is not None and "hire_date" in reps.columns and monthly is not None and len(monthly):
        last_p = str(last) if last is not None else str(monthly["period"].max())
        frame = reps[["rep_id"]].drop_duplicates().assign(period=last_p)
        tenure = pd.Series(months_since_hire(frame, reps).to_numpy(), index=frame["rep_id"])
    family = {k: fam for fam, ks in settings.families.items() for k in ks}
    role_of = within.drop_duplicates("rep_id").set_index("rep_id")["role"]
    ids = sorted(set(w["rep_id"]) | set(drops[drops >= settings.drop].index) & set(role_of.index))
    rows = []
    for rid in ids:
        k = w[w["rep_id"] == rid].head(2)
        d = float(drops.get(rid, np.nan))
        t = float(tenure.get(rid, np.nan))
        row = {"rep_id": rid, "role": role_of.get(rid), "attainment_drop": d,
               "months_since_hire": t}  # fmt: skip
        for j in (1, 2):
            if len(k) >= j:
                r = k.iloc[j - 1]
                row.update({f"kpi_{j}": r["kpi"], f"value_{j}": float(r["value"]),
                            f"peer_{j}": float(r["role_median"]),
                            f"gap_sd_{j}": float(r["gap_sd"])})  # fmt: skip
            else:
                row.update({f"kpi_{j}": None, f"value_{j}": np.nan, f"peer_{j}": np.nan,
                            f"gap_sd_{j}": np.nan})  # fmt: skip
        if pd.notna(d) and d >= settings.drop:
            row["coaching_role"], row["reason"] = "firefighter", "drop"
        elif pd.notna(t) and t < settings.new_rep_months:
            row["coaching_role"], row["reason"] = "missionary", "new_rep"
        else:
            row["coaching_role"], row["reason"] = family.get(row["kpi_1"], "coach"), "kpi"
        rows.append(row)
    out = pd.DataFrame(rows, columns=COLUMNS)
    order = {r: i for i, r in enumerate(("firefighter", "missionary", "planner", "coach"))}
    out["_o"] = out["coaching_role"].map(order)
    out = out.sort_values(["_o", "gap_sd_1", "rep_id"], kind="mergesort", na_position="last")
    return out.drop(columns="_o").reset_index(drop=True)


def team_lists(coaching: pd.DataFrame, reps: pd.DataFrame | None) -> pd.DataFrame:
    """The coaching list grouped by manager: ``manager_id, n_reps`` and one count column per
    coaching role, most reps first. Reps without a manager are under their own id.

    Examples
    --------
    >>> c = pd.DataFrame({"rep_id": ["a", "b"], "coaching_role": ["coach", "planner"]})
    >>> reps = pd.DataFrame({"rep_id": ["a", "b"], "manager_id": ["M", "M"]})
    >>> team_lists(c, reps)[["manager_id", "n_reps", "coach", "planner"]].values.tolist()
    [['M', 2, 1, 1]]
    """
    roles = ["firefighter", "missionary", "planner", "coach"]
    if reps is not None and "manager_id" in reps.columns:
        mgr = reps.drop_duplicates("rep_id").set_index("rep_id")["manager_id"]
    else:
        mgr = pd.Series(dtype=object)
    c = coaching.assign(manager_id=coaching["rep_id"].map(mgr))
    c["manager_id"] = c["manager_id"].where(c["manager_id"].notna(), c["rep_id"])
    counts = pd.crosstab(c["manager_id"], c["coaching_role"]).reindex(columns=roles, fill_value=0)
    counts.insert(0, "n_reps", counts.sum(axis=1))
    counts = counts.reset_index().rename_axis(columns=None)
    return counts.sort_values(["n_reps", "manager_id"], ascending=[False, True],
                              kind="mergesort").reset_index(drop=True)  # fmt: skip


def with_manager(coaching: pd.DataFrame, reps: pd.DataFrame | None) -> pd.DataFrame:
    """The coaching list with ``manager_id`` (rows sorted by manager, then as before)."""
    if reps is None or "manager_id" not in reps.columns:
        return coaching.assign(manager_id=coaching["rep_id"])
    mgr = reps.drop_duplicates("rep_id").set_index("rep_id")["manager_id"]
    out = coaching.assign(manager_id=coaching["rep_id"].map(mgr))
    out["manager_id"] = out["manager_id"].where(out["manager_id"].notna(), out["rep_id"])
    return out.sort_values("manager_id", kind="mergesort").reset_index(drop=True)
