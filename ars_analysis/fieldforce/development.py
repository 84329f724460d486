"""Advisor development: the tenure curve, time to productivity, turnover and training.

* :func:`tenure_curve`: a measure (monthly attainment, visit completion) by months since hire,
  in tenure bins; each rep counts once per bin (mean of its months in the bin), the bin's mean is
  over reps with a t-interval;
* :func:`time_to_productivity`: the first month since hire from which the mean attainment of
  that month and the next two reaches ``productive_share`` of the experienced reps' level;
* :func:`turnover`: leavers (``reps.end_date``) over the average headcount, annualised;
* :func:`training_comparison`: difference-in-differences of log attainment, the months after a
  course against the months before, trained reps against reps not trained in the same months
  (an association: reps are not trained at random).

Month arithmetic: a rep hired on any day of month ``h`` is in month ``p - h`` since hire in
month ``p`` (0 = the month of hire).

Examples
--------
>>> m = pd.DataFrame({"rep_id": ["a", "a", "b"], "period": ["2025-01", "2025-04", "2025-04"],
...                   "attainment": [0.5, 0.9, 1.1]})
>>> reps = pd.DataFrame({"rep_id": ["a", "b"], "hire_date": pd.to_datetime(["2025-01-10",
...                      "2020-01-01"])})
>>> tenure_curve(m, reps, [0, 3, 24])[["tenure_bin", "n_reps", "mean"]].values.tolist()
[['0-3', 1, 0.5], ['3-24', 1, 0.9], ['24+', 1, 1.1]]
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ars_analysis.fieldforce.common import _require


def _month_no(values) -> np.ndarray:
    p = pd.PeriodIndex(pd.to_datetime(pd.Series(values).astype(str)), freq="M")
    return (p.year * 12 + p.month - 1).to_numpy()


def months_since_hire(frame: pd.DataFrame, reps: pd.DataFrame) -> pd.Series:
    """Months since hire of each row of ``frame`` (``rep_id, period``); NaN without a hire
    date."""
    hire = reps.drop_duplicates("rep_id").set_index("rep_id")["hire_date"]
    h = pd.to_datetime(frame["rep_id"].map(hire))
    out = pd.Series(np.nan, index=frame.index)
    ok = h.notna()
    if ok.any():
        hp = h[ok].dt.year * 12 + h[ok].dt.month - 1
        out[ok] = _month_no(frame.loc[ok, "period"]) - hp.to_numpy()
    return out


def _bin_labels(bins) -> list[str]:
    return [f"{a}-{b}" for a, b in zip(bins, bins[1:], strict=False)] + [f"{bins[-1]}+"]


def _t_interval(x: np.ndarray, level: float = 0.95) -> tuple[float, float, float]:
    n = len(x)
    m = float(np.mean(x)) if n else np.nan
    if n < 2:
        return m, np.nan, np.nan
    se = float(np.std(x, ddof=1)) / np.sqrt(n)
    q = float(stats.t.ppf(0.5 + level / 2, n - 1))
    return m, m - q * se, m + q * se


def tenure_curve(
    monthly: pd.DataFrame, reps: pd.DataFrame, bins, *, measure: str = "attainment"
) -> pd.DataFrame:
    """``measure`` by tenure bin (months since hire), with a 95 % t-interval over reps.

    Parameters
    ----------
    monthly : DataFrame
        ``rep_id, period`` (``YYYY-MM``) and ``measure`` (one row per rep-month).
    reps : DataFrame
        ``rep_id, hire_date``.
    bins : list of int
        Bin edges in months, starting at 0: ``[0, 3, 6]`` gives ``0-3``, ``3-6``, ``6+``.
    measure : str
        Column of ``monthly``.

    Returns
    -------
    DataFrame
        ``tenure_bin, bin_start, n_reps, n_rep_months, mean, low, high`` (bins without reps
        are left out).
    """
    _require(monthly, "monthly", ["rep_id", "period", measure])
    if reps is None or "hire_date" not in reps.columns:
        return pd.DataFrame(columns=["tenure_bin", "bin_start", "n_reps", "n_rep_months",
                                     "mean", "low", "high"])  # fmt: skip
    m = monthly[["rep_id", "period", measure]].dropna(subset=[measure]).copy()
    m["months"] = months_since_hire(m, reps)
    m = m[m["months"] >= 0]
    edges = list(bins) + [np.inf]
    labels = _bin_labels(bins)
    m["tenure_bin"] = pd.cut(m["months"], edges, right=False, labels=labels)
    rows = []
    for lab, start in zip(labels, bins, strict=True):
        b = m[m["tenure_bin"] == lab]
        if b.empty:
            continue
        per_rep = b.groupby("rep_id")[measure].mean().to_numpy(dtype=float)
        mean, low, high = _t_interval(per_rep)
        rows.append({"tenure_bin": lab, "bin_start": int(start), "n_reps": len(per_rep),
                     "n_rep_months": len(b), "mean": mean, "low": low, "high": high})  # fmt: skip
    return pd.DataFrame(rows, columns=["tenure_bin", "bin_start", "n_reps", "n_rep_months",
                                       "mean", "low", "high"])  # fmt: skip


def time_to_productivity(
    monthly: pd.DataFrame,
    reps: pd.DataFrame,
    *,
    productive_share: float = 0.9,
    experienced_months: int = 24,
    window: int = 3,
) -> dict:
    """Months from hire until a new rep's attainment reaches the experienced reps' level.

    The mean attainment per month since hire ``m`` (over the reps observed in that month) is
    averaged over ``m .. m + window - 1``; the first ``m`` where that reaches
    ``productive_share`` x the mean attainment of rep-months with at least
    ``experienced_months`` of tenure is the time to productivity.

    Returns
    -------
    dict
        ``months`` (NaN when never reached or no new rep is observed), ``level`` (experienced
        reps' mean attainment), ``threshold``, ``n_new_reps`` (reps observed in their first
        ``window`` months), ``curve`` (DataFrame ``months_since_hire, n_reps, attainment,
        rolling``).

    Examples
    --------
    >>> m = pd.DataFrame({"rep_id": ["n"] * 4 + ["o"], "period": ["2025-01", "2025-02",
    ...     "2025-03", "2025-04", "2025-01"], "attainment": [0.4, 0.8, 1.0, 1.0, 1.0]})
    >>> reps = pd.DataFrame({"rep_id": ["n", "o"],
    ...                      "hire_date": pd.to_datetime(["2025-01-05", "2015-01-01"])})
    >>> time_to_productivity(m, reps, window=2)["months"]
    1
    """
    m = monthly[["rep_id", "period", "attainment"]].dropna(subset=["attainment"]).copy()
    empty = pd.DataFrame(columns=["months_since_hire", "n_reps", "attainment", "rolling"])
    out = {"months": np.nan, "level": np.nan, "threshold": np.nan, "n_new_reps": 0,
           "curve": empty}  # fmt: skip
    if reps is None or "hire_date" not in reps.columns or m.empty:
        return out
    m["months"] = months_since_hire(m, reps)
    m = m[m["months"] >= 0]
    level = float(m.loc[m["months"] >= experienced_months, "attainment"].mean())
    early = m[m["months"] < experienced_months]
    curve = (
        early.groupby("months")
        .agg(n_reps=("rep_id", "nunique"), attainment=("attainment", "mean"))
        .reindex(range(experienced_months))
        .rename_axis("months_since_hire")
        .reset_index()
    )
    curve["rolling"] = curve["attainment"][::-1].rolling(window, min_periods=window).mean()[::-1]
    curve["n_reps"] = curve["n_reps"].fillna(0).astype("int64")
    out.update(
        level=level,
        threshold=productive_share * level if pd.notna(level) else np.nan,
        n_new_reps=int(early.loc[early["months"] < window, "rep_id"].nunique()),
        curve=curve,
    )
    if out["n_new_reps"] and pd.notna(level):
        hit = curve[curve["rolling"] >= out["threshold"]]
        if len(hit):
            out["months"] = int(hit["months_since_hire"].iloc[0])
    return out


def turnover(reps: pd.DataFrame, start, end, *, by: str | None = "role") -> pd.DataFrame | None:
    """Leavers and annualised turnover over ``[start, end]`` (per ``by`` group and ``all``).

    A rep is in the headcount of a month when hired before its end and not left before its
    start (``end_date`` empty = still employed). Turnover = leavers with an end date in the
    window / mean monthly headcount x 12 / months of the window.

    Returns
    -------
    DataFrame or None
        ``group, avg_headcount, leavers, hires`` (hire date in the window), ``turnover``;
        None when the reps table has no ``end_date``.

    Examples
    --------
    >>> reps = pd.DataFrame({"rep_id": list("abcd"), "role": ["s"] * 4,
    ...     "hire_date": pd.to_datetime(["2020-01-01"] * 4),
    ...     "end_date": pd.to_datetime(["2025-06-30", None, None, None])})
    >>> turnover(reps, "2025-01-01", "2025-12-31", by=None)[["avg_headcount",
    ...                                                        "turnover"]].values.tolist()
    [[3.5, 0.2857142857142857]]
    """
    if reps is None or "end_date" not in reps.columns:
        return None
    r = reps.drop_duplicates("rep_id").copy()
    months = pd.period_range(pd.Timestamp(start), pd.Timestamp(end), freq="M")
    hire = pd.to_datetime(r["hire_date"]) if "hire_date" in r else pd.Series(pd.NaT, index=r.index)
    endd = pd.to_datetime(r["end_date"])
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    groups = [("all", r.index)]
    if by and by in r.columns:
        groups += [(str(g), idx) for g, idx in r.groupby(by, sort=True).groups.items()]
    rows = []
    for name, idx in groups:
        h, e = hire.loc[idx], endd.loc[idx]
        heads = [
            int(((h.isna() | (h <= p.end_time)) & (e.isna() | (e >= p.start_time))).sum())
            for p in months
        ]
        avg = float(np.mean(heads)) if heads else np.nan
        leavers = int(((e >= lo) & (e <= hi)).sum())
        hires = int(((h >= lo) & (h <= hi)).sum())
        rate = leavers / avg * 12 / len(months) if avg and avg > 0 else np.nan
        rows.append({"group": name, "avg_headcount": avg, "leavers": leavers, "hires": hires,
                     "turnover": rate})  # fmt: skip
    return pd.DataFrame(rows)


def training_comparison(
    monthly: pd.DataFrame,
    reps: pd.DataFrame,
    training: pd.DataFrame | None,
    *,
    months: int = 3,
    min_tenure_months: int = 12,
    level: float = 0.95,
) -> dict | None:
    """Difference-in-differences of log attainment around each course date.

    For the reps first trained in month ``M``: the change of their log attainment (revenue /
    target summed over the months) from months ``M-months .. M-1`` to ``M+1 .. M+months``, minus
    the same change for reps of the same roles not trained in ``M-months .. M+months``. Only reps hired at least ``min_tenure_months`` before
    ``M-months`` with at least 2 months measured on each side take part (new reps' learning
    curve would otherwise look like an effect). Cohorts are pooled weighted by trained reps; the
    interval is Welch's t (one cohort) or normal (pooled), and the p-value comes from the same
    distribution. This is an association: the data do not say why reps were trained.

    Returns
    -------
    dict or None
        None without a training table. Else ``cohorts`` (DataFrame: ``month, courses,
        n_trained, n_control, pre_trained, post_trained, pre_control, post_control`` (mean
        attainment), ``did, se, df``), ``did, low, high, p_value`` (log scale),
        ``effect, effect_low, effect_high`` (``exp(.) - 1``: relative change of attainment),
        ``n_trained, n_control``, ``reps`` (per rep: ``rep_id, month, trained, pre, post,
        change``).
    """
    if training is None or len(training) == 0:
        return None
    _require(training, "training", ["rep_id", "date"])
    has_money = {"revenue", "target_revenue"} <= set(monthly.columns)
    cols = ["rep_id", "period", "attainment"] + (["revenue", "target_revenue"] if has_money else [])
    m = monthly[cols].copy()
    m = m[m["attainment"] > 0]
    if not has_money:  # the side's attainment is then the geometric mean of its months
        m["revenue"], m["target_revenue"] = np.log(m["attainment"].astype(float)), np.nan
    m["month"] = _month_no(m["period"])
    role = (reps.drop_duplicates("rep_id").set_index("rep_id")["role"]
            if reps is not None and "role" in reps.columns else pd.Series(dtype=object))  # fmt: skip
    tr = training.copy()
    tr["month"] = _month_no(pd.to_datetime(tr["date"]).dt.strftime("%Y-%m"))
    first = tr.groupby("rep_id")["month"].min()
    hire = reps.drop_duplicates("rep_id").set_index("rep_id")["hire_date"] if (
        reps is not None and "hire_date" in reps.columns) else pd.Series(dtype="datetime64[ns]")  # fmt: skip
    hire_month = pd.Series(_month_no(pd.to_datetime(hire).dt.strftime("%Y-%m").fillna("1900-01")),
                           index=hire.index).where(hire.notna())  # fmt: skip
    cohorts, per_rep = [], []
    for M in sorted(set(first)):
        pre_lo, post_hi = M - months, M + months
        win = m[(m["month"] >= pre_lo) & (m["month"] <= post_hi) & (m["month"] != M)]
        side = np.where(win["month"] < M, "pre", "post")
        agg = win.assign(side=side).groupby(["rep_id", "side"]).agg(
            revenue=("revenue", "sum"), target=("target_revenue", "sum"),
            size=("attainment", "size"))  # fmt: skip
        if has_money:
            agg["mean"] = np.log(agg["revenue"] / agg["target"])
        else:
            agg["mean"] = agg["revenue"] / agg["size"]
        g = agg[["mean", "size"]].unstack("side")
        if g.empty or ("mean", "pre") not in g.columns or ("mean", "post") not in g.columns:
            continue
        ok = (g[("size", "pre")] >= 2) & (g[("size", "post")] >= 2)
        ids = g.index[ok.fillna(False)]
        tenure_ok = hire_month.reindex(ids) <= pre_lo - min_tenure_months
        ids = ids[tenure_ok.fillna(False).to_numpy()]
        trained_now = set(first[first == M].index)
        trained_near = set(tr.loc[(tr["month"] >= pre_lo) & (tr["month"] <= post_hi), "rep_id"])
        t_ids = [i for i in ids if i in trained_now]
        t_roles = set(role.reindex(t_ids).dropna())
        c_ids = [i for i in ids if i not in trained_near
                 and (not t_roles or role.get(i) in t_roles)]  # fmt: skip
        if len(t_ids) < 2 or len(c_ids) < 2:
            continue
        pre, post = g[("mean", "pre")], g[("mean", "post")]
        d_t = (post[t_ids] - pre[t_ids]).to_numpy()
        d_c = (post[c_ids] - pre[c_ids]).to_numpy()
        vt, vc = np.var(d_t, ddof=1) / len(d_t), np.var(d_c, ddof=1) / len(d_c)
        se = float(np.sqrt(vt + vc))
        df = (
            (vt + vc) ** 2 / (vt**2 / (len(d_t) - 1) + vc**2 / (len(d_c) - 1)) if se > 0 else np.inf
        )
        att = win.groupby(["rep_id", np.where(win["month"] < M, "pre", "post")])["attainment"]
        att = att.mean().unstack()
        courses = sorted(set(tr.loc[tr["month"] == M, "course"].astype(str))) if (
            "course" in tr.columns) else []  # fmt: skip
        cohorts.append({
            "month": f"{M // 12:04d}-{M % 12 + 1:02d}", "courses": courses,
            "n_trained": len(t_ids), "n_control": len(c_ids),
            "pre_trained": float(att.loc[t_ids, "pre"].mean()),
            "post_trained": float(att.loc[t_ids, "post"].mean()),
            "pre_control": float(att.loc[c_ids, "pre"].mean()),
            "post_control": float(att.loc[c_ids, "post"].mean()),
            "did": float(d_t.mean() - d_c.mean()), "se": se, "df": float(df),
        })  # fmt: skip
        for ids_, flag in ((t_ids, True), (c_ids, False)):
            per_rep.append(pd.DataFrame({
                "rep_id": ids_, "month": cohorts[-1]["month"], "trained": flag,
                "pre": pre[ids_].to_numpy(), "post": post[ids_].to_numpy(),
            }))  # fmt: skip
    cols = ["month", "courses", "n_trained", "n_control", "pre_trained", "post_trained",
            "pre_control", "post_control", "did", "se", "df"]  # fmt: skip
    c = pd.DataFrame(cohorts, columns=cols)
    res = {"cohorts": c, "did": np.nan, "low": np.nan, "high": np.nan, "p_value": np.nan,
           "effect": np.nan, "effect_low": np.nan, "effect_high": np.nan,
           "n_trained": int(c["n_trained"].sum()), "n_control": int(c["n_control"].max())
           if len(c) else 0, "level": level,
           "reps": pd.concat(per_rep, ignore_index=True) if per_rep else pd.DataFrame(
               columns=["rep_id", "month", "trained", "pre", "post"])}  # fmt: skip
    if res["reps"].shape[0]:
        res["reps"]["change"] = res["reps"]["post"] - res["reps"]["pre"]
    if c.empty:
        return res
    w = c["n_trained"] / c["n_trained"].sum()
    est = float((w * c["did"]).sum())
    se = float(np.sqrt((w**2 * c["se"] ** 2).sum()))
    if len(c) == 1:
        dist = stats.t(c["df"].iloc[0])
    else:
        dist = stats.norm()
    q = float(dist.ppf(0.5 + level / 2))
    p = float(2 * dist.sf(abs(est / se))) if se > 0 else np.nan
    res.update(did=est, low=est - q * se, high=est + q * se, p_value=p,
               effect=float(np.expm1(est)), effect_low=float(np.expm1(est - q * se)),
               effect_high=float(np.expm1(est + q * se)))  # fmt: skip
    return res
