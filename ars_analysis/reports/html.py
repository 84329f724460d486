"""From an executed notebook to the client's HTML page, or the error page of a failed job."""

from __future__ import annotations

import contextlib
import html
import os
import re

from ars_analysis.labels import label
from ars_analysis.reports.pages import back_link, index_file, last_good_link, set_back_link

# --------------------------------------------------------------------------------------------
# HTML
# --------------------------------------------------------------------------------------------

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """Remove terminal colour codes (tracebacks from the kernel carry them)."""
    return _ANSI.sub("", text)


def client_notebook(nb, lang: str | None = None):
    """A copy of an executed notebook fit for the client: no stderr/warnings, no errors shown,
    no parameter cells, and none of the cells tagged for another language.

    Notebooks keep their narrative in both languages, one markdown cell per language tagged
    ``lang-zh`` / ``lang-en``; the client sees only the cells of the report's ``lang``.
    """
    import copy

    nb = copy.deepcopy(nb)
    keep = []
    for cell in nb.cells:
        tags = cell.get("metadata", {}).get("tags", [])
        if "parameters" in tags or "injected-parameters" in tags:
            continue
        if lang and any(t.startswith("lang-") and t != f"lang-{lang}" for t in tags):
            continue
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.get("outputs", [])
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
                and o.get("output_type") != "error"
            ]
        keep.append(cell)
    nb.cells = keep
    return nb


def notebook_html(nb, title: str, lang: str = "zh", index_href: str | None = None) -> str:
    """Client-ready, self-contained HTML of an executed notebook (see
    :mod:`ars_analysis.presentation.page`); its "back to the index" link (the report opening's,
    or one added at the top when the notebook has none) goes to ``index_href`` (default:
    ``../index.html``)."""
    from ars_analysis.presentation.page import notebook_page

    text = notebook_page(nb, lang, title)
    if 'class="ars-back"' in text:
        return set_back_link(text, index_href) if index_href else text
    return text.replace("<body>\n", "<body>\n" + back_link(index_href or "../index.html", lang), 1)


def _index_href(lang: str, index_lang: str) -> str:
    """Link from a job's page to the index in the page's language (``../index.html`` in the
    client's language, ``../index-en.html`` for its twin)."""

    return "../" + index_file(lang, index_lang)


def _page(title: str, body: str, lang: str) -> str:
    from ars_analysis.presentation.page import page

    return page(title, body, lang)


def error_page(
    job_name: str,
    status: str,
    message: str,
    cell_source: str | None,
    tb: str | None,
    lang: str = "zh",
    index_href: str = "../index.html",
    last_good: dict | None = None,
) -> str:
    """HTML page for a failed or timed-out job: what failed, the cell's source, the traceback;
    with ``last_good`` (``{"html": ..., "rendered": ...}``), a link to the job's last good
    report, which stays in place."""

    L = lambda k, **kw: label(f"reports.{k}", lang, **kw)  # noqa: E731
    title = f"{L('error_title')}: {job_name}"
    parts = [
        back_link(index_href, lang),
        f"<h1>{html.escape(title)}</h1>",
        f'<p class="{status}">{html.escape(L("status_" + status))}</p>',
    ]
    parts.append(f"<p>{html.escape(message)}</p>")
    if last_good:
        link = last_good_link(last_good, lang)
        parts.append(f"<p>{html.escape(L('last_good_kept'))} {link}</p>")
    if cell_source is not None:
        parts.append(
            f"<h2>{html.escape(L('failing_cell'))}</h2><pre>{html.escape(cell_source)}</pre>"
        )
    if tb:
        parts.append(
            f"<h2>{html.escape(L('traceback'))}</h2><pre>{html.escape(strip_ansi(tb))}</pre>"
        )
    return _page(title, "\n".join(parts), lang)


# --------------------------------------------------------------------------------------------
# running one job (in a worker process)
# --------------------------------------------------------------------------------------------


def _failing_cell(nb) -> tuple[int | None, str | None, str | None]:
    """Index, source and traceback text of the cell that failed (or was running) in ``nb``."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                tb = (
                    "\n".join(out.get("traceback") or [])
                    or f"{out.get('ename')}: {out.get('evalue')}"
                )
                return i, cell.source, tb
    # no error output (timeout, dead kernel): the last cell papermill started
    started = [
        i
        for i, cell in enumerate(nb.cells)
        if cell.cell_type == "code"
        and cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    if started:
        return started[-1], nb.cells[started[-1]].source, None
    return None, None, None


@contextlib.contextmanager
def _inline_charts():
    """Make the kernels started meanwhile draw charts inline, whatever MPLBACKEND says.

    Kernels inherit the environment; an ``MPLBACKEND=Agg`` set for headless servers and CI would
    make every chart silently vanish from the reports.
    """
    before = os.environ.get("MPLBACKEND")
    os.environ["MPLBACKEND"] = "module://matplotlib_inline.backend_inline"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("MPLBACKEND", None)
        else:
            os.environ["MPLBACKEND"] = before
