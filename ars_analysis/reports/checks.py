"""Leak checks for client pages and workbooks: what a client must never see.

A rendered page (report, executive summary, index) or an Excel workbook is checked for the
things the report standard forbids (``docs/report_standard.md``, "Never in a client report"):

============== ==================================================================================
kind           what is found
============== ==================================================================================
repr           Python reprs: ``<Axes``, ``{'``, ``<ars_analysis``, ``object at 0x``, ``dtype:``,
               ``Name:``, ``np.float64(``, ``Timestamp(`` ...
plain_table    ``<pre>`` blocks and plain-text tables (lines of columns aligned with spaces)
missing_word   ``NaN``/``nan``/``None``/``True``/``False``/``NaT`` as words (or a NaN cell)
identifier     code names: snake_case identifiers (``abc_class``, ``n_abc_a``), the notebooks'
               parameter names and ``results.json`` keys that look like code, ``name = value``
path           file paths: ``../``, ``ars_analysis/``, ``*.csv``, ``*.yml``, ``*.ipynb`` ...
ascii_in_zh    an ASCII word in a Chinese page that is not allowed there: allowed are ABC, KPI,
               Gini, CI, Excel, P10/P50/P90, codes with a digit (C0001, T00001, R001), single
               letters (n, A/B/C) and the ASCII words of proper names from the client's data
cjk_in_en      Chinese text in an English page that is not a proper name from the client's data
               (distributor, terminal, rep, product and city names, the client's name)
truncation     text cut with ``...`` or ``…``
network        anything loaded from elsewhere: ``<script``, ``<iframe``, ``src=``/``href=`` of a
               stylesheet or ``url()``/``@import`` with ``http(s)://``
============== ==================================================================================

Only what a reader sees is checked (text, ``alt``/``title`` attributes, sheet names and cell
values), except for ``network``/``<pre>``, which are found in the markup. Error pages
(``error.html``) are diagnostics for the consultant and are not checked.

Run over a rendered batch::

    python -m ars_analysis.reports.checks reports --data data/sample
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

KINDS = (
    "repr",
    "plain_table",
    "missing_word",
    "identifier",
    "path",
    "ascii_in_zh",
    "cjk_in_en",
    "truncation",
    "network",
)

#: ASCII words a Chinese page may use (besides codes with digits, single letters and names).
ZH_ASCII_ALLOWED = frozenset(
    {"ABC", "KPI", "Gini", "CI", "Excel"}
    # the names of methods and their authors, cited as written in Chinese reports too
    | {"Fisher", "Spearman", "Pearson", "Kendall", "Mann", "Theil", "Sen", "Clauset", "Shalizi",
       "Newman", "Ultsch", "Lötsch", "Lorenz", "Pareto", "Vuong", "Monte", "Carlo", "PLoS",
       "ONE", "Bootstrap"}
)  # fmt: skip

#: Name columns of the canonical data files whose values are client proper names.
NAME_COLUMNS = {
    "customers": ("customer_name", "city"),
    "terminals": ("terminal_name", "city"),
    "reps": ("rep_name",),
    "products": ("product_name",),
    "training": ("course",),
}

_REPRS = re.compile(
    r"<Axes|<Figure|<matplotlib|<ars_analysis|<pandas|\{'|\{\"|object at 0x|dtype:|Name:|"
    r"np\.(?:float|int)\d*\(|Timestamp\(|Timedelta\(|array\(|DataFrame\(|Series\("
)
_MISSING = re.compile(r"(?<![A-Za-z0-9_])(?:NaN|nan|None|True|False|NaT)(?![A-Za-z0-9_])")
_SNAKE = re.compile(r"(?<![A-Za-z0-9_])[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)+(?![A-Za-z0-9_])")
_ASSIGN = re.compile(r"(?<![A-Za-z0-9_])[a-z][a-z0-9_]+\s*=\s*\S")
_PATH = re.compile(
    r"\.\./|\./(?=\w)|ars_analysis/|(?<=\w)\.(?:csv|ya?ml|ipynb|py|json|parquet|pkl)(?![A-Za-z0-9])"
    r"|(?<![\w.])/(?:tmp|home|work|usr|opt|root|Users|var)/|(?<![A-Za-z])[A-Za-z]:\\"
)
_TRUNC = re.compile(r"\.\.\.|…")
_ASCII_WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ0-9]*")
#: Runs of Chinese characters (punctuation such as "（" separates runs, it is no word).
_CJK_RUN = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_NETWORK = re.compile(
    r"<script|<iframe|<object|<embed|@import|url\(\s*['\"]?\s*(?:https?:)?//|"
    r"\b(?:src|srcset|data|poster)\s*=\s*['\"]?\s*(?:https?:)?//|"
    r"<link\b[^>]*\bhref\s*=\s*['\"]?\s*(?:https?:)?//",
    re.I,
)
_PRE = re.compile(r"<pre\b", re.I)
_GAP = re.compile(r"\S(?: {2,}|\t+)\S")


@dataclass(frozen=True)
class Leak:
    """One thing a client must not see: its kind, the text found and where."""

    kind: str
    text: str
    where: str = ""

    def __str__(self) -> str:
        return f"{self.where}: {self.kind}: {self.text!r}"


def _cjk_runs(text: str) -> set[str]:
    return set(_CJK_RUN.findall(str(text)))


@dataclass
class Vocabulary:
    """What the checks need to know about the client: proper names and code names."""

    #: Proper names from the data (distributors, terminals, reps, products, cities, client).
    names: set[str] = field(default_factory=set)
    #: Code names (notebook parameters, results.json keys).
    identifiers: set[str] = field(default_factory=set)
    #: Extra ASCII words allowed in Chinese pages.
    ascii_allowed: set[str] = field(default_factory=set)
    #: The client's own data file names (an appendix names the file a problem was found in).
    files: set[str] = field(default_factory=set)

    def __post_init__(self):
        self._cjk = set().union(*(_cjk_runs(n) for n in self.names)) if self.names else set()
        self._ascii = {w for n in self.names for w in _ASCII_WORD.findall(str(n))}
        self._ascii |= set(ZH_ASCII_ALLOWED) | set(self.ascii_allowed)
        # a parameter name that is also an English word (region, seed) cannot be told apart
        self._code = {i for i in self.identifiers if re.search(r"_|\d|[a-z][A-Z]", i)}
        self._code_re = (
            re.compile(
                r"(?<![A-Za-z0-9_])(?:"
                + "|".join(map(re.escape, sorted(self._code, key=len, reverse=True)))
                + r")(?![A-Za-z0-9_])"
            )
            if self._code
            else None
        )

    def ascii_ok(self, word: str) -> bool:
        return (
            word in self._ascii
            or len(word) == 1
            or any(ch.isdigit() for ch in word)
            or re.fullmatch(r"P\d{1,2}", word) is not None
        )

    def cjk_ok(self, run: str) -> bool:
        return run in self._cjk


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for a, b in spans:
        chars[a:b] = " " * (b - a)
    return "".join(chars)


def text_leaks(
    text: str, lang: str, vocab: Vocabulary | None = None, where: str = ""
) -> list[Leak]:
    """Leaks in one piece of visible text (a text node, a cell value) of a ``lang`` page."""
    vocab = vocab or Vocabulary()
    text = str(text)
    found: list[Leak] = []
    spans: list[tuple[int, int]] = []

    def scan(kind: str, pattern: re.Pattern | None, source: str) -> None:
        if pattern is None:
            return
        for m in pattern.finditer(source):
            found.append(Leak(kind, m.group(0), where))
            spans.append(m.span())

    # The client's own file names are what the client knows its exports by: not a leak.
    for name in vocab.files:
        for m in re.finditer(re.escape(name), text):
            spans.append(m.span())

    scan("repr", _REPRS, text)
    scan("truncation", _TRUNC, text)
    scan("path", _PATH, _mask(text, spans))
    scan("identifier", _SNAKE, _mask(text, spans))
    scan("identifier", vocab._code_re, _mask(text, spans))
    scan("identifier", _ASSIGN, _mask(text, spans))
    scan("missing_word", _MISSING, _mask(text, spans))
    lines = [ln for ln in text.splitlines() if len(_GAP.findall(ln)) >= 2]
    if len(lines) >= 2:
        found.append(Leak("plain_table", lines[0].strip()[:80], where))
    rest = _mask(text, spans)
    if lang == "zh":
        for m in _ASCII_WORD.finditer(rest):
            if not vocab.ascii_ok(m.group(0)):
                found.append(Leak("ascii_in_zh", m.group(0), where))
    else:
        for m in _CJK_RUN.finditer(rest):
            if not vocab.cjk_ok(m.group(0)):
                found.append(Leak("cjk_in_en", m.group(0), where))
    return found


class _Visible(HTMLParser):
    """Visible text nodes (and alt/title attributes) of a page; style and script are not text."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.lang: str | None = None
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "html" and attrs.get("lang"):
            self.lang = "zh" if attrs["lang"].lower().startswith("zh") else "en"
        if tag in ("style", "script"):
            self._skip += 1
        for key in ("alt", "title"):
            if attrs.get(key):
                self.texts.append(attrs[key])

    def handle_endtag(self, tag):
        if tag in ("style", "script") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip and data.strip():
            self.texts.append(data)


def page_lang(page_html: str) -> str | None:
    """``zh`` or ``en`` from the page's ``<html lang=...>``."""
    p = _Visible()
    p.feed(page_html)
    return p.lang


def page_leaks(
    page_html: str, lang: str | None = None, vocab: Vocabulary | None = None, where: str = ""
) -> list[Leak]:
    """Every leak of a rendered HTML page (language from ``<html lang>`` unless given).

    Examples
    --------
    >>> page = '<html lang="en"><body><p>Share: nan</p><pre>x</pre></body></html>'
    >>> sorted({leak.kind for leak in page_leaks(page)})
    ['missing_word', 'plain_table']
    """
    parser = _Visible()
    parser.feed(page_html)
    lang = lang or parser.lang or "zh"
    found = [Leak("network", m.group(0), where) for m in _NETWORK.finditer(page_html)]
    found += [Leak("plain_table", "<pre>", where) for _ in _PRE.finditer(page_html)]
    for text in parser.texts:
        found += text_leaks(text, lang, vocab, where)
    return found


def workbook_leaks(path: str | Path, lang: str, vocab: Vocabulary | None = None) -> list[Leak]:
    """Every leak of an Excel workbook: sheet names and cell values (NaN cells included)."""
    import openpyxl

    path = Path(path)
    book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    found: list[Leak] = []
    try:
        for sheet in book.worksheets:
            where = f"{path.name}[{sheet.title}]"
            found += text_leaks(sheet.title, lang, vocab, where)
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    if isinstance(value, float) and math.isnan(value):
                        found.append(Leak("missing_word", "NaN", where))
                    elif isinstance(value, str) and value.strip():
                        found += text_leaks(value, lang, vocab, where)
    finally:
        book.close()
    return found


def proper_names(data_path: str | Path) -> set[str]:
    """Client proper names from the canonical data files (:data:`NAME_COLUMNS`)."""
    import pandas as pd

    names: set[str] = set()
    root = Path(data_path)
    for table, columns in NAME_COLUMNS.items():
        f = root / f"{table}.csv"
        if not f.exists():
            continue
        have = [c for c in columns if c in pd.read_csv(f, nrows=0).columns]
        if have:
            frame = pd.read_csv(f, usecols=have, dtype=str)
            for c in have:
                names.update(frame[c].dropna().astype(str))
    return names


def batch_vocabulary(
    root: str | Path,
    data_path: str | Path,
    notebooks: list[str | Path] = (),
    extra_names: set[str] = frozenset(),
) -> Vocabulary:
    """The vocabulary of a rendered batch: names from the data and the client's name(s),
    parameter names of ``notebooks`` and the ``results.json`` keys found under ``root``."""
    from ars_analysis.reports.jobs import notebook_parameters

    identifiers: set[str] = set()
    for nb in notebooks:
        identifiers.update(notebook_parameters(nb))
    for f in Path(root).glob("*/results.json"):
        try:
            identifiers.update(json.loads(f.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            pass
    files = {p.name for p in Path(data_path).iterdir() if p.is_file()}
    return Vocabulary(
        names=proper_names(data_path) | set(extra_names), identifiers=identifiers, files=files
    )


def _folder_lang(folder: Path) -> str | None:
    try:
        status = json.loads((folder / "status.json").read_text(encoding="utf-8"))
        lang = (status.get("parameters") or {}).get("lang")
        if lang in ("zh", "en"):
            return lang
    except (OSError, ValueError):
        pass
    report = folder / "report.html"
    return page_lang(report.read_text(encoding="utf-8")) if report.exists() else None


def client_files(root: str | Path) -> list[Path]:
    """Every page and workbook a client sees in a rendered batch (error pages excluded)."""
    root = Path(root)
    pages = sorted(p for p in root.glob("*.html"))
    pages += sorted(root.glob("*/report.html"))
    books = sorted(p for p in root.glob("*/*.xlsx") if not p.name.startswith((".", "~$")))
    return pages + books


def batch_leaks(root: str | Path, vocab: Vocabulary) -> list[Leak]:
    """Leaks of every page and workbook of a rendered batch under ``root``."""
    root = Path(root)
    found: list[Leak] = []
    for f in client_files(root):
        where = f.relative_to(root).as_posix()
        if f.suffix == ".html":
            found += page_leaks(f.read_text(encoding="utf-8"), vocab=vocab, where=where)
        else:
            lang = _folder_lang(f.parent) or "zh"
            found += [
                Leak(x.kind, x.text, f"{f.parent.name}/{x.where}")
                for x in workbook_leaks(f, lang, vocab)
            ]
    return found


def count_by_kind(leaks: list[Leak]) -> dict[str, int]:
    """Number of leaks of each kind (every kind listed, zeros included)."""
    counts = Counter(x.kind for x in leaks)
    return {k: counts.get(k, 0) for k in KINDS}


def main(argv: list[str] | None = None) -> int:
    """``python -m ars_analysis.reports.checks REPORTS --data DATA``: counts per kind."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root", help="output folder of ars render")
    ap.add_argument("--data", default="data/sample", help="data folder (for proper names)")
    ap.add_argument("--notebooks", default="notebooks", help="folder of the report notebooks")
    ap.add_argument("--client", action="append", default=[], help="client name (allowed)")
    ap.add_argument("--show", type=int, default=0, help="show this many examples per kind")
    args = ap.parse_args(argv)
    vocab = batch_vocabulary(
        args.root,
        args.data,
        sorted(Path(args.notebooks).glob("*.ipynb")),
        set(args.client),
    )
    leaks = batch_leaks(args.root, vocab)
    files = client_files(args.root)
    print(f"{len(files)} pages and workbooks, {len(leaks)} leaks")
    for kind, n in count_by_kind(leaks).items():
        print(f"  {kind:14} {n}")
        if args.show:
            examples = Counter(f"{x.text}" for x in leaks if x.kind == kind).most_common(args.show)
            for text, k in examples:
                print(f"      {k:5} × {text!r}")
    return 1 if leaks else 0


if __name__ == "__main__":
    sys.exit(main())
