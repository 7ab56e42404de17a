"""``wbt lock`` / ``wbt unlock`` (chốt số liệu of a period) and ``wbt review`` (a unit's
file accepted or returned): the officer's decisions, kept in the ledger."""

from __future__ import annotations

from pathlib import Path

import click

from workbook_tools import pipeline
from workbook_tools.cli import cli
from workbook_tools.cli.common import (
    dir_option,
    handle_errors,
    open_period,
    period_option,
    plan_option,
    progress_bar,
    shown_path,
)
from workbook_tools.inbox.lock import REVIEW_LABELS, ReviewState, entry_name, shown_time
from workbook_tools.inbox.model import Submission
from workbook_tools.plan.model import Plan


@cli.command("lock")
@period_option
@dir_option
@plan_option
@click.option(
    "--reason",
    metavar="LÝ_DO",
    default="",
    help='Ghi chú khi chốt, ví dụ "Đã gửi Báo cáo số 45/BC-UBND cho UBND huyện".',
)
@handle_errors
def lock_command(period_code: str, root: Path, plan_path: Path | None, reason: str) -> None:
    """Chốt số liệu của một kỳ: báo cáo đã gửi giữ nguyên số liệu.

    Ghi lại báo cáo tổng hợp của lần wbt merge gần nhất (mã băm của tệp JSON và
    của báo cáo Excel) và các tệp của từng thôn, đơn vị mà báo cáo đó đã dùng.
    Từ đó, mỗi lần wbt merge kỳ này dùng đúng các tệp đã chốt nên ra đúng số liệu
    đã chốt; tệp nào nộp sau (kể cả tệp đã có trong inbox/ nhưng chưa có trong báo
    cáo lúc chốt) được liệt kê riêng là "nộp sau khi chốt số liệu", không được
    tính. Muốn tính cả tệp mới: chạy wbt merge trước rồi mới chốt, hoặc mở chốt
    bằng wbt unlock. Một bản sao báo cáo đã chốt (Excel, Word, JSON) được cất vào
    outbox/KỲ/da_chot_<ngày_giờ>/, các lần tổng hợp sau không ghi đè.

    Ví dụ: wbt lock --period Q1-2025 --reason "Đã gửi Báo cáo số 45/BC-UBND"
    """
    ws, plan, period = open_period(root, plan_path, period_code)
    with progress_bar("Đang đọc bài nộp") as progress:
        outcome = pipeline.lock(ws, plan, period, reason, progress=progress)
    event = outcome.event
    made = f" lúc {shown_time(event.report_made)}" if event.report_made else ""
    click.secho(
        f"Đã chốt số liệu {period.name} ({period.code}) lúc {shown_time(event.at)}, theo báo "
        f"cáo tổng hợp{made} ({shown_path(outcome.report, ws.root)}).",
        fg="green",
    )
    used = [f for f in event.files if f.used]
    click.echo(
        f"Báo cáo dùng {len(used)} tệp của {len(used)} {plan.settings.roster_words}; các lần "
        "wbt merge sau của kỳ dùng đúng các tệp này, số liệu giữ nguyên."
    )
    if event.reason:
        click.echo(f"Lý do: {event.reason}")
    if outcome.kept is not None:
        click.echo(
            "Bản sao báo cáo đã chốt (giữ nguyên, các lần tổng hợp sau không ghi đè): "
            f"{shown_path(outcome.kept, ws.root)}"
        )
    if outcome.after_lock:
        click.secho(
            f"{len(outcome.after_lock)} tệp trong inbox/ không có trong báo cáo đã chốt (nộp "
            "sau khi chốt số liệu, không được tính):",
            fg="yellow",
        )
        _list_files(plan, outcome.after_lock)
        click.echo(
            f"Nếu cần tính các tệp đó: wbt unlock --period {period.code} --reason \"lý do\", "
            f"rồi wbt merge --period {period.code}, rồi chốt lại."
        )
    _copy_warning(outcome.copy_error)


@cli.command("unlock")
@period_option
@dir_option
@plan_option
@click.option(
    "--reason",
    metavar="LÝ_DO",
    default="",
    help="Lý do mở chốt (bắt buộc), được ghi vào sổ và hiện trong báo cáo.",
)
@handle_errors
def unlock_command(period_code: str, root: Path, plan_path: Path | None, reason: str) -> None:
    """Mở chốt số liệu của một kỳ (phải ghi lý do).

    Sau khi mở chốt, wbt merge lại chọn tệp mới nhất của từng thôn, đơn vị như
    thường, kể cả các tệp nộp sau khi chốt. Mọi lần chốt và mở chốt đều được giữ
    lại, với thời điểm và lý do, và hiện trong báo cáo.

    Ví dụ: wbt unlock --period Q1-2025 --reason "Thôn 7 gửi bản sửa, huyện đồng ý"
    """
    ws, plan, period = open_period(root, plan_path, period_code)
    outcome = pipeline.unlock(ws, plan, period, reason)
    locked = outcome.previous
    since = f" (chốt lúc {shown_time(locked.at)})" if locked is not None else ""
    click.secho(
        f"Đã mở chốt số liệu {period.name} ({period.code}){since} lúc "
        f"{shown_time(outcome.event.at)}. Lý do: {outcome.event.reason}",
        fg="green",
    )
    click.echo(
        f"Chạy wbt merge --period {period.code} để tổng hợp lại theo các tệp đang có trong "
        "inbox/; sau khi gửi báo cáo mới, chốt lại bằng wbt lock."
    )
    _copy_warning(outcome.copy_error)


@cli.command("review")
@period_option
@click.option(
    "--unit", "unit", required=True, metavar="MÃ", help="Mã thôn, đơn vị, ví dụ T07 hoặc CA."
)
@click.option(
    "--accept",
    "decision",
    flag_value=ReviewState.ACCEPTED.value,
    help="Chấp nhận bài nộp (tệp đang dùng) của thôn, đơn vị.",
)
@click.option(
    "--return",
    "decision",
    flag_value=ReviewState.RETURNED.value,
    help="Trả lại để sửa (cần --reason): tạo bản phản hồi ghi lý do để gửi lại.",
)
@click.option("--reason", metavar="LÝ_DO", default="", help="Lý do, ghi vào bản phản hồi.")
@dir_option
@plan_option
@handle_errors
def review_command(
    period_code: str,
    unit: str,
    decision: str | None,
    reason: str,
    root: Path,
    plan_path: Path | None,
) -> None:
    """Xem xét bài nộp của một thôn, đơn vị: chấp nhận, hoặc trả lại để sửa.

    Ghi nhận cho đúng tệp đang dùng của thôn, đơn vị (theo nội dung tệp): khi họ gửi
    tệp mới, bài nộp trở lại "chưa xem xét". Trả lại để sửa (--return, cần
    --reason) tạo bản phản hồi trong outbox/KỲ/phan_hoi/ ghi các lỗi và lý do, để
    gửi lại; số liệu của tệp vẫn được tổng hợp cho đến khi có bản sửa. wbt status và
    báo cáo tổng hợp cho biết tình trạng xem xét của từng nơi.

    Ví dụ: wbt review --period Q1-2025 --unit T07 --return --reason "Số liệu chưa khớp"
    """
    if decision is None:
        raise click.UsageError("Hãy chọn --accept (chấp nhận) hoặc --return (trả lại để sửa).")
    ws, plan, period = open_period(root, plan_path, period_code)
    state = ReviewState(decision)
    with progress_bar("Đang đọc bài nộp") as progress:
        outcome = pipeline.review(ws, plan, period, unit, state, reason, progress=progress)
    entry = plan.entry(outcome.review.unit)
    click.secho(
        f"{entry.name} ({entry.code}), tệp {outcome.submission.file}: "
        f"{REVIEW_LABELS[state]}.",
        fg="green" if state is ReviewState.ACCEPTED else "yellow",
    )
    if outcome.review.reason:
        click.echo(f"Lý do: {outcome.review.reason}")
    if outcome.feedback is not None:
        click.echo(f"Bản phản hồi để gửi lại: {shown_path(outcome.feedback, ws.root)}")
    if outcome.feedback_error:
        click.secho(f"Lỗi: {outcome.feedback_error}", fg="red", err=True)
        raise SystemExit(1)


def _copy_warning(error: str | None) -> None:
    """The lock is in the ledger; its copy beside the report could not be written."""
    if error:
        click.secho(
            "Cảnh báo: đã ghi vào sổ .wbt-ledger.sqlite3 nhưng chưa ghi được bản sao cất cạnh "
            f"báo cáo (tệp ẩn .wbt-report.json): {error}",
            fg="yellow",
        )


def _list_files(plan: Plan, files: tuple[Submission, ...]) -> None:
    for s in files:
        name = entry_name(plan, s.unit or "")
        click.echo(f"  - {name} ({s.unit}): {s.file} (nhận {s.arrived:%d/%m/%Y %H:%M})")
