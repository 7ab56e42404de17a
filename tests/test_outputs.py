"""What the officer finds on disk when writing an output fails or is cut short.

The report is a pair, ``BaoCao_TongHop_KỲ.xlsx`` and ``tong_hop_KỲ.json``: after any
interruption the folder holds the old pair or the new pair, never a new workbook
beside an old summary (at the latest once the next ``wbt`` command has run), and a
failure says exactly which files are which. An outbox that cannot be written is a
Vietnamese message naming the file and what to do, never a traceback; ``wbt check``
does not blame the returned file for a copy it could not write.

The commands run through click's CliRunner over a copy of the demo's working folder;
the interruptions and the failures of the disk are injected with monkeypatch (CI runs
as root, where permissions do not bite).
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from tests.demo_folders import demo_folder
from tests.inbox_forms import snapshot
from workbook_tools import demo
from workbook_tools.cli import cli
from workbook_tools.report.feedback import FEEDBACK_FOLDER
from workbook_tools.report.write import RECORD_NAME

PERIOD = demo.load_scenario().period
WORKBOOK = f"BaoCao_TongHop_{PERIOD}.xlsx"
SUMMARY = f"tong_hop_{PERIOD}.json"
DOCUMENT = f"BaoCao_{PERIOD}.docx"


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's folder with a report made while one returned file was not yet there:
    the next merge makes a pair that differs from it."""
    root = demo_folder(tmp_path_factory, "outputs")
    late = sorted(p for p in (root / "inbox").iterdir() if p.is_file())[0]
    aside = root / late.name
    late.rename(aside)  # a rename keeps its bytes and its time
    run(root, "merge")
    aside.rename(late)
    return root


def run(root: Path, command: str, *more: str) -> Result:
    return CliRunner().invoke(cli, [command, "--period", PERIOD, "--dir", str(root), *more])


def period_folder(root: Path) -> Path:
    return root / "outbox" / PERIOD


def pair(root: Path) -> dict[str, bytes]:
    folder = period_folder(root)
    return {name: (folder / name).read_bytes() for name in (WORKBOOK, SUMMARY)}


def files_beside_the_pair(root: Path) -> list[str]:
    """Every file in the period's folder (hidden ones too), folders and the report's own
    record (written with the pair) left out."""
    folder = period_folder(root)
    return sorted(p.name for p in folder.iterdir() if not p.is_dir() and p.name != RECORD_NAME)


def received(root: Path) -> int:
    summary = json.loads((period_folder(root) / SUMMARY).read_text("utf-8"))
    assert summary["period"] == PERIOD
    return int(summary["completeness"]["received"])


def assert_new_pair_whole(root: Path, old: dict[str, bytes]) -> None:
    """A complete new pair: both files new, the JSON parses, openpyxl opens the workbook."""
    now = pair(root)
    assert now[WORKBOOK] != old[WORKBOOK] and now[SUMMARY] != old[SUMMARY]
    book = load_workbook(period_folder(root) / WORKBOOK, read_only=True)
    assert "Tổng hợp" in book.sheetnames
    book.close()
    assert received(root) == json.loads(old[SUMMARY])["completeness"]["received"] + 1


def assert_clean_exit(result: Result) -> None:
    """Exit code 1 with a message: no exception escaped the command (no traceback)."""
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output


def in_outbox(root: Path, *paths: Any) -> bool:
    outbox = (root / "outbox").resolve()
    return any(
        p is not None and Path(os.fspath(p)).resolve().is_relative_to(outbox) for p in paths
    )


# --- 1. the report pair: replaced together or not at all ----------------------------------


def after_the_first_rename(stop: Callable[[], BaseException]) -> Callable[[Any, Any], None]:
    """os.replace that stops the run when the new summary is renamed into place: the new
    workbook has been renamed over the old one just before."""
    real_replace = os.replace

    def replace(src: Any, dst: Any) -> None:
        if Path(os.fspath(dst)).name == SUMMARY:
            raise stop()
        real_replace(src, dst)

    return replace


@pytest.mark.parametrize(
    "stop", [KeyboardInterrupt, lambda: SystemExit(1)], ids=["ctrl-c", "system-exit"]
)
def test_a_merge_stopped_between_the_two_renames_keeps_the_old_pair(
    root: Path, monkeypatch: pytest.MonkeyPatch, stop: Callable[[], BaseException]
) -> None:
    old = pair(root)
    inbox = snapshot(root / "inbox")
    monkeypatch.setattr(os, "replace", after_the_first_rename(stop))
    result = run(root, "merge")
    monkeypatch.undo()
    assert_clean_exit(result)
    assert pair(root) == old  # byte for byte: the new workbook was put back
    # Nothing hidden left.
    assert files_beside_the_pair(root) == sorted([WORKBOOK, DOCUMENT, SUMMARY])
    assert snapshot(root / "inbox") == inbox
    assert run(root, "merge").exit_code == 0
    assert_new_pair_whole(root, old)


class Killed(BaseException):
    """The process was killed: nothing it would still have done in the outbox is done."""


def killed_after_the_first_rename(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """From the summary's rename on, every rename or removal in the outbox raises
    :class:`Killed`, as if the process had been killed there (the run lock, outside
    the outbox, is let go as a killed process's is)."""
    real = {name: getattr(os, name) for name in ("replace", "rename", "unlink", "remove")}
    dead = False

    def wrap(name: str) -> Callable[..., None]:
        def call(*args: Any, **kwargs: Any) -> None:
            nonlocal dead
            if name == "replace" and Path(os.fspath(args[1])).name == SUMMARY:
                dead = True
            if dead and in_outbox(root, *args[:2]):
                raise Killed
            real[name](*args, **kwargs)

        return call

    for name in real:
        monkeypatch.setattr(os, name, wrap(name))


@pytest.mark.parametrize("next_command", ["status", "check", "merge"])
def test_a_merge_killed_between_the_two_renames_is_put_right_by_the_next_command(
    root: Path, monkeypatch: pytest.MonkeyPatch, next_command: str
) -> None:
    old = pair(root)
    inbox = snapshot(root / "inbox")
    with monkeypatch.context() as patched:
        killed_after_the_first_rename(root, patched)
        with pytest.raises(Killed):
            CliRunner().invoke(
                cli, ["merge", "--period", PERIOD, "--dir", str(root)], catch_exceptions=False
            )
    # What the kill left: the new workbook beside the old summary, for now.
    assert pair(root)[SUMMARY] == old[SUMMARY]
    assert pair(root)[WORKBOOK] != old[WORKBOOK]

    result = run(root, next_command)
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    assert "Traceback" not in result.output
    if next_command == "merge":
        assert result.exit_code == 0, result.output
        assert_new_pair_whole(root, old)
    else:  # the interrupted merge is undone: the old pair, byte for byte
        assert pair(root) == old
    assert files_beside_the_pair(root) == sorted([WORKBOOK, DOCUMENT, SUMMARY])
    assert snapshot(root / "inbox") == inbox


def test_a_failed_summary_whose_rollback_fails_says_what_is_on_disk(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The summary cannot be replaced (open in a program that locks it), and neither can
    the workbook be put back (the officer opened the new one meanwhile)."""
    old = pair(root)
    folder = period_folder(root)
    real_replace = os.replace
    failed = False

    def locked(src: Any, dst: Any) -> None:
        nonlocal failed
        name = Path(os.fspath(dst)).name
        if name == SUMMARY or (failed and name == WORKBOOK):
            failed = True
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", locked)
    result = run(root, "merge")
    monkeypatch.undo()
    assert_clean_exit(result)
    message = " ".join(result.output.split())
    # On disk: the new workbook beside the old summary. The message says so, and no
    # longer that the old files are kept.
    assert pair(root)[SUMMARY] == old[SUMMARY]
    assert pair(root)[WORKBOOK] != old[WORKBOOK]
    load_workbook(folder / WORKBOOK, read_only=True).close()  # whole, only not the old one
    assert f"{folder / WORKBOOK} đã là bản mới" in message, message
    assert f"{folder / SUMMARY} vẫn là bản cũ" in message, message
    assert "không khớp nhau" in message
    assert "tệp cũ vẫn được giữ nguyên" not in message.casefold()
    # The next command holding the run lock puts the old pair back.
    assert run(root, "status").exit_code == 0
    assert pair(root) == old
    assert files_beside_the_pair(root) == sorted([WORKBOOK, DOCUMENT, SUMMARY])


def test_a_failed_summary_with_the_workbook_put_back_says_both_are_kept(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = pair(root)
    real_replace = os.replace

    def locked(src: Any, dst: Any) -> None:
        if Path(os.fspath(dst)).name == SUMMARY:
            raise OSError(errno.ENOSPC, "No space left on device", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", locked)
    result = run(root, "merge")
    monkeypatch.undo()
    assert_clean_exit(result)
    message = " ".join(result.output.split())
    assert str(period_folder(root) / SUMMARY) in message
    assert "đầy" in message and "dung lượng" in message
    assert "Tệp cũ vẫn được giữ nguyên" in message, message
    kept = f"{period_folder(root) / WORKBOOK}, {period_folder(root) / DOCUMENT}"
    assert f"{kept} cũng được giữ như cũ: cả ba tệp vẫn khớp nhau" in message, message
    assert pair(root) == old
    assert files_beside_the_pair(root) == sorted([WORKBOOK, DOCUMENT, SUMMARY])


# --- 2. an outbox that cannot be written ------------------------------------------------


def outbox_is_a_file(root: Path) -> Path:
    """``outbox`` replaced by a regular file: no folder can be made in it (even as root)."""
    outbox = root / "outbox"
    shutil.rmtree(outbox)
    outbox.write_bytes(b"not a folder")
    return outbox


@pytest.mark.parametrize("command", ["merge", "generate"])
def test_an_outbox_that_is_a_file_is_a_message_not_a_traceback(root: Path, command: str) -> None:
    outbox = outbox_is_a_file(root)
    inbox = snapshot(root / "inbox")
    result = run(root, command)
    assert_clean_exit(result)
    message = " ".join(result.output.split())
    assert "Lỗi: Không ghi được" in message, message
    assert str(outbox / PERIOD) in message
    assert f"{outbox} là một tệp, không phải thư mục" in message, message
    assert outbox.read_bytes() == b"not a folder"
    assert snapshot(root / "inbox") == inbox


def refusing_mkstemp(root: Path, err: OSError) -> Callable[..., Any]:
    real_mkstemp = tempfile.mkstemp

    def mkstemp(*args: Any, **kwargs: Any) -> Any:
        if in_outbox(root, kwargs.get("dir")):
            raise err
        return real_mkstemp(*args, **kwargs)

    return mkstemp


NO_PERMISSION = PermissionError(errno.EACCES, "Permission denied")
DISK_FULL = OSError(errno.ENOSPC, "No space left on device")
READ_ONLY = OSError(errno.EROFS, "Read-only file system")
#: What the message tells the officer to do about each.
ADVICE = {
    errno.EACCES: "quyền ghi",
    errno.ENOSPC: "giải phóng dung lượng",
    errno.EROFS: "chỉ cho đọc",
}


@pytest.mark.parametrize("command", ["merge", "generate"])
@pytest.mark.parametrize(
    "err", [NO_PERMISSION, DISK_FULL, READ_ONLY], ids=["eacces", "enospc", "erofs"]
)
def test_an_outbox_that_cannot_be_written_is_a_message_naming_the_file(
    root: Path, monkeypatch: pytest.MonkeyPatch, command: str, err: OSError
) -> None:
    old = pair(root)
    inbox = snapshot(root / "inbox")
    monkeypatch.setattr(tempfile, "mkstemp", refusing_mkstemp(root, err))
    result = run(root, command)
    monkeypatch.undo()
    assert_clean_exit(result)
    message = " ".join(result.output.split())
    assert "Lỗi: Không ghi được" in message, message
    assert str(period_folder(root)) in message
    assert ADVICE[err.errno] in message, message
    assert pair(root) == old
    assert files_beside_the_pair(root) == sorted([WORKBOOK, DOCUMENT, SUMMARY])
    assert snapshot(root / "inbox") == inbox


def test_a_feedback_copy_that_cannot_be_written_does_not_blame_the_returned_file(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox = snapshot(root / "inbox")
    monkeypatch.setattr(tempfile, "mkstemp", refusing_mkstemp(root, NO_PERMISSION))
    result = run(root, "check")
    monkeypatch.undo()
    assert_clean_exit(result)
    message = " ".join(result.output.split())
    assert "Không đọc lại được" not in message, message
    assert "/inbox/" not in message.split("Lỗi:", 1)[1], message
    assert f"Lỗi: Không ghi được bản phản hồi {period_folder(root) / FEEDBACK_FOLDER}" in message
    assert "quyền ghi" in message
    assert snapshot(root / "inbox") == inbox


def test_check_with_an_outbox_that_is_a_file_names_the_outbox(root: Path) -> None:
    outbox = outbox_is_a_file(root)
    inbox = snapshot(root / "inbox")
    result = run(root, "check")
    assert_clean_exit(result)
    message = " ".join(result.output.split())
    assert "Không đọc lại được" not in message, message
    assert f"{outbox} là một tệp, không phải thư mục" in message, message
    assert snapshot(root / "inbox") == inbox


def test_a_returned_file_gone_before_its_copy_is_said_as_a_reading_failure(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The other side: reading the returned file again fails, the copy is not blamed."""
    from workbook_tools.report import feedback

    def gone(original: Path, *args: Any, **kwargs: Any) -> bytes:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", str(original))

    monkeypatch.setattr(feedback, "build_feedback", gone)
    result = run(root, "check")
    monkeypatch.undo()
    assert_clean_exit(result)
    message = " ".join(result.output.split())
    assert "Lỗi: Không đọc lại được tệp" in message and "/inbox/" in message, message
    assert "Không ghi được" not in message


def test_a_half_done_pair_that_cannot_be_put_back_stops_the_next_merge_with_a_message(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After the kill the officer opened the new workbook (locked on Windows): the next
    merge says so instead of writing over a pair it cannot make whole."""
    old = pair(root)
    with monkeypatch.context() as patched:
        killed_after_the_first_rename(root, patched)
        with pytest.raises(Killed):
            CliRunner().invoke(
                cli, ["merge", "--period", PERIOD, "--dir", str(root)], catch_exceptions=False
            )
    real_replace = os.replace

    def open_in_excel(src: Any, dst: Any) -> None:
        if Path(os.fspath(dst)).name == WORKBOOK:
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", open_in_excel)
    result = run(root, "merge")
    monkeypatch.undo()
    assert_clean_exit(result)
    message = " ".join(result.output.split())
    assert "Lần ghi báo cáo trước bị dừng giữa chừng" in message, message
    assert f"Hãy đóng tệp {period_folder(root) / WORKBOOK}" in message
    assert pair(root)[SUMMARY] == old[SUMMARY]
    # Closed: the next command puts the old pair back, the merge after it writes a new one.
    assert run(root, "status").exit_code == 0
    assert pair(root) == old
    assert run(root, "merge").exit_code == 0
    assert_new_pair_whole(root, old)
    assert files_beside_the_pair(root) == sorted([WORKBOOK, DOCUMENT, SUMMARY])
