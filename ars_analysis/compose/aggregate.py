"""Aggregation of sales lines and visit logs, written once with Ibis: DuckDB or Spark.

Sales lines can run to hundreds of millions of rows, so they are never grouped in pandas: the
engine (:mod:`ars_analysis.data.engines`: DuckDB on one machine by default, Spark on a cluster)
scans them - from the loaded DataFrame, from CSV/Parquet files in the contract's format, or from
a Spark table - and only the aggregated tables come back as DataFrames. Every aggregation is one
`Ibis <https://ibis-project.org>`_ expression, so the same code runs on either engine and gives
the same keys, counts and dates (sums agree to floating-point rounding: the engines add in
different orders, relative difference below 1e-12). This module and
:mod:`ars_analysis.data.engine_validation` are the only places that build engine queries.

Every sales aggregation returns one row per group with these measure columns:

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
``rep_id``) and, when the source is a :class:`~ars_analysis.data.dataset.Dataset`, attributes
joined from the other tables: ``customer_region``, ``territory``, ``terminal_region``,
``terminal_type``, ``category``, and ``region`` (the terminal's region, else the customer's).
``rep_id`` is the line's rep, else the terminal's rep.

:func:`sales_tables` returns several such tables from one read of the lines (a CSV is parsed
once; quarters, years and totals are rolled up from months): use it when a step needs more than
one table. :func:`visits_by` aggregates the visit log the same way (:data:`VISIT_MEASURES`).

Lines read more than once (a CSV, or a table parsed by the engine) are held by DuckDB: in memory
when they are small next to its memory limit, otherwise in a temporary DuckDB file that keeps
memory bounded (``$ARS_DUCKDB_HOLD`` = ``memory`` / ``disk`` forces either).

The engine's settings (DuckDB threads and memory limit, the Spark master) are documented in
:mod:`ars_analysis.data.engines`. ``benchmarks/bench_aggregate.py`` measures DuckDB against
pandas on 20 million lines, ``benchmarks/bench_engines.py`` DuckDB, Spark and pandas.
"""

from __future__ import annotations

import glob
import os
import uuid
import warnings
import weakref
from pathlib import Path

import pandas as pd

from ars_analysis.data.engine_validation import EngineTable
from ars_analysis.data.engines import connect, duckdb_config, engine_name, hold

__all__ = [
    "FREQS",
    "MEASURES",
    "VISIT_MEASURES",
    "SalesLines",
    "customer_sales",
    "duckdb_config",
    "period_sales",
    "read_lines",
    "rep_sales",
    "sales_by",
    "sales_tables",
    "terminal_days",
    "terminal_sales",
    "visits_by",
]

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


def _new_name(prefix: str) -> str:
    return f"ars_{prefix}_{uuid.uuid4().hex[:12]}"


def _paths(source) -> list[str]:
    """The CSV/Parquet files of a path, a glob or a folder (its ``sales*`` files)."""
    src = Path(source)
    if src.is_dir():
        paths = sorted(
            str(p) for p in src.glob("sales*") if p.suffix in {".csv", ".parquet"} or p.is_dir()
        )
        # a folder of Parquet files (a partitioned table written by Spark or DuckDB)
        if not paths and any(src.glob("*.parquet")):
            paths = sorted(str(p) for p in src.rglob("*.parquet"))
    else:
        paths = sorted(glob.glob(os.fspath(source)))
    expanded = []
    for p in paths:
        if Path(p).is_dir():
            expanded += sorted(str(q) for q in Path(p).rglob("*.parquet"))
        else:
            expanded.append(p)
    if not expanded:
        raise FileNotFoundError(f"no sales file matches {source}")
    return expanded


#: Types of the contract columns the aggregations read, for files read by an engine.
_LINE_TYPES = {
    "customer_id": "string",
    "terminal_id": "string",
    "product_id": "string",
    "rep_id": "string",
    "date": "date",
    "quantity": "float64",
    "revenue": "float64",
    "cost": "float64",
}


def read_lines(con, source):
    """Sales lines in the contract's columns as an Ibis table of ``con`` (nothing is read into
    Python): a pandas DataFrame, a path / glob / folder of CSV or Parquet files, a Spark
    DataFrame, a Spark table name (``"spark:db.table"``) or an Ibis table of ``con``.

    Examples
    --------
    >>> import pandas as pd
    >>> from ars_analysis.data.engines import connect
    >>> con = connect("duckdb")
    >>> lines = read_lines(con, pd.DataFrame({"customer_id": ["C1"], "revenue": [1.0]}))
    >>> lines.count().to_pyarrow().as_py()
    1
    """
    import ibis

    if isinstance(source, ibis.expr.types.Table):
        return source
    if isinstance(source, EngineTable):  # loaded with an engine: parsed in the engine
        return source.to_ibis(con)
    if isinstance(source, pd.DataFrame):
        if con.name == "duckdb":  # zero-copy scan of the frame
            name = _new_name("lines")
            con.con.register(name, source)
            return con.table(name)
        return _spark_frame(con, source)
    if con.name == "pyspark" and hasattr(source, "createOrReplaceTempView"):  # classic or Connect
        name = _new_name("lines")
        source.createOrReplaceTempView(name)
        return con.table(name)
    if isinstance(source, str) and source.startswith("spark:"):
        if con.name != "pyspark":
            raise ValueError(f"{source!r} names a Spark table: use the spark engine")
        return con.table(source.removeprefix("spark:"))
    paths = _paths(source)
    parquet = all(p.endswith(".parquet") for p in paths)
    if con.name == "duckdb":
        name = _new_name("lines")
        if parquet:
            con.raw_sql(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({paths!r})")
        else:
            types = {c: ("DATE" if t == "date" else "VARCHAR") for c, t in _LINE_TYPES.items()}
            types = {c: t for c, t in types.items() if c not in ("quantity", "revenue", "cost")}
            con.raw_sql(
                f"CREATE VIEW {name} AS SELECT * FROM read_csv({paths!r}, header=true, "
                f"types={types!r})"
            )
        return con.table(name)
    reader = con._session.read
    paths = [os.path.abspath(p) for p in paths]  # a Spark Connect server has its own cwd
    frame = reader.parquet(*paths) if parquet else reader.csv(paths, header=True)
    name = _new_name("lines")
    frame.createOrReplaceTempView(name)
    table = con.table(name)
    casts = {c: t for c, t in _LINE_TYPES.items() if c in table.columns}
    return table.mutate(**{c: table[c].cast(t) for c, t in casts.items()})


# pandas frames already copied into the Spark session, by identity (a batch aggregates the same
# loaded sales lines many times; each copy is a temporary view, cached by Spark)
_SPARK_COPIES: dict[tuple, tuple] = {}


def _spark_frame(con, frame: pd.DataFrame, prepare=None, tag: str = ""):
    """A pandas frame (or ``prepare(frame)``) as a Spark temporary view, through Arrow: one
    copy per frame and ``tag`` while the frame lives."""
    import pyarrow as pa

    key = _SPARK_COPIES.get((id(frame), tag))
    if key is not None and key[0]() is frame and key[1] is con._session:
        return con.table(key[2])
    data = prepare(frame) if prepare is not None else frame
    data = pa.Table.from_pandas(data, preserve_index=False).combine_chunks()
    name = _new_name("frame")
    df = con._session.createDataFrame(data)
    df.cache()
    df.createOrReplaceTempView(name)
    _SPARK_COPIES[(id(frame), tag)] = (weakref.ref(frame), con._session, name)
    weakref.finalize(frame, _drop_copy, (id(frame), tag), con._session, name)
    return con.table(name)


def _drop_copy(key: tuple, session, name: str) -> None:
    _SPARK_COPIES.pop(key, None)
    try:
        session.catalog.dropTempView(name)
    except Exception:  # noqa: BLE001 - the session may be gone at exit
        pass


def _dims_of(source) -> dict[str, pd.DataFrame]:
    tables = getattr(source, "tables", None) or {}
    return {
        k: v
        for k, v in tables.items()
        if k in _DIMS and isinstance(v, pd.DataFrame) and v is not None
    }


def _sales_source(source):
    if hasattr(source, "tables"):  # a loaded Dataset
        return source.tables["sales"]
    return source


class SalesLines:
    """Sales lines held by the engine (DuckDB's compressed columnar store, or Spark's cache),
    for many aggregations.

    Parsing a large CSV is most of the cost of an aggregation. When several tables are needed from
    the same lines (per customer, per customer and month, per terminal ...), open the lines once
    and pass this object to :func:`sales_by` and the other functions as their ``source``.
    The lines live in the engine (compressed, spilled to disk beyond the memory limit), not in
    pandas.

    Parameters
    ----------
    source : Dataset, DataFrame, str or Path
        As for :func:`sales_by`.
    engine : {"duckdb", "spark"}, optional
        See :func:`ars_analysis.data.engines.engine_name`.

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

    def __init__(self, source, *, engine: str | None = None):
        self.engine = engine_name(engine)
        self._con = connect(self.engine)
        self._own = self.engine == "duckdb"  # a Spark session outlives the lines
        self._held = None  # what close() releases: a Held table, or a Spark cache
        try:
            self.dims = _dims_of(source)
            raw = _sales_source(source)
            lines = read_lines(self._con, raw)
            if self.engine == "duckdb" and not _expensive(raw):
                pass  # a frame or Parquet files: scanning them again is cheaper than holding
            elif self.engine == "duckdb":
                self._held = hold(self._con, lines, nbytes=_nbytes(raw))
                lines = self._held.table
            else:
                lines = self._held = lines.cache()
            self.lines = lines
        except BaseException:
            self.close()
            raise

    def __len__(self) -> int:
        return int(self.lines.count().to_pyarrow().as_py())

    def close(self) -> None:
        """Release the lines the engine holds (and a DuckDB connection)."""
        self.__dict__.pop("lines", None)
        held = self.__dict__.pop("_held", None)
        if held is not None:
            held.release()
        if self._own:
            self._con.disconnect()

    def __enter__(self) -> SalesLines:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


# contract table -> (key, {column: name in the joined lines})
_DIMS = {
    "customers": ("customer_id", {"region": "c_region", "territory": "c_territory"}),
    "terminals": (
        "terminal_id",
        {"region": "t_region", "terminal_type": "t_terminal_type", "rep_id": "t_rep_id"},
    ),
    "products": ("product_id", {"category": "p_category"}),
}
# grouping column -> (expression over the joined lines, dimension tables it needs)
_JOINED = {
    "customer_region": (lambda j: j.c_region, {"customers"}),
    "territory": (lambda j: j.c_territory, {"customers"}),
    "terminal_region": (lambda j: j.t_region, {"terminals"}),
    "terminal_type": (lambda j: j.t_terminal_type, {"terminals"}),
    "category": (lambda j: j.p_category, {"products"}),
    "region": (lambda j: j.t_region.coalesce(j.c_region), {"terminals", "customers"}),
}


def _dim_table(con, table: str, frame: pd.DataFrame):
    """The columns of a dimension table the aggregations join, as an engine table."""
    import ibis

    key, wanted = _DIMS[table]
    cols = {f"{table[0]}_{key}": key, **{v: k for k, v in wanted.items()}}

    def prepare(frame: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                new: pd.Series(
                    frame[old].astype(object).where(frame[old].notna(), None).tolist()
                    if old in frame.columns
                    else [None] * len(frame),
                    dtype=object,
                )
                for new, old in cols.items()
            }
        )

    if con.name == "duckdb":
        data = prepare(frame)
        return ibis.memtable(data, schema={c: "string" for c in data.columns})
    return _spark_frame(con, frame, prepare, tag=table)


def _joined_lines(con, lines, dims: dict[str, pd.DataFrame]):
    """Sales lines with the columns of the dimension tables (left joins on their keys)."""
    joined = lines
    for table, frame in dims.items():
        key = _DIMS[table][0]
        if key not in lines.columns:
            continue
        d = _dim_table(con, table, frame)
        joined = joined.left_join(d, joined[key] == d[f"{table[0]}_{key}"])
    return joined.select(*lines.columns, *[c for d in _present(lines, dims) for c in d])


def _present(lines, dims) -> list[list[str]]:
    return [
        [f"{t[0]}_{_DIMS[t][0]}", *_DIMS[t][1].values()]
        for t in dims
        if _DIMS[t][0] in lines.columns
    ]


def _period_key(freq: str):
    if freq not in FREQS:
        raise ValueError(
            f"freq must be one of {sorted(FREQS)} (month, quarter, year), got {freq!r}"
        )
    return freq


def _period_labels(dates: pd.Series, freq: str) -> pd.Series:
    """``2025-03``, ``2025Q1`` or ``2025`` of the (truncated) period dates."""
    d = pd.to_datetime(dates)
    if freq == "M":
        return d.dt.strftime("%Y-%m")
    if freq == "Q":
        return d.dt.strftime("%Y") + "Q" + d.dt.quarter.astype(str)
    return d.dt.strftime("%Y")


#: Order of the periods, finest first: a table per quarter, year or in all can be rolled up
#: from a table per month (months nest in quarters and years).
_FINENESS = {"M": 0, "Q": 1, "Y": 2, None: 3}


def _spec(name: str, spec) -> tuple[tuple[str, ...], str | None]:
    """``["customer_id"]``, ``(["customer_id"], "M")`` or ``{"by": [...], "freq": "M"}``."""
    if isinstance(spec, dict):
        unknown = set(spec) - {"by", "freq"}
        if unknown:
            raise ValueError(f"table {name!r}: unknown keys {sorted(unknown)} (by, freq)")
        by, freq = spec.get("by", ()), spec.get("freq")
    elif isinstance(spec, tuple) and len(spec) == 2 and not isinstance(spec[1], (list, tuple)):
        by, freq = spec
    else:
        by, freq = spec, None
    if isinstance(by, str):
        by = [by]
    if freq is not None:
        _period_key(freq)
    return tuple(by), freq


def _expensive(source) -> bool:
    """Whether reading ``source`` again costs a parse (CSV files, contract tables parsed by the
    engine); Parquet, frames and Spark tables are cheap to scan again."""
    if isinstance(source, EngineTable):
        return True
    if isinstance(source, (str, Path)) and not str(source).startswith("spark:"):
        try:
            return not all(p.endswith(".parquet") for p in _paths(source))
        except FileNotFoundError:
            return False
    return False


def _nbytes(source) -> int | None:
    """Size of the files behind ``source`` (None when it is not files)."""
    if isinstance(source, EngineTable):
        source = source.source
    try:
        return sum(Path(p).stat().st_size for p in _paths(source))
    except (FileNotFoundError, OSError, TypeError):
        return None


def _sums(t, **extra):
    return dict(
        quantity=t._quantity.sum().cast("float64"),
        revenue=t._revenue.sum().cast("float64"),
        cost=t._cost.sum().cast("float64"),
        lines=t.count(),
        first_date=t._date.min(),
        last_date=t._date.max(),
        **extra,
    )


def _attach(out, counts, keys: list[str], name: str):
    """``out`` with ``counts[name]`` joined on ``keys`` (NULL keys match, missing counts are 0)."""
    if not keys:
        return out.cross_join(counts)
    preds = [out[k].identical_to(counts[k]) for k in keys]
    return out.left_join(counts, preds).select(
        *[out[c] for c in out.columns], counts[name].coalesce(0).name(name)
    )


def _family(m, keys: list[str], freqs: list[str | None], *, keep) -> dict:
    """The measures for every period of ``freqs`` grouped by ``keys``, from three scans.

    The lines are read three times: the sums per group and day (the day table: order days are
    its rows, and every period's sums, line counts and first / last dates roll up from it), and
    the distinct (group, period, product) and (group, period, terminal) rows at the finest
    period asked for. Coarser periods re-count distinct products and terminals from those rows,
    a table far smaller than the lines (months nest in quarters and years). ``keep`` holds an
    intermediate table in the engine when more than one period reads it. Counting the rows of
    ``SELECT DISTINCT group, x`` rather than ``count(DISTINCT x)`` lets DuckDB use its parallel
    hash aggregate: on 20 million lines it is several times faster.
    """
    fine = min(freqs, key=_FINENESS.__getitem__)
    day = keep(
        m.group_by([*keys, "_date"]).aggregate(
            quantity=m._quantity.sum().cast("float64"),
            revenue=m._revenue.sum().cast("float64"),
            cost=m._cost.sum().cast("float64"),
            lines=m.count(),
        )
    )
    lines = m.mutate(_p=m._date.truncate(fine)) if fine else m
    gp = [*keys, "_p"] if fine else list(keys)
    distinct = {col: keep(lines.select(*gp, col).distinct()) for col in ("_product", "_terminal")}
    out = {}
    for freq in freqs:
        g = [*keys, "_p"] if freq else list(keys)
        d = day.mutate(_p=day._date.truncate(freq)) if freq else day
        res = (d.group_by(g) if g else d).aggregate(
            quantity=d.quantity.sum(),
            revenue=d.revenue.sum(),
            cost=d.cost.sum(),
            lines=d.lines.sum(),
            first_date=d._date.min(),
            last_date=d._date.max(),
            order_days=d._date.count(),
        )
        for col, name in (("_product", "n_products"), ("_terminal", "n_terminals")):
            t = distinct[col]
            if freq != fine:
                t = t.mutate(_p=t._p.truncate(freq)) if freq else t.select(*keys, col)
                t = t.distinct()
            t = (t.group_by(g) if g else t).aggregate(**{name: t[col].count()})
            res = _attach(res, t, g, name)
        out[freq] = res.mutate(gross_margin=res.revenue - res.cost)
    return out


def _nunique_family(m, keys: list[str], freqs: list[str | None]) -> dict:
    """The measures per period of ``freqs``, each one aggregation with ``count(DISTINCT)``
    (Spark plans several of them in one pass itself; extra joins would be shuffles there)."""
    out = {}
    for freq in freqs:
        t = m.mutate(_p=m._date.truncate(freq)) if freq else m
        g = [*keys, "_p"] if freq else list(keys)
        res = (t.group_by(g) if g else t).aggregate(
            **_sums(
                t,
                order_days=t._date.nunique(),
                n_products=t._product.nunique(),
                n_terminals=t._terminal.nunique(),
            )
        )
        out[freq] = res.mutate(gross_margin=res.revenue - res.cost)
    return out


def sales_tables(
    source,
    tables: dict,
    *,
    start=None,
    end=None,
    where=None,
    engine: str | None = None,
) -> dict[str, pd.DataFrame]:
    """Several sales aggregations from one read of the lines.

    A large CSV is parsed once (the columns the tables need are held in the engine), and the
    tables that share their grouping columns are computed together: a table per quarter, per
    year or in all is rolled up from the table per month rather than read from the lines again.
    This is the fastest way to get, say, sales per distributor and per distributor and month.

    Parameters
    ----------
    source
        As for :func:`sales_by`.
    tables : dict
        Table name -> grouping: a list of columns (``["customer_id"]``), a pair
        ``(columns, freq)`` or a dict ``{"by": columns, "freq": freq}``; columns and ``freq`` as
        for :func:`sales_by`.
    start, end, where, engine
        As for :func:`sales_by`; they apply to every table.

    Returns
    -------
    dict of str to DataFrame
        Each table exactly as :func:`sales_by` returns it.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({
    ...     "date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-01"]),
    ...     "customer_id": ["C1", "C1", "C1"], "terminal_id": ["T1", "T2", "T1"],
    ...     "product_id": ["P1", "P2", "P1"], "quantity": [1.0, 2.0, 3.0],
    ...     "revenue": [10.0, 20.0, 30.0]})
    >>> out = sales_tables(lines, {"all": ["customer_id"], "month": (["customer_id"], "M")})
    >>> out["all"][["customer_id", "revenue", "order_days", "n_terminals"]]
      customer_id  revenue  order_days  n_terminals
    0          C1     60.0           3            2
    >>> out["month"][["period", "revenue", "n_terminals"]]
        period  revenue  n_terminals
    0  2025-01     30.0            2
    1  2025-02     30.0            1
    """
    import ibis

    specs = {name: _spec(name, spec) for name, spec in tables.items()}
    held = isinstance(source, SalesLines)
    lines_held = None  # a dataset's engine table: its lines parsed once per process (DuckDB)
    if not held and isinstance(_sales_source(source), EngineTable):
        lines_held = _sales_source(source).held(engine)
    con = source._con if held else lines_held[0] if lines_held else connect(engine)
    duck = con.name == "duckdb"
    kept = []

    def keep(t):  # intermediate tables read by several roll-ups (small), in memory
        if not duck:
            return t
        t = t.cache()
        kept.append(t)
        return t

    try:
        if held:
            lines, dims = source.lines, source.dims
        elif lines_held is not None:
            lines, dims = lines_held[1], _dims_of(source)
        else:
            lines, dims = read_lines(con, _sales_source(source)), _dims_of(source)
        cols = set(lines.columns)
        if "date" in cols:
            dtype = lines.date.type()
            if start is not None:
                lo = pd.Timestamp(start)
                lines = lines.filter(
                    lines.date >= (ibis.literal(lo) if dtype.is_timestamp() else lo.date())
                )
            if end is not None:
                hi = pd.Timestamp(end)
                lines = lines.filter(
                    lines.date <= (ibis.literal(hi) if dtype.is_timestamp() else hi.date())
                )
        j = _joined_lines(con, lines, dims)
        joined = {t for t in dims if _DIMS[t][0] in cols}

        def expr(col: str):
            if col == "rep_id":
                line_rep = j.rep_id if "rep_id" in cols else ibis.null("string")
                return line_rep.coalesce(j.t_rep_id) if "terminals" in joined else line_rep
            if col in _JOINED:
                fn, needed = _JOINED[col]
                if not needed <= joined:
                    raise ValueError(
                        f"grouping by {col!r} needs the customers/terminals/products tables: "
                        "pass a loaded Dataset, not bare sales lines"
                    )
                return fn(j)
            if col not in cols:
                raise ValueError(f"cannot group sales by {col!r}: no such column")
            return j[col]

        if where is not None:
            named = {c: expr(c) for c in (*_JOINED, "rep_id") if _can(c, cols, joined)}
            j = j.mutate(**named).filter(where)
        # Group columns get internal names k0, k1, ... so that a group column called e.g.
        # "product_id" cannot collide with the line columns the measures read.
        used = list(dict.fromkeys(c for by, _ in specs.values() for c in by))
        key = {c: f"k{i}" for i, c in enumerate(used)}
        m = j.select(
            *[expr(c).name(key[c]) for c in used],
            _date=j.date,
            _product=j.product_id,
            _terminal=j.terminal_id if "terminal_id" in cols else ibis.null("string"),
            _quantity=j.quantity.cast("float64"),
            _revenue=j.revenue.cast("float64"),
            _cost=j.cost.cast("float64") if "cost" in cols else ibis.null("float64"),
        )
        # DuckDB reads the lines once per scan below: hold the columns they need when reading
        # them again would mean parsing the file again
        if duck and not held and lines_held is None and _expensive(_sales_source(source)):
            held_lines = hold(con, m, nbytes=_nbytes(_sales_source(source)))
            kept.append(held_lines)
            m = held_lines.table
        families: dict[tuple, list] = {}
        for by, freq in specs.values():
            families.setdefault(by, [])
            if freq not in families[by]:
                families[by].append(freq)
        exprs = {}
        for by, freqs in families.items():
            keys = [key[c] for c in by]
            if duck:
                exprs[by] = _family(m, keys, freqs, keep=keep if len(freqs) > 1 else _same)
            else:
                exprs[by] = _nunique_family(m, keys, freqs)
        out = {}
        for name, (by, freq) in specs.items():
            e = exprs[by][freq]
            g = {key[c]: f"g{i}" for i, c in enumerate(by)}
            if freq:
                g["_p"] = f"g{len(by)}"
            e = e.select(*[e[k].name(v) for k, v in g.items()], *MEASURES)
            out[name] = _finish(_fetch(e), list(by), freq)
    finally:
        for t in reversed(kept):
            t.release()
        if not held and lines_held is None and duck:
            con.disconnect()
    return out


def _same(t):
    return t


def sales_by(
    source,
    by: list[str] | tuple[str, ...] = ("customer_id",),
    *,
    freq: str | None = None,
    start=None,
    end=None,
    where=None,
    engine: str | None = None,
) -> pd.DataFrame:
    """Aggregate sales lines by ``by`` (and by period when ``freq`` is given).

    Parameters
    ----------
    source : Dataset, DataFrame, str, Path or SalesLines
        A loaded dataset, a sales DataFrame in the contract's columns, a path / glob / folder of
        sales CSV or Parquet files in the contract's columns, a Spark DataFrame or table
        (``"spark:db.table"``, spark engine), or lines already held by :class:`SalesLines`
        (fastest when several aggregations read the same large file).
    by : list of str
        Grouping columns (see the module docstring). May be empty for a grand total.
    freq : {"M", "Q", "Y"}, optional
        Add a ``period`` column (``2025-03``, ``2025Q1``, ``2025``) and group by it too.
    start, end : date-like, optional
        Keep lines with ``start <= date <= end``.
    where : callable or Ibis deferred, optional
        Extra filter on the joined lines, for advanced use: a function of the Ibis table of
        lines (contract columns and the joined columns of the module docstring) returning a
        boolean expression, e.g. ``lambda t: t.region == "East"``.
    engine : {"duckdb", "spark"}, optional
        Engine that runs the aggregation (default: ``$ARS_ENGINE``, else DuckDB; a
        :class:`SalesLines` source uses its own engine).

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
    if freq is not None:
        _period_key(freq)

    def compute() -> pd.DataFrame:
        return _sales_by(source, by, freq=freq, start=start, end=end, where=where, engine=engine)

    if where is None and not isinstance(source, SalesLines):
        question = ("sales_by", tuple(by), freq, _day(start), _day(end), engine_name(engine))
        return _asked_once(source, question, compute)
    return compute()


def _day(value) -> str | None:
    return None if value is None else str(pd.Timestamp(value))


def _asked_once(source, question: tuple, compute) -> pd.DataFrame:
    """``compute()``, asked of the engine once per table kept there (a copy each time).

    When the sales lines are an :class:`~ars_analysis.data.engine_validation.EngineTable`
    (a dataset loaded with an engine), every answer is kept on it
    (:attr:`EngineTable.answers`), keyed by the question and the identity of the dimension
    tables joined: a report that asks for sales per terminal five times scans the lines once.
    pandas lines (cheap to aggregate, and mutable) are not remembered.
    """
    lines = _sales_source(source)
    if not isinstance(lines, EngineTable):
        return compute()
    dims = _dims_of(source)
    key = (question, tuple((name, id(frame)) for name, frame in sorted(dims.items())))
    answer = lines.answers.get(key)
    if answer is None:  # the dimension frames are kept with the answer: their ids stay theirs
        answer = lines.answers[key] = (compute(), tuple(dims.values()))
    return answer[0].copy()


def _aggregate(lines, groups: list[str], *, distinct_joins: bool):
    """The measures per group of ``lines`` (columns g0.., _date, _product, _terminal,
    _quantity, _revenue, _cost).

    Exact distinct counts (``count(DISTINCT x)`` per group) are the expensive part on tens of
    millions of lines. On DuckDB (``distinct_joins``) counting the rows of
    ``SELECT DISTINCT group, x`` instead lets it use its parallel hash aggregate (measured on 20
    million lines this halves the time of the whole query); the lines are then held once (only
    the columns needed, :meth:`ibis.expr.types.Table.cache`) and read four times. Spark plans
    several ``count(DISTINCT)`` in one aggregation itself (an Expand), and each extra join is
    a shuffle there, so it gets the plain expression. Both give the same numbers.
    """

    def by(t):
        return t.group_by(groups) if groups else t

    if not distinct_joins:
        out = by(lines).aggregate(
            quantity=lines._quantity.sum().cast("float64"),
            revenue=lines._revenue.sum().cast("float64"),
            cost=lines._cost.sum().cast("float64"),
            lines=lines.count(),
            first_date=lines._date.min(),
            last_date=lines._date.max(),
            order_days=lines._date.nunique(),
            n_products=lines._product.nunique(),
            n_terminals=lines._terminal.nunique(),
        )
        return out.mutate(gross_margin=out.revenue - out.cost)
    base = by(lines).aggregate(
        quantity=lines._quantity.sum().cast("float64"),
        revenue=lines._revenue.sum().cast("float64"),
        cost=lines._cost.sum().cast("float64"),
        lines=lines.count(),
        first_date=lines._date.min(),
        last_date=lines._date.max(),
    )
    out = base
    for col, name in (
        ("_date", "order_days"),
        ("_product", "n_products"),
        ("_terminal", "n_terminals"),
    ):
        d = lines.select(*groups, col).distinct()
        d = by(d).aggregate(**{name: d[col].count()})
        if groups:
            # group values may be NULL (e.g. sell-in lines have no terminal): match them too
            preds = [out[g].identical_to(d[g]) for g in groups]
            out = out.left_join(d, preds).select(
                *[out[c] for c in out.columns], d[name].coalesce(0).name(name)
            )
        else:
            out = out.cross_join(d)
    return out.mutate(gross_margin=out.revenue - out.cost)


def _sales_by(source, by, *, freq, start, end, where, engine) -> pd.DataFrame:
    import ibis

    held = isinstance(source, SalesLines)
    lines_held = None
    if not held and isinstance(_sales_source(source), EngineTable):
        lines_held = _sales_source(source).held(engine)  # parsed once per process (DuckDB)
    con = source._con if held else lines_held[0] if lines_held else connect(engine)
    cached = None
    try:
        if held:
            lines, dims = source.lines, source.dims
        elif lines_held is not None:
            lines, dims = lines_held[1], _dims_of(source)
        else:
            lines, dims = read_lines(con, _sales_source(source)), _dims_of(source)
        cols = set(lines.columns)
        if "date" in cols:
            dtype = lines.date.type()
            if start is not None:
                lo = pd.Timestamp(start)
                lines = lines.filter(
                    lines.date >= (ibis.literal(lo) if dtype.is_timestamp() else lo.date())
                )
            if end is not None:
                hi = pd.Timestamp(end)
                lines = lines.filter(
                    lines.date <= (ibis.literal(hi) if dtype.is_timestamp() else hi.date())
                )
        j = _joined_lines(con, lines, dims)
        joined = {t for t in dims if _DIMS[t][0] in cols}

        def expr(col: str):
            if col == "rep_id":
                line_rep = j.rep_id if "rep_id" in cols else ibis.null("string")
                return line_rep.coalesce(j.t_rep_id) if "terminals" in joined else line_rep
            if col in _JOINED:
                fn, needed = _JOINED[col]
                if not needed <= joined:
                    raise ValueError(
                        f"grouping by {col!r} needs the customers/terminals/products tables: "
                        "pass a loaded Dataset, not bare sales lines"
                    )
                return fn(j)
            if col not in cols:
                raise ValueError(f"cannot group sales by {col!r}: no such column")
            return j[col]

        if where is not None:
            named = {c: expr(c) for c in (*_JOINED, "rep_id") if _can(c, cols, joined)}
            j = j.mutate(**named).filter(where)
        # Group columns get internal names g0, g1, ... so that a group column called e.g.
        # "product_id" cannot collide with the line columns the measures read.
        group_exprs = [expr(c).name(f"g{i}") for i, c in enumerate(by)]
        if freq is not None:
            group_exprs.append(j.date.truncate(freq).name(f"g{len(by)}"))
        g = [e.get_name() for e in group_exprs]
        measures = j.select(
            *group_exprs,
            _date=j.date,
            _product=j.product_id,
            _terminal=j.terminal_id if "terminal_id" in cols else ibis.null("string"),
            _quantity=j.quantity.cast("float64"),
            _revenue=j.revenue.cast("float64"),
            _cost=j.cost.cast("float64") if "cost" in cols else ibis.null("float64"),
        )
        duck = con.name == "duckdb"
        cached = measures.cache() if duck else None
        out = _fetch(_aggregate(cached if duck else measures, g, distinct_joins=duck))
    finally:
        if cached is not None:
            cached.release()
        if not held and lines_held is None and con.name == "duckdb":
            con.disconnect()
    return _finish(out, by, freq)


def _fetch(expr) -> pd.DataFrame:
    """Run an Ibis expression and return a DataFrame (without the libraries' deprecation
    chatter, which would otherwise show in a notebook's output)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.filterwarnings("ignore", message=".*infer_string.*")
        return expr.to_pandas()


def _can(col: str, cols: set[str], joined: set[str]) -> bool:
    return col == "rep_id" or (col in _JOINED and _JOINED[col][1] <= joined)


def _finish(out: pd.DataFrame, by: list[str], freq: str | None) -> pd.DataFrame:
    """Engine result -> the documented frame: group names, period labels, sorted, typed."""
    g = [f"g{i}" for i in range(len(by) + (freq is not None))]
    if g:
        out = out.sort_values(g, na_position="last", kind="stable").reset_index(drop=True)
    names = dict(zip(g, [*by, *(["period"] if freq else [])], strict=True))
    if freq is not None:
        out[g[-1]] = _period_labels(out[g[-1]], freq)
    out = out.rename(columns=names)[[*names.values(), *MEASURES]]
    for col in names.values():
        if col == "date":  # grouping by day keeps dates (as DuckDB's DATE did before Ibis)
            out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
            continue
        values = out[col].astype(object).where(out[col].notna(), None)
        out[col] = pd.Series(values.tolist(), index=out.index, dtype="str")
    for col in ("first_date", "last_date"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    for col in ("quantity", "revenue", "cost", "gross_margin"):
        out[col] = out[col].astype("float64")
    for col in ("lines", "order_days", "n_products", "n_terminals"):
        out[col] = out[col].astype("int64")
    return out


def customer_sales(source, *, freq=None, start=None, end=None, engine=None) -> pd.DataFrame:
    """Sales per distributor (``customer_id``), optionally per period. See :func:`sales_by`."""
    return sales_by(source, ["customer_id"], freq=freq, start=start, end=end, engine=engine)


def terminal_sales(source, *, freq=None, start=None, end=None, engine=None) -> pd.DataFrame:
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
    out = sales_by(source, ["terminal_id"], freq=freq, start=start, end=end, engine=engine)
    out = out[out["terminal_id"].notna()]
    master = getattr(source, "tables", {}).get("terminals") if hasattr(source, "tables") else None
    if master is not None and len(master) and "terminal_id" in master:
        out = out[out["terminal_id"].isin(master["terminal_id"])]
    return out.reset_index(drop=True)


def terminal_days(source, *, engine=None) -> pd.DataFrame:
    """Revenue per terminal, rep and day: the grain that tells new terminals from old ones.

    :func:`ars_analysis.fieldforce.new_terminal_list` needs each terminal's first sales day,
    the rep of its first line (the line's rep, else the terminal's rep) and its revenue within
    a window of days, and the first date of all sales (the history available). This table has
    all of it at the grain of orders (terminal x rep x day) instead of order lines, so the lines
    can stay in the engine: pass it where the analysis asks for sales lines. Lines without a
    terminal (sell-in) form rows with an empty ``terminal_id``.

    Returns
    -------
    DataFrame
        ``terminal_id``, ``rep_id``, ``date``, ``revenue``, ``lines``, sorted by them.

    Examples
    --------
    >>> import pandas as pd
    >>> lines = pd.DataFrame({"date": pd.to_datetime(["2025-01-05", "2025-01-05", "2025-02-01"]),
    ...     "customer_id": ["C1"] * 3, "terminal_id": ["T1", "T1", None], "rep_id": ["R1"] * 3,
    ...     "product_id": ["P1", "P2", "P1"], "quantity": [1.0] * 3, "revenue": [10.0, 20.0, 5.0]})
    >>> terminal_days(lines)[["terminal_id", "date", "revenue", "lines"]]
      terminal_id       date  revenue  lines
    0          T1 2025-01-05     30.0      2
    1         NaN 2025-02-01      5.0      1
    """
    out = sales_by(source, ["terminal_id", "rep_id", "date"], engine=engine)
    return out[["terminal_id", "rep_id", "date", "revenue", "lines"]]


def rep_sales(source, *, freq="M", start=None, end=None, engine=None) -> pd.DataFrame:
    """Sales credited to each rep per period (line's rep, else the terminal's rep)."""
    return sales_by(source, ["rep_id"], freq=freq, start=start, end=end, engine=engine)


def period_sales(source, *, freq="M", start=None, end=None, engine=None) -> pd.DataFrame:
    """Total sales per period."""
    return sales_by(source, [], freq=freq, start=start, end=end, engine=engine)


#: Measures of :func:`visits_by`, in order.
VISIT_MEASURES = (
    "visits",
    "planned",
    "done",
    "unplanned",
    "planned_done",
    "terminals_visited",
    "visit_days",
    "minutes",
    "first_date",
    "last_date",
)


def visits_by(
    source,
    by: list[str] | tuple[str, ...] = ("rep_id",),
    *,
    freq: str | None = None,
    start=None,
    end=None,
    engine: str | None = None,
) -> pd.DataFrame:
    """Aggregate the visit log by ``by`` (and by period of the visit date when ``freq`` is given).

    A visit's date is its planned date, else its check-in date (as in
    :func:`ars_analysis.fieldforce.prepare_visits`).

    Parameters
    ----------
    source : Dataset, DataFrame, str or Path
        A dataset with a ``visits`` table, a visit log in the contract's columns, or a path /
        glob of visit-log Parquet files.
    by : list of str
        Visit columns to group by (``rep_id``, ``terminal_id``, ``customer_id``); may be empty.
    freq : {"M", "Q", "Y"}, optional
        Add a ``period`` column and group by it too.
    start, end : date-like, optional
        Keep visits whose date is in ``[start, end]`` (whole end day).
    engine : {"duckdb", "spark"}, optional
        See :func:`sales_by`.

    Returns
    -------
    DataFrame
        ``by`` (+ ``period``) then :data:`VISIT_MEASURES`: visits (rows), planned (with a
        planned date), done (with a check-in), unplanned (done without a plan), planned_done,
        terminals_visited (distinct terminals of done visits), visit_days (distinct dates of
        done visits), minutes (check-in to check-out of done visits that end after they
        start), first_date and last_date (visit dates).

    Examples
    --------
    >>> import pandas as pd
    >>> v = pd.DataFrame({"rep_id": ["R1", "R1", "R2"], "terminal_id": ["T1", "T2", "T1"],
    ...     "planned_date": pd.to_datetime(["2025-01-02", "2025-01-03", None]),
    ...     "check_in": pd.to_datetime(["2025-01-02 09:00", None, "2025-01-04 10:00"]),
    ...     "check_out": pd.to_datetime(["2025-01-02 09:30", None, "2025-01-04 10:10"])})
    >>> visits_by(v)[["rep_id", "visits", "done", "unplanned", "minutes"]]
      rep_id  visits  done  unplanned  minutes
    0     R1       2     1          0     30.0
    1     R2       1     1          1     10.0
    """
    import ibis

    by = list(by)
    if freq is not None:
        _period_key(freq)
    if hasattr(source, "tables"):
        source = source.tables.get("visits")
        if source is None:
            raise ValueError("the dataset has no 'visits' table")
    con = connect(engine)
    try:
        v = read_lines(con, source) if not isinstance(source, pd.DataFrame) else None
        if v is None:
            frame = source.copy(deep=False)
            for col in ("planned_date", "check_in", "check_out"):
                if col not in frame.columns:
                    frame[col] = pd.NaT
                frame[col] = pd.to_datetime(frame[col])
            v = read_lines(con, frame)
        for col in by:
            if col not in v.columns:
                raise ValueError(f"cannot group visits by {col!r}: no such column")
        planned = v.planned_date.notnull()
        done = v.check_in.notnull()
        when = v.planned_date.cast("timestamp").coalesce(v.check_in.cast("timestamp")).cast("date")
        v = v.mutate(_when=when, _planned=planned, _done=done)
        if start is not None:
            v = v.filter(v._when >= pd.Timestamp(start).date())
        if end is not None:
            v = v.filter(v._when <= pd.Timestamp(end).date())
        groups = [v[c].cast("string").name(f"g{i}") for i, c in enumerate(by)]
        if freq is not None:
            groups.append(v._when.truncate(freq).name(f"g{len(by)}"))
        seconds = (
            v.check_out.cast("timestamp").epoch_seconds()
            - v.check_in.cast("timestamp").epoch_seconds()
        )
        v = v.mutate(
            *groups,
            _terminal_done=ibis.ifelse(v._done, v.terminal_id, ibis.null("string"))
            if "terminal_id" in v.columns
            else ibis.null("string"),
            _day_done=ibis.ifelse(v._done, v._when, ibis.null("date")),
            _minutes=ibis.ifelse(v._done & (seconds > 0), seconds / 60.0, ibis.null("float64")),
        )
        g = [e.get_name() for e in groups]
        t = v.group_by(g) if g else v
        out = t.aggregate(
            visits=v.count(),
            planned=v._planned.cast("int64").sum(),
            done=v._done.cast("int64").sum(),
            unplanned=(v._done & ~v._planned).cast("int64").sum(),
            planned_done=(v._done & v._planned).cast("int64").sum(),
            terminals_visited=v._terminal_done.nunique(),
            visit_days=v._day_done.nunique(),
            minutes=v._minutes.sum().cast("float64"),
            first_date=v._when.min(),
            last_date=v._when.max(),
        )
        out = _fetch(out)
    finally:
        if con.name == "duckdb":
            con.disconnect()
    g = [f"g{i}" for i in range(len(by) + (freq is not None))]
    if g:
        out = out.sort_values(g, na_position="last", kind="stable").reset_index(drop=True)
    names = dict(zip(g, [*by, *(["period"] if freq else [])], strict=True))
    if freq is not None:
        out[g[-1]] = _period_labels(out[g[-1]], freq)
    out = out.rename(columns=names)[[*names.values(), *VISIT_MEASURES]]
    for col in ("visits", "planned", "done", "unplanned", "planned_done"):
        out[col] = out[col].fillna(0).astype("int64")
    for col in ("terminals_visited", "visit_days"):
        out[col] = out[col].astype("int64")
    out["minutes"] = out["minutes"].fillna(0.0).astype("float64")
    for col in ("first_date", "last_date"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[ns]")
    return out
