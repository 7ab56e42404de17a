"""``wbt merge`` (the consolidated report) and ``wbt demo`` (the whole cycle on sample data)."""

from __future__ import annotations

import gc
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import click

from workbook_tools.checks import check_inbox, prepare_check
from workbook_tools.cli import cli
from workbook_tools.cli.common import (
    dir_option,
    handle_errors,
    period_option,
    plan_option,
    reading_progress,
    workspace,
)
from workbook_tools.collector import collection_paused
from workbook_tools.errors import WorkspaceError
from workbook_tools.inbox.read import inbox_reading
from workbook_tools.inbox.scan import has_files
from workbook_tools.plan import load_plan
from workbook_tools.plan.model import COMPARATOR_SIGNS, Plan
from workbook_tools.problems import Severity
from workbook_tools.workspace import Workspace, run_lock

# The consolidation and the report bring pandas and xlsxwriter: they are
# imported when needed (see run_merge), so other commands start quickly.
if TYPE_CHECKING:
    from workbook_tools.report.write import MergeOutcome


@cli.command("merge")
@period_option
@dir_option
@plan_option
@click.option(
    "--strict", is_flag=True, help="Trả mã thoát 1 khi có lỗi dữ liệu (báo cáo vẫn được ghi)."
)
@handle_errors
def merge_command(period_code: str, root: Path, plan_path: Path | None, strict: bool) -> None:
    """Tổng hợp các báo cáo trong inbox/ thành báo cáo chung của xã.

    Đọc, nhận diện, kiểm tra mọi tệp trong inbox/ (không sửa tệp nào), tính
    các chỉ tiêu của kế hoạch, ghi outbox/KỲ/BaoCao_TongHop_KỲ.xlsx và
    outbox/KỲ/tong_hop_KỲ.json. Mã thoát 0 khi đã ghi báo cáo (dù số liệu có
    lỗi); 1 khi không chạy được; với --strict, 1 cả khi có lỗi dữ liệu.

    Ví dụ: wbt merge --period 6T-2024
    """
    ws = workspace(root)
    plan = load_plan(plan_path if plan_path is not None else ws.find_plan())
    outcome = run_merge(ws, plan, period_code)
    print_summary(ws, outcome)
    if strict and any(p.severity is Severity.ERROR for p in outcome.consolidation.problems):
        click.secho("Có lỗi dữ liệu (--strict): mã thoát 1.", fg="red", err=True)
        raise SystemExit(1)


@cli.command("demo")
@click.argument(
    "root",
    metavar="THƯ_MỤC",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("demo-xa"),
)
@handle_errors
def demo_command(root: Path) -> None:
    """Chạy thử trọn một kỳ báo cáo trên dữ liệu mẫu, trong THƯ_MỤC (mặc định demo-xa).

    Tạo thư mục làm việc với kế hoạch mẫu, tạo biểu mẫu, giả lập các thôn, đơn
    vị điền và gửi lại (có nơi trễ hạn, có nơi chưa nộp, vài lỗi, một nơi gửi
    hai lần), rồi tổng hợp như wbt merge.

    Ví dụ: wbt demo demo-xa
    """
    from workbook_tools import demo as demo_step

    ws, plan, files = demo_step.prepare(root)
    period = demo_step.load_scenario().period
    click.echo(f"Đã tạo thư mục chạy thử {ws.root}:")
    click.echo(f"  kế hoạch mẫu: templates/{ws.find_plan().name}")
    click.echo(f"  biểu mẫu đã gửi: outbox/{period}/bieu_mau/ ({len(plan.roster)} tệp)")
    click.echo(f"  bài nộp giả lập: inbox/ ({len(files)} tệp)")
    for f in files:
        if f.note:
            click.echo(f"    - {f.name}: {f.note}")
    click.echo("")
    outcome = run_merge(ws, plan, period)
    print_summary(ws, outcome)
    click.echo("")
    click.echo(f"Thử tiếp: cd {root} && wbt status --period {period}")


def run_merge(ws: Workspace, plan: Plan, period_code: str) -> MergeOutcome:
    """Read the inbox and write the report, holding the working folder's lock."""
    if not ws.inbox.is_dir() or not has_files(ws.inbox):
        raise WorkspaceError(
            f"Không có tệp nào để tổng hợp trong {ws.inbox}. Hãy lưu các tệp thôn, đơn vị "
            "gửi về vào thư mục inbox/ rồi chạy lại lệnh."
        )
    now = datetime.now().replace(microsecond=0)
    with run_lock(ws.root), reading_progress("Đang đọc bài nộp") as progress:
        # What is made while the files are read (the modules the report loads,
        # the records read) stays until the command ends: the cycle collector,
        # which would go through it again and again for nothing, is paused, and
        # it is all set aside from the collector before the report is computed.
        with collection_paused():
            with inbox_reading(
                plan,
                period_code,
                ws.inbox,
                ws.ledger,
                now=now,
                progress=progress,
                prepare=prepare_check,
            ) as reading:
                # Loaded while the worker processes read the files (pandas alone
                # takes half a second to import).
                from workbook_tools.report.write import merge

                result = check_inbox(plan, reading.result())
            gc.freeze()
        return merge(plan, period_code, result, ws.outbox, now)


def print_summary(ws: Workspace, outcome: MergeOutcome) -> None:
    """A short Vietnamese summary: where the files are, who is missing, the indicators."""
    from workbook_tools.consolidation import OUTCOME_LABELS, Outcome, percent_text

    colors = {Outcome.MET: "green", Outcome.NOT_MET: "red", Outcome.NO_DATA: "red"}
    c = outcome.consolidation
    click.echo(f"Đã ghi báo cáo tổng hợp {c.period.name} ({c.period.code}):")
    for path in (outcome.paths.workbook, outcome.paths.summary):
        click.echo(f"  {_shown(ws, path)}")
    done = c.completeness
    click.echo(
        f"Đã nộp {done.received}/{done.expected} (đúng hạn {done.on_time}, "
        f"trễ hạn {len(done.late)}), chưa nộp {len(done.missing)}."
    )
    names = {e.code: e.name for e in c.plan.roster}
    if done.late:
        click.echo("  Trễ hạn: " + ", ".join(f"{names[x]} ({x})" for x in done.late))
    if done.missing:
        click.secho(
            "  Chưa nộp: " + ", ".join(f"{names[x]} ({x})" for x in done.missing), fg="yellow"
        )
    met = sum(r.outcome is Outcome.MET for r in c.indicators)
    failed = sum(r.outcome in (Outcome.NOT_MET, Outcome.NO_DATA) for r in c.indicators)
    click.echo(f"Chỉ tiêu: {met} đạt, {failed} không đạt, trên {len(c.indicators)} chỉ tiêu.")
    for r in c.indicators:
        shown = percent_text(r.value) if r.value is not None else str(r.numerator or 0)
        target = (
            f" / chỉ tiêu {COMPARATOR_SIGNS[r.indicator.comparator]} {percent_text(r.target, 0)}"
            if (r.target is not None)
            else ""
        )
        click.secho(
            f"  {r.code:<7} {shown}{target}: {OUTCOME_LABELS[r.outcome]}",
            fg=colors.get(r.outcome),
        )
    errors = sum(p.severity is Severity.ERROR for p in c.problems)
    warnings = sum(p.severity is Severity.WARNING for p in c.problems)
    if errors or warnings:
        click.echo(
            f'Dữ liệu: {errors} lỗi, {warnings} cảnh báo — xem trang "Lỗi dữ liệu" của báo cáo; '
            "'wbt check' tạo bản phản hồi để gửi lại cho thôn, đơn vị."
        )


def _shown(ws: Workspace, path: Path) -> str:
    try:
        return path.relative_to(ws.root).as_posix()
    except ValueError:
        return str(path)
