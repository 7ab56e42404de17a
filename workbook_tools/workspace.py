"""The working folder: ``templates/`` (the plan), ``inbox/``, ``outbox/``.

Like git, every command works from the current folder by default. This module
also owns the two ways files are written: whole or not at all
(:func:`write_atomic`), and one run at a time (:func:`run_lock`).

The parts that differ on Windows (the lock's backend, the hidden attribute of a
temporary) are chosen once, when the module is loaded, by :data:`WINDOWS`; the
tests load a second copy of the module as Windows would, over stand-ins.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from workbook_tools.errors import OutputError, WorkspaceError

WINDOWS = sys.platform == "win32"

TEMPLATES = "templates"
INBOX = "inbox"
OUTBOX = "outbox"
LEDGER = ".wbt-ledger.sqlite3"
LOCK = ".wbt.lock"


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def templates(self) -> Path:
        return self.root / TEMPLATES

    @property
    def inbox(self) -> Path:
        return self.root / INBOX

    @property
    def outbox(self) -> Path:
        return self.root / OUTBOX

    @property
    def ledger(self) -> Path:
        return self.root / LEDGER

    def period_outbox(self, period: str) -> Path:
        return self.outbox / period

    def find_plan(self) -> Path:
        """The plan workbook: the one ``.xlsx`` in ``templates/``."""
        if not self.templates.is_dir():
            raise WorkspaceError(
                f"Thư mục {self.root} không có thư mục '{TEMPLATES}/' chứa kế hoạch. "
                "Hãy chạy lệnh trong thư mục làm việc, dùng --dir để chỉ đến nó, "
                "hoặc tạo thư mục mới bằng 'wbt init TÊN_THƯ_MỤC'."
            )
        found = sorted(
            p
            for p in self.templates.iterdir()
            if p.suffix.lower() == ".xlsx" and not p.name.startswith(("~$", ".~lock", "."))
        )
        if not found:
            raise WorkspaceError(
                f"Thư mục {self.templates} không có tệp kế hoạch (.xlsx). Hãy chép tệp kế hoạch "
                "vào đó, hoặc dùng --plan để chỉ đến tệp."
            )
        if len(found) > 1:
            names = ", ".join(p.name for p in found)
            raise WorkspaceError(
                f"Thư mục {self.templates} có nhiều tệp kế hoạch ({names}). Hãy chỉ giữ lại một "
                "tệp, hoặc dùng --plan để chọn tệp."
            )
        return found[0]


TEMPORARY_SUFFIX = ".tmp"
# What tempfile.mkstemp puts between the prefix and the suffix.
_RANDOM_PART = r"[a-z0-9_]{8}"


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all.

    The bytes go to a temporary file in the same folder (``.<name>.XXXXXXXX.tmp``,
    hidden: by its leading dot, and on Windows by the hidden attribute),
    flushed to disk, then renamed over ``path``: an interrupted run leaves the
    old file intact. The temporaries of ``path`` that a killed run left are
    removed first when this process holds the run lock of a folder ``path`` is
    in (:func:`run_lock`; without it another run may be writing ``path``). A
    target that is open in Excel (locked on Windows) or read-only raises
    :class:`OutputError` with a message telling the officer to close it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    if _holds_lock_over(path):
        remove_stale_temporaries(path)
    fd, tmp_name = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=TEMPORARY_SUFFIX, dir=path.parent
    )
    tmp = Path(tmp_name)
    try:
        _set_hidden(tmp_name, True)
        # mkstemp makes the file private (0600); give it the usual permissions.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _set_hidden(tmp_name, False)  # the renamed file keeps its attributes
        os.replace(tmp, path)
    except OSError as err:
        with contextlib.suppress(OSError):
            tmp.unlink()
        if err.errno in (errno.EACCES, errno.EPERM, errno.EBUSY, errno.ETXTBSY):
            raise OutputError(
                f"Không ghi được tệp {path}: tệp đang mở trong Excel hoặc chỉ được đọc. "
                "Hãy đóng tệp rồi chạy lại lệnh; tệp cũ vẫn được giữ nguyên."
            ) from err
        raise OutputError(
            f"Không ghi được tệp {path}: {err.strerror}. Tệp cũ vẫn được giữ nguyên."
        ) from err


def lock_files(path: Path) -> list[Path]:
    """The files a spreadsheet program keeps next to ``path`` while it has it open.

    Excel and WPS: ``~$name`` (Excel drops the first two letters of a long name);
    LibreOffice: ``.~lock.name#``.
    """
    names = {f"~${path.name}", f"~${path.name[2:]}", f".~lock.{path.name}#"}
    return sorted(path.parent / n for n in names if (path.parent / n).exists())


def remove_stale_temporaries(path: Path) -> list[Path]:
    """Remove the temporaries of ``path`` that a run killed mid-write left beside it.

    Only the names :func:`write_atomic` makes for ``path`` itself are touched
    (``.<name>.XXXXXXXX.tmp``, in ``path``'s folder); call it only for files a
    command writes while it holds the run lock, so that no other write of
    ``path`` can be under way. Returns what was removed.
    """
    pattern = re.compile(re.escape(f".{path.name}.") + _RANDOM_PART + re.escape(TEMPORARY_SUFFIX))
    removed: list[Path] = []
    try:
        entries = list(os.scandir(path.parent))
    except OSError:
        return removed  # no folder yet: nothing was left in it
    for entry in entries:
        if pattern.fullmatch(entry.name) and entry.is_file(follow_symlinks=False):
            with contextlib.suppress(OSError):
                os.unlink(entry.path)
                removed.append(Path(entry.path))
    return removed


#: Windows' file attributes (SetFileAttributesW).
FILE_ATTRIBUTE_HIDDEN = 0x2
FILE_ATTRIBUTE_NORMAL = 0x80


def _set_hidden(name: str, hidden: bool) -> None:
    """Windows: give the file ``name`` the hidden attribute, or take it away.

    Elsewhere a leading dot hides a file already. A failure is ignored: the
    file is then only visible.
    """
    if _set_file_attributes is not None:
        _set_file_attributes(name, FILE_ATTRIBUTE_HIDDEN if hidden else FILE_ATTRIBUTE_NORMAL)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def run_lock(root: Path) -> Iterator[None]:
    """Hold the working folder's lock for one run; a second run at once is told to wait.

    The lock is the operating system's lock on the file ``.wbt.lock`` (flock;
    msvcrt on Windows), which goes with the process: a run that is killed
    leaves no lock behind, and no other process is ever signalled to find out
    whether it still runs. The file holds the process id, for a person to read.
    """
    lock = root / LOCK
    fd = _acquire(lock, root)
    _held[fd] = root.resolve()
    try:
        yield
    finally:
        del _held[fd]
        _release(lock, fd)


#: The run locks this process holds: descriptor -> the folder locked.
_held: dict[int, Path] = {}


def _holds_lock_over(path: Path) -> bool:
    """Whether this process holds the run lock of a folder ``path`` is in."""
    if not _held:
        return False
    where = path.resolve()
    return any(where.is_relative_to(root) for root in _held.values())


def _forget_locks_in_child() -> None:
    """In a forked child: close the lock descriptors the parent holds.

    A child forked while a run holds its lock (a worker process, say) shares
    the locked open file. If it kept it, the lock would outlive the run while
    the child lives: a run killed with its workers still running would leave
    the folder locked. Closing the child's copy does not unlock the parent's.
    Processes started otherwise (spawn, subprocess) never get the descriptor:
    it is not inheritable.
    """
    for fd in list(_held):
        with contextlib.suppress(OSError):
            os.close(fd)
    _held.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_locks_in_child)


def _busy(root: Path) -> WorkspaceError:
    return WorkspaceError(
        f"Một lệnh khác đang chạy trong thư mục {root}. Hãy đợi lệnh đó xong rồi chạy lại. "
        "Nếu không thấy lệnh nào đang chạy, hãy đóng các cửa sổ dòng lệnh khác rồi chạy lại."
    )


def _acquire(lock: Path, root: Path) -> int:
    # A run that finishes removes the file; one that opened it just before
    # then holds a lock on a file no longer there, and tries again.
    for _ in range(20):
        try:
            fd = os.open(lock, os.O_CREAT | os.O_RDWR, 0o666)
        except OSError as err:
            raise WorkspaceError(
                f"Không tạo được tệp khóa {lock}: {err.strerror}. Hãy kiểm tra quyền ghi vào "
                f"thư mục {root}."
            ) from err
        if not _try_lock(fd):
            os.close(fd)
            raise _busy(root)
        if _same_file(fd, lock):
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
                os.lseek(fd, 0, os.SEEK_SET)
                os.write(fd, str(os.getpid()).encode())
            return fd
        _unlock(fd)
        os.close(fd)
    raise _busy(root)


def _release(lock: Path, fd: int) -> None:
    if not WINDOWS:
        # Removed while still held: a run starting now makes a new file.
        with contextlib.suppress(OSError):
            if _same_file(fd, lock):
                lock.unlink()
    with contextlib.suppress(OSError):
        _unlock(fd)
    os.close(fd)
    if WINDOWS:  # an open file cannot be removed there
        with contextlib.suppress(OSError):
            lock.unlink()


def _same_file(fd: int, path: Path) -> bool:
    try:
        mine, named = os.fstat(fd), os.stat(path)
    except OSError:
        return False
    return (mine.st_dev, mine.st_ino) == (named.st_dev, named.st_ino)


_set_file_attributes: Callable[[str, int], object] | None = None

if sys.platform == "win32":  # as WINDOWS; spelt out for mypy, which checks one platform
    import ctypes
    import msvcrt

    _set_file_attributes = ctypes.windll.kernel32.SetFileAttributesW

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        # flock, not lockf: a second open of the file conflicts even in the same process.
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)
