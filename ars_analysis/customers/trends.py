"""Sales trends of customers: growth, gaps to the grade above, trend seedlings and trend risks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ars_analysis.customers.abc import _check_columns
from ars_analysis.customers.grading import Scorecard

__all__ = ["dimension_gaps", "sales_trend", "trend_at_risk", "trend_seedlings"]


# ------------------------------------------------------------------------------------------------
# trend evidence (seedlings and at-risk core customers)
# ------------------------------------------------------------------------------------------------
def sales_trend(
    monthly: pd.DataFrame,
    *,
    months: Sequence | None = None,
    measure: str = "revenue",
    level: float = 0.95,
    min_months: int = 6,
) -> pd.DataFrame:
    """Each distributor's sales trend over the months, with its confidence interval.

    A robust straight line through the monthly sales (months without sales count as 0): the
    Theil-Sen slope (the median of the slopes between every pair of months) with its
    confidence interval, and the Mann-Kendall test of "no trend". Both rest on the same
    Kendall statistic (the number of rising minus falling pairs of months and its variance), so
    the interval excludes 0 exactly when the test rejects "no trend" at ``1 - level``. A
    quarter's jump after a flat period moves few of the pairs: it does not make a trend. The
    trend is the slope over a year relative to the mean month: ``12 * slope / mean`` (+0.30 =
    sales rising by 30 % of an average year's sales per year).

    Parameters
    ----------
    monthly : DataFrame
        ``customer_id``, ``period`` (``YYYY-MM``), ``measure``
        (``customer_sales(ds, freq="M")``).
    months : sequence, optional
        Every month of the analysis period (default: the months present).
    level : float
        Confidence level of the interval.
    min_months : int
        Fewer months than this: no trend (NaN).

    Returns
    -------
    DataFrame
        ``customer_id``, ``n_months``, ``mean_monthly``, ``trend``, ``trend_low``,
        ``trend_high``, ``p_value``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"customer_id": ["a"] * 6, "period": [f"2025-0{i}" for i in range(1, 7)],
    ...                   "revenue": [10.0, 11, 12, 13, 14, 15]})
    >>> round(float(sales_trend(m)["trend"].iloc[0]), 3)  # 12 * 1 / 12.5
    0.96
    """
    from scipy import stats

    _check_columns(monthly, ["customer_id", "period", measure], "monthly sales")
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    cols = sorted(monthly["period"].astype(str).unique()) if months is None else list(months)
    cols = [str(c) for c in cols]
    wide = (
        monthly.assign(period=monthly["period"].astype(str))
        .pivot_table(
            index="customer_id", columns="period", values=measure, aggfunc="sum", fill_value=0.0
        )
        .reindex(columns=cols, fill_value=0.0)
    )
    y = wide.to_numpy(dtype=float)
    m = y.shape[1]
    out = pd.DataFrame({"customer_id": wide.index.to_numpy(), "n_months": m})
    out["mean_monthly"] = y.mean(axis=1) if m else np.nan
    res = np.full((len(y), 4), np.nan)
    if m >= max(min_months, 3):
        x = np.arange(m, dtype=float)
        iu, ju = np.triu_indices(m, 1)
        for r, row in enumerate(y):
            slope, _, low, high = stats.theilslopes(row, x, alpha=level)
            # Mann-Kendall: the same Kendall statistic and variance as the interval above
            s = np.sign(row[ju] - row[iu]).sum()
            _, ties = np.unique(row, return_counts=True)
            var = (m * (m - 1) * (2 * m + 5) - (ties * (ties - 1) * (2 * ties + 5)).sum()) / 18
            p = 2 * stats.norm.sf(abs(s) / np.sqrt(var)) if var > 0 else 1.0
            res[r] = slope, low, high, p
    mean = out["mean_monthly"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(mean > 0, 12.0 / mean, np.nan)
    out["trend"] = res[:, 0] * scale
    out["trend_low"] = res[:, 1] * scale
    out["trend_high"] = res[:, 2] * scale
    out["p_value"] = np.where(mean > 0, res[:, 3], np.nan)
    return out


def dimension_gaps(scored: pd.DataFrame, scorecard: Scorecard, *, grade: str = "A") -> pd.DataFrame:
    """For each distributor, the scorecard dimensions that keep it from ``grade``.

    A dimension is a gap when the distributor's score is below the mean score of the
    ``grade`` distributors on it; gaps are ordered by weighted shortfall
    (weight x (grade mean - score)), largest first.

    Returns
    -------
    DataFrame
        ``customer_id``, ``points_to_grade`` (the grade's minimum total score minus the
        distributor's score, 0 when already there), ``gaps`` (list of dimension keys).
    """
    dims = [k for k in scorecard.dimensions if k in scored.columns]
    target = scored.loc[scored["grade"].astype(str) == grade, dims].mean()
    lo = next((b[1] for b in scorecard.grades if b[0] == grade), np.nan)
    weights = {k: scorecard.dimensions[k]["weight"] for k in dims}
    gaps = []
    for _, row in scored.iterrows():
        short = {
            k: weights[k] * (target[k] - row[k])
            for k in dims
            if pd.notna(row[k]) and pd.notna(target.get(k)) and row[k] < target[k]
        }
        gaps.append(sorted(short, key=lambda k: -short[k]))
    return pd.DataFrame(
        {
            "customer_id": scored["customer_id"].to_numpy(),
            "points_to_grade": np.maximum(lo - scored["score"].to_numpy(dtype=float), 0.0),
            "gaps": gaps,
        }
    )


def trend_seedlings(
    scored: pd.DataFrame,
    trend: pd.DataFrame,
    *,
    grade: str = "B",
    min_revenue: float = 0.0,
) -> pd.DataFrame:
    """Seedlings (选苗助长): ``grade`` distributors (potential core, B) of at least
    ``min_revenue`` whose sales trend is positive with confidence (the lower end of the
    interval above 0), strongest evidence (highest lower end) first.

    ``scored`` needs ``customer_id``, ``grade``, ``revenue``; ``trend`` is
    :func:`sales_trend`.
    """
    m = scored.merge(trend, on="customer_id", how="left")
    keep = (m["grade"].astype(str) == grade) & (m["revenue"] >= min_revenue) & (m["trend_low"] > 0)
    return (
        m[keep]
        .sort_values(["trend_low", "revenue"], ascending=[False, False], kind="stable")
        .reset_index(drop=True)
    )


def trend_at_risk(scored: pd.DataFrame, trend: pd.DataFrame, *, grade: str = "A") -> pd.DataFrame:
    """At-risk core customers: ``grade`` distributors whose sales trend is negative with
    confidence (the upper end of the interval below 0), largest sales first."""
    m = scored.merge(trend, on="customer_id", how="left")
    keep = (m["grade"].astype(str) == grade) & (m["trend_high"] < 0)
    return m[keep].sort_values("revenue", ascending=False, kind="stable").reset_index(drop=True)
