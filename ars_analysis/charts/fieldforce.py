"""Charts of field execution (:mod:`ars_analysis.fieldforce`).

Each function takes the tidy output of one analysis function, draws it on ``ax`` (or a new
Axes), labels everything through ``labels.label("fieldforce.<key>", lang)`` and returns the Axes.
Nothing is computed here beyond choosing and ordering rows to show.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.ticker import PercentFormatter

from ars_analysis.labels import check_lang, label

_GROUP_COLS = ("rep_name", "rep_id", "team_id", "region")


def _ax(ax, size=(8, 5)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _L(key: str, lang: str, **fmt) -> str:
    return label(f"fieldforce.{key}", lang, **fmt)


def _group_col(data: pd.DataFrame) -> str:
    for col in _GROUP_COLS:
        if col in data.columns:
            return col
    raise ValueError(
        f"chart data needs one of the columns {list(_GROUP_COLS)}, got {list(data.columns)}"
    )


def _group_names(data: pd.DataFrame, lang: str) -> pd.Series:
    col = _group_col(data)
    names = data[col].astype(object)
    if col == "rep_name" and "rep_id" in data.columns:
        names = names.where(names.notna(), data["rep_id"])
    if col == "region":  # regions in the report's language (华东 -> East China)
        from ars_analysis.presentation.tables import place_name

        names = names.map(lambda r: r if r == "unknown" else place_name(r, lang))
    return names.where(names != "unknown", _L("unknown", lang)).astype(str)


def _unit(text: str, lang: str) -> str:
    """``"200 m"`` / ``"1 km"`` / ``"5"`` in the report's language."""
    text = text.strip()
    if text.endswith(" km"):
        return _L("km", lang, value=text[:-3])
    if text.endswith(" m"):
        return _L("metres", lang, value=text[:-2])
    return text


def band_name(band: str, lang: str) -> str:
    """A distance band of :func:`ars_analysis.fieldforce.band_labels` in the report's language.

    >>> band_name("<200 m", "zh"), band_name("1-5 km", "zh"), band_name("200 m-1 km", "en")
    ('200 米以内', '1–5 公里', '200 m–1 km')
    """
    band = str(band)
    if band == "unknown":
        return _L("unknown", lang)
    if band.startswith("<"):
        return _L("band_lt", lang, value=_unit(band[1:], lang))
    if band.startswith(">"):
        return _L("band_gt", lang, value=_unit(band[1:], lang))
    lo, _, hi = band.partition("-")
    return _L("band_between", lang, lo=_unit(lo, lang), hi=_unit(hi, lang))


def _axis_title(data: pd.DataFrame, lang: str) -> str:
    col = _group_col(data)
    return _L(col, lang)


def plot_completion(
    compliance: pd.DataFrame,
    *,
    lang: str = "zh",
    ax=None,
    column: str = "visit_completion",
    max_bars: int = 40,
):
    """Horizontal bars of visit completion per group (output of ``visit_compliance``).

    Groups are sorted from lowest to highest (lowest at the top); at most ``max_bars`` of the
    lowest are shown. A dashed line marks the unweighted mean over all groups.
    """
    check_lang(lang)
    data = compliance[compliance[column].notna()].sort_values(column, ascending=False)
    mean = float(data[column].mean()) if len(data) else float("nan")
    data = data.tail(max_bars)
    ax = _ax(ax, (8, max(3, 0.25 * len(data) + 1)))
    names = _group_names(data, lang)
    ax.barh(names, data[column], color="C0")
    if len(data):
        ax.axvline(mean, color="C3", ls="--", lw=1, label=_L("mean_line", lang, value=mean))
        ax.legend(loc="lower right")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, max(1.0, float(data[column].max()) if len(data) else 1.0))
    ax.set_xlabel(_L(column, lang))
    ax.set_ylabel(_axis_title(data, lang))
    ax.set_title(_L("title_completion", lang))
    return ax


def plot_distance_bands(summary: pd.DataFrame, *, lang: str = "zh", ax=None):
    """100 % stacked bars of check-in distance bands per group (output of ``distance_summary``)."""
    check_lang(lang)
    col = _group_col(summary)
    data = summary.copy()
    data["_name"] = _group_names(data, lang)
    wide = data.pivot_table(
        index="_name", columns="distance_band", values="share", aggfunc="first", observed=False
    )
    if isinstance(summary["distance_band"].dtype, pd.CategoricalDtype):
        wide = wide.reindex(columns=summary["distance_band"].cat.categories)
    wide = wide.fillna(0.0)
    ax = _ax(ax, (8, max(3, 0.3 * len(wide) + 1.5)))
    left = np.zeros(len(wide))
    colors = plt.get_cmap("RdYlGn_r")(np.linspace(0.1, 0.9, max(1, len(wide.columns) - 1)))
    for i, band in enumerate(wide.columns):
        name = band_name(band, lang)
        color = "0.7" if band == "unknown" else colors[min(i, len(colors) - 1)]
        ax.barh(wide.index, wide[band], left=left, label=name, color=color)
        left += wide[band].to_numpy()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, 1)
    ax.set_xlabel(_L("share_of_visits", lang))
    ax.set_ylabel(_L(col, lang) if col != "rep_name" else _L("rep_name", lang))
    ax.set_title(_L("title_distance_bands", lang))
    ax.legend(title=_L("distance_band", lang), bbox_to_anchor=(1.02, 1), loc="upper left")
    return ax


def plot_activity_shares(shares: pd.DataFrame, *, lang: str = "zh", ax=None, hide_empty=True):
    """Grouped bars: share of done visits with each activity, one colour per group.

    ``shares`` is the output of ``activity_shares`` (any level); ``hide_empty`` drops activities
    no visit had.
    """
    check_lang(lang)
    data = shares.copy()
    if hide_empty:
        keep = data.groupby("activity")["visits"].transform("sum") > 0
        data = data[keep]
    data["_name"] = _group_names(data, lang)
    acts = list(dict.fromkeys(data["activity"]))
    groups = list(dict.fromkeys(data["_name"]))
    ax = _ax(ax, (9, 5))
    width = 0.8 / max(1, len(groups))
    x = np.arange(len(acts))
    for i, g in enumerate(groups):
        row = data[data["_name"] == g].set_index("activity")["share"].reindex(acts)
        ax.bar(x + (i - (len(groups) - 1) / 2) * width, row.to_numpy(), width, label=g)
    ax.set_xticks(x, [_L(f"act_{a}", lang) for a in acts])
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_ylabel(_L("activity_share", lang))
    ax.set_xlabel(_L("activity", lang))
    ax.set_title(_L("title_activity_shares", lang))
    if len(groups) > 1:
        ax.legend(
            title=_axis_title(shares, lang), ncols=2 if len(groups) > 6 else 1, fontsize="small"
        )
    return ax


def plot_time_in_store(times: pd.DataFrame, *, lang: str = "zh", ax=None, bins: int = 30):
    """Histogram of time in store per visit (output of ``visit_times``), with the median."""
    check_lang(lang)
    vals = times["time_in_store_min"].dropna()
    ax = _ax(ax, (8, 4.5))
    ax.hist(vals, bins=bins, color="C0", alpha=0.85)
    if len(vals):
        med = float(vals.median())
        ax.axvline(med, color="C3", ls="--", lw=1, label=_L("median_line", lang, value=med))
        ax.legend()
    ax.set_xlabel(_L("time_in_store_min", lang))
    ax.set_ylabel(_L("n_visits", lang))
    ax.set_title(_L("title_time_in_store", lang))
    return ax


def plot_discipline_vs_attainment(
    data: pd.DataFrame,
    result: dict | None = None,
    *,
    x: str = "visit_completion",
    y: str = "attainment",
    lang: str = "zh",
    ax=None,
):
    """Scatter of a discipline KPI against attainment per rep (e.g. the rep scorecard).

    ``result`` (from ``discipline_vs_attainment``) adds the Spearman rho and its interval as text
    when it rests on enough reps (``result["sufficient"]``).
    """
    check_lang(lang)
    ax = _ax(ax, (7, 5))
    ax.scatter(data[x], data[y], color="C0", alpha=0.8, edgecolor="white")
    ax.axhline(1.0, color="0.5", lw=1, ls=":")
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(_L(x, lang))
    ax.set_ylabel(_L(y, lang))
    ax.set_title(_L("title_discipline_vs_attainment", lang))
    # the statistic only when there are enough reps to read it (``sufficient``)
    if (
        result is not None
        and np.isfinite(result.get("rho", np.nan))
        and result.get("sufficient", True)
    ):
        f2 = "{:.2f}".format
        text = _L("rho_text", lang, rho=f2(result["rho"]), lo=f2(result["ci_low"]),
                  hi=f2(result["ci_high"]), n=result["n"])  # fmt: skip
        ax.text(0.02, 0.98, text, transform=ax.transAxes, va="top", fontsize="small",
                bbox={"facecolor": "white", "alpha": 0.8, "edgecolor": "0.8"})  # fmt: skip
    return ax


def plot_deviation_ranking(
    ranked: pd.DataFrame,
    *,
    lang: str = "zh",
    ax=None,
    column: str = "deviation_pct",
    n: int = 10,
):
    """Bars of the deviation from target (output of ``deviation_ranking``).

    Shows the ``n`` furthest below target and the ``n`` furthest above (all when there are at
    most ``2 n`` rows); red below target, green above.
    """
    check_lang(lang)
    data = ranked[ranked[column].notna()]
    if len(data) > 2 * n:
        data = pd.concat([data.head(n), data.tail(n)])
    data = data.iloc[::-1]
    ax = _ax(ax, (8, max(3, 0.3 * len(data) + 1)))
    names = _group_names(data, lang)
    colors = np.where(data[column] < 0, "C3", "C2")
    ax.barh(names, data[column], color=colors)
    ax.axvline(0, color="0.3", lw=1)
    if column == "deviation_pct":
        ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel(_L(column, lang))
    ax.set_ylabel(_axis_title(data, lang))
    ax.set_title(_L("title_deviation_ranking", lang))
    return ax
