"""``wbt generate``: the form workbooks of one period, one a village or unit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from workbook_tools import pipeline
from workbook_tools.cli import cli
from workbook_tools.cli.common import (
    PROGRESS_MIN,
    dir_option,
    handle_errors,
    open_period,
    period_option,
    plan_option,
    progress_bar,
    shown_path,
)


@cli.command("generate")
@period_option
@click.option(
    "--unit",
    "unit_codes",
    multiple=True,
    metavar="MÃ",
    help="Chỉ tạo biểu mẫu cho thôn, đơn vị có mã này; lặp lại để chọn nhiều.",
)
@dir_option
@plan_option
@handle_errors
def generate(
    period_code: str, unit_codes: Sequence[str], root: Path, plan_path: Path | None
) -> None:
    """Tạo biểu mẫu Excel của một kỳ báo cáo cho từng thôn và đơn vị.

    Mỗi thôn, đơn vị một tệp, ghi vào outbox/KỲ/bieu_mau/. Tên tệp không dấu
    (ví dụ Q1-2025_T01_Thon-1.xlsx) để không bị lỗi khi gửi qua email, Zalo.
    Tạo lại thì tệp cũ cùng tên được thay bằng tệp mới.

    \b
    Ví dụ:
      wbt generate --period Q1-2025
      wbt generate --period Q1-2025 --unit T01 --unit CA
    """
    ws, plan, period = open_period(root, plan_path, period_code)
    with progress_bar("Đang tạo biểu mẫu") as progress:
        outcome = pipeline.generate(ws, plan, period, unit_codes, progress=progress)
    written, folder = outcome.paths, outcome.folder
    listed = len(written) <= PROGRESS_MIN  # more went by on a progress bar
    click.echo(
        f"Đã tạo {len(written)} biểu mẫu {period.name} ({period.code}) "
        f"trong thư mục {shown_path(folder, Path.cwd())}" + (":" if listed else ".")
    )
    if listed:
        for path in written:
            click.echo(f"  {path.name}")
    click.echo(
        f"Hạn nộp {period.unit_deadline:%d/%m/%Y}. Gửi mỗi tệp cho đúng "
        f"{plan.settings.roster_words}; "
        "tệp gửi về thì lưu vào thư mục inbox/."
    )
