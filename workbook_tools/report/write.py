"""Writing the report: both files whole, or neither; never over a report open in Excel."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path

from workbook_tools.consolidation import Consolidation
from workbook_tools.errors import OutputError
from workbook_tools.report.summary import summary_bytes
from workbook_tools.report.workbook import build_workbook
from workbook_tools.workspace import lock_files, remove_stale_temporaries, write_atomic

WORKBOOK_NAME = "BaoCao_TongHop_{period}.xlsx"
SUMMARY_NAME = "tong_hop_{period}.json"


@dataclass(frozen=True, slots=True)
class ReportPaths:
    workbook: Path
    summary: Path


def report_paths(folder: Path, period_code: str) -> ReportPaths:
    """Where the report of ``period_code`` goes inside ``folder``."""
    return ReportPaths(
        workbook=folder / WORKBOOK_NAME.format(period=period_code),
        summary=folder / SUMMARY_NAME.format(period=period_code),
    )


def write_report(consolidation: Consolidation, folder: Path) -> ReportPaths:
    """Write the workbook and the JSON summary into ``folder``; return their paths.

    Both are built in memory first. If the workbook is open in a spreadsheet
    program, nothing is written and :class:`OutputError` says to close it. If
    the second file cannot be written, the first is put back as it was.
    Temporaries left beside them by a run killed mid-write are removed.
    """
    paths = report_paths(folder, consolidation.period.code)
    for path in (paths.workbook, paths.summary):
        locks = lock_files(path)
        if locks:
            raise OutputError(
                f"Tệp {path} đang được mở (trong Excel, LibreOffice hoặc WPS) nên chưa ghi báo "
                "cáo mới; báo cáo cũ vẫn được giữ nguyên. Hãy đóng tệp rồi chạy lại lệnh. Nếu "
                f"tệp không mở ở đâu cả, hãy xóa tệp khóa {locks[0]}."
            )
    for path in (paths.workbook, paths.summary):
        remove_stale_temporaries(path)  # left by a run killed while writing
    workbook = build_workbook(consolidation)
    summary = summary_bytes(consolidation)
    previous = paths.workbook.read_bytes() if paths.workbook.is_file() else None
    write_atomic(paths.workbook, workbook)
    try:
        write_atomic(paths.summary, summary)
    except OutputError:
        # Keep the pair consistent: a new workbook next to an old summary would mislead.
        with contextlib.suppress(OutputError, OSError):
            if previous is None:
                paths.workbook.unlink()
            else:
                write_atomic(paths.workbook, previous)
        raise
    return paths
