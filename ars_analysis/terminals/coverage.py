"""Coverage of the terminal network: terminal status, coverage by group, the build-out list."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["terminal_status", "coverage", "buildout_list"]

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
    measure: str = "revenue",
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
        ``terminal_id`` and ``measure`` (e.g. from ``terminal_sales(ds)``). Terminals of the
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
    _require(terminal_sales, ["terminal_id", measure], "terminal_sales")
    if by is not None:
        _require(terminals, [by], "terminals")
    if not 0 < top <= 1:
        raise ValueError(f"top must be in (0, 1], got {top}")
    vol = terminal_sales.groupby("terminal_id")[measure].sum()
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
    measure: str = "revenue",
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
        measure=measure,
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
    measure: str = "revenue",
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
        measure=measure,
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
