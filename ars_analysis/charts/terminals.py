"""Charts of the terminal-network analysis. Plotting only: the numbers come from
:mod:`ars_analysis.terminals`; every text comes from ``labels/terminals.yml``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ars_analysis.charts.style import thousands
from ars_analysis.labels import check_lang, label

__all__ = [
    "plot_pareto",
    "plot_lorenz",
    "plot_concentration",
    "plot_tail",
    "plot_coverage",
    "plot_margin_quadrants",
    "localize",
]

_STATUS = ("both", "linked_only", "visited_only", "neither")
_QUADRANTS = ("consolidate", "improve_margin", "grow", "review")


def _value_name(by, value, lang, places=None) -> str:
    """A group value as a reader sees it: regions translated, terminal types in words."""
    from ars_analysis.presentation.tables import place_name
    from ars_analysis.presentation.terminals import category_value

    if by in ("region", "territory", "province"):
        return place_name(value, lang, places)
    if by == "terminal_type":
        return category_value("terminal_type", value, lang)
    return str(value)


def _ax(ax, size=(7, 5)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _pct_axes(ax):
    from matplotlib.ticker import PercentFormatter

    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)


def plot_pareto(
    curve: pd.DataFrame,
    *,
    lang: str = "zh",
    ax=None,
    by: str | None = None,
    marker: dict | None = None,
    places: dict | None = None,
):
    """Ranked cumulative share curve(s) from :func:`ars_analysis.terminals.pareto_curve`.

    ``marker`` (optional): ``{"top": 0.2, "share": .78, "lo": .75, "hi": .81}`` draws the
    "top x% carry y%" marker on the (overall) curve.
    """
    check_lang(lang)
    ax = _ax(ax)
    groups = curve.groupby(by, sort=True) if by else [(None, curve)]
    for key, g in groups:
        xs = np.r_[0, g["terminal_share"].to_numpy()]
        ys = np.r_[0, g["cumulative_share"].to_numpy()]
        ax.plot(xs, ys, label=None if key is None else _value_name(by, key, lang, places), lw=1.6)
    if marker:
        text = label("terminals.top_marker", lang, **marker)
        ax.axvline(marker["top"], color="grey", ls=":", lw=1)
        ax.axhline(marker["share"], color="grey", ls=":", lw=1)
        ax.plot([marker["top"]], [marker["share"]], "o", color="black")
        ax.annotate(
            text, (marker["top"], marker["share"]), xytext=(10, -25), textcoords="offset points"
        )
    _pct_axes(ax)
    ax.set_xlabel(label("terminals.terminal_share", lang))
    ax.set_ylabel(label("terminals.volume_share", lang))
    ax.set_title(label("terminals.pareto_title", lang))
    if by:
        ax.legend(
            title=label(f"common.{by}", lang) if by in ("region", "terminal_type") else by,
            loc="lower right",
            fontsize="small",
        )
    return ax


def plot_lorenz(curves: pd.DataFrame, *, lang: str = "zh", ax=None, gini: float | None = None):
    """Empirical and fitted Lorenz curves (``curves`` from ``lorenz_fit(...)["curves"]`` or
    a :func:`~ars_analysis.terminals.lorenz` frame, which is drawn as the empirical curve)."""
    check_lang(lang)
    ax = _ax(ax)
    if "model" not in curves:
        curves = curves.assign(model="empirical")
    ax.plot([0, 1], [0, 1], color="grey", ls="--", lw=1, label=label("terminals.equality", lang))
    styles = {
        "empirical": {"lw": 2.2, "color": "black"},
        "pareto": {"ls": "-."},
        "lognormal": {"ls": ":"},
    }
    for model, g in curves.groupby("model", sort=False):
        text = label(f"terminals.{model}", lang)
        if model == "empirical" and gini is not None:
            text += f" ({label('terminals.gini', lang)} {gini:.3f})"
        ax.plot(g["terminal_share"], g["volume_share"], label=text, **styles.get(model, {}))
    _pct_axes(ax)
    ax.set_xlabel(label("terminals.terminal_share", lang))
    ax.set_ylabel(label("terminals.volume_share", lang))
    ax.set_title(label("terminals.lorenz_title", lang))
    ax.legend(loc="upper left")
    return ax


def plot_concentration(
    table: pd.DataFrame, *, by: str = "region", lang: str = "zh", ax=None, places=None
):
    """Gini per group with its bootstrap interval (table from ``concentration_table``)."""
    check_lang(lang)
    ax = _ax(ax)
    t = table.sort_values("gini")
    y = np.arange(len(t))
    err = np.vstack([t["gini"] - t["gini_low"], t["gini_high"] - t["gini"]])
    ax.barh(y, t["gini"], xerr=np.nan_to_num(err), color="C0", capsize=3)
    ax.set_yticks(y, [_value_name(by, v, lang, places) for v in t[by]])
    ax.set_xlabel(label("terminals.gini", lang))
    ax.set_ylabel(label(f"common.{by}", lang) if by in ("region", "terminal_type") else by)
    ax.set_title(label("terminals.gini_title", lang))
    ax.set_xlim(0, 1)
    return ax


def plot_tail(values, fit, *, lang: str = "zh", ax=None):
    """Empirical CCDF on log-log axes with the fitted power-law tail (a ``FitResult``)."""
    check_lang(lang)
    ax = _ax(ax)
    x = np.sort(np.asarray(values, float))
    x = x[x > 0]
    ccdf = 1.0 - np.arange(x.size) / x.size
    ax.loglog(x, ccdf, ".", ms=3, color="grey", label=label("terminals.data", lang))
    share = fit.n_tail / x.size
    xs = np.geomspace(fit.xmin, x.max(), 100)
    ax.loglog(
        xs,
        share * fit.ccdf(xs),
        color="C3",
        lw=2,
        label=label("terminals.tail_fit_label", lang, n_tail=f"{fit.n_tail:,}"),
    )
    ax.axvline(fit.xmin, color="C3", ls=":", lw=1, label=label("terminals.tail_start", lang))
    ax.set_xlabel(label("terminals.revenue_axis", lang))
    ax.set_ylabel(label("terminals.ccdf", lang))
    ax.set_title(label("terminals.tail_title", lang))
    thousands(ax, "x")
    thousands(ax, "y", percent=True)
    ax.legend(loc="lower left")
    return ax


def plot_coverage(
    table: pd.DataFrame, *, by: str = "region", lang: str = "zh", ax=None, places=None
):
    """Stacked bars of high-volume terminals by coverage status (table from ``coverage``)."""
    check_lang(lang)
    ax = _ax(ax, (8, 1.6 + 0.45 * len(table)))
    t = table.sort_values("coverage_rate")
    y = np.arange(len(t))
    left = np.zeros(len(t))
    colors = {"both": "C2", "linked_only": "C0", "visited_only": "C1", "neither": "C3"}
    for s in _STATUS:
        ax.barh(y, t[s], left=left, color=colors[s], label=label(f"terminals.{s}", lang))
        left += t[s].to_numpy()
    for yi, (tot, rate) in enumerate(zip(left, t["coverage_rate"], strict=True)):
        ax.text(tot, yi, f" {rate:.0%}", va="center")
    ax.set_yticks(y, [_value_name(by, v, lang, places) for v in t[by]])
    ax.set_xlabel(label("terminals.n_high", lang))
    ax.set_ylabel(label(f"common.{by}", lang) if by in ("region", "terminal_type") else by)
    ax.set_title(label("terminals.coverage_title", lang))
    ax.set_xlim(0, max(1.0, float(left.max())) * 1.15)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2, fontsize="small")
    return ax


def plot_margin_quadrants(
    margins: pd.DataFrame,
    *,
    lang: str = "zh",
    ax=None,
    volume_threshold: float | None = None,
    margin_threshold: float | None = None,
    basis: str | None = None,
):
    """Volume x margin-rate scatter coloured by quadrant (frame from ``terminal_margins`` or
    ``TerminalNetwork.margins``). ``basis`` ``"ours"``/``"retailer"`` says in the title and the
    axis whose margin it is."""
    check_lang(lang)
    ax = _ax(ax, (8, 6))
    vt = margins.attrs.get("volume_threshold") if volume_threshold is None else volume_threshold
    mt = margins.attrs.get("margin_threshold") if margin_threshold is None else margin_threshold
    vol = "volume" if "volume" in margins else "revenue"
    d = margins[margins[vol] > 0]
    for i, q in enumerate(_QUADRANTS):
        g = d[d["quadrant"] == q]
        ax.scatter(
            g[vol],
            g["margin_rate"],
            s=12,
            alpha=0.7,
            color=f"C{i}",
            label=label(f"terminals.{q}", lang),
        )
    ax.set_xscale("log")
    thousands(ax, "x")
    if vt is not None:
        ax.axvline(vt, color="grey", ls="--", lw=1)
    if mt is not None:
        ax.axhline(mt, color="grey", ls="--", lw=1)
    from matplotlib.ticker import PercentFormatter

    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    if basis in ("ours", "retailer"):
        ax.set_xlabel(label("terminals.revenue_axis", lang))
        ax.set_ylabel(
            label(
                "terminals.our_margin_rate"
                if basis == "ours"
                else "terminals.retailer_margin_rate",
                lang,
            )
        )
        ax.set_title(label(f"terminals.margin_chart_{basis}", lang))
    else:
        ax.set_xlabel(label("terminals.volume", lang))
        ax.set_ylabel(label("terminals.margin_rate", lang))
        ax.set_title(label("terminals.quadrant_title", lang))
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.02, 1.0))
    return ax


def localize(table: pd.DataFrame, lang: str = "zh") -> pd.DataFrame:
    """Moved to :func:`ars_analysis.presentation.terminals.localize` (kept importable)."""
    from ars_analysis.presentation.terminals import localize as _localize

    return _localize(table, lang)
