"""Field execution compared within a role: a promoter is measured against promoters, a business
manager against business managers.

:func:`within_role` takes the rep scorecard (one row per rep, :data:`SCORECARD_KPIS` columns)
and the reps' roles and returns, per rep and KPI, the role's median and spread and how far the
rep is from it in the good direction (``far_checkin_share``: lower is better).
:func:`role_summary` gives one row per role: headcount and the role's median of each KPI.

Examples
--------
>>> card = pd.DataFrame({"rep_id": ["a", "b", "c", "d"], "visit_completion": [0.9, 0.8, 0.7, 0.5],
...                      "far_checkin_share": [0.0, 0.1, 0.2, 0.3]})
>>> reps = pd.DataFrame({"rep_id": ["a", "b", "c", "d"], "role": ["salesperson"] * 3 + ["promoter"]})
>>> w = within_role(card, reps, {"salesperson": ["visit_completion", "far_checkin_share"],
...                              "promoter": ["visit_completion"]})
>>> w.loc[w["rep_id"] == "c", ["kpi", "role_median", "gap_sd"]].round(2).values.tolist()
[['far_checkin_share', 0.1, -1.0], ['visit_completion', 0.8, -1.0]]
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from ars_analysis.fieldforce.common import _require
from ars_analysis.fieldforce.organisation import LOWER_IS_BETTER

#: Role code when a rep has none in the reps table.
NO_ROLE = "unknown"


def rep_roles(reps: pd.DataFrame | None, rep_ids=None) -> pd.Series:
    """rep_id -> role code (``"unknown"`` when the reps table has no role for the rep)."""
    if reps is None or "role" not in reps.columns:
        ids = [] if rep_ids is None else list(rep_ids)
        return pd.Series(NO_ROLE, index=pd.Index(ids, name="rep_id"), dtype=object)
    r = reps.drop_duplicates("rep_id").set_index("rep_id")["role"].astype(object)
    return r.where(r.notna(), NO_ROLE)


def within_role(
    card: pd.DataFrame, reps: pd.DataFrame | None, kpis: Mapping[str, list]
) -> pd.DataFrame:
    """Each rep's KPIs against the median and spread of the reps of the same role.

    Parameters
    ----------
    card : DataFrame
        ``rep_id`` + KPI columns (one row per rep, e.g. :func:`rep_scorecard`).
    reps : DataFrame
        ``rep_id``, ``role``.
    kpis : dict
        Role -> the KPIs of its set (those compared; a rep of a role not listed is left out).

    Returns
    -------
    DataFrame
        One row per rep and KPI of the role's set with a value: ``rep_id, role, kpi, value,
        role_median, role_sd`` (standard deviation over the role's reps, ``ddof=1``),
        ``n_peers`` (reps of the role with a value), ``gap`` (value - role median, sign
        flipped for lower-is-better KPIs so that a negative gap is always worse),
        ``gap_sd`` (gap / role_sd; NaN when the spread is 0 or fewer than 2 peers),
        ``role_rank`` (1 = best of the role).
    """
    _require(card, "scorecard", ["rep_id"])
    roles = rep_roles(reps, card["rep_id"])
    c = card.assign(role=card["rep_id"].map(roles).fillna(NO_ROLE))
    rows = []
    for role, group in c.groupby("role", sort=True):
        for kpi in kpis.get(role, ()):
            if kpi not in group.columns:
                continue
            v = group[["rep_id", kpi]].rename(columns={kpi: "value"}).dropna(subset=["value"])
            if v.empty:
                continue
            v = v.assign(role=role, kpi=kpi, value=v["value"].astype("float64"))
            sign = -1.0 if kpi in LOWER_IS_BETTER else 1.0
            med = float(v["value"].median())
            sd = float(v["value"].std(ddof=1)) if len(v) > 1 else np.nan
            v["role_median"] = med
            v["role_sd"] = sd
            v["n_peers"] = len(v)
            v["gap"] = sign * (v["value"] - med)
            v["gap_sd"] = v["gap"] / sd if sd and sd > 0 else np.nan
            v["role_rank"] = (sign * v["value"]).rank(ascending=False, method="min").astype("int64")
            rows.append(v)
    cols = ["rep_id", "role", "kpi", "value", "role_median", "role_sd", "n_peers", "gap",
            "gap_sd", "role_rank"]  # fmt: skip
    if not rows:
        return pd.DataFrame(columns=cols)
    out = pd.concat(rows, ignore_index=True)[cols]
    return out.sort_values(["rep_id", "kpi"], kind="mergesort").reset_index(drop=True)


def role_summary(card: pd.DataFrame, reps: pd.DataFrame | None, kpis: list | tuple) -> pd.DataFrame:
    """One row per role: ``role, n_reps`` and the role's median of each KPI in ``kpis``
    (NaN when no rep of the role has a value), plus ``score`` median when present.

    Examples
    --------
    >>> card = pd.DataFrame({"rep_id": ["a", "b", "c"], "attainment": [0.8, 1.0, 1.2]})
    >>> reps = pd.DataFrame({"rep_id": ["a", "b", "c"], "role": ["promoter", "promoter", "salesperson"]})
    >>> role_summary(card, reps, ["attainment"]).values.tolist()
    [['promoter', 2, 0.9], ['salesperson', 1, 1.2]]
    """
    roles = rep_roles(reps, card["rep_id"])
    c = card.assign(role=card["rep_id"].map(roles).fillna(NO_ROLE))
    cols = [k for k in kpis if k in c.columns]
    out = c.groupby("role", sort=True).agg(
        n_reps=("rep_id", "nunique"), **{k: (k, "median") for k in cols}
    )
    out["n_reps"] = out["n_reps"].astype("int64")
    return out.reset_index()
