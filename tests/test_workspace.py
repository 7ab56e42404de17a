"""The working folder: finding the plan, writing whole-or-nothing, one run at a time."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import pytest

from workbook_tools.errors import OutputError, WorkspaceError
from workbook_tools.workspace import LOCK, Workspace, run_lock, write_atomic


def test_write_atomic_replaces_whole_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "out" / "report.xlsx"
    write_atomic(target, b"old")
    write_atomic(target, b"new content")
    assert target.read_bytes() == b"new content"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.xlsx"]
    assert stat.S_IMODE(target.stat().st_mode) & 0o044  # readable by others, not 0600


def test_write_atomic_target_open_in_excel_keeps_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # On Windows a workbook open in Excel cannot be replaced: the rename fails.
    target = tmp_path / "report.xlsx"
    target.write_bytes(b"old")

    def locked(src: object, dst: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(os, "replace", locked)
    with pytest.raises(OutputError, match=r"đang mở trong Excel.*Hãy đóng tệp"):
        write_atomic(target, b"new")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_write_atomic_onto_a_folder_fails_cleanly(tmp_path: Path) -> None:
    target = tmp_path / "report.xlsx"
    target.mkdir()  # something that cannot be replaced by a file
    with pytest.raises(OutputError, match=r"Không ghi được tệp .*report\.xlsx"):
        write_atomic(target, b"new")
    assert target.is_dir()
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]  # no temporary left


def test_second_run_at_once_is_refused_with_a_message(tmp_path: Path) -> None:
    with (
        run_lock(tmp_path),
        pytest.raises(WorkspaceError, match="Một lệnh khác đang chạy"),
        run_lock(tmp_path),
    ):
        pass
    assert not (tmp_path / LOCK).exists()


def test_lock_left_by_a_killed_run_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / LOCK).write_text("999999999")  # no such process
    with run_lock(tmp_path):
        assert (tmp_path / LOCK).read_text() == str(os.getpid())
    assert not (tmp_path / LOCK).exists()


def test_find_plan_messages(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    with pytest.raises(WorkspaceError, match="wbt init"):
        ws.find_plan()
    ws.templates.mkdir()
    with pytest.raises(WorkspaceError, match="không có tệp kế hoạch"):
        ws.find_plan()
    (ws.templates / "~$kehoach.xlsx").write_bytes(b"lock file of Excel")
    (ws.templates / "a.xlsx").write_bytes(b"")
    assert ws.find_plan().name == "a.xlsx"
    (ws.templates / "b.xlsx").write_bytes(b"")
    with pytest.raises(WorkspaceError, match=r"nhiều tệp kế hoạch \(a\.xlsx, b\.xlsx\)"):
        ws.find_plan()
