"""``wbt arrival``, ``wbt send``, ``wbt fetch``, ``wbt remind``: arrivals and the mailbox."""

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
)
from workbook_tools.inbox.arrival import plan_time
from workbook_tools.inbox.read import plan_zone


@cli.command("arrival")
@period_option
@click.option("--unit", "unit", metavar="MÃ", help="Mã thôn, đơn vị cần ghi ngày nhận bài.")
@click.option(
    "--date",
    "when",
    metavar="NGÀY",
    help="Ngày nhận bài: dd/mm/yyyy, hoặc kèm giờ \"dd/mm/yyyy HH:MM\" (giờ của kế hoạch).",
)
@click.option("--reason", "reason", metavar="LÝ_DO", help="Vì sao sửa: nhận qua Zalo, qua giấy…")
@dir_option
@plan_option
@handle_errors
def arrival(
    period_code: str,
    unit: str | None,
    when: str | None,
    reason: str | None,
    root: Path,
    plan_path: Path | None,
) -> None:
    """Ghi ngày nhận bài của một thôn, đơn vị do cán bộ xác nhận, kèm lý do.

    Dùng khi bài nhận qua Zalo, giấy, hoặc tải về muộn nên ngày của tệp không
    đúng ngày nhận. Mỗi lần ghi thêm một dòng vào sổ .wbt-ledger.sqlite3 (ghi
    lúc nào, lý do gì); lần ghi sau cùng được dùng, các lần trước vẫn giữ lại.
    wbt status, check, merge và báo cáo ghi "cán bộ xác nhận" cùng lý do.
    Không ghi --unit: liệt kê các lần đã sửa của kỳ.

    \b
    Ví dụ:
      wbt arrival --period Q1-2025 --unit T07 --date 14/03/2025 --reason "nhận qua Zalo"
      wbt arrival --period Q1-2025
    """
    ws, plan, period = open_period(root, plan_path, period_code)
    outcome = pipeline.arrival(ws, plan, period, unit, when, reason)
    zone = plan_zone(plan)
    if outcome.recorded is not None:
        c = outcome.recorded
        name = plan.entry(c.unit).name
        click.echo(
            f"Đã ghi: {c.unit} - {name} nộp báo cáo {period.code} ngày "
            f"{plan_time(c.arrived, zone):%d/%m/%Y %H:%M} (cán bộ xác nhận: {c.reason})."
        )
        click.echo("Chạy lại wbt status hoặc wbt merge để xem tình hình nộp và báo cáo mới.")
        return
    if not outcome.history:
        click.echo(f"Chưa có lần sửa ngày nhận bài nào của kỳ {period.code}.")
        return
    click.echo(
        f"Các lần sửa ngày nhận bài của kỳ {period.code} (lần sau cùng của mỗi mã được dùng):"
    )
    for c in outcome.history:
        click.echo(
            f"  {c.recorded:%d/%m/%Y %H:%M}: {c.unit} nhận ngày "
            f"{plan_time(c.arrived, zone):%d/%m/%Y %H:%M} ({c.reason})"
        )
