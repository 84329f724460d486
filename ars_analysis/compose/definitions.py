"""The definitions every report shares, computed once on the whole dataset.

Top terminals (:func:`top_terminals`). The client's core customers (scorecard grade A, also the
"core distributors" of the terminal network and field execution) are
:func:`ars_analysis.compose.customers.core_customers`.

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
from ars_analysis.compose.aggregate import sales_by, terminal_days
from ars_analysis.data.dataset import Dataset

__all__ = ["filter_region", "new_terminal_sales", "top_terminals"]


def in_engine(table) -> bool:
    """Whether a contract table stays in an engine (an EngineTable, not a DataFrame)."""
    return table is not None and not isinstance(table, pd.DataFrame)


def sales_columns(dataset) -> set[str]:
    """The sales table's contract columns, wherever the lines are."""
    sales = dataset.tables.get("sales")
    return set() if sales is None else set(sales.columns)  # an EngineTable: contract -> source


def new_terminal_sales(source):
    """What new-terminal detection reads (``rep_scorecard(sales=...)``): the sales lines of a
    Dataset (or the lines themselves) in pandas, or, when the lines stay in an engine, their
    reduction to terminal x rep x day (:func:`~ars_analysis.compose.aggregate.terminal_days`,
    which gives the same new terminals). None without sales.
    """
    lines = source.tables.get("sales") if hasattr(source, "tables") else source
    if lines is None or not in_engine(lines):
        return lines
    return terminal_days(source)


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
    if "terminal_id" not in sales_columns(dataset):
        return pd.DataFrame(
            columns=["terminal_id", "region", "revenue", "rank", "n_in_group", "is_top"]
        )
    if in_engine(sales):  # the lines stay in the engine: their sum per terminal comes back
        per = sales_by(dataset, ["terminal_id"])
        revenue = per.loc[per["terminal_id"].notna()].set_index("terminal_id")["revenue"]
    else:
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
