"""Workbooks as a client opens them: one sheet per table, headers and sheet names in the
report's language, numbers formatted (thousands, percent, decimals), header row frozen with
filters, column widths set, names beside IDs (the tables carry them).

Uses openpyxl's own number formats, freeze panes and auto-filter; the file is written
atomically (:func:`ars_analysis.data.outputs.atomic_path`).

Examples
--------
>>> import tempfile, pathlib, pandas as pd, openpyxl
>>> from ars_analysis.presentation.tables import ReportTable
>>> t = ReportTable(pd.DataFrame({"customer_id": ["C1"], "revenue": [1234.5], "share": [0.25]}),
...                 lang="zh", title="ABC分类")
>>> path = write_workbook(pathlib.Path(tempfile.mkdtemp()) / "x.xlsx", [t])
>>> ws = openpyxl.load_workbook(path)["ABC分类"]
>>> ws["B1"].value, ws["B2"].number_format, ws["C2"].number_format, ws.freeze_panes
('销售额（元）', '#,##0', '0.0%', 'A2')
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

import pandas as pd

from ars_analysis.data.outputs import atomic_path, sheet_name
from ars_analysis.presentation.tables import PLACE_COLUMNS, ReportTable

#: Excel number format per kind of value.
NUMBER_FORMATS = {
    "int": "#,##0",
    "money": "#,##0",
    "num": "#,##0.00",
    "pct": "0.0%",
    "date": "yyyy-mm-dd",
}


def _display_width(text) -> int:
    # East-Asian wide characters take two columns.
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in str(text))


def write_workbook(path: str | os.PathLike, tables: list[ReportTable]) -> Path:
    """Write each table (its full length) to a formatted sheet named by its ``title``."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    header_fill = PatternFill("solid", fgColor="DDE4EE")
    for i, table in enumerate(tables):
        ws = wb.create_sheet(sheet_name(table.title or f"{i + 1}", used))
        values = table.localized_values()
        headers = table.headers()
        kinds = [table.kind(c) for c in table.data.columns]
        ws.append(headers)
        for row in values.itertuples(index=False):
            ws.append([_cell(v) for v in row])
        for j, (col, kind, head) in enumerate(
            zip(table.data.columns, kinds, headers, strict=True), start=1
        ):
            letter = get_column_letter(j)
            number_format = None if col in PLACE_COLUMNS else NUMBER_FORMATS.get(kind)
            if kind == "num" and col in table.decimals:
                d = table.decimals[col]
                number_format = "#,##0" + ("." + "0" * d if d else "")
            if kind == "pct" and col in table.decimals:
                d = table.decimals[col]
                number_format = "0" + ("." + "0" * d if d else "") + "%"
            if number_format:
                for cell in ws[letter][1:]:
                    cell.number_format = number_format
            sample = values[col].head(200)
            if kind in NUMBER_FORMATS and col not in PLACE_COLUMNS:
                widest = max([12, *(len(f"{v:,.2f}") for v in sample if _is_number(v))])
            else:
                widest = max([0, *(_display_width(v) for v in sample if v is not None)])
            ws.column_dimensions[letter].width = min(60, max(_display_width(head), widest) + 3)
            head_cell = ws[f"{letter}1"]
            head_cell.font = Font(bold=True)
            head_cell.fill = header_fill
            head_cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.freeze_panes = "A2"
        if len(values.columns):
            ws.auto_filter.ref = (
                f"A1:{get_column_letter(len(values.columns))}{max(1, len(values) + 1)}"
            )
    if not tables:
        wb.create_sheet("Sheet")
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return Path(path)


def _is_number(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and pd.notna(v)


def _cell(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, float) and pd.isna(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.to_pydatetime()
    if hasattr(v, "item") and not isinstance(v, str):
        return v.item()
    return v
