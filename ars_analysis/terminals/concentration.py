"""Concentration of terminal volume: Lorenz and Pareto curves, Gini, top shares, bootstrap intervals.

Inputs are DataFrames: per-terminal sales from
:func:`ars_analysis.compose.aggregate.terminal_sales` (or ``sales_by(ds, ["terminal_id", ...])``), the
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

__all__ = [
    "lorenz",
    "pareto_curve",
    "gini",
    "top_share",
    "bootstrap_ci",
    "concentration_table",
    "terminals_to_reach",
]

MEASURES = ("revenue", "quantity", "gross_margin")

# ---------------------------------------------------------------- helpers


def _values(data, measure: str | None = None, name: str = "values") -> np.ndarray:
    if isinstance(data, pd.DataFrame):
        if measure is None or measure not in data:
            raise ValueError(
                f"{name}: column {measure!r} not found; columns are {list(data.columns)}"
            )
        s = data[measure]
    else:
        s = pd.Series(np.asarray(data, dtype=float).ravel())
    x = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    bad = np.flatnonzero(~np.isfinite(x))
    if bad.size:
        raise ValueError(
            f"{name}: {bad.size} missing/non-numeric {measure or 'values'} (rows {bad[:5].tolist()})"
        )
    neg = np.flatnonzero(x < 0)
    if neg.size:
        raise ValueError(
            f"{name}: {neg.size} negative {measure or 'values'} (rows {neg[:5].tolist()}); "
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


def lorenz(data, measure: str = "revenue", by: str | list[str] | None = None) -> pd.DataFrame:
    """Empirical Lorenz curve of terminal volume, overall or per group.

    Parameters
    ----------
    data : DataFrame or array-like
        Per-terminal volumes (a DataFrame with column ``measure``) or the volumes themselves.
    measure : str
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
            part = lorenz(g, measure=measure)
            key = key if isinstance(key, tuple) else (key,)
            for col, k in zip(by, key, strict=True):
                part[col] = k
            parts.append(part[[*by, "terminal_share", "volume_share"]])
        return pd.concat(parts, ignore_index=True)
    x = np.sort(_values(data, measure, "lorenz"))
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
    measure: str = "revenue",
    by: str | list[str] | None = None,
    id_col: str = "terminal_id",
) -> pd.DataFrame:
    """Ranked cumulative share curve (Pareto chart data), overall or per group.

    Returns
    -------
    DataFrame
        ``by`` columns, ``id_col``, ``measure``, ``rank`` (1 = largest), ``terminal_share``
        (rank / n) and ``cumulative_share`` (share of volume in the top ``rank`` terminals).

    Examples
    --------
    >>> df = pd.DataFrame({"terminal_id": ["a", "b", "c", "d"], "revenue": [10, 50, 30, 10]})
    >>> pareto_curve(df)[["terminal_id", "rank", "cumulative_share"]].to_string(index=False)
    'terminal_id  rank  cumulative_share\\n          b     1               0.5\\n          c     2               0.8\\n          a     3               0.9\\n          d     4               1.0'
    """
    _values(data, measure, "pareto_curve")
    by = [] if by is None else ([by] if isinstance(by, str) else list(by))
    cols = [*by, id_col, measure] if id_col in data else [*by, measure]
    df = data[cols].copy()
    df = df.sort_values([*by, measure], ascending=[True] * len(by) + [False], kind="mergesort")
    g = df.groupby(by, sort=False, observed=True) if by else None
    if g is not None:
        df["rank"] = g.cumcount() + 1
        n = g[measure].transform("size")
        tot = g[measure].transform("sum")
        cum = g[measure].cumsum()
    else:
        df["rank"] = np.arange(1, len(df) + 1)
        n = len(df)
        tot = df[measure].sum()
        cum = df[measure].cumsum()
    df["terminal_share"] = df["rank"] / n
    df["cumulative_share"] = cum / tot
    return df.reset_index(drop=True)


def gini(data, measure: str = "revenue") -> float:
    """Gini coefficient of terminal volume (0 = all equal, 1 = one terminal has everything).

    Examples
    --------
    >>> gini([5, 5, 5, 5])
    0.0
    >>> round(gini([0, 0, 0, 1]), 3)
    0.75
    """
    x = np.sort(_values(data, measure, "gini"))
    return float(_gini_sorted(x[None, :])[0])


def top_share(data, share: float = 0.2, measure: str = "revenue") -> float:
    """Share of volume carried by the top ``share`` of terminals (pro-rata interpolation).

    Examples
    --------
    >>> top_share([1, 1, 1, 7], 0.25)
    0.7
    """
    if not 0 < share <= 1:
        raise ValueError(f"share must be in (0, 1], got {share}")
    x = np.sort(_values(data, measure, "top_share"))
    return float(_top_share_sorted(x[None, :], share)[0])


def bootstrap_ci(
    data,
    stat: str = "gini",
    *,
    measure: str = "revenue",
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
    x = np.sort(_values(data, measure, "bootstrap_ci"))
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
    measure: str = "revenue",
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
    curve = pareto_curve(data, measure=measure, id_col=id_col)
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
    measure: str = "revenue",
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
        x = _values(g, measure, "concentration_table")
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
        reach = terminals_to_reach(g, shares, measure=measure, id_col=id_col)
        for s, k in zip(reach["share"], reach["n_terminals"], strict=True):
            row[f"n_for_{round(s * 100):d}"] = int(k)
        rows.append(row)
    out = pd.DataFrame(rows)
    return out.sort_values("gini", ascending=False, kind="mergesort").reset_index(drop=True)
