"""``wbt init DIR``: a working folder for a commune starting fresh."""

from __future__ import annotations

from pathlib import Path

import click

from workbook_tools import pipeline
from workbook_tools.cli import cli
from workbook_tools.cli.common import handle_errors


@cli.command("init")
@click.argument("root", metavar="THƯ_MỤC", type=click.Path(file_okay=False, path_type=Path))
@click.option(
    "--blank",
    is_flag=True,
    help="Kế hoạch trống (đủ các trang, tiêu đề cột và trang Hướng dẫn, chưa có nội dung) "
    "thay cho kế hoạch mẫu, để tự điền kế hoạch của xã.",
)
@handle_errors
def init(root: Path, blank: bool) -> None:
    """Tạo thư mục làm việc mới: templates/ có kế hoạch mẫu (hoặc kế hoạch trống, với
    --blank) và mẫu báo cáo Word, inbox/ và outbox/ trống.

    Không ghi đè kế hoạch, mẫu báo cáo đã có trong templates/.

    Ví dụ: wbt init bao-cao-xa   hoặc   wbt init --blank ke-hoach-moi
    """
    outcome = pipeline.init(root, blank=blank)
    ws, plan, target = outcome.ws, outcome.plan, outcome.plan_file
    click.echo(f"Đã tạo thư mục làm việc {ws.root}:")
    what = "kế hoạch trống, để điền" if plan is None else "kế hoạch mẫu"
    click.echo(f"  templates/{target.name}  {what}")
    template = f"templates/{ws.report_template.name}"
    if outcome.report_template is not None:
        click.echo(f"  {template}  mẫu báo cáo Word, sửa được bằng Word")
    else:
        click.echo(f"  {template}  mẫu báo cáo Word đã có, giữ nguyên")
    click.echo("  inbox/    lưu các biểu mẫu thôn, đơn vị gửi về")
    click.echo("  outbox/   nơi ghi báo cáo tổng hợp")
    click.echo("Bước tiếp theo:")
    click.echo(f"  1. Chuyển vào thư mục: cd {root}")
    if plan is None:
        click.echo(
            f"  2. Mở templates/{target.name} bằng Excel, đọc trang Hướng dẫn, điền trang Cài "
            "đặt (cột Giá trị), Kỳ báo cáo, Danh sách, Trường dữ liệu, và nếu có: Nhiệm vụ, "
            "Quy tắc, Chỉ tiêu; lưu lại."
        )
        click.echo("  3. Kiểm tra kế hoạch: wbt plan check (lệnh chỉ rõ ô nào còn phải điền)")
        click.echo("  4. Tạo biểu mẫu gửi thôn, đơn vị: wbt generate --period MÃ_KỲ")
        return
    click.echo(
        f"  2. Mở templates/{target.name}, sửa trang Cài đặt và Danh sách (tên thôn, đơn vị, "
        "người liên hệ) cho đúng với xã, lưu lại."
    )
    click.echo("  3. Kiểm tra kế hoạch: wbt plan check")
    period = plan.periods[0].code if plan.periods else "MÃ_KỲ"
    click.echo(f"  4. Tạo biểu mẫu gửi thôn, đơn vị: wbt generate --period {period}")
