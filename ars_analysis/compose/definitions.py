"""The definitions every report shares, computed once on the whole dataset.

Top terminals (:func:`top_terminals`) and the core distributors of the terminal network
(:func:`core_distributors`: ABC class A of their region).

The client's core customers are :func:`ars_analysis.compose.customers.core_customers`.

A national and a regional report must name the same top terminals and give a distributor the
same grade. So a definition is computed on all the client's data (the analysis period, every
region) and a regional report *filters* the result; it never recomputes it on its own subset.

Examples
--------
>>> import pandas as pd
>>> from ars_analysis.data.dataset import Dataset
>>> from ars_analysis.client import TopTerminal
>>> ds = Dataset({
...     "terminals": pd.DataFrame({"terminal_id": [f"T{i}" for i in range(10)],
...                                "region": ["E"] * 5 + ["W"] * 5}),
...     "sales": pd.DataFrame({"terminal_id": [f"T{i}" for i in range(10)],
...                            "customer_id": ["C1"] * 10,
...                            "date": pd.to_datetime(["2025-01-01"] * 10),
...                            "revenue": [float(v) for v in range(10, 0, -1)]}),
... })
>>> top = top_terminals(ds, TopTerminal(share=0.2, within="region"))
>>> top.loc[top["is_top"], "terminal_id"].tolist()
['T0', 'T5']
"""

from __future__ import annotations

import math

import pandas as pd

from ars_analysis.client import TopTerminal
from ars_analysis.customers import abc_classify
from ars_analysis.data.dataset import Dataset

__all__ = ["core_distributors", "filter_region", "top_terminals"]


def top_terminals(dataset: Dataset, definition: TopTerminal | None = None) -> pd.DataFrame:
    """Every terminal with its sales and whether it is a top terminal (重点终端).

    Terminals of the master (with or without sales in the period) are ranked by revenue within
    their region (``within="region"``) or nationally; the first ``ceil(share * n)`` of each
    group are top terminals (ties broken by terminal ID, so the set is reproducible). Sales to
    IDs that are not in the terminal master are left out (they are reported by validation).
    Without a terminal master, the terminals that have sales are ranked.

    Returns
    -------
    DataFrame
        ``terminal_id``, ``region``, ``revenue``, ``rank`` (1 = highest in its group),
        ``n_in_group``, ``is_top``.
    """
    definition = definition or TopTerminal()
    sales = dataset.sales
    if "terminal_id" not in sales:
        return pd.DataFrame(
            columns=["terminal_id", "region", "revenue", "rank", "n_in_group", "is_top"]
        )
    revenue = (
        sales.loc[sales["terminal_id"].notna()]
        .groupby("terminal_id", observed=True)["revenue"]
        .sum()
    )
    master = dataset.tables.get("terminals")
    if master is not None and len(master):
        cols = ["terminal_id"] + (["region"] if "region" in master else [])
        frame = master[cols].drop_duplicates("terminal_id").copy()
    else:
        frame = pd.DataFrame({"terminal_id": revenue.index})
    if "region" not in frame:
        frame["region"] = None
    frame["revenue"] = frame["terminal_id"].map(revenue).fillna(0.0).astype(float)
    group = (
        frame["region"].fillna("")
        if definition.within == "region"
        else pd.Series("", index=frame.index)
    )
    frame = frame.assign(_g=group).sort_values(
        ["_g", "revenue", "terminal_id"], ascending=[True, False, True]
    )
    frame["rank"] = frame.groupby("_g").cumcount() + 1
    frame["n_in_group"] = frame.groupby("_g")["terminal_id"].transform("size")
    n_top = frame["n_in_group"].map(lambda n: math.ceil(definition.share * n - 1e-9))
    frame["is_top"] = (frame["rank"] <= n_top) & (frame["revenue"] > 0)
    return frame.drop(columns="_g").reset_index(drop=True)


def filter_region(table: pd.DataFrame, region, column: str = "region") -> pd.DataFrame:
    """Rows of ``table`` in ``region`` (a name or a list; ``None`` keeps every row)."""
    if region is None:
        return table.reset_index(drop=True)
    regions = [region] if isinstance(region, str) else list(region)
    return table[table[column].isin(regions)].reset_index(drop=True)


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
    missing = [c for c in ("customer_id", by) if c not in customers]
    if missing:
        raise ValueError(
            f"customers: missing column(s) {missing}; columns are {list(customers.columns)}"
        )
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
