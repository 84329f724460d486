"""Helpers for the report notebooks: the opening block and the recorded key results.

Every client report opens with the same block (title, data period, parameters used, data
quality) and ends by recording its key numbers in ``results.json`` in its output folder, which
the report index and the notebook tests read.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ars_analysis.data.dataset import Dataset
from ars_analysis.data.outputs import write_text
from ars_analysis.labels import check_lang, label

RESULTS_FILE = "results.json"


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, (list, tuple)):
        return ", ".join(map(str, value))
    return str(value)


def report_intro(title: str, dataset: Dataset, params: dict, lang: str = "zh"):
    """Markdown block that opens a client report: title, data period, parameters, data quality.

    Returns an ``IPython.display.Markdown`` object; a notebook cell that ends with it shows it.
    """
    from IPython.display import Markdown

    check_lang(lang)
    lines = [f"# {title}", ""]
    period = dataset.period
    if period is not None:
        start, end = (d.strftime("%Y-%m-%d") for d in period)
        lines.append(label("common.data_period", lang, start=start, end=end))
        lines.append("")
    lines.append(f"**{label('common.parameters', lang)}**")
    lines.append("")
    lines.append("| | |\n|---|---|")
    lines += [f"| {k} | {_fmt(v)} |" for k, v in params.items()]
    q = dataset.quality
    if q is not None and len(q):
        counts = q.groupby("severity")["n_rows"].agg(["count", "sum"])
        lines.append("")
        lines.append(
            f"**{label('common.data_quality', lang)}**: "
            + "; ".join(
                label(
                    "common.quality_summary",
                    lang,
                    kind=label(f"common.{sev}", lang),
                    count=int(r["count"]),
                    rows=int(r["sum"]),
                )
                for sev, r in counts.iterrows()
            )
        )
    return Markdown("\n".join(lines))


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    return value


def record_results(output_dir: str | Path, **values) -> dict:
    """Merge ``values`` into ``output_dir/results.json`` (written atomically) and return all.

    Examples
    --------
    >>> import tempfile
    >>> d = tempfile.mkdtemp()
    >>> record_results(d, gini=0.61)
    {'gini': 0.61}
    >>> record_results(d, n_terminals=120)
    {'gini': 0.61, 'n_terminals': 120}
    """
    path = Path(output_dir) / RESULTS_FILE
    current = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
    current.update(_jsonable(values))
    write_text(path, json.dumps(current, ensure_ascii=False, indent=2, sort_keys=False))
    return current


def read_results(output_dir: str | Path) -> dict:
    """The values recorded by :func:`record_results` in ``output_dir`` ({} if none)."""
    path = Path(output_dir) / RESULTS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
