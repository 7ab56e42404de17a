"""``wbt generate``: the form workbooks of one period, one a village or unit."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import click

from workbook_tools.cli import cli
from workbook_tools.cli.common import (
    dir_option,
    handle_errors,
    period_option,
    plan_option,
    workspace,
)
from workbook_tools.errors import WorkspaceError
from workbook_tools.forms import (
    default_workers,
    forms_folder,
    generate_forms,
    now_for_forms,
    select_forms,
)
from workbook_tools.plan import load_plan
from workbook_tools.workspace import run_lock

#: More forms than this get a progress bar; fewer are listed by name at the end.
PROGRESS_MIN = 30


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
    (ví dụ 6T-2024_T01_Thon-1.xlsx) để không bị lỗi khi gửi qua email, Zalo.
    Tạo lại thì tệp cũ cùng tên được thay bằng tệp mới.

    \b
    Ví dụ:
      wbt generate --period 6T-2024
      wbt generate --period 6T-2024 --unit T01 --unit CA
    """
    ws = workspace(root)
    if not ws.root.is_dir():
        raise WorkspaceError(
            f"Không có thư mục làm việc {ws.root}. Hãy dùng --dir để chỉ đến thư mục có "
            "templates/, inbox/, outbox/, hoặc tạo thư mục bằng 'wbt init'."
        )
    plan = load_plan(plan_path if plan_path is not None else ws.find_plan())
    specs = select_forms(plan, period_code, unit_codes)
    if not specs:
        raise WorkspaceError(
            "Danh sách thôn, đơn vị của kế hoạch đang trống: không có biểu mẫu nào để tạo. "
            "Hãy điền trang danh sách trong tệp kế hoạch."
        )
    period = specs[0].period
    folder = forms_folder(ws.period_outbox(period.code))
    paths = generate_forms(plan, specs, folder, now_for_forms(), default_workers(len(specs)))
    with run_lock(ws.root):
        if len(specs) > PROGRESS_MIN:
            with click.progressbar(paths, length=len(specs), label="Đang tạo biểu mẫu") as progress:
                written = list(progress)
        else:
            written = list(paths)

    click.echo(
        f"Đã tạo {len(written)} biểu mẫu {period.name} ({period.code}) "
        f"trong thư mục {_shown(folder)}" + (":" if len(written) <= PROGRESS_MIN else ".")
    )
    if len(written) <= PROGRESS_MIN:
        for path in written:
            click.echo(f"  {path.name}")
    click.echo(
        f"Hạn nộp {period.unit_deadline:%d/%m/%Y}. Gửi mỗi tệp cho đúng thôn, đơn vị; "
        "tệp gửi về thì lưu vào thư mục inbox/."
    )


def _shown(path: Path) -> str:
    """``path`` relative to the current folder when it is inside it (shorter to read)."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
