"""Load a client's exports into the contract tables: read, map columns, parse, validate.

:func:`load_dataset` reads a folder of CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), Excel
(``.xlsx``, ``.xls``; every sheet with the first sheet's headers) and Parquet files. Each file
feeds the contract table named by its file stem (the table name or one of its aliases, e.g.
``经销商.xlsx`` -> customers, ``销售明细.csv`` -> sales) or by a mapping file. Headers are matched to
contract columns by canonical name, then by
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
import unicodedata
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
    short_repr,
    validate,
)

__all__ = ["DataValidationError", "MappingError", "add_cli", "load_dataset", "read_mapping"]

#: File types read by :func:`load_dataset`.
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq")

#: Encodings tried, in order, for CSV files without an ``encoding`` in the mapping file.
ENCODINGS = ("utf-8-sig", "gb18030")

#: Values read as empty.
NA_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "-", "--"]

#: Cells that mark a totals line (合计 row) of an export; such lines are dropped (warning).
TOTALS_LABELS = sorted(
    {
        v
        for w in (
            "合计",
            "总计",
            "小计",
            "汇总",
            "总合计",
            "本页合计",
            "累计合计",
            "合 计",
            "总 计",
        )
        for v in (w, w + ":", w + "：", " " + w, w + " ")
    }
    | {
        v
        for w in ("total", "grand total", "subtotal", "sub total", "sum", "totals")
        for v in (w, w.title(), w.upper(), w.capitalize(), w + ":", w.title() + ":")
    }
)

_TABLE_KEYS = {
    "file",
    "sheet",
    "encoding",
    "header_row",
    "columns",
    "date_format",
    "compute",
    "drop_if_empty",
    "returns",
    "derive_from",
    "keep",
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
    header_row: int | list[int] | None = None
    columns: dict[str, list[str]] = field(default_factory=dict)
    date_format: dict[str, str] = field(default_factory=dict)
    compute: dict[str, str] = field(default_factory=dict)
    drop_if_empty: list[str] = field(default_factory=list)
    returns: dict | None = None
    derive_from: str | None = None
    keep: str = "first"  # derived tables: which value when an ID has several ("most_frequent")
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
        keep = entry.get("keep", "first")
        if keep not in ("first", "most_frequent"):
            _fail(path, f"{key}.keep", f"expected 'first' or 'most_frequent', got {keep!r}")
        if "keep" in entry and not spec.derive_from:
            _fail(path, f"{key}.keep", "only a table with 'derive_from' has values to keep")
        spec.keep = keep
        hr = entry.get("header_row")
        if hr is not None:
            ok = (isinstance(hr, int) and not isinstance(hr, bool) and hr >= 1) or (
                isinstance(hr, list)
                and len(hr) == 2
                and all(isinstance(x, int) and not isinstance(x, bool) for x in hr)
                and hr[0] >= 1
                and hr[1] == hr[0] + 1
            )
            if not ok:
                _fail(
                    path,
                    f"{key}.header_row",
                    f"expected the row number of the header (e.g. 3) or two consecutive rows of "
                    f"a two-row header (e.g. [3, 4]), got {hr!r}",
                )
            spec.header_row = hr
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

#: How many rows at the top of a file are searched for the header row.
HEADER_SEARCH_ROWS = 30

#: Delimiters recognised in CSV files (the most consistent one on the first lines wins).
DELIMITERS = (",", ";", "\t", "|")


class FileProblem(ValueError):
    """A file that cannot be read as a table: ``check`` is ``empty_file`` or ``unreadable_file``."""

    def __init__(self, check: str, message: str):
        super().__init__(message)
        self.check = check


def _known_headers(extra=()) -> set[str]:
    names = {_norm(c.name) for t in TABLES.values() for c in t.columns}
    names |= {_norm(a) for t in TABLES.values() for c in t.columns for a in c.aliases}
    return names | {_norm(h) for h in extra}


def _combine_headers(upper: list[str], lower: list[str]) -> list[str]:
    """Two header rows as one: merged cells of the upper row cover the cells to their right."""
    out, last = [], ""
    for i in range(max(len(upper), len(lower))):
        u = upper[i] if i < len(upper) else ""
        low = lower[i] if i < len(lower) else ""
        if u:
            last = u
        elif low:
            u = last
        out.append(f"{u}{low}" if u and low and u != low else (u or low))
    return out


def _find_header(rows: list[list[str]], known: set[str]) -> tuple[int, int]:
    """(0-based row of the header, number of header rows: 1 or 2) among the first ``rows``.

    The header is the row (or pair of rows, for two-row headers with merged cells) whose cells
    match the most contract headers or mapping-file headers; a title block above it ("XX公司2024年
    销售明细" and a blank line) is skipped. Without any match, the first row is the header.
    """
    rows = [[str(c).strip() if c is not None else "" for c in r] for r in rows]

    def score(names):
        return sum(1 for n in names if n and _norm(n) in known)

    best, best_score = (0, 1), score(rows[0]) if rows else 0
    for i, row in enumerate(rows):
        filled = sum(1 for c in row if c)
        if filled == 0:
            continue
        single = score(row)
        if single > best_score:
            best, best_score = (i, 1), single
        if i + 1 < len(rows) and filled < len(row):
            both = score(_combine_headers(row, rows[i + 1]))
            if both > max(best_score, single, score(rows[i + 1])):
                best, best_score = (i, 2), both
    return best


def _header_names(rows: list[list[str]], first: int, n: int, width: int) -> list[str]:
    cells = [[str(c).strip() if c is not None else "" for c in r] for r in rows[first : first + n]]
    names = cells[0] if n == 1 else _combine_headers(cells[0], cells[1])
    names = (names + [""] * width)[:width]
    out, seen = [], {}
    for i, name in enumerate(names):
        name = name or f"Unnamed: {i}"
        k = seen.get(name, 0)
        seen[name] = k + 1
        out.append(name if k == 0 else f"{name}.{k}")
    return out


def _detect_sep(text: str) -> str:
    """The delimiter of a CSV: the candidate that splits the first lines most consistently."""
    lines = [ln for ln in text.splitlines()[:HEADER_SEARCH_ROWS] if ln.strip()]
    lines = [re.sub(r'"[^"]*"', "", ln) for ln in lines]
    best, best_score = ",", 0
    for sep in DELIMITERS:
        counts = [ln.count(sep) for ln in lines if ln.count(sep)]
        if not counts:
            continue
        mode = max(set(counts), key=counts.count)
        score = counts.count(mode) * (1 + (mode > 0))
        if score > best_score:
            best, best_score = sep, score
    return best


def _header_spec(header_row) -> tuple[int, int] | None:
    """Mapping file ``header_row`` (1-based row or [row, row + 1]) as (0-based row, n rows)."""
    if header_row is None:
        return None
    rows = header_row if isinstance(header_row, list) else [header_row]
    return int(rows[0]) - 1, len(rows)


def _read_csv_bytes(data: bytes, encoding: str, sep, header=(0, 1), names=None) -> pd.DataFrame:
    options = dict(dtype=str, encoding=encoding, keep_default_na=False, na_values=NA_VALUES)
    first, n = header
    if header != (0, 1):
        return pd.read_csv(
            io.BytesIO(data),
            sep=sep,
            engine="c",
            skip_blank_lines=False,
            skiprows=first + n,
            header=None,
            names=names,
            index_col=False,
            **options,
        )
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


def _read_csv(path: Path, encoding, header_row, known) -> tuple[pd.DataFrame, str, int]:
    data = path.read_bytes()
    used = encoding or _detect_encoding(data, path)
    head = data[: 1 << 16].decode(used, errors="ignore")
    blank = " \t\r\n\ufeff\u3000\x00"
    if not head.strip(blank) and not data.decode(used, errors="ignore").strip(blank):
        raise FileProblem(
            "empty_file",
            f"{path.name} is empty ({len(data)} bytes, no header and no data); "
            "export the table again",
        )
    sep = _detect_sep(head)
    import csv

    lines = head.splitlines()[: HEADER_SEARCH_ROWS + 2]
    rows = list(csv.reader(lines, delimiter=sep))
    first, n = _header_spec(header_row) or _find_header(rows, known)
    if first + n > len(rows):
        raise FileProblem(
            "unreadable_file",
            f"{path.name}: header_row {header_row} is beyond the first rows of the file",
        )
    width = max((len(r) for r in rows[first:]), default=0)
    names = _header_names(rows, first, n, width) if (first, n) != (0, 1) else None
    try:
        frame = _read_csv_bytes(data, used, sep, header=(first, n), names=names)
    except pd.errors.EmptyDataError:
        raise FileProblem(
            "empty_file", f"{path.name} has no header row; export the table again"
        ) from None
    except (pd.errors.ParserError, ValueError) as exc:
        raise FileProblem(
            "unreadable_file",
            f"{path.name} cannot be read as a table ({str(exc).strip()[:200]}); check the "
            f"delimiter ({sep!r} detected) and quotes, or save it again from Excel",
        ) from None
    return frame, used, first + n + 1


_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED = "EncryptionInfo".encode("utf-16-le")


def _excel_engine(path: Path) -> str:
    """Engine for ``path`` from its first bytes; a :class:`FileProblem` for what cannot be read."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if not head:
        raise FileProblem("empty_file", f"{path.name} is empty (0 bytes); export it again")
    if head.startswith(b"PK\x03\x04"):
        return "openpyxl"
    if head.startswith(_OLE2):
        data = path.read_bytes()
        if _ENCRYPTED in data or b"EncryptedPackage" in data.replace(b"\x00", b""):
            raise FileProblem(
                "unreadable_file",
                f"{path.name} is a password-protected (encrypted) workbook; open it in Excel and "
                "save a copy without password (File > Info > Protect Workbook > Encrypt with "
                "Password: empty)",
            )
        try:
            import python_calamine  # noqa: F401
        except ImportError:
            raise FileProblem(
                "unreadable_file",
                f"{path.name} is an old Excel 97-2003 workbook (.xls format); save it as .xlsx",
            ) from None
        return "calamine"
    kind = "an HTML page" if head.lstrip().lower().startswith((b"<", b"\xef\xbb\xbf<")) else "text"
    raise FileProblem(
        "unreadable_file",
        f"{path.name} is not an Excel workbook (its content looks like {kind}); open it in "
        "Excel and save it as .xlsx, or as .csv",
    )


def _read_excel(path: Path, sheet, header_row, known, log) -> tuple[pd.DataFrame, int]:
    engine = _excel_engine(path)
    try:
        sheets = pd.read_excel(
            path,
            sheet_name=None if sheet is None else sheet,
            header=None,
            dtype=str,
            keep_default_na=False,
            na_values=NA_VALUES,
            engine=engine,
        )
    except (ValueError, KeyError) as exc:
        if sheet is not None and ("not found" in str(exc) or "out of bounds" in str(exc)):
            raise FileProblem(
                "unreadable_file", f"{path.name}: sheet {sheet!r} not found"
            ) from None
        raise FileProblem(
            "unreadable_file",
            f"{path.name} is damaged or incomplete and cannot be read ({type(exc).__name__}); "
            "open it in Excel and save it again",
        ) from None
    except Exception as exc:  # noqa: BLE001 - zip/xml/xlrd errors of a truncated workbook
        raise FileProblem(
            "unreadable_file",
            f"{path.name} is damaged or incomplete (truncated?) and cannot be read "
            f"({type(exc).__name__}); open it in Excel and save it again",
        ) from None
    if not isinstance(sheets, dict):
        sheets = {sheet: sheets}
    parts, names, start = [], None, 0
    for sname, raw in sheets.items():
        raw = raw.dropna(how="all", axis=1)
        if raw.empty:
            continue
        rows = raw.head(HEADER_SEARCH_ROWS + 2).fillna("").to_numpy().tolist()
        first, n = _header_spec(header_row) or _find_header(rows, known)
        these = _header_names(rows, first, n, raw.shape[1])
        body = raw.iloc[first + n :]
        body.columns = these
        if names is None:
            names, start = these, first + n + 1
            parts.append(body)
        elif [_norm(h) for h in these] == [_norm(h) for h in names]:
            parts.append(body.set_axis(names, axis=1))
        elif log is not None:
            log.add(
                "warning",
                "",
                path.name,
                "",
                "unused_file",
                [],
                f"sheet {sname!r} of {path.name} was not read: its headers differ from the "
                "first sheet's",
                "one sheet, or sheets with the same headers (give 'sheet' in the mapping file)",
                n_rows=0,
            )
    if names is None:
        raise FileProblem("empty_file", f"{path.name} has no data in any sheet; export it again")
    frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
    return frame.reset_index(drop=True), start


def _read_file(
    path: Path, sheet=None, encoding=None, header_row=None, extra_headers=(), log=None
) -> tuple[pd.DataFrame, str | None]:
    """Read a file with every column as text; index = row number in the file (header = 1).

    The header row is found among the first rows (a title block above it is skipped) unless
    ``header_row`` (1-based, or two rows ``[r, r + 1]`` to combine) is given. A workbook without
    ``sheet`` is read across all its sheets that have the same headers as the first one (rows are
    then numbered on across the sheets). Raises :class:`FileProblem` for an empty or unreadable
    file.
    """
    suffix = path.suffix.lower()
    used = None
    known = _known_headers(extra_headers)
    if suffix in (".csv", ".txt"):
        frame, used, start = _read_csv(path, encoding, header_row, known)
    elif suffix in (".xlsx", ".xlsm", ".xls"):
        frame, start = _read_excel(path, sheet, header_row, known, log)
    elif suffix in (".parquet", ".pq"):
        try:
            frame = pd.read_parquet(path)
        except Exception as exc:  # noqa: BLE001 - empty, truncated, not parquet
            raise FileProblem(
                "empty_file" if path.stat().st_size == 0 else "unreadable_file",
                f"{path.name} cannot be read as Parquet ({type(exc).__name__}); export it again",
            ) from None
        start = 2
    else:
        raise ValueError(f"{path.name}: unsupported file type {suffix!r} (use {SUFFIXES})")
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(start, start + len(frame))
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
    return ", ".join(short_repr(v) for v in pd.unique(values[mask])[:3])


def _normalise_ids(values: pd.Series) -> pd.Series:
    """Full-width and compatibility characters in ids as plain ones: ``Ｔ００１`` -> ``T001``."""
    uniques = pd.unique(values.dropna())
    table = {}
    for v in uniques:
        if not v.isascii():
            norm = unicodedata.normalize("NFKC", v).strip()
            if norm != v:
                table[v] = norm
    if not table:
        return values
    mask = values.isin(list(table)).to_numpy()
    out = values.copy()
    out[mask] = values[mask].map(table)
    return out


_CN_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(?:(\d{1,2})\s*日)?")


def _guess_format(text: pd.Series) -> str | None:
    """The most common format guessed from the first distinct values (None if no guess)."""
    sample = pd.unique(text.dropna())[:25]
    guesses = [guess_datetime_format(str(v)) for v in sample]
    guesses = [g for g in guesses if g]
    return max(set(guesses), key=guesses.count) if guesses else None


#: Dates outside [PLAUSIBLE_FROM, today + PLAUSIBLE_YEARS_AHEAD years] are typos (2205-01-15),
#: placeholders (1900-01-01, 9999-12-31) or shifted exports (2032): fatal ``implausible_date``.
PLAUSIBLE_FROM = "1980-01-01"
PLAUSIBLE_YEARS_AHEAD = 1

_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T].*)?$")
_EXCEL_SERIAL = re.compile(r"^\d{5}(?:\.\d+)?$")


def plausible_range() -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last date accepted (see :data:`PLAUSIBLE_FROM`)."""
    today = pd.Timestamp.today().normalize()
    return pd.Timestamp(PLAUSIBLE_FROM), today + pd.DateOffset(years=PLAUSIBLE_YEARS_AHEAD)


def _date_order(uniques: np.ndarray) -> tuple[bool | None, list[str]]:
    """Day-first (True), month-first (False) or None for ``dd/mm/yyyy``-like values.

    Decided from the data: a first number above 12 means day first, a second number above 12
    means month first. Returns (None, examples) when the data cannot decide (every day <= 12)
    or contradicts itself; ``(None, [])`` when there are no such values.
    """
    firsts, seconds, examples = [], [], []
    for v in uniques:
        m = _NUMERIC_DATE.match(str(v))
        if m:
            a, b = int(m[1]), int(m[3])
            firsts.append(a)
            seconds.append(b)
            if a != b and len(examples) < 3:
                examples.append(str(v))
    if not firsts:
        return None, []
    day_first = max(firsts) > 12
    month_first = max(seconds) > 12
    if day_first != month_first:
        return day_first, []
    if not day_first and not examples:  # 01/01/2025 reads the same both ways
        return False, []
    return None, examples


def _parse_dates(raw: pd.Series, fmt: str | None) -> tuple[pd.Series, dict | None]:
    """Dates (datetime64[us]) and an order problem (dd/mm vs mm/dd undecidable) or None."""
    if pd.api.types.is_datetime64_any_dtype(raw):
        return raw.astype("datetime64[us]"), None
    text = _as_text(raw)
    problem = None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        guess = fmt
        if fmt is None:
            uniques = pd.unique(text.dropna())
            day_first, examples = _date_order(uniques[:200_000])
            if examples:
                problem = {"examples": examples}
            elif day_first is not None:
                sample = [v for v in uniques[:200] if _NUMERIC_DATE.match(str(v))][:25]
                guesses = [guess_datetime_format(str(v), dayfirst=day_first) for v in sample]
                guesses = [g for g in guesses if g]
                guess = max(set(guesses), key=guesses.count) if guesses else None
            else:
                guess = _guess_format(text)
        parsed = pd.to_datetime(text, format=guess, errors="coerce").astype("datetime64[us]")
        bad = text.notna() & parsed.isna()
        if bad.any() and fmt is not None:
            # Excel date cells arrive as ISO text whatever date_format says (it is for text dates)
            again = pd.to_datetime(text[bad], format="ISO8601", errors="coerce")
            parsed[bad] = again.astype("datetime64[us]")
        elif bad.any():
            # mixed formats, 2025年1月5日, Excel serial numbers (45292) in a CSV: one by one
            retry = text[bad]
            serial = retry.str.match(_EXCEL_SERIAL)
            if serial.any():
                days = pd.to_numeric(retry[serial], errors="coerce")
                parsed[serial[serial].index] = (
                    pd.Timestamp("1899-12-30") + pd.to_timedelta(days, unit="D")
                ).astype("datetime64[us]")
            retry = retry[~serial]
            if problem is not None:  # undecidable dd/mm vs mm/dd: do not guess
                retry = retry[~retry.str.match(_NUMERIC_DATE)]
            retry = retry.str.replace(_CN_DATE, lambda m: f"{m[1]}-{m[2]}-{m[3] or 1}", regex=True)
            if len(retry):
                again = pd.to_datetime(retry, format="mixed", errors="coerce")
                parsed[retry.index] = again.astype("datetime64[us]")
    if problem is not None:
        problem["mask"] = (text.str.match(_NUMERIC_DATE) & text.notna()).to_numpy(dtype=bool)
        parsed[problem["mask"]] = pd.NaT
    return parsed, problem


_NUMBER_JUNK = re.compile(r"[,\s¥￥$€£]")
_PERCENT = re.compile(r"[%％]$")


def _parse_numbers(raw: pd.Series) -> pd.Series:
    """Decimals from text: separators, currency signs, ``(12.5)`` = -12.5, ``88%`` = 0.88.

    Non-finite values (``inf``, ``Infinity``, ``1e309``) are not numbers: they come back empty,
    so that the caller reports them as unreadable.

    >>> _parse_numbers(pd.Series(["1,234.5", "¥40", "(3.5)", "88%", "inf", "1e309"])).tolist()
    [1234.5, 40.0, -3.5, 0.88, nan, nan]
    """
    if pd.api.types.is_numeric_dtype(raw) and not pd.api.types.is_bool_dtype(raw):
        out = raw.astype("float64")
        return out.where(np.isfinite(out.to_numpy(dtype="float64", na_value=np.nan)))
    text = _as_text(raw)
    parsed = None
    try:  # fast path (Arrow cast); any bad value falls back to the slow, tolerant parser
        fast = text.astype("float64[pyarrow]").to_numpy(dtype="float64", na_value=np.nan)
        parsed = pd.Series(np.array(fast, copy=True), index=text.index, name=text.name)
    except Exception:  # noqa: BLE001
        parsed = pd.to_numeric(text, errors="coerce").astype("float64")
        bad = text.notna() & parsed.isna()
        if bad.any():
            cleaned = text[bad].str.replace(_NUMBER_JUNK, "", regex=True)
            percent = cleaned.str.contains(_PERCENT)
            cleaned = cleaned.str.replace(_PERCENT, "", regex=True)
            cleaned = cleaned.str.replace(r"^\((.*)\)$", r"-\1", regex=True)  # (12.5) = -12.5
            again = pd.to_numeric(cleaned, errors="coerce").astype("float64")
            again[percent.to_numpy(dtype=bool)] /= 100.0
            parsed[bad] = again
    values = parsed.to_numpy(dtype="float64", na_value=np.nan)
    if not np.isfinite(values[~np.isnan(values)]).all():
        parsed = parsed.where(np.isfinite(values))
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
    "number": "a finite number, e.g. 1234.5, ¥1,234.50, (12.5) or 88% (= 0.88)",
    "integer": "a whole number",
    "period": "a month written YYYY-MM, e.g. 2025-01",
}


def _parse_column(log, tname, file, name, raw, fmt=None) -> pd.Series:
    col = TABLES[tname].column(name)
    kind = col.kind
    if kind in ("id", "text", "category"):
        out = _as_text(raw)
        if kind == "id":
            out = _normalise_ids(out)
        if name in CODE_ALIASES:
            out = normalise_codes(out, name)
        return out
    order_problem, implausible = None, None
    if kind in ("date", "datetime"):
        out, order_problem = _parse_dates(raw, fmt)
        lo, hi = plausible_range()
        implausible = (out.notna() & ((out < lo) | (out > hi))).to_numpy()
        out = out.where(~implausible).astype("datetime64[ns]")
        if kind == "date":
            out = out.dt.normalize()
    elif kind in ("number", "integer"):
        out = _parse_numbers(raw)
    else:
        out = _parse_period(raw)
    bad = raw.notna().to_numpy() & out.isna().to_numpy()
    if kind == "integer":
        bad |= (out.notna() & out.mod(1).ne(0)).to_numpy()
    if order_problem is not None:
        ambiguous = order_problem["mask"] & bad
        bad &= ~ambiguous
        log.unparsed.setdefault((tname, name), []).append(raw.index[ambiguous])
        ex = ", ".join(repr(v) for v in order_problem["examples"])
        log.add_mask(
            "fatal",
            tname,
            file,
            name,
            "ambiguous_date_order",
            raw,
            ambiguous,
            f"{int(ambiguous.sum()):,} date(s) such as {ex} can be read day/month or month/day "
            "and the data does not decide (or mixes both); nothing was guessed",
            f"{col.description}: give date_format in the mapping file, e.g. "
            "date_format: '%d/%m/%Y' (day first) or '%m/%d/%Y' (month first)",
        )
    if implausible is not None and implausible.any():
        bad &= ~implausible
        log.unparsed.setdefault((tname, name), []).append(raw.index[implausible])
        lo, hi = plausible_range()
        log.add_mask(
            "fatal",
            tname,
            file,
            name,
            "implausible_date",
            raw,
            implausible,
            f"{int(implausible.sum()):,} date(s) outside {lo:%Y-%m-%d} – {hi:%Y-%m-%d}, "
            f"e.g. {_example(raw, implausible)} (a typo, a placeholder or a shifted export?)",
            f"{col.description}: a real date between {lo:%Y-%m-%d} and {hi:%Y-%m-%d}",
        )
    if bad.any():
        log.unparsed.setdefault((tname, name), []).append(raw.index[bad])
        what = {"date": "date", "datetime": "date/time", "period": "month"}.get(kind, "number")
        expected = _KIND_EXPECTED[kind]
        if fmt and kind in ("date", "datetime"):
            expected = f"a date written as the mapping file's date_format {fmt!r}"
        log.add_mask(
            "fatal",
            tname,
            file,
            name,
            f"not_a_{what.replace('/', '')}",
            raw,
            bad,
            f"{int(bad.sum()):,} value(s) are not a {what}, e.g. {_example(raw, bad)}",
            f"{col.description}: {expected}",
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
    if not derived:
        label_cols = list(raw.columns[:2]) + [
            h for c, (h, _) in claimed.items() if TABLES[tname].column(c).kind in ("id", "text")
        ]
        totals = np.zeros(len(raw), dtype=bool)
        for h in dict.fromkeys(label_cols):
            col = raw[h]
            if col.dtype == object or pd.api.types.is_string_dtype(col):
                totals |= col.isin(TOTALS_LABELS).to_numpy()
        log.add_mask(
            "warning",
            tname,
            file,
            "",
            "totals_row",
            raw,
            totals & keep,
            lambda idx: f"{len(idx):,} totals line(s) (合计/总计/Total ...) dropped",
            "data lines only (no totals)",
        )
        keep &= ~totals
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

        values = np.asarray(_evaluate(expr, lookup), dtype=float) * np.ones(len(frame))
        infinite = np.isinf(values)
        if infinite.any():
            log.unparsed.setdefault((tname, c), []).append(raw.index[infinite])
            log.add_mask(
                "fatal",
                tname,
                file,
                c,
                "not_a_number",
                raw,
                infinite,
                f"{int(infinite.sum()):,} value(s) of {c} = {expr} are infinite (division by 0?)",
                "a finite number",
            )
            values = np.where(infinite, np.nan, values)
        frame[c] = values
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
    used = "the first one is used"
    if others and spec.keep == "most_frequent":
        # Each attribute takes its most frequent value per ID (ties: the first seen), e.g. the
        # region where a customer placed most of its order lines.
        used = "the most frequent one is used"
        frame = frame.reset_index(drop=True)
        for c in others:
            counts = (
                frame.assign(_order=np.arange(len(frame)))
                .groupby([*key, c], sort=False, dropna=True)["_order"]
                .agg(["size", "min"])
                .reset_index()
                .sort_values(["size", "min"], ascending=[False, True])
                .drop_duplicates(key)
            )
            best = frame[key].merge(counts[[*key, c]], on=key, how="left")[c]
            frame[f"_best_{c}"] = best.to_numpy()
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
                    f"{used}",
                    f"one {c} per {'/'.join(key)}",
                    n_rows=n,
                )
    if others and spec.keep == "most_frequent":
        for c in others:
            frame[c] = frame.pop(f"_best_{c}").astype(frame[c].dtype, errors="ignore")
    return frame[~frame.duplicated(key).to_numpy()], mapping


# --------------------------------------------------------------------------------------------
# the loader


def period_bound(value, which: str = "start") -> pd.Timestamp | None:
    """One end of an analysis period as a Timestamp (None stays None).

    Accepts what the loader accepts for dates (``2025-01-31``, ``2025/1/31``, ``2025年1月31日``,
    ``20250131``); anything else is a ``ValueError`` naming the option and the expected form.

    >>> period_bound("2025年1月5日")
    Timestamp('2025-01-05 00:00:00')
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, pd.Timestamp | np.datetime64) or hasattr(value, "year"):
        try:
            return pd.Timestamp(value)
        except (ValueError, OverflowError):
            pass
    else:
        text = str(value).strip()
        if not _NUMERIC_DATE.match(text):
            parsed, _ = _parse_dates(pd.Series([text], dtype=object), None)
            if parsed.notna().all():
                stamp = pd.Timestamp(parsed.iloc[0])
                lo, hi = plausible_range()
                if lo <= stamp <= hi + pd.DateOffset(years=50):
                    return stamp
    raise ValueError(
        f"period {which} {value!r} is not a date; expected YYYY-MM-DD, e.g. 2025-01-31 "
        f"(--{which} on the command line)"
    )


def _mapping_headers(specs, path: Path, assigned) -> list[str]:
    """Source headers the mapping file names for the tables fed by ``path`` (header search)."""
    out = []
    for tname, spec in specs.items():
        if assigned.get(tname) == path or spec.derive_from:
            out += list(spec.columns)
            if spec.returns:
                out.append(spec.returns["column"])
    return out


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
    from ars_analysis import snapshot  # in a batch (ARS_SNAPSHOT_DIR set): load once, share

    if snapshot.active():
        return snapshot.load(load_dataset, path, mapping, period=period, strict=strict)
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no such file or folder: {path}")
    if period is not None:
        period = tuple(period)
        if len(period) != 2:
            raise ValueError(f"period must be (start, end), got {period!r}")
        period = (period_bound(period[0], "start"), period_bound(period[1], "end"))
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
    unread: dict[Path, str] = {}
    tables: dict[str, pd.DataFrame] = {}
    mapping_rows: list[dict] = []
    files: dict[str, Path] = {}
    for tname in TABLES:
        if tname not in assigned:
            continue
        p = assigned[tname]
        spec = specs.get(tname)
        if p in unread:
            continue
        if p not in raws:
            try:
                raws[p], _ = _read_file(
                    p,
                    sheet=spec.sheet if spec else None,
                    encoding=spec.encoding if spec else None,
                    header_row=spec.header_row if spec else None,
                    extra_headers=_mapping_headers(specs, p, assigned),
                    log=log,
                )
            except FileProblem as exc:
                unread[p] = tname
                optional_empty = exc.check == "empty_file" and not TABLES[tname].required
                log.add(
                    "warning" if optional_empty else "fatal",
                    tname,
                    p.name,
                    "",
                    exc.check,
                    [],
                    str(exc) + ("; the optional table is left out" if optional_empty else ""),
                    f"a readable {p.suffix or 'data'} file with a header row and data lines",
                    n_rows=0,
                )
                continue
        frame, rows = _build_table(tname, raws[p], p.name, spec, log)
        tables[tname] = frame
        mapping_rows += rows
        files[tname] = p
    for tname in TABLES:
        if tname not in derived:
            continue
        source = specs[tname].derive_from
        if source not in tables and source in assigned and assigned[source] in unread:
            continue  # its file could not be read (reported)
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

    tables, quality = validate(
        tables, {k: v.name for k, v in files.items()}, period=period, unparsed=log.unparsed
    )
    unread_tables = set(unread.values()) | {
        t for t in derived if assigned.get(specs[t].derive_from) in unread
    }
    if unread_tables:  # already reported as empty/unreadable
        quality = quality[
            ~((quality["check"] == "missing_table") & quality["table"].isin(unread_tables))
        ].reset_index(drop=True)
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
    try:
        return _validate_and_print(args)
    except (MappingError, FileNotFoundError, ValueError, OSError) as exc:
        if getattr(args, "debug", False):
            raise
        print(f"error: {exc}")
        return 1
    except Exception as exc:  # noqa: BLE001 - never a traceback without --debug
        if getattr(args, "debug", False):
            raise
        print(
            f"error: {type(exc).__name__}: {short_repr(str(exc))[1:-1]}\n"
            "This is unexpected; run again with --debug for the full traceback and report it."
        )
        return 1


def _validate_and_print(args) -> int:
    period = None
    if args.start or args.end:
        period = (period_bound(args.start, "start"), period_bound(args.end, "end"))
    ds = load_dataset(args.path, args.mapping, period=period, strict=False)
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
    p.add_argument(
        "--debug", action="store_true", help="show the full traceback of an unexpected error"
    )
    p.set_defaults(func=_cli_validate)
