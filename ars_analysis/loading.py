"""Load a client's exports into the contract tables: read, map columns, parse, validate.

:func:`load_dataset` reads a folder of CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Excel
(``.xlsx``, first sheet) and Parquet files. Each file feeds the contract table named by its file
stem (the table name or one of its aliases, e.g. ``经销商.xlsx`` -> customers, ``销售明细.csv`` ->
sales) or by a mapping file. Headers are matched to contract columns by canonical name, then by
the contract's aliases (case-, space- and punctuation-insensitive), and by the mapping file.
The mapping file format is documented in ``data/README.md``.

Row numbers in the data-quality table are those of the file as a consultant sees it (header =
row 1, first data line = row 2). Input files are only read, never written.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> _ = (folder / "客户.csv").write_text("客户编码,客户名称,区域\\n001,甲,华东\\n", encoding="utf-8")
>>> _ = (folder / "products.csv").write_text("product_id,product_name\\nP1,X\\n")
>>> _ = (folder / "门店.csv").write_text("门店编码,门店名称,区域\\nT1,店,华东\\n")
>>> _ = (folder / "sales.csv").write_text(
...     "日期,客户编码,门店编码,产品编码,数量,金额\\n2025-01-02,001,T1,P1,2,20\\n")
>>> ds = load_dataset(folder)
>>> ds.customers["customer_id"].tolist(), ds.sales["revenue"].sum()
(['001'], np.float64(20.0))
"""

from __future__ import annotations

import ast
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pandas.tseries.api import guess_datetime_format

from ars_analysis.contract import TABLES
from ars_analysis.dataset import MAPPING_COLUMNS, Dataset
from ars_analysis.validation import (
    CODE_ALIASES,
    DataValidationError,
    QualityLog,
    format_quality,
    normalise_codes,
    validate,
)

__all__ = ["DataValidationError", "MappingError", "add_cli", "load_dataset", "read_mapping"]

#: File types read by :func:`load_dataset`.
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".parquet", ".pq")

#: Encodings tried, in order, for CSV files without an ``encoding`` in the mapping file.
ENCODINGS = ("utf-8-sig", "gb18030")

#: Values read as empty.
NA_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "-", "--"]

_TABLE_KEYS = {
    "file",
    "sheet",
    "encoding",
    "columns",
    "date_format",
    "compute",
    "drop_if_empty",
    "returns",
    "derive_from",
}


class MappingError(ValueError):
    """A problem in a mapping file (names the file and the key)."""


def _norm(text) -> str:
    """Header/stem normalisation: casefold, drop spaces, punctuation and underscores."""
    return re.sub(r"[\W_]+", "", str(text)).casefold()


_TABLE_NAMES: dict[str, str] = {}
for _t in TABLES.values():
    for _alias in (_t.name, *_t.aliases):
        _TABLE_NAMES.setdefault(_norm(_alias), _t.name)


# --------------------------------------------------------------------------------------------
# mapping file


@dataclass
class TableSpec:
    """What the mapping file says about one contract table."""

    file: str | None = None
    sheet: str | int | None = None
    encoding: str | None = None
    columns: dict[str, list[str]] = field(default_factory=dict)
    date_format: dict[str, str] = field(default_factory=dict)
    compute: dict[str, str] = field(default_factory=dict)
    drop_if_empty: list[str] = field(default_factory=list)
    returns: dict | None = None
    derive_from: str | None = None
    origin: str = ""  # the mapping file, for error messages


def _fail(path, key, message):
    raise MappingError(f"mapping file {path}: {key}: {message}")


def read_mapping(path) -> dict[str, TableSpec]:
    """Read and check a mapping file (YAML, format in ``data/README.md``).

    Raises
    ------
    MappingError
        Bad YAML, an unknown table, column or key; the message names the file and the key.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "m.yml"
    >>> _ = p.write_text("tables:\\n  sales:\\n    columns: {Order Date: date}\\n")
    >>> read_mapping(p)["sales"].columns
    {'Order Date': ['date']}
    """
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except yaml.YAMLError as exc:
        raise MappingError(f"mapping file {path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise MappingError(f"mapping file {path}: cannot be read: {exc}") from exc
    if not isinstance(data, dict) or "tables" not in data:
        _fail(path, "tables", "the file must start with 'tables:' (one entry per contract table)")
    extra = set(data) - {"tables"}
    if extra:
        _fail(path, sorted(extra)[0], "unknown top-level key (expected only 'tables')")
    if not isinstance(data["tables"], dict):
        _fail(path, "tables", "must map table names to their settings")
    specs: dict[str, TableSpec] = {}
    known = ", ".join(TABLES)
    for tname, entry in data["tables"].items():
        key = f"tables.{tname}"
        if tname not in TABLES:
            _fail(path, key, f"unknown table {tname!r} (known tables: {known})")
        entry = entry or {}
        if not isinstance(entry, dict):
            _fail(path, key, "must be a mapping of settings")
        bad = set(entry) - _TABLE_KEYS
        if bad:
            _fail(
                path,
                f"{key}.{sorted(bad)[0]}",
                f"unknown setting (known: {', '.join(sorted(_TABLE_KEYS))})",
            )
        table = TABLES[tname]
        spec = TableSpec(
            file=entry.get("file"),
            sheet=entry.get("sheet"),
            encoding=entry.get("encoding"),
            derive_from=entry.get("derive_from"),
            origin=str(path),
        )
        cols = entry.get("columns") or {}
        if not isinstance(cols, dict):
            _fail(path, f"{key}.columns", "must map source headers to contract columns")
        for src, target in cols.items():
            targets = target if isinstance(target, list) else [target]
            for t in targets:
                if t not in table.column_names:
                    _fail(
                        path,
                        f"{key}.columns.{src}",
                        f"{t!r} is not a column of {tname} "
                        f"(columns: {', '.join(table.column_names)})",
                    )
            spec.columns[str(src)] = list(targets)
        fmt = entry.get("date_format")
        date_cols = [c.name for c in table.columns if c.kind in ("date", "datetime")]
        if isinstance(fmt, str):
            spec.date_format = dict.fromkeys(date_cols, fmt)
        elif isinstance(fmt, dict):
            for c, f in fmt.items():
                if c not in date_cols:
                    _fail(path, f"{key}.date_format.{c}", f"not a date column of {tname}")
                spec.date_format[c] = str(f)
        elif fmt is not None:
            _fail(path, f"{key}.date_format", "must be a format like '%m/%d/%Y' or a mapping")
        for c, expr in (entry.get("compute") or {}).items():
            if c not in table.column_names:
                _fail(path, f"{key}.compute.{c}", f"not a column of {tname}")
            try:
                _parse_expression(str(expr))
            except ValueError as exc:
                _fail(path, f"{key}.compute.{c}", str(exc))
            spec.compute[c] = str(expr)
        drop = entry.get("drop_if_empty") or []
        drop = [drop] if isinstance(drop, str) else list(drop)
        for c in drop:
            if c not in table.column_names:
                _fail(path, f"{key}.drop_if_empty", f"{c!r} is not a column of {tname}")
        spec.drop_if_empty = drop
        ret = entry.get("returns")
        if ret is not None:
            if tname != "sales":
                _fail(path, f"{key}.returns", "only the sales table has returns")
            rule = (ret or {}).get("invoice_prefix") if isinstance(ret, dict) else None
            if not isinstance(rule, dict) or not {"column", "prefix"} <= set(rule):
                _fail(
                    path,
                    f"{key}.returns",
                    "expected {invoice_prefix: {column: <header>, prefix: <text>}}",
                )
            spec.returns = {"column": str(rule["column"]), "prefix": str(rule["prefix"])}
        if spec.derive_from is not None and spec.derive_from not in TABLES:
            _fail(path, f"{key}.derive_from", f"unknown table {spec.derive_from!r}")
        if spec.derive_from is not None and spec.file is not None:
            _fail(path, key, "give either 'file' or 'derive_from', not both")
        specs[tname] = spec
    for tname, spec in specs.items():
        if spec.derive_from and specs.get(spec.derive_from, TableSpec()).derive_from:
            _fail(path, f"tables.{tname}.derive_from", "cannot derive from a derived table")
    return specs


# --------------------------------------------------------------------------------------------
# safe arithmetic for `compute`

_BINOPS = {ast.Add: np.add, ast.Sub: np.subtract, ast.Mult: np.multiply, ast.Div: np.divide}


def _parse_expression(expr: str) -> tuple[ast.AST, dict[str, str]]:
    """Parse ``expr`` (+ - * / on names and numbers; `back quoted` names may hold spaces)."""
    names: dict[str, str] = {}

    def quote(m):
        key = f"__col{len(names)}"
        names[key] = m.group(1)
        return key

    text = re.sub(r"`([^`]+)`", quote, expr)
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"cannot read expression {expr!r}: {exc.msg}") from exc

    def check(node):
        if isinstance(node, ast.BinOp) and type(node.op) in _BINOPS:
            check(node.left)
            check(node.right)
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            check(node.operand)
        elif isinstance(node, ast.Name):
            names.setdefault(node.id, node.id)
        elif isinstance(node, ast.Constant) and isinstance(node.value, int | float):
            pass
        else:
            raise ValueError(
                f"expression {expr!r}: only + - * / ( ) on column names and numbers are allowed"
            )

    check(tree)
    return tree, names


def _evaluate(expr: str, lookup) -> np.ndarray:
    tree, names = _parse_expression(expr)

    def ev(node):
        if isinstance(node, ast.BinOp):
            with np.errstate(divide="ignore", invalid="ignore"):
                return _BINOPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp):
            value = ev(node.operand)
            return -value if isinstance(node.op, ast.USub) else value
        if isinstance(node, ast.Name):
            return lookup(names[node.id])
        return float(node.value)

    return ev(tree)


# --------------------------------------------------------------------------------------------
# reading files


def _detect_encoding(data: bytes, path: Path) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK/GB2312)."""
    for enc in ENCODINGS:
        try:
            data.decode(enc)
            return enc
        except UnicodeDecodeError:
            continue
    raise ValueError(
        f"{path.name}: cannot decode the file as {' or '.join(ENCODINGS)}; save it as UTF-8 "
        "or give 'encoding' in the mapping file"
    )


_BLANK_LINE = re.compile(rb"\n[ \t\r]*(\n|$)")


def _read_csv_bytes(data: bytes, encoding: str, sep) -> pd.DataFrame:
    options = dict(dtype=str, encoding=encoding, keep_default_na=False, na_values=NA_VALUES)
    # the pyarrow reader is ~4x faster but skips blank lines, which would shift row numbers
    if sep == "," and encoding in ("utf-8-sig", "utf-8") and not _BLANK_LINE.search(data.rstrip()):
        try:
            return pd.read_csv(io.BytesIO(data), engine="pyarrow", **options)
        except Exception:  # noqa: BLE001 - anything pyarrow rejects, the C reader explains
            pass
    return pd.read_csv(
        io.BytesIO(data),
        sep=sep,
        engine="python" if sep is None else "c",
        skip_blank_lines=False,
        **options,
    )


def _read_file(path: Path, sheet=None, encoding=None) -> tuple[pd.DataFrame, str | None]:
    """Read a file with every column as text; index = row number in the file (header = 1)."""
    suffix = path.suffix.lower()
    used = None
    if suffix in (".csv", ".txt"):
        data = path.read_bytes()
        used = encoding or _detect_encoding(data, path)
        frame = _read_csv_bytes(data, used, sep=None if suffix == ".txt" else ",")
    elif suffix in (".xlsx", ".xlsm"):
        frame = pd.read_excel(
            path,
            sheet_name=0 if sheet is None else sheet,
            dtype=str,
            keep_default_na=False,
            na_values=NA_VALUES,
        )
    elif suffix in (".parquet", ".pq"):
        frame = pd.read_parquet(path)
    else:
        raise ValueError(f"{path.name}: unsupported file type {suffix!r} (use {SUFFIXES})")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(2, 2 + len(frame))
    return frame, used


def _as_text(values: pd.Series) -> pd.Series:
    """Strings (ids keep leading zeros); whole floats from Parquet lose their '.0'."""
    if pd.api.types.is_float_dtype(values) and not values.dropna().mod(1).any():
        values = values.astype("Int64")
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.strftime("%Y-%m-%d").astype("str")
    out = values.astype("str")
    out = out.str.strip()
    return out.where(out.ne("") & values.notna(), np.nan)


def _example(values: pd.Series, mask) -> str:
    return ", ".join(repr(v) for v in pd.unique(values[mask])[:3])


_CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?")


def _guess_format(text: pd.Series) -> str | None:
    """The most common format guessed from the first distinct values (None if no guess)."""
    sample = pd.unique(text.dropna())[:25]
    guesses = [guess_datetime_format(str(v)) for v in sample]
    guesses = [g for g in guesses if g]
    return max(set(guesses), key=guesses.count) if guesses else None


def _parse_dates(raw: pd.Series, fmt: str | None) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw.astype("datetime64[ns]")
    text = _as_text(raw)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        parsed = pd.to_datetime(text, format=fmt or _guess_format(text), errors="coerce")
        parsed = parsed.astype("datetime64[ns]")
        bad = text.notna() & parsed.isna()
        if bad.any() and fmt is None:
            # mixed formats (or 2025年1月5日): retry the failures one by one
            retry = text[bad].str.replace(
                _CN_DATE, lambda m: f"{m[1]}-{m[2]}-{m[3] or 1}", regex=True
            )
            again = pd.to_datetime(retry, format="mixed", errors="coerce")
            parsed[bad] = again.astype("datetime64[ns]")
    return parsed


_NUMBER_JUNK = re.compile(r"[,\s¥￥$€£%]")


def _parse_numbers(raw: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        return raw.astype("float64")
    text = _as_text(raw)
    try:  # fast path (Arrow cast); any bad value falls back to the slow, tolerant parser
        fast = text.astype("float64[pyarrow]").to_numpy(dtype="float64", na_value=np.nan)
        return pd.Series(np.array(fast, copy=True), index=text.index, name=text.name)
    except Exception:  # noqa: BLE001
        pass
    parsed = pd.to_numeric(text, errors="coerce")
    bad = text.notna() & parsed.isna()
    if bad.any():
        cleaned = text[bad].str.replace(_NUMBER_JUNK, "", regex=True)
        cleaned = cleaned.str.replace(r"^\((.*)\)$", r"-\1", regex=True)  # (12.5) = -12.5
        parsed = parsed.astype("float64")
        parsed[bad] = pd.to_numeric(cleaned, errors="coerce")
    return parsed.astype("float64")


def _parse_period(raw: pd.Series) -> pd.Series:
    text = _as_text(raw)
    norm = text.str.replace(_CN_DATE, lambda m: f"{m[1]}-{int(m[2]):02d}", regex=True)
    norm = norm.str.replace(r"^(\d{4})[/.](\d{1,2})$", r"\1-\2", regex=True)
    norm = norm.str.replace(r"^(\d{4})(\d{2})$", r"\1-\2", regex=True)
    parsed = pd.to_datetime(norm, format="%Y-%m", errors="coerce")
    bad = norm.notna() & parsed.isna()
    if bad.any():
        parsed = parsed.astype("datetime64[ns]")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            again = pd.to_datetime(norm[bad], format="mixed", errors="coerce")
        parsed[bad] = again.astype("datetime64[ns]")
    return parsed.dt.strftime("%Y-%m").astype("str").where(parsed.notna(), np.nan)


_KIND_EXPECTED = {
    "date": "a date, e.g. 2025-01-31 (or give date_format in the mapping file)",
    "datetime": "a date and time, e.g. 2025-01-31 09:30",
    "number": "a number, e.g. 1234.5",
    "integer": "a whole number",
    "period": "a month written YYYY-MM, e.g. 2025-01",
}


def _parse_column(log, tname, file, name, raw, fmt=None) -> pd.Series:
    col = TABLES[tname].column(name)
    kind = col.kind
    if kind in ("id", "text", "category"):
        out = _as_text(raw)
        if name in CODE_ALIASES:
            out = normalise_codes(out, name)
        return out
    if kind in ("date", "datetime"):
        out = _parse_dates(raw, fmt)
        if kind == "date":
            out = out.dt.normalize()
    elif kind in ("number", "integer"):
        out = _parse_numbers(raw)
    else:
        out = _parse_period(raw)
    bad = raw.notna().to_numpy() & out.isna().to_numpy()
    if kind == "integer":
        bad |= (out.notna() & out.mod(1).ne(0)).to_numpy()
    if bad.any():
        log.unparsed.setdefault((tname, name), []).append(raw.index[bad])
        what = {"date": "date", "datetime": "date/time", "period": "month"}.get(kind, "number")
        log.add_mask(
            "fatal",
            tname,
            file,
            name,
            f"not_a_{what.replace('/', '')}",
            raw,
            bad,
            f"{int(bad.sum()):,} value(s) are not a {what}, e.g. {_example(raw, bad)}",
            f"{col.description}: {_KIND_EXPECTED[kind]}",
        )
    return out


# --------------------------------------------------------------------------------------------
# one table


def _match_columns(tname, headers, spec: TableSpec | None, *, auto=True):
    """Map source headers to contract columns: user mapping, then exact names, then aliases.

    ``auto=False`` (derived tables) uses the user mapping only.
    """
    table = TABLES[tname]
    claimed: dict[str, tuple[str, str]] = {}  # column -> (header, how)
    used_headers: set[str] = set()
    if spec:
        for src, targets in spec.columns.items():
            for t in targets:
                claimed.setdefault(t, (src, "user"))
            used_headers.add(src)
    by_norm = {}
    for h in headers:
        by_norm.setdefault(_norm(h), h)
    for how in ("exact", "alias") if auto else ():
        for c in table.columns:
            if c.name in claimed:
                continue
            names = [c.name] if how == "exact" else list(c.aliases)
            for n in names:
                h = by_norm.get(_norm(n))
                if h is not None and h not in used_headers:
                    claimed[c.name] = (h, how)
                    used_headers.add(h)
                    break
    return claimed, [h for h in headers if h not in used_headers]


def _build_table(tname, raw, file, spec, log, *, derived=False):
    """Mapped and parsed table (index = file row numbers) plus its mapping rows."""
    spec = spec or TableSpec()
    key = f"tables.{tname}.columns"
    missing_src = [s for s in spec.columns if s not in raw.columns]
    if missing_src:
        log.add(
            "fatal",
            tname,
            file,
            missing_src[0],
            "missing_source_column",
            [],
            f"the mapping file names header {missing_src[0]!r} ({key}) but {file} has "
            f"no such column (headers: {', '.join(map(str, raw.columns[:12]))})",
            "a header of the file",
            n_rows=0,
        )
    claimed, unused = _match_columns(tname, list(raw.columns), spec, auto=not derived)
    claimed = {c: v for c, v in claimed.items() if v[0] in raw.columns}
    mapping = [
        {"table": tname, "file": file, "source_column": h, "column": c, "how": how}
        for c, (h, how) in claimed.items()
    ]
    if not derived:
        mapping += [
            {"table": tname, "file": file, "source_column": h, "column": "", "how": "unused"}
            for h in unused
        ]
    # blank lines (every cell empty) are skipped silently
    if not derived:
        raw = raw[raw.notna().any(axis=1).to_numpy()]
    keep = np.ones(len(raw), dtype=bool)
    for c in spec.drop_if_empty:
        if c in claimed:
            empty = _as_text(raw[claimed[c][0]]).isna().to_numpy()
            log.add_mask(
                "warning",
                tname,
                file,
                c,
                "dropped_empty",
                raw,
                empty & keep,
                lambda idx, c=c: f"{len(idx):,} line(s) without {c} dropped (drop_if_empty)",
                f"a {c} on every line",
            )
            keep &= ~empty
    raw = raw[keep]
    frame = pd.DataFrame(index=raw.index)
    for c in TABLES[tname].column_names:
        if c in claimed:
            frame[c] = _parse_column(
                log, tname, file, c, raw[claimed[c][0]], spec.date_format.get(c)
            )
    for c, expr in spec.compute.items():

        def lookup(name, frame=frame, raw=raw, c=c, expr=expr):
            if name in frame.columns and TABLES[tname].column(name).kind in ("number", "integer"):
                return frame[name].to_numpy(dtype=float, na_value=np.nan)
            if name in raw.columns:
                values = _parse_numbers(raw[name])
                bad = raw[name].notna().to_numpy() & values.isna().to_numpy()
                log.add_mask(
                    "fatal",
                    tname,
                    file,
                    name,
                    "not_a_number",
                    raw,
                    bad,
                    f"{int(bad.sum()):,} value(s) used in {c} = {expr} are not "
                    f"numbers, e.g. {_example(raw[name], bad)}",
                    "a number",
                )
                return values.to_numpy(dtype=float, na_value=np.nan)
            raise MappingError(
                f"mapping file {spec.origin}: tables.{tname}.compute.{c}: {name!r} is neither a "
                f"numeric column of {tname} nor a header of {file}"
            )

        frame[c] = np.asarray(_evaluate(expr, lookup), dtype=float) * np.ones(len(frame))
        mapping.append(
            {"table": tname, "file": file, "source_column": f"= {expr}", "column": c, "how": "user"}
        )
    if spec.returns:
        rcol, prefix = spec.returns["column"], spec.returns["prefix"]
        if rcol not in raw.columns:
            log.add(
                "fatal",
                tname,
                file,
                rcol,
                "missing_source_column",
                [],
                f"returns.invoice_prefix.column {rcol!r} is not a header of {file}",
                "a header of the file",
                n_rows=0,
            )
        else:
            text = _as_text(raw[rcol])
            is_return = (text.notna() & text.str.startswith(prefix)).to_numpy(dtype=bool)
            for c in ("quantity", "revenue", "cost"):
                if c in frame.columns:
                    frame.loc[is_return, c] = -frame.loc[is_return, c].abs()
    return frame, mapping


def _derive(tname, source_raw, file, spec, log):
    frame, mapping = _build_table(tname, source_raw, file, spec, log, derived=True)
    key = [k for k in TABLES[tname].key if k in frame.columns]
    if not key:
        return frame, mapping
    frame = frame[frame[key].notna().all(axis=1).to_numpy()]
    others = [c for c in frame.columns if c not in key]
    if others:
        varying = frame.groupby(key, sort=False)[others].nunique()
        for c in others:
            n = int((varying[c] > 1).sum())
            if n:
                ex = ", ".join(map(str, varying.index[varying[c] > 1][:3]))
                log.add(
                    "warning",
                    tname,
                    file,
                    c,
                    "inconsistent_values",
                    [],
                    f"{n:,} {key[0]} value(s) have several {c} values in {file} (e.g. {ex}); "
                    "the first one is used",
                    f"one {c} per {'/'.join(key)}",
                    n_rows=n,
                )
    return frame[~frame.duplicated(key).to_numpy()], mapping


# --------------------------------------------------------------------------------------------
# the loader


def _resolve(path: Path, folder: Path, mapping_dir: Path | None, key: str, mapping) -> Path:
    for base in (folder, mapping_dir):
        if base is not None and (base / path).is_file():
            return base / path
    if path.is_absolute() and path.is_file():
        return path
    raise MappingError(f"mapping file {mapping}: {key}: file {str(path)!r} not found in {folder}")


def load_dataset(path, mapping=None, *, period=None, strict=True) -> Dataset:
    """Read, map, parse and validate a client's files into a :class:`~ars_analysis.dataset.Dataset`.

    Parameters
    ----------
    path : str or Path
        A folder of client files, or a single order-lines file (with ``mapping``; it feeds the
        sales table unless the mapping says otherwise).
    mapping : str or Path, optional
        A YAML mapping file (format in ``data/README.md``).
    period : (start, end), optional
        Analysis period; sales lines outside it are reported (warning) and dropped.
    strict : bool
        Raise :class:`DataValidationError` when a fatal problem is found. With ``strict=False``
        the dataset is returned and fatal problems are in ``.quality``.

    Returns
    -------
    Dataset
        ``.tables`` (canonical columns, parsed: ids/text as strings, numbers as float, dates as
        datetime64), ``.quality`` (every problem found), ``.mapping`` (how each source column was
        matched: exact/alias/user, or unused).

    Raises
    ------
    DataValidationError
        ``strict=True`` and fatal problems; the message lists them all, ``.quality`` has them.
    MappingError
        The mapping file is wrong (names the file and the key).
    FileNotFoundError
        ``path`` does not exist.
    """
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    specs = read_mapping(mapping) if mapping is not None else {}
    mapping_dir = Path(mapping).parent if mapping is not None else None
    folder = path.parent if path.is_file() else path
    log = QualityLog()

    assigned: dict[str, Path] = {}
    for tname, spec in specs.items():
        if spec.file:
            assigned[tname] = _resolve(
                Path(spec.file), folder, mapping_dir, f"tables.{tname}.file", mapping
            )
    derived = {t for t, s in specs.items() if s.derive_from}
    if path.is_file():
        if path.resolve() not in {p.resolve() for p in assigned.values()}:
            stem_table = _TABLE_NAMES.get(_norm(path.stem))
            target = stem_table if stem_table and stem_table not in assigned else "sales"
            if target not in assigned and target not in derived:
                assigned[target] = path
        candidates = []
    else:
        candidates = sorted(
            p
            for p in path.iterdir()
            if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith((".", "~$"))
        )
    taken = {p.resolve() for p in assigned.values()}
    by_stem: dict[str, list[Path]] = {}
    for p in candidates:
        if p.resolve() in taken:
            continue
        tname = _TABLE_NAMES.get(_norm(p.stem))
        if tname is None or tname in assigned or tname in derived:
            log.add(
                "warning",
                tname or "",
                p.name,
                "",
                "unused_file",
                [],
                f"{p.name} was not loaded: "
                + (
                    f"{tname} comes from {assigned[tname].name}"
                    if tname in assigned
                    else f"{tname} is derived in the mapping file"
                    if tname in derived
                    else "its name matches no contract table"
                ),
                "file names like " + ", ".join(f"{t}.csv" for t in TABLES),
                n_rows=0,
            )
            continue
        by_stem.setdefault(tname, []).append(p)
    for tname, paths in by_stem.items():
        if len(paths) > 1:
            log.add(
                "fatal",
                tname,
                ", ".join(p.name for p in paths),
                "",
                "ambiguous_file",
                [],
                f"{len(paths)} files could feed {tname}: " + ", ".join(p.name for p in paths),
                "one file per table",
                n_rows=0,
            )
        assigned[tname] = paths[0]

    raws: dict[Path, pd.DataFrame] = {}
    tables: dict[str, pd.DataFrame] = {}
    mapping_rows: list[dict] = []
    files: dict[str, Path] = {}
    for tname in TABLES:
        if tname not in assigned:
            continue
        p = assigned[tname]
        spec = specs.get(tname)
        if p not in raws:
            raws[p], _ = _read_file(
                p, sheet=spec.sheet if spec else None, encoding=spec.encoding if spec else None
            )
        frame, rows = _build_table(tname, raws[p], p.name, spec, log)
        tables[tname] = frame
        mapping_rows += rows
        files[tname] = p
    for tname in TABLES:
        if tname not in derived:
            continue
        source = specs[tname].derive_from
        if source not in tables:
            raise MappingError(
                f"mapping file {mapping}: tables.{tname}.derive_from: table {source!r} has no file"
            )
        p = files[source]
        raw = raws[p].loc[tables[source].index]
        frame, rows = _derive(tname, raw, p.name, specs[tname], log)
        tables[tname] = frame
        mapping_rows += rows
        files[tname] = p

    if period is not None:
        period = tuple(period)
    tables, quality = validate(
        tables, {k: v.name for k, v in files.items()}, period=period, unparsed=log.unparsed
    )
    load_log = log.frame()
    if len(load_log):
        quality = pd.concat([load_log, quality], ignore_index=True)
        order = quality["severity"].map({"fatal": 0, "warning": 1}).to_numpy()
        quality = quality.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
    tables = {k: v.reset_index(drop=True) for k, v in tables.items()}
    mapping_frame = pd.DataFrame(mapping_rows, columns=MAPPING_COLUMNS)
    dataset = Dataset(tables, quality=quality, mapping=mapping_frame, source=folder, files=files)
    fatal = quality[quality["severity"] == "fatal"]
    if strict and len(fatal):
        raise DataValidationError(
            f"{len(fatal)} fatal data problem(s) in {path}:\n"
            + format_quality(fatal)
            + "\nFix the files (or the mapping file) and load again; "
            "load_dataset(..., strict=False) returns the data with the problems in .quality.",
            quality,
        )
    return dataset


# --------------------------------------------------------------------------------------------
# CLI


def format_mapping(mapping: pd.DataFrame) -> str:
    """The applied mapping as readable text: one line per table, then the non-exact matches."""
    lines = []
    for (table, file), grp in mapping.groupby(["table", "file"], sort=False):
        used = grp[grp["how"] != "unused"]
        counts = used["how"].value_counts()
        how = ", ".join(f"{n} {h}" for h, n in counts.items())
        lines.append(f"{table} <- {file}: {len(used)} column(s) ({how})")
        for r in used[used["how"] != "exact"].itertuples(index=False):
            lines.append(f"    {r.column:<16} <- {r.source_column}  [{r.how}]")
        unused = grp.loc[grp["how"] == "unused", "source_column"].tolist()
        if unused:
            lines.append(f"    not used: {', '.join(map(str, unused))}")
    return "\n".join(lines)


def _cli_validate(args) -> int:
    period = None
    if args.start or args.end:
        period = (args.start, args.end)
    try:
        ds = load_dataset(args.path, args.mapping, period=period, strict=False)
    except (MappingError, FileNotFoundError) as exc:
        print(f"error: {exc}")
        return 1
    print("Applied mapping")
    print("===============")
    print(format_mapping(ds.mapping))
    print()
    sizes = ", ".join(f"{k} {len(v):,}" for k, v in ds.tables.items())
    print(f"Rows loaded: {sizes}")
    print()
    print("Data quality")
    print("============")
    n_fatal = int((ds.quality["severity"] == "fatal").sum())
    n_warn = int((ds.quality["severity"] == "warning").sum())
    if len(ds.quality):
        print(format_quality(ds.quality))
    print(f"\n{n_fatal} fatal problem(s), {n_warn} warning(s).")
    return 1 if n_fatal else 0


def add_cli(subparsers) -> None:
    """Add ``ars validate PATH [--mapping FILE] [--start D] [--end D]``."""
    p = subparsers.add_parser(
        "validate",
        help="load client files, show the column mapping and the data-quality report",
        description="Load a folder of client files (or one order-lines file with --mapping), "
        "print how columns were matched to the data contract and every data-quality problem. "
        "Exit status 1 when a fatal problem is found.",
    )
    p.add_argument("path", help="folder of client files, or one order-lines file")
    p.add_argument("--mapping", "-m", default=None, help="YAML mapping file (see data/README.md)")
    p.add_argument("--start", default=None, help="first day of the analysis period (YYYY-MM-DD)")
    p.add_argument("--end", default=None, help="last day of the analysis period (YYYY-MM-DD)")
    p.set_defaults(func=_cli_validate)
