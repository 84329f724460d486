"""Large sales tables (tens of millions of lines) for benchmarks, generated in chunks."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

from ars_analysis.data.contract import TABLES
from ars_analysis.data.outputs import atomic_path

# --------------------------------------------------------------------------------------------
# Large sales tables (benchmarks)
# --------------------------------------------------------------------------------------------

#: Columns of :func:`generate_sales_lines` (the contract's sales columns).
SALES_COLUMNS = TABLES["sales"].column_names


def iter_sales_lines(
    n_lines: int,
    *,
    seed: int = 0,
    chunk_size: int = 1_000_000,
    n_customers: int = 2_000,
    n_terminals: int = 200_000,
    n_products: int = 300,
    n_reps: int = 1_000,
    start: str = "2024-01-01",
    months: int = 24,
    arrow: bool = False,
) -> Iterator:
    """Yield ``n_lines`` synthetic sales lines in chunks (DataFrames, or pyarrow Tables if ``arrow``).

    Terminals have heavy-tailed volumes and a fixed distributor and rep; ~10% of lines are sell-in
    (empty ``terminal_id``); dates are spread over ``months`` months from ``start``. Chunks are
    generated independently from ``seed``, so memory stays at one chunk.

    Examples
    --------
    >>> chunks = list(iter_sales_lines(2500, chunk_size=1000, seed=1))
    >>> [len(c) for c in chunks]
    [1000, 1000, 500]
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    ss = np.random.SeedSequence(seed)
    setup_rng = np.random.default_rng(ss.spawn(1)[0])
    cust_ids = pa.array([f"C{i:05d}" for i in range(1, n_customers + 1)])
    term_ids = pa.array([f"T{i:07d}" for i in range(1, n_terminals + 1)])
    prod_ids = pa.array([f"P{i:04d}" for i in range(1, n_products + 1)])
    rep_ids = pa.array([f"R{i:05d}" for i in range(1, n_reps + 1)])
    t_weight = setup_rng.lognormal(0, 1.6, n_terminals)
    t_cdf = np.cumsum(t_weight) / t_weight.sum()
    c_weight = setup_rng.pareto(1.3, n_customers) + 0.1
    t_cust = setup_rng.choice(n_customers, n_terminals, p=c_weight / c_weight.sum())
    c_cdf = np.cumsum(c_weight) / c_weight.sum()
    t_rep = setup_rng.integers(0, n_reps, n_terminals)
    c_rep = setup_rng.integers(0, n_reps, n_customers)
    p_weight = 1.0 / np.arange(1, n_products + 1) ** 0.9
    p_cdf = np.cumsum(p_weight) / p_weight.sum()
    price = np.round(setup_rng.uniform(5, 120, n_products), 1)
    cost_rate = setup_rng.uniform(0.5, 0.8, n_products)
    first = pd.Timestamp(start).to_period("M").to_timestamp()
    n_days = (first + pd.DateOffset(months=months) - first).days
    day0 = (first - pd.Timestamp("1970-01-01")).days
    n_chunks = -(-n_lines // chunk_size)
    for i, child in enumerate(ss.spawn(n_chunks + 1)[1:]):
        rng = np.random.default_rng(child)
        k = min(chunk_size, n_lines - i * chunk_size)
        t = np.minimum(np.searchsorted(t_cdf, rng.random(k)), n_terminals - 1)
        sell_in = rng.random(k) < 0.1
        c = np.where(
            sell_in, np.minimum(np.searchsorted(c_cdf, rng.random(k)), n_customers - 1), t_cust[t]
        )
        p = np.minimum(np.searchsorted(p_cdf, rng.random(k)), n_products - 1)
        qty = np.maximum(1, np.round(rng.lognormal(1.5, 1.0, k)))
        qty = np.where(rng.random(k) < 0.003, -qty, qty)
        unit = price[p] * rng.uniform(0.8, 1.0, k)
        revenue = np.round(qty * unit, 2)
        cost = np.round(qty * price[p] * cost_rate[p], 2)
        days = (day0 + rng.integers(0, n_days, k)).astype(np.int32)
        table = pa.table(
            {
                "date": pa.array(days, pa.date32()),
                "customer_id": pc.take(cust_ids, pa.array(c)),
                "terminal_id": pc.take(term_ids, pa.array(t, mask=sell_in)),
                "product_id": pc.take(prod_ids, pa.array(p)),
                "quantity": pa.array(qty),
                "revenue": pa.array(revenue),
                "cost": pa.array(cost),
                "rep_id": pc.take(rep_ids, pa.array(np.where(sell_in, c_rep[c], t_rep[t]))),
            }
        )
        yield table if arrow else table.to_pandas()


def generate_sales_lines(n_lines: int, *, seed: int = 0, **kwargs) -> pd.DataFrame:
    """Generate ``n_lines`` synthetic sales lines as one DataFrame (see :func:`iter_sales_lines`).

    Examples
    --------
    >>> lines = generate_sales_lines(1000, seed=2)
    >>> list(lines.columns) == SALES_COLUMNS, len(lines)
    (True, 1000)
    """
    chunks = list(iter_sales_lines(n_lines, seed=seed, **kwargs))
    out = pd.concat(chunks, ignore_index=True) if chunks else pd.DataFrame(columns=SALES_COLUMNS)
    out["date"] = pd.to_datetime(out["date"])
    return out


def write_sales_lines(
    n_lines: int, path: str | os.PathLike, *, seed: int = 0, fmt: str | None = None, **kwargs
) -> Path:
    """Stream ``n_lines`` synthetic sales lines to a CSV or Parquet file (by suffix or ``fmt``)."""
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    path = Path(path)
    fmt = fmt or path.suffix.lstrip(".")
    if fmt not in ("csv", "parquet"):
        raise ValueError(f"fmt must be 'csv' or 'parquet', got {fmt!r} for {path}")
    with atomic_path(path) as tmp:
        writer = None
        try:
            for table in iter_sales_lines(n_lines, seed=seed, arrow=True, **kwargs):
                if writer is None:
                    writer = (
                        pacsv.CSVWriter(
                            tmp,
                            table.schema,
                            write_options=pacsv.WriteOptions(quoting_style="needed"),
                        )
                        if fmt == "csv"
                        else pq.ParquetWriter(tmp, table.schema)
                    )
                writer.write_table(table)
        finally:
            if writer is not None:
                writer.close()
    return path
