"""The report step: the consolidated workbook and the JSON summary, and writing them.

:func:`build_workbook` and :func:`build_summary` turn a
:class:`~workbook_tools.consolidation.Consolidation` into bytes and a dict;
:func:`write_report` writes both into the period's outbox folder, whole or not
at all; :func:`merge` runs the consolidation and the writing in one call.
"""

from workbook_tools.report.summary import build_summary, summary_bytes
from workbook_tools.report.workbook import SHEET_NAMES, build_workbook
from workbook_tools.report.write import (
    ReportPaths,
    report_paths,
    write_report,
)

__all__ = [
    "SHEET_NAMES",
    "ReportPaths",
    "build_summary",
    "build_workbook",
    "report_paths",
    "summary_bytes",
    "write_report",
]
