"""Writing the report: both files whole, or neither; never over a report open in Excel."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from workbook_tools.consolidation import Consolidation
from workbook_tools.errors import OutputError
from workbook_tools.report.summary import summary_bytes
from workbook_tools.report.workbook import build_workbook
from workbook_tools.workspace import (
    backup_path,
    finish_interrupted,
    lock_files,
    write_together,
)

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

    Both are built in memory first, then replaced together or not at all
    (:func:`~workbook_tools.workspace.write_together`): whatever stops the run,
    the folder holds the old pair or the new one, never a new workbook beside an
    old summary (a run killed between the two is undone by the next command that
    holds the run lock). If either file is open in a spreadsheet program, nothing
    is written and :class:`OutputError` says to close it; any other failure is an
    :class:`OutputError` saying which file, why, and what is on disk.
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
    # An earlier run stopped between the two files: its old pair back first.
    stuck = finish_interrupted(folder)
    if stuck:
        path, err = stuck[0]
        raise OutputError(
            f"Lần ghi báo cáo trước bị dừng giữa chừng, và chưa đặt lại được bản cũ của tệp "
            f"{path} ({err.strerror or err}): tệp đó là bản mới, chưa khớp với tệp còn lại; "
            f"bản cũ được giữ trong tệp ẩn {backup_path(path)}. Hãy đóng tệp {path} (nếu "
            "đang mở trong Excel) rồi chạy lại lệnh."
        )
    workbook = build_workbook(consolidation)
    summary = summary_bytes(consolidation)
    write_together([(paths.workbook, workbook), (paths.summary, summary)])
    return paths
