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
    a = (1 - level) / 2
    lo, hi = np.quantile(sims, [a, 1 - a]) if n_boot else (np.nan, np.nan)
    return {
        "n_observed": n,
        "n_missing": m,
        "observed_volume": float(x.sum()),
        "estimate": float(est),
        "low": float(lo),
        "high": float(hi),
        "mu": mu,
        "sigma": sigma,
        "upper": up,
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
) -> pd.DataFrame:
    """Per terminal: volume, high-volume flag, linked to a core distributor, visited.

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
