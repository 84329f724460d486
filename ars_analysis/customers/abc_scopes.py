"""ABC within the client's scope: territories, regions or the country, small groups ranked
within the next larger scope (:func:`abc_scope_used`, :func:`scoped_abc`, :func:`abc_groups`)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ars_analysis.customers import abc_core as _abc
from ars_analysis.customers.abc import ABC_COLUMNS, DEFAULT_CUTS, _check_columns, abc_classify

__all__ = ["ABC_SCOPES", "abc_groups", "abc_scope_used", "scoped_abc"]

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
