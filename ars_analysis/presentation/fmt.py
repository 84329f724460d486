"""Numbers as a client reads them: thousands separators, percentages, intervals, "—".

Every number that reaches a report page, a sentence or a workbook header goes through these
functions, so a report never shows ``472648897``, ``0.060744``, ``NaN`` or ``True``.

Examples
--------
>>> number(472648897.4)
'472,648,897'
>>> percent(0.060744)
'6.1%'
>>> interval(0.61, 0.55, 0.66, kind="pct")
'61.0% (95% CI 55.0%–66.0%)'
>>> number(None)
'—'
>>> boolean(True, "zh"), boolean(False, "en")
('是', 'No')
"""

from __future__ import annotations

import math
import numbers

import pandas as pd

#: What a missing value looks like in a page or a sentence.
MISSING = "—"


def is_missing(value) -> bool:
    """True for None, NaN, NaT and pandas' NA (and non-finite floats)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return not math.isfinite(float(value))
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def number(value, decimals: int = 0) -> str:
    """``value`` with thousands separators and ``decimals`` places (``—`` when missing).

    >>> number(1234.5678, 2), number(-3.2), number(0.04, 2)
    ('1,234.57', '-3', '0.04')
    """
    if is_missing(value):
        return MISSING
    text = f"{float(value):,.{decimals}f}"
    # "-0" is not a number a client should see.
    return text[1:] if text.startswith("-") and float(text.replace(",", "")) == 0 else text


def integer(value) -> str:
    """A count: ``number(value, 0)``."""
    return number(value, 0)


def percent(value, decimals: int = 1) -> str:
    """A share (0.881) as a percentage (``88.1%``).

    >>> percent(0.881), percent(1), percent(-0.052, 0)
    ('88.1%', '100.0%', '-5%')
    """
    if is_missing(value):
        return MISSING
    return number(100 * float(value), decimals) + "%"


def money(value, decimals: int = 0) -> str:
    """An amount of money; the unit goes once in the header or the sentence, not here."""
    return number(value, decimals)


def compact(value, lang: str = "zh", decimals: int = 1) -> str:
    """Large amounts in the reader's units: 万/亿 in Chinese, K/M/B in English.

    >>> compact(166_600_000, "zh"), compact(166_600_000, "en"), compact(8_500, "zh")
    ('1.7亿', '166.6M', '8,500')
    """
    if is_missing(value):
        return MISSING
    v = float(value)
    a = abs(v)
    if lang == "zh":
        for size, unit in ((1e8, "亿"), (1e4, "万")):
            if a >= size:
                return f"{v / size:,.{decimals}f}{unit}"
        return number(v)
    for size, unit in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if a >= size * (10 if unit == "K" else 1):
            return f"{v / size:,.{decimals}f}{unit}"
    return number(v)


def boolean(value, lang: str = "zh") -> str:
    """是/否 or Yes/No (``—`` when missing)."""
    if is_missing(value):
        return MISSING
    return ("是" if value else "否") if lang == "zh" else ("Yes" if value else "No")


def value(value, kind: str = "num", lang: str = "zh", decimals: int | None = None) -> str:
    """Format ``value`` by its kind: ``int``, ``num``, ``money``, ``pct``, ``bool``, ``date``,
    ``text``.

    >>> value(0.5, "pct"), value(12345, "money"), value(pd.Timestamp("2025-01-05"), "date")
    ('50.0%', '12,345', '2025-01-05')
    """
    if is_missing(value):
        return MISSING
    if kind == "int":
        return integer(value)
    if kind == "money":
        return money(value, 0 if decimals is None else decimals)
    if kind == "pct":
        return percent(value, 1 if decimals is None else decimals)
    if kind == "bool":
        return boolean(value, lang)
    if kind == "date":
        return pd.Timestamp(value).strftime("%Y-%m-%d")
    if kind == "num":
        return number(value, 2 if decimals is None else decimals)
    return str(value)


def interval(
    estimate, low, high, *, kind: str = "num", decimals: int | None = None, level: int = 95
) -> str:
    """An estimate with its confidence interval, e.g. ``0.27 (95% CI 0.05–0.46)``.

    >>> interval(0.268, 0.05, 0.46)
    '0.27 (95% CI 0.05–0.46)'
    """
    est = value(estimate, kind, decimals=decimals)
    if is_missing(low) or is_missing(high):
        return est
    return (
        f"{est} ({level}% CI {value(low, kind, decimals=decimals)}"
        f"–{value(high, kind, decimals=decimals)})"
    )
