"""Charts of the field organisation (:mod:`ars_analysis.fieldforce`: lines, tenure curve).

Each function takes a tidy frame, draws it on ``ax`` (or a new Axes), labels everything through
``labels.label("organisation.<key>", lang)`` and returns the Axes. Nothing is computed here.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from ars_analysis.labels import check_lang, label


def _L(key: str, lang: str, **values) -> str:
    return label(f"organisation.{key}", lang, **values)


def _ax(ax, size=(8, 5)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def plot_line_coverage(data: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Horizontal bars: share of the top terminals where each line is present.

    ``data``: ``line_label`` (already in the report's language) and ``line_coverage`` (0-1), in
    the order to show (the organisation's order of lines), e.g.
    :func:`ars_analysis.presentation.organisation.line_chart_data`.
    """
    check_lang(lang)
    ax = _ax(ax, (8, 0.6 * len(data) + 1.5))
    y = np.arange(len(data))[::-1]
    ax.barh(y, data["line_coverage"].astype(float), color="C0")
    for yi, v in zip(y, data["line_coverage"], strict=True):
        if pd.notna(v) and float(v) > 0.85:  # inside a long bar, at its end
            ax.text(float(v) - 0.01, yi, f"{100 * float(v):.0f}%", va="center", ha="right",
                    color="white")  # fmt: skip
        elif pd.notna(v):
            ax.text(float(v) + 0.01, yi, f"{100 * float(v):.0f}%", va="center")
    ax.set_yticks(y, data["line_label"].astype(str))
    ax.set_xlim(0, 1.08)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(_L("chart_line_axis", lang))
    ax.set_title(_L("chart_lines_title", lang))
    return ax


def plot_tenure_curve(tenure: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Mean monthly attainment per tenure bin with its 95 % interval (output of
    :func:`ars_analysis.fieldforce.tenure_curve`); a dotted line at 100 %."""
    check_lang(lang)
    ax = _ax(ax, (8, 4.5))
    x = np.arange(len(tenure))
    mean = tenure["mean"].astype(float).to_numpy()
    lo = tenure["low"].astype(float).to_numpy()
    hi = tenure["high"].astype(float).to_numpy()
    ok = ~np.isnan(lo)
    ax.errorbar(x[ok], mean[ok], yerr=[mean[ok] - lo[ok], hi[ok] - mean[ok]], fmt="o-",
                color="C0", capsize=4)  # fmt: skip
    ax.plot(x, mean, "o-", color="C0")
    ax.axhline(1.0, color="0.5", lw=1, ls=":")
    ax.set_xticks(x, [str(b) for b in tenure["tenure_bin"]])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(_L("chart_tenure_x", lang))
    ax.set_ylabel(_L("chart_tenure_y", lang))
    ax.set_title(_L("chart_tenure_title", lang))
    return ax
