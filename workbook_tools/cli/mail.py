"""``wbt arrival``, ``wbt send``, ``wbt fetch``, ``wbt remind``: arrivals and the mailbox."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import click

from workbook_tools import pipeline
from workbook_tools.cli import cli
from workbook_tools.cli.common import (
    dir_option,
    echo_problem,
    handle_errors,
    open_period,
    period_option,
    plan_option,
    progress_bar,
    shown_path,
)
from workbook_tools.clock import in_zone
from workbook_tools.errors import WorkspaceError
from workbook_tools.inbox.arrival import correction_when
from workbook_tools.inbox.read import plan_zone
from workbook_tools.mail import PASSWORD_VARIABLE
from workbook_tools.plan.model import Period, Plan
from workbook_tools.workspace import Workspace

if TYPE_CHECKING:
    from workbook_tools.mail.fetch import FetchResult, MailSource, RawMail
    from workbook_tools.mail.transport import Server

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
    if unit is None and (when is not None or reason is not None):
        raise click.UsageError(
            "--date và --reason phải đi cùng --unit (mã thôn, đơn vị), ví dụ --unit T07 "
            "--date 14/06/2024 --reason \"nhận qua Zalo\". Không ghi gì ngoài --period: "
            "liệt kê các lần đã sửa của kỳ."
        )
    ws, plan, period = open_period(root, plan_path, period_code)
    outcome = pipeline.arrival(ws, plan, period, unit, when, reason)
    zone = plan_zone(plan)
    if outcome.recorded is not None:
        c = outcome.recorded
        name = plan.entry(c.unit).name
        click.echo(
            f"Đã ghi: {c.unit} - {name} nộp báo cáo {period.code} ngày "
            f"{correction_when(c, zone)} (cán bộ xác nhận: {c.reason})."
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
            f"{correction_when(c, zone)} ({c.reason})"
        )


# --- the mailbox --------------------------------------------------------------------

smtp_option = click.option(
    "--smtp",
    "smtp",
    metavar="MÁY_CHỦ:CỔNG",
    default=None,
    help="Gửi thẳng qua máy chủ thư này (ví dụ smtp.gmail.com:587). Không ghi: chỉ ghi thư "
    "nháp .eml vào outbox/ để mở bằng Outlook, Thunderbird rồi bấm Gửi.",
)
user_option = click.option(
    "--user",
    "user",
    metavar="TÊN",
    default=None,
    help="Tên đăng nhập máy chủ thư; mặc định là mục sender_email trong trang Cài đặt của "
    f"kế hoạch. Mật khẩu lấy từ biến môi trường {PASSWORD_VARIABLE}, không có thì hỏi "
    "(không bao giờ được lưu lại).",
)
ssl_option = click.option(
    "--ssl",
    "use_ssl",
    is_flag=True,
    default=False,
    help="Mã hóa ngay từ đầu (cổng 465 gửi thư, 993 IMAP tự dùng); không ghi thì dùng "
    "STARTTLS khi máy chủ hỗ trợ.",
)


def _server(
    address: str, default_port: int, user: str | None, plan: Plan, use_ssl: bool
) -> Server:
    """The server, and as whom: the password from the environment, or asked (hidden)."""
    # smtplib and ssl: loaded by the mail commands only (a tenth of every command's start).
    from workbook_tools.mail.transport import Server, parse_address

    host, port = parse_address(address, default_port)
    login = user if user is not None else (plan.settings.sender_email or None)
    password = None
    if login:
        password = os.environ.get(PASSWORD_VARIABLE)
        if password is None:
            if not _typed_at_a_terminal():
                raise WorkspaceError(
                    f"Chưa có mật khẩu thư của {login}, và lệnh không chạy trong cửa sổ dòng "
                    "lệnh nên không hỏi được mật khẩu. Hãy đặt mật khẩu vào biến môi trường "
                    f"{PASSWORD_VARIABLE} trước khi chạy: trong PowerShell "
                    f'$env:{PASSWORD_VARIABLE} = "mật khẩu"; trong cmd '
                    f"set {PASSWORD_VARIABLE}=mật khẩu."
                )
            password = click.prompt(
                f"Mật khẩu thư của {login} (không hiện khi gõ)",
                hide_input=True,
                default="",
                show_default=False,
                err=True,
            )
    return Server(host, port, login or None, password, use_ssl)


def _typed_at_a_terminal() -> bool:
    """Whether a password can be asked: the input is a terminal (a task scheduler, a
    pipe, a script's redirection give none, and Python's hidden prompt would then say an
    English warning and read nothing)."""
    try:
        return sys.stdin is not None and sys.stdin.isatty()
    except ValueError:  # closed
        return False


@cli.command("send")
@period_option
@click.option(
    "--unit",
    "unit_codes",
    multiple=True,
    metavar="MÃ",
    help="Chỉ gửi cho thôn, đơn vị có mã này; lặp lại để chọn nhiều.",
)
@smtp_option
@user_option
@ssl_option
@dir_option
@plan_option
@handle_errors
def send(
    period_code: str,
    unit_codes: Sequence[str],
    smtp: str | None,
    user: str | None,
    use_ssl: bool,
    root: Path,
    plan_path: Path | None,
) -> None:
    """Gửi mỗi thôn, đơn vị một thư kèm biểu mẫu của mình (do wbt generate tạo).

    Thư ghi rõ hạn nộp và cách gửi lại: trả lời thư, đính kèm tệp đã điền, giữ
    nguyên tên tệp. Mặc định ghi thư nháp .eml vào outbox/KỲ/thu_gui/: mở bằng
    Outlook hoặc Thunderbird để xem rồi bấm Gửi. Với --smtp thì gửi thẳng. Nơi
    chưa có email trong trang Danh sách được liệt kê là chưa gửi.

    \b
    Ví dụ:
      wbt send --period Q1-2025
      wbt send --period Q1-2025 --unit T01 --smtp smtp.gmail.com:587 --user xa@gmail.com
    """
    ws, plan, period = open_period(root, plan_path, period_code)
    server = _server(smtp, 587, user, plan, use_ssl) if smtp else None
    outcome = pipeline.send(ws, plan, period, unit_codes, server)
    _print_deliveries(ws, outcome, "biểu mẫu")


@cli.command("remind")
@period_option
@smtp_option
@user_option
@ssl_option
@dir_option
@plan_option
@handle_errors
def remind(
    period_code: str,
    smtp: str | None,
    user: str | None,
    use_ssl: bool,
    root: Path,
    plan_path: Path | None,
) -> None:
    """Nhắc các thôn, đơn vị chưa nộp, nộp trễ hạn, bài có lỗi hoặc bị trả lại để sửa.

    Đọc inbox/ như wbt check (tạo bản phản hồi cho tệp có lỗi), rồi viết cho mỗi
    nơi một thư nói rõ còn thiếu gì, sai gì: kèm bản phản hồi với bài có lỗi hoặc
    bị trả lại (wbt review --return, ghi cả lý do), kèm lại biểu mẫu với nơi chưa
    nộp; nơi "cần xác nhận" được hỏi đã gửi ngày nào, không bị ghi là trễ hạn.
    Mặc định ghi thư nháp .eml vào
    outbox/KỲ/thu_nhac/; với --smtp thì gửi thẳng.

    \b
    Ví dụ:
      wbt remind --period Q1-2025
      wbt remind --period Q1-2025 --smtp smtp.gmail.com:587
    """
    ws, plan, period = open_period(root, plan_path, period_code)
    server = _server(smtp, 587, user, plan, use_ssl) if smtp else None
    with progress_bar("Đang đọc bài nộp") as progress:
        outcome = pipeline.remind(ws, plan, period, server, progress=progress)
    if not outcome.deliveries:
        click.echo("Mọi thôn, đơn vị đã nộp đúng hạn và không có lỗi: không cần nhắc ai.")
        return
    _print_deliveries(ws, outcome, "thư nhắc")


@cli.command("fetch")
@period_option
@click.option(
    "--mbox",
    "mbox",
    metavar="TỆP",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Tệp hộp thư dạng mbox (thư mục thư của Thunderbird, tệp tải từ Google Takeout).",
)
@click.option(
    "--eml",
    "eml",
    metavar="THƯ_MỤC",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục chứa các thư đã lưu dạng .eml (kéo thư từ Thunderbird ra thư mục; Outlook "
    "trên web: Tải xuống; Outlook cổ điển lưu .msg, không đọc được: dùng --imap).",
)
@click.option(
    "--imap",
    "imap",
    metavar="MÁY_CHỦ:CỔNG",
    help="Hộp thư IMAP, ví dụ imap.gmail.com:993. Chỉ đọc: không xóa, không chuyển, không "
    "đánh dấu đã đọc.",
)
@click.option(
    "--mailbox",
    "box",
    metavar="HỘP_THƯ",
    default="INBOX",
    show_default=True,
    help="Hộp thư IMAP để đọc.",
)
@user_option
@ssl_option
@dir_option
@plan_option
@handle_errors
def fetch(
    period_code: str,
    mbox: Path | None,
    eml: Path | None,
    imap: str | None,
    box: str,
    user: str | None,
    use_ssl: bool,
    root: Path,
    plan_path: Path | None,
) -> None:
    """Lấy tệp đính kèm của thư trả lời vào inbox/, ngày nộp theo ngày gửi thư.

    Mỗi thư một thư mục trong inbox/; chỉ lấy bảng tính (.xlsx, .xls, .ods) và
    tệp nén .zip (mở ra trong giới hạn an toàn); ảnh, PDF… được liệt kê là bỏ
    qua. Tệp trùng nội dung chỉ lấy một lần; chạy lại không lấy thêm gì. Tệp
    từ địa chỉ không có trong trang Danh sách vẫn được lấy và được đánh dấu.
    Hộp thư chỉ được đọc: không xóa, không chuyển, không đánh dấu thư nào.

    \b
    Ví dụ:
      wbt fetch --period Q1-2025 --mbox "Thu den.mbox"
      wbt fetch --period Q1-2025 --eml thu_tra_loi
      wbt fetch --period Q1-2025 --imap imap.gmail.com:993 --user xa@gmail.com
    """
    from workbook_tools.mail.fetch import read_eml_folder, read_imap, read_mbox

    chosen = [name for name, given in (("--mbox", mbox), ("--eml", eml), ("--imap", imap))
              if given]
    if len(chosen) != 1:
        raise WorkspaceError(
            "Hãy chọn đúng một nơi lấy thư: --mbox TỆP, --eml THƯ_MỤC hoặc --imap "
            "MÁY_CHỦ:CỔNG" + (f" (đang ghi {' và '.join(chosen)})." if chosen else ".")
        )
    ws, plan, period = open_period(root, plan_path, period_code)
    notes: list[str] = []
    mails: Iterable[RawMail] | MailSource
    if mbox is not None:
        mails = read_mbox(mbox, notes)
    elif eml is not None:
        mails = read_eml_folder(eml, notes)
    else:
        assert imap is not None
        server = _server(imap, 993, user, plan, use_ssl)
        mails = functools.partial(read_imap, server, box, period.start)
    with progress_bar("Đang tải thư") as progress:
        outcome = pipeline.fetch(ws, plan, period, mails, progress=progress)
    for note in notes:
        click.secho(f"Ghi chú: {note}", fg="yellow")
    _print_fetch(ws, plan, period, outcome.result)


def _print_deliveries(ws: Workspace, outcome: pipeline.MailOutcome, what: str) -> None:
    done = [d for d in outcome.deliveries if d.done]
    failed = [d for d in outcome.deliveries if not d.done]
    # Nothing written or sent: no header over an empty list, only what failed is said.
    if done and outcome.folder is not None:
        click.echo(
            f"Đã ghi {len(done)} thư nháp ({what}) vào {shown_path(outcome.folder, ws.root)}: "
            "mở bằng Outlook hoặc Thunderbird, xem lại rồi bấm Gửi."
        )
        for d in done:
            assert d.path is not None
            note = f" [{d.what}]" if d.what else ""
            click.echo(f"  {d.entry.code} - {d.entry.name}{note}: {d.path.name} → "
                       f"{', '.join(d.addresses)}")
    elif done:
        click.echo(f"Đã gửi {len(done)} thư ({what}) qua máy chủ {outcome.server}:")
        for d in done:
            note = f" [{d.what}]" if d.what else ""
            click.echo(f"  {d.entry.code} - {d.entry.name}{note} → {', '.join(d.addresses)}")
    if failed:
        click.secho(f"Chưa gửi được {len(failed)} thư:", fg="red", err=True)
        for d in failed:
            click.secho(f"  {d.entry.code} - {d.entry.name}: {d.why}", fg="red", err=True)
        raise SystemExit(1)


def _print_fetch(ws: Workspace, plan: Plan, period: Period, result: FetchResult) -> None:
    click.echo(
        f"Đã đọc {result.messages + result.mails_before} thư; lấy {len(result.saved)} tệp mới vào "
        f"{shown_path(ws.inbox, ws.root)}/."
    )
    for saved in result.saved:
        flag = "" if saved.known_sender else " (người gửi không có trong trang Danh sách)"
        sent = (
            f"gửi {in_zone(saved.arrived, plan_zone(plan)):%d/%m/%Y %H:%M}"
            if saved.arrived is not None else "không rõ ngày gửi"
        )
        click.echo(f"  {saved.file} – từ {saved.sender or 'không rõ'}, {sent}{flag}")
        for p in saved.problems:
            click.secho(f"      Lỗi: {p.message}", fg="red")
    if result.mails_before:
        click.echo(f"{result.mails_before} thư đã lấy từ lần trước: không tải lại.")
    if result.already:
        click.echo(f"{result.already} tệp đã lấy từ lần trước: không lấy lại.")
    if result.duplicates:
        click.echo(f"{len(result.duplicates)} tệp giống hệt tệp đã có, không lưu thêm:")
        for d in result.duplicates:
            click.echo(f"  {d.name} ({d.where}): {d.why}")
    if result.skipped:
        click.echo(f"Bỏ qua {len(result.skipped)} tệp đính kèm:")
        for d in result.skipped:
            click.echo(f"  {d.name} ({d.where}): {d.why}")
    for p in result.problems:
        echo_problem(p)
    if result.saved:
        click.echo(
            f"Chạy wbt status --period {period.code} để xem tình hình nộp của các "
            f"{plan.settings.roster_words}."
        )
    if result.stopped:
        click.secho(f"Lỗi: {result.stopped}", fg="red", err=True)
        raise SystemExit(1)
