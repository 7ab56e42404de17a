"""``wbt merge`` (the consolidated report) and ``wbt demo`` (the whole cycle on sample data)."""

from __future__ import annotations

from datetime import date
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
from workbook_tools.numbers import percent_text
from workbook_tools.pipeline import MergeOutcome
from workbook_tools.plan.model import Kind
from workbook_tools.problems import CHECK_PREFIX, Severity
from workbook_tools.report.entries import Entries, EntryError, clean_recipient, parse_date
from workbook_tools.template_guide import BUILTIN_OPTION, OFFICER_TEMPLATE
from workbook_tools.workspace import Workspace


def _signing_date(
    ctx: click.Context, param: click.Parameter, value: str | None
) -> date | str | None:
    """--date: a date typed as day/month/year; empty: forget the one remembered."""
    if value is None or not value.strip():
        return value
    try:
        return parse_date(value)
    except EntryError as err:
        raise click.BadParameter(str(err), ctx, param) from None


@cli.command("merge")
@period_option
@dir_option
@plan_option
@click.option(
    "--strict", is_flag=True, help="Trả mã thoát 1 khi có lỗi dữ liệu (báo cáo vẫn được ghi)."
)
@click.option(
    "--number", metavar="SỐ", help='Số, ký hiệu của báo cáo, ví dụ "45/BC-UBND" (ghi nhớ cho kỳ).'
)
@click.option(
    "--date",
    "signed_on",
    metavar="NGÀY",
    callback=_signing_date,
    help="Ngày ký báo cáo, ví dụ 08/04/2025 (ghi nhớ cho kỳ; mặc định: ngày tổng hợp).",
)
@click.option(
    "--signer", metavar="HỌ_TÊN", help="Họ tên người ký (ghi nhớ cho kỳ; mặc định: theo kế hoạch)."
)
@click.option(
    "--title",
    "signer_title",
    metavar="CHỨC_DANH",
    help='Chức danh người ký, ví dụ "CHỦ TỊCH" (ghi nhớ cho kỳ; mặc định: theo kế hoạch).',
)
@click.option(
    "--to",
    "report_to",
    metavar="CƠ_QUAN",
    help="Cơ quan nhận báo cáo, dòng Kính gửi (ghi nhớ cho kỳ; mặc định: theo kế hoạch).",
)
@click.option(
    "--recipient",
    "recipients",
    metavar="NƠI_NHẬN",
    multiple=True,
    help="Một dòng Nơi nhận (dùng nhiều lần cho nhiều nơi; ghi nhớ cho kỳ; mặc định: cơ "
    "quan nhận báo cáo).",
)
@click.option(
    "--pdf", is_flag=True, help="Tạo thêm bản PDF của báo cáo (cần LibreOffice trên máy)."
)
@click.option(
    BUILTIN_OPTION,
    "builtin_template",
    is_flag=True,
    help=f"Ghi báo cáo Word theo mẫu có sẵn của wbt, không theo templates/{OFFICER_TEMPLATE} "
    "của xã (dùng khi mẫu của xã có lỗi).",
)
@click.option(
    "--compare-with",
    "compare_with",
    metavar="TỆP",
    type=click.Path(exists=True, path_type=Path),
    help="Tệp tổng hợp (tong_hop_KỲ.json) cùng kỳ năm trước, hoặc thư mục làm việc, thư mục "
    "outbox/ của năm trước, để so sánh (mặc định: tìm trong outbox/).",
)
@handle_errors
def merge_command(
    period_code: str,
    root: Path,
    plan_path: Path | None,
    strict: bool,
    number: str | None,
    signed_on: date | str | None,
    signer: str | None,
    signer_title: str | None,
    report_to: str | None,
    recipients: tuple[str, ...],
    pdf: bool,
    builtin_template: bool,
    compare_with: Path | None,
) -> None:
    """Tổng hợp các báo cáo trong inbox/ thành báo cáo chung của xã.

    Đọc, nhận diện, kiểm tra mọi tệp trong inbox/ (không sửa tệp nào), tính
    các chỉ tiêu của kế hoạch, ghi outbox/KỲ/BaoCao_TongHop_KỲ.xlsx, báo cáo
    Word outbox/KỲ/BaoCao_KỲ.docx và outbox/KỲ/tong_hop_KỲ.json. Mã thoát 0 khi
    đã ghi báo cáo (dù số liệu có lỗi); 1 khi không chạy được; với --strict, 1
    cả khi có lỗi dữ liệu.

    Báo cáo Word theo mẫu của xã templates/mau_bao_cao.docx nếu có (trang Hướng
    dẫn của kế hoạch giải thích các thẻ), không có thì theo mẫu có sẵn. Mẫu có
    lỗi: báo cáo Excel và JSON vẫn được ghi, báo cáo Word thì không, lệnh nêu
    chỗ sai và trả mã thoát 1; --builtin-template ghi báo cáo Word theo mẫu có sẵn.

    Số, ngày ký, người ký, nơi nhận (--number, --date, --signer, --title, --to,
    --recipient) được ghi vào báo cáo và ghi nhớ cho kỳ: các lần tổng hợp sau của
    kỳ dùng lại, cho đến khi ghi giá trị khác; ghi "" để bỏ. Báo cáo cũ đã được sửa
    tay được giữ lại bên cạnh, với tên có ngày sửa.

    Mỗi chỉ tiêu được so với báo cáo kỳ trước của kế hoạch và báo cáo cùng kỳ
    năm trước (các tệp tổng hợp đã ghi trong outbox/, hoặc --compare-with); số
    liệu cộng dồn bị giảm, khác xa kỳ trước hay khác xa các thôn khác được cảnh
    báo "cần xác minh".

    Ví dụ: wbt merge --period Q1-2025 --number "45/BC-UBND" --date 08/04/2025
    """
    ws, plan, period = open_period(root, plan_path, period_code)
    texts = {
        "number": number,
        "signer_name": signer,
        "signer_title": signer_title,
        "report_to": report_to,
    }
    given = {k: " ".join(v.split()) for k, v in texts.items() if v and v.strip()}
    cleared = {k for k, v in texts.items() if v is not None and not v.strip()}
    if isinstance(signed_on, str):  # given empty
        cleared.add("signed_on")
    lines = tuple(filter(None, map(clean_recipient, recipients)))
    if recipients and not lines:
        cleared.add("recipients")
    entries = Entries(
        **given,
        signed_on=signed_on if isinstance(signed_on, date) else None,
        recipients=lines or None,
    )
    with progress_bar("Đang đọc bài nộp") as progress:
        outcome = pipeline.merge(
            ws,
            plan,
            period,
            progress=progress,
            entries=entries,
            cleared=frozenset(cleared),
            pdf=pdf,
            builtin_template=builtin_template,
            compare_with=compare_with,
        )
    print_summary(ws, outcome)
    print_officer_files(ws, outcome)
    if print_template_error(ws, outcome):
        raise SystemExit(1)
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
    with progress_bar("Đang đọc bài nộp") as progress:
        outcome = pipeline.merge(ws, plan, plan.period(period), progress=progress)
    print_summary(ws, outcome)
    if print_template_error(ws, outcome):
        raise SystemExit(1)
    click.echo("")
    click.echo(f"Thử tiếp: cd {root} && wbt status --period {period}")


def print_template_error(ws: Workspace, outcome: MergeOutcome) -> bool:
    """Say why the Word report was not written (its template cannot be used), what was,
    and the two ways on; True if so (the command then exits with 1)."""
    err = outcome.paths.template_error
    if err is None:
        return False
    document = outcome.paths.document
    click.secho(f"Lỗi mẫu báo cáo Word: {err}", fg="red", err=True)
    old = (
        f" Tệp {document.name} đang có trong thư mục là báo cáo của lần tổng hợp trước, chưa "
        "được cập nhật."
        if document.is_file()
        else ""
    )
    click.secho(
        f"Chưa ghi báo cáo Word {shown_path(document, ws.root)}: mẫu có lỗi, và mẫu có sẵn của "
        f"wbt không được tự động dùng thay.{old} Báo cáo Excel và tệp JSON đã được ghi. Hãy "
        "sửa mẫu như trên rồi chạy lại lệnh, hoặc chạy lại lệnh với "
        f"{BUILTIN_OPTION} để ghi báo cáo Word theo mẫu có sẵn của wbt.",
        fg="red",
        err=True,
    )
    return True


def print_officer_files(ws: Workspace, outcome: MergeOutcome) -> None:
    """The report's number and date as written, the officer's changed copies kept, the PDFs."""
    entries = outcome.paths.entries
    if entries is not None and (entries.number or entries.signed_on):
        parts = [f"Số: {entries.number}"] if entries.number else []
        if entries.signed_on:
            parts.append(f"ngày ký {entries.signed_on:%d/%m/%Y}")
        click.echo(f"{', '.join(parts)} (ghi nhớ cho kỳ {outcome.consolidation.period.code}).")
    for kept in outcome.paths.kept:
        click.secho(
            f"Báo cáo cũ {kept.report.name} đã được sửa sau lần tổng hợp trước; bản đã sửa được "
            f"giữ lại: {shown_path(kept.copy, ws.root)}",
            fg="yellow",
        )
    if outcome.pdf is not None:
        for path in outcome.pdf.written:
            click.echo(f"Đã tạo PDF: {shown_path(path, ws.root)}")
        if outcome.pdf.problem:
            click.secho(outcome.pdf.problem, fg="yellow")


def print_summary(ws: Workspace, outcome: MergeOutcome) -> None:
    """A short Vietnamese summary: where the files are, who is missing, the indicators."""
    from workbook_tools.consolidation import OUTCOME_LABELS, Outcome

    colors = {Outcome.MET: "green", Outcome.NOT_MET: "red", Outcome.NO_DATA: "red"}
    c = outcome.consolidation
    click.echo(f"Đã ghi báo cáo tổng hợp {c.period.name} ({c.period.code}):")
    for path in outcome.paths.written:
        click.echo(f"  {shown_path(path, ws.root)}")
    done = c.completeness
    click.echo(
        f"Đã nộp {done.received}/{done.expected} (đúng hạn {done.on_time}, "
        f"trễ hạn {len(done.late)}), chưa nộp {len(done.missing)}."
    )
    from workbook_tools.deadline import commune_deadline_text
    from workbook_tools.report.summary import commune_days_left, run_day

    click.secho(
        commune_deadline_text(c.period, run_day(c)) + ".",
        fg="red" if commune_days_left(c) < 0 else None,
    )
    names = {e.code: e.name for e in c.plan.roster}
    if done.late:
        click.echo("  Trễ hạn: " + ", ".join(f"{names[x]} ({x})" for x in done.late))
    from workbook_tools.inbox.arrival import SOURCE_LABELS
    from workbook_tools.inbox.read import plan_zone

    sources = [e.arrival_source for e in done.entries if e.arrival_source is not None]
    if sources:
        click.echo(
            f"  Thời điểm nhận của {len(sources)} bài nộp: "
            + ", ".join(
                f"{sources.count(code)} {label}"
                for code, label in SOURCE_LABELS.items()
                if code in sources
            )
            + "."
        )
    from workbook_tools.report.locking import confirmation_lines, correction_lines, lock_lines

    for line in confirmation_lines(done.entries, c.period.code):
        click.secho(f"  {line}", fg="yellow")
    for line in correction_lines(
        done.entries, plan_zone(c.plan), lambda e: f"{e.name} ({e.code})"
    ):
        click.echo(f"  {line}")
    if done.missing:
        click.secho(
            "  Chưa nộp: " + ", ".join(f"{names[x]} ({x})" for x in done.missing), fg="yellow"
        )
    for line in lock_lines(c.plan, c.lock, c.after_lock):  # chốt số liệu
        click.secho(line, fg="yellow" if c.lock.locked else None)
    met = sum(r.outcome is Outcome.MET for r in c.indicators)
    failed = sum(r.outcome in (Outcome.NOT_MET, Outcome.NO_DATA) for r in c.indicators)
    click.echo(f"Chỉ tiêu: {met} đạt, {failed} không đạt, trên {len(c.indicators)} chỉ tiêu.")
    for r in c.indicators:
        ratio = r.value is not None and not r.indicator.is_count
        shown = percent_text(r.value) if ratio and r.value is not None else str(r.numerator or 0)
        target = f" / chỉ tiêu {r.indicator.target_shown}" if r.indicator.target_shown else ""
        click.secho(
            f"  {r.code:<7} {shown}{target}: {OUTCOME_LABELS[r.outcome]}",
            fg=colors.get(r.outcome),
        )
    print_comparison(outcome)
    errors = sum(p.severity is Severity.ERROR for p in c.problems)
    warnings = sum(p.severity is Severity.WARNING for p in c.problems)
    if errors or warnings:
        click.echo(
            f'Dữ liệu: {errors} lỗi, {warnings} cảnh báo — xem trang "Lỗi dữ liệu" của báo cáo; '
            f"'wbt check' tạo bản phản hồi để gửi lại cho {c.plan.settings.roster_words}."
        )


#: The terminal lists this many figures to verify at most (the report lists them all).
SHOWN_CHECKS = 15


def print_comparison(outcome: MergeOutcome) -> None:
    """The earlier reports compared with (or why not), and the figures to verify."""
    c = outcome.consolidation
    history = c.history
    for words, report, note, *_ in history.sides():
        if report is None:
            click.echo(f"So sánh: {note}.")
        else:
            click.echo(f"So sánh với {words}: {report.period_name} ({report.source}).")
    checks = [p for p in c.problems if p.code.startswith(CHECK_PREFIX)]
    if not checks:
        return
    village = c.plan.settings.kind_word(Kind.VILLAGE)
    click.secho(
        f"Cần xác minh {len(checks)} số liệu (so với kỳ trước, các {village} khác):", fg="yellow"
    )
    for p in checks[:SHOWN_CHECKS]:
        where = f" [{p.file}, ô {p.cell}]" if p.file and p.cell else ""
        click.secho(f"  - {p.message}{where}", fg="yellow")
    if len(checks) > SHOWN_CHECKS:
        click.echo(f'  … và {len(checks) - SHOWN_CHECKS} số liệu khác, xem trang "Lỗi dữ liệu".')
