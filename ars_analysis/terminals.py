"""Terminal network (终端网络): concentration, fitted tails, coverage and margins.

Inputs are DataFrames: per-terminal sales from
:func:`ars_analysis.aggregate.terminal_sales` (or ``sales_by(ds, ["terminal_id", ...])``), the
``terminals`` table (``terminal_id``, ``region``, ``terminal_type``, ``customer_id`` (empty =
not linked to a distributor), ``rep_id``) and the ``visits`` table.

Conventions
-----------
* **Lorenz curve**: terminals sorted by volume *ascending*; point ``k`` is
  ``(k / n, sum of the k smallest / total)``, starting at ``(0, 0)``.
* **Pareto curve**: terminals ranked by volume *descending*; point ``k`` is
  ``(k / n, sum of the k largest / total)``.
* **Top-x% share** ``= 1 - L(1 - x)`` with the Lorenz curve interpolated linearly, so a
  fractional terminal counts pro rata (e.g. top 20% of 7 terminals = 1.4 terminals).
* **Gini** ``= sum_i (2 i - n - 1) x_(i) / (n sum x)`` (ascending order, no small-sample
  correction), which is 1 - 2 x (area under the piecewise-linear Lorenz curve).
* **Terminals needed to reach s**: the smallest ``k`` with the top ``k`` carrying at least
  ``s`` of the volume, i.e. the terminal whose volume crosses the threshold *counts*.
* Bootstrap intervals are percentile intervals from resampling terminals with replacement.

Negative volumes (net returns) are not allowed in concentration measures: drop or floor them
first; a ``ValueError`` names the rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ars_analysis.tails import ALTERNATIVES, FitResult, fit_tail, vuong_test

__all__ = [
    "lorenz",
    "pareto_curve",
    "gini",
    "top_share",
    "bootstrap_ci",
    "concentration_table",
    "terminals_to_reach",
    "fit_tail",
    "FitResult",
    "vuong_test",
    "ALTERNATIVES",
    "tail_report",
    "lorenz_fit",
    "missing_volume",
    "terminal_status",
    "coverage",
    "buildout_list",
    "terminal_margins",
    "QUADRANTS",
    "missing_volume_by",
    "tail_assessment",
    "lorenz_fit_valid",
    "core_distributors",
    "linking_plan",
    "retailer_margins",
    "scope_margins",
    "TerminalNetwork",
    "analyse_terminal_network",
]

#: Quadrant codes of :func:`terminal_margins` (labels in ``labels/terminals.yml``).
QUADRANTS = ("consolidate", "improve_margin", "grow", "review")

MEASURES = ("revenue", "quantity", "gross_margin")


# ---------------------------------------------------------------- helpers


def _values(data, value: str | None = None, name: str = "values") -> np.ndarray:
    if isinstance(data, pd.DataFrame):
        if value is None or value not in data:
            raise ValueError(
                f"{name}: column {value!r} not found; columns are {list(data.columns)}"
            )
        s = data[value]
    else:
        s = pd.Series(np.asarray(data, dtype=float).ravel())
    x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise ValueError(
            f"{name}: {bad.size} missing/non-numeric {value or 'values'} (rows {bad[:5].tolist()})"
        )
    neg = np.flatnonzero(x < 0)
    if neg.size:
        raise ValueError(
            f"{name}: {neg.size} negative {value or 'values'} (rows {neg[:5].tolist()}); "
            "concentration needs volumes >= 0 (drop or floor net returns first)"
        )
    return x


def _gini_sorted(xs: np.ndarray) -> np.ndarray:
    """Gini of each row of an ascending-sorted 2-D array."""
    n = xs.shape[-1]
    w = 2 * np.arange(1, n + 1) - n - 1
    tot = xs.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, (xs * w).sum(axis=-1) / (n * tot), 0.0)


def _top_share_sorted(xs: np.ndarray, share: float) -> np.ndarray:
    """Top-``share`` volume share of each row of an ascending-sorted 2-D array."""
    n = xs.shape[-1]
    desc = xs[..., ::-1]
    cum = np.concatenate([np.zeros(xs.shape[:-1] + (1,)), np.cumsum(desc, axis=-1)], axis=-1)
    tot = cum[..., -1]
    k = share * n
    lo = int(np.floor(k))
    frac = k - lo
    val = cum[..., lo] + (frac * (cum[..., min(lo + 1, n)] - cum[..., lo]) if frac else 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(tot > 0, val / tot, np.nan)


def _boot_matrix(x: np.ndarray, n_boot: int, rng, chunk: int = 2_000_000):
    """Yield ascending-sorted bootstrap resamples of ``x`` in chunks."""
    n = x.size
    per = max(1, chunk // max(n, 1))
    done = 0
    while done < n_boot:
        b = min(per, n_boot - done)
        yield np.sort(x[rng.integers(0, n, size=(b, n))], axis=1)
        done += b


# ---------------------------------------------------------------- curves and indices


def lorenz(data, value: str = "revenue", by: str | list[str] | None = None) -> pd.DataFrame:
    """Empirical Lorenz curve of terminal volume, overall or per group.

    Parameters
    ----------
    data : DataFrame or array-like
        Per-terminal volumes (a DataFrame with column ``value``) or the volumes themselves.
    value : str
        Volume column (``revenue``, ``quantity``, ``gross_margin``...).
    by : str or list of str, optional
        Group columns (e.g. ``"region"``); one curve per group.

    Returns
    -------
    DataFrame
        ``by`` columns, ``terminal_share`` (0..1) and ``volume_share`` (0..1), one row per
        terminal plus the origin, ascending.

    Examples
    --------
    >>> lorenz([1, 1, 2])["volume_share"].round(2).tolist()
    [0.0, 0.25, 0.5, 1.0]
    """
    if by is not None:
        if not isinstance(data, pd.DataFrame):
            raise ValueError("lorenz: `by` needs a DataFrame")
        by = [by] if isinstance(by, str) else list(by)
        parts = []
        for key, g in data.groupby(by, sort=True, observed=True):
            part = lorenz(g, value=value)
            key = key if isinstance(key, tuple) else (key,)
            for col, k in zip(by, key, strict=True):
                part[col] = k
            parts.append(part[[*by, "terminal_share", "volume_share"]])
        return pd.concat(parts, ignore_index=True)
    x = np.sort(_values(data, value, "lorenz"))
    n = x.size
    cum = np.r_[0.0, np.cumsum(x)]
    tot = cum[-1]
    return pd.DataFrame(
        {
            "terminal_share": np.arange(n + 1) / n,
            "volume_share": cum / tot if tot > 0 else np.linspace(0, 1, n + 1),
        }
    )


def pareto_curve(
    data: pd.DataFrame,
    value: str = "revenue",
    by: str | list[str] | None = None,
    id_col: str = "terminal_id",
) -> pd.DataFrame:
    """Ranked cumulative share curve (Pareto chart data), overall or per group.

    Returns
    -------
    DataFrame
        ``by`` columns, ``id_col``, ``value``, ``rank`` (1 = largest), ``terminal_share``
        (rank / n) and ``cumulative_share`` (share of volume in the top ``rank`` terminals).

    Examples
    --------
    >>> df = pd.DataFrame({"terminal_id": ["a", "b", "c", "d"], "revenue": [10, 50, 30, 10]})
    >>> pareto_curve(df)[["terminal_id", "rank", "cumulative_share"]].to_string(index=False)
    'terminal_id  rank  cumulative_share\\n          b     1               0.5\\n          c     2               0.8\\n          a     3               0.9\\n          d     4               1.0'
    """
    _values(data, value, "pareto_curve")
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    cols = [*by, id_col, value] if id_col in data else [*by, value]
    df = data[cols].copy()
    df = df.sort_values([*by, value], ascending=[True] * len(by) + [False], kind="mergesort")
    g = df.groupby(by, sort=False, observed=True) if by else None
    if g is not None:
        df["rank"] = g.cumcount() + 1
        n = g[value].transform("size")
        tot = g[value].transform("sum")
        cum = g[value].cumsum()
    else:
        df["rank"] = np.arange(1, len(df) + 1)
        n = len(df)
        tot = df[value].sum()
        cum = df[value].cumsum()
    df["terminal_share"] = df["rank"] / n
    df["cumulative_share"] = cum / tot
    return df.reset_index(drop=True)


def gini(data, value: str = "revenue") -> float:
    """Gini coefficient of terminal volume (0 = all equal, 1 = one terminal has everything).

    Examples
    --------
    >>> gini([5, 5, 5, 5])
    0.0
    >>> round(gini([0, 0, 0, 1]), 3)
    0.75
    """
    x = np.sort(_values(data, value, "gini"))
    return float(_gini_sorted(x[None, :])[0])


def top_share(data, share: float = 0.2, value: str = "revenue") -> float:
    """Share of volume carried by the top ``share`` of terminals (pro-rata interpolation).

    Examples
    --------
    >>> top_share([1, 1, 1, 7], 0.25)
    0.7
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    x = np.sort(_values(data, value, "top_share"))
    return float(_top_share_sorted(x[None, :], share)[0])


def bootstrap_ci(
    data,
    stat: str = "gini",
    *,
    value: str = "revenue",
    share: float = 0.2,
    n_boot: int = 500,
    level: float = 0.95,
    seed=None,
) -> tuple[float, float, float]:
    """Estimate and percentile bootstrap interval of ``"gini"`` or ``"top_share"``.

    Returns
    -------
    (estimate, low, high)

    Examples
    --------
    >>> est, lo, hi = bootstrap_ci(np.arange(1, 101), "gini", n_boot=200, seed=0)
    >>> lo < est < hi
    True
    """
    x = np.sort(_values(data, value, "bootstrap_ci"))
    if stat == "gini":
        f = _gini_sorted
    elif stat == "top_share":

        def f(xs):
            return _top_share_sorted(xs, share)
    else:
        raise ValueError(f"stat must be 'gini' or 'top_share', got {stat!r}")
    est = float(f(x[None, :])[0])
    if n_boot <= 0 or x.size < 2:
        return est, np.nan, np.nan
    rng = np.random.default_rng(seed)
    reps = np.concatenate([f(m) for m in _boot_matrix(x, n_boot, rng)])
    a = (1 - level) / 2
    lo, hi = np.nanquantile(reps, [a, 1 - a])
    return est, float(lo), float(hi)


def terminals_to_reach(
    data: pd.DataFrame,
    shares=(0.5, 0.8, 0.9),
    value: str = "revenue",
    id_col: str = "terminal_id",
    detail: bool = False,
) -> pd.DataFrame:
    """How many (and which) terminals carry 50/80/90% of the volume.

    The smallest number ``k`` of the largest terminals whose volume reaches at least each
    share; the terminal that crosses the threshold counts.

    Parameters
    ----------
    detail : bool
        False: one row per share (``share, n_terminals, terminal_share, volume_share``).
        True: the terminals needed for the largest share, largest first, with ``rank``,
        ``cumulative_share`` and ``needed_for`` (smallest target share they are needed for).

    Examples
    --------
    >>> df = pd.DataFrame({"terminal_id": list("abcd"), "revenue": [50, 30, 10, 10]})
    >>> terminals_to_reach(df, [0.5, 0.8, 0.9])[["share", "n_terminals"]].values.tolist()
    [[0.5, 1.0], [0.8, 2.0], [0.9, 3.0]]
    """
    shares = sorted(float(s) for s in np.atleast_1d(shares))
    if any(not 0 < s <= 1 for s in shares):
        raise ValueError(f"shares must be in (0, 1], got {shares}")
    curve = pareto_curve(data, value=value, id_col=id_col)
    cs = curve["cumulative_share"].to_numpy()
    n = len(curve)
    eps = 1e-12
    ks = [int(np.searchsorted(cs, s - eps, side="left")) + 1 for s in shares]
    if detail:
        k_max = min(max(ks), n)
        out = curve.iloc[:k_max].copy()
        needed = np.full(k_max, np.nan)
        for s, k in sorted(zip(shares, ks, strict=True), reverse=True):
            needed[: min(k, n)] = s
        out["needed_for"] = needed
        return out
    return pd.DataFrame(
        {
            "share": shares,
            "n_terminals": [min(k, n) for k in ks],
            "terminal_share": [min(k, n) / n for k in ks],
            "volume_share": [cs[min(k, n) - 1] for k in ks],
        }
    )


def concentration_table(
    data: pd.DataFrame,
    by: str | list[str] | None = None,
    value: str = "revenue",
    shares=(0.5, 0.8, 0.9),
    top: float = 0.2,
    n_boot: int = 500,
    level: float = 0.95,
    seed=None,
    id_col: str = "terminal_id",
) -> pd.DataFrame:
    """Concentration of terminal volume per group, with bootstrap intervals.

    Returns
    -------
    DataFrame
        One row per group (or one row when ``by`` is None), sorted by ``gini`` descending
        (most concentrated market first): ``by`` columns, ``n_terminals``, ``total``,
        ``gini``, ``gini_low``, ``gini_high``, ``top_share`` (share of the top ``top``
        terminals), ``top_share_low``, ``top_share_high``, and ``n_for_50``, ``n_for_80``...
        (terminals needed to reach each share).

    Examples
    --------
    >>> df = pd.DataFrame({"terminal_id": list("abcdef"), "region": list("EEEWWW"),
    ...                    "revenue": [1, 1, 1, 10, 1, 1]})
    >>> t = concentration_table(df, by="region", n_boot=0)
    >>> t[["region", "n_terminals", "gini", "n_for_50"]].values.tolist()
    [['W', 3, 0.5, 1], ['E', 3, 0.0, 2]]
    """
    by_l = [] if by is None else ([by] if isinstance(by, str) else list(by))
    groups = data.groupby(by_l, sort=True, observed=True) if by_l else [((), data)]
    rng = np.random.default_rng(seed)
    rows = []
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        x = _values(g, value, "concentration_table")
        row = dict(zip(by_l, key, strict=True))
        row["n_terminals"] = x.size
        row["total"] = float(x.sum())
        sub_seed = int(rng.integers(2**31))
        row["gini"], row["gini_low"], row["gini_high"] = bootstrap_ci(
            x, "gini", n_boot=n_boot, level=level, seed=sub_seed
        )
        row["top_share"], row["top_share_low"], row["top_share_high"] = bootstrap_ci(
            x, "top_share", share=top, n_boot=n_boot, level=level, seed=sub_seed
        )
        reach = terminals_to_reach(g, shares, value=value, id_col=id_col)
        for s, k in zip(reach["share"], reach["n_terminals"], strict=True):
            row[f"n_for_{round(s * 100):d}"] = int(k)
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values("gini", ascending=False, kind="mergesort").reset_index(drop=True)


# ---------------------------------------------------------------- tails


def tail_report(
    fit: FitResult,
    n_boot: int = 200,
    seed=None,
    alternatives=ALTERNATIVES,
    significance: float = 0.1,
) -> dict:
    """Fit summary, goodness-of-fit p-value and comparisons with alternatives in one dict.

    Returns
    -------
    dict
        ``summary`` (dict of :meth:`FitResult.summary` plus ``p_gof``, ``p_gof_se``) and
        ``compare`` (DataFrame of :meth:`FitResult.compare_all`).
    """
    s = fit.summary()
    if n_boot:
        p = fit.gof_pvalue(n_boot=n_boot, seed=seed)
        s["p_gof"] = p
        s["p_gof_se"] = float(np.sqrt(max(p * (1 - p), 1e-12) / n_boot))
        s["n_boot"] = n_boot
    return {"summary": s, "compare": fit.compare_all(alternatives, significance=significance)}


# ---------------------------------------------------------------- parametric Lorenz


def _lorenz_pareto(p, a):
    return 1 - (1 - p) ** (1 - 1 / a)


def _lorenz_lognormal(p, sigma):
    with np.errstate(divide="ignore"):
        return stats.norm.cdf(stats.norm.ppf(p) - sigma)


def lorenz_fit(
    data,
    value: str = "revenue",
    models=("pareto", "lognormal"),
    method: str = "lsq",
    grid: int = 101,
) -> dict:
    """Fit parametric Lorenz curves (Pareto, log-normal) to terminal volumes.

    Pareto (type I, shape ``a > 1``): ``L(p) = 1 - (1 - p)^(1 - 1/a)``, Gini ``1 / (2a - 1)``.
    Log-normal (``sigma``): ``L(p) = Phi(Phi^-1(p) - sigma)``, Gini ``2 Phi(sigma/sqrt 2) - 1``.

    Parameters
    ----------
    method : {"lsq", "mle"}
        ``"lsq"``: least squares between the parametric and the empirical Lorenz curve at
        the terminals' population shares (fits the curve the client sees); ``"mle"``:
        maximum likelihood on the volumes (log-normal: ``sigma = sd(log x)`` of positive
        values; Pareto with ``xmin = min x``: ``a = n / sum log(x / xmin)``).
    grid : int
        Number of points of the returned curves.

    Returns
    -------
    dict
        ``params`` (DataFrame: ``model, parameter, value, gini, rmse``) and ``curves``
        (DataFrame: ``model, terminal_share, volume_share``; ``model = "empirical"`` too).

    Examples
    --------
    >>> x = np.random.default_rng(0).lognormal(0, 1.0, 4000)
    >>> r = lorenz_fit(x, method="mle")
    >>> p = r["params"].set_index("model")
    >>> round(float(p.loc["lognormal", "value"]), 1)
    1.0
    """
    x = _values(data, value, "lorenz_fit")
    emp = lorenz(x)
    pe, le = emp["terminal_share"].to_numpy(), emp["volume_share"].to_numpy()
    inner = (pe > 0) & (pe < 1)
    funcs = {"pareto": _lorenz_pareto, "lognormal": _lorenz_lognormal}
    rows, curves = (
        [],
        [pd.DataFrame({"model": "empirical", "terminal_share": pe, "volume_share": le})],
    )
    pg = np.linspace(0, 1, grid)
    for m in models:
        if m not in funcs:
            raise ValueError(f"lorenz_fit: unknown model {m!r}; use 'pareto' or 'lognormal'")
        f = funcs[m]
        if method == "mle":
            pos = x[x > 0]
            if m == "lognormal":
                par = float(np.std(np.log(pos)))
            else:
                par = float(pos.size / np.sum(np.log(pos / pos.min())))
                par = max(par, 1.0 + 1e-6)
        elif method == "lsq":
            bounds = (1.0 + 1e-6, 50.0) if m == "pareto" else (1e-6, 10.0)
            res = optimize.minimize_scalar(
                lambda t, f=f: np.sum((f(pe[inner], t) - le[inner]) ** 2),
                bounds=bounds,
                method="bounded",
                options={"xatol": 1e-9},
            )
            par = float(res.x)
        else:
            raise ValueError(f"method must be 'lsq' or 'mle', got {method!r}")
        g = 1 / (2 * par - 1) if m == "pareto" else 2 * stats.norm.cdf(par / np.sqrt(2)) - 1
        rmse = float(np.sqrt(np.mean((f(pe[inner], par) - le[inner]) ** 2))) if inner.any() else 0.0
        rows.append(
            {
                "model": m,
                "parameter": "a" if m == "pareto" else "sigma",
                "value": par,
                "gini": float(g),
                "rmse": rmse,
            }
        )
        curves.append(pd.DataFrame({"model": m, "terminal_share": pg, "volume_share": f(pg, par)}))
    return {"params": pd.DataFrame(rows), "curves": pd.concat(curves, ignore_index=True)}


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
    value: str = "revenue",
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
    out = _missing_volume(data, n_total, value, upper, n_boot, seed)
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


def _missing_volume(data, n_total, value="revenue", upper="max", n_boot=500, seed=None) -> dict:
    """:func:`missing_volume` without the interval, with the bootstrap ``draws`` (ndarray)."""
    x = _values(data, value, "missing_volume")
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


# ---------------------------------------------------------------- coverage


def _require(df: pd.DataFrame, cols, table: str):
    missing = [c for c in cols if c not in df]
    if missing:
        raise ValueError(f"{table}: missing column(s) {missing}; columns are {list(df.columns)}")


def terminal_status(
    terminal_sales: pd.DataFrame,
    terminals: pd.DataFrame,
    visits: pd.DataFrame | None = None,
    *,
    core_customers=None,
    value: str = "revenue",
    top: float = 0.2,
    by: str | None = "region",
    top_ids=None,
) -> pd.DataFrame:
    """Per terminal: volume, high-volume flag, linked to a core distributor, visited.

    Reports pass ``top_ids``: the client's one set of top terminals
    (:func:`ars_analysis.compose.top_terminals` on all data), so that ``high_volume`` means the
    same terminals in every report; without it the top ``top`` share is ranked here, within
    ``by`` groups of ``terminals`` as given (exploration only).

    Parameters
    ----------
    terminal_sales : DataFrame
        ``terminal_id`` and ``value`` (e.g. from ``terminal_sales(ds)``). Terminals of the
        ``terminals`` table without sales get volume 0.
    terminals : DataFrame
        ``terminal_id``, ``customer_id`` (empty = not linked), optional ``region``,
        ``terminal_type``, ``rep_id``, ``terminal_name``.
    visits : DataFrame, optional
        ``terminal_id`` and ``check_in`` (a visit is *done* when ``check_in`` is set). The
        caller restricts it to the period (``dataset.subset``).
    core_customers : list or Series of customer ids, optional
        Distributors that count as core; default: any linked distributor.
    top : float
        Share of terminals (ranked by volume within each ``by`` group) that are high-volume.
    by : str or None
        Group within which the top share is ranked (default ``region``).

    Returns
    -------
    DataFrame
        ``terminals`` columns plus ``volume``, ``rank`` (1 = largest in its group),
        ``high_volume``, ``linked`` (to a core distributor), ``visited`` (>= 1 done visit) and
        ``status`` in {``both``, ``linked_only``, ``visited_only``, ``neither``}.
    """
    _require(terminals, ["terminal_id", "customer_id"], "terminals")
    _require(terminal_sales, ["terminal_id", value], "terminal_sales")
    if by is not None:
        _require(terminals, [by], "terminals")
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top}")
    vol = terminal_sales.groupby("terminal_id")[value].sum()
    out = terminals.copy()
    out["volume"] = out["terminal_id"].map(vol).fillna(0.0).astype(float)
    cust = out["customer_id"].astype("string").str.strip()
    is_linked = cust.notna() & (cust != "")
    if core_customers is not None:
        core = set(pd.Series(core_customers).astype(str))
        is_linked &= cust.isin(core).fillna(False)
    out["linked"] = is_linked.fillna(False).astype(bool).to_numpy()
    if visits is not None and len(visits):
        _require(visits, ["terminal_id", "check_in"], "visits")
        done = visits.loc[visits["check_in"].notna() & visits["terminal_id"].notna(), "terminal_id"]
        out["visited"] = out["terminal_id"].isin(set(done)).to_numpy()
    else:
        out["visited"] = False
    grp = out.groupby(by, observed=True, sort=False) if by else None
    if grp is not None:
        out["rank"] = grp["volume"].rank(method="first", ascending=False).astype(int)
        n = grp["volume"].transform("size")
    else:
        out["rank"] = out["volume"].rank(method="first", ascending=False).astype(int)
        n = len(out)
    n_top = np.maximum(1, np.ceil(top * n - 1e-9)).astype(int)
    out["high_volume"] = (out["rank"] <= n_top) & (out["volume"] > 0)
    if top_ids is not None:
        out["high_volume"] = out["terminal_id"].isin(set(pd.Series(top_ids))).to_numpy()
    out["status"] = np.select(
        [out["linked"] & out["visited"], out["linked"], out["visited"]],
        ["both", "linked_only", "visited_only"],
        "neither",
    )
    return out


def coverage(
    terminal_sales: pd.DataFrame,
    terminals: pd.DataFrame,
    visits: pd.DataFrame | None = None,
    *,
    core_customers=None,
    value: str = "revenue",
    top: float = 0.2,
    by: str | None = "region",
    top_ids=None,
) -> pd.DataFrame:
    """Coverage of the high-volume terminals per region (终端布局).

    High-volume terminals are the top ``top`` share by volume within each group (rounded up,
    at least one; terminals without volume never count). See :func:`terminal_status`.

    Returns
    -------
    DataFrame
        One row per group: ``n_terminals``, ``n_high``, ``linked`` (high-volume terminals
        linked to a core distributor), ``visited``, ``both``, ``linked_only``,
        ``visited_only``, ``neither``, ``coverage_rate`` (linked or visited, over ``n_high``),
        ``linked_rate``, ``visited_rate``, ``high_volume`` and ``volume_not_linked`` (volume of
        high-volume terminals not linked: the build-out stake).

    Examples
    --------
    >>> t = pd.DataFrame({"terminal_id": list("abcd"), "region": ["E"] * 4,
    ...                   "customer_id": ["C1", None, "", "C2"]})
    >>> s = pd.DataFrame({"terminal_id": list("abcd"), "revenue": [40, 30, 20, 10]})
    >>> v = pd.DataFrame({"terminal_id": ["b"], "check_in": pd.to_datetime(["2025-01-02"])})
    >>> coverage(s, t, v, top=0.5)[["n_high", "linked", "visited", "neither", "coverage_rate"]]
       n_high  linked  visited  neither  coverage_rate
    0       2       1        1        0            1.0
    """
    st = terminal_status(
        terminal_sales,
        terminals,
        visits,
        core_customers=core_customers,
        value=value,
        top=top,
        by=by,
        top_ids=top_ids,
    )
    keys = [by] if by else []
    rows = []
    groups = st.groupby(keys, observed=True, sort=True) if keys else [((), st)]
    for key, g in groups:
        key = key if isinstance(key, tuple) else (key,)
        h = g[g["high_volume"]]
        row = dict(zip(keys, key, strict=True))
        nh = len(h)
        row.update(
            {
                "n_terminals": len(g),
                "n_high": nh,
                "linked": int(h["linked"].sum()),
                "visited": int(h["visited"].sum()),
                "both": int((h["status"] == "both").sum()),
                "linked_only": int((h["status"] == "linked_only").sum()),
                "visited_only": int((h["status"] == "visited_only").sum()),
                "neither": int((h["status"] == "neither").sum()),
            }
        )
        row["coverage_rate"] = (nh - row["neither"]) / nh if nh else np.nan
        row["linked_rate"] = row["linked"] / nh if nh else np.nan
        row["visited_rate"] = row["visited"] / nh if nh else np.nan
        row["high_volume"] = float(h["volume"].sum())
        row["volume_not_linked"] = float(h.loc[~h["linked"], "volume"].sum())
        rows.append(row)
    return pd.DataFrame(rows)


def buildout_list(
    terminal_sales: pd.DataFrame,
    terminals: pd.DataFrame,
    visits: pd.DataFrame | None = None,
    *,
    core_customers=None,
    value: str = "revenue",
    top: float = 0.2,
    by: str | None = "region",
    top_ids=None,
) -> pd.DataFrame:
    """High-volume terminals not yet linked to a core distributor, largest first.

    Returns
    -------
    DataFrame
        The :func:`terminal_status` columns of those terminals, sorted by ``volume``
        descending, plus ``cumulative_volume`` (the volume at stake so far).

    Examples
    --------
    >>> t = pd.DataFrame({"terminal_id": list("abcd"), "region": ["E"] * 4,
    ...                   "customer_id": ["C1", None, "", "C2"]})
    >>> s = pd.DataFrame({"terminal_id": list("abcd"), "revenue": [40, 30, 20, 10]})
    >>> buildout_list(s, t, top=0.75)["terminal_id"].tolist()
    ['b', 'c']
    """
    st = terminal_status(
        terminal_sales,
        terminals,
        visits,
        core_customers=core_customers,
        value=value,
        top=top,
        by=by,
        top_ids=top_ids,
    )
    out = st[st["high_volume"] & ~st["linked"]].sort_values(
        ["volume", "terminal_id"], ascending=[False, True], kind="mergesort"
    )
    out = out.reset_index(drop=True)
    out["cumulative_volume"] = out["volume"].cumsum()
    return out


# ---------------------------------------------------------------- margins


def terminal_margins(
    terminal_sales: pd.DataFrame,
    terminals: pd.DataFrame | None = None,
    *,
    volume: str = "revenue",
    volume_threshold: float | None = None,
    margin_threshold: float | None = None,
) -> pd.DataFrame:
    """Gross margin and margin rate per terminal, with a volume x margin-rate quadrant (巩固).

    Quadrants (split at the medians unless thresholds are given; a terminal exactly on a
    threshold counts as high):

    * ``consolidate``: high volume, high margin rate (巩固: protect and deepen);
    * ``improve_margin``: high volume, low margin rate (fix price/mix/promotion cost);
    * ``grow``: low volume, high margin rate (develop);
    * ``review``: low volume, low margin rate.

    Returns
    -------
    DataFrame
        ``terminal_id`` (+ ``terminals`` attributes when given), ``revenue``, ``cost``,
        ``gross_margin``, ``margin_rate`` (gross margin / revenue; NaN when revenue <= 0),
        ``volume``, ``quadrant``; sorted by ``gross_margin`` descending.

    Examples
    --------
    >>> s = pd.DataFrame({"terminal_id": list("abcd"), "revenue": [100.0, 100, 10, 10],
    ...                   "cost": [60.0, 90, 5, 9]})
    >>> s["gross_margin"] = s["revenue"] - s["cost"]
    >>> terminal_margins(s)[["terminal_id", "margin_rate", "quadrant"]].values.tolist()
    [['a', 0.4, 'consolidate'], ['b', 0.1, 'improve_margin'], ['c', 0.5, 'grow'], ['d', 0.1, 'review']]
    """
    _require(terminal_sales, ["terminal_id", "revenue"], "terminal_sales")
    df = terminal_sales.copy()
    if "gross_margin" not in df:
        _require(df, ["cost"], "terminal_sales")
        df["gross_margin"] = df["revenue"] - df["cost"]
    if df["gross_margin"].isna().all():
        raise ValueError(
            "terminal_sales: gross_margin is empty (the sales table has no cost column); "
            "terminal margins need sales.cost"
        )
    _require(df, [volume], "terminal_sales")
    keep = ["terminal_id", "revenue", "gross_margin"] + (["cost"] if "cost" in df else [])
    if volume not in keep:
        keep.append(volume)
    out = df[keep].copy()
    rev = out["revenue"].astype(float)
    out["margin_rate"] = np.where(rev > 0, out["gross_margin"] / rev.where(rev > 0), np.nan)
    out["volume"] = out[volume].astype(float)
    vt = float(out["volume"].median()) if volume_threshold is None else float(volume_threshold)
    mr = out["margin_rate"]
    mt = float(mr.median()) if margin_threshold is None else float(margin_threshold)
    hv = out["volume"] >= vt
    hm = mr >= mt
    out["quadrant"] = np.select(
        [hv & hm, hv & ~hm, ~hv & hm], ["consolidate", "improve_margin", "grow"], "review"
    )
    out.loc[mr.isna(), "quadrant"] = "review"
    out.attrs["volume_threshold"] = vt
    out.attrs["margin_threshold"] = mt
    if terminals is not None:
        attrs = [
            c
            for c in ("terminal_name", "region", "terminal_type", "customer_id", "rep_id")
            if c in terminals
        ]
        out = out.merge(terminals[["terminal_id", *attrs]], on="terminal_id", how="left")
        out = out[
            ["terminal_id", *attrs, *[c for c in out.columns if c not in ("terminal_id", *attrs)]]
        ]
        out.attrs["volume_threshold"] = vt
        out.attrs["margin_threshold"] = mt
    out = out.sort_values(
        ["gross_margin", "terminal_id"], ascending=[False, True], kind="mergesort"
    )
    return out.reset_index(drop=True)


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
    value: str = "revenue",
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
    _require(data, [by, value], "missing_volume_by")
    a = (1 - level) / 2
    rows, draws = [], []
    for key, g in data.groupby(by, sort=True, observed=True):
        x = _values(g, value, "missing_volume_by")
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


# ---------------------------------------------------------------- fit validity


#: Range of tail exponents accepted as a meaningful terminal-volume power law.
ALPHA_RANGE = (1.0, 5.0)


def _alternative_ok(alternative: str, params: dict, tail: np.ndarray) -> bool:
    vals = np.array(list(params.values()), float)
    if not np.all(np.isfinite(vals)):
        return False
    lo, hi = np.log(tail.min()), np.log(tail.max())
    if alternative == "lognormal":
        # a log-normal whose median lies far outside the data (mu = -2.6e5) is a degenerate
        # fit (it imitates a power law), not a competing description
        sigma, mu = params["sigma"], params["mu"]
        return 0 < sigma <= 10 and lo - 3 * (hi - lo) - 10 <= mu <= hi + 10
    if alternative == "exponential":
        return params["lambda"] > 0
    if alternative == "truncated_power_law":
        return 0 < params["alpha"] < 20 and params["lambda"] >= 0
    return True


def tail_assessment(
    values,
    *,
    min_sample: int = 50,
    n_boot: int = 200,
    seed=None,
    alpha_range: tuple[float, float] = ALPHA_RANGE,
    significance: float = 0.1,
) -> dict:
    """Fit a power-law tail and say whether the fit may be shown as a result.

    Checks, in order (the first that fails sets ``status``):

    * ``too_few``: fewer than ``min_sample`` positive values, or a fitted tail with fewer than
      ``min_sample`` values (the client configuration's ``min_sample.tail_fit``);
    * ``failed``: no valid fit (error, or ``alpha`` outside ``alpha_range``);
    * ``rejected``: the goodness-of-fit bootstrap rejects the power law (``p_gof <
      significance``, Clauset et al. 2009 sec. 4.1);
    * ``valid`` otherwise.

    Alternatives are compared only when the fit is valid; an alternative whose own fit is
    degenerate (e.g. a log-normal with ``mu = -2.6e5``) gets the verdict ``not_fitted``
    instead of a likelihood ratio.

    Returns
    -------
    dict
        ``status``, ``n``, ``min_sample`` and, when fitted, ``xmin``, ``alpha``, ``alpha_se``,
        ``alpha_low``/``alpha_high`` (95% interval, ``alpha +- 1.96 se``), ``n_tail``,
        ``tail_share`` (share of terminals in the tail), ``p_gof``, ``fit`` (the
        :class:`FitResult`) and ``compare`` (DataFrame ``alternative, R, p, verdict``).

    Examples
    --------
    >>> tail_assessment([1.0, 2.0, 3.0], min_sample=50)["status"]
    'too_few'
    """
    x = np.asarray(values, float)
    x = x[np.isfinite(x) & (x > 0)]
    out: dict = {"status": "too_few", "n": int(x.size), "min_sample": int(min_sample)}
    if x.size < max(min_sample, 3):
        return out
    try:
        fit = fit_tail(x)
    except ValueError:
        out["status"] = "failed"
        return out
    s = fit.summary()
    z = stats.norm.ppf(0.975)
    out.update(
        fit=fit,
        xmin=s["xmin"],
        alpha=s["alpha"],
        alpha_se=s["alpha_se"],
        alpha_low=s["alpha"] - z * s["alpha_se"],
        alpha_high=s["alpha"] + z * s["alpha_se"],
        n_tail=s["n_tail"],
        tail_share=s["n_tail"] / x.size,
    )
    if s["n_tail"] < min_sample:
        out["status"] = "too_few"
        return out
    if not (alpha_range[0] < s["alpha"] < alpha_range[1]) or not np.isfinite(s["alpha_se"]):
        out["status"] = "failed"
        return out
    out["p_gof"] = fit.gof_pvalue(n_boot=n_boot, seed=seed) if n_boot else np.nan
    if n_boot and out["p_gof"] < significance:
        out["status"] = "rejected"
        return out
    rows = []
    for alt in ALTERNATIVES:
        try:
            r = fit.compare(alt, significance=significance)
            ok = _alternative_ok(alt, r["params"], fit.tail)
        except (ValueError, FloatingPointError, OverflowError):
            ok = False
        if ok:
            rows.append({k: r[k] for k in ("alternative", "R", "p", "verdict")})
        else:
            rows.append({"alternative": alt, "R": np.nan, "p": np.nan, "verdict": "not_fitted"})
    out["compare"] = pd.DataFrame(rows)
    out["status"] = "valid"
    return out


def lorenz_fit_valid(params: pd.DataFrame, n: int, *, min_sample: int = 50, max_rmse=0.02):
    """Which parametric Lorenz fits of :func:`lorenz_fit` are meaningful.

    A fit is valid when the data have at least ``min_sample`` terminals, its parameter is not at
    a bound of the search (Pareto ``a`` in (1, 50), log-normal ``sigma`` in (0, 10)) and its
    root-mean-square distance to the observed curve is at most ``max_rmse`` (2 percentage
    points by default).

    Returns
    -------
    DataFrame
        ``params`` plus a boolean column ``valid``.
    """
    out = params.copy()
    lo = np.where(out["model"] == "pareto", 1.0 + 1e-4, 1e-4)
    hi = np.where(out["model"] == "pareto", 50.0 - 1e-3, 10.0 - 1e-3)
    v = out["value"].to_numpy(float)
    out["valid"] = (n >= min_sample) & (v > lo) & (v < hi) & (out["rmse"].to_numpy() <= max_rmse)
    return out


# ---------------------------------------------------------------- core distributors and linking


def core_distributors(
    customer_sales: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    cuts=(0.8, 0.95),
    by: str = "region",
) -> pd.DataFrame:
    """The distributors that count as *core* for the terminal network: ABC class A of their
    region (the first ``cuts`` value: the smallest set of top distributors of a region that
    carries 80% of its revenue; the crossing distributor counts).

    Computed on the whole dataset (all regions) so a regional report filters it.

    Parameters
    ----------
    customer_sales : DataFrame
        ``customer_id`` and ``revenue`` (sales of the period, any grouping; summed here).
    customers : DataFrame
        ``customer_id``, ``region`` and optionally ``customer_name``, ``city``.

    Returns
    -------
    DataFrame
        One row per distributor of ``customers``: ``customer_id``, ``customer_name``,
        ``region``, ``city``, ``revenue``, ``abc_class``, ``is_core``.

    Examples
    --------
    >>> c = pd.DataFrame({"customer_id": ["a", "b", "c"], "region": ["E"] * 3})
    >>> s = pd.DataFrame({"customer_id": ["a", "b", "c"], "revenue": [70.0, 20, 10]})
    >>> core_distributors(s, c)["is_core"].tolist()
    [True, True, False]
    """
    from ars_analysis.customers import abc_classify

    _require(customers, ["customer_id", by], "customers")
    rev = customer_sales.groupby("customer_id")["revenue"].sum()
    base = customers.drop_duplicates("customer_id").copy()
    for c in ("customer_name", "city"):
        if c not in base:
            base[c] = None
    base = base[["customer_id", "customer_name", by, "city"]].reset_index(drop=True)
    base["revenue"] = base["customer_id"].map(rev).fillna(0.0).astype(float)
    frame = base.assign(_g=base[by].fillna("").astype(str))
    abc = abc_classify(frame, "revenue", by="_g", cuts=list(cuts), sort=False)
    base["abc_class"] = abc["abc_class"].astype(str).to_numpy()
    base["is_core"] = (base["abc_class"] == "A") & (base["revenue"] > 0)
    return base


def _haversine_km(lat1, lon1, lat2, lon2):
    lat1, lon1, lat2, lon2 = (np.radians(np.asarray(v, float)) for v in (lat1, lon1, lat2, lon2))
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1)))


#: Reason codes of :func:`linking_plan` (wording in ``labels/terminals.yml``).
LINK_REASONS = (
    "same_city_supplies", "same_city", "nearest", "cultivate_local", "no_core_distributor"
)  # fmt: skip


def linking_plan(
    to_link: pd.DataFrame,
    core: pd.DataFrame,
    terminals: pd.DataFrame,
    sales: pd.DataFrame | None = None,
    *,
    max_new_per_distributor: int = 10,
    by: str = "region",
    max_distance_km: float | None = None,
    customers: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Propose, for each terminal to link, the core distributor that should serve it.

    Terminals are taken in order of ``volume_at_stake`` (largest first) and each is given the
    best core distributor *of its region* that still has room (at most
    ``max_new_per_distributor`` new terminals each, so the work is spread):

    1. ``same_city_supplies``: a core distributor in the terminal's city that already sells to
       it (the one selling most);
    2. ``same_city``: a core distributor in the terminal's city (the one with the fewest
       proposals so far, then the nearest);
    3. ``nearest``: the nearest core distributor by straight-line distance, a distributor's
       location being the centre (median latitude/longitude) of the terminals it supplies;
    4. ``cultivate_local``: the nearest core distributor is farther than ``max_distance_km``
       (no one can serve a shop from 400 km away): propose instead the distributor that sells
       most to the terminal today, to be cultivated into a core distributor;
    5. ``no_core_distributor``: the region has no core distributor with room.

    Parameters
    ----------
    to_link : DataFrame
        ``terminal_id``, ``by``, ``city``, ``volume_at_stake``.
    core : DataFrame
        Core distributors: ``customer_id``, ``customer_name``, ``by``, ``city``.
    terminals : DataFrame
        Terminal master (``terminal_id``, ``customer_id``, ``latitude``, ``longitude``) to
        locate terminals and distributors.
    sales : DataFrame, optional
        Sales lines (``terminal_id``, ``customer_id``, ``revenue``): who already sells to whom.
    max_distance_km : float, optional
        The farthest a core distributor may be from a terminal it is proposed for (None: no
        limit).
    customers : DataFrame, optional
        ``customer_id``, ``customer_name`` of every distributor (names of the local
        distributors proposed for cultivation).

    Returns
    -------
    DataFrame
        ``to_link`` plus ``proposed_customer_id``, ``proposed_customer_name``, ``reason``
        (one of :data:`LINK_REASONS`) and ``distance_km`` (terminal to the distributor's
        centre; missing without coordinates).

    Examples
    --------
    >>> t = pd.DataFrame({"terminal_id": ["t1", "t2"], "region": ["E", "E"],
    ...                   "city": ["A", "B"], "volume_at_stake": [5.0, 3.0]})
    >>> core = pd.DataFrame({"customer_id": ["c1"], "customer_name": ["甲"],
    ...                      "region": ["E"], "city": ["A"]})
    >>> master = pd.DataFrame({"terminal_id": ["t1", "t2"], "customer_id": [None, None]})
    >>> linking_plan(t, core, master)["reason"].tolist()
    ['same_city', 'nearest']
    """
    _require(to_link, ["terminal_id", by, "volume_at_stake"], "to_link")
    _require(core, ["customer_id", by], "core")
    out = to_link.sort_values(
        ["volume_at_stake", "terminal_id"], ascending=[False, True], kind="mergesort"
    ).reset_index(drop=True)
    coords = terminals.drop_duplicates("terminal_id").set_index("terminal_id")
    has_xy = {"latitude", "longitude"} <= set(coords.columns)
    centre = pd.DataFrame(columns=["latitude", "longitude"])
    if has_xy and "customer_id" in coords:
        located = coords.dropna(subset=["latitude", "longitude", "customer_id"])
        centre = located.groupby("customer_id")[["latitude", "longitude"]].median()
    supplies = pd.Series(dtype=float)
    if sales is not None and len(sales):
        supplies = (
            sales.dropna(subset=["terminal_id"])
            .groupby(["terminal_id", "customer_id"])["revenue"]
            .sum()
        )
    names = core.set_index("customer_id")
    load: dict = {}
    proposed, reasons, dist = [], [], []
    for row in out.itertuples(index=False):
        rd = row._asdict()
        cands = core[core[by] == rd[by]]
        cands = cands[[load.get(c, 0) < max_new_per_distributor for c in cands["customer_id"]]]
        if cands.empty:
            proposed.append(None)
            reasons.append("no_core_distributor")
            dist.append(np.nan)
            continue
        cid = cands["customer_id"].to_numpy()
        if has_xy and rd["terminal_id"] in coords.index:
            lat, lon = coords.loc[rd["terminal_id"], ["latitude", "longitude"]]
            c = centre.reindex(cid)
            km = _haversine_km(lat, lon, c["latitude"], c["longitude"])
        else:
            km = np.full(cid.size, np.nan)
        km_key = np.where(np.isfinite(km), km, np.inf)
        same = (
            (cands["city"].to_numpy() == rd.get("city")) & pd.notna(rd.get("city"))
            if "city" in cands
            else np.zeros(cid.size, bool)
        )
        sold = np.array(
            [float(supplies.get((rd["terminal_id"], c), 0.0)) for c in cid], dtype=float
        )
        n_load = np.array([load.get(c, 0) for c in cid])
        if (same & (sold > 0)).any():
            reason = "same_city_supplies"
            order = np.lexsort((cid, km_key, -sold, ~(same & (sold > 0))))
        elif same.any():
            reason = "same_city"
            order = np.lexsort((cid, km_key, n_load, ~same))
        else:
            reason = "nearest"
            order = np.lexsort((cid, n_load, km_key))
        k = order[0]
        if reason == "nearest" and max_distance_km is not None and km_key[k] > max_distance_km:
            local = _largest_supplier(supplies, rd["terminal_id"])
            if local is not None:
                proposed.append(local)
                reasons.append("cultivate_local")
                dist.append(float(km[k]))
                continue
        load[cid[k]] = load.get(cid[k], 0) + 1
        proposed.append(cid[k])
        reasons.append(reason)
        dist.append(float(km[k]))
    out["proposed_customer_id"] = proposed
    all_names = names["customer_name"] if "customer_name" in names else pd.Series(dtype=object)
    if customers is not None and "customer_name" in customers:
        extra = customers.drop_duplicates("customer_id").set_index("customer_id")["customer_name"]
        all_names = pd.concat([all_names, extra[~extra.index.isin(all_names.index)]])
    out["proposed_customer_name"] = [all_names.get(c) if c is not None else None for c in proposed]
    out["reason"] = reasons
    out["distance_km"] = dist
    return out


def _largest_supplier(supplies: pd.Series, terminal_id):
    # the distributor that sold most to the terminal (None when nobody did)
    try:
        sold = supplies.xs(terminal_id, level="terminal_id")
    except KeyError:
        return None
    sold = sold[sold > 0]
    return None if sold.empty else sold.sort_index().idxmax()


# ---------------------------------------------------------------- retailer margin


def retailer_margins(sales: pd.DataFrame, products: pd.DataFrame | None) -> pd.DataFrame | None:
    """The retailer's gross margin on our products per terminal (巩固: the terminal's margin).

    ``retail value = retail_price x quantity`` (the shelf price from the products table) and
    ``retailer margin = retail value - revenue`` (what the terminal paid for the goods), on
    the sales lines whose product has a retail price.

    Returns
    -------
    DataFrame or None
        None when no product has a retail price (then only our own margin can be shown);
        otherwise one row per terminal: ``terminal_id``, ``retail_value``, ``purchase_value``
        (revenue of the priced lines), ``retailer_margin``, ``retailer_margin_rate``
        (margin / retail value) and ``priced_share`` (share of the terminal's revenue on lines
        with a retail price).

    Examples
    --------
    >>> s = pd.DataFrame({"terminal_id": ["t", "t"], "product_id": ["p", "q"],
    ...                   "quantity": [10.0, 1.0], "revenue": [80.0, 5.0]})
    >>> p = pd.DataFrame({"product_id": ["p", "q"], "retail_price": [10.0, None]})
    >>> retailer_margins(s, p)[["retailer_margin", "retailer_margin_rate"]].values.tolist()
    [[20.0, 0.2]]
    """
    if products is None or "retail_price" not in products:
        return None
    price = products.drop_duplicates("product_id").set_index("product_id")["retail_price"]
    price = pd.to_numeric(price, errors="coerce")
    price = price.where(price > 0)  # 0 or negative: unknown
    if price.notna().sum() == 0:
        return None
    lines = sales.dropna(subset=["terminal_id"])
    rp = lines["product_id"].map(price)
    priced = rp.notna()
    df = pd.DataFrame(
        {
            "terminal_id": lines["terminal_id"],
            "retail_value": (rp * lines["quantity"]).where(priced, 0.0),
            "purchase_value": lines["revenue"].where(priced, 0.0),
            "revenue": lines["revenue"],
        }
    )
    g = df.groupby("terminal_id", sort=True)[["retail_value", "purchase_value", "revenue"]].sum()
    g["retailer_margin"] = g["retail_value"] - g["purchase_value"]
    rv = g["retail_value"]
    g["retailer_margin_rate"] = np.where(rv > 0, g["retailer_margin"] / rv.where(rv > 0), np.nan)
    rev = g["revenue"]
    g["priced_share"] = np.where(rev > 0, g["purchase_value"] / rev.where(rev > 0), np.nan)
    return g.drop(columns="revenue").reset_index()


# ---------------------------------------------------------------- the report's analysis


@dataclass
class TerminalNetwork:
    """Everything the terminal-network report shows, for one scope (national or a region).

    Numbers and frames only, in the package's vocabulary (no wording, no language); built by
    :func:`analyse_terminal_network`. Top terminals are the client's one shared set
    (:func:`ars_analysis.compose.top_terminals` on all data) filtered to the scope; the
    concentration statistics (Gini, top-20% share, terminals needed for 80%) describe the
    distribution within the scope.

    Attributes
    ----------
    region : str, list or None
        The scope (None = national).
    terminals : DataFrame
        One row per terminal of the scope (terminal master): ``terminal_id``,
        ``terminal_name``, ``region``, ``city``, ``terminal_type``, ``customer_id`` (supplier
        in the master), ``revenue``, ``quantity``, ``gross_margin``, ``rank`` (in the shared
        ranking), ``is_top``, ``linked`` (supplier is a core distributor), ``visited``,
        ``status`` (``both``/``linked_only``/``visited_only``/``neither``),
        ``n_distributors`` (distributors that sold to it in the period), ``core_volume``,
        ``non_core_volume`` (revenue bought via non-core distributors) and
        ``volume_at_stake`` (= ``non_core_volume`` for top terminals not linked, else 0).
    top_terminal_ids : list of str
        Sorted IDs of the top terminals in the scope.
    concentration : dict
        Within the scope, terminals with positive revenue: ``n_terminals``, ``total``,
        ``gini`` (+ ``_low``/``_high``), ``top_share`` (share of the top ``share`` of
        terminals, + ``_low``/``_high``), ``n_for_50/80/90``.
    by_region, by_type : DataFrame
        :func:`concentration_table` per region / terminal type of the scope.
    pareto, reach : DataFrame
        Pareto curve (:func:`pareto_curve`) and :func:`terminals_to_reach` of the scope.
    lorenz : dict
        :func:`lorenz_fit` with ``params`` flagged by :func:`lorenz_fit_valid`.
    tail : dict
        :func:`tail_assessment`.
    missing : DataFrame
        :func:`missing_volume_by` per region of the scope plus the scope's total row
        (``region`` None): the sum of the regional estimates.
    coverage : DataFrame
        Per region: ``n_terminals``, ``n_top``, ``linked``, ``visited``, ``both``,
        ``linked_only``, ``visited_only``, ``neither``, ``coverage_rate``, ``linked_rate``,
        ``top_revenue``, ``top_share_of_revenue``, ``volume_at_stake``, ``n_to_link``.
    core : DataFrame
        :func:`core_distributors` of the scope.
    link_plan : DataFrame
        :func:`linking_plan` for the top terminals not linked that buy via non-core
        distributors: terminal columns plus ``proposed_customer_id``/``_name``, ``reason``,
        ``distance_km``.
    margins : DataFrame
        :func:`terminal_margins` of the scope's terminals with sales, on the retailer's margin
        when the products have a retail price (``margin_basis == "retailer"``), else on our
        own gross margin (``"ours"``).
    margin_basis : {"retailer", "ours"}
    sales_period, visit_period : tuple of Timestamp or None
    """

    region: object
    terminals: pd.DataFrame
    top_terminal_ids: list
    concentration: dict
    by_region: pd.DataFrame
    by_type: pd.DataFrame
    pareto: pd.DataFrame
    reach: pd.DataFrame
    lorenz: dict
    tail: dict
    missing: pd.DataFrame
    coverage: pd.DataFrame
    core: pd.DataFrame
    link_plan: pd.DataFrame
    margins: pd.DataFrame
    margin_basis: str
    top_share: float
    unobserved_ratio: float
    sales_period: tuple | None = None
    visit_period: tuple | None = None
    params: dict = field(default_factory=dict)

    @property
    def n_top_terminals(self) -> int:
        return len(self.top_terminal_ids)


def _period(dates) -> tuple | None:
    d = pd.to_datetime(pd.Series(dates)).dropna()
    return (d.min(), d.max()) if len(d) else None


def analyse_terminal_network(
    dataset,
    cfg=None,
    *,
    region=None,
    n_boot: int = 500,
    gof_boot: int = 200,
    seed=0,
    core: pd.DataFrame | None = None,
) -> TerminalNetwork:
    """The terminal-network analysis of one report (终端网络).

    Definitions are computed on the whole ``dataset`` (all regions; pass it already restricted
    to the analysis period with :func:`ars_analysis.dataset.subset`) and then filtered to
    ``region``: the top terminals (:func:`ars_analysis.compose.top_terminals` with
    ``cfg.definitions.top_terminal``), the core distributors (the client's one definition:
    scorecard grade A, :func:`ars_analysis.compose.core_customers`), the linking plan and the per-region estimates
    of market potential. So a regional report names exactly the national report's top
    terminals of that region, and its additive figures add up to the national ones.

    Parameters
    ----------
    dataset : Dataset
        Loaded data (``sales``, ``customers``, ``terminals``; optional ``visits``,
        ``products.retail_price``).
    cfg : ClientConfig, optional
        The client configuration (default: the sample client's).
    region : str or list, optional
        Scope of the report (None = national).
    n_boot, gof_boot : int
        Bootstrap replicates for intervals and for the tail fit's goodness of fit.
    seed : int
    core : DataFrame, optional
        :func:`ars_analysis.compose.core_customers` of the dataset (``customer_id``,
        ``is_core``; computed when not given).

    Returns
    -------
    TerminalNetwork
    """
    from ars_analysis.client import load_client_config
    from ars_analysis.compose import filter_region, top_terminals

    cfg = cfg or load_client_config()
    if dataset.terminals is None:
        raise ValueError("the terminal-network analysis needs the terminals table")
    top_def = cfg.definitions.top_terminal
    sales = dataset.sales
    master = dataset.terminals.drop_duplicates("terminal_id").reset_index(drop=True)
    for c in ("terminal_name", "city", "terminal_type", "customer_id", "region"):
        if c not in master:
            master[c] = None

    # shared definitions, whole dataset
    top = top_terminals(dataset, top_def).set_index("terminal_id")
    # core distributors: the client's one definition (scorecard grade A, on all distributors)
    from ars_analysis.compose import core_customers

    core_all = core if core is not None else core_customers(dataset, cfg, top=top.reset_index())
    core_all = core_all.copy()
    customers = dataset.customers.drop_duplicates("customer_id").set_index("customer_id")
    for c in ("customer_name", "region", "city"):
        if c not in core_all:
            core_all[c] = core_all["customer_id"].map(customers[c]) if c in customers else None
    core_ids = set(core_all.loc[core_all["is_core"], "customer_id"])

    lines = sales.loc[sales["terminal_id"].notna()]
    per_t = lines.groupby("terminal_id")[["revenue", "quantity"]].sum()
    cost = lines["cost"] if "cost" in lines else pd.Series(np.nan, index=lines.index)
    per_t["gross_margin"] = (lines["revenue"] - cost).groupby(lines["terminal_id"]).sum(min_count=1)
    is_core_line = lines["customer_id"].isin(core_ids)
    per_t["core_volume"] = (
        lines["revenue"].where(is_core_line, 0.0).groupby(lines["terminal_id"]).sum()
    )
    per_t["n_distributors"] = lines.groupby("terminal_id")["customer_id"].nunique()

    t = master[
        ["terminal_id", "terminal_name", "region", "city", "terminal_type", "customer_id"]
    ].copy()
    for c in ("revenue", "quantity", "core_volume"):
        t[c] = t["terminal_id"].map(per_t[c]).fillna(0.0).astype(float)
    t["gross_margin"] = t["terminal_id"].map(per_t["gross_margin"]).astype(float)
    t["n_distributors"] = t["terminal_id"].map(per_t["n_distributors"]).fillna(0).astype(int)
    t["non_core_volume"] = (t["revenue"] - t["core_volume"]).clip(lower=0.0)
    t["rank"] = t["terminal_id"].map(top["rank"]).astype("Int64")
    t["is_top"] = t["terminal_id"].map(top["is_top"]).fillna(False).astype(bool)
    t["linked"] = t["customer_id"].isin(core_ids).to_numpy()
    visits = dataset.visits
    visit_period = None
    if visits is not None and len(visits) and "terminal_id" in visits:
        done = visits.loc[visits["check_in"].notna() & visits["terminal_id"].notna()]
        t["visited"] = t["terminal_id"].isin(set(done["terminal_id"])).to_numpy()
        visit_period = _period(done["check_in"])
    else:
        t["visited"] = False
    t["status"] = np.select(
        [t["linked"] & t["visited"], t["linked"], t["visited"]],
        ["both", "linked_only", "visited_only"],
        "neither",
    )
    t["volume_at_stake"] = np.where(t["is_top"] & ~t["linked"], t["non_core_volume"], 0.0)

    # linking plan on the whole country, then filtered
    to_link = t[t["is_top"] & ~t["linked"] & (t["volume_at_stake"] > 0)]
    from ars_analysis.snapshot import memo  # whole-country definitions shared by a batch

    shared = (cfg, core_all, top)  # with the dataset, everything t and to_link depend on
    plan_all = memo("linking_plan", dataset, shared, lambda: linking_plan(
        to_link,
        core_all[core_all["is_core"]],
        master,
        lines,
        max_new_per_distributor=cfg.terminals.max_new_per_distributor,
        max_distance_km=cfg.terminals.max_link_distance_km,
        customers=dataset.customers,
    ))  # fmt: skip

    # market potential per region on the whole country, then filtered
    positive_all = t[t["revenue"] > 0].assign(region=lambda d: d["region"].fillna(""))
    missing_all = memo("missing_volume", dataset, (*shared, n_boot, seed), lambda: missing_volume_by(
        positive_all, cfg.market.unobserved_terminal_ratio, n_boot=n_boot, seed=seed
    ))  # fmt: skip

    # the scope
    ts = filter_region(t, region)
    plan = filter_region(plan_all, region)
    if region is None:
        missing = missing_all
    else:
        regions = [region] if isinstance(region, str) else list(region)
        missing = missing_volume_total(missing_all[missing_all["region"].isin(regions)])
    core = filter_region(core_all, region)
    vol = ts[ts["revenue"] > 0]
    share = top_def.share
    rng = np.random.default_rng(seed)
    if len(vol) >= 2:
        overall = (
            concentration_table(
                vol, value="revenue", top=share, n_boot=n_boot, seed=int(rng.integers(2**31))
            )
            .iloc[0]
            .to_dict()
        )
        by_region = concentration_table(vol, by="region", top=share, n_boot=n_boot, seed=seed)
        by_type = concentration_table(
            vol.assign(terminal_type=vol["terminal_type"].fillna("")),
            by="terminal_type",
            top=share,
            n_boot=n_boot,
            seed=seed,
        )
        pareto = pareto_curve(vol, value="revenue")
        reach = terminals_to_reach(vol, (0.5, 0.8, 0.9), value="revenue", detail=True)
        lf = lorenz_fit(vol, value="revenue")
        lf["params"] = lorenz_fit_valid(lf["params"], len(vol), min_sample=cfg.min_sample.tail_fit)
    else:
        overall = {"n_terminals": len(vol), "total": float(vol["revenue"].sum())}
        by_region = by_type = pareto = reach = pd.DataFrame()
        lf = {"params": pd.DataFrame(), "curves": pd.DataFrame()}
    tail = tail_assessment(
        vol["revenue"].to_numpy(), min_sample=cfg.min_sample.tail_fit, n_boot=gof_boot, seed=seed
    )

    cov_rows = []
    for reg, g in ts.groupby(ts["region"].fillna(""), sort=True):
        h = g[g["is_top"]]
        nh = len(h)
        row = {
            "region": reg or None,
            "n_terminals": len(g),
            "n_top": nh,
            "linked": int(h["linked"].sum()),
            "visited": int(h["visited"].sum()),
        }
        for st in ("both", "linked_only", "visited_only", "neither"):
            row[st] = int((h["status"] == st).sum())
        row["coverage_rate"] = (nh - row["neither"]) / nh if nh else np.nan
        row["linked_rate"] = row["linked"] / nh if nh else np.nan
        row["revenue"] = float(g["revenue"].sum())
        row["top_revenue"] = float(h["revenue"].sum())
        row["top_share_of_revenue"] = (
            row["top_revenue"] / row["revenue"] if row["revenue"] else np.nan
        )
        row["n_not_linked"] = int((~h["linked"]).sum())
        row["n_to_link"] = int((h["volume_at_stake"] > 0).sum())
        row["volume_at_stake"] = float(h["volume_at_stake"].sum())
        cov_rows.append(row)
    cov = pd.DataFrame(cov_rows)

    # margins: the retailer's when the products carry a retail price, else ours
    scope_lines = lines[lines["terminal_id"].isin(set(ts["terminal_id"]))]
    margins, basis = scope_margins(ts, scope_lines, dataset.products)

    return TerminalNetwork(
        region=region,
        terminals=ts,
        top_terminal_ids=sorted(ts.loc[ts["is_top"], "terminal_id"].astype(str).tolist()),
        concentration=overall,
        by_region=by_region,
        by_type=by_type,
        pareto=pareto,
        reach=reach,
        lorenz=lf,
        tail=tail,
        missing=missing,
        coverage=cov,
        core=core,
        link_plan=plan,
        margins=margins,
        margin_basis=basis,
        top_share=share,
        unobserved_ratio=cfg.market.unobserved_terminal_ratio,
        sales_period=_period(sales["date"]) if "date" in sales else None,
        visit_period=visit_period,
        params={"n_boot": n_boot, "gof_boot": gof_boot, "seed": seed},
    )


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


def scope_margins(
    terminals: pd.DataFrame, lines: pd.DataFrame, products: pd.DataFrame | None
) -> tuple[pd.DataFrame, str]:
    """Margin per terminal for the consolidation (巩固) view, and which margin it is.

    ``"retailer"``: the terminal's own gross margin on our products (retail value minus what
    it paid, :func:`retailer_margins`) when the products carry a retail price; ``"ours"``: our
    gross margin on the terminal's purchases (revenue minus cost) otherwise; ``"none"`` when
    neither can be computed.

    Returns
    -------
    (DataFrame, str)
        ``terminal_id``, ``terminal_name``, ``region``, ``terminal_type``, ``is_top``,
        ``revenue`` (our sales to the terminal), ``margin``, ``margin_rate``, ``quadrant``
        (:func:`terminal_margins`, volume = revenue), and the basis.
    """
    base = terminals.loc[terminals["revenue"] > 0, ["terminal_id", "revenue", "gross_margin"]]
    rm = retailer_margins(lines, products)
    if rm is not None:
        m = base.merge(rm, on="terminal_id", how="inner")
        m = m[m["retail_value"] > 0]
        frame = pd.DataFrame(
            {
                "terminal_id": m["terminal_id"],
                "revenue": m["retail_value"],
                "gross_margin": m["retailer_margin"],
                "sales": m["revenue"],
            }
        )
        basis = "retailer"
    elif base["gross_margin"].notna().any():
        frame = base.assign(sales=base["revenue"]).dropna(subset=["gross_margin"])
        basis = "ours"
    else:
        return pd.DataFrame(), "none"
    if frame.empty:
        return pd.DataFrame(), "none"
    tm = terminal_margins(frame, None, volume="sales")
    out = pd.DataFrame(
        {
            "terminal_id": tm["terminal_id"],
            "revenue": tm["sales"],
            "margin": tm["gross_margin"],
            "margin_rate": tm["margin_rate"],
            "quadrant": tm["quadrant"],
        }
    )
    attrs = terminals[["terminal_id", "terminal_name", "region", "terminal_type", "is_top"]]
    out = attrs.merge(out, on="terminal_id", how="inner")
    out = out.sort_values(["margin", "terminal_id"], ascending=[False, True], kind="mergesort")
    out = out.reset_index(drop=True)
    out.attrs.update(tm.attrs)
    return out, basis
