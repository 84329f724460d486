"""One chart style for every report, with real CJK glyphs.

The Chinese font comes from the ``mplfonts`` package on PyPI (Noto Sans CJK SC). We register the
font *file* with matplotlib's font manager at run time; matplotlib's own configuration files are
never rewritten, and nothing is downloaded.
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

import matplotlib as mpl
import seaborn as sns
from matplotlib import font_manager

#: Font file shipped by mplfonts that covers simplified Chinese (and Latin).
CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"

#: The package palette: colour-blind safe, consistent across notebooks.
PALETTE = "colorblind"


@cache
def register_cjk_font() -> str:
    """Register the Noto Sans CJK font shipped by ``mplfonts`` and return its family name.

    Examples
    --------
    >>> register_cjk_font()
    'Noto Sans CJK SC'
    """
    path = Path(str(resources.files("mplfonts") / "fonts" / CJK_FONT_FILE))
    if not path.exists():
        raise FileNotFoundError(
            f"CJK font {path} not found: reinstall the 'mplfonts' package (it ships the font)"
        )
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def use_style(context: str = "notebook") -> None:
    """Apply the package's seaborn theme with a CJK-capable font first in the font list.

    Latin text keeps DejaVu Sans' look where the CJK font lacks a glyph; the minus sign is drawn
    as a hyphen because CJK fonts often lack U+2212.
    """
    family = register_cjk_font()
    sns.set_theme(context=context, style="whitegrid", palette=PALETTE)
    mpl.rcParams["font.family"] = "sans-serif"
    mpl.rcParams["font.sans-serif"] = [family, "DejaVu Sans"]
    mpl.rcParams["axes.unicode_minus"] = False
    mpl.rcParams["figure.dpi"] = 100
    mpl.rcParams["savefig.bbox"] = "tight"
    # Never "1e6" or an offset on an axis: plain numbers (thousands separators come from
    # :func:`thousands`, which every chart function applies to its value axes).
    mpl.rcParams["axes.formatter.limits"] = (-9, 15)
    mpl.rcParams["axes.formatter.useoffset"] = False
    mpl.rcParams["legend.loc"] = "best"
    mpl.rcParams["legend.framealpha"] = 0.85
    _sharp_inline_charts()


def _sharp_inline_charts() -> None:
    # Inline charts at twice the pixel density (sharp on high-resolution screens and in print).
    try:
        from matplotlib_inline.backend_inline import set_matplotlib_formats
    except ImportError:  # not in a notebook environment
        return
    set_matplotlib_formats("retina")


def thousands(ax, axis: str = "y", percent: bool = False, decimals: int = 0):
    """Format an axis of ``ax`` with thousands separators (or as percentages of 1) and return
    ``ax``.

    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 2_000_000], [0, 1])
    >>> thousands(ax, "x").xaxis.get_major_formatter()(1_500_000, 0)
    '1,500,000'
    >>> plt.close(fig)
    """
    from matplotlib.ticker import FuncFormatter

    if percent:
        formatter = FuncFormatter(lambda v, _: f"{100 * v:,.{decimals}f}%")
    else:
        formatter = FuncFormatter(lambda v, _: f"{v:,.{decimals}f}")
    for name in ("x", "y") if axis == "both" else (axis,):
        getattr(ax, f"{name}axis").set_major_formatter(formatter)
    return ax
