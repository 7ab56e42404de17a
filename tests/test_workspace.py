"""The working folder: finding the plan, writing whole-or-nothing, one run at a time."""

from __future__ import annotations

import contextlib
import ctypes
import errno
import importlib.util
import os
import re
import signal
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType, SimpleNamespace

import pytest

from tests.conftest import needs_fork
from tests.platforms import posix_only
from workbook_tools import workspace
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


# --- temporaries: hidden, and cleaned by the run that holds the folder -------------------

STALE = ".report.xlsx.k1ll3d_x.tmp"  # what write_atomic left when its run was killed


def test_write_atomic_removes_its_stale_temporaries_only_under_the_run_lock(
    tmp_path: Path,
) -> None:
    out = tmp_path / "outbox" / "6T-2024"
    out.mkdir(parents=True)
    (out / STALE).write_bytes(b"half a report")
    (out / ".other.xlsx.k1ll3d_x.tmp").write_bytes(b"another file's")
    write_atomic(out / "report.xlsx", b"one")
    assert (out / STALE).exists()  # no lock: another run may be writing it
    with run_lock(tmp_path):
        write_atomic(out / "report.xlsx", b"two")
    assert sorted(p.name for p in out.iterdir()) == [".other.xlsx.k1ll3d_x.tmp", "report.xlsx"]
    assert (out / "report.xlsx").read_bytes() == b"two"


def test_write_atomic_under_another_folder_s_lock_leaves_temporaries(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / STALE).write_bytes(b"b's run may be writing it")
    with run_lock(tmp_path / "a"):
        write_atomic(tmp_path / "b" / "report.xlsx", b"x")
    assert (tmp_path / "b" / STALE).exists()


# --- the lock and other processes ---------------------------------------------------------


def test_the_lock_is_not_inherited_by_processes_started_from_the_run(tmp_path: Path) -> None:
    with run_lock(tmp_path):
        held = list(workspace._held)
        assert held and not any(os.get_inheritable(fd) for fd in held)


_FORKS_A_CHILD = """
import multiprocessing, sys, time
from pathlib import Path
from workbook_tools.workspace import run_lock

fork = multiprocessing.get_context("fork")
running = fork.Event()

def sleep():
    running.set()  # past the fork, and its handlers, in the child
    time.sleep(120)

with run_lock(Path(sys.argv[1])):
    child = fork.Process(target=sleep)
    child.start()
    running.wait(30)  # a loaded machine may run the child only later
    print(child.pid, flush=True)
    time.sleep(120)  # killed by the test, lock held
"""


@needs_fork
def test_a_forked_child_does_not_hold_the_lock_after_its_run_is_killed(tmp_path: Path) -> None:
    run = subprocess.Popen(
        [sys.executable, "-c", _FORKS_A_CHILD, str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)},
    )
    child = 0
    try:
        assert run.stdout is not None
        child = int(run.stdout.readline())
        with pytest.raises(WorkspaceError, match="Một lệnh khác đang chạy"), run_lock(tmp_path):
            pass  # the run holds it
        run.kill()  # the run is killed; the child it forked lives on
        run.wait(timeout=30)
        os.kill(child, 0)  # still there
        with run_lock(tmp_path):
            assert (tmp_path / LOCK).read_text() == str(os.getpid())
    finally:
        run.kill()
        run.wait(timeout=30)
        if child:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child, signal.SIGKILL)


# --- the same module as Windows runs it -----------------------------------------------------


@dataclass
class AsWindows:
    module: ModuleType
    attributes: list[tuple[str, int]]


@pytest.fixture
def as_windows(monkeypatch: pytest.MonkeyPatch) -> AsWindows:
    """A second copy of workbook_tools.workspace, loaded as on Windows: its msvcrt lock
    and its hidden attribute over stand-ins that do on Linux what Windows does.

    ``msvcrt.locking(fd, LK_NBLCK, 1)`` locks a byte so that another handle, even in the
    same process, cannot lock it (flock here); it raises OSError when it is taken.
    ``SetFileAttributesW`` is recorded.
    """
    import fcntl  # POSIX only: the tests that use this fixture are marked posix_only

    msvcrt = ModuleType("msvcrt")
    msvcrt.LK_UNLCK, msvcrt.LK_NBLCK = 0, 2  # type: ignore[attr-defined]

    def locking(fd: int, mode: int, nbytes: int) -> None:
        assert nbytes == 1 and os.lseek(fd, 0, os.SEEK_CUR) == 0
        if mode == 2:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise PermissionError(errno.EACCES, "Permission denied") from None
        else:
            assert mode == 0
            fcntl.flock(fd, fcntl.LOCK_UN)

    msvcrt.locking = locking  # type: ignore[attr-defined]
    attributes: list[tuple[str, int]] = []

    def set_file_attributes(name: str, value: int) -> int:
        attributes.append((name, value))
        return 1

    kernel32 = SimpleNamespace(SetFileAttributesW=set_file_attributes)
    monkeypatch.setitem(sys.modules, "msvcrt", msvcrt)
    monkeypatch.setattr(ctypes, "windll", SimpleNamespace(kernel32=kernel32), raising=False)
    spec = importlib.util.spec_from_file_location("wbt_workspace_as_windows", workspace.__file__)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, spec.name, module)  # (its dataclass looks itself up)
    with monkeypatch.context() as loading:
        loading.setattr(sys, "platform", "win32")
        loading.delattr(os, "register_at_fork", raising=False)  # Windows has none
        spec.loader.exec_module(module)
    assert module.WINDOWS and module._set_file_attributes is set_file_attributes
    return AsWindows(module, attributes)


@posix_only  # Windows imitated on POSIX (flock for msvcrt.locking)
def test_windows_lock_one_run_at_a_time(as_windows: AsWindows, tmp_path: Path) -> None:
    lock = as_windows.module.run_lock
    with lock(tmp_path):
        assert (tmp_path / LOCK).read_text() == str(os.getpid())
        with pytest.raises(WorkspaceError, match="Một lệnh khác đang chạy"), lock(tmp_path):
            pass
    assert not (tmp_path / LOCK).exists()
    (tmp_path / LOCK).write_text("999999999")  # left by a killed run: not locked
    with lock(tmp_path):
        pass


@posix_only  # Windows imitated on POSIX (flock for msvcrt.locking)
def test_windows_temporary_is_hidden_and_the_file_written_is_not(
    as_windows: AsWindows, tmp_path: Path
) -> None:
    target = tmp_path / "report.xlsx"
    as_windows.module.write_atomic(target, b"data")
    assert target.read_bytes() == b"data"
    (hide, hidden), (show, shown) = as_windows.attributes
    assert hide == show and Path(hide).parent == tmp_path
    assert re.fullmatch(r"\.report\.xlsx\.[a-z0-9_]{8}\.tmp", Path(hide).name)
    assert (hidden, shown) == (0x2, 0x80)  # FILE_ATTRIBUTE_HIDDEN, then NORMAL before the rename


@posix_only  # Windows imitated on POSIX (flock for msvcrt.locking)
def test_windows_stale_temporaries_cleaned_under_the_lock(
    as_windows: AsWindows, tmp_path: Path
) -> None:
    (tmp_path / STALE).write_bytes(b"half")
    with as_windows.module.run_lock(tmp_path):
        as_windows.module.write_atomic(tmp_path / "report.xlsx", b"whole")
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]
