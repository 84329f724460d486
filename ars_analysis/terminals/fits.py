"""Fitted shapes of the volume distribution: the tail report, Lorenz-curve fits, the tail assessment.

The power-law fit itself is :mod:`~.tails`; here its results are turned into the tables and the
verdict a report states (:func:`tail_report`, :func:`tail_assessment`, :func:`lorenz_fit`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize, stats

from ars_analysis.terminals.concentration import _values, lorenz
from ars_analysis.terminals.tails import ALTERNATIVES, FitResult, fit_tail

__all__ = ["tail_report", "lorenz_fit", "tail_assessment", "lorenz_fit_valid"]

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
    measure: str = "revenue",
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
    x = _values(data, measure, "lorenz_fit")
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
