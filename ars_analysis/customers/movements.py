"""Grade movements (选苗助长): classes per period, transitions, seedlings and customers at risk."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ars_analysis.customers.abc import DEFAULT_CUTS, _as_list, _check_columns, abc_classify

__all__ = [
    "at_risk",
    "movement_periods",
    "grade_movements",
    "period_classes",
    "seedlings",
    "transition_matrix",
]


# ------------------------------------------------------------------------------------------------
# grade movements
# ------------------------------------------------------------------------------------------------
def period_classes(
    period_data: pd.DataFrame,
    measure: str = "revenue",
    *,
    item: str = "customer_id",
    period: str = "period",
    by: str | Sequence[str] | None = None,
    cuts: Sequence[float] = DEFAULT_CUTS,
    items: Sequence | None = None,
) -> pd.DataFrame:
    """ABC class of every item in every period (e.g. from ``customer_sales(ds, freq="Q")``).

    An item without sales in a period is listed with measure 0 and the last class (C) when
    ``items`` (all known items) is given; otherwise only items present in a period are listed.

    Returns
    -------
    DataFrame
        ``period``, ``by`` columns, ``item``, ``measure``, ``rank``, ``share``,
        ``cumulative_share``, ``abc_class``.

    Examples
    --------
    >>> import pandas as pd
    >>> q = pd.DataFrame({"customer_id": ["a", "b", "a", "b"], "period": ["Q1", "Q1", "Q2", "Q2"],
    ...                   "revenue": [90.0, 10.0, 10.0, 90.0]})
    >>> period_classes(q, cuts=(0.8,))["abc_class"].astype(str).tolist()
    ['A', 'B', 'A', 'B']
    """
    by = _as_list(by)
    _check_columns(period_data, [item, period, measure, *by], "period data")
    data = period_data
    if items is not None:
        full = pd.MultiIndex.from_product(
            [sorted(data[period].astype(str).unique()), pd.unique(pd.Series(list(items)))],
            names=[period, item],
        )
        d = data.assign(**{period: data[period].astype(str)})
        attrs = d[[item, *by]].drop_duplicates(item) if by else None
        data = d.set_index([period, item])[[measure]].reindex(full, fill_value=0.0).reset_index()
        if by:
            data = data.merge(attrs, on=item, how="left")
    return abc_classify(data, measure, item=item, by=[period, *by], cuts=cuts)


def transition_matrix(
    classes: pd.DataFrame,
    start,
    end,
    *,
    column: str = "abc_class",
    item: str = "customer_id",
    period: str = "period",
    normalize: bool = False,
    missing: str = "-",
) -> pd.DataFrame:
    """Counts of items moving from each class in period ``start`` to each class in ``end``.

    Items present in only one of the periods appear in the row or column ``missing`` ("-": new
    or lost customers), so the matrix sums to the number of items in either period; row sums
    are the counts in ``start`` (plus new ones), column sums those in ``end``.

    Parameters
    ----------
    classes : DataFrame
        One row per item x period with a class/grade column (e.g. :func:`period_classes`, or
        stacked :meth:`Scorecard.score` results with a ``period`` column).
    normalize : bool
        Divide each row by its total (shares moving from each class).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"customer_id": ["a", "b", "a", "b"], "period": ["Q1", "Q1", "Q2", "Q2"],
    ...                   "abc_class": ["A", "B", "B", "A"]})
    >>> transition_matrix(c, "Q1", "Q2").loc["A", "B"]
    np.int64(1)
    """
    mv = grade_movements(
        classes, start, end, column=column, item=item, period=period, missing=missing
    )
    cats = _class_order(classes[column])
    order = [*cats, missing]
    mat = pd.crosstab(mv["from"], mv["to"]).reindex(index=order, columns=order, fill_value=0)
    if missing not in set(mv["from"]):
        mat = mat.drop(index=missing)
    if missing not in set(mv["to"]):
        mat = mat.drop(columns=missing)
    if normalize:
        mat = mat.div(mat.sum(axis=1).replace(0, np.nan), axis=0).fillna(0.0)
    mat.index.name, mat.columns.name = str(start), str(end)
    return mat


def _class_order(col: pd.Series) -> list:
    if isinstance(col.dtype, pd.CategoricalDtype):
        return [str(c) for c in col.cat.categories]
    return sorted(col.dropna().astype(str).unique())


def grade_movements(
    classes: pd.DataFrame,
    start,
    end,
    *,
    column: str = "abc_class",
    measure: str | None = "revenue",
    item: str = "customer_id",
    period: str = "period",
    missing: str = "-",
) -> pd.DataFrame:
    """Each item's class in ``start`` and ``end``, whether it moved up or down, and its growth.

    Returns
    -------
    DataFrame
        ``item``, ``from``, ``to``, ``movement`` (``up``/``down``/``same``/``new``/``lost``), and
        when ``measure`` is a column: ``<measure>_start``, ``<measure>_end``, ``growth``
        (end / start - 1, NaN when start <= 0).

    Examples
    --------
    >>> import pandas as pd
    >>> c = pd.DataFrame({"customer_id": ["a", "a"], "period": ["Q1", "Q2"],
    ...                   "abc_class": ["B", "A"], "revenue": [10.0, 15.0]})
    >>> grade_movements(c, "Q1", "Q2")[["movement", "growth"]]
      movement  growth
    0       up     0.5
    """
    _check_columns(classes, [item, period, column], "classes")
    per = classes[period].astype(str)
    cats = _class_order(classes[column])
    rank = {c: i for i, c in enumerate(cats)}
    cols = [item, column] + ([measure] if measure and measure in classes else [])
    a = classes.loc[per == str(start), cols]
    b = classes.loc[per == str(end), cols]
    if a.empty or b.empty:
        have = sorted(per.unique())
        raise ValueError(
            f"classes: no rows for period {start if a.empty else end!r}; periods present: {have}"
        )
    mv = a.merge(b, on=item, how="outer", suffixes=("_start", "_end"))
    mv["from"] = mv[f"{column}_start"].astype(object).where(mv[f"{column}_start"].notna(), missing)
    mv["to"] = mv[f"{column}_end"].astype(object).where(mv[f"{column}_end"].notna(), missing)
    mv["from"] = mv["from"].astype(str)
    mv["to"] = mv["to"].astype(str)
    r0 = mv["from"].map(rank)
    r1 = mv["to"].map(rank)
    mv["movement"] = np.select(
        [mv["from"] == missing, mv["to"] == missing, r1 < r0, r1 > r0],
        ["new", "lost", "up", "down"],
        default="same",
    )
    out = mv[[item, "from", "to", "movement"]].copy()
    if measure and measure in classes:
        s = mv[f"{measure}_start"].fillna(0.0)
        e = mv[f"{measure}_end"].fillna(0.0)
        out[f"{measure}_start"] = s
        out[f"{measure}_end"] = e
        out["growth"] = np.where(s > 0, e / s.where(s > 0) - 1, np.nan)
    return out.sort_values(item, kind="stable").reset_index(drop=True)


def seedlings(
    movements: pd.DataFrame,
    *,
    classes: Sequence[str] = ("B", "C"),
    n: int = 20,
    min_growth: float = 0.0,
    measure: str = "revenue",
) -> pd.DataFrame:
    """ "Seedlings" (选苗助长): B/C customers (in the later period) growing fastest.

    Parameters
    ----------
    movements : DataFrame
        Output of :func:`grade_movements` (needs ``to`` and ``growth``).
    classes : sequence of str
        Classes to pick from in the later period.
    n : int
        Number of customers returned.
    min_growth : float
        Only customers growing more than this (0 = growing at all).

    Returns
    -------
    DataFrame
        The rows of ``movements`` sorted by growth (then by later-period measure), at most ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"customer_id": ["a", "b", "c"], "from": ["C", "B", "A"],
    ...                   "to": ["B", "B", "A"], "growth": [1.0, 0.2, 3.0]})
    >>> seedlings(m)["customer_id"].tolist()
    ['a', 'b']
    """
    _check_columns(movements, ["to", "growth"], "movements")
    m = movements[movements["to"].isin(list(classes)) & (movements["growth"] > min_growth)]
    keys = ["growth"] + ([f"{measure}_end"] if f"{measure}_end" in m else [])
    return m.sort_values(keys, ascending=False, kind="stable").head(n).reset_index(drop=True)


def at_risk(
    movements: pd.DataFrame,
    *,
    classes: Sequence[str] = ("A",),
    n: int = 20,
    max_growth: float = 0.0,
    measure: str = "revenue",
) -> pd.DataFrame:
    """A customers (in the earlier period) whose measure declined, steepest decline first.

    Lost customers (no sales in the later period) count as a decline of -100 %.

    Examples
    --------
    >>> import pandas as pd
    >>> m = pd.DataFrame({"customer_id": ["a", "b", "c"], "from": ["A", "A", "B"],
    ...                   "to": ["A", "B", "C"], "growth": [0.1, -0.3, -0.9]})
    >>> at_risk(m)["customer_id"].tolist()
    ['b']
    """
    _check_columns(movements, ["from", "growth"], "movements")
    m = movements[movements["from"].isin(list(classes)) & (movements["growth"] < max_growth)]
    keys = ["growth"] + ([f"{measure}_start"] if f"{measure}_start" in m else [])
    asc = [True] + [False] * (len(keys) - 1)
    return m.sort_values(keys, ascending=asc, kind="stable").head(n).reset_index(drop=True)


def movement_periods(classes: pd.DataFrame, *, period: str = "period") -> tuple[str, str]:
    """Default pair of periods to compare: the last one and the same period a year earlier
    (``2025Q4`` vs ``2024Q4``, ``2025-06`` vs ``2024-06``), else the first one.

    Examples
    --------
    >>> import pandas as pd
    >>> movement_periods(pd.DataFrame({"period": ["2024Q3", "2024Q4", "2025Q3", "2025Q4"]}))
    ('2024Q4', '2025Q4')
    """
    ps = sorted(classes[period].astype(str).unique())
    if len(ps) < 2:
        raise ValueError(f"grade movements need at least two periods, got {ps}")
    last = ps[-1]
    year_before = str(int(last[:4]) - 1) + last[4:] if last[:4].isdigit() else None
    return (year_before if year_before in ps else ps[0]), last
