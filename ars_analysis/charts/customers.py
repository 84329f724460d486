"""Charts of the core-customer analysis. Plotting only: the numbers come from
:mod:`ars_analysis.customers`; every text comes from ``labels/customers.yml``."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from ars_analysis.labels import check_lang, label

_CLASS_COLOURS = {"A": "#0173b2", "B": "#de8f05", "C": "#949494"}


def _ax(ax, size=(7, 4.5)):
    if ax is None:
        _, ax = plt.subplots(figsize=size)
    return ax


def _measure_name(measure: str, lang: str) -> str:
    for ns in ("common", "customers"):
        try:
            return label(f"{ns}.{measure}", lang)
        except KeyError:
            continue
    return measure


def plot_pareto(summary: pd.DataFrame, *, measure: str = "revenue", lang: str = "zh", ax=None):
    """Bars per ABC class: share of customers next to share of the measure.

    Parameters
    ----------
    summary : DataFrame
        :func:`ars_analysis.customers.abc_summary` (pooled, one row per class).
    measure : str
        Name of the measure, for the title.
    """
    check_lang(lang)
    ax = _ax(ax)
    classes = summary["abc_class"].astype(str).tolist()
    x = np.arange(len(classes))
    w = 0.38
    b1 = ax.bar(
        x - w / 2,
        summary["item_share"],
        w,
        label=label("customers.item_share", lang),
        color="#949494",
    )
    b2 = ax.bar(
        x + w / 2,
        summary["measure_share"],
        w,
        label=label(
            "customers.measure_share_of",
            lang,
            measure=_measure_name(measure, lang).lower()
            if lang == "en"
            else _measure_name(measure, lang),
        ),
        color="#0173b2",
    )
    for bars in (b1, b2):
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in bars.datavalues], fontsize=9)
    ax.set_xticks(x, classes)
    ax.set_xlabel(label("customers.abc_class", lang))
    ax.set_ylabel(label("customers.share", lang))
    ax.set_ylim(0, 1.08)
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    name = _measure_name(measure, lang)
    ax.set_title(
        label("customers.pareto_title", lang, measure=name.lower() if lang == "en" else name)
    )
    ax.legend(loc="best")
    return ax


def plot_abc_curve(abc: pd.DataFrame, *, measure: str = "revenue", lang: str = "zh", ax=None):
    """The ABC (cumulative contribution) curve of an ungrouped :func:`abc_classify` table,
    points coloured by class."""
    check_lang(lang)
    ax = _ax(ax)
    n = len(abc)
    x = abc["rank"].to_numpy() / max(n, 1)
    ax.plot(
        np.r_[0, x],
        np.r_[0, abc["cumulative_share"].to_numpy()],
        color="#333333",
        lw=1,
        label=label("customers.pareto_curve", lang),
    )
    for cls, part in abc.groupby(abc["abc_class"].astype(str), sort=True):
        ax.scatter(
            part["rank"] / max(n, 1),
            part["cumulative_share"],
            s=12,
            color=_CLASS_COLOURS.get(cls, None),
            label=cls,
            zorder=3,
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.xaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.yaxis.set_major_formatter(plt.FuncFormatter(lambda v, _: f"{v:.0%}"))
    ax.set_xlabel(label("customers.cum_item_share", lang))
    ax.set_ylabel(label("customers.cum_measure_share", lang))
    ax.set_title(label("customers.pareto_title", lang, measure=_measure_name(measure, lang)))
    ax.legend(title=label("customers.abc_class", lang), loc="lower right")
    return ax


def _heatmap(mat: pd.DataFrame, ax, fmt: str, cmap: str = "Blues", vmin=None, vmax=None):
    values = mat.to_numpy(dtype=float)
    im = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax, aspect="auto")
    ax.set_xticks(range(mat.shape[1]), [str(c) for c in mat.columns])
    ax.set_yticks(range(mat.shape[0]), [str(i) for i in mat.index])
    ax.grid(False)
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            v = values[i, j]
            if np.isnan(v):
                continue
            r, g, b, _ = im.cmap(im.norm(v))
            dark = 0.299 * r + 0.587 * g + 0.114 * b < 0.5  # text colour by cell luminance
            ax.text(
                j,
                i,
                format(v, fmt),
                ha="center",
                va="center",
                fontsize=9,
                color="white" if dark else "black",
            )
    return im


def plot_abc_matrix(matrix: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Heatmap of :func:`ars_analysis.customers.abc_matrix` (counts per pair of classes)."""
    check_lang(lang)
    ax = _ax(ax, (5, 4.5))
    _heatmap(matrix, ax, "g")
    ax.set_ylabel(
        label("customers.matrix_rows", lang, measure=_measure_name(str(matrix.index.name), lang))
    )
    ax.set_xlabel(
        label("customers.matrix_cols", lang, measure=_measure_name(str(matrix.columns.name), lang))
    )
    ax.set_title(label("customers.matrix_title", lang))
    return ax


def plot_grade_profile(profile: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Heatmap of mean dimension scores by grade
    (:func:`ars_analysis.presentation.grade_profile`)."""
    check_lang(lang)
    mat = profile.pivot(index="grade", columns="dimension_label", values="score")
    mat = mat[profile.drop_duplicates("dimension")["dimension_label"].tolist()]
    ax = _ax(ax, (1.1 * mat.shape[1] + 2, 3.2))
    _heatmap(mat, ax, ".0f", vmin=0, vmax=100)
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_xlabel(label("customers.dimension", lang))
    ax.set_ylabel(label("customers.grade", lang))
    ax.set_title(label("customers.scores_title", lang))
    return ax


def plot_segment_profiles(
    percentiles: pd.DataFrame, *, lang: str = "zh", ax=None, segment_names: pd.Series | None = None
):
    """Heatmap of each segment's median as a percentile of all customers, per feature
    (:meth:`ars_analysis.customers.CustomerSegmenter.profile_percentiles`)."""
    check_lang(lang)
    p = percentiles.copy()
    p["feature_label"] = [_feature(f, lang) for f in p["feature"]]
    mat = p.pivot(index="segment", columns="feature_label", values="percentile")
    mat = mat[p.drop_duplicates("feature")["feature_label"].tolist()]
    if segment_names is not None:
        # numbered from 1, as in the report's segment table
        mat.index = [f"{i + 1}: {segment_names.get(i, '')}" for i in mat.index]
    ax = _ax(ax, (1.0 * mat.shape[1] + 3, 0.6 * mat.shape[0] + 2))
    _heatmap(mat, ax, ".0%", cmap="RdBu_r", vmin=0, vmax=1)
    ax.tick_params(axis="x", labelrotation=30)
    ax.set_xlabel(label("customers.feature", lang))
    ax.set_ylabel(label("customers.segment", lang))
    ax.set_title(label("customers.segments_title", lang))
    return ax


def _feature(name: str, lang: str) -> str:
    try:
        return label(f"customers.f_{name}", lang)
    except KeyError:
        return name


def plot_transitions(matrix: pd.DataFrame, *, lang: str = "zh", ax=None):
    """Heatmap of :func:`ars_analysis.customers.transition_matrix` (rows: start period)."""
    check_lang(lang)
    ax = _ax(ax, (5, 4.5))
    fmt = ".0%" if matrix.to_numpy().max() <= 1 and matrix.to_numpy().dtype.kind == "f" else "g"
    _heatmap(matrix, ax, fmt, cmap="Greens")
    start, end = matrix.index.name, matrix.columns.name
    ax.set_ylabel(label("customers.from_class", lang, period=start))
    ax.set_xlabel(label("customers.to_class", lang, period=end))
    ax.set_title(label("customers.transitions_title", lang, start=start, end=end))
    return ax
