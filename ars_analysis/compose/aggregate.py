"""Aggregation of sales lines with DuckDB.

Sales lines can run to tens of millions of rows, so they are never grouped in pandas: DuckDB
scans them (from the loaded DataFrame, or straight from CSV/Parquet files in the contract's
format) and only the aggregated tables come back as DataFrames. This module is the only place
that knows about DuckDB; another engine can implement the same few functions when a client's
data outgrows one machine.

Every function returns one row per group with these measure columns:

==============  =============================================================
quantity        sum of quantity (returns net off)
revenue         sum of revenue
cost            sum of cost (NaN when the sales table has no cost)
gross_margin    revenue - cost
lines           number of sales lines
order_days      number of distinct dates with a line
n_products      number of distinct products
n_terminals     number of distinct (non-empty) terminals
first_date      first date with a line
last_date       last date with a line
==============  =============================================================

Grouping columns can be any sales column (``customer_id``, ``terminal_id``, ``product_id``,
``rep_id``) and, when the source is a :class:`~ars_analysis.data.loading.Dataset`, attributes joined
from the other tables: ``customer_region``, ``territory``, ``terminal_region``, ``terminal_type``,
``category``, and ``region`` (the terminal's region, else the customer's). ``rep_id`` is the
line's rep, else the terminal's rep.

DuckDB settings
---------------
DuckDB by default may use up to 80% of the machine's memory. The distinct counts
(``order_days``, ``n_products``, ``n_terminals``) build hash tables whose size grows with the
number of threads, so each query runs with:

* ``threads`` = every core, or ``ARS_DUCKDB_THREADS`` (set 1 on a machine busy with other work:
  extra threads then mostly contend);
* ``memory_limit`` = a quarter of physical memory (at least 1 GB), or
  ``ARS_DUCKDB_MEMORY_LIMIT`` (e.g. ``"4GB"``); beyond it DuckDB spills to a temporary folder
  (``<system temp>/ars_duckdb``) instead of failing.

``benchmarks/bench_aggregate.py`` measures both against pandas on 20 million lines.
"""

from __future__ import annotations

import glob
import os
import tempfile
from pathlib import Path

import duckdb
import pandas as pd

#: Measures returned by every aggregation, in order.
MEASURES = (
    "quantity",
    "revenue",
    "cost",
    "gross_margin",
    "lines",
    "order_days",
    "n_products",
    "n_terminals",
    "first_date",
    "last_date",
)

#: Period codes accepted by ``freq``: month, quarter, year.
FREQS = {"M": "month", "Q": "quarter", "Y": "year"}

# column -> (SQL expression, table aliases it needs)
_JOINED = {
    "customer_region": ("c.region", {"c"}),
    "territory": ("c.territory", {"c"}),
    "terminal_region": ("t.region", {"t"}),
    "terminal_type": ("t.terminal_type", {"t"}),
    "category": ("p.category", {"p"}),
    "region": ("coalesce(t.region, c.region)", {"t", "c"}),
}


def _physical_memory() -> int | None:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # not available (e.g. Windows)
        return None


def duckdb_config() -> dict[str, object]:
    """Settings of the DuckDB connections used here (see the module docstring).

    Examples
    --------
    >>> sorted(duckdb_config())
    ['memory_limit', 'preserve_insertion_order', 'temp_directory', 'threads']
    """
    threads = os.environ.get("ARS_DUCKDB_THREADS")
    memory = os.environ.get("ARS_DUCKDB_MEMORY_LIMIT")
    if not memory:
        total = _physical_memory()
        memory = f"{max(1024, total // 4 // 2**20)}MB" if total else "2GB"
    return {
        "threads": int(threads) if threads else (os.cpu_count() or 1),
        "memory_limit": memory,
        "temp_directory": str(Path(tempfile.gettempdir()) / "ars_duckdb"),
        # results are sorted explicitly; not keeping scan order saves memory
        "preserve_insertion_order": False,
    }


def _period_sql(freq: str) -> tuple[str, str]:
    """SQL for the period: (truncation used for grouping, formatting of the truncated date).

    Grouping by the truncated date and formatting only the aggregated rows is ~15% faster than
    grouping by a formatted string on tens of millions of lines.
    """
    if freq not in FREQS:
        raise ValueError(
            f"freq must be one of {sorted(FREQS)} (month, quarter, year), got {freq!r}"
        )
    trunc = f"date_trunc('{FREQS[freq]}', s.date)"
    if freq == "M":
        return trunc, "strftime(period, '%Y-%m')"
    if freq == "Q":
        return trunc, "strftime(period, '%Y') || 'Q' || CAST(quarter(period) AS VARCHAR)"
    return trunc, "strftime(period, '%Y')"


def _sales_relation(con: duckdb.DuckDBPyConnection, source) -> tuple[str, dict[str, pd.DataFrame]]:
    """Register the sales source in ``con``; return its SQL name and any dimension tables."""
    dims: dict[str, pd.DataFrame] = {}
    if hasattr(source, "tables"):  # a loaded Dataset
        dims = {k: v for k, v in source.tables.items() if k != "sales" and v is not None}
        source = source.tables["sales"]
    if isinstance(source, pd.DataFrame):
        con.register("sales_src", source)
        return "sales_src", dims
    paths = (
        sorted(glob.glob(os.fspath(source)))
        if not Path(source).is_dir()
        else sorted(str(p) for p in Path(source).glob("sales*") if p.suffix in {".csv", ".parquet"})
    )
    if not paths:
        raise FileNotFoundError(f"no sales file matches {source}")
    if all(p.endswith(".parquet") for p in paths):
        con.execute(f"CREATE VIEW sales_src AS SELECT * FROM read_parquet({paths!r})")
    else:
        con.execute(
            "CREATE VIEW sales_src AS SELECT * FROM read_csv("
            f"{paths!r}, header=true, types={{'customer_id': 'VARCHAR', 'terminal_id': 'VARCHAR', "
            "'product_id': 'VARCHAR', 'rep_id': 'VARCHAR', 'date': 'DATE'})"
        )
    return "sales_src", dims


class SalesLines:
    """Sales lines loaded once into DuckDB's compressed columnar store, for many aggregations.

    Parsing a large CSV is most of the cost of an aggregation. When several tables are needed from
    the same lines (per customer, per customer and month, per terminal ...), open the lines once
    and pass this object to :func:`sales_by` and the other functions as their ``source``.
    The lines live in DuckDB's own storage (compressed, spilled to disk beyond the memory limit),
    not in pandas.

    Parameters
    ----------
    source : Dataset, DataFrame, str or Path
        As for :func:`sales_by`.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"date": pd.to_datetime(["2025-01-05", "2025-02-01"]),
    ...     "customer_id": ["C1", "C2"], "product_id": ["P1", "P1"],
    ...     "quantity": [1.0, 3.0], "revenue": [10.0, 30.0]})
    >>> with SalesLines(lines) as held:
    ...     print(sales_by(held, ["customer_id"])["revenue"].tolist(), len(held))
    [10.0, 30.0] 2
    """

    def __init__(self, source):
        self._con = duckdb.connect(config=duckdb_config())
        try:
            name, self.dims = _sales_relation(self._con, source)
            self._con.execute(f"CREATE TABLE sales_lines AS SELECT * FROM {name}")
            self._con.execute(f"DROP VIEW IF EXISTS {name}")
        except BaseException:
            self._con.close()
            raise

    def __len__(self) -> int:
        return self._con.execute("SELECT count(*) FROM sales_lines").fetchone()[0]

    def close(self) -> None:
        """Release the DuckDB connection and the lines it holds."""
        self._con.close()

    def __enter__(self) -> SalesLines:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _aggregate_sql(lines: str, groups: list[str], outer: list[str]) -> str:
    """The aggregation query over ``lines`` (one row per sales line with g0.. group columns);
    ``outer`` are the output expressions of the group columns over ``base b``.

    Exact distinct counts (``count(DISTINCT x)`` per group) are the expensive part on tens of
    millions of lines. Counting the rows of ``SELECT DISTINCT group, x`` instead lets DuckDB use
    its parallel hash aggregate; measured on 20 million lines this halves the time of the whole
    query. The lines are materialised once (only the columns needed) and read four times.
    """
    gl = ", ".join(groups)
    sel = gl + ", " if groups else ""
    group_by = f"GROUP BY {gl}" if groups else ""

    def distinct(col: str, name: str) -> str:
        return (
            f"SELECT {sel}count({col}) AS {name} "
            f"FROM (SELECT DISTINCT {sel}{col} FROM lines) {group_by}"
        )

    def join(alias: str) -> str:
        if not groups:
            return f"CROSS JOIN {alias}"
        # group values may be NULL (e.g. sell-in lines have no terminal): match them too
        on = " AND ".join(f"b.{c} IS NOT DISTINCT FROM {alias}.{c}" for c in groups)
        return f"LEFT JOIN {alias} ON {on}"

    return f"""
        WITH lines AS MATERIALIZED ({lines}),
        base AS (
            SELECT {sel}
                   sum(_quantity)::DOUBLE AS quantity,
                   sum(_revenue)::DOUBLE AS revenue,
                   sum(_cost)::DOUBLE AS cost,
                   (sum(_revenue) - sum(_cost))::DOUBLE AS gross_margin,
                   count(*) AS lines,
                   min(_date) AS first_date,
                   max(_date) AS last_date
            FROM lines {group_by}
        ),
        d_days AS ({distinct("_date", "order_days")}),
        d_products AS ({distinct("_product", "n_products")}),
        d_terminals AS ({distinct("_terminal", "n_terminals")})
        SELECT {", ".join(outer) + "," if outer else ""}
               b.quantity, b.revenue, b.cost, b.gross_margin, b.lines,
               coalesce(d_days.order_days, 0) AS order_days,
               coalesce(d_products.n_products, 0) AS n_products,
               coalesce(d_terminals.n_terminals, 0) AS n_terminals,
               b.first_date, b.last_date
        FROM base b {join("d_days")} {join("d_products")} {join("d_terminals")}
        {"ORDER BY " + ", ".join(f"b.{c}" for c in groups) if groups else ""}
    """


def sales_by(
    source,
    by: list[str] | tuple[str, ...] = ("customer_id",),
    *,
    freq: str | None = None,
    start=None,
    end=None,
    where: str | None = None,
) -> pd.DataFrame:
    """Aggregate sales lines by ``by`` (and by period when ``freq`` is given).

    Parameters
    ----------
    source : Dataset, DataFrame, str, Path or SalesLines
        A loaded dataset, a sales DataFrame in the contract's columns, a path / glob of sales
        CSV or Parquet files in the contract's columns, or lines already held by
        :class:`SalesLines` (fastest when several aggregations read the same large file).
    by : list of str
        Grouping columns (see the module docstring). May be empty for a grand total.
    freq : {"M", "Q", "Y"}, optional
        Add a ``period`` column (``2025-03``, ``2025Q1``, ``2025``) and group by it too.
    start, end : date-like, optional
        Keep lines with ``start <= date <= end``.
    where : str, optional
        Extra SQL filter on the joined lines (e.g. ``"region = 'East'"``), for advanced use.

    Returns
    -------
    DataFrame
        ``by`` (+ ``period``) columns followed by :data:`MEASURES`, sorted by the group columns.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-01"]),
    ...     "customer_id": ["C1", "C1", "C2"], "terminal_id": ["T1", None, "T2"],
    ...     "product_id": ["P1", "P2", "P1"], "quantity": [1.0, 2.0, 3.0],
    ...     "revenue": [10.0, 20.0, 30.0], "cost": [6.0, 12.0, 20.0]})
    >>> sales_by(lines, ["customer_id"])[["customer_id", "revenue", "gross_margin", "n_terminals"]]
      customer_id  revenue  gross_margin  n_terminals
    0          C1     30.0          12.0            1
    1          C2     30.0          10.0            1
    """
    by = list(by)
    held = isinstance(source, SalesLines)
    con = source._con if held else duckdb.connect(config=duckdb_config())
    try:
        name, dims = ("sales_lines", source.dims) if held else _sales_relation(con, source)
        cols = {c.lower() for c in con.execute(f"SELECT * FROM {name} LIMIT 0").df().columns}
        joins = []
        for table, alias, key in (
            ("customers", "c", "customer_id"),
            ("terminals", "t", "terminal_id"),
            ("products", "p", "product_id"),
        ):
            if table in dims:
                con.register(f"dim_{table}", dims[table])
                joins.append(f"LEFT JOIN dim_{table} {alias} ON s.{key} = {alias}.{key}")
        joined_aliases = {j.split()[3] for j in joins}

        def expr(col: str) -> str:
            if col == "rep_id":
                line_rep = "s.rep_id" if "rep_id" in cols else "NULL"
                return f"coalesce({line_rep}, t.rep_id)" if "t" in joined_aliases else line_rep
            if col in _JOINED:
                sql, needed = _JOINED[col]
                if not needed <= joined_aliases:
                    raise ValueError(
                        f"grouping by {col!r} needs the customers/terminals/products tables: "
                        "pass a loaded Dataset, not bare sales lines"
                    )
                return sql
            if col.lower() not in cols:
                raise ValueError(f"cannot group sales by {col!r}: no such column")
            return f"s.{col}"

        # Group columns get internal names g0, g1, ... so that a group column called e.g.
        # "product_id" cannot collide with the line columns the measures read.
        group_names = [*by, *(["period"] if freq else [])]
        group_exprs = [expr(c) for c in by]
        outer = [f'b.g{i} AS "{c}"' for i, c in enumerate(by)]
        if freq is not None:
            trunc, fmt = _period_sql(freq)
            group_exprs.append(trunc)
            outer.append(fmt.replace("period", f"b.g{len(by)}") + " AS period")
        g = [f"g{i}" for i in range(len(group_names))]
        cost = "s.cost" if "cost" in cols else "CAST(NULL AS DOUBLE)"
        terminal = "s.terminal_id" if "terminal_id" in cols else "CAST(NULL AS VARCHAR)"
        filters = []
        params: list = []
        if start is not None:
            filters.append("s.date >= ?")
            params.append(pd.Timestamp(start).date())
        if end is not None:
            filters.append("s.date <= ?")
            params.append(pd.Timestamp(end).date())
        if where:
            filters.append(f"({where})")
        sql = _aggregate_sql(
            lines=f"""
                SELECT {"".join(f"{e} AS g{i}, " for i, e in enumerate(group_exprs))}
                       s.date AS _date, s.product_id AS _product, {terminal} AS _terminal,
                       s.quantity AS _quantity, s.revenue AS _revenue, {cost} AS _cost
                FROM {name} s {" ".join(joins)}
                {"WHERE " + " AND ".join(filters) if filters else ""}
            """,
            groups=g,
            outer=outer,
        )
        out = con.execute(sql, params).df()
    finally:
        if not held:
            con.close()
    for col in ("first_date", "last_date"):
        out[col] = pd.to_datetime(out[col])
    for col in ("lines", "order_days", "n_products", "n_terminals"):
        out[col] = out[col].astype("int64")
    return out


def customer_sales(source, *, freq=None, start=None, end=None) -> pd.DataFrame:
    """Sales per distributor (``customer_id``), optionally per period. See :func:`sales_by`."""
    return sales_by(source, ["customer_id"], freq=freq, start=start, end=end)


def terminal_sales(source, *, freq=None, start=None, end=None) -> pd.DataFrame:
    """Sales per terminal (lines without a terminal, i.e. sell-in, are left out).

    When ``source`` is a Dataset with a terminal master, lines whose terminal ID is not in the
    master are left out too: validation reports them (``unknown_reference``), and they must not
    become phantom terminals that inflate terminal counts and concentration curves.

    Examples
    --------
    >>> import pandas as pd
    >>> from ars_analysis.data.dataset import Dataset
    >>> ds = Dataset({"sales": pd.DataFrame({
    ...         "date": pd.to_datetime(["2025-01-05"] * 3), "customer_id": ["C1"] * 3,
    ...         "terminal_id": ["T1", "T9", None], "product_id": ["P1"] * 3,
    ...         "quantity": [1.0, 1.0, 1.0], "revenue": [10.0, 20.0, 30.0]}),
    ...     "terminals": pd.DataFrame({"terminal_id": ["T1", "T2"]})})
    >>> terminal_sales(ds)["terminal_id"].tolist()
    ['T1']
    """
    out = sales_by(source, ["terminal_id"], freq=freq, start=start, end=end)
    out = out[out["terminal_id"].notna()]
    master = getattr(source, "tables", {}).get("terminals") if hasattr(source, "tables") else None
    if master is not None and len(master) and "terminal_id" in master:
        out = out[out["terminal_id"].isin(master["terminal_id"])]
    return out.reset_index(drop=True)


def rep_sales(source, *, freq="M", start=None, end=None) -> pd.DataFrame:
    """Sales credited to each rep per period (line's rep, else the terminal's rep)."""
    return sales_by(source, ["rep_id"], freq=freq, start=start, end=end)


def period_sales(source, *, freq="M", start=None, end=None) -> pd.DataFrame:
    """Total sales per period."""
    return sales_by(source, [], freq=freq, start=start, end=end)
