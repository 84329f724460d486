"""Tables as a client reads them: localised headers and values, formatted numbers, names beside
IDs, at most ~15 rows in the page and the full list in the workbook.

A :class:`ReportTable` is built from a tidy frame of analysis results (columns in the package's
vocabulary: ``revenue``, ``customer_id``, ``abc_class``...). It knows, per column, the header in
the report's language and the *kind* of value (count, money, share, ...); from that it renders
an HTML table for the page (``_repr_html_``, so a notebook cell that ends with it shows it) and
a formatted worksheet (:mod:`ars_analysis.presentation.workbook`).

Headers are looked up in the label files: ``<namespace>.<column>`` for each namespace given,
then ``common.<column>``. Category values are looked up as
``<namespace>.<column>_values.<value>`` (e.g. ``customers.movement_values.up``) and regions in ``regions.yml`` plus the client's additions.

Examples
--------
>>> import pandas as pd
>>> t = ReportTable(pd.DataFrame({"customer_id": ["C1"], "revenue": [1234567.8],
...                               "share": [0.0607]}), lang="en")
>>> t.headers()
['Customer ID', 'Revenue (CNY)', 'Share']
>>> t.display_frame().iloc[0].tolist()
['C1', '1,234,568', '6.1%']
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

import pandas as pd

from ars_analysis.labels import check_lang, has_label, label
from ars_analysis.presentation import fmt

#: Rows shown in a page; the rest goes to the workbook.
MAX_ROWS = 15

# Column-name patterns and the kind of value they hold, when a table does not say otherwise.
_KIND_RULES: tuple[tuple[str, str], ...] = (
    (r"(^|_)(share|rate|pct|ratio_pct|coverage|compliance|attainment|growth|margin_rate)($|_)",
     "pct"),
    (r"(^|_)(revenue|cost|gross_margin|amount|payout|pay|stake|volume_value|incentive|target)"
     r"($|_)", "money"),
    (r"(^|_)(n|count|number)($|_)|^n_", "int"),
    (r"(^|_)(date|start|end)$", "date"),
)  # fmt: skip

#: Columns whose values are regions or territories (translated in English reports).
PLACE_COLUMNS = ("region", "territory", "province")


def column_kind(name: str, series: pd.Series | None = None) -> str:
    """The kind of values a column holds, from its dtype and name.

    >>> column_kind("revenue"), column_kind("a_share"), column_kind("n_terminals")
    ('money', 'pct', 'int')
    """
    if series is not None:
        if pd.api.types.is_bool_dtype(series):
            return "bool"
        if pd.api.types.is_datetime64_any_dtype(series):
            return "date"
        if not pd.api.types.is_numeric_dtype(series):
            return "text"
    for pattern, kind in _KIND_RULES:
        if re.search(pattern, str(name)):
            return kind
    if series is not None and pd.api.types.is_integer_dtype(series):
        return "int"
    return "num"


def place_name(value, lang: str = "zh", extra: dict | None = None) -> str:
    """A region or territory name in ``lang`` (``regions.yml`` plus ``extra`` from the client
    configuration); unknown names stay as written.

    >>> place_name("华东", "en"), place_name("华东", "zh"), place_name("Lisbon", "en")
    ('East China', '华东', 'Lisbon')
    """
    if fmt.is_missing(value):
        return fmt.MISSING
    text = str(value)
    if extra and text in extra:
        entry = extra[text]
        return entry.get(lang, text) if isinstance(entry, dict) else str(entry)
    key = f"regions.{text}"
    return label(key, lang) if has_label(key) else text


def header(column: str, lang: str = "zh", namespaces: tuple[str, ...] = (), kind: str = "") -> str:
    """The header of ``column`` in ``lang``, with the currency unit for money columns.

    Raises ``KeyError`` when no label file knows the column: a table never shows a raw name.

    >>> header("revenue", "zh", kind="money"), header("region", "en")
    ('销售额（元）', 'Region')
    """
    check_lang(lang)
    for ns in (*namespaces, "common"):
        key = f"{ns}.{column}"
        if has_label(key):
            text = label(key, lang)
            break
    else:
        raise KeyError(
            f"no header label for column {column!r}; add it to a label file "
            f"(tried {', '.join(f'{ns}.{column}' for ns in (*namespaces, 'common'))})"
        )
    if kind == "money" and "（" not in text and "(" not in text:
        text += label("common.unit_money", lang)
    return text


def category(value, column: str, lang: str, namespaces: tuple[str, ...] = ()) -> str:
    """A category value (``up``, ``supermarket``, ``commission``...) in ``lang``, if a label
    exists for it; otherwise the value as written (client proper names)."""
    if fmt.is_missing(value):
        return fmt.MISSING
    for ns in (*namespaces, "common"):
        key = f"{ns}.{column}_values.{value}"
        if has_label(key):
            return label(key, lang)
    return str(value)


@dataclass
class ReportTable:
    """A results table ready for a page and a workbook.

    Parameters
    ----------
    data : DataFrame
        Tidy results, columns in the package's vocabulary. Not modified.
    lang : {"zh", "en"}
    namespaces : tuple of str
        Label files to look headers and category values up in, before ``common``.
    kinds : dict, optional
        Column -> kind (``int``, ``num``, ``money``, ``pct``, ``bool``, ``date``, ``text``),
        overriding what :func:`column_kind` infers.
    decimals : dict, optional
        Column -> decimal places.
    headers : dict, optional
        Column -> header text already in ``lang`` (e.g. scorecard dimensions from their YAML).
    title : str, optional
        Caption above the table (and the worksheet's name when written to a workbook).
    note : str, optional
        Footnote below the table.
    missing_note : str, optional
        Why a value can be missing; shown as a footnote when a "—" appears.
    max_rows : int
        Rows shown in the page; a footnote says where the full list is.
    places : dict, optional
        Client additions to the region names (from the client configuration).
    """

    data: pd.DataFrame
    lang: str = "zh"
    namespaces: tuple[str, ...] = ()
    kinds: dict = field(default_factory=dict)
    decimals: dict = field(default_factory=dict)
    headers_: dict = field(default_factory=dict)
    title: str | None = None
    note: str | None = None
    missing_note: str | None = None
    max_rows: int = MAX_ROWS
    places: dict | None = None

    def __post_init__(self):
        check_lang(self.lang)
        if isinstance(self.namespaces, str):
            self.namespaces = (self.namespaces,)
        self.data = self.data.reset_index(drop=True)

    # ---------------------------------------------------------------------------------------
    def kind(self, column: str) -> str:
        if column in self.kinds:
            return self.kinds[column]
        return column_kind(column, self.data[column])

    def headers(self) -> list[str]:
        """Column headers in the report's language."""
        return [
            self.headers_.get(c) or header(c, self.lang, self.namespaces, self.kind(c))
            for c in self.data.columns
        ]

    def localized_values(self) -> pd.DataFrame:
        """The data with category and place values translated, numbers left as numbers (for
        the workbook)."""
        out = {}
        for c in self.data.columns:
            s = self.data[c]
            if c in PLACE_COLUMNS:
                s = s.map(lambda v: place_name(v, self.lang, self.places))
            elif self.kind(c) == "text":
                s = s.map(lambda v, c=c: category(v, c, self.lang, self.namespaces))
            elif self.kind(c) == "bool":
                s = s.map(lambda v: fmt.boolean(v, self.lang))
            out[c] = s
        return pd.DataFrame(out)

    def display_frame(self) -> pd.DataFrame:
        """Every cell as the text the page shows."""
        values = self.localized_values()
        out = {}
        for c in self.data.columns:
            k = self.kind(c)
            if k in ("text", "bool") or c in PLACE_COLUMNS:
                out[c] = values[c].map(lambda v: fmt.MISSING if fmt.is_missing(v) else str(v))
            else:
                out[c] = values[c].map(
                    lambda v, k=k, c=c: fmt.value(v, k, self.lang, self.decimals.get(c))
                )
        return pd.DataFrame(out, index=self.data.index)

    # ---------------------------------------------------------------------------------------
    def to_html(self) -> str:
        shown = self.display_frame()
        n = len(shown)
        shown = shown.head(self.max_rows)
        kinds = [self.kind(c) for c in self.data.columns]
        parts = ['<div class="ars-table">']
        if self.title:
            parts.append(f'<p class="ars-caption">{html.escape(self.title)}</p>')
        parts.append("<table><thead><tr>")
        for h, k in zip(self.headers(), kinds, strict=True):
            cls = "num" if k in ("int", "num", "money", "pct") else "txt"
            parts.append(f'<th class="{cls}">{html.escape(h)}</th>')
        parts.append("</tr></thead><tbody>")
        for row in shown.itertuples(index=False):
            parts.append("<tr>")
            for v, k in zip(row, kinds, strict=True):
                cls = "num" if k in ("int", "num", "money", "pct") else "txt"
                parts.append(f'<td class="{cls}">{html.escape(str(v))}</td>')
            parts.append("</tr>")
        parts.append("</tbody></table>")
        notes = []
        if n > self.max_rows:
            notes.append(label("common.rows_shown", self.lang, shown=self.max_rows, total=n))
        if self.missing_note and (shown == fmt.MISSING).to_numpy().any():
            notes.append(f"{fmt.MISSING}: {self.missing_note}")
        if self.note:
            notes.append(self.note)
        for note in notes:
            parts.append(f'<p class="ars-note">{html.escape(note)}</p>')
        parts.append("</div>")
        return "".join(parts)

    def _repr_html_(self) -> str:
        return self.to_html()

    def __repr__(self) -> str:
        # The plain-text twin of the HTML (what a console and nbval's comparison see); client
        # pages never show text/plain when a richer output exists.
        frame = self.display_frame()
        frame.columns = self.headers()
        return (self.title + "\n" if self.title else "") + frame.to_string(index=False)


def with_names(
    table: pd.DataFrame, names: pd.DataFrame, id_column: str, name_column: str
) -> pd.DataFrame:
    """``table`` with ``name_column`` from ``names`` inserted right after ``id_column``.

    >>> t = pd.DataFrame({"customer_id": ["C2", "C1"], "revenue": [5, 7]})
    >>> n = pd.DataFrame({"customer_id": ["C1", "C2"], "customer_name": ["甲", "乙"]})
    >>> with_names(t, n, "customer_id", "customer_name").columns.tolist()
    ['customer_id', 'customer_name', 'revenue']
    """
    if name_column in table.columns:
        return table.copy()
    lookup = names.drop_duplicates(id_column).set_index(id_column)[name_column]
    out = table.copy()
    out.insert(out.columns.get_loc(id_column) + 1, name_column, out[id_column].map(lookup))
    return out
