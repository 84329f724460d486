"""Core customers (核心客户): ABC classification, grading scorecard, segments, grade movements.

The functions take the aggregated tables of :mod:`ars_analysis.aggregate` (one row per customer,
per customer x terminal or per customer x period) and the contract's ``customers`` /
``receivables`` tables, and return tidy DataFrames. Nothing here reads files or draws.

ABC classification (ABC分类)
    :func:`abc_classify` (fixed cuts of the cumulative share), :func:`computed_abc` (limits from
    the shape of the curve, Ultsch & Lötsch 2015), :func:`abc_matrix` (two measures, 3x3),
    :func:`abc_summary` (share of items vs share of the measure per class).
Grading scorecard (考核分级)
    :class:`Scorecard` (from a YAML file such as ``config/scorecard_default.yml``),
    :func:`customer_features` (the per-customer measures a scorecard or a segmenter uses).
Segments
    :class:`CustomerSegmenter` (scikit-learn estimator) and :func:`segment_crosstab`.
Grade movements (选苗助长)
    :func:`period_classes`, :func:`grade_movements`, :func:`transition_matrix`,
    :func:`seedlings`, :func:`at_risk`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ars_analysis import _abc
from ars_analysis._scorecard import DEFAULT_SCORECARD, Scorecard, ScorecardError
from ars_analysis._segments import CustomerSegmenter, segment_labels
from ars_analysis.labels import check_lang
from ars_analysis.snapshot import memo, path_arg

__all__ = [
    "DEFAULT_CUTS",
    "DEFAULT_SCORECARD",
    "CustomerSegmenter",
    "Scorecard",
    "ScorecardError",
    "abc_classify",
    "abc_matrix",
    "abc_summary",
    "at_risk",
    "computed_abc",
    "computed_abc_limits",
    "customer_grades",
    "core_customer_inputs",
    "customer_features",
    "channel_agreement",
    "grade_profile",
    "movement_periods",
    "grade_movements",
    "period_classes",
    "segment_crosstab",
    "segment_labels",
    "abc_groups",
    "abc_scope_used",
    "analyse_core_customers",
    "CoreCustomerResult",
    "core_counts",
    "dimension_gaps",
    "period_grades",
    "sales_trend",
    "scoped_abc",
    "trend_at_risk",
    "trend_seedlings",
    "seedlings",
    "transition_matrix",
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
        One row per item (e.g. :func:`ars_analysis.aggregate.customer_sales`, joined to
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
    Python port ``abc-analysis`` (see :mod:`ars_analysis._abc` for the exact steps).

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


# ------------------------------------------------------------------------------------------------
# features
# ------------------------------------------------------------------------------------------------
def customer_features(
    sales: pd.DataFrame,
    *,
    periods: pd.DataFrame | None = None,
    customer_terminals: pd.DataFrame | None = None,
    customers: pd.DataFrame | None = None,
    receivables: pd.DataFrame | None = None,
    top_terminal_ids=None,
) -> pd.DataFrame:
    """Per-customer measures for grading and segmentation, from aggregated tables.

    Parameters
    ----------
    sales : DataFrame
        :func:`ars_analysis.aggregate.customer_sales` (one row per ``customer_id``).
    periods : DataFrame, optional
        ``customer_sales(ds, freq="M")`` (``customer_id``, ``period``, ``revenue``): gives growth
        and ordering regularity. Growth compares the later half of the periods with the earlier
        half (equal numbers of periods; with an odd count the oldest is dropped).
    customer_terminals : DataFrame, optional
        ``sales_by(ds, ["customer_id", "terminal_id"])``: terminal reach (``active_terminals``).
    top_terminal_ids : iterable, optional
        The client's top terminals (重点终端), i.e. the IDs with ``is_top`` in
        :func:`ars_analysis.compose.top_terminals` computed on the whole dataset: gives
        ``key_terminals``, the number of top terminals the distributor supplied. Without it
        (or without ``customer_terminals``) the column is not computed.
    customers : DataFrame, optional
        Contract ``customers`` table: adds ``customer_name``, ``region``, ``territory``.
    receivables : DataFrame, optional
        Contract ``receivables`` table; the latest ``as_of_date`` per customer is used.

    Returns
    -------
    DataFrame
        One row per customer: ``customer_id`` (+ names/region/territory), ``revenue``,
        ``gross_margin``, ``margin_rate``, ``quantity``, ``order_days``, ``n_products``,
        ``recency_days`` (days from the last order to the last date in the data), ``tenure_days``;
        with ``periods``: ``revenue_prev``, ``revenue_recent``, ``growth``,
        ``active_period_share``; with ``customer_terminals``: ``active_terminals`` (and
        ``key_terminals`` with ``top_terminal_ids``); with ``receivables``: ``amount_due``, ``overdue_share``,
        ``days_overdue``, ``receivable_days`` (amount due / revenue per day of the data).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"customer_id": ["C1", "C2"], "revenue": [100.0, 50.0],
    ...                   "gross_margin": [20.0, 15.0], "quantity": [10.0, 5.0],
    ...                   "order_days": [12, 3], "n_products": [4, 2],
    ...                   "first_date": pd.to_datetime(["2025-01-01", "2025-03-01"]),
    ...                   "last_date": pd.to_datetime(["2025-12-20", "2025-10-01"])})
    >>> customer_features(s)[["customer_id", "margin_rate", "recency_days"]]
      customer_id  margin_rate  recency_days
    0          C1          0.2             0
    1          C2          0.3            80
    """
    _check_columns(sales, ["customer_id", "revenue"], "customer sales")
    keep = [
        c
        for c in (
            "customer_id",
            "revenue",
            "gross_margin",
            "quantity",
            "order_days",
            "n_products",
            "first_date",
            "last_date",
        )
        if c in sales.columns
    ]
    out = sales[keep].copy()
    if out["customer_id"].duplicated().any():
        dup = out.loc[out["customer_id"].duplicated(), "customer_id"].head(3).tolist()
        raise ValueError(
            f"customer sales: customer_id must be unique (one row per customer); duplicated: {dup}"
        )
    if "gross_margin" in out:
        out["margin_rate"] = np.where(
            out["revenue"] > 0,
            out["gross_margin"] / out["revenue"].where(out["revenue"] > 0),
            np.nan,
        )
    if "last_date" in out:
        end = out["last_date"].max()
        out["recency_days"] = (end - out["last_date"]).dt.days.astype("int64")
        if "first_date" in out:
            out["tenure_days"] = (end - out["first_date"]).dt.days.astype("int64")
        span_days = max(
            ((end - out["first_date"].min()).days + 1) if "first_date" in out else 365, 1
        )
    else:
        span_days = 365
    out = out.drop(columns=[c for c in ("first_date", "last_date") if c in out])
    if periods is not None:
        _check_columns(periods, ["customer_id", "period", "revenue"], "period sales")
        labels_ = sorted(periods["period"].astype(str).unique())
        half = len(labels_) // 2
        wide = (
            periods.assign(period=periods["period"].astype(str))
            .pivot_table(
                index="customer_id",
                columns="period",
                values="revenue",
                aggfunc="sum",
                fill_value=0.0,
            )
            .reindex(columns=labels_, fill_value=0.0)
        )
        if half >= 1:
            prev = wide[labels_[-2 * half : -half]].sum(axis=1)
            recent = wide[labels_[-half:]].sum(axis=1)
            growth = np.where(prev > 0, recent / prev.where(prev > 0) - 1, np.nan)
            g = pd.DataFrame(
                {
                    "customer_id": wide.index,
                    "revenue_prev": prev.to_numpy(),
                    "revenue_recent": recent.to_numpy(),
                    "growth": growth,
                }
            )
        else:
            g = pd.DataFrame({"customer_id": wide.index, "growth": np.nan})
        g["active_period_share"] = (wide > 0).mean(axis=1).to_numpy()
        out = out.merge(g, on="customer_id", how="left")
        out["active_period_share"] = out["active_period_share"].fillna(0.0)
    if customer_terminals is not None:
        _check_columns(
            customer_terminals,
            ["customer_id", "terminal_id", "revenue"],
            "customer x terminal sales",
        )
        ct = customer_terminals[customer_terminals["terminal_id"].notna()]
        ct = ct[ct["revenue"] > 0]
        agg = {"active_terminals": ("terminal_id", "nunique")}
        if top_terminal_ids is not None:
            top = set(pd.Series(list(top_terminal_ids), dtype=object).astype(str))
            ct = ct.assign(_key=ct["terminal_id"].astype(str).isin(top))
            agg["key_terminals"] = ("_key", "sum")
        reach = ct.groupby("customer_id").agg(**agg).reset_index()
        out = out.merge(reach, on="customer_id", how="left")
        for c in agg:
            out[c] = out[c].fillna(0).astype("int64")
    if receivables is not None and len(receivables):
        _check_columns(receivables, ["customer_id", "amount_due", "days_overdue"], "receivables")
        r = receivables
        if "as_of_date" in r and r["as_of_date"].notna().any():
            last = r.groupby("customer_id")["as_of_date"].transform("max")
            r = r[r["as_of_date"] == last]
        overdue = (
            r["amount_overdue"]
            if "amount_overdue" in r
            else r["amount_due"].where(r["days_overdue"] > 0, 0.0)
        )
        agg = (
            r.assign(_over=overdue, _wd=r["days_overdue"] * r["amount_due"])
            .groupby("customer_id")
            .agg(
                amount_due=("amount_due", "sum"),
                _over=("_over", "sum"),
                _wd=("_wd", "sum"),
                _maxd=("days_overdue", "max"),
            )
            .reset_index()
        )
        agg["overdue_share"] = np.where(
            agg["amount_due"] > 0,
            agg["_over"] / agg["amount_due"].where(agg["amount_due"] > 0),
            0.0,
        )
        # amount-weighted days overdue (the oldest balance when nothing is due)
        agg["days_overdue"] = np.where(
            agg["amount_due"] > 0,
            agg["_wd"] / agg["amount_due"].where(agg["amount_due"] > 0),
            agg["_maxd"],
        )
        out = out.merge(
            agg[["customer_id", "amount_due", "overdue_share", "days_overdue"]],
            on="customer_id",
            how="left",
        )
        daily = out["revenue"] / span_days
        out["receivable_days"] = np.where(
            daily > 0, out["amount_due"] / daily.where(daily > 0), np.nan
        )
    if customers is not None:
        attrs = [c for c in ("customer_name", "region", "territory") if c in customers.columns]
        out = out.merge(
            customers[["customer_id", *attrs]].drop_duplicates("customer_id"),
            on="customer_id",
            how="left",
        )
        out = out[
            ["customer_id", *attrs, *[c for c in out.columns if c not in ("customer_id", *attrs)]]
        ]
    return out.reset_index(drop=True)


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


# ------------------------------------------------------------------------------------------------
# cross-tabulations and sentences
# ------------------------------------------------------------------------------------------------
def segment_crosstab(
    segments: pd.DataFrame,
    other: pd.DataFrame,
    column: str,
    *,
    item: str = "customer_id",
    segment: str = "segment",
    normalize: bool = False,
) -> pd.DataFrame:
    """Cross-tabulate segments against another classification (ABC class, grade, channel...).

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.DataFrame({"customer_id": ["a", "b", "c"], "segment": [0, 0, 1]})
    >>> g = pd.DataFrame({"customer_id": ["a", "b", "c"], "grade": ["A", "B", "B"]})
    >>> segment_crosstab(s, g, "grade").loc[0, "B"]
    np.int64(1)
    """
    _check_columns(segments, [item, segment], "segments")
    _check_columns(other, [item, column], "other")
    m = segments[[item, segment]].merge(other[[item, column]], on=item, how="inner")
    return pd.crosstab(m[segment], m[column], normalize="index" if normalize else False)


def grade_profile(scored: pd.DataFrame, scorecard: Scorecard, lang: str = "zh") -> pd.DataFrame:
    """Mean dimension score per grade (tidy), to show what separates the grades.

    Returns
    -------
    DataFrame
        ``grade``, ``dimension``, ``dimension_label`` (in ``lang``), ``score`` (mean), ``n``.

    Examples
    --------
    >>> import pandas as pd
    >>> card = Scorecard({"dimensions": {"s": {"column": "x", "method": "minmax", "weight": 1}},
    ...                   "grades": {"A": {"min": 50, "max": 100}, "C": {"min": 0, "max": 50}}})
    >>> grade_profile(card.score(pd.DataFrame({"customer_id": [1, 2, 3], "x": [0, 1, 2]})),
    ...               card)[["grade", "score", "n"]]
      grade  score  n
    0     A   75.0  2
    1     C    0.0  1
    """
    check_lang(lang)
    dims = [k for k in getattr(scorecard, "used_", scorecard.dimensions) if k in scored.columns]
    g = scored.groupby("grade", observed=True)
    rows = []
    for grade, part in g:
        for d in dims:
            rows.append(
                {
                    "grade": str(grade),
                    "dimension": d,
                    "dimension_label": scorecard.dimension_label(d, lang),
                    "score": float(part[d].mean()),
                    "n": len(part),
                }
            )
    return pd.DataFrame(rows)


def channel_agreement(segments, channel) -> dict:
    """Agreement of segments with a known grouping the segmenter did not see.

    Returns ``ari`` (adjusted Rand index; 0 = chance, 1 = identical), ``purity`` (share of
    customers in their segment's majority group) and ``chance_purity`` (share of the largest
    group: the purity of a single segment).

    Examples
    --------
    >>> channel_agreement([0, 0, 1, 1], ["h", "h", "r", "r"])
    {'ari': 1.0, 'purity': 1.0, 'chance_purity': 0.5}
    """
    from sklearn.metrics import adjusted_rand_score

    s = pd.Series(np.asarray(segments))
    c = pd.Series(np.asarray(channel))
    tab = pd.crosstab(s, c)
    return {
        "ari": float(adjusted_rand_score(c, s)),
        "purity": float(tab.max(axis=1).sum() / len(s)),
        "chance_purity": float(c.value_counts().iloc[0] / len(c)),
    }


# ------------------------------------------------------------------------------------------------
# notebook helpers
# ------------------------------------------------------------------------------------------------
def core_customer_inputs(dataset, *, territory=None, freq: str = "Q") -> dict[str, pd.DataFrame]:
    """Aggregate a loaded dataset into the tables of the core-customer analysis.

    Parameters
    ----------
    dataset : Dataset
        A loaded (and possibly :func:`~ars_analysis.dataset.subset`) dataset.
    territory : str or list of str, optional
        Keep only the distributors of these territories (责任地区).
    freq : {"M", "Q", "Y"}
        Period of the grade movements.

    Returns
    -------
    dict
        ``features`` (:func:`customer_features` with every input the dataset has) and
        ``periods`` (:func:`ars_analysis.aggregate.customer_sales` per ``freq`` period, with the
        same customers).
    """
    from ars_analysis.aggregate import customer_sales, sales_by

    sales = customer_sales(dataset)
    monthly = customer_sales(dataset, freq="M")
    ct = sales_by(dataset, ["customer_id", "terminal_id"])
    periods = customer_sales(dataset, freq=freq)
    customers = dataset.tables.get("customers")
    receivables = dataset.tables.get("receivables")
    features = customer_features(
        sales,
        periods=monthly,
        customer_terminals=ct,
        customers=customers,
        receivables=receivables,
    )
    if territory is not None:
        wanted = [territory] if isinstance(territory, str) else list(territory)
        if "territory" not in features:
            raise ValueError("territory filter given but the customers table has no territory")
        unknown = sorted(set(wanted) - set(features["territory"].dropna()))
        if unknown:
            raise ValueError(
                f"customers.territory has no {unknown}; known: "
                f"{sorted(features['territory'].dropna().unique())}"
            )
        features = features[features["territory"].isin(wanted)].reset_index(drop=True)
    periods = periods[periods["customer_id"].isin(features["customer_id"])].reset_index(drop=True)
    return {"features": features, "periods": periods}


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


# ------------------------------------------------------------------------------------------------
# ABC within the client's scope (with a fallback for small groups)
# ------------------------------------------------------------------------------------------------
#: Scopes an ABC can be ranked within, from the smallest to the largest.
ABC_SCOPES = ("territory", "region", "national")


def abc_scope_used(
    data: pd.DataFrame, *, scope: str = "territory", min_group: int = 10
) -> pd.DataFrame:
    """The scope each distributor is ranked within: its ``scope`` group when that group has at
    least ``min_group`` distributors, else the next larger scope (territory -> region ->
    national), else the whole country.

    ABC within two or three distributors is degenerate (the largest of two is "A" by
    construction), so a small group is ranked within a larger one.

    Returns
    -------
    DataFrame
        ``customer_id``, ``abc_scope`` (``territory``/``region``/``national``), ``abc_group``
        (the name of the group ranked in; ``""`` for national), ``group_size``.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"customer_id": list("abcde"), "region": ["E"] * 4 + ["W"],
    ...                   "territory": ["t1", "t1", "t2", "t2", "t3"]})
    >>> abc_scope_used(d, min_group=3)["abc_scope"].tolist()
    ['region', 'region', 'region', 'region', 'national']
    """
    if scope not in ABC_SCOPES:
        raise ValueError(f"scope must be one of {ABC_SCOPES}, got {scope!r}")
    if min_group < 1:
        raise ValueError(f"min_group must be >= 1, got {min_group}")
    _check_columns(data, ["customer_id"])
    n = len(data)
    used = pd.Series(["national"] * n, index=data.index, dtype=object)
    group = pd.Series([""] * n, index=data.index, dtype=object)
    size = pd.Series([n] * n, index=data.index, dtype="int64")
    decided = pd.Series(False, index=data.index)
    for level in ABC_SCOPES[ABC_SCOPES.index(scope) :]:
        if level == "national":
            break
        if level not in data.columns:
            continue
        key = data[level]
        counts = key.map(key.value_counts())
        ok = ~decided & key.notna() & (counts >= min_group)
        used[ok] = level
        group[ok] = key[ok].astype(str)
        size[ok] = counts[ok].astype("int64")
        decided |= ok
    return pd.DataFrame(
        {
            "customer_id": data["customer_id"].to_numpy(),
            "abc_scope": used.to_numpy(),
            "abc_group": group.to_numpy(),
            "group_size": size.to_numpy(),
        }
    )


def scoped_abc(
    data: pd.DataFrame,
    measure: str = "revenue",
    *,
    scope: str = "territory",
    min_group: int = 10,
    cuts: Sequence[float] = DEFAULT_CUTS,
) -> pd.DataFrame:
    """ABC classes of distributors within the client's scope, small groups ranked within the
    next larger scope (see :func:`abc_scope_used`).

    Compute it on *all* distributors of the period and filter by region afterwards: a regional
    report then shows the same classes as the national one, and the counts add up.

    Parameters
    ----------
    data : DataFrame
        One row per distributor: ``customer_id``, ``measure`` and ``territory`` / ``region``.
    scope, min_group
        ``cfg.definitions.core_customer.abc_scope`` / ``abc_min_group``.
    cuts
        Cumulative-share cuts (``abc_cuts``).

    Returns
    -------
    DataFrame
        ``customer_id``, ``region``/``territory`` (when present), ``measure``, ``rank``,
        ``share``, ``cumulative_share`` (within the group ranked in), ``abc_class``,
        ``abc_scope``, ``abc_group``, ``group_size``; in the input's order.

    Examples
    --------
    >>> import pandas as pd
    >>> d = pd.DataFrame({"customer_id": list("abcd"), "region": ["E"] * 4,
    ...                   "territory": ["t1", "t1", "t2", "t2"], "revenue": [60, 5, 30, 5]})
    >>> out = scoped_abc(d, min_group=3)
    >>> out[["customer_id", "abc_class", "abc_scope"]].values.tolist()
    [['a', 'A', 'region'], ['b', 'B', 'region'], ['c', 'A', 'region'], ['d', 'B', 'region']]
    """
    _check_columns(data, ["customer_id", measure])
    where = abc_scope_used(data, scope=scope, min_group=min_group)
    attrs = [c for c in ("region", "territory") if c in data.columns]
    base = data[["customer_id", *attrs, measure]].reset_index(drop=True)
    base = base.assign(_pos=np.arange(len(base)))
    parts = []
    for level in ABC_SCOPES:
        rows = (where["abc_scope"] == level).to_numpy()
        if not rows.any():
            continue
        by = None if level == "national" else level
        ranked = abc_classify(base, measure, by=by, cuts=cuts, sort=False)
        ranked = ranked.assign(_pos=base["_pos"].to_numpy())
        parts.append(ranked.loc[rows])
    cls = pd.concat(parts).sort_values("_pos", kind="stable")
    out = base[["customer_id", *attrs, measure]].copy()
    for c in ABC_COLUMNS:
        out[c] = cls[c].to_numpy()
    out["abc_class"] = pd.Categorical(
        out["abc_class"].astype(str), categories=list(_abc.CLASS_NAMES[: len(tuple(cuts)) + 1])
    )
    for c in ("abc_scope", "abc_group", "group_size"):
        out[c] = where[c].to_numpy()
    return out


def abc_groups(abc: pd.DataFrame, measure: str = "revenue") -> pd.DataFrame:
    """One row per territory (or region) of a :func:`scoped_abc` table: how many distributors
    it has, the scope they were ranked within, how many are A and their share of its sales.

    Returns
    -------
    DataFrame
        ``region``, ``territory`` (those present), ``n_customers``, ``abc_scope``, ``n_a``,
        ``a_share`` (share of the group's ``measure`` held by its A distributors).
    """
    keys = [c for c in ("region", "territory") if c in abc.columns]
    if not keys:
        keys = ["abc_scope"]
    is_a = abc["abc_class"].astype(str) == "A"
    pos = abc[measure].clip(lower=0)
    frame = abc.assign(_a=is_a.astype(int), _v=pos, _va=pos.where(is_a, 0.0))
    out = (
        frame.groupby(keys, sort=True, dropna=False)
        .agg(
            n_customers=("customer_id", "size"),
            abc_scope=("abc_scope", "first"),
            n_a=("_a", "sum"),
            _v=("_v", "sum"),
            _va=("_va", "sum"),
        )
        .reset_index()
    )
    out["a_share"] = np.where(out["_v"] > 0, out["_va"] / out["_v"].where(out["_v"] > 0), np.nan)
    return out.drop(columns=["_v", "_va"])


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
    dims = [k for k in getattr(scorecard, "used_", scorecard.dimensions) if k in scored.columns]
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


# ------------------------------------------------------------------------------------------------
# the whole analysis of a report: computed on all distributors, then filtered to the scope
# ------------------------------------------------------------------------------------------------
#: The counts of "core customers" a report can show, headline first (see :func:`core_counts`).
COUNT_DEFINITIONS = ("grade_a", "abc_a", "computed_abc_a", "matrix_aa", "grade_a_latest")


@dataclass
class CoreCustomerResult:
    """Everything the core-customer report shows, for one scope (national or a region).

    Frames are in the package's vocabulary (no wording, no language). Every per-distributor
    number (grade, ABC class, trend) was computed on all distributors of the period and then
    filtered, so a regional report agrees with the national one.
    """

    region: object
    measure: str
    sales_period: tuple
    n_all: int
    scorecard: Scorecard
    scored: pd.DataFrame
    features: pd.DataFrame
    abc: pd.DataFrame
    abc_summary: pd.DataFrame
    abc_groups: pd.DataFrame
    computed: pd.DataFrame
    computed_summary: pd.DataFrame
    matrix: pd.DataFrame
    counts: pd.DataFrame
    period_grades: pd.DataFrame
    movement_start: str | None
    movement_end: str | None
    transitions: pd.DataFrame | None
    movements: pd.DataFrame | None
    abc_movements: pd.DataFrame | None
    trend: pd.DataFrame
    size_floor: float
    seedlings: pd.DataFrame
    at_risk: pd.DataFrame
    gaps: pd.DataFrame
    top_terminal_ids: list
    segmenter: CustomerSegmenter | None = None
    segments: pd.DataFrame | None = None
    segment_profiles: pd.DataFrame | None = None
    segment_reason: str | None = None
    options: dict = field(default_factory=dict)

    @property
    def grades(self) -> dict:
        """``{customer_id: grade}`` for the report's scope."""
        return dict(zip(self.scored["customer_id"], self.scored["grade"].astype(str), strict=True))

    @property
    def n_customers(self) -> int:
        return len(self.scored)

    def grade_counts(self) -> pd.DataFrame:
        """``grade``, ``n_customers``, ``revenue``, ``revenue_share`` per grade of the scope."""
        names = [g[0] for g in self.scorecard.grades]
        s = self.scored
        total = s["revenue"].clip(lower=0).sum()
        out = (
            s.assign(_v=s["revenue"].clip(lower=0), grade=s["grade"].astype(str))
            .groupby("grade")
            .agg(n_customers=("customer_id", "size"), revenue=("_v", "sum"))
            .reindex(names, fill_value=0)
            .rename_axis("grade")
            .reset_index()
        )
        out["n_customers"] = out["n_customers"].astype("int64")
        out["revenue_share"] = out["revenue"] / total if total > 0 else np.nan
        return out


def _dataset_features(dataset, *, start=None, end=None, top_ids=None) -> pd.DataFrame:
    from ars_analysis.aggregate import customer_sales, sales_by

    sales = customer_sales(dataset, start=start, end=end)
    monthly = customer_sales(dataset, freq="M", start=start, end=end)
    ct = sales_by(dataset, ["customer_id", "terminal_id"], start=start, end=end)
    receivables = dataset.tables.get("receivables")
    if receivables is not None and end is not None and "as_of_date" in receivables:
        receivables = receivables[receivables["as_of_date"] <= pd.Timestamp(end)]
    return customer_features(
        sales,
        periods=monthly,
        customer_terminals=ct,
        customers=dataset.tables.get("customers"),
        receivables=receivables,
        top_terminal_ids=top_ids,
    )


def customer_grades(
    dataset,
    cfg=None,
    *,
    top: pd.DataFrame | None = None,
    scorecard: Scorecard | str | None = None,
) -> pd.DataFrame:
    """Every distributor's scorecard grade for the dataset's period (the client's one
    definition of a core customer: grade A).

    Computed on **all** distributors of ``dataset`` (features, percentile dimensions within
    territory) exactly as :func:`analyse_core_customers` does, so every report — core
    customers, terminal network, field execution — names the same core customers.

    Parameters
    ----------
    dataset : Dataset
        The period's dataset, every region.
    cfg : ClientConfig, optional
        The client configuration (its top-terminal definition feeds the reach dimension).
    top : DataFrame, optional
        :func:`ars_analysis.compose.top_terminals` of the dataset (computed when not given).
    scorecard : Scorecard or path, optional
        The grading standard (default ``config/scorecard_default.yml``).

    Returns
    -------
    DataFrame
        ``customer_id``, ``customer_name``, ``region``, ``territory``, ``city`` (those the
        customers table has), ``revenue``, ``score``, ``grade``, ``is_core`` (grade A).
    """
    from ars_analysis.client import load_client_config
    from ars_analysis.compose import top_terminals

    cfg = cfg or load_client_config()
    card = scorecard if isinstance(scorecard, Scorecard) else Scorecard(scorecard)
    if top is None:
        top = top_terminals(dataset, cfg.definitions.top_terminal)
    top_ids = top.loc[top["is_top"], "terminal_id"].astype(str).tolist()
    feats = memo(
        "features", dataset, (top_ids,), lambda: _dataset_features(dataset, top_ids=top_ids)
    )
    scored = card.score(feats)
    info = [c for c in ("customer_name", "region", "territory") if c in feats]
    out = feats[["customer_id", *info, "revenue"]].merge(
        scored[["customer_id", "score", "grade"]], on="customer_id"
    )
    customers = dataset.tables.get("customers")
    if customers is not None and "city" in customers and "city" not in out:
        city = customers.drop_duplicates("customer_id").set_index("customer_id")["city"]
        out["city"] = out["customer_id"].map(city)
    out["is_core"] = out["grade"].astype(str) == "A"
    return out.reset_index(drop=True)


def period_grades(
    dataset,
    scorecard: Scorecard,
    *,
    freq: str = "Q",
    top_terminal_ids=None,
) -> pd.DataFrame:
    """The scorecard re-scored per period, on features computed for that period alone.

    Every distributor with sales in a period is scored against all distributors of that
    period (one grade per distributor and period, whatever the report's scope).

    Returns
    -------
    DataFrame
        ``period``, ``customer_id``, ``revenue``, ``score``, ``grade``.
    """
    from ars_analysis.aggregate import customer_sales

    labels_ = sorted(customer_sales(dataset, freq=freq)["period"].astype(str).unique())
    rows = []
    for p in labels_:
        per = pd.Period(p, freq=freq)
        f = _dataset_features(
            dataset, start=per.start_time, end=per.end_time, top_ids=top_terminal_ids
        )
        if f.empty:
            continue
        s = scorecard.score(f)
        rows.append(
            pd.DataFrame(
                {
                    "period": p,
                    "customer_id": s["customer_id"].to_numpy(),
                    "revenue": f["revenue"].to_numpy(),
                    "score": s["score"].to_numpy(),
                    "grade": s["grade"].astype(str).to_numpy(),
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=["period", "customer_id", "revenue", "score", "grade"])
    out = pd.concat(rows, ignore_index=True)
    out["grade"] = pd.Categorical(out["grade"], categories=[g[0] for g in scorecard.grades])
    return out


def _segment(features: pd.DataFrame, cfg, random_state) -> tuple:
    """Segments of all distributors, or (None, reason) when the sample is too small."""
    ms = cfg.min_sample
    n = len(features)
    if n < ms.segments:
        return None, "too_few"
    hi = min(8, n // ms.per_segment)
    while hi >= 2:
        seg = CustomerSegmenter(k_range=(2, hi), random_state=random_state).fit(features)
        if int(seg.profiles_["n_customers"].min()) >= ms.per_segment:
            return seg, None
        hi = seg.n_segments_ - 1
    return None, "small_segments"


def core_counts(
    scored: pd.DataFrame,
    abc: pd.DataFrame,
    computed: pd.DataFrame,
    matrix_items: pd.DataFrame,
    latest: pd.DataFrame | None,
    *,
    measure: str = "revenue",
) -> pd.DataFrame:
    """How the counts of "core customers" relate: the headline (scorecard grade A) and the
    other counts a report shows, each with its share of sales and its overlap with grade A.

    Returns
    -------
    DataFrame
        ``definition`` (one of :data:`COUNT_DEFINITIONS`), ``n_customers``, ``revenue_share``,
        ``n_grade_a`` (of them, graded A).
    """
    grade_a = set(scored.loc[scored["grade"].astype(str) == "A", "customer_id"])
    revenue = scored.set_index("customer_id")[measure].clip(lower=0)
    total = revenue.sum()
    sets = {
        "grade_a": grade_a,
        "abc_a": set(abc.loc[abc["abc_class"].astype(str) == "A", "customer_id"]),
        "computed_abc_a": set(
            computed.loc[computed["abc_class"].astype(str) == "A", "customer_id"]
        ),
        "matrix_aa": set(matrix_items.loc[matrix_items["cell"] == "AA", "customer_id"]),
    }
    if latest is not None:
        sets["grade_a_latest"] = set(latest.loc[latest["grade"].astype(str) == "A", "customer_id"])
    rows = []
    for key, ids in sets.items():
        ids = ids & set(revenue.index)
        rows.append(
            {
                "definition": key,
                "n_customers": len(ids),
                "revenue_share": float(revenue.reindex(list(ids)).sum() / total)
                if total > 0
                else np.nan,
                "n_grade_a": len(ids & grade_a),
            }
        )
    return pd.DataFrame(rows)


def analyse_core_customers(
    dataset,
    cfg=None,
    *,
    region=None,
    top: pd.DataFrame | None = None,
    scorecard: Scorecard | str | None = None,
    measure: str = "revenue",
    second_measure: str = "gross_margin",
    random_state: int | None = 0,
    segments: bool = True,
) -> CoreCustomerResult:
    """The core-customer analysis of one report (national or one region).

    Features, scores, grades, ABC classes, trends and segments are computed on **all**
    distributors of ``dataset`` (the period's whole dataset) and then filtered to ``region``:
    a distributor has one grade per period, whatever report shows it.

    Parameters
    ----------
    dataset : Dataset
        The period's dataset, every region (``subset(ds, start=, end=)``, no region).
    cfg : ClientConfig, optional
        The client configuration (default: the sample client's).
    region : str or list, optional
        The report's scope (``None``: national).
    top : DataFrame, optional
        :func:`ars_analysis.compose.top_terminals` of the dataset (computed when not given).
    scorecard : Scorecard or path, optional
        The grading standard (default ``config/scorecard_default.yml``).
    measure, second_measure : str
        ABC measure and the second measure of the 3x3 matrix.
    random_state : int, optional
        Seed of the segmentation.
    segments : bool
        Segment the distributors (when the sample is large enough).

    Returns
    -------
    CoreCustomerResult

    Examples
    --------
    >>> from ars_analysis import load_dataset
    >>> ds = load_dataset("data/sample")  # doctest: +SKIP
    >>> res = analyse_core_customers(ds, region="华南")  # doctest: +SKIP
    >>> res.grade_counts()  # doctest: +SKIP
    """
    from ars_analysis.aggregate import customer_sales
    from ars_analysis.client import load_client_config
    from ars_analysis.compose import filter_region, top_terminals

    cfg = cfg or load_client_config()
    cc = cfg.definitions.core_customer
    card = scorecard if isinstance(scorecard, Scorecard) else Scorecard(scorecard)
    if top is None:
        top = top_terminals(dataset, cfg.definitions.top_terminal)
    top_ids = top.loc[top["is_top"], "terminal_id"].astype(str).tolist()

    # 1. every distributor of the period
    feats = memo(
        "features", dataset, (top_ids,), lambda: _dataset_features(dataset, top_ids=top_ids)
    )
    if feats.empty:
        raise ValueError("no distributor has sales in the period")
    if region is not None:
        known = set(feats["region"].dropna()) if "region" in feats else set()
        wanted = [region] if isinstance(region, str) else list(region)
        unknown = sorted(set(wanted) - known)
        if unknown:
            raise ValueError(f"no distributor in region(s) {unknown}; known: {sorted(known)}")
    scored_all = card.score(feats)
    info = [c for c in ("customer_name", "region", "territory") if c in feats]
    scored_all = feats[["customer_id", *info, measure]].merge(
        scored_all.drop(columns=[c for c in info if c in scored_all]), on="customer_id"
    )
    abc_all = scoped_abc(
        feats, measure, scope=cc.abc_scope, min_group=cc.abc_min_group, cuts=cc.abc_cuts
    )
    second = scoped_abc(
        feats, second_measure, scope=cc.abc_scope, min_group=cc.abc_min_group, cuts=cc.abc_cuts
    )
    cells = abc_all[["customer_id", "abc_class"]].merge(
        second[["customer_id", "abc_class"]], on="customer_id", suffixes=("_1", "_2")
    )
    cells["cell"] = cells["abc_class_1"].astype(str) + cells["abc_class_2"].astype(str)
    computed_all = computed_abc(feats, measure, sort=False) if len(feats) >= 3 else None

    monthly = customer_sales(dataset, freq="M")
    p0, p1 = dataset.period if dataset.period is not None else (None, None)
    months = (
        [str(p) for p in pd.period_range(p0, p1, freq="M")]
        if p0 is not None
        else sorted(monthly["period"].astype(str).unique())
    )
    trend_all = sales_trend(monthly, months=months, measure=measure, level=cc.trend_level)
    floor = float(feats[measure].quantile(cc.seedling_min_revenue_quantile))
    gaps_all = dimension_gaps(scored_all, card)

    # 2. grade movements: re-scored per period
    pg_all = memo(  # whole dataset: shared by every report of a batch (ars_analysis.snapshot)
        "period_grades",
        dataset,
        (path_arg(scorecard), cc.movement_freq, top_ids),
        lambda: period_grades(dataset, card, freq=cc.movement_freq, top_terminal_ids=top_ids),
    )
    start = end = None
    if pg_all["period"].nunique() >= 2:
        start, end = movement_periods(pg_all)
    seg, reason = (None, "off")
    if segments:
        seg, reason = memo(
            "segments",
            dataset,
            (cfg, top_ids, random_state),
            lambda: _segment(feats, cfg, random_state),
        )

    # 3. the report's scope
    keep = set(filter_region(feats, region)["customer_id"]) if region is not None else None

    def scope(frame):
        if frame is None:
            return None
        if keep is None:
            return frame.reset_index(drop=True)
        return frame[frame["customer_id"].isin(keep)].reset_index(drop=True)

    scored = scope(scored_all)
    abc = scope(abc_all)
    computed = scope(computed_all) if computed_all is not None else abc.iloc[0:0]
    items = scope(cells)
    classes = ["A", "B", "C"]
    matrix = pd.crosstab(
        pd.Categorical(items["abc_class_1"].astype(str), categories=classes),
        pd.Categorical(items["abc_class_2"].astype(str), categories=classes),
        dropna=False,
    ).reindex(index=classes, columns=classes, fill_value=0)
    matrix.index.name, matrix.columns.name = measure, second_measure
    pg = scope(pg_all)
    transitions = movements = abc_mv = latest = None
    if start is not None:
        transitions = transition_matrix(pg, start, end, column="grade")
        movements = grade_movements(pg, start, end, column="grade", measure="revenue")
        latest = pg[pg["period"] == end]
        pc = period_classes(
            customer_sales(dataset, freq=cc.movement_freq), measure, cuts=cc.abc_cuts,
            items=feats["customer_id"],
        )  # fmt: skip
        abc_mv = scope(grade_movements(pc, start, end, measure=measure))
    trend = scope(trend_all)
    base = scored[["customer_id", *info, measure, "score", "grade"]]
    gaps = scope(gaps_all)
    seeds = trend_seedlings(base, trend, min_revenue=floor).merge(gaps, on="customer_id")
    risk = trend_at_risk(base, trend)
    counts = core_counts(scored, abc, computed, items.assign(customer_id=items["customer_id"]),
                         latest, measure=measure)  # fmt: skip
    top_scope = filter_region(top, region) if region is not None and "region" in top else top
    seg_assign = seg_profiles = None
    if seg is not None:
        seg_assign = scope(
            pd.DataFrame({"customer_id": feats["customer_id"], "segment": seg.labels_})
        )
        if len(seg_assign) < cfg.min_sample.segments:
            reason = "too_few"
        else:
            prof = seg.profiles_.copy()
            counts_in = seg_assign["segment"].value_counts()
            prof["n_customers"] = prof.index.map(counts_in).fillna(0).astype("int64")
            prof["share"] = prof["n_customers"] / max(len(seg_assign), 1)
            seg_profiles = prof.reset_index()
    return CoreCustomerResult(
        region=region,
        measure=measure,
        sales_period=(p0, p1),
        n_all=len(feats),
        scorecard=card,
        scored=scored,
        features=scope(feats),
        abc=abc,
        abc_summary=abc_summary(abc, measure),
        abc_groups=abc_groups(abc, measure),
        computed=computed,
        computed_summary=abc_summary(computed, measure) if len(computed) else abc_summary(abc, measure).iloc[0:0],
        matrix=matrix,
        counts=counts,
        period_grades=pg,
        movement_start=start,
        movement_end=end,
        transitions=transitions,
        movements=movements,
        abc_movements=abc_mv,
        trend=trend,
        size_floor=floor,
        seedlings=seeds,
        at_risk=risk,
        gaps=gaps,
        top_terminal_ids=sorted(top_scope.loc[top_scope["is_top"], "terminal_id"].astype(str)),
        segmenter=seg if seg_profiles is not None else None,
        segments=seg_assign if seg_profiles is not None else None,
        segment_profiles=seg_profiles,
        segment_reason=None if seg_profiles is not None else reason,
        options={"scope": cc.abc_scope, "min_group": cc.abc_min_group, "cuts": cc.abc_cuts,
                 "freq": cc.movement_freq,
            "trend_level": cc.trend_level, "second_measure": second_measure},
    )  # fmt: skip
