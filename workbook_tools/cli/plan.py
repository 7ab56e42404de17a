"""``wbt plan check``: load a plan workbook, check it, say what it holds."""

from __future__ import annotations

from pathlib import Path

import click

from workbook_tools import pipeline
from workbook_tools.cli import cli
from workbook_tools.cli.common import dir_option, handle_errors, workspace
from workbook_tools.plan import load_plan
from workbook_tools.plan.model import Kind, Plan, RosterEntry


@cli.group()
def plan() -> None:
    """Kế hoạch: kiểm tra tệp kế hoạch (.xlsx) trong templates/, hoặc tạo tệp kế hoạch
    từ bản viết dạng chữ (.toml)."""


@plan.command("check")
@click.argument(
    "plan_path",
    metavar="[KẾ_HOẠCH]",
    required=False,
    type=click.Path(dir_okay=False, path_type=Path),
)
@dir_option
@handle_errors
def check(plan_path: Path | None, root: Path) -> None:
    """Kiểm tra tệp kế hoạch và cho biết kế hoạch có những gì.

    Mặc định là tệp .xlsx duy nhất trong templates/ của thư mục làm việc.
    Nếu kế hoạch có lỗi, lệnh liệt kê mọi lỗi (trang, ô, cách sửa) và
    trả mã lỗi 1.

    Ví dụ: wbt plan check   hoặc   wbt plan check templates/kehoach.xlsx
    """
    path = plan_path if plan_path is not None else workspace(root).find_plan()
    loaded = load_plan(path)
    for line in describe(loaded):
        click.echo(line)
    for problem in loaded.warnings:
        click.secho(f"Cảnh báo: {problem.message}", fg="yellow")
    click.secho(f"Kế hoạch {path.name} hợp lệ.", fg="green")


@plan.command("build")
@click.argument(
    "source", metavar="NGUỒN.toml", type=click.Path(dir_okay=False, path_type=Path)
)
@click.option(
    "--out",
    "output",
    metavar="TỆP.xlsx",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Tệp kế hoạch được ghi; mặc định cùng tên với NGUỒN, đuôi .xlsx, cùng thư mục.",
)
@click.option("--force", is_flag=True, help="Ghi đè tệp kế hoạch đã có.")
@handle_errors
def build(source: Path, output: Path | None, force: bool) -> None:
    """Tạo tệp kế hoạch (.xlsx) từ kế hoạch viết dạng chữ (TOML), cho người giữ kế
    hoạch ở dạng chữ.

    Mỗi trang của tệp kế hoạch là các dòng [[settings]], [[periods]], [[roster]],
    [[tasks]], [[fields]], [[rules]], [[indicators]]; khóa là mã cột (xem
    workbook_tools/sample/kehoach_2024.toml). Nguồn được kiểm tra như 'wbt plan
    check'; có lỗi thì không ghi gì. Không ghi đè tệp đã có, trừ khi có --force.

    Ví dụ: wbt plan build kehoach.toml --out templates/kehoach.xlsx
    """
    target = output if output is not None else source.with_suffix(".xlsx")
    outcome = pipeline.build_plan(source, target, force=force)
    for line in describe(outcome.plan):
        click.echo(line)
    click.secho(f"Đã ghi tệp kế hoạch {outcome.path}.", fg="green")


def describe(loaded: Plan) -> list[str]:
    """What ``wbt plan check`` prints about a valid plan, one line an item."""
    s = loaded.settings
    place = ", ".join(
        part
        for part in (
            f"xã {s.commune}",
            f"huyện {s.district}" if s.district else "",
            f"tỉnh {s.province}",
        )
        if part
    )
    lines = [
        s.plan_title,
        f"Mã kế hoạch: {s.plan_id} (phiên bản {s.version}), năm {s.year}, {place}",
        f"Báo cáo gửi: {s.report_to}",
        f"Danh sách: {len(loaded.villages)} {s.kind_word(Kind.VILLAGE)}, "
        f"{len(loaded.units)} đơn vị",
        "Kỳ báo cáo:",
    ]
    for p in loaded.periods:
        lines.append(
            f"  {p.code:<10} {p.name} ({p.start:%d/%m/%Y} – {p.end:%d/%m/%Y}, {p.months} tháng): "
            f"hạn {s.kind_word(Kind.VILLAGE)}, đơn vị nộp {p.unit_deadline:%d/%m/%Y}; "
            f"hạn xã báo cáo {p.commune_deadline:%d/%m/%Y}"
        )
    lines.append("Biểu mẫu (số trường):")
    lines.extend(_forms(loaded))
    errors = sum(1 for r in loaded.rules if r.severity == "error")
    lines.append(
        f"Nhiệm vụ: {len(loaded.tasks)}; quy tắc: {len(loaded.rules)} "
        f"({errors} lỗi, {len(loaded.rules) - errors} cảnh báo)"
    )
    lines.append("Chỉ tiêu:")
    for ind in loaded.indicators:
        target = ind.target_shown or "(không có mức)"
        lines.append(f"  {ind.code:<7} {target:<15} {ind.text}")
    return lines


def _forms(loaded: Plan) -> list[str]:
    lines: list[str] = []
    villages = loaded.villages
    shapes = {tuple(f.code for f in loaded.fields_for(v)) for v in villages}
    if villages and len(shapes) == 1:
        count = len(loaded.fields_for(villages[0]))
        word = loaded.settings.kind_word(Kind.VILLAGE)
        label = loaded.settings.kind_label(Kind.VILLAGE)
        lines.append(f"  {label} ({len(villages)} {word}): {count} trường")
    else:
        lines.extend(_entry_line(loaded, v) for v in villages)
    lines.extend(_entry_line(loaded, u) for u in loaded.units)
    return lines


def _entry_line(loaded: Plan, entry: RosterEntry) -> str:
    fields = loaded.fields_for(entry)
    line = f"  {entry.code:<7} {entry.name}: {len(fields)} trường"
    if entry.kind is Kind.UNIT:
        line += f" ({len(loaded.tasks_for(entry))} nhiệm vụ)"
    return line
