"""A client page from an executed report notebook: one self-contained HTML file.

Only what a client should see is kept: the markdown narrative of the report's language (cells
tagged ``lang-zh`` / ``lang-en``; untagged markdown is shown in every language) and the rich
outputs of code cells (HTML tables and blocks, charts). Code, prompts, plain-text outputs
(Python reprs, prints), stderr, warnings and errors are dropped by construction. Charts are
embedded as data URIs and the style sheet is inline: the page loads nothing from anywhere, so it
opens offline.
"""

from __future__ import annotations

import html
import re

import mistune

from ars_analysis.labels import check_lang

#: The style sheet of every client page (reports, executive summary, index).
CSS = """
:root{--ink:#1f2937;--muted:#6b7280;--line:#d1d5db;--head:#eef2f7;--accent:#1d4e89}
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC",
Helvetica,Arial,sans-serif;margin:0 auto;padding:24px 32px 64px;max-width:1100px;color:var(--ink);
line-height:1.55;font-size:15px}
h1{font-size:28px;margin:8px 0 4px}h2{font-size:21px;margin:36px 0 10px;border-bottom:2px solid
var(--accent);padding-bottom:4px}h3{font-size:17px;margin:22px 0 8px}
a{color:var(--accent)}
img{max-width:100%;height:auto;display:block;margin:8px 0}
.ars-table{max-width:100%;overflow-x:auto;margin:8px 0 14px}
table{border-collapse:collapse;font-size:14px}
th,td{border:1px solid var(--line);padding:5px 9px;vertical-align:top;overflow-wrap:break-word}
td.txt{min-width:4.5em}
th{background:var(--head);font-weight:600}
th.num,td.num{text-align:right;white-space:nowrap;font-variant-numeric:tabular-nums}
th.txt,td.txt{text-align:left}
.ars-caption{font-weight:600;margin:12px 0 4px}
.ars-note{font-size:13px;color:var(--muted);margin:4px 0}
.ars-question{font-size:18px;color:var(--accent);margin:0 0 10px}
.ars-meta th{text-align:left;background:none;border:none;color:var(--muted);font-weight:400;
padding:1px 14px 1px 0}.ars-meta td{border:none;padding:1px 0}
.ars-back{font-size:13px;margin:0}
.ars-findings{background:#f5f8fc;border-left:4px solid var(--accent);padding:4px 18px 10px;
margin-top:18px}.ars-findings h2{border:none}
.ars-findings li{margin:6px 0}
.ars-caveat{background:#fff7e6;border-left:4px solid #e0a100;padding:6px 12px}
.ars-caveat-inline{color:#8a5a00}
.ars-more{font-size:13px;margin-left:4px}
.ok{color:#1a7f37;font-weight:600}.failed,.timeout{color:#c62828;font-weight:600}
.small{font-size:13px;color:var(--muted)}
ul{margin:0;padding-left:1.2em}
.ars-exec{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,440px),1fr));
gap:18px;margin-top:18px}
.ars-exec-block{border:1px solid var(--line);border-top:4px solid var(--accent);padding:2px 16px
12px;min-width:0}.ars-exec-block h2{font-size:18px;border:none;margin:12px 0 4px}
.ars-exec-block li{margin:4px 0}.ars-exec-actions{list-style:disc}
.ars-stake{color:var(--muted);white-space:nowrap}
pre{white-space:pre-wrap;overflow-wrap:anywhere;background:#f6f8fa;padding:8px}
.ars-langs{font-size:14px;margin:0 0 8px}.ars-index{width:100%}
.ars-footer{margin-top:40px;border-top:1px solid var(--line);padding-top:8px;font-size:12px;
color:var(--muted)}
@media print{body{max-width:none;padding:0}a{color:inherit;text-decoration:none}
.ars-back{display:none}h2{break-after:avoid}img,table{break-inside:avoid}}
"""

_markdown = mistune.create_markdown(plugins=["table"])


def page(title: str, body: str, lang: str) -> str:
    """A complete HTML document with the package's style sheet inline."""
    check_lang(lang)
    code = "zh-CN" if lang == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{code}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head>\n"
        f"<body>\n{body}\n</body></html>\n"
    )


def _tags(cell) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def _text(data) -> str:
    return "".join(data) if isinstance(data, list) else str(data)


def _output_html(output) -> str:
    if output.get("output_type") not in ("display_data", "execute_result"):
        return ""  # streams (prints) and errors never reach a client
    data = output.get("data", {})
    if "text/html" in data:
        return _text(data["text/html"])
    if "image/svg+xml" in data:
        return f'<div class="ars-chart">{_text(data["image/svg+xml"])}</div>'
    if "image/png" in data:
        meta = output.get("metadata", {}).get("image/png", {})
        width = f' width="{int(meta["width"])}"' if meta.get("width") else ""
        src = _text(data["image/png"]).replace("\n", "")
        return f'<img class="ars-chart" alt=""{width} src="data:image/png;base64,{src}">'
    if "text/markdown" in data:
        return _markdown(_text(data["text/markdown"]))
    return ""  # text/plain: a Python repr


def notebook_body(nb, lang: str) -> str:
    """The client-visible HTML of an executed notebook's cells."""
    check_lang(lang)
    parts = []
    for cell in nb.cells:
        tags = _tags(cell)
        if "parameters" in tags or "injected-parameters" in tags or "no-client" in tags:
            continue
        if any(t.startswith("lang-") and t != f"lang-{lang}" for t in tags):
            continue
        if cell.cell_type == "markdown":
            parts.append(_markdown(_text(cell.source)))
        elif cell.cell_type == "code":
            parts.extend(_output_html(o) for o in cell.get("outputs", []))
    return "\n".join(p for p in parts if p)


_H1 = re.compile(r"<h1[^>]*>(.*?)</h1>", re.S)


def page_title(body: str, default: str) -> str:
    """The first ``<h1>`` of a body (the report's title), for the browser tab."""
    m = _H1.search(body)
    return html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip() if m else default


def notebook_page(nb, lang: str, default_title: str) -> str:
    """A self-contained client page of an executed notebook."""
    body = notebook_body(nb, lang)
    return page(page_title(body, default_title), body, lang)
