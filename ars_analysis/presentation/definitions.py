"""The appendix every report ends with: data quality, the client's definitions, the parameters
in words, method notes."""

from __future__ import annotations

from ars_analysis.client import ClientConfig
from ars_analysis.labels import label
from ars_analysis.presentation import fmt
from ars_analysis.presentation.blocks import Html, _esc, definitions_table, quality_table


def definition_rows(cfg: ClientConfig, lang: str = "zh") -> list[tuple[str, str]]:
    """The client's definitions in words, one (name, text) pair each."""
    d = cfg.definitions
    within = label(f"common.within_{d.top_terminal.within}", lang)
    cc = d.core_customer
    return [
        (
            label("common.def_top_terminal", lang),
            label(
                "common.def_top_terminal_text",
                lang,
                share=fmt.percent(d.top_terminal.share, 0),
                within=within,
            ),
        ),
        (label("common.def_core_customer", lang), label("common.def_core_customer_text", lang)),
        (
            label("common.def_abc", lang),
            label(
                "common.def_abc_text",
                lang,
                a=fmt.percent(cc.abc_cuts[0], 0),
                b=fmt.percent(cc.abc_cuts[1], 0),
                scope=label(f"common.scope_{cc.abc_scope}", lang),
                min_group=cc.abc_min_group,
            ),
        ),
        (
            label("common.def_min_sample", lang),
            label(
                "common.def_min_sample_text",
                lang,
                correlation=cfg.min_sample.correlation,
                segments=cfg.min_sample.segments,
                group=cfg.min_sample.group_rate,
            ),
        ),
    ]


def appendix(
    quality,
    cfg: ClientConfig,
    lang: str = "zh",
    *,
    parameters: list[tuple[str, str]] | None = None,
    methods: list[str] | None = None,
) -> Html:
    """Appendix: data quality (each problem named), definitions, parameters in words, methods.

    ``parameters`` are (name, value) pairs already in words and in ``lang`` (never a parameter
    name); ``methods`` are method notes and references, already in ``lang``.
    """
    parts = [f'<h2 class="ars-section" id="appendix">{_esc(label("common.appendix", lang))}</h2>']
    parts.append(f"<h3>{_esc(label('common.data_quality', lang))}</h3>")
    parts.append(quality_table(quality, lang)._repr_html_())
    parts.append(f"<h3>{_esc(label('common.definitions', lang))}</h3>")
    parts.append(definitions_table(definition_rows(cfg, lang), lang).html)
    if parameters:
        parts.append(f"<h3>{_esc(label('common.parameters', lang))}</h3>")
        parts.append(definitions_table(parameters, lang).html)
    if methods:
        parts.append(f"<h3>{_esc(label('common.methods', lang))}</h3>")
        parts.append("<ul>" + "".join(f"<li>{_esc(m)}</li>" for m in methods) + "</ul>")
    return Html("".join(parts))
