"""The rendered pages in a real browser (headless Debian Chromium through Playwright).

Opens the index, an executive summary and one report per notebook of the session's test batch
(``rendered_batch`` in ``conftest.py``) with every network request refused, and checks what a
client would see: nothing requested from outside, no console error, every image decoded, nothing
wider than the window, the key findings on every report. A full-page screenshot of each page is
saved under ``tests/artifacts/`` (git-ignored); the path is printed.

Needs Debian's ``chromium`` (``make test`` installs it when run as root with apt); the test is
skipped, saying so, only when no chromium is installed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
VIEWPORT = {"width": 1280, "height": 900}

#: (page, kind): one report per notebook, both languages, national and regional.
PAGES = [
    ("index.html", "index"),
    ("index-en.html", "index"),
    ("summary-national-zh.html", "summary"),
    ("01_core_customers/report.html", "report"),
    ("02_terminal_network-en-西北/report.html", "report"),
    ("03_incentive_scenarios-en/report.html", "report"),
    ("04_field_execution/report.html", "report"),
]

pytestmark = [pytest.mark.slow, pytest.mark.notebook, pytest.mark.xdist_group("rendered_batch")]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip(
            "no chromium installed (make test installs Debian's chromium when run as root with "
            "apt-get; install it with: apt-get install -y chromium)"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


@pytest.mark.parametrize("rel, kind", PAGES, ids=[p for p, _ in PAGES])
def test_page_in_a_real_browser(browser, rendered_batch, rel, kind):
    path = rendered_batch.root / rel
    assert path.exists(), f"{rel} not rendered; failed jobs: {rendered_batch.failed}"
    context = browser.new_context(viewport=VIEWPORT, java_script_enabled=True)
    blocked, failed, errors = [], [], []

    def only_local(route):
        url = route.request.url
        if url.startswith(("file:", "data:")):
            route.continue_()
        else:
            blocked.append(url)
            route.abort()

    context.route("**/*", only_local)
    page = context.new_page()
    page.on("requestfailed", lambda r: failed.append(f"{r.url[:100]} {r.failure}"))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    try:
        page.goto(path.as_uri(), wait_until="load")
        page.wait_for_load_state("networkidle")
        broken_images = page.evaluate(
            "() => Array.from(document.images)"
            ".filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80))"
        )
        n_images = page.evaluate("() => document.images.length")
        scroll_width, inner_width = page.evaluate(
            "() => [document.documentElement.scrollWidth, window.innerWidth]"
        )
        too_wide = page.evaluate(
            "() => Array.from(document.querySelectorAll('body *'))"
            ".filter(e => e.getBoundingClientRect().right > window.innerWidth + 1"
            " && !e.closest('.ars-table'))"
            ".slice(0, 5).map(e => e.tagName + '.' + e.className)"
        )
        title = page.title()
        h1 = page.locator("h1").first.inner_text().strip()
        local_links = page.evaluate(
            "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href)"
            ".filter(h => h.startsWith('file:'))"
        )
        n_findings = page.locator("#findings").count()
        n_blocks = page.locator(".ars-exec-block").count()
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / (rel.replace("/", "__").replace(".html", ".png"))
        page.screenshot(path=str(shot), full_page=True)
        print(f"\nscreenshot: {shot}")
    finally:
        context.close()

    assert blocked == [], f"requests to the network: {blocked}"
    assert failed == [], f"failed requests: {failed}"
    assert errors == [], f"console errors: {errors}"
    assert broken_images == [], f"{len(broken_images)} of {n_images} images not decoded"
    assert scroll_width <= inner_width, f"page wider than the window: {scroll_width} px; {too_wide}"
    assert title and h1 and h1 in title, (title, h1)  # the tab shows the page's title
    missing = [u for u in local_links if not Path(_file_path(u)).exists()]
    assert missing == [], f"links to files that do not exist: {missing[:5]}"
    if kind == "report":
        assert n_findings == 1, "no key findings block (#findings) on the report"
        assert n_images > 0, "a report without any chart"
    if kind == "summary":
        assert n_blocks == 4, f"{n_blocks} analyses in the executive summary, expected 4"


def _file_path(url: str) -> str:
    from urllib.parse import unquote, urlparse

    return unquote(urlparse(url).path)
