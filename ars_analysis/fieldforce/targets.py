"""Target vs result: attainment, deviation ranking, discipline vs attainment."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ars_analysis.fieldforce.common import (
    _GROUP_COL,
    _add_names,
    _attach_group,
    _check_freq,
    _ratio,
    _require,
    _to_freq_period,
)


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
