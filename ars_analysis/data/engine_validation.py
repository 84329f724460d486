"""The large tables (sales, visits) kept in the engine, and their validation there.

With ``load_dataset(..., engine="duckdb" | "spark")`` (``ars validate --engine``) the sales lines
and the visit log are not read into pandas: the :class:`~ars_analysis.data.dataset.Dataset`
holds an :class:`EngineTable` - where the lines are (a CSV or Parquet file, a glob, a folder of
Parquet files, or a Spark table ``spark:db.table``) and which source header feeds which
contract column - while the small tables (customers, terminals, products, reps, targets,
receivables) are loaded into pandas as before. The aggregations
(:mod:`ars_analysis.compose.aggregate`) read an :class:`EngineTable` in the engine.

:func:`validate_engine_table` checks such a table with Ibis aggregates that the engine runs:
one pass counts, per column, the missing values, the values that cannot be read as a number or
date, the values below the contract's minimum, and (sales) the mixed-sign lines, returns and
negative costs; further queries count duplicate keys and the values not found in the small
tables (orphans, an anti-join against the master data). Only when a count is not zero are the
first offending lines fetched, for the message. The results are rows of the data-quality
table like those of :mod:`ars_analysis.data.validation`, with one difference: an engine has no
row numbers (Spark reads a file in parallel), so ``rows`` is empty and the message shows the
first offending lines by content.

The codes of the categorical columns (``unknown_code``: ``visits.activities``, a list, after the
aliases of :data:`~ars_analysis.data.quality.CODE_ALIASES`) and the visits that start before the
same rep's previous one ended (``overlapping_visits``, a window over each rep's visits ordered
by check-in and check-out) are checked as in pandas, with the same counts.

pandera's Ibis backend covers the per-column checks only (not the cross-table orphans and
sign rules, nor the first offending lines), so the checks are written as Ibis aggregates.

What an engine table needs: UTF-8 CSV with a header row, or Parquet; dates as ``YYYY-MM-DD``
(or Parquet dates); no mapping ``compute``, ``returns``, ``drop_if_empty`` or ``derive_from``
on it. Otherwise the loader reads the table into pandas as usual and says so in a warning.

Examples
--------
>>> import pandas as pd, tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> pd.DataFrame({"date": ["2025-01-02", "2025-13-01"], "customer_id": ["C1", "C9"],
...     "product_id": ["P1", "P1"], "quantity": [1, 2], "revenue": [10, -5]}
...     ).to_csv(folder / "sales.csv", index=False)
>>> lines = EngineTable("sales", str(folder / "sales.csv"), "sales.csv",
...     {c: c for c in ("date", "customer_id", "product_id", "quantity", "revenue")})
>>> q = validate_engine_table(lines, {"customers": pd.DataFrame({"customer_id": ["C1"]})})
>>> q[["severity", "column", "check", "n_rows"]].values.tolist()
[['fatal', 'date', 'not_a_date', 1], ['fatal', 'quantity,revenue', 'mixed_sign', 1], \
['fatal', 'customer_id', 'unknown_reference', 1]]
"""

from __future__ import annotations

import glob
import os
import uuid
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from ars_analysis.data.contract import TABLES
from ars_analysis.data.engines import connect, engine_name, hold
from ars_analysis.data.quality import (
    _SPLIT_ACTIVITIES,
    CODE_ALIASES,
    CODE_LISTS,
    REFERENCE_SEVERITY,
    QualityLog,
    short_repr,
)

__all__ = [
    "LARGE_TABLES",
    "EngineTable",
    "engine_headers",
    "release_held",
    "validate_engine_table",
]

#: Contract tables that stay in the engine when an engine is chosen for loading.
LARGE_TABLES = ("sales", "visits")
#: How many offending lines a message shows.
EXAMPLES = 3

_KIND_TYPE = {"number": "float64", "date": "date", "datetime": "timestamp"}
_KIND_CHECK = {"number": "not_a_number", "date": "not_a_date", "datetime": "not_a_datetime"}
_KIND_WORD = {"number": "a number", "date": "a date (YYYY-MM-DD)", "datetime": "a date and time"}


def _name(prefix: str) -> str:
    return f"ars_{prefix}_{uuid.uuid4().hex[:12]}"


def _files(source: str) -> list[str]:
    p = Path(source)
    if p.is_dir():
        found = sorted(str(f) for f in p.rglob("*.parquet"))
    else:
        found = sorted(glob.glob(os.fspath(source)))
    if not found:
        raise FileNotFoundError(f"no file matches {source}")
    return found


def _raw_table(con, source: str):
    """The source as read by the engine, every CSV column as text (so that unreadable values
    can be counted), Parquet columns as stored."""
    if source.startswith("spark:"):
        if con.name != "pyspark":
            raise ValueError(f"{source!r} names a Spark table: use the spark engine")
        return con.table(source.removeprefix("spark:"))
    files = _files(source)
    parquet = all(f.endswith(".parquet") for f in files)
    name = _name("raw")
    if con.name == "duckdb":
        if parquet:
            con.raw_sql(f"CREATE VIEW {name} AS SELECT * FROM read_parquet({files!r})")
        else:
            con.raw_sql(
                f"CREATE VIEW {name} AS SELECT * FROM read_csv({files!r}, header=true, "
                "all_varchar=true)"
            )
    else:
        reader = con._session.read
        files = [os.path.abspath(f) for f in files]  # a Spark Connect server has its own cwd
        frame = reader.parquet(*files) if parquet else reader.csv(files, header=True)
        frame.createOrReplaceTempView(name)
    return con.table(name)


def _is_parquet(source: str) -> bool:
    if str(source).startswith("spark:"):
        return False
    return all(f.endswith(".parquet") for f in _files(str(source)))


def _nbytes(source: str) -> int | None:
    try:
        return sum(os.path.getsize(f) for f in _files(str(source)))
    except (OSError, ValueError, FileNotFoundError):
        return None


def engine_headers(source: str, engine: str | None = None) -> list[str]:
    """The column names of a large table's source, read by the engine (no line is read)."""
    con = connect(engine)
    try:
        return list(_raw_table(con, str(source)).columns)
    finally:
        if con.name == "duckdb":
            con.disconnect()


@dataclass
class EngineTable:
    """A large contract table that stays in the engine (see the module docstring).

    Only the description is kept (and pickled by the batch snapshot): the source, the column
    mapping and the analysis period; each use opens it in the engine it is given.

    Attributes
    ----------
    table : str
        Contract table (``sales`` or ``visits``).
    source : str
        File, glob, folder of Parquet files, or ``spark:<table name>``.
    file : str
        The name shown in messages.
    columns : dict of str to str
        Contract column -> source column.
    period : (start, end) or None
        Keep only lines dated in this range (sales ``date``; visits: the planned date, else
        the check-in date).
    keep : dict of str to tuple, optional
        A region's scope (:func:`~ars_analysis.data.dataset.subset`): keep a line when one of
        these columns holds one of the listed IDs (e.g. its ``customer_id`` is a kept
        distributor OR its ``terminal_id`` a kept terminal); ``{}`` keeps no line, None every
        line. The engine applies it (a semi-join), no line is read into Python.

    Answers the engine computed for this table (line count, dates, aggregations of
    :func:`ars_analysis.compose.aggregate.sales_by`) are kept on the object while it lives
    (:attr:`answers`, not pickled), so a report asks the engine each question once.
    """

    table: str
    source: str
    file: str
    columns: dict[str, str] = field(default_factory=dict)
    period: tuple | None = None
    keep: dict | None = None

    @property
    def answers(self) -> dict:
        """The engine's answers about this table, by question (see the class docstring)."""
        return self.__dict__.setdefault("_answers", {})

    def __getstate__(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "_answers"}

    def restrict(self, *, keep: dict | None = None, start=None, end=None) -> EngineTable:
        """A new description with a region's scope (``keep``) and a date range added to this
        one's (both apply: the scopes and ranges intersect). Nothing is read.

        Examples
        --------
        >>> t = EngineTable("sales", "sales.csv", "sales.csv", period=("2025-01-01", None))
        >>> r = t.restrict(keep={"customer_id": ("C1",)}, end="2025-06-30")
        >>> r.period, r.keep
        (('2025-01-01', '2025-06-30'), {'customer_id': ('C1',)})
        """
        lo, hi = self.period if self.period is not None else (None, None)
        if start is not None and (lo is None or pd.Timestamp(start) > pd.Timestamp(lo)):
            lo = start
        if end is not None and (hi is None or pd.Timestamp(end) < pd.Timestamp(hi)):
            hi = end
        scope = self.keep
        if keep is not None:
            keep = {
                c: tuple(sorted({str(v) for v in ids if pd.notna(v)})) for c, ids in keep.items()
            }
            if scope is None:
                scope = keep
            else:  # a line must pass both scopes: keep the IDs of both, column by column
                scope = _intersect_scopes(scope, keep)
        period = None if lo is None and hi is None else (lo, hi)
        return replace(self, period=period, keep=scope)

    def raw(self, con):
        """The mapped source columns under their contract names, unparsed."""
        raw = _raw_table(con, self.source)
        return raw.select(**{c: raw[h] for c, h in self.columns.items()})

    def typed(self, raw):
        """Parsed columns (numbers, dates, times; unreadable values become NULL)."""
        return raw.select(**self.parsed(raw))

    def parsed(self, raw) -> dict:
        """The parsing expressions over ``raw``, by contract column."""
        spec = TABLES[self.table]
        out = {}
        for c in raw.columns:
            kind = spec.column(c).kind
            value = raw[c]
            if kind in _KIND_TYPE:
                if value.type().is_string():
                    value = value.strip().nullif("").try_cast(_KIND_TYPE[kind])
                elif not (kind == "number" and value.type().is_numeric()):
                    value = value.cast(_KIND_TYPE[kind])
                elif kind == "number":
                    value = value.cast("float64")
            else:
                value = value.cast("string").strip().nullif("")
            out[c] = value
        return out

    def to_ibis(self, con):
        """The table for analyses: parsed, restricted to :attr:`period` and :attr:`keep`."""
        return self.scoped(self.typed(self.raw(con)))

    def held(self, engine: str | None = None):
        """``(connection, table)``: the lines for analyses, parsed once per process.

        On DuckDB the parsed lines of the source (whatever the period and scope) are held in
        DuckDB's own compressed store - spilled to disk beyond its memory limit, never in
        pandas - on one connection kept for the process (a report kernel), so that the many
        aggregations of a report read them instead of parsing the file again; a subset of the
        lines (another period or region) filters the same held lines. :func:`release_held`
        gives the memory back. Spark keeps its own cache: there the lines are read from the
        source each time (None is returned; use :meth:`to_ibis`).
        """
        if engine_name(engine) != "duckdb":
            return None
        key = (self.table, self.source, tuple(self.columns.items()), _stamp(self.source))
        if key not in _HELD:
            con = connect("duckdb")
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", DeprecationWarning)
                    lines = self.typed(self.raw(con))
                    size = _nbytes(self.source)  # Parquet: about a quarter of the lines held
                    if size is not None and _is_parquet(self.source):
                        size *= 4
                    base = hold(con, lines, nbytes=size)
            except BaseException:
                con.disconnect()
                raise
            _HELD[key] = (con, base)
        con, base = _HELD[key]
        return con, self.scoped(base.table)

    def scoped(self, t):
        """``t`` (parsed lines) restricted to :attr:`period` and :attr:`keep`."""
        when = _when(t)
        if self.period is not None and when is not None:
            start, end = self.period
            if start is not None:
                t = t.filter(when >= pd.Timestamp(start).date())
            if end is not None:
                t = t.filter(when <= pd.Timestamp(end).date())
        if self.keep is not None:
            t = _in_scope(t, self.keep)
        return t

    def count(self, engine: str | None = None) -> int:
        """Number of lines (in the period and scope), counted by the engine (asked once)."""
        key = ("count", engine_name(engine))
        if key not in self.answers:
            self.answers[key] = int(_scalar(self, engine, lambda t: t.count()))
        return self.answers[key]

    def date_range(self, engine: str | None = None) -> tuple | None:
        """First and last ``date`` (sales), from the engine (asked once)."""
        key = ("date_range", engine_name(engine))
        if key not in self.answers:
            self.answers[key] = self._date_range(engine)
        return self.answers[key]

    def _date_range(self, engine: str | None = None) -> tuple | None:
        held = self.held(engine)
        con = connect(engine) if held is None else held[0]
        try:
            t = self.to_ibis(con) if held is None else held[1]
            row = _fetch(t.aggregate(lo=t.date.min(), hi=t.date.max()))
        finally:
            if held is None and con.name == "duckdb":
                con.disconnect()
        lo, hi = row["lo"].iloc[0], row["hi"].iloc[0]
        return None if pd.isna(lo) else (pd.Timestamp(lo), pd.Timestamp(hi))

    def __len__(self) -> int:
        return self.count()

    def __repr__(self) -> str:
        return f"EngineTable({self.table} <- {self.file})"


def _when(t):
    """The date a line is filtered on: sales ``date``; a visit's planned date, else its
    check-in date (as :func:`~ars_analysis.data.dataset.subset` does in pandas)."""
    cols = set(t.columns)
    if "date" in cols:
        return t.date
    if "planned_date" in cols:
        when = t.planned_date.cast("date")
        return when.coalesce(t.check_in.cast("date")) if "check_in" in cols else when
    return None


def _in_scope(t, keep: dict):
    """Lines whose ``keep`` column holds a kept ID (any of the columns), by semi-joins."""
    import ibis

    cond = None
    for col, ids in keep.items():
        if col not in t.columns:
            continue
        values = pd.DataFrame({col: pd.Series(list(ids), dtype=object)})
        kept = ibis.memtable(values, schema={col: "string"})
        c = t[col].isin(kept[col])
        cond = c if cond is None else cond | c
    return t.filter(cond if cond is not None else ibis.literal(False))


def _intersect_scopes(a: dict, b: dict) -> dict:
    """A scope as strict as both (exact for one-column scopes and for subsets of subsets)."""
    if set(a) != set(b):
        raise ValueError(
            "cannot combine two region scopes on different columns: subset the loaded dataset once"
        )
    return {c: tuple(sorted(set(a[c]) & set(b[c]))) for c in a}


#: Parsed lines held by DuckDB for the process (:meth:`EngineTable.held`), by source.
_HELD: dict[tuple, tuple] = {}


def _stamp(source: str) -> tuple:
    """Size and modification time of a source file (a changed file is parsed again)."""
    try:
        st = os.stat(source)
        return (st.st_size, st.st_mtime_ns)
    except OSError:  # a glob, a Spark table
        return ()


def release_held() -> None:
    """Release the lines held by :meth:`EngineTable.held` (and their DuckDB connections)."""
    while _HELD:
        _, (con, base) = _HELD.popitem()
        try:
            base.release()
        finally:
            con.disconnect()


def _scalar(et: EngineTable, engine, fn):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        held = et.held(engine)
        if held is not None:
            return fn(held[1]).to_pyarrow().as_py()
        con = connect(engine)
        try:
            return fn(et.to_ibis(con)).to_pyarrow().as_py()
        finally:
            if con.name == "duckdb":
                con.disconnect()


def _int(value) -> int:
    """A count from an engine (an empty SUM is NULL on Spark)."""
    return 0 if value is None or pd.isna(value) else int(value)


def _fetch(expr) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        return expr.to_pandas()


def _examples(table, cond, columns: list[str]) -> str:
    """The first offending lines, by content (``date=2025-13-01, customer_id=C9``)."""
    rows = _fetch(table.filter(cond).select(*columns).limit(EXAMPLES))
    shown = []
    for r in rows.itertuples(index=False):
        parts = [
            f"{c}={short_repr(v)[1:-1] if isinstance(v, str) else v}"
            for c, v in zip(columns, r, strict=True)
            if not (v is None or (isinstance(v, float) and pd.isna(v)))
        ]
        shown.append("(" + ", ".join(parts) + ")")
    return "; ".join(shown)


def _as_table(con, frame: pd.DataFrame, column: str):
    """One column of distinct values of a small (pandas) table, as an engine table."""
    import ibis

    values = pd.DataFrame(
        {"_key": pd.Series(frame[column].dropna().astype(str).unique(), dtype=object)}
    )
    mem = ibis.memtable(values, schema={"_key": "string"})
    if con.name == "duckdb":
        return mem
    import pyarrow as pa

    name = _name("keys")
    con._session.createDataFrame(pa.Table.from_pandas(values)).createOrReplaceTempView(name)
    return con.table(name)


def validate_engine_table(
    table: EngineTable,
    small: dict[str, pd.DataFrame] | None = None,
    *,
    engine: str | None = None,
    period: tuple | None = None,
) -> pd.DataFrame:
    """Validate a large table in the engine; the data-quality rows it finds.

    Parameters
    ----------
    table : EngineTable
        The large table.
    small : dict of str to DataFrame, optional
        The small contract tables (pandas), for the orphan checks.
    engine : {"duckdb", "spark"}, optional
        See :func:`ars_analysis.data.engines.engine_name`.
    period : (start, end), optional
        Sales lines dated outside it are counted (warning) and left out (the table's
        :attr:`~EngineTable.period` is set).

    Returns
    -------
    DataFrame
        Rows of the data-quality table (:data:`ars_analysis.data.dataset.QUALITY_COLUMNS`).
    """
    import ibis

    small = {k: v for k, v in (small or {}).items() if isinstance(v, pd.DataFrame)}
    spec = TABLES[table.table]
    log = QualityLog()
    file = table.file
    for c in spec.required_columns:
        if c not in table.columns:
            col = spec.column(c)
            log.add(
                "fatal",
                table.table,
                file,
                c,
                "missing_column",
                [],
                f"required column {c!r} not found in {file}",
                f"{col.description}; a header named {c!r} or an alias "
                f"({', '.join(col.aliases[:6])}), or a mapping file entry",
                n_rows=0,
            )
    con = connect(engine_name(engine))
    held = None
    try:
        raw = table.raw(con)
        both = raw.select(*[raw[c].name(f"raw_{c}") for c in raw.columns], **table.parsed(raw))
        # the counts, examples, duplicates and orphans below read the lines several times: a
        # CSV is parsed once and held (DuckDB: in memory, or in a temporary DuckDB file when
        # large; Spark: its cache); Parquet is cheaper to scan again than to hold on DuckDB
        if con.name != "duckdb":
            both = held = both.cache()
        elif not _is_parquet(table.source):
            size = _nbytes(table.source)  # raw text and parsed values: about twice the lines
            held = hold(con, both, nbytes=None if size is None else 2 * size)
            both = held.table
        t = both.select(*raw.columns)
        cols = list(t.columns)
        shown = [f"raw_{c}" for c in cols]
        conds: dict[tuple[str, str], object] = {}
        for c in cols:
            col = spec.column(c)
            value, source = both[c], both[f"raw_{c}"]
            present = source.notnull()
            if source.type().is_string():
                present = present & (source.strip() != "")
            if col.kind in _KIND_CHECK:
                conds[(c, _KIND_CHECK[col.kind])] = present & value.isnull()
            if not col.nullable:
                conds[(c, "empty_value")] = ~present
            if col.min_value is not None:
                conds[(c, "below_minimum")] = value < col.min_value
        if table.table == "sales" and {"quantity", "revenue"} <= set(cols):
            q, r = both.quantity, both.revenue
            neg = (q < 0) | (r < 0)
            pos = (q > 0) | (r > 0)
            conds[("quantity,revenue", "mixed_sign")] = neg & pos
            conds[("", "returns")] = neg & ~pos
            if "cost" in cols:
                conds[("cost", "negative_cost")] = (both.cost < 0) & ~neg
        if table.table == "visits" and {"check_in", "check_out"} <= set(cols):
            conds[("check_out", "checkout_before_checkin")] = both.check_out < both.check_in
        for c in cols:
            if c in CODE_LISTS:
                conds[(c, "unknown_code")] = _unknown_code(both[c], c)
        if period is not None and "date" in cols:
            # lines outside the period are dropped first and not checked further (as in
            # pandas); lines whose date cannot be read are kept and reported as such
            start, end = period
            outside = ibis.literal(False)
            if start is not None:
                outside = outside | (both.date < pd.Timestamp(start).date())
            if end is not None:
                outside = outside | (both.date > pd.Timestamp(end).date())
            outside = outside.fill_null(False)
            conds = {k: c & ~outside for k, c in conds.items()}
            conds[("date", "outside_period")] = outside
            t = t.filter(~outside)
        names = {key: f"n{i}" for i, key in enumerate(conds)}
        aggs = {names[k]: ibis.ifelse(cond, 1, 0).sum() for k, cond in conds.items()}
        aggs["lines"] = both.count()
        if ("", "returns") in conds:
            aggs["returns_revenue"] = ibis.ifelse(conds[("", "returns")], both.revenue, 0.0).sum()
        counts = _fetch(both.aggregate(**aggs)).iloc[0]
        n_lines = _int(counts["lines"])
        for (column, check), cond in conds.items():
            n = _int(counts[names[(column, check)]])
            if not n:
                continue
            if check == "unknown_code":
                ex = _unknown_examples(both, cond, column)
            else:
                ex = "" if check in ("returns", "outside_period") else _examples(both, cond, shown)
            severity, problem, expected = _describe(spec, column, check, n, ex, counts, period)
            log.add(severity, table.table, file, column, check, [], problem, expected, n_rows=n)
        if period is not None and table.table == "sales":  # the loading period: sales only
            table.period = tuple(period)
        kept = n_lines - _int(counts.get(names.get(("date", "outside_period"), ""), 0))
        if table.table == "sales" and kept == 0:
            log.add(
                "fatal",
                "sales",
                file,
                "",
                "no_sales",
                [],
                f"{file} has no sales lines"
                + (" in the analysis period" if period is not None and n_lines else ""),
                "at least one sales line",
                n_rows=0,
            )
        _duplicates(log, table, t, file)
        _orphans(log, con, table, t, small, file)
        if table.table == "visits":
            _overlapping_visits(log, both, shown, file)
    finally:
        if held is not None:
            held.release()
        if con.name == "duckdb":
            con.disconnect()
    return log.frame()


def _describe(spec, column, check, n, ex, counts, period):
    """Severity, problem and expected text of one counted check."""
    if check in ("not_a_number", "not_a_date", "not_a_datetime"):
        kind = spec.column(column).kind
        return (
            "fatal",
            f"{n:,} value(s) cannot be read as {_KIND_WORD[kind]}, e.g. lines {ex}",
            f"{spec.column(column).description}: {_KIND_WORD[kind]}",
        )
    if check == "empty_value":
        return (
            "fatal",
            f"{n:,} empty value(s) in a column that must always be filled, e.g. lines {ex}",
            f"{spec.column(column).description}: a value in every row",
        )
    if check == "below_minimum":
        col = spec.column(column)
        return (
            "fatal",
            f"{n:,} value(s) below the minimum, e.g. lines {ex}",
            f"{col.description}: a value >= {col.min_value:g}",
        )
    if check == "mixed_sign":
        return (
            "fatal",
            f"{n:,} line(s) with a negative quantity and a positive revenue (or the reverse), "
            f"e.g. {ex}",
            "quantity and revenue of the same sign: both >= 0 (a sale) or both <= 0 (a return)",
        )
    if check == "returns":
        total = counts.get("returns_revenue")
        total = 0.0 if total is None or pd.isna(total) else float(total)
        return (
            "warning",
            f"{n:,} return line(s) (negative quantity and revenue), total revenue "
            f"{total:,.2f}; kept, they reduce net sales",
            "returns: quantity <= 0 and revenue <= 0",
        )
    if check == "negative_cost":
        return (
            "warning",
            f"{n:,} sale line(s) (not returns) with a negative cost, e.g. {ex}",
            "cost >= 0 on a sale (a negative cost only on a return line)",
        )
    if check == "unknown_code":
        return ("warning", f"{n:,} row(s) with unknown code(s): {ex}",
                "one of " + ", ".join(CODE_LISTS[column]))  # fmt: skip
    if check == "checkout_before_checkin":
        return ("warning", f"{n:,} visit(s) end before they start, e.g. {ex}",
                "check_out after check_in")  # fmt: skip
    start, end = (None if d is None else f"{pd.Timestamp(d):%Y-%m-%d}" for d in period)
    return (
        "warning",
        f"{n:,} line(s) dated outside the analysis period; dropped",
        f"dates from {start or 'the start'} to {end or 'the end'}",
    )


def _duplicates(log, table: EngineTable, t, file) -> None:
    key = [k for k in TABLES[table.table].key if k in t.columns]
    if not key:
        return
    keyed = t.filter(t[key[0]].notnull()) if len(key) == 1 else t
    groups = keyed.group_by(key).aggregate(_n=keyed.count())
    dup = groups.filter(groups._n > 1)
    row = _fetch(dup.aggregate(rows=dup._n.sum(), keys=dup.count())).iloc[0]
    n = _int(row["rows"])
    if not n:
        return
    ex = _fetch(dup.select(*key).limit(EXAMPLES))
    shown = "; ".join("/".join(str(v) for v in r) for r in ex.itertuples(index=False))
    log.add(
        "fatal",
        table.table,
        file,
        ",".join(key),
        "duplicate_key",
        [],
        f"{n:,} rows share a key value ({int(row['keys']):,} value(s)), e.g. {shown}",
        f"each {'/'.join(key)} only once",
        n_rows=n,
    )


def _orphans(log, con, table: EngineTable, t, small, file) -> None:
    refs = [
        (col, rtable, rcol)
        for col, (rtable, rcol) in TABLES[table.table].references.items()
        if col in t.columns and rtable in small and rcol in small[rtable].columns
    ]
    if not refs:
        return
    cols = [c for c, _, _ in refs]
    # One scan of the lines for every reference: the distinct values of each referencing
    # column with their line counts (GROUPING SETS, the same SQL in DuckDB and Spark; Ibis has
    # no grouping sets). The result has as many rows as distinct values, not lines, and answers
    # the counts and the examples of every reference. Measured on 20 million lines (DuckDB):
    # 3.8 CPU s, against 20 for an anti-join of the lines per reference.
    sql = (
        f"SELECT {', '.join(cols)}, count(*) AS _n FROM ({con.compile(t.select(*cols))}) "
        f"AS _lines GROUP BY GROUPING SETS ({', '.join(f'({c})' for c in cols)})"
    )
    counts = _sql_table(con, sql).cache()
    try:
        for col, rtable, rcol in refs:
            keys = _as_table(con, small[rtable], rcol)
            values = counts.filter(counts[col].notnull()).select(col, "_n")
            orphans = values.anti_join(keys, values[col] == keys._key)
            row = _fetch(orphans.aggregate(rows=orphans._n.sum(), values=orphans.count()))
            n = _int(row["rows"].iloc[0])
            if not n:
                continue
            ex = _fetch(orphans.select(col).order_by(col).limit(EXAMPLES))[col]
            _log_orphans(log, table, file, col, rtable, rcol, n, int(row["values"].iloc[0]), ex)
    finally:
        counts.release()


def _sql_table(con, sql: str):
    """A SQL query of the engine as an Ibis table, through a temporary view (Ibis 12's
    ``con.sql`` calls a method DuckDB 2 no longer has)."""
    name = _name("sql")
    if con.name == "duckdb":
        con.raw_sql(f"CREATE TEMP VIEW {name} AS {sql}")
    else:
        con._session.sql(sql).createOrReplaceTempView(name)
    return con.table(name)


def _log_orphans(log, table, file, col, rtable, rcol, n, n_values, ex) -> None:
    shown = ", ".join(short_repr(v) for v in ex)
    log.add(
        REFERENCE_SEVERITY.get((table.table, col), "warning"),
        table.table,
        file,
        col,
        "unknown_reference",
        [],
        f"{n:,} row(s) name {n_values:,} {col} value(s) not in {rtable}, e.g. {shown}",
        f"every {col} listed in {rtable}.{rcol}",
        n_rows=n,
    )


def _known_codes(column: str) -> tuple[list[str], list[str]]:
    """The accepted codes of ``column`` and the aliases (casefolded) translated to them."""
    aliases = sorted({k.casefold() for k in CODE_ALIASES.get(column, {})})
    return list(CODE_LISTS[column]), aliases


def _unknown_code(value, column: str):
    """Whether a line's ``value`` (text) holds a code that is neither accepted nor an alias
    (as :func:`~ars_analysis.data.quality.normalise_codes` then the pandas check).

    ``activities`` holds a list: the line is fine when its whole lower-cased text is a list of
    known codes (or empty parts) between the separators - one regular expression, as the
    array lambdas Ibis would generate are not accepted by every DuckDB version. Its accepted
    codes are all among its aliases, so lower-casing the text loses nothing."""
    import re

    allowed, aliases = _known_codes(column)
    text = value.cast("string").strip()
    if column != "activities":
        return text.notnull() & ~(text.lower().isin(aliases) | text.isin(allowed))
    assert set(allowed) <= set(aliases)
    known = "|".join(
        re.sub(r"([.^$*+?()\[\]{}|\\])", r"\\\1", k) for k in sorted(aliases, key=len, reverse=True)
    )
    sep = _SPLIT_ACTIVITIES.pattern.replace("\\s*", "")  # the separator class
    pattern = rf"^\s*(?:{known})?\s*(?:{sep}\s*(?:{known})?\s*)*$"
    return text.notnull() & ~text.lower().re_search(pattern)


def _unknown_examples(table, cond, column: str) -> str:
    """The first unknown codes (sorted), as the pandas check shows them."""
    allowed, aliases = _known_codes(column)
    text = table[column].cast("string").strip()
    parts = text.re_split(_SPLIT_ACTIVITIES.pattern) if column == "activities" else None
    rows = table.filter(cond)
    found = rows.select(code=(parts.unnest() if parts is not None else text))
    found = found.filter(
        (found.code != "") & ~(found.code.lower().isin(aliases) | found.code.isin(allowed))
    )
    codes = _fetch(found.distinct().order_by("code").limit(5))["code"]
    return ", ".join(short_repr(v) for v in codes)


def _overlapping_visits(log, both, shown: list[str], file) -> None:
    """Visits that start before the same rep's previous visit (by check-in, then check-out)
    ended; visits without rep, times, or ending before they start are left out (as pandas)."""
    import ibis

    if not {"rep_id", "check_in", "check_out"} <= set(both.columns):
        return
    v = both.filter(
        both.rep_id.notnull()
        & both.check_in.notnull()
        & both.check_out.notnull()
        & (both.check_out >= both.check_in)
    )
    w = ibis.window(group_by=v.rep_id, order_by=[v.check_in, v.check_out])
    v = v.mutate(_previous_end=v.check_out.lag().over(w))
    cond = (v.check_in < v._previous_end).fill_null(False)
    n = _int(_fetch(v.aggregate(n=ibis.ifelse(cond, 1, 0).sum()))["n"].iloc[0])
    if not n:
        return
    ex = _examples(v, cond, shown)
    log.add(
        "warning",
        "visits",
        file,
        "check_in",
        "overlapping_visits",
        [],
        f"{n:,} visit(s) start before the same rep's previous visit ended, e.g. lines {ex}",
        "one visit at a time per rep",
        n_rows=n,
    )
