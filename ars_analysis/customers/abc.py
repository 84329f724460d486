"""ABC classification (ABC分类) of customers: fixed cuts, computed limits, 3x3 matrix, scopes.

:func:`abc_classify` (fixed cuts of the cumulative share), :func:`computed_abc` (limits from the
shape of the curve, Ultsch & Lötsch 2015; the numerical core is :mod:`~.abc_core`),
:func:`abc_matrix` (two measures, 3x3), :func:`abc_summary` (share of items vs share of the
measure per class). ABC within territories, regions or the country (:func:`scoped_abc`,
:func:`abc_groups`) is :mod:`~.abc_scopes`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ars_analysis.customers import abc_core as _abc

__all__ = [
    "DEFAULT_CUTS",
    "abc_classify",
    "abc_matrix",
    "abc_summary",
    "computed_abc",
    "computed_abc_limits",
]

#: Default ABC cuts: A up to 80 % of the total, B up to 95 %, C the rest.
DEFAULT_CUTS = (0.8, 0.95)

#: Output columns of :func:`abc_classify` (after the ``by`` columns and the item column).
ABC_COLUMNS = ["rank", "share", "cumulative_share", "abc_class"]


# ------------------------------------------------------------------------------------------------
# input checks
# ------------------------------------------------------------------------------------------------
def _as_list(by) -> list[str]:
    if by is None:
        return []
    return [by] if isinstance(by, str) else list(by)


def _check_columns(data: pd.DataFrame, columns: Sequence[str], what: str = "data") -> None:
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise ValueError(
            f"{what} has no column(s) {missing}; available columns: {list(data.columns)}"
        )


def _measure_values(data: pd.DataFrame, measure: str, what: str = "data") -> np.ndarray:
    values = pd.to_numeric(data[measure], errors="coerce").to_numpy(dtype="float64")
    bad = np.flatnonzero(np.isnan(values))
    if len(bad):
        rows = ", ".join(str(data.index[i]) for i in bad[:5])
        raise ValueError(
            f"{what}: column {measure!r} must be numeric without gaps; {len(bad)} row(s) are "
            f"missing or not numbers (index {rows}{', ...' if len(bad) > 5 else ''})"
        )
    return values


def _check_cuts(cuts) -> tuple[float, ...]:
    cuts = tuple(float(c) for c in cuts)
    if not cuts or any(not 0 < c < 1 for c in cuts) or list(cuts) != sorted(set(cuts)):
        raise ValueError(
            f"cuts must be increasing cumulative shares strictly between 0 and 1, got {cuts}"
        )
    if len(cuts) >= len(_abc.CLASS_NAMES):
        raise ValueError(f"at most {len(_abc.CLASS_NAMES) - 1} cuts are supported")
    return cuts


def _group_codes(data: pd.DataFrame, by: list[str]) -> np.ndarray | None:
    if not by:
        return None
    if len(by) == 1:
        codes, _ = pd.factorize(data[by[0]], use_na_sentinel=False)
    else:
        codes = data.groupby(by, sort=False, dropna=False).ngroup().to_numpy()
    return np.asarray(codes, dtype=np.int64)


def _assemble(data, item, by, measure, res, class_names, sort=True) -> pd.DataFrame:
    order = res["order"]
    cols = ["rank", "share", "cumulative_share"]
    if sort:
        # Series.take keeps the column's dtype (Arrow strings are gathered without Python objects)
        out = {c: data[c].take(order).reset_index(drop=True) for c in [*by, item]}
        out[measure] = res["value"]
        out.update({c: res[c] for c in cols})
        codes = res["class_code"]
    else:  # input order: scatter the sorted results back (no gather of the id column)
        out = {c: data[c].reset_index(drop=True) for c in [*by, item]}
        out[measure] = data[measure].to_numpy(dtype="float64", copy=True)
        for c in cols:
            out[c] = np.empty_like(res[c])
            out[c][order] = res[c]
        codes = np.empty_like(res["class_code"])
        codes[order] = res["class_code"]
    out["abc_class"] = pd.Categorical.from_codes(codes, categories=class_names)
    return pd.DataFrame(out)


# ------------------------------------------------------------------------------------------------
# ABC classification
# ------------------------------------------------------------------------------------------------
def abc_classify(
    data: pd.DataFrame,
    measure: str = "revenue",
    *,
    item: str = "customer_id",
    by: str | Sequence[str] | None = None,
    cuts: Sequence[float] = DEFAULT_CUTS,
    sort: bool = True,
) -> pd.DataFrame:
    """ABC classes by cumulative contribution to ``measure`` (overall or within ``by`` groups).

    Items are ranked by ``measure`` in decreasing order (within each ``by`` group) and the
    cumulative share of the group total is accumulated down the ranking.

    Rules, exactly:

    * **The crossing item belongs to the upper class.** An item is A when the cumulative share of
      the items ranked *before* it is below the first cut (80 %), so A is the smallest set of top
      items whose share reaches at least 80 %; likewise for B with the second cut. An item that
      brings the cumulative share to exactly 80 % is the last A. (Comparisons allow 1e-12 for
      rounding.)
    * **Ties share a class.** Items with equal values in one group all get the class of the
      best-ranked of them, so a tie that straddles a cut is classified upwards. Their ranks are
      1, 2, ... in input order (stable), and shares are their own.
    * Items with a measure <= 0 (e.g. net returns) count as 0 in the totals and are always in the
      last class; in a group whose total is not positive every item is in the last class.

    Parameters
    ----------
    data : DataFrame
        One row per item (e.g. :func:`ars_analysis.compose.aggregate.customer_sales`, joined to
        ``customers`` for ``territory``/``region`` when ranking ``by`` them).
    measure : str
        Numeric column to rank by: ``revenue`` (default), ``gross_margin``, ``quantity``, ...
    item : str
        Identifier column.
    by : str or list of str, optional
        Rank and classify within each group (e.g. ``"territory"``: 责任地区).
    cuts : sequence of float
        Increasing cumulative-share cuts; ``k`` cuts give ``k + 1`` classes named A, B, C, ...
    sort : bool
        Rows sorted by group and rank (default) or in the input's order (faster on millions of
        rows: the identifier column is not reordered).

    Returns
    -------
    DataFrame
        ``by`` columns, ``item``, ``measure``, ``rank`` (1 = largest in its group), ``share`` (of
        the group total), ``cumulative_share`` (including the item) and ``abc_class``
        (categorical A < B < C), sorted by group and rank unless ``sort=False``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"customer_id": list("abcde"), "revenue": [50, 30, 10, 6, 4]})
    >>> abc_classify(d)[["customer_id", "cumulative_share", "abc_class"]]
      customer_id  cumulative_share abc_class
    0           a              0.50         A
    1           b              0.80         A
    2           c              0.90         B
    3           d              0.96         B
    4           e              1.00         C
    """
    by = _as_list(by)
    _check_columns(data, [item, measure, *by])
    cuts = _check_cuts(cuts)
    values = _measure_values(data, measure)
    res = _abc.fixed_classes(values, _group_codes(data, by), cuts)
    return _assemble(
        data, item, by, measure, res, list(_abc.CLASS_NAMES[: len(cuts) + 1]), sort=sort
    )


def computed_abc_limits(values) -> dict:
    """Computed ABC limits of Ultsch & Lötsch (2015) for one vector of values.

    The limits come from the shape of the ABC (cumulative) curve: A ends at the point of the
    curve nearest to (0, 1) (the Pareto point) or where the slope is 1 (break-even), whichever
    comes first; C starts at the point nearest to (B, 1). The numbers agree with the reference
    Python port ``abc-analysis`` (see :mod:`ars_analysis.customers.abc_core` for the exact steps).

    Returns
    -------
    dict
        ``ab_limit``/``bc_limit`` in raw units (A: value > ab_limit; C: value < bc_limit),
        ``a_effort``/``b_effort``/``c_effort`` (shares of items), ``a_yield``/``c_yield`` (shares
        of the total), ``exchanged`` and the interpolated curve (``effort``, ``yield``).

    Examples
    --------
    >>> lim = computed_abc_limits([100, 50, 20, 10, 5, 3, 2, 1, 1, 1])
    >>> lim["ab_limit"], lim["bc_limit"]
    (50.0, 20.0)
    """
    return _abc.computed_limits(values)


def computed_abc(
    data: pd.DataFrame,
    measure: str = "revenue",
    *,
    item: str = "customer_id",
    by: str | Sequence[str] | None = None,
    return_limits: bool = False,
    sort: bool = True,
):
    """ABC classes with *computed* limits (Ultsch & Lötsch 2015) instead of fixed cuts.

    Same output as :func:`abc_classify`. Within each group (at least 3 items) the limits in raw
    units are found from the shape of the cumulative curve (see :func:`computed_abc_limits`) and
    an item is A when its value is above the A|B limit, C when below the B|C limit, B otherwise -
    so ties always share a class. The classes equal those of ``abc_analysis`` (PyPI package
    ``abc-analysis``) on the same values.

    Parameters
    ----------
    data, measure, item, by, sort
        As in :func:`abc_classify`.
    return_limits : bool
        Also return a table of the limits per group (columns ``by``, ``n_items``, ``ab_limit``,
        ``bc_limit``, ``a_effort``, ``c_effort``, ``a_yield``, ``c_yield``, ``exchanged``).

    Returns
    -------
    DataFrame, or (DataFrame, DataFrame) when ``return_limits``
        The limits are also in ``result.attrs["abc_limits"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"customer_id": list("abcdefghij"),
    ...                   "revenue": [100, 50, 20, 10, 5, 3, 2, 1, 1, 1]})
    >>> out = computed_abc(d)
    >>> "".join(out["abc_class"].astype(str))
    'ABBCCCCCCC'
    """
    by = _as_list(by)
    _check_columns(data, [item, measure, *by])
    values = _measure_values(data, measure)
    codes = _group_codes(data, by)
    res = _abc.fixed_classes(values, codes, (0.5,))  # ranking, shares; classes replaced below
    sv = res["value"]
    gid = res["group_id"]
    n = len(sv)
    starts = np.flatnonzero(np.r_[True, gid[1:] != gid[:-1]]) if n else np.array([], int)
    ends = np.r_[starts[1:], n]
    cls = np.empty(n, dtype=np.int64)
    rows = []
    for s, e in zip(starts, ends, strict=True):
        seg = sv[s:e]
        if e - s < 3:
            raise ValueError(
                f"computed ABC needs at least 3 items per group; group "
                f"{_group_name(data, by, res['order'][s])} has {e - s}"
            )
        try:
            lim = _abc.computed_limits(seg, sorted_desc=np.clip(seg, 0.0, None))
        except ValueError as e:
            where = _group_name(data, by, res["order"][s])
            raise ValueError(f"{e} (column {measure!r}, group {where})") from None
        cls[s:e] = _abc.classes_from_limits(seg, lim["ab_limit"], lim["bc_limit"])
        row = {c: data[c].iloc[res["order"][s]] for c in by}
        row["n_items"] = e - s
        row.update({k: v for k, v in lim.items() if k not in ("effort", "yield")})
        rows.append(row)
    res["class_code"] = cls
    out = _assemble(data, item, by, measure, res, ["A", "B", "C"], sort=sort)
    limits = pd.DataFrame(rows)
    out.attrs["abc_limits"] = limits
    return (out, limits) if return_limits else out


def _group_name(data, by, pos) -> str:
    if not by:
        return "(all)"
    return ", ".join(f"{c}={data[c].iloc[pos]!r}" for c in by)


def abc_matrix(
    data: pd.DataFrame,
    measures: Sequence[str] = ("revenue", "gross_margin"),
    *,
    item: str = "customer_id",
    by: str | Sequence[str] | None = None,
    cuts: Sequence[float] = DEFAULT_CUTS,
    method: str = "fixed",
    values: str = "count",
) -> pd.DataFrame:
    """The 3x3 matrix of two ABC classifications (e.g. revenue class x gross-margin class).

    Parameters
    ----------
    data : DataFrame
        One row per item with both measure columns.
    measures : pair of str
        Row measure and column measure.
    item, by, cuts
        As in :func:`abc_classify` (``by`` classifies within groups; the matrix pools them).
    method : {"fixed", "computed"}
        :func:`abc_classify` or :func:`computed_abc`.
    values : {"count", "share"} or a measure column
        Cell content: number of items, share of items, or the sum of that column.

    Returns
    -------
    DataFrame
        Index: class by the first measure, columns: class by the second; every class present.
        ``result.attrs["items"]`` holds the per-item table (item, both classes, ``cell`` e.g.
        ``"AB"``).

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"customer_id": list("abcd"), "revenue": [60, 25, 10, 5],
    ...                   "gross_margin": [5, 20, 60, 15]})
    >>> abc_matrix(d).loc["A", "C"]
    np.int64(1)
    """
    if len(measures) != 2:
        raise ValueError(f"abc_matrix needs exactly two measures, got {list(measures)}")
    m1, m2 = measures
    if method == "fixed":
        c1 = abc_classify(data, m1, item=item, by=by, cuts=cuts)
        c2 = abc_classify(data, m2, item=item, by=by, cuts=cuts)
    elif method == "computed":
        c1 = computed_abc(data, m1, item=item, by=by)
        c2 = computed_abc(data, m2, item=item, by=by)
    else:
        raise ValueError(f"method must be 'fixed' or 'computed', got {method!r}")
    keys = [*_as_list(by), item]
    items = (
        c1[[*keys, m1, "abc_class"]]
        .rename(columns={"abc_class": f"class_{m1}"})
        .merge(c2[[*keys, m2, "abc_class"]].rename(columns={"abc_class": f"class_{m2}"}), on=keys)
    )
    items["cell"] = items[f"class_{m1}"].astype(str) + items[f"class_{m2}"].astype(str)
    classes = list(c1["abc_class"].cat.categories)
    if values in ("count", "share"):
        mat = pd.crosstab(items[f"class_{m1}"], items[f"class_{m2}"], dropna=False)
        if values == "share":
            mat = mat / max(len(items), 1)
    else:
        if values not in data.columns:
            raise ValueError(f"values must be 'count', 'share' or a column of data, got {values!r}")
        extra = (
            items
            if values in items
            else items[keys].merge(data[[*keys, values]].drop_duplicates(keys), on=keys, how="left")
        )
        mat = pd.crosstab(
            items[f"class_{m1}"],
            items[f"class_{m2}"],
            values=extra[values].to_numpy(),
            aggfunc="sum",
            dropna=False,
        ).fillna(0)
    mat = mat.reindex(index=classes, columns=classes, fill_value=0)
    mat.index.name, mat.columns.name = m1, m2
    mat.attrs["items"] = items
    return mat


def abc_summary(abc: pd.DataFrame, measure: str | None = None, *, by=None) -> pd.DataFrame:
    """Per class: number and share of items vs amount and share of the measure (Pareto table).

    Parameters
    ----------
    abc : DataFrame
        Output of :func:`abc_classify` or :func:`computed_abc`.
    measure : str, optional
        Measure column; default the column just before ``rank``.
    by : str or list, optional
        Summarise within these groups (they must be columns of ``abc``).

    Returns
    -------
    DataFrame
        ``by`` columns, ``abc_class``, ``n_items``, ``item_share``, ``cum_item_share``,
        ``measure_total``, ``measure_share``, ``cum_measure_share``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"customer_id": list("abcde"), "revenue": [50, 30, 10, 6, 4]})
    >>> abc_summary(abc_classify(d))[["abc_class", "item_share", "measure_share"]].round(2)
      abc_class  item_share  measure_share
    0         A         0.4           0.80
    1         B         0.4           0.16
    2         C         0.2           0.04
    """
    by = _as_list(by)
    _check_columns(abc, ["abc_class", "rank", *by], "abc table")
    if measure is None:
        cols = list(abc.columns)
        measure = cols[cols.index("rank") - 1]
    pos = abc[measure].clip(lower=0)
    frame = abc.assign(_pos=pos)
    keys = [*by, "abc_class"]
    out = (
        frame.groupby(keys, observed=False, sort=True)
        .agg(n_items=("rank", "size"), measure_total=("_pos", "sum"))
        .reset_index()
    )
    if by:
        grp = out.groupby(by, sort=False)
        tot_n = grp["n_items"].transform("sum")
        tot_m = grp["measure_total"].transform("sum")
    else:
        tot_n = out["n_items"].sum()
        tot_m = out["measure_total"].sum()
    out["item_share"] = out["n_items"] / tot_n
    out["measure_share"] = np.where(
        tot_m > 0, out["measure_total"] / np.where(tot_m > 0, tot_m, 1), 0
    )
    if by:
        g = out.groupby(by, sort=False)
        out["cum_item_share"] = g["item_share"].cumsum()
        out["cum_measure_share"] = g["measure_share"].cumsum()
    else:
        out["cum_item_share"] = out["item_share"].cumsum()
        out["cum_measure_share"] = out["measure_share"].cumsum()
    return out[
        [
            *keys,
            "n_items",
            "item_share",
            "cum_item_share",
            "measure_total",
            "measure_share",
            "cum_measure_share",
        ]
    ]
