"""``wbt init DIR``: a working folder for a commune starting fresh."""

from __future__ import annotations

from pathlib import Path

import click

from workbook_tools import pipeline
from workbook_tools.cli import cli
from workbook_tools.cli.common import handle_errors


@cli.command("init")
@click.argument("root", metavar="THƯ_MỤC", type=click.Path(file_okay=False, path_type=Path))
@handle_errors
def init(root: Path) -> None:
    """Tạo thư mục làm việc mới: templates/ có kế hoạch mẫu, inbox/ và outbox/ trống.

    Không ghi đè kế hoạch đã có trong templates/.

    Ví dụ: wbt init pcmd-2024
    """
    outcome = pipeline.init(root)
    ws, plan, target = outcome.ws, outcome.plan, outcome.plan_file
    period = plan.periods[0].code if plan.periods else "MÃ_KỲ"
    click.echo(f"Đã tạo thư mục làm việc {ws.root}:")
    click.echo(f"  templates/{target.name}  kế hoạch mẫu")
    click.echo("  inbox/    lưu các biểu mẫu thôn, đơn vị gửi về")
    click.echo("  outbox/   nơi ghi báo cáo tổng hợp")
    click.echo("Bước tiếp theo:")
    click.echo(f"  1. Chuyển vào thư mục: cd {root}")
    click.echo(
        f"  2. Mở templates/{target.name}, sửa trang Cài đặt và Danh sách (tên thôn, đơn vị, "
        "người liên hệ) cho đúng với xã, lưu lại."
    )
    click.echo("  3. Kiểm tra kế hoạch: wbt plan check")
    click.echo(f"  4. Tạo biểu mẫu gửi thôn, đơn vị: wbt generate --period {period}")
