"""The package chart style: real CJK glyphs, one seaborn theme."""

from __future__ import annotations

import io
import logging
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from ars_analysis.charts.style import PALETTE, register_cjk_font, use_style  # noqa: E402

GLYPH_MISSING = re.compile(r"Glyph \d+ .*missing", re.IGNORECASE)


def _draw_chinese_chart() -> list[str]:
    """Draw (and save) a chart full of Chinese text; return every missing-glyph message."""
    messages: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record):
            messages.append(record.getMessage())

    handler = Collect(level=logging.DEBUG)
    logger = logging.getLogger("matplotlib")
    old_level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig, ax = plt.subplots()
            ax.bar(["华东", "华南", "西北"], [3, -1, 2], label="销售额（万元）")
            ax.set_title("各区域销售额 — 深度分销")
            ax.set_xlabel("区域")
            ax.set_ylabel("销售额")
            ax.legend(title="图例")
            fig.canvas.draw()
            fig.savefig(io.BytesIO(), format="png")
            fig.savefig(io.BytesIO(), format="svg")
            plt.close(fig)
        messages += [str(w.message) for w in caught]
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
    return [m for m in messages if GLYPH_MISSING.search(m)]


def test_register_cjk_font_returns_family_found_by_matplotlib():
    family = register_cjk_font()
    assert family == "Noto Sans CJK SC"
    path = mpl.font_manager.findfont(
        mpl.font_manager.FontProperties(family=family), fallback_to_default=False
    )
    assert path.endswith(".otf") and "NotoSansCJK" in path


def test_chinese_chart_has_no_missing_glyphs_with_package_style():
    with mpl.rc_context():
        use_style()
        assert mpl.rcParams["font.sans-serif"][0] == "Noto Sans CJK SC"
        assert _draw_chinese_chart() == []


def test_default_dejavu_font_does_miss_chinese_glyphs():
    """The check above can fail: with DejaVu Sans only, the same chart misses glyphs."""
    with mpl.rc_context():
        mpl.rcParams["font.family"] = "sans-serif"
        mpl.rcParams["font.sans-serif"] = ["DejaVu Sans"]
        missing = _draw_chinese_chart()
    assert missing, "expected missing-glyph warnings with DejaVu Sans"
    assert any("DejaVu Sans" in m for m in missing)


def test_use_style_sets_one_theme():
    import seaborn as sns

    with mpl.rc_context():
        use_style()
        assert mpl.rcParams["axes.unicode_minus"] is False
        assert mpl.rcParams["axes.grid"] is True  # seaborn whitegrid
        expected = [mpl.colors.to_hex(c) for c in sns.color_palette(PALETTE)]
        cycle = [mpl.colors.to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
        assert cycle[: len(expected)] == expected
        use_style()  # idempotent
        assert mpl.rcParams["font.sans-serif"].count("Noto Sans CJK SC") == 1


@pytest.mark.parametrize("context", ["notebook", "talk"])
def test_use_style_context(context):
    import seaborn as sns

    with mpl.rc_context():
        use_style(context)
        sns_ctx = sns.plotting_context(context)
        assert mpl.rcParams["font.size"] == pytest.approx(sns_ctx["font.size"])
