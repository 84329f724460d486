"""Reading client files: CSV (encoding, delimiter, header row detection) and Excel."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pandas as pd

from ars_analysis.data.contract import TABLES
from ars_analysis.data.mapping import _norm

#: File types read by :func:`load_dataset`.
SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq")

#: Encodings tried, in order, for CSV files without an ``encoding`` in the mapping file.
ENCODINGS = ("utf-8-sig", "gb18030")

#: Values read as empty.
NA_VALUES = ["", "NA", "N/A", "n/a", "NaN", "nan", "NULL", "null", "None", "#N/A", "-", "--"]

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
