"""Writing the report: both files whole, or neither; never over a report open in Excel."""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection
from pathlib import Path

from workbook_tools.consolidation import Consolidation, consolidate, with_indicators
from workbook_tools.errors import OutputError
from workbook_tools.inbox.model import InboxResult
from workbook_tools.plan.model import Plan
from workbook_tools.report.summary import summary_bytes
from workbook_tools.report.workbook import build_workbook, workbook_built
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
    return _write(consolidation, folder, pending=False)[1]


def _write(
    consolidation: Consolidation, folder: Path, *, pending: bool
) -> tuple[Consolidation, ReportPaths]:
    """:func:`write_report`; with ``pending``, ``consolidation`` was made without its
    indicators, computed here while the workbook's tables are written. Returns the
    complete consolidation too."""
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
    aside = len(consolidation.plan.roster) >= ASIDE_MIN
    # A builder process is waited for once the files are written (it ends by itself).
    with contextlib.ExitStack() as later:
        complete, workbook_bytes = _workbook(
            consolidation, aside=aside, pending=pending, later=later
        )
        summary = summary_bytes(complete)
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
    return complete, paths


def _workbook(
    consolidation: Consolidation, *, aside: bool, pending: bool, later: contextlib.ExitStack
) -> tuple[Consolidation, Callable[[], bytes]]:
    """The complete consolidation, and the report workbook's bytes, built here or
    (``aside``) in a forked process.

    The returned function waits for the bytes. A forked process builds the
    workbook while this one goes on (computing the indicators, if
    ``pending``, and handing them over for the summary sheet, written last),
    hands the bytes over and ends without taking apart the hundred thousand
    objects it made; it is waited for only when ``later`` closes. If it fails in any
    way, the workbook is built here, where an error is raised as usual.
    """
    if not aside or "fork" not in multiprocessing.get_all_start_methods():
        complete = with_indicators(consolidation) if pending else consolidation
        built = build_workbook(complete)
        return complete, lambda: built
    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)
    indicators_pipe: tuple[Connection, Connection] | None = None
    if pending:
        indicators_pipe = context.Pipe(duplex=False)
    child = context.Process(
        target=_build_into, args=(consolidation, send, indicators_pipe), daemon=True
    )
    child.start()
    later.callback(child.join)
    send.close()
    complete = consolidation
    sending: threading.Thread | None = None
    if indicators_pipe is not None:
        builder_end, indicators_send = indicators_pipe
        builder_end.close()
        try:
            complete = with_indicators(consolidation)
        except BaseException:
            indicators_send.close()  # the builder stops too
            raise
        # Handed over by a thread: they take more than a pipe holds, and the
        # builder reads them only once its tables are written.
        sending = threading.Thread(
            target=_hand_over, args=(indicators_send, complete.indicators), daemon=True
        )
        sending.start()

    def wait() -> bytes:
        data: bytes | None = None
        try:
            with contextlib.suppress(EOFError, OSError):
                data = receive.recv_bytes()
        finally:
            receive.close()
            if sending is not None:
                sending.join()
        if data is None:  # the builder sends only a whole workbook
            child.join()
            return build_workbook(complete)
        return data

    return complete, wait


def _hand_over(send: Connection, indicators: object) -> None:
    try:
        with contextlib.suppress(OSError):  # the builder has ended: it is built here
            send.send(indicators)
    finally:
        send.close()


def _build_into(
    consolidation: Consolidation,
    send: Connection,
    indicators_pipe: tuple[Connection, Connection] | None,
) -> None:
    """The forked builder: the workbook's bytes into ``send``; the indicators, if they
    come through ``indicators_pipe``, read from its first end when the summary sheet
    is written."""
    indicators = None
    if indicators_pipe is not None:
        indicators, parent_end = indicators_pipe
        parent_end.close()  # so that a parent which fails before sending is an end of file
    try:
        receive = None if indicators is None else indicators.recv
        with workbook_built(consolidation, indicators=receive) as data:
            send.send_bytes(data)
            # Handed over: this process ends without taking apart what it made.
            os._exit(0)
    except Exception:
        raise SystemExit(1) from None  # no traceback: the parent builds it again and says
    finally:
        send.close()
        if indicators is not None:
            indicators.close()


def merge(
    plan: Plan, period_code: str, inbox: InboxResult, outbox: Path, now: datetime
) -> MergeOutcome:
    """Consolidate ``inbox`` and write the report into ``outbox/<period_code>/``."""
    # The indicators are computed while the report's tables are written.
    tables = consolidate(plan, period_code, inbox, generated_at=now, indicators=False)
    consolidation, paths = _write(tables, outbox / tables.period.code, pending=True)
    return MergeOutcome(consolidation=consolidation, paths=paths)
