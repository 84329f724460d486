"""The column-mapping file: which client file and column feeds which contract column (:func:`read_mapping`)."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import yaml
from pydantic import AfterValidator, field_validator, model_validator

from ars_analysis.config import ConfigError, ConfigModel, problem, suggest, validate_config
from ars_analysis.data.contract import TABLES

__all__ = ["MappingError", "read_mapping"]


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


def _header_row(hr):
    ok = (
        hr is None
        or (isinstance(hr, int) and not isinstance(hr, bool) and hr >= 1)
        or (
            isinstance(hr, list)
            and len(hr) == 2
            and all(isinstance(x, int) and not isinstance(x, bool) for x in hr)
            and hr[0] >= 1
            and hr[1] == hr[0] + 1
        )
    )
    if not ok:
        raise problem(
            "",
            "the row number of the header (e.g. 3) or two consecutive rows of a two-row "
            "header (e.g. [3, 4])",
            hr,
        )
    return hr


class _Returns(ConfigModel):
    invoice_prefix: dict[str, Any]

    @field_validator("invoice_prefix")
    @classmethod
    def _rule(cls, v):
        if not {"column", "prefix"} <= set(v):
            raise problem("", "{column: <header>, prefix: <text>}", v)
        return v


class TableEntry(ConfigModel):
    """What a mapping file says about one contract table (``tables.<table>``)."""

    file: str | None = None
    sheet: str | int | None = None
    encoding: str | None = None
    header_row: Annotated[Any, AfterValidator(_header_row)] = None
    columns: dict[Any, Any] | None = None
    date_format: str | dict[str, Any] | None = None
    compute: dict[str, Any] | None = None
    drop_if_empty: str | list[str] | None = None
    returns: _Returns | None = None
    derive_from: str | None = None
    keep: Literal["first", "most_frequent"] = "first"


class MappingFile(ConfigModel):
    """A column-mapping file: ``tables:`` with one entry per contract table (``data/README.md``)."""

    tables: dict[str, TableEntry | None]

    @field_validator("tables", mode="before")
    @classmethod
    def _known_tables(cls, v):
        if not isinstance(v, dict):
            raise problem("", "a mapping of contract table names to their settings", v)
        for t in v:
            if t not in TABLES:
                raise problem(
                    str(t), f"a contract table (one of {list(TABLES)})", t, suggest(t, TABLES)
                )
        return v

    @model_validator(mode="after")
    def _contract(self):
        for tname, e in self.tables.items():
            key = f"tables.{tname}"
            e = e or TableEntry()
            table = TABLES[tname]
            cols = ", ".join(table.column_names)
            if "keep" in e.model_fields_set and not e.derive_from:
                raise problem(f"{key}.keep", "'keep' only on a table with 'derive_from'", e.keep)
            for src, target in (e.columns or {}).items():
                for t in target if isinstance(target, list) else [target]:
                    if t not in table.column_names:
                        raise problem(f"{key}.columns.{src}", f"a column of {tname} ({cols})", t)
            date_cols = [c.name for c in table.columns if c.kind in ("date", "datetime")]
            if isinstance(e.date_format, dict):
                for c in e.date_format:
                    if c not in date_cols:
                        raise problem(f"{key}.date_format.{c}", f"a date column of {tname}", c)
            for c, expr in (e.compute or {}).items():
                if c not in table.column_names:
                    raise problem(f"{key}.compute.{c}", f"a column of {tname} ({cols})", c)
                try:
                    _parse_expression(str(expr))
                except ValueError as exc:
                    raise problem(f"{key}.compute.{c}", f"an expression ({exc})", expr) from None
            drop = [e.drop_if_empty] if isinstance(e.drop_if_empty, str) else e.drop_if_empty
            for c in drop or []:
                if c not in table.column_names:
                    raise problem(f"{key}.drop_if_empty", f"columns of {tname} ({cols})", c)
            if e.returns is not None and tname != "sales":
                raise problem(f"{key}.returns", "returns only in the sales table", tname)
            if e.derive_from is not None and e.derive_from not in TABLES:
                raise problem(f"{key}.derive_from", "a contract table", e.derive_from)
            if e.derive_from is not None and e.file is not None:
                raise problem(key, "either 'file' or 'derive_from', not both", None)
        for tname, e in self.tables.items():
            src = self.tables.get(e.derive_from) if e and e.derive_from else None
            if src is not None and src.derive_from:
                raise problem(
                    f"tables.{tname}.derive_from", "a table that is not derived itself",
                    e.derive_from,
                )  # fmt: skip
        return self


def read_mapping(path) -> dict[str, TableSpec]:
    """Read and check a mapping file (YAML, format in ``data/README.md``; model
    :class:`MappingFile`).

    Raises
    ------
    MappingError
        Bad YAML, an unknown table, column or key; the message names the file, the key path
        and what was expected.

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
    except (yaml.YAMLError, ValueError) as exc:
        raise MappingError(f"{path}: not valid YAML: {exc}") from exc
    except OSError as exc:
        raise MappingError(f"mapping file {path}: cannot be read: {exc}") from exc
    if not isinstance(data, dict) or "tables" not in data:
        raise MappingError(
            f"{path}: tables: expected the file to start with 'tables:' (one entry per "
            f"contract table), got {sorted(data) if isinstance(data, dict) else data!r}"
        )
    f = validate_config(data, MappingFile, source=str(path), error=MappingError)
    specs: dict[str, TableSpec] = {}
    for tname, e in f.tables.items():
        e = e or TableEntry()
        table = TABLES[tname]
        date_cols = [c.name for c in table.columns if c.kind in ("date", "datetime")]
        if isinstance(e.date_format, str):
            date_format = dict.fromkeys(date_cols, e.date_format)
        else:
            date_format = {c: str(v) for c, v in (e.date_format or {}).items()}
        drop = [e.drop_if_empty] if isinstance(e.drop_if_empty, str) else e.drop_if_empty
        specs[tname] = TableSpec(
            file=e.file,
            sheet=e.sheet,
            encoding=e.encoding,
            header_row=e.header_row,
            columns={
                str(src): list(t if isinstance(t, list) else [t])
                for src, t in (e.columns or {}).items()
            },
            date_format=date_format,
            compute={c: str(x) for c, x in (e.compute or {}).items()},
            drop_if_empty=list(drop or []),
            returns=None
            if e.returns is None
            else {
                "column": str(e.returns.invoice_prefix["column"]),
                "prefix": str(e.returns.invoice_prefix["prefix"]),
            },
            derive_from=e.derive_from,
            keep=e.keep,
            origin=str(path),
        )
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
