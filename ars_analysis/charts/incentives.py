"""Charts of the incentive-scenario report. Plotting only: the numbers come from
:mod:`ars_analysis.incentives` (``payout_curve``, ``backtest``, ``simulate``, ``sensitivity``).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ars_analysis.charts.style import thousands
from ars_analysis.labels import check_lang, label


def _named(df: pd.DataFrame, names: dict | None) -> pd.DataFrame:
    """``df`` with plan ids replaced by their names in the report's language."""
    if not names:
        return df
    return df.assign(plan=df["plan"].map(lambda p: names.get(p, p)))


def _ax(ax, size=(8, 5)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _pct_axis(ax, axis="x"):
    from matplotlib.ticker import PercentFormatter

    (ax.xaxis if axis == "x" else ax.yaxis).set_major_formatter(PercentFormatter(1.0))


def plot_payout_curves(curves: pd.DataFrame, *, lang: str = "zh", ax=None, names=None):
    """Monthly incentive against attainment, one line per plan (``payout_curve`` output);
    ``names`` maps plan ids to the names shown."""
    check_lang(lang)
    ax = _ax(ax)
    curves = _named(curves, names)
    for name, df in curves.groupby("plan", sort=False):
        ax.plot(df["attainment"], df["incentive_per_month"], label=name, lw=2)
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    _pct_axis(ax, "x")
    ax.set_xlabel(label("incentives.attainment", lang))
    ax.set_ylabel(label("incentives.incentive_per_month", lang) + label("common.unit_money", lang))
    thousands(ax, "y")
    ax.set_title(label("incentives.payout_curves_title", lang))
    ax.legend(title=label("incentives.plan", lang), loc="best")
    return ax


def plot_earnings_vs_attainment(reps: pd.DataFrame, *, lang: str = "zh", ax=None, names=None):
    """Each rep's incentive against attainment over the period, per plan (``BacktestResult.reps``)."""
    check_lang(lang)
    ax = _ax(ax)
    reps = _named(reps, names)
    sns.scatterplot(
        data=reps, x="attainment", y="incentive", hue="plan", style="plan", ax=ax, alpha=0.8
    )
    ax.axvline(1.0, color="grey", ls=":", lw=1)
    _pct_axis(ax, "x")
    ax.set_xlabel(label("incentives.attainment", lang))
    ax.set_ylabel(label("incentives.incentive", lang) + label("common.unit_money", lang))
    thousands(ax, "y")
    ax.set_title(label("incentives.earnings_title", lang))
    ax.legend(title=label("incentives.plan", lang), loc="best")
    return ax


def plot_cost_distribution(
    scenarios: pd.DataFrame,
    *,
    budget: float | None = None,
    lang: str = "zh",
    ax=None,
    names=None,
):
    """Histogram of total cost over scenarios per plan (``SimulationResult.scenarios``)."""
    check_lang(lang)
    ax = _ax(ax)
    scenarios = _named(scenarios, names)
    sns.histplot(
        data=scenarios,
        x="total_cost",
        hue="plan",
        stat="probability",
        common_norm=False,
        element="step",
        bins=40,
        ax=ax,
    )
    if budget is not None:
        ax.axvline(budget, color="red", ls="--", lw=1.5, label=label("incentives.budget", lang))
        ax.text(
            budget,
            ax.get_ylim()[1] * 0.95,
            " " + label("incentives.budget", lang),
            color="red",
            va="top",
        )
    ax.set_xlabel(label("incentives.total_cost", lang))
    thousands(ax, "x")
    thousands(ax, "y", percent=True)
    ax.set_ylabel(label("incentives.density", lang))
    ax.set_title(label("incentives.cost_title", lang))
    leg = ax.get_legend()
    if leg is not None:  # outside the axes: never over the distributions
        sns.move_legend(ax, "upper left", bbox_to_anchor=(1.02, 1), frameon=False)
        ax.get_legend().set_title(label("incentives.plan", lang))
    return ax


def plot_winners_losers(
    changes: pd.DataFrame,
    plan: str,
    *,
    top: int = 8,
    lang: str = "zh",
    ax=None,
    title: str | None = None,
):
    """Biggest gains and losses of incentive against the current plan (``BacktestResult.changes``;
    a ``rep_name`` column, when present, labels the bars; ``title`` = the plan's name)."""
    check_lang(lang)
    df = changes[changes["plan"] == plan].sort_values("change")
    df = pd.concat([df.head(top), df.tail(top)]).drop_duplicates("rep_id")
    who = df["rep_name"].fillna(df["rep_id"]) if "rep_name" in df else df["rep_id"]
    ax = _ax(ax, (8, max(3, 0.3 * len(df) + 1)))
    pal = sns.color_palette()
    colors = [pal[2] if v >= 0 else pal[3] for v in df["change"]]
    ax.barh(who.astype(str), df["change"], color=colors)
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel(label("incentives.change", lang) + label("common.unit_money", lang))
    thousands(ax, "x")
    ax.set_ylabel(label("incentives.rep", lang))
    ax.set_title(label("incentives.winners_title", lang, plan=title or plan))
    return ax


def plot_tornado(
    sens: pd.DataFrame, *, plan: str = "", delta: float = 0.2, lang: str = "zh", ax=None
):
    """Tornado of expected total cost when each parameter moves by -delta / +delta
    (``sensitivity`` output, sorted by swing)."""
    check_lang(lang)
    df = sens.iloc[::-1]
    ax = _ax(ax, (8, max(3, 0.6 * len(df) + 1.5)))
    names = [label(f"incentives.param_{p}", lang) for p in df["parameter"]]
    base = float(df["base"].iloc[0]) if len(df) else 0.0
    pct = round(delta * 100)
    ax.barh(
        names,
        df["low"] - base,
        left=base,
        color=sns.color_palette()[0],
        label=label("incentives.low", lang, pct=pct),
    )
    ax.barh(
        names,
        df["high"] - base,
        left=base,
        color=sns.color_palette()[1],
        label=label("incentives.high", lang, pct=pct),
    )
    ax.axvline(base, color="black", lw=0.8)
    ax.set_xlabel(label("incentives.expected_cost", lang) + label("common.unit_money", lang))
    thousands(ax, "x")
    ax.set_ylabel(label("incentives.parameter", lang))
    ax.set_title(label("incentives.tornado_title", lang, plan=plan, pct=pct))
    ax.legend(loc="best")
    return ax
