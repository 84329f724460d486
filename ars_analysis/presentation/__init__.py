"""Presentation: the one place that turns analysis results into what a client reads.

Analyses return numbers and frames in one vocabulary and take no language. This package turns
them into localised tables (:class:`ReportTable`), sentences from the label files (:func:`say`),
the blocks of a report in the order of the report standard (title block, key findings, actions,
sections, appendix), formatted workbooks (:func:`write_workbook`) and self-contained pages
(:mod:`~ars_analysis.presentation.page`); :func:`record_results` writes the key results of a
notebook for the runner and the tests (:mod:`~ars_analysis.presentation.record`).
"""

from ars_analysis.presentation import fmt
from ars_analysis.presentation.blocks import (
    Action,
    ActionList,
    Finding,
    Html,
    KeyResult,
    ReportSummary,
    actions_block,
    caveat,
    definitions_table,
    findings_block,
    period_text,
    quality_table,
    read_summary,
    report_opening,
    save_summary,
    say,
    scope_text,
    section,
    title_block,
)
from ars_analysis.presentation.customers import grade_profile, segment_labels, segmenter_labels
from ars_analysis.presentation.definitions import appendix
from ars_analysis.presentation.record import RESULTS_FILE, read_results, record_results
from ars_analysis.presentation.tables import ReportTable, header, place_name, with_names
from ars_analysis.presentation.workbook import write_workbook

__all__ = [
    "RESULTS_FILE",
    "read_results",
    "record_results",
    "Action",
    "ActionList",
    "Finding",
    "Html",
    "KeyResult",
    "ReportSummary",
    "ReportTable",
    "actions_block",
    "appendix",
    "caveat",
    "definitions_table",
    "findings_block",
    "fmt",
    "grade_profile",
    "header",
    "period_text",
    "place_name",
    "quality_table",
    "read_summary",
    "report_opening",
    "save_summary",
    "say",
    "scope_text",
    "section",
    "segment_labels",
    "segmenter_labels",
    "title_block",
    "with_names",
    "write_workbook",
]
