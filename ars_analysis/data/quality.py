"""The data-quality log shared by loading and validation.

:class:`QualityLog` collects the rows of the quality table (``Dataset.quality``); :data:`CHECKS`
documents every check and its severities; :func:`normalise_codes` translates the Chinese/English
code values of the contract. Loading (:mod:`ars_analysis.data.loading`) and validation
(:mod:`ars_analysis.data.validation`) both write to the log, so it lives here, below both.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from ars_analysis.data.contract import (
    ACTIVITIES,
    REPORT_TYPES,
    ROLES,
    SERVICED_BY,
    TERMINAL_TYPES,
    YES_NO,
)
from ars_analysis.data.dataset import QUALITY_COLUMNS, empty_quality

__all__ = [
    "CHECKS",
    "CODE_ALIASES",
    "QualityLog",
    "REFERENCE_SEVERITY",
    "normalise_codes",
    "short_repr",
]

#: How many row numbers a quality row lists.
MAX_ROWS_LISTED = 5

#: Severity of a reference that is not found, by (table, column). Unlisted references: warning.
REFERENCE_SEVERITY: dict[tuple[str, str], str] = {
    ("sales", "customer_id"): "fatal",
    ("sales", "product_id"): "fatal",
}

#: Every check the loader and the validator report, with its severity (documented in
#: ``data/README.md``; ``unknown_reference`` depends on :data:`REFERENCE_SEVERITY`).
CHECKS: dict[str, str] = {
    "missing_table": "fatal",
    "missing_column": "fatal",
    "missing_source_column": "fatal",
    "ambiguous_file": "fatal",
    "empty_file": "fatal/warning",
    "unreadable_file": "fatal",
    "ambiguous_date_order": "fatal",
    "implausible_date": "fatal",
    "invalid_period": "fatal",
    "no_sales": "fatal",
    "not_a_date": "fatal",
    "not_a_datetime": "fatal",
    "not_a_number": "fatal",
    "not_a_month": "fatal",
    "empty_value": "fatal",
    "below_minimum": "fatal",
    "duplicate_key": "fatal",
    "mixed_sign": "fatal",
    "unknown_reference": "fatal/warning",
    "returns": "warning",
    "outside_period": "warning",
    "dropped_empty": "warning",
    "unknown_code": "warning",
    "checkout_before_checkin": "warning",
    "overlapping_visits": "warning",
    "inconsistent_values": "warning",
    "unused_file": "warning",
    "totals_row": "warning",
    "negative_cost": "warning",
    "read_into_pandas": "warning",
}

#: Accepted codes of the categorical columns (the contract lists).
CODE_LISTS: dict[str, tuple[str, ...]] = {
    "role": ROLES,
    "terminal_type": TERMINAL_TYPES,
    "activities": ACTIVITIES,
    "serviced_by": SERVICED_BY,
    "promotion": YES_NO,
    "report_type": REPORT_TYPES,
}

#: Common Chinese (and English) values translated to the canonical codes, by column.
CODE_ALIASES: dict[str, dict[str, str]] = {
    "serviced_by": {
        "rep": "rep",
        "我司": "rep",
        "客户顾问": "rep",
        "业务员": "rep",
        "厂家": "rep",
        "our rep": "rep",
        "distributor": "distributor",
        "经销商": "distributor",
        "经销商团队": "distributor",
        "distributor team": "distributor",
    },
    "promotion": {
        "yes": "yes",
        "no": "no",
        "是": "yes",
        "否": "no",
        "促销": "yes",
        "1": "yes",
        "0": "no",
        "y": "yes",
        "n": "no",
        "true": "yes",
        "false": "no",
    },
    "report_type": {
        "sell_out": "sell_out",
        "sell-out": "sell_out",
        "sell out": "sell_out",
        "进销存": "sell_out",
        "销量": "sell_out",
        "stock": "stock",
        "库存": "stock",
    },
    "terminal_type": {
        "大卖场": "hypermarket",
        "卖场": "hypermarket",
        "大型超市": "hypermarket",
        "hypermarket": "hypermarket",
        "超市": "supermarket",
        "supermarket": "supermarket",
        "便利店": "convenience",
        "convenience": "convenience",
        "convenience store": "convenience",
        "专卖店": "specialty",
        "专营店": "specialty",
        "specialty": "specialty",
        "specialty store": "specialty",
        "批发": "wholesale",
        "批发市场": "wholesale",
        "批发部": "wholesale",
        "wholesale": "wholesale",
    },
    "role": {
        "业务经理": "business_manager",
        "经理": "business_manager",
        "business manager": "business_manager",
        "business_manager": "business_manager",
        "业务员": "salesperson",
        "销售代表": "salesperson",
        "客户顾问": "salesperson",
        "salesperson": "salesperson",
        "sales rep": "salesperson",
        "导购员": "promoter",
        "导购": "promoter",
        "促销员": "promoter",
        "promoter": "promoter",
    },
    "activities": {
        "下单": "order",
        "订货": "order",
        "订单": "order",
        "order": "order",
        "查库存": "stock_check",
        "库存检查": "stock_check",
        "盘点": "stock_check",
        "stock check": "stock_check",
        "stock_check": "stock_check",
        "陈列": "display",
        "display": "display",
        "培训": "training",
        "training": "training",
        "收款": "collection",
        "回款": "collection",
        "collection": "collection",
        "促销": "promotion",
        "promotion": "promotion",
    },
}

_SPLIT_ACTIVITIES = re.compile(r"\s*[;,，；、/|]\s*")

#: Longest value shown in a message (longer ones are cut with an ellipsis).
MAX_VALUE_CHARS = 60


def short_repr(value) -> str:
    """``repr(value)``, cut to :data:`MAX_VALUE_CHARS` characters (a 300,000-character id).

    >>> short_repr("x" * 100)
    "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx…' (100 characters)"
    """
    text = str(value) if isinstance(value, str) else None
    if text is None or len(text) <= MAX_VALUE_CHARS:
        return repr(value)
    return f"{text[: MAX_VALUE_CHARS - 3]!r}"[:-1] + f"…' ({len(text):,} characters)"


def _rows_text(rows: Iterable) -> str:
    rows = list(rows)
    text = ", ".join(str(int(r)) for r in rows[:MAX_ROWS_LISTED])
    return text + (", ..." if len(rows) > MAX_ROWS_LISTED else "")


class QualityLog:
    """Collects data-quality rows; :meth:`frame` returns them as the quality table."""

    def __init__(self) -> None:
        self.rows: list[dict] = []
        #: (table, column) -> row numbers already reported as unreadable (not reported again)
        self.unparsed: dict[tuple[str, str], list] = {}

    def add(self, severity, table, file, column, check, rows, problem, expected, n_rows=None):
        """Add one problem. ``rows`` is an index (file row numbers) or a list; may be empty."""
        if check not in CHECKS or severity not in CHECKS[check]:
            raise KeyError(f"undocumented check {check!r} / severity {severity!r}")
        rows = list(rows[: MAX_ROWS_LISTED + 1]) if rows is not None else []
        self.rows.append(
            {
                "severity": severity,
                "table": table,
                "file": file or "",
                "column": column or "",
                "check": check,
                "n_rows": int(n_rows if n_rows is not None else len(rows)),
                "rows": _rows_text(rows),
                "problem": problem,
                "expected": expected,
            }
        )

    def add_mask(self, severity, table, file, column, check, frame, mask, problem, expected):
        """Add a problem for the rows of ``frame`` where ``mask`` is true (nothing if none)."""
        mask = np.asarray(mask, dtype=bool)
        n = int(mask.sum())
        if n == 0:
            return 0
        index = frame.index[mask]
        problem = problem(index) if callable(problem) else problem
        self.add(
            severity,
            table,
            file,
            column,
            check,
            index[: MAX_ROWS_LISTED + 1],
            problem,
            expected,
            n_rows=n,
        )
        return n

    def extend(self, other: QualityLog | pd.DataFrame) -> None:
        if isinstance(other, QualityLog):
            self.rows.extend(other.rows)
        else:
            self.rows.extend(other.to_dict("records"))

    def frame(self) -> pd.DataFrame:
        if not self.rows:
            return empty_quality()
        out = pd.DataFrame(self.rows, columns=QUALITY_COLUMNS)
        out["n_rows"] = out["n_rows"].astype("int64")
        return out


def normalise_codes(values: pd.Series, column: str) -> pd.Series:
    """Translate common Chinese/English values of ``role``, ``terminal_type``, ``activities``.

    Unknown values are kept as they are (validation reports them). ``activities`` holds a list
    separated by ``;`` (also ``,``, ``，``, ``；``, ``、``, ``/``); the result uses ``;``.

    Examples
    --------
    >>> import pandas as pd
    >>> normalise_codes(pd.Series(["大卖场", "Supermarket", None]), "terminal_type").tolist()
    ['hypermarket', 'supermarket', nan]
    >>> normalise_codes(pd.Series(["下单、陈列", "收款;order"]), "activities").tolist()
    ['order;display', 'collection;order']
    """
    aliases = CODE_ALIASES.get(column)
    if aliases is None:
        return values
    lookup = {k.casefold(): v for k, v in aliases.items()}
    uniques = pd.Series(values.dropna().unique())

    def one(text: str) -> str:
        text = str(text).strip()
        return lookup.get(text.casefold(), text)

    if column == "activities":

        def convert(text):
            parts = [p for p in _SPLIT_ACTIVITIES.split(str(text).strip()) if p]
            return ";".join(one(p) for p in parts)
    else:
        convert = one
    table = {u: convert(u) for u in uniques}
    return values.map(table).where(values.notna(), values)
