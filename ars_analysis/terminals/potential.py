"""Market potential: the volume missing below the smallest observed terminals (fitted tails)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from ars_analysis.terminals.concentration import _values
from ars_analysis.terminals.coverage import _require

__all__ = ["missing_volume", "missing_volume_by"]


def _trunc_lognormal_mean(mu, sigma, upper):
    """E[X | X <= upper] for X ~ lognormal(mu, sigma)."""
    if upper is None or not np.isfinite(upper):
        return np.exp(mu + sigma**2 / 2)
    lu = np.log(upper)
    num = np.exp(mu + sigma**2 / 2) * stats.norm.cdf((lu - mu - sigma**2) / sigma)
    den = stats.norm.cdf((lu - mu) / sigma)
    return num / den


def _draw_trunc_lognormal(rng, size, mu, sigma, upper):
    pu = 1.0 if upper is None else stats.norm.cdf((np.log(upper) - mu) / sigma)
    u = rng.random(size) * pu
    return np.exp(mu + sigma * stats.norm.ppf(np.clip(u, 1e-300, 1 - 1e-16)))


def missing_volume(
    data,
    n_total: int,
    measure: str = "revenue",
    upper: float | str | None = "max",
    n_boot: int = 500,
    level: float = 0.95,
    seed=None,
) -> dict:
    """Estimate the volume of the terminals of a market that are not in our data.

    Assumption (state it in the report): the ``n_total - n`` missing terminals are independent
    draws from the log-normal distribution fitted (by maximum likelihood) to our ``n``
    terminals with positive volume, *truncated above* at ``upper`` -- by default the largest
    observed terminal, i.e. we assume that no unserved terminal is bigger than the biggest one
    we already serve (they are mostly small shops outside our coverage). Pass a number to
    truncate lower (e.g. the observed median for "unserved terminals are small"), or None for
    no truncation.

    The interval is a bootstrap *prediction* interval: each replicate refits the distribution
    on a resample of our terminals (parameter uncertainty) and sums ``n_total - n`` fresh draws
    (sampling variability of the missing terminals).

    Returns
    -------
    dict
        ``n_observed, n_missing, observed_volume, estimate, low, high, mu, sigma, upper``.

    Examples
    --------
    >>> x = np.random.default_rng(1).lognormal(3, 1, 500)
    >>> r = missing_volume(x, n_total=1000, upper=None, n_boot=100, seed=0)
    >>> r["n_missing"], r["low"] < r["estimate"] < r["high"]
    (500, True)
    """
    out = _missing_volume(data, n_total, measure, upper, n_boot, seed)
    sims = out.pop("draws")
    a = (1 - level) / 2
    lo, hi = np.quantile(sims, [a, 1 - a]) if n_boot else (np.nan, np.nan)
    out.update(low=float(lo), high=float(hi))
    return {
        k: out[k]
        for k in (
            "n_observed", "n_missing", "observed_volume", "estimate", "low", "high", "mu",
            "sigma", "upper",
        )
    }  # fmt: skip


def _missing_volume(data, n_total, measure="revenue", upper="max", n_boot=500, seed=None) -> dict:
    """:func:`missing_volume` without the interval, with the bootstrap ``draws`` (ndarray)."""
    x = _values(data, measure, "missing_volume")
    pos = x[x > 0]
    n = x.size
    if n_total < n:
        raise ValueError(f"n_total={n_total} is smaller than the {n} terminals in the data")
    if pos.size < 3:
        raise ValueError("missing_volume: need at least 3 terminals with positive volume")
    up = float(pos.max()) if upper == "max" else (None if upper is None else float(upper))
    lx = np.log(pos)
    mu, sigma = float(lx.mean()), float(lx.std(ddof=1))
    m = n_total - n
    est = m * _trunc_lognormal_mean(mu, sigma, up)
    rng = np.random.default_rng(seed)
    sims = np.empty(n_boot)
    for b in range(n_boot):
        r = rng.choice(lx, lx.size, replace=True)
        mb, sb = r.mean(), r.std(ddof=1)
        sims[b] = _draw_trunc_lognormal(rng, m, mb, sb, up).sum() if m else 0.0
    return {
        "n_observed": n,
        "n_missing": m,
        "observed_volume": float(x.sum()),
        "estimate": float(est),
        "mu": mu,
        "sigma": sigma,
        "upper": up,
        "draws": sims,
    }


# ---------------------------------------------------------------- missing volume per region


def _group_seed(seed, key) -> np.random.SeedSequence:
    """A seed for one group that does not depend on which other groups are analysed."""
    import zlib

    base = 0 if seed is None else int(seed)
    return np.random.SeedSequence([base, zlib.crc32(str(key).encode("utf-8"))])


def missing_volume_by(
    data: pd.DataFrame,
    unobserved_ratio: float,
    *,
    by: str = "region",
    measure: str = "revenue",
    upper: float | str | None = "max",
    n_boot: int = 500,
    level: float = 0.95,
    seed=None,
) -> pd.DataFrame:
    """Market potential not in our data, fitted per group and added up (未覆盖终端潜力).

    Each group (region) gets ``round(unobserved_ratio * n)`` unseen terminals, where ``n`` is
    the number of its terminals with positive volume, and :func:`missing_volume` is fitted on
    that group alone. The total is the **sum** of the group estimates, so regional figures add
    up to the national one by construction; its interval sums the groups' bootstrap draws
    replicate by replicate (groups are independent). Each group's random numbers depend only on
    ``seed`` and the group's name, so a regional report gives the same figure as the national
    report's row for that region.

    Groups with fewer than 3 terminals with positive volume cannot be fitted: their estimate is
    missing (NaN), ``fitted`` is False, and they add nothing to the total.

    Returns
    -------
    DataFrame
        One row per group: ``by``, ``n_observed``, ``n_missing``, ``observed_volume``,
        ``estimate``, ``low``, ``high``, ``fitted``; then one total row with ``by`` = None.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"region": ["E"] * 50 + ["W"] * 40,
    ...                   "revenue": rng.lognormal(3, 1, 90)})
    >>> t = missing_volume_by(d, 0.5, n_boot=50, seed=1)
    >>> t["n_missing"].tolist(), bool(np.isclose(t["estimate"].iloc[:2].sum(), t["estimate"].iloc[2]))
    ([25, 20, 45], True)
    """
    if unobserved_ratio < 0:
        raise ValueError(f"unobserved_ratio must be >= 0, got {unobserved_ratio}")
    _require(data, [by, measure], "missing_volume_by")
    a = (1 - level) / 2
    rows, draws = [], []
    for key, g in data.groupby(by, sort=True, observed=True):
        x = _values(g, measure, "missing_volume_by")
        n = int((x > 0).sum())
        m = int(round(unobserved_ratio * n))
        row = {by: key, "n_observed": n, "n_missing": m, "observed_volume": float(x.sum())}
        if n >= 3:
            r = _missing_volume(
                x[x > 0], n + m, upper=upper, n_boot=n_boot, seed=_group_seed(seed, key)
            )
            lo, hi = np.quantile(r["draws"], [a, 1 - a]) if n_boot else (np.nan, np.nan)
            row.update(estimate=r["estimate"], low=float(lo), high=float(hi), fitted=True)
            draws.append(r["draws"])
        else:
            row.update(estimate=np.nan, low=np.nan, high=np.nan, fitted=False)
        rows.append(row)
    out = pd.DataFrame(rows)
    tot = {by: None, "fitted": bool(len(out) and out["fitted"].all())}
    for c in ("n_observed", "n_missing"):
        tot[c] = int(out[c].sum()) if len(out) else 0
    tot["observed_volume"] = float(out["observed_volume"].sum()) if len(out) else 0.0
    tot["estimate"] = float(out["estimate"].sum(min_count=1)) if len(out) else np.nan
    if draws and n_boot:
        lo, hi = np.quantile(np.sum(draws, axis=0), [a, 1 - a])
        tot.update(low=float(lo), high=float(hi))
    else:
        tot.update(low=np.nan, high=np.nan)
    return pd.concat([out, pd.DataFrame([tot])], ignore_index=True)[
        [by, "n_observed", "n_missing", "observed_volume", "estimate", "low", "high", "fitted"]
    ]


def missing_volume_total(groups: pd.DataFrame, by: str = "region") -> pd.DataFrame:
    """Group rows of :func:`missing_volume_by` plus a total row that is their sum.

    The total's interval is not recomputed here (the draws are not kept): it is the sum of the
    group bounds only when there is a single group; otherwise the interval of
    :func:`missing_volume_by`'s own total row should be used, so this helper keeps the total
    interval missing unless one group.
    """
    g = groups[groups[by].notna()].reset_index(drop=True)
    tot = {by: None, "fitted": bool(len(g) and g["fitted"].all())}
    for c in ("n_observed", "n_missing"):
        tot[c] = int(g[c].sum())
    tot["observed_volume"] = float(g["observed_volume"].sum())
    tot["estimate"] = float(g["estimate"].sum(min_count=1)) if len(g) else np.nan
    one = len(g) == 1
    tot["low"] = float(g["low"].iloc[0]) if one else np.nan
    tot["high"] = float(g["high"].iloc[0]) if one else np.nan
    return pd.concat([g, pd.DataFrame([tot])], ignore_index=True)
