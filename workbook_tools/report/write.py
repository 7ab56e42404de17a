"""Writing the report: both files whole, or neither; never over a report open in Excel."""

from __future__ import annotations

import contextlib
import multiprocessing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path

from workbook_tools.consolidation import Consolidation, consolidate
from workbook_tools.errors import OutputError
from workbook_tools.inbox.model import InboxResult
from workbook_tools.plan.model import Plan
from workbook_tools.report.summary import summary_bytes
from workbook_tools.report.workbook import build_workbook
from workbook_tools.workspace import lock_files, remove_stale_temporaries, write_atomic

WORKBOOK_NAME = "BaoCao_TongHop_{period}.xlsx"
#: From this many roster entries the workbook is built in a second process
#: (where processes can be forked) while this one writes the summary.
ASIDE_MIN = 200
SUMMARY_NAME = "tong_hop_{period}.json"


@dataclass(frozen=True, slots=True)
class ReportPaths:
    workbook: Path
    summary: Path


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    consolidation: Consolidation
    paths: ReportPaths


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
    workbook_bytes = _workbook(consolidation, aside=len(consolidation.plan.roster) >= ASIDE_MIN)
    summary = summary_bytes(consolidation)
    workbook = workbook_bytes()
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


def _workbook(consolidation: Consolidation, *, aside: bool) -> Callable[[], bytes]:
    """The report workbook's bytes, built here or (``aside``) in a forked process.

    The returned function waits for them. A forked process builds the
    workbook while this one goes on, and ends without freeing the hundred
    thousand objects it made. If it fails in any way, the workbook is built
    here, where an error is raised as usual.
    """
    if not aside or "fork" not in multiprocessing.get_all_start_methods():
        built = build_workbook(consolidation)
        return lambda: built
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    child = context.Process(target=_build_into, args=(consolidation, send), daemon=True)
    child.start()
    send.close()

    def wait() -> bytes:
        data: bytes | None = None
        try:
            with contextlib.suppress(EOFError, OSError):
                data = receive.recv_bytes()
        finally:
            receive.close()
            child.join()
        if data is None or child.exitcode != 0:
            return build_workbook(consolidation)
        return data

    return wait


def _build_into(consolidation: Consolidation, send: Connection) -> None:
    try:
        send.send_bytes(build_workbook(consolidation))
    except Exception:
        raise SystemExit(1) from None  # no traceback: the parent builds it again and says
    finally:
        send.close()


def merge(
    plan: Plan, period_code: str, inbox: InboxResult, outbox: Path, now: datetime
) -> MergeOutcome:
    """Consolidate ``inbox`` and write the report into ``outbox/<period_code>/``."""
    consolidation = consolidate(plan, period_code, inbox, generated_at=now)
    paths = write_report(consolidation, outbox / consolidation.period.code)
    return MergeOutcome(consolidation=consolidation, paths=paths)
