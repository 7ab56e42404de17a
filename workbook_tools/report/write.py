"""Writing the report (workbook, Word report, JSON summary): its files whole, or none;
never over a report open in Excel; never over what the officer typed into it.

The period's folder holds the report (workbook, Word report from the officer's template
or the built-in one, JSON summary) and a hidden record of it, ``.wbt-report.json``: the
SHA-256 of each report file as the tool wrote it (the JSON summary's too, which
``wbt lock`` checks), and the officer's entries for the period (:mod:`.entries`). All
are replaced together (:func:`~workbook_tools.workspace.write_together`). A report file
whose content is no longer what the record says (the officer typed the number into it,
say), or that the record does not know (made by hand, or by a wbt before the record), is
first kept beside it under a dated name (:func:`kept_name`), in the same replacement: the
copy is there if and only if the new report is.

A Word template that cannot be used (:class:`~workbook_tools.errors.TemplateError`)
does not stop the rest: the workbook and the JSON summary are written, the Word
report is not (the one there, if any, stays as it was, and the record keeps its
digest), and :attr:`ReportPaths.template_error` says why. The built-in template
replaces the officer's only when the caller asks (``use_builtin``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from workbook_tools import history
from workbook_tools.consolidation import Consolidation
from workbook_tools.errors import LockError, OutputError, TemplateError
from workbook_tools.inbox.lock import LockState, ReportToLock, lock_record, locked_files, shown_time
from workbook_tools.report.document import DOCUMENT_NAME, ReportEntries, build_document
from workbook_tools.report.entries import Entries, ResolvedEntries, full_number, resolve
from workbook_tools.report.record import RECORD_NAME, Record, digest, read_record, record_lock
from workbook_tools.report.summary import build_summary, figures_digest, summary_bytes
from workbook_tools.report.workbook import build_workbook
from workbook_tools.workspace import (
    backup_path,
    finish_interrupted,
    lock_files,
    write_atomic,
    write_together,
)

WORKBOOK_NAME = "BaoCao_TongHop_{period}.xlsx"
SUMMARY_NAME = history.SUMMARY_NAME  # the earlier periods' are read back by history.py
#: A report the officer changed, kept: "BaoCao_TongHop_6T-2024 (sửa 18-06-2024 09-30).xlsx",
#: dated by its last save (no character Windows refuses in a name: no ":" or "/").
KEPT_NAME = "{stem} (sửa {when:%d-%m-%Y %H-%M}){suffix}"
#: The folder of a locked report's copy, in the period's outbox (``wbt lock``).
LOCKED_COPY_FOLDER = "da_chot_{when:%Y-%m-%d_%H%M}"


@dataclass(frozen=True, slots=True)
class KeptCopy:
    """A report file the officer had changed (or made), kept before it was replaced."""

    report: Path  # the report file it was
    copy: Path  # where it is now, byte for byte


@dataclass(frozen=True, slots=True)
class ReportPaths:
    workbook: Path
    summary: Path
    document: Path  # the Word report
    #: The officer's changed copies kept by the write that returned these paths.
    kept: tuple[KeptCopy, ...] = ()
    #: The officer's entries the report was written with (remembered for the period).
    entries: ResolvedEntries | None = None
    #: Why the Word report was not written (its template cannot be used); None: it was.
    template_error: TemplateError | None = None

    @property
    def written(self) -> tuple[Path, ...]:
        """The report files written: the Word report only if its template could be used."""
        if self.template_error is not None:
            return (self.workbook, self.summary)
        return (self.workbook, self.document, self.summary)

    @property
    def record(self) -> Path:
        """The hidden record of the report (:data:`RECORD_NAME`)."""
        return self.workbook.with_name(RECORD_NAME)


def report_paths(folder: Path, period_code: str) -> ReportPaths:
    """Where the report of ``period_code`` goes inside ``folder``."""
    return ReportPaths(
        workbook=folder / WORKBOOK_NAME.format(period=period_code),
        summary=folder / SUMMARY_NAME.format(period=period_code),
        document=folder / DOCUMENT_NAME.format(period=period_code),
    )


def write_report(
    consolidation: Consolidation,
    folder: Path,
    changes: Entries | None = None,
    cleared: frozenset[str] = frozenset(),
    *,
    template: Path | None = None,
    use_builtin: bool = False,
) -> ReportPaths:
    """Write the workbook, the Word report and the JSON summary into ``folder``; return their
    paths and the officer's changed copies kept.

    ``changes``: the officer's entries given now (``cleared``: the fields given empty),
    added to those remembered in the period's record; the report is written with them
    (:func:`~.entries.resolve`) and the record remembers them for the next merge.

    All files are built in memory first, then replaced together or not at all
    (:func:`~workbook_tools.workspace.write_together`): whatever stops the run,
    the folder holds the old files or the new ones, never a new workbook beside an
    old summary (a run killed between the two is undone by the next command that
    holds the run lock). A report file changed since the tool wrote it is kept
    beside it first (:data:`KEPT_NAME`), in the same replacement. If a file is open
    in a spreadsheet program, nothing is written and :class:`OutputError` says to
    close it; any other failure is an :class:`OutputError` saying which file, why,
    and what is on disk.

    ``template``: the officer's Word template (None: the built-in one); ``use_builtin``:
    the built-in one even so. A template that cannot be used leaves the Word report
    unwritten, said in the returned paths' ``template_error``; the rest is written.
    """
    paths = report_paths(folder, consolidation.period.code)
    for path in (paths.workbook, paths.document, paths.summary):
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
    record = read_record(folder)
    stored = record.entries.updated(changes or Entries(), cleared)
    entries = resolve(stored, consolidation.plan.settings)
    reports = [(paths.workbook, build_workbook(consolidation, entries))]
    template_error = None
    try:
        document = build_document(
            consolidation, document_entries(stored), template, use_builtin=use_builtin
        )
    except TemplateError as err:
        template_error = err
    else:
        reports.append((paths.document, document))
    summary = summary_bytes(consolidation)
    copies = officer_copies(reports, record)
    written = {p.name: digest(data) for p, data in reports}
    # The summary's too: a lock (wbt lock) checks that it locks the summary wbt wrote.
    written[paths.summary.name] = digest(summary)
    if template_error is not None and paths.document.name in record.written:
        # The Word report not rewritten: what the tool wrote last is still known.
        written[paths.document.name] = record.written[paths.document.name]
    new_record = Record(written, stored, record.lock)
    files = [
        *reports,
        (paths.summary, summary),
        *((kept.copy, data) for kept, data, _ in copies if not kept.copy.exists()),
        (paths.record, new_record.to_bytes()),
    ]
    write_together(files, hidden={paths.record})
    for kept, _, saved in copies:  # the copy dated as the officer saved it
        with contextlib.suppress(OSError):
            os.utime(kept.copy, ns=(saved, saved))
    kept_copies = tuple(kept for kept, _, _ in copies)
    return ReportPaths(
        paths.workbook, paths.summary, paths.document, kept_copies, entries, template_error
    )


def document_entries(given: Entries) -> ReportEntries:
    """The officer's entries as the Word report takes them (``None``: the plan's)."""
    return ReportEntries(
        number=full_number(given.number) if given.number else None,
        signed_on=given.signed_on,
        signer_name=given.signer_name,
        signer_title=given.signer_title,
        report_to=given.report_to,
        receivers=given.recipients,
    )


def officer_copies(
    reports: Sequence[tuple[Path, bytes]], record: Record
) -> list[tuple[KeptCopy, bytes, int]]:
    """The report files to keep before they are replaced: each one there whose content is
    not what the tool last wrote (by ``record``) nor what it writes now; with its bytes
    and its modification time (ns)."""
    kept: list[tuple[KeptCopy, bytes, int]] = []
    for path, new in reports:
        try:
            if not path.is_file():
                continue
            saved = path.stat().st_mtime_ns
            old = path.read_bytes()
        except OSError as err:
            raise OutputError(
                f"Không đọc được tệp {path} ({err.strerror or err}) nên chưa ghi báo cáo mới: "
                "tệp có thể đã được sửa và cần giữ lại. Hãy đóng tệp (nếu đang mở), kiểm tra "
                "quyền đọc rồi chạy lại lệnh."
            ) from err
        if old == new or record.written.get(path.name) == digest(old):
            continue
        copy = _free_name(path, old, datetime.fromtimestamp(saved / 1e9))
        kept.append((KeptCopy(path, copy), old, saved))
    return kept


def kept_name(path: Path, when: datetime, number: int = 1) -> Path:
    """The name of ``path``'s changed copy saved at ``when``; ``number`` from 2 when taken."""
    name = KEPT_NAME.format(stem=path.stem, when=when, suffix=path.suffix)
    if number > 1:
        stem, suffix = os.path.splitext(name)
        name = f"{stem} ({number}){suffix}"
    return path.with_name(name)


def _free_name(path: Path, content: bytes, when: datetime) -> Path:
    """The first :func:`kept_name` of ``path`` not taken by another file (one holding
    ``content`` already is that copy: not made twice)."""
    number = 1
    while True:
        candidate = kept_name(path, when, number)
        if not candidate.exists() or _holds(candidate, content):
            return candidate
        number += 1


def _holds(path: Path, content: bytes) -> bool:
    try:
        return path.is_file() and path.read_bytes() == content
    except OSError:
        return False


# --- a locked report (wbt lock, wbt merge) -------------------------------------------------


def report_to_lock(folder: Path, code: str) -> ReportToLock:
    """The report of period ``code`` in ``folder`` that ``wbt lock`` is to lock, read back
    from its JSON summary: the files it used and the digests a lock keeps. Raises
    :class:`LockError` if there is none, it cannot be read, or it is not the summary
    wbt wrote at the last merge (by the record's digest)."""
    paths = report_paths(folder, code)
    merge_first = f"Hãy chạy wbt merge --period {code} để tổng hợp, rồi chốt số liệu."
    try:
        data = paths.summary.read_bytes()
    except FileNotFoundError:
        raise LockError(
            f"Kỳ {code} chưa có báo cáo tổng hợp (không có tệp {paths.summary}): chưa có gì "
            f"để chốt. {merge_first}"
        ) from None
    except OSError as err:
        raise LockError(
            f"Không đọc được tệp {paths.summary} ({err.strerror or err}). {merge_first}"
        ) from err
    record = read_record(folder)
    sha256 = digest(data)
    if record.written.get(paths.summary.name) != sha256:
        raise LockError(
            f"Tệp {paths.summary} không phải bản wbt ghi ở lần tổng hợp gần nhất (đã bị sửa "
            f"hoặc chép từ nơi khác), nên không biết báo cáo dùng những tệp nào. {merge_first}"
        )
    try:
        summary = json.loads(data)
        made = datetime.fromisoformat(summary["generated_at"])
        files = locked_files(summary["submissions"])
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise LockError(f"Tệp {paths.summary} không đọc được ({err}). {merge_first}") from err
    if summary.get("period") != code:
        raise LockError(f"Tệp {paths.summary} không phải báo cáo kỳ {code}. {merge_first}")
    return ReportToLock(
        period=code,
        summary=paths.summary,
        data=data,
        sha256=sha256,
        workbook_sha256=record.written.get(paths.workbook.name, ""),
        figures_sha256=figures_digest(summary),
        made=made.replace(tzinfo=None),
        files=files,
    )


def keep_locked_report(report: ReportToLock, now: datetime) -> Path:
    """A copy of the report being locked (its workbook, Word report and JSON summary, byte
    for byte as on disk; the JSON summary as checked) in a new folder of the period's
    outbox (:data:`LOCKED_COPY_FOLDER`), written all or none. Later merges replace the
    report files, never this folder. Raises :class:`LockError` if it cannot be written:
    the lock is then not recorded."""
    outbox = report.summary.parent
    paths = report_paths(outbox, report.period)
    files: list[tuple[str, bytes]] = []
    for path in (paths.workbook, paths.document):
        try:
            files.append((path.name, path.read_bytes()))
        except FileNotFoundError:
            continue  # not written (a Word template that could not be used): nothing to keep
        except OSError as err:
            raise LockError(
                f"Chưa chốt được số liệu: không đọc được tệp {path} để cất bản sao báo cáo đã "
                f"chốt ({err.strerror or err}). Hãy đóng tệp nếu đang mở rồi chạy lại lệnh."
            ) from err
    files.append((paths.summary.name, report.data))
    name = LOCKED_COPY_FOLDER.format(when=now)
    folder = outbox / name
    n = 1
    while os.path.lexists(folder):  # locked again within the minute: a copy of its own
        n += 1
        folder = outbox / f"{name}_{n}"
    # Written in a hidden folder, then renamed: the copy's folder holds every file or is
    # not there (a run stopped halfway leaves only the hidden one, replaced next time).
    making = outbox / f".{folder.name}.tmp"
    try:
        if os.path.lexists(making):
            shutil.rmtree(making)  # left by a lock stopped halfway: ours, never sent
        making.mkdir()
        for file, content in files:
            write_atomic(making / file, content, what="bản sao báo cáo đã chốt")
        making.rename(folder)
    except OutputError as err:
        raise LockError(f"Chưa chốt được số liệu: {err}") from err
    except OSError as err:
        raise LockError(
            f"Chưa chốt được số liệu: không tạo được thư mục {folder} để cất bản sao báo cáo "
            f"đã chốt ({err.strerror or err})."
        ) from err
    finally:
        with contextlib.suppress(OSError):
            shutil.rmtree(making)  # gone once renamed; what is left of a failed copy
    return folder


def copy_lock(folder: Path, state: LockState) -> str | None:
    """The lock kept in the period's record beside the report too (a second place, from
    which a ledger that lost it gets it back); why not, if it cannot be written."""
    if not folder.is_dir():
        return None  # no report there: nothing to keep it beside
    try:
        record_lock(folder, lock_record(state))
    except OutputError as err:
        return str(err)
    return None


def require_locked_figures(consolidation: Consolidation) -> None:
    """A locked period's merge gives the locked figures, or writes nothing."""
    lock = consolidation.lock.current
    if lock is None or not lock.figures_sha256:
        return
    if figures_digest(build_summary(consolidation)) != lock.figures_sha256:
        code = consolidation.period.code
        raise LockError(
            f"Số liệu tổng hợp lại của kỳ {code} khác với số liệu đã chốt lúc "
            f"{shown_time(lock.at)}, dù các tệp vẫn là các tệp đã chốt: có thể tệp kế hoạch "
            "(chỉ tiêu, công thức, danh sách), thời điểm nhận bài (wbt arrival) hoặc báo cáo kỳ "
            "trước dùng để so sánh đã thay đổi sau khi chốt. Chưa ghi báo cáo mới; báo cáo đã "
            "chốt được giữ nguyên. Nếu cần tổng hợp theo các thay đổi đó, hãy mở chốt "
            f'bằng lệnh wbt unlock --period {code} --reason "lý do" rồi chạy lại wbt merge.'
        )
