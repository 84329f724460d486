"""Charts of distributor health on the four flows. Plotting only: the scores come from
:mod:`ars_analysis.customers.health`; every text from ``labels/health.yml``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ars_analysis.customers.health import FLOWS
from ars_analysis.labels import check_lang, label

__all__ = ["plot_health_radar", "plot_health_radars"]


def plot_health_radar(row, *, lang: str = "zh", ax=None, title: str | None = None):
    """One distributor's four flow scores (0-100) as a radar, with the median (50) dashed.

    Parameters
    ----------
    row : Series or dict
        ``commerce``, ``logistics``, ``cash``, ``information`` (NaN = not measured: drawn at 0
        and its axis label greyed).
    ax : polar Axes, optional
    """
    check_lang(lang)
    if ax is None:
        _, ax = plt.subplots(figsize=(3.2, 3.2), subplot_kw={"projection": "polar"})
    angles = np.linspace(0, 2 * np.pi, len(FLOWS), endpoint=False)
    values = np.array([float(row.get(f, np.nan)) for f in FLOWS])
    closed = np.append(angles, angles[0])
    ax.plot(closed, np.full(len(closed), 50.0), ls="--", lw=1, color="#949494",
            label=label("health.median", lang))  # fmt: skip
    v = np.nan_to_num(values, nan=0.0)
    ax.fill(closed, np.append(v, v[0]), color="#0173b2", alpha=0.25)
    ax.plot(closed, np.append(v, v[0]), color="#0173b2", lw=1.5)
    ax.set_ylim(0, 100)
    ax.set_yticks([25, 50, 75])
    ax.set_yticklabels([])
    ax.set_xticks(angles)
    ax.set_xticklabels([label(f"health.flow_values.{f}", lang) for f in FLOWS], fontsize=8)
    for tick, val in zip(ax.get_xticklabels(), values, strict=True):
        if np.isnan(val):
            tick.set_color("#bbbbbb")
    if title:
        ax.set_title(title, fontsize=9, pad=22)
    return ax


def plot_health_radars(data: pd.DataFrame, *, lang: str = "zh", ax=None, ncols: int = 4):
    """Small multiples: one radar per distributor (rows of ``data``: ``name`` and the flows).

    ``ax`` is ignored when given as None (a figure with one polar axis per row is made); returns
    the array of axes.
    """
    check_lang(lang)
    n = max(len(data), 1)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(nrows, ncols, figsize=(3.3 * ncols, 4.1 * nrows),
                             subplot_kw={"projection": "polar"}, squeeze=False)  # fmt: skip
    for i, a in enumerate(axes.flat):
        if i >= len(data):
            a.set_visible(False)
            continue
        r = data.iloc[i]
        plot_health_radar(r, lang=lang, ax=a, title=str(r["name"]))
    fig.suptitle(label("health.radar_title", lang), fontsize=11)
    handles, labels_ = axes.flat[0].get_legend_handles_labels()
    if handles:
        fig.legend(handles[:1], labels_[:1], loc="lower center", ncol=1, frameon=False)
    fig.tight_layout(rect=(0, 0.04, 1, 0.96))
    return axes
