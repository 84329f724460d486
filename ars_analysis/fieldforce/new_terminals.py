"""New terminals: terminals whose first sales line falls in the visit window (never first visits)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ars_analysis.fieldforce.common import _check_freq, _period_of, _require, _to_datetime

# --------------------------------------------------------------------------------------------
# scorecard


def sales_history_months(sales: pd.DataFrame, start) -> float:
    """Months of sales history in ``sales`` before ``start`` (0 when none; NaN without sales).

    >>> s = pd.DataFrame({"date": pd.to_datetime(["2025-01-01", "2025-09-30"])})
    >>> sales_history_months(s, "2025-10-01")
    9.0
    """
    _require(sales, "sales", ["date"])
    dates = _to_datetime(sales["date"], "sales", "date")
    if dates.notna().sum() == 0:
        return float("nan")
    first = dates.min().normalize()
    lo = pd.Timestamp(start).normalize()
    if first >= lo:
        return 0.0
    months = (lo.year - first.year) * 12 + (lo.month - first.month)
    # a part month counts as the share of its days (1 Jan -> 1 Oct = 9.0 months)
    return float(months + (lo.day - first.day) / 30.4375)


def new_terminal_list(
    sales: pd.DataFrame,
    terminals: pd.DataFrame | None = None,
    *,
    start,
    end,
    history_months: float = 6,
) -> pd.DataFrame:
    """The terminals opened in ``[start, end]``: first sales line in the window, with at least
    ``history_months`` of sales history before ``start`` to know that they are new.

    A terminal is *new* when its first sales line in ``sales`` (pass the whole sales history,
    not only the window) falls in the window. Without enough history before the window every
    terminal would look new, so the list is then not computed: the result is empty and
    ``attrs["available"]`` is False (``attrs["history_months"]`` says how much history there
    is). The new terminal is credited to the rep of its first sales line (``sales.rep_id``),
    else to the rep responsible for it (``terminals.rep_id``).

    Parameters
    ----------
    sales : DataFrame
        Sales lines (``date``, ``terminal_id``, ``revenue``; ``rep_id`` optional).
    terminals : DataFrame, optional
        Terminal master (``terminal_id``, ``rep_id``) for the responsible rep.
    start, end : date-like
        The window (both days included).
    history_months : float
        Minimum months of sales history before ``start`` (``new_terminal_history_months`` of
        the visit standards).

    Returns
    -------
    DataFrame
        ``terminal_id, rep_id, first_sale, revenue`` (sales in the window), one row per new
        terminal, ordered by first sale; ``attrs["available"]`` and ``attrs["history_months"]``.

    Examples
    --------
    >>> s = pd.DataFrame({"terminal_id": ["T1", "T1", "T2"], "rep_id": ["R1", "R1", "R2"],
    ...     "date": pd.to_datetime(["2025-01-05", "2025-10-03", "2025-10-04"]),
    ...     "revenue": [10.0, 20.0, 30.0]})
    >>> new = new_terminal_list(s, start="2025-10-01", end="2025-12-31", history_months=6)
    >>> new[["terminal_id", "rep_id", "revenue"]].values.tolist(), new.attrs["available"]
    ([['T2', 'R2', 30.0]], True)
    """
    _require(sales, "sales", ["date", "terminal_id"])
    lo, hi = pd.Timestamp(start).normalize(), pd.Timestamp(end).normalize()
    cols = ["terminal_id", "rep_id", "first_sale", "revenue"]
    history = sales_history_months(sales, lo)
    available = bool(np.isfinite(history) and history >= history_months - 1e-9)
    empty = pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "first_sale" else
                                       "float64" if c == "revenue" else object) for c in cols})  # fmt: skip
    if not available:
        empty.attrs.update(available=False, history_months=history)
        return empty
    s = sales[sales["terminal_id"].notna()].copy()
    s["date"] = _to_datetime(s["date"], "sales", "date")
    if "rep_id" not in s.columns:
        s["rep_id"] = np.nan
    if "revenue" not in s.columns:
        s["revenue"] = 0.0
    s = s.sort_values(["date", "terminal_id"], kind="mergesort")
    first = s.drop_duplicates("terminal_id")
    day = first["date"].dt.normalize()
    first = first[(day >= lo) & (day <= hi)]
    window = s[(s["date"].dt.normalize() >= lo) & (s["date"].dt.normalize() <= hi)]
    rev = window.groupby("terminal_id")["revenue"].sum()
    out = pd.DataFrame(
        {
            "terminal_id": first["terminal_id"].to_numpy(),
            "rep_id": first["rep_id"].astype(object).to_numpy(),
            "first_sale": first["date"].dt.normalize().to_numpy(),
        }
    )
    if terminals is not None and "rep_id" in terminals.columns:
        resp = terminals.drop_duplicates("terminal_id").set_index("terminal_id")["rep_id"]
        out["rep_id"] = out["rep_id"].where(out["rep_id"].notna(), out["terminal_id"].map(resp))
    out["revenue"] = out["terminal_id"].map(rev).fillna(0.0).astype("float64")
    out.attrs.update(available=True, history_months=history)
    return out[cols].reset_index(drop=True)


def new_terminals(
    sales: pd.DataFrame,
    terminals: pd.DataFrame | None = None,
    *,
    start,
    end,
    history_months: float = 6,
    freq: str | None = None,
) -> pd.DataFrame:
    """New terminals per rep (and period): counts of :func:`new_terminal_list`.

    A terminal is new when its first sales line falls in ``[start, end]`` and the sales data
    reach at least ``history_months`` before ``start``; otherwise the count is unknown and the
    result is empty with ``attrs["available"]`` False (a scorecard then shows NaN, never 0).

    Returns
    -------
    DataFrame
        ``rep_id`` (+ ``period`` of the first sale), ``new_terminals`` (count);
        ``attrs["available"]``.

    Examples
    --------
    >>> s = pd.DataFrame({"terminal_id": ["T1", "T2", "T3"], "rep_id": ["R1", "R1", "R2"],
    ...     "date": pd.to_datetime(["2025-01-05", "2025-10-03", "2025-11-04"])})
    >>> new_terminals(s, start="2025-10-01", end="2025-12-31", freq="M").values.tolist()
    [['R1', '2025-10', 1], ['R2', '2025-11', 1]]
    """
    _check_freq(freq)
    new = new_terminal_list(sales, terminals, start=start, end=end, history_months=history_months)
    keys = ["rep_id"] + (["period"] if freq else [])
    if freq:
        new["period"] = _period_of(new["first_sale"], freq)
    out = new[new["rep_id"].notna()].groupby(keys).size().rename("new_terminals").reset_index()
    out["new_terminals"] = out["new_terminals"].astype("int64")
    out.attrs.update(new.attrs)
    return out
