"""Charts for client reports.

Plotting never computes: each function takes a tidy DataFrame produced by an analysis module,
draws on the ``ax`` it is given (or a new one), labels everything in the report language through
:mod:`ars_analysis.labels`, and returns the Axes. Nothing here calls ``plt.show()``.

Call :func:`use_style` once (notebooks do it in their first cell) to get the package's seaborn
theme and a CJK font that renders Chinese labels.
"""

from ars_analysis.charts.style import register_cjk_font, use_style

__all__ = ["use_style", "register_cjk_font"]
