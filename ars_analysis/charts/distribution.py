"""Charts of distribution (铺货), the new-product rollout and the handover (提升). Plotting only:
the numbers come from :mod:`ars_analysis.terminals`; every text from ``labels/distribution.yml``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from ars_analysis.labels import check_lang, label

__all__ = ["plot_distribution", "plot_rollout", "plot_servicing"]


def _ax(ax, size=(8, 4.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def plot_distribution(data: pd.DataFrame, *, lang: str = "zh", ax=None, names=None):
    """Numeric vs weighted distribution per product (bars side by side).

    ``data``: ``product_id``, ``numeric_distribution``, ``weighted_distribution``; ``names``:
    product_id -> name shown.
    """
    check_lang(lang)
    ax = _ax(ax)
    d = data.sort_values("numeric_distribution", ascending=False)
    x = np.arange(len(d))
    w = 0.4
    ax.bar(x - w / 2, d["numeric_distribution"], w, color="#0173b2",
           label=label("distribution.numeric_distribution", lang))  # fmt: skip
    ax.bar(x + w / 2, d["weighted_distribution"], w, color="#de8f05",
           label=label("distribution.weighted_distribution", lang))  # fmt: skip
    ticks = [str((names or {}).get(p, p)) for p in d["product_id"]]
    ax.set_xticks(x, ticks, rotation=30, ha="right", fontsize=8)
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(0, 1)
    ax.set_title(label("distribution.dist_title", lang))
    ax.legend(frameon=False)
    return ax


def plot_rollout(data: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Numeric distribution by week since launch, one line per new product.

    ``data``: ``product_id`` (``product_name`` when present), ``week``,
    ``numeric_distribution``.
    """
    check_lang(lang)
    ax = _ax(ax)
    name_col = "product_name" if "product_name" in data else "product_id"
    for name, g in data.groupby(name_col, sort=False):
        ax.plot(g["week"], g["numeric_distribution"], lw=2, label=str(name))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=1))
    ax.set_xlabel(label("distribution.weeks_since_launch", lang))
    ax.set_ylabel(label("distribution.numeric_distribution", lang))
    ax.set_title(label("distribution.rollout_title", lang))
    ax.set_ylim(bottom=0)
    ax.legend(frameon=False)
    return ax


def plot_servicing(data: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Share of terminals and of revenue serviced by the distributors' teams, by month.

    ``data``: ``period``, ``terminal_share``, ``volume_share``.
    """
    check_lang(lang)
    ax = _ax(ax)
    x = np.arange(len(data))
    ax.plot(x, data["terminal_share"], lw=2, marker="o", ms=3, color="#0173b2",
            label=label("distribution.terminal_share", lang))  # fmt: skip
    ax.plot(x, data["volume_share"], lw=2, marker="o", ms=3, color="#de8f05",
            label=label("distribution.volume_share", lang))  # fmt: skip
    step = max(1, len(x) // 8)
    ax.set_xticks(x[::step], [str(p) for p in data["period"]][::step], rotation=30, ha="right")
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_ylim(bottom=0)
    ax.set_title(label("distribution.handover_title", lang))
    ax.legend(frameon=False)
    return ax
