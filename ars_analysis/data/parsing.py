"""Parsing the values of client columns: ids, dates (Chinese and Excel formats), numbers, periods."""

from __future__ import annotations

import re
import unicodedata
import warnings

import numpy as np
import pandas as pd
from pandas.tseries.api import guess_datetime_format

from ars_analysis.data.contract import TABLES
from ars_analysis.data.quality import CODE_ALIASES, normalise_codes, short_repr


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
