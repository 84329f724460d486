"""Validation of contract tables: pandera schemas built from the contract plus cross-table checks.

Every problem is reported at once, as one row of the data-quality table (columns
:data:`ars_analysis.data.dataset.QUALITY_COLUMNS`). Row numbers are the ones a consultant sees in the
source file: the header is row 1, so the first data line is row 2. The loader keeps those numbers
as the index of each table while it validates, so the checks here report ``frame.index`` values.

Severities (documented for consultants in ``data/README.md``):

* **fatal** - the analyses would be wrong: a required table or column is missing, a date or number
  cannot be read, a required value is empty, a value is below its minimum, a key is duplicated, a
  sales line has mixed signs (negative quantity with positive revenue or the reverse), a sales line
  names a customer or product that is not in its table.
* **warning** - worth knowing, the data is still usable: returns (negative quantity and revenue),
  sales lines outside the analysis period (dropped), unknown terminal or rep references, unknown
  codes (role, terminal type, activities), visits with check-out before check-in or overlapping
  visits of the same rep, lines dropped because a key value is empty (``drop_if_empty``).

Examples
--------
>>> import pandas as pd
>>> sales = pd.DataFrame({"date": pd.to_datetime(["2025-01-02", "2025-01-03"]),
...                       "customer_id": ["C1", "C9"], "product_id": ["P1", "P1"],
...                       "quantity": [1.0, -1.0], "revenue": [10.0, -10.0]}, index=[2, 3])
>>> customers = pd.DataFrame({"customer_id": ["C1"], "customer_name": ["A"],
...                           "region": ["East"]}, index=[2])
>>> products = pd.DataFrame({"product_id": ["P1"], "product_name": ["X"]}, index=[2])
>>> terminals = pd.DataFrame({"terminal_id": ["T1"], "terminal_name": ["Y"],
...                           "region": ["East"]}, index=[2])
>>> tables, quality = validate({"sales": sales, "customers": customers, "products": products,
...                             "terminals": terminals})
>>> quality[["severity", "table", "column", "check", "rows"]].values.tolist()
[['fatal', 'sales', 'customer_id', 'unknown_reference', '3'], ['warning', 'sales', '', 'returns', '3']]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from ars_analysis.data.contract import TABLES
from ars_analysis.data.dataset import between
from ars_analysis.data.quality import (
    CODE_LISTS,
    MAX_ROWS_LISTED,
    REFERENCE_SEVERITY,
    QualityLog,
    short_repr,
)

__all__ = ["DataValidationError", "format_quality", "schema_for", "validate"]


class DataValidationError(ValueError):
    """Fatal data-quality problems; ``.quality`` holds the full data-quality table."""

    def __init__(self, message: str, quality: pd.DataFrame):
        super().__init__(message)
        self.quality = quality


def schema_for(table: str, columns: Iterable[str] | None = None) -> pa.DataFrameSchema:
    """The pandera schema of a contract table, built from :mod:`ars_analysis.data.contract`.

    It checks what a single table can check on parsed values: empty values in non-nullable
    columns and values below ``min_value``. Types are established by the loader (it parses every
    column), presence of required columns and keys are checked by :func:`validate`.
    Only ``columns`` (default: all) are included.

    Examples
    --------
    >>> sorted(schema_for("targets").columns)
    ['customer_id', 'period', 'rep_id', 'target_revenue']
    """
    spec = TABLES[table]
    wanted = set(spec.column_names if columns is None else columns)
    cols = {}
    for c in spec.columns:
        if c.name not in wanted:
            continue
        checks = []
        if c.min_value is not None:
            checks.append(pa.Check.ge(c.min_value))
        cols[c.name] = pa.Column(None, checks=checks, nullable=c.nullable, required=False)
    return pa.DataFrameSchema(cols, name=table, strict=False, coerce=False)


_PANDERA_CHECKS = {
    "not_nullable": ("empty_value", "a value in every row"),
    "greater_than_or_equal_to": ("below_minimum", None),
}


def _schema_problems(log, table, file, frame, unparsed) -> None:
    schema = schema_for(table, [c for c in frame.columns if c in TABLES[table].column_names])
    try:
        schema.validate(frame, lazy=True)
        return
    except SchemaErrors as exc:
        cases = exc.failure_cases
    spec = TABLES[table]
    cases = cases[cases["column"].notna()]
    for (tname, column), indexes in unparsed.items():
        if tname == table and indexes:
            seen = np.concatenate([np.asarray(i) for i in indexes])
            cases = cases[~((cases["column"] == column) & cases["index"].isin(seen))]
    for (column, check), grp in cases.groupby(["column", "check"], sort=False):
        name = str(check).split("(")[0]
        code, expected = _PANDERA_CHECKS.get(name, (name, str(check)))
        col = spec.column(column)
        if code == "below_minimum":
            expected = f"{col.description}: a value >= {col.min_value:g}"
            examples = ", ".join(short_repr(v) for v in grp["failure_case"].head(3).tolist())
            problem = f"{len(grp):,} value(s) below the minimum, e.g. {examples}"
        else:
            expected = f"{col.description}: {expected}"
            problem = f"{len(grp):,} empty value(s) in a column that must always be filled"
        idx = pd.to_numeric(grp["index"], errors="coerce").dropna().astype(int).sort_values()
        log.add(
            "fatal",
            table,
            file,
            column,
            code,
            idx.tolist()[: MAX_ROWS_LISTED + 1],
            problem,
            expected,
            n_rows=len(grp),
        )


def _missing_columns(log, table, file, frame) -> list[str]:
    missing = [c for c in TABLES[table].required_columns if c not in frame.columns]
    for c in missing:
        col = TABLES[table].column(c)
        aliases = ", ".join(col.aliases[:6])
        log.add(
            "fatal",
            table,
            file,
            c,
            "missing_column",
            [],
            f"required column {c!r} not found in {file or table}",
            f"{col.description}; a header named {c!r} or an alias ({aliases}), or a "
            "mapping file entry",
            n_rows=0,
        )
    return missing


def _duplicate_keys(log, table, file, frame) -> None:
    key = [k for k in TABLES[table].key if k in frame.columns]
    if not key:
        return
    sub = frame[key]
    if len(key) == 1 and TABLES[table].column(key[0]).nullable:
        sub = sub[sub[key[0]].notna()]
    dup = sub.duplicated(keep=False)
    if dup.any():
        examples = sub[dup.to_numpy()].drop_duplicates().head(3)
        ex = "; ".join(
            "/".join(short_repr(v)[1:-1] if isinstance(v, str) else str(v) for v in r)
            for r in examples.itertuples(index=False)
        )
        log.add_mask(
            "fatal",
            table,
            file,
            ",".join(key),
            "duplicate_key",
            sub,
            dup.to_numpy(),
            f"{int(dup.sum()):,} rows share a key value, e.g. {ex}",
            f"each {'/'.join(key)} only once",
        )


def _references(log, tables, files) -> None:
    for tname, frame in tables.items():
        for col, (rtable, rcol) in TABLES[tname].references.items():
            if col not in frame.columns or rtable not in tables:
                continue
            ref = tables[rtable]
            if rcol not in ref.columns:
                continue
            values = frame[col]
            bad = values.notna().to_numpy() & ~values.isin(ref[rcol].dropna().unique()).to_numpy()
            if not bad.any():
                continue
            severity = REFERENCE_SEVERITY.get((tname, col), "warning")
            unknown = pd.unique(values[bad])
            ex = ", ".join(short_repr(v) for v in unknown[:3])
            log.add_mask(
                severity,
                tname,
                files.get(tname),
                col,
                "unknown_reference",
                frame,
                bad,
                f"{int(bad.sum()):,} row(s) name {len(unknown):,} {col} value(s) not in "
                f"{rtable}, e.g. {ex}",
                f"every {col} listed in {rtable}.{rcol} ({files.get(rtable) or rtable})",
            )


def _sales_signs(log, file, sales) -> None:
    if not {"quantity", "revenue"} <= set(sales.columns):
        return
    q = sales["quantity"].to_numpy(dtype=float, na_value=np.nan)
    r = sales["revenue"].to_numpy(dtype=float, na_value=np.nan)
    neg = (q < 0) | (r < 0)
    pos = (q > 0) | (r > 0)
    mixed = neg & pos
    returns = neg & ~pos
    log.add_mask(
        "fatal",
        "sales",
        file,
        "quantity,revenue",
        "mixed_sign",
        sales,
        mixed,
        lambda idx: (
            f"{len(idx):,} line(s) with a negative quantity and a positive revenue (or the reverse)"
        ),
        "quantity and revenue of the same sign: both >= 0 (a sale) or both <= 0 (a return)",
    )
    if "cost" in sales.columns:
        c = sales["cost"].to_numpy(dtype=float, na_value=np.nan)
        log.add_mask(
            "warning",
            "sales",
            file,
            "cost",
            "negative_cost",
            sales,
            (c < 0) & ~neg,
            lambda idx: f"{len(idx):,} sale line(s) (not returns) with a negative cost",
            "cost >= 0 on a sale (a negative cost only on a return line)",
        )
    if returns.any():
        total = float(np.nansum(r[returns]))
        log.add_mask(
            "warning",
            "sales",
            file,
            "",
            "returns",
            sales,
            returns,
            f"{int(returns.sum()):,} return line(s) (negative quantity and revenue), total "
            f"revenue {total:,.2f}; kept, they reduce net sales",
            "returns: quantity <= 0 and revenue <= 0",
        )


def _codes(log, tname, file, frame) -> None:
    for col, allowed in CODE_LISTS.items():
        if col not in frame.columns:
            continue
        values = frame[col]
        if col == "activities":
            parts = values.dropna().astype(str).str.split(";").explode()
            bad_parts = parts[~parts.isin(allowed) & (parts != "")]
            mask = frame.index.isin(bad_parts.index.unique())
            unknown = pd.unique(bad_parts)
        else:
            mask = (values.notna() & ~values.isin(allowed)).to_numpy()
            unknown = pd.unique(values[mask])
        ex = ", ".join(short_repr(v) for v in unknown[:5])
        log.add_mask(
            "warning",
            tname,
            file,
            col,
            "unknown_code",
            frame,
            mask,
            lambda idx, ex=ex: f"{len(idx):,} row(s) with unknown code(s): {ex}",
            "one of " + ", ".join(allowed),
        )


def _visits(log, file, visits) -> None:
    if not {"check_in", "check_out"} <= set(visits.columns):
        return
    cin, cout = visits["check_in"], visits["check_out"]
    bad = (cout < cin).to_numpy()
    log.add_mask(
        "warning",
        "visits",
        file,
        "check_out",
        "checkout_before_checkin",
        visits,
        bad,
        lambda idx: f"{len(idx):,} visit(s) end before they start",
        "check_out after check_in",
    )
    if "rep_id" not in visits.columns:
        return
    v = visits.loc[cin.notna() & cout.notna() & ~bad, ["rep_id", "check_in", "check_out"]]
    if v.empty:
        return
    # check-out breaks ties of check-in: the same visits overlap whatever the file's order (as
    # in the engine check, which has no row order)
    v = v.sort_values(["rep_id", "check_in", "check_out"], kind="stable")
    same_rep = (v["rep_id"] == v["rep_id"].shift()).to_numpy()
    overlap = same_rep & (v["check_in"] < v["check_out"].shift()).to_numpy()
    log.add_mask(
        "warning",
        "visits",
        file,
        "check_in",
        "overlapping_visits",
        v,
        overlap,
        lambda idx: f"{len(idx):,} visit(s) start before the same rep's previous visit ended",
        "one visit at a time per rep",
    )


def validate(
    tables: Mapping[str, pd.DataFrame],
    files: Mapping[str, str] | None = None,
    *,
    period: tuple | None = None,
    unparsed: Mapping[tuple[str, str], list] | None = None,
    elsewhere: Iterable[str] = (),
) -> tuple[dict[str, pd.DataFrame], pd.DataFrame]:
    """Check contract tables and return them (sales outside ``period`` dropped) with the quality table.

    Parameters
    ----------
    tables : mapping of str to DataFrame
        Parsed contract tables (canonical column names). Their index is used as the row number
        reported (the loader sets it to the row number in the file).
    files : mapping of str to str, optional
        Source file name of each table, for the report.
    period : (start, end), optional
        Analysis period; sales lines outside it are reported (warning) and dropped. Either end
        may be None. The end date includes the whole day.
    unparsed : mapping, optional
        ``(table, column) -> [row numbers]`` already reported as unreadable by the loader; their
        (now empty) values are not reported again as empty.
    elsewhere : iterable of str, optional
        Tables supplied but kept in an engine and validated there
        (:func:`ars_analysis.data.engine_validation.validate_engine_table`): not missing.

    Returns
    -------
    tables : dict of str to DataFrame
        The same tables (sales filtered to ``period``); inputs are not modified.
    quality : DataFrame
        Columns :data:`ars_analysis.data.dataset.QUALITY_COLUMNS`, fatal rows first.
    """
    files = dict(files or {})
    log = QualityLog()
    tables = {k: v for k, v in tables.items() if v is not None}
    # the period first: lines outside it are dropped, not checked further
    bad_period = False
    if (
        period is not None
        and None not in period
        and pd.Timestamp(period[0]) > pd.Timestamp(period[1])
    ):
        bad_period = True
        log.add(
            "fatal",
            "sales",
            files.get("sales"),
            "date",
            "invalid_period",
            [],
            f"the analysis period starts ({period[0]}) after it ends ({period[1]})",
            "a start date on or before the end date",
            n_rows=0,
        )
    if (
        period is not None
        and not bad_period
        and "sales" in tables
        and "date" in tables["sales"].columns
    ):
        start, end = (None if d is None else f"{pd.Timestamp(d):%Y-%m-%d}" for d in period)
        sales = tables["sales"]
        keep = between(sales["date"], start, end) | sales["date"].isna()
        n = log.add_mask(
            "warning",
            "sales",
            files.get("sales"),
            "date",
            "outside_period",
            sales,
            ~keep.to_numpy(),
            lambda idx: f"{len(idx):,} line(s) dated outside the analysis period; dropped",
            f"dates from {start or 'the start'} to {end or 'the end'}",
        )
        if n:
            tables["sales"] = sales[keep.to_numpy()]
        if n and len(sales) and tables["sales"].empty:
            dates = sales["date"].dropna()
            covers = (
                f"{dates.min():%Y-%m-%d} – {dates.max():%Y-%m-%d}" if len(dates) else "no dates"
            )
            log.add(
                "fatal",
                "sales",
                files.get("sales"),
                "date",
                "no_sales",
                [],
                f"no sales line is dated in the analysis period {start or '…'} – {end or '…'} "
                f"(the data covers {covers})",
                "an analysis period that overlaps the sales dates",
                n_rows=0,
            )
    elsewhere = set(elsewhere)
    for name, spec in TABLES.items():
        if name not in tables and name not in elsewhere and spec.required:
            log.add(
                "fatal",
                name,
                "",
                "",
                "missing_table",
                [],
                f"required table {name!r} not found",
                f"a file named {name}.csv/.xlsx/.parquet or an alias "
                f"({', '.join(spec.aliases[:4])}), or a mapping file entry",
                n_rows=0,
            )
    for name, frame in tables.items():
        file = files.get(name)
        _missing_columns(log, name, file, frame)
        _schema_problems(log, name, file, frame, dict(unparsed or {}))
        _duplicate_keys(log, name, file, frame)
        _codes(log, name, file, frame)
    _references(log, tables, files)
    if "sales" in tables:
        _sales_signs(log, files.get("sales"), tables["sales"])
        if not len(tables["sales"]) and not any(r["check"] == "no_sales" for r in log.rows):
            log.add(
                "fatal",
                "sales",
                files.get("sales"),
                "",
                "no_sales",
                [],
                f"{files.get('sales') or 'the sales table'} has no sales lines (only a header?)",
                "at least one sales line",
                n_rows=0,
            )
    if "visits" in tables:
        _visits(log, files.get("visits"), tables["visits"])
    quality = log.frame()
    order = quality["severity"].map({"fatal": 0, "warning": 1}).fillna(2)
    quality = quality.iloc[np.argsort(order.to_numpy(), kind="stable")].reset_index(drop=True)
    return tables, quality


def format_quality(quality: pd.DataFrame, *, severity: str | None = None) -> str:
    """The quality table as readable text, one problem per paragraph.

    Examples
    --------
    >>> log = QualityLog()
    >>> log.add("fatal", "sales", "sales.csv", "date", "not_a_date", [2, 5], "2 bad dates",
    ...         "a date", n_rows=2)
    >>> print(format_quality(log.frame()))
    FATAL sales.csv [sales] column date: 2 bad dates (2 rows; rows 2, 5)
        expected: a date
    """
    q = quality if severity is None else quality[quality["severity"] == severity]
    lines = []
    for r in q.itertuples(index=False):
        where = f"{r.file} [{r.table}]" if r.file else f"[{r.table}]"
        col = f" column {r.column}" if r.column else ""
        count = f" ({r.n_rows:,} rows; rows {r.rows})" if r.rows else ""
        lines.append(f"{r.severity.upper()} {where}{col}: {r.problem}{count}")
        lines.append(f"    expected: {r.expected}")
    return "\n".join(lines)
