"""The column-mapping file: which client file and column feeds which contract column (:func:`read_mapping`)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from ars_analysis.config import ConfigError
from ars_analysis.data.contract import TABLES

__all__ = ["MappingError", "read_mapping"]

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


class MappingError(ConfigError):
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
