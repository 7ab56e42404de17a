"""``wbt status`` and ``wbt check``: who has reported, on time or late, and what is wrong."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import click

from workbook_tools import pipeline
from workbook_tools.cli import cli
from workbook_tools.cli.common import (
    dir_option,
    echo_problem,
    handle_errors,
    open_period,
    period_option,
    plan_option,
    progress_bar,
    shown_path,
)
from workbook_tools.deadline import commune_deadline_text
from workbook_tools.inbox.arrival import (
    NEEDS_CONFIRMATION,
    correction_when,
    shown_arrival,
    source_label,
)
from workbook_tools.inbox.lock import LockState
from workbook_tools.inbox.model import EntryStatus, InboxResult, SubmissionStatus
from workbook_tools.inbox.read import plan_date, plan_zone
from workbook_tools.plan.model import Kind, Period, Plan
from workbook_tools.problems import Problem
from workbook_tools.report.locking import (
    confirmation_lines,
    correction_lines,
    lock_lines,
    review_text,
)

_HEADERS = ("Mã", "Tên", "Nộp", "Hạn", "Thời điểm nhận", "Tệp dùng", "Lỗi", "Cảnh báo", "Xem xét")
#: The columns right-aligned: the counts.
_COUNTS = (6, 7)


@cli.command("status")
@period_option
@dir_option
@plan_option
@handle_errors
def status(period_code: str, root: Path, plan_path: Path | None) -> None:
    """Tình hình nộp bài của một kỳ: ai đã nộp, ai chưa, đúng hạn hay trễ, lỗi gì.

    Đọc mọi tệp trong inbox/ (cả thư mục con), không sửa, không di chuyển tệp
    nào trong đó. Lần đầu thấy một tệp, lệnh ghi lại thời điểm nhận (ngày sửa
    tệp) vào sổ .wbt-ledger.sqlite3 để đúng hạn/trễ hạn không đổi về sau.

    Ví dụ: wbt status --period Q1-2025
    """
    ws, plan, period = open_period(root, plan_path, period_code)
    with progress_bar("Đang đọc bài nộp") as progress:
        outcome = pipeline.status(ws, plan, period, progress=progress)
    today = plan_date(datetime.now(), plan_zone(plan))
    _print(plan, period, outcome.rows, outcome.result, today=today)


@cli.command("check")
@period_option
@dir_option
@plan_option
@handle_errors
def check(period_code: str, root: Path, plan_path: Path | None) -> None:
    """Như wbt status, và tạo bản phản hồi cho mỗi tệp có lỗi hoặc cảnh báo.

    Bản phản hồi (ô sai tô màu, ghi chú cách sửa, trang "Cần sửa" liệt kê mọi
    chỗ cần sửa) được ghi vào outbox/KỲ/phan_hoi/ để gửi lại cho thôn, đơn vị.
    Tệp trong inbox/ không bị sửa.

    Ví dụ: wbt check --period Q1-2025
    """
    ws, plan, period = open_period(root, plan_path, period_code)
    with progress_bar("Đang đọc bài nộp") as progress:
        outcome = pipeline.check(ws, plan, period, progress=progress)
    today = plan_date(datetime.now(), plan_zone(plan))
    _print(plan, period, outcome.rows, outcome.result, today=today)
    written, failed = outcome.feedback.written, outcome.feedback.failed
    folder = outcome.feedback_folder
    click.echo("")
    if written:
        click.echo(f"Đã tạo {len(written)} bản phản hồi trong {folder}:")
        for path in written:
            click.echo(f"  {shown_path(path, folder)}")
    elif not failed:
        click.echo("Không tệp nào có lỗi hay cảnh báo: không cần bản phản hồi.")
    if failed:
        for message in failed:
            click.secho(f"Lỗi: {message}", fg="red", err=True)
        raise SystemExit(1)


# --- printing ----------------------------------------------------------------------


def _print(
    plan: Plan,
    period: Period,
    rows: Sequence[EntryStatus],
    result: InboxResult,
    *,
    today: date,
) -> None:
    who = f"{plan.settings.kind_word(Kind.VILLAGE)}, {plan.settings.kind_word(Kind.UNIT)}"
    click.echo(
        f"{period.name} ({period.code}), hạn nộp {period.unit_deadline:%d/%m/%Y}: "
        f"{len(rows)} {who} phải nộp. {commune_deadline_text(period, today)}."
    )
    for p in result.problems:
        if p.file is None and p.unit is None:  # the ledger's own warnings
            echo_problem(p)
    _lock_lines(plan, period, result)
    click.echo("")
    _table(rows, plan_zone(plan))
    click.echo("")
    click.echo(_summary_line(rows, period.code, plan_zone(plan)))
    _problems_by_unit(rows, result, who)


def _lock_lines(plan: Plan, period: Period, result: InboxResult) -> None:
    """A locked period said at once: since when, and the files that came after."""
    state = LockState(period.code, result.lock_history)
    after = [s for s in result.submissions if s.status is SubmissionStatus.AFTER_LOCK]
    for line in lock_lines(plan, state, after):
        click.secho(line, fg="yellow" if state.locked else None)


def _table(rows: Sequence[EntryStatus], zone: ZoneInfo) -> None:
    table = [_HEADERS] + [_row(r, zone) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(_HEADERS))]
    for n, line in enumerate(table):
        text = "  ".join(
            cell.rjust(w) if i in _COUNTS else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        click.echo(text.rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))


def _row(r: EntryStatus, zone: ZoneInfo) -> tuple[str, ...]:
    timeliness = "-" if r.on_time is None else ("Đúng hạn" if r.on_time else "Trễ hạn")
    if r.needs_confirmation:  # late by its time, on time by its form or its mail
        timeliness = NEEDS_CONFIRMATION.capitalize()
    return (
        r.entry.code,
        r.entry.name,
        "Đã nộp" if r.received else "Chưa nộp",
        timeliness if r.received else "-",
        _arrival(r, zone),
        r.used.file if r.used is not None else "-",
        str(r.errors),
        str(r.warnings),
        review_text(r.review, reported=r.received) or "-",
    )


def _arrival(r: EntryStatus, zone: ZoneInfo) -> str:
    """When the unit's report first arrived, in the plan's time zone (where on time and
    late are judged), and where that time comes from."""
    if not r.received or r.first_arrival is None:
        return "-"
    if r.correction is not None:  # the officer's: as typed, a day alone shown so
        when = correction_when(r.correction, zone, year=False)
    else:
        when = shown_arrival(r.first_arrival, zone, year=False)
    return f"{when} {source_label(r.arrival_source)}" if r.arrival_source else when


def _summary_line(rows: Sequence[EntryStatus], period: str, zone: ZoneInfo) -> str:
    received = [r for r in rows if r.received]
    on_time = sum(r.on_time is True for r in received)
    missing = [r.entry.code for r in rows if not r.received]
    line = (
        f"Đã nộp {len(received)}/{len(rows)} (đúng hạn {on_time}, trễ hạn "
        f"{len(received) - on_time})"
    )
    line += f"; chưa nộp: {', '.join(missing)}." if missing else "."
    notes = confirmation_lines(received, period) + correction_lines(
        received, zone, lambda e: f"{e.code} - {e.name}"
    )
    return "\n".join([line, *notes])


def _problems_by_unit(rows: Sequence[EntryStatus], result: InboxResult, who: str) -> None:
    by_unit: dict[str, list[Problem]] = {}
    unidentified: list[Problem] = []
    for p in result.problems:
        if p.unit is not None:
            by_unit.setdefault(p.unit, []).append(p)
        elif p.file is not None:
            unidentified.append(p)
    if not by_unit and not unidentified:
        click.echo("Không có vấn đề nào.")
        return
    click.echo("")
    click.echo(f"Các vấn đề, theo từng {who}:")
    for r in rows:
        found = by_unit.pop(r.entry.code, [])
        if found:
            _problem_block(f"{r.entry.code} - {r.entry.name}", found)
    for code, found in by_unit.items():  # a unit no longer on the roster
        _problem_block(code, found)
    if unidentified:
        _problem_block("Các tệp không dùng được", unidentified)


#: Files listed by name in one block; past a screenful the rest are counted.
FILES_SHOWN = 20


def _problem_block(heading: str, found: Sequence[Problem]) -> None:
    """A unit's problems, file by file (a unit may have sent several); past
    :data:`FILES_SHOWN` files, the others counted (an inbox of junk would
    otherwise print thousands of lines)."""
    click.echo("")
    click.secho(f"{heading}:", bold=True)
    by_file: dict[str, list[Problem]] = {}
    for p in found:
        by_file.setdefault(p.file or "", []).append(p)
    for file, listed in list(by_file.items())[:FILES_SHOWN]:
        click.echo(f"  Tệp {file}:")
        for p in listed:
            echo_problem(p, "    - ")
    rest = len(by_file) - FILES_SHOWN
    if rest > 0:
        click.echo(
            f"  … và {rest:,} tệp khác".replace(",", ".")
            + ' (danh sách đầy đủ ở trang "Lỗi dữ liệu" của báo cáo do wbt merge ghi, và trong '
            "tệp tong_hop_KỲ.json)."
        )
