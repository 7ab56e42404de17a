"""The working folder: ``templates/`` (the plan), ``inbox/``, ``outbox/``.

Like git, every command works from the current folder by default. This module
also owns the two ways files are written: whole or not at all
(:func:`write_atomic`), and one run at a time (:func:`run_lock`).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from workbook_tools.errors import OutputError, WorkspaceError

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


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all.

    The bytes go to a temporary file in the same folder, flushed to disk, then
    renamed over ``path``: an interrupted run leaves the old file intact. A
    target that is open in Excel (locked on Windows) or read-only raises
    :class:`OutputError` with a message telling the officer to close it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    tmp = Path(tmp_name)
    try:
        # mkstemp makes the file private (0600); give it the usual permissions.
        os.chmod(tmp, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
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


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def run_lock(root: Path) -> Iterator[None]:
    """Hold the working folder's lock for one run; a second run at once is told to wait."""
    lock = root / LOCK
    try:
        fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        if _stale(lock):
            with contextlib.suppress(OSError):
                lock.unlink()
            fd = os.open(lock, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        else:
            raise WorkspaceError(
                f"Một lệnh khác đang chạy trong thư mục {root}. Hãy đợi lệnh đó xong rồi chạy "
                f"lại. Nếu chắc chắn không có lệnh nào đang chạy, hãy xóa tệp {lock}."
            ) from None
    try:
        os.write(fd, str(os.getpid()).encode())
        os.close(fd)
        yield
    finally:
        with contextlib.suppress(OSError):
            lock.unlink()


def _stale(lock: Path) -> bool:
    """A lock left by a process that no longer runs (killed mid-run)."""
    try:
        pid = int(lock.read_text().strip() or "0")
    except (OSError, ValueError):
        return False
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False
