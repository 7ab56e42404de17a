"""``wbt status`` and ``wbt check``: who has reported, on time or late, and what is wrong."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

import click

from workbook_tools.checks import read_and_check
from workbook_tools.cli import cli
from workbook_tools.cli.common import (
    dir_option,
    handle_errors,
    period_option,
    plan_option,
    workspace,
)
from workbook_tools.errors import OutputError, WorkspaceError
from workbook_tools.inbox import InboxResult, roster_status
from workbook_tools.inbox.model import EntryStatus
from workbook_tools.plan import load_plan
from workbook_tools.plan.model import Plan
from workbook_tools.problems import SEVERITY_LABELS, Problem, Severity
from workbook_tools.safety import inspect
from workbook_tools.workspace import Workspace, run_lock

#: Folder of the feedback copies inside the period's outbox.
FEEDBACK_FOLDER = "phan_hoi"

_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: None}
_HEADERS = ("Mã", "Tên", "Nộp", "Hạn", "Tệp dùng", "Lỗi", "Cảnh báo")


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

    Ví dụ: wbt status --period 6T-2024
    """
    _, plan, result = _run(root, plan_path, period_code)
    _print(plan, result)


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

    Ví dụ: wbt check --period 6T-2024
    """
    ws, plan = _prepare(root, plan_path)
    # The ledger and the feedback copies are written: one run at a time.
    with run_lock(ws.root):
        result = read_and_check(plan, period_code, ws.inbox, ws.ledger)
        _print(plan, result)
        written, failed = _write_feedback(ws, plan, result)
    folder = ws.period_outbox(result.period) / FEEDBACK_FOLDER
    click.echo("")
    if written:
        click.echo(f"Đã tạo {len(written)} bản phản hồi trong {folder}:")
        for path in written:
            click.echo(f"  {path.relative_to(folder).as_posix()}")
    elif not failed:
        click.echo("Không tệp nào có lỗi hay cảnh báo: không cần bản phản hồi.")
    if failed:
        for message in failed:
            click.secho(f"Lỗi: {message}", fg="red", err=True)
        raise SystemExit(1)


def _run(
    root: Path, plan_path: Path | None, period_code: str
) -> tuple[Workspace, Plan, InboxResult]:
    ws, plan = _prepare(root, plan_path)
    # The ledger is written: one run at a time.
    with run_lock(ws.root):
        result = read_and_check(plan, period_code, ws.inbox, ws.ledger)
    return ws, plan, result


def _prepare(root: Path, plan_path: Path | None) -> tuple[Workspace, Plan]:
    ws = workspace(root)
    plan = load_plan(plan_path if plan_path is not None else ws.find_plan())
    if not ws.inbox.is_dir():
        raise WorkspaceError(
            f"Thư mục {ws.root} không có thư mục 'inbox/'. Hãy tạo thư mục inbox/ và lưu các "
            "tệp thôn, đơn vị gửi về vào đó, hoặc dùng --dir để chỉ đến thư mục làm việc."
        )
    return ws, plan


# --- printing ----------------------------------------------------------------------


def _print(plan: Plan, result: InboxResult) -> None:
    period = plan.period(result.period)
    rows = roster_status(plan, period, result)
    click.echo(
        f"{period.name} ({period.code}), hạn nộp {period.unit_deadline:%d/%m/%Y}: "
        f"{len(rows)} thôn, đơn vị phải nộp."
    )
    for p in result.problems:
        if p.file is None and p.unit is None:  # the ledger's own warnings
            click.secho(f"{SEVERITY_LABELS[p.severity]}: {p.message}", fg=_COLORS[p.severity])
    click.echo("")
    _table(rows)
    click.echo("")
    click.echo(_summary_line(rows))
    _problems_by_unit(plan, rows, result)


def _table(rows: Sequence[EntryStatus]) -> None:
    table = [_HEADERS] + [_row(r) for r in rows]
    widths = [max(len(line[i]) for line in table) for i in range(len(_HEADERS))]
    for n, line in enumerate(table):
        text = "  ".join(
            cell.rjust(w) if i >= 5 else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        click.echo(text.rstrip())
        if n == 0:
            click.echo("  ".join("-" * w for w in widths))


def _row(r: EntryStatus) -> tuple[str, str, str, str, str, str, str]:
    timeliness = "-" if r.on_time is None else ("Đúng hạn" if r.on_time else "Trễ hạn")
    return (
        r.entry.code,
        r.entry.name,
        "Đã nộp" if r.received else "Chưa nộp",
        timeliness if r.received else "-",
        r.used.file if r.used is not None else "-",
        str(r.errors),
        str(r.warnings),
    )


def _summary_line(rows: Sequence[EntryStatus]) -> str:
    received = [r for r in rows if r.received]
    on_time = sum(r.on_time is True for r in received)
    missing = [r.entry.code for r in rows if not r.received]
    line = (
        f"Đã nộp {len(received)}/{len(rows)} (đúng hạn {on_time}, trễ hạn "
        f"{len(received) - on_time})"
    )
    return line + (f"; chưa nộp: {', '.join(missing)}." if missing else ".")


def _problems_by_unit(plan: Plan, rows: Sequence[EntryStatus], result: InboxResult) -> None:
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
    click.echo("Các vấn đề, theo từng thôn, đơn vị:")
    for r in rows:
        found = by_unit.pop(r.entry.code, [])
        if found:
            _problem_block(f"{r.entry.code} - {r.entry.name}", found)
    for code, found in by_unit.items():  # a unit no longer on the roster
        _problem_block(code, found)
    if unidentified:
        _problem_block("Các tệp không dùng được", unidentified)


def _problem_block(heading: str, found: Sequence[Problem]) -> None:
    """A unit's problems, file by file (a unit may have sent several)."""
    click.echo("")
    click.secho(f"{heading}:", bold=True)
    by_file: dict[str, list[Problem]] = {}
    for p in found:
        by_file.setdefault(p.file or "", []).append(p)
    for file, listed in by_file.items():
        click.echo(f"  Tệp {file}:")
        for p in listed:
            click.secho(f"    - {SEVERITY_LABELS[p.severity]}: {p.message}", fg=_COLORS[p.severity])


# --- feedback copies -----------------------------------------------------------------


def _write_feedback(ws: Workspace, plan: Plan, result: InboxResult) -> tuple[list[Path], list[str]]:
    """One feedback copy per file with an error or a warning, in the inbox's own subfolders.

    Returns the copies written, and why any other could not be (a copy open in
    Excel is left as it was, and the others are written all the same).
    """
    from workbook_tools.report.feedback import feedback_name, write_feedback

    by_file: dict[str, list[Problem]] = {}
    for p in result.problems:
        if p.file is not None:
            by_file.setdefault(p.file, []).append(p)
    labels = {f.code: f.label for f in plan.all_fields}
    period = plan.period(result.period)
    folder = ws.period_outbox(period.code) / FEEDBACK_FOLDER
    units = {s.file: s.unit for s in result.submissions}
    chosen: list[tuple[str, list[Problem]]] = []
    for file, found in by_file.items():
        if not any(p.severity is not Severity.INFO for p in found):
            continue  # superseded, duplicate, other period: nothing to correct
        # Only a file the safety step accepts is opened again (a zip bomb stays shut).
        if inspect(ws.inbox / file).usable:
            chosen.append((file, found))

    # T01.xls and T01.xlsx side by side would get one copy each of the same
    # name (the same on Windows whatever the case): they keep their extension.
    def key(file: str) -> str:
        return f"{PurePosixPath(file).parent}/{feedback_name(file)}".casefold()

    copies_named = Counter(key(file) for file, _ in chosen)
    written: list[Path] = []
    failed: list[str] = []
    for file, found in chosen:
        original = ws.inbox / file
        unit = units.get(file)
        title = f"{plan.entry(unit).name} - {period.name}" if unit else period.name
        target = folder / PurePosixPath(file).parent
        name = feedback_name(file, with_extension=copies_named[key(file)] > 1)
        try:
            written.append(
                write_feedback(original, found, target, labels=labels, title=title, name=name)
            )
        except OutputError as err:
            failed.append(str(err))
        except OSError as err:  # the returned file went away since it was read
            failed.append(
                f"Không đọc lại được tệp {original} để tạo bản phản hồi ({err.strerror})."
            )
    return written, failed
