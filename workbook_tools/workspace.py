"""The working folder: ``templates/`` (the plan), ``inbox/``, ``outbox/``.

Like git, every command works from the current folder by default. This module
also owns the ways files are written: whole or not at all (:func:`write_atomic`),
several replaced together or not at all (:func:`write_together`, the report's
pair), and one run at a time (:func:`run_lock`, which also puts back what a run
killed inside :func:`write_together` left half done).

The parts that differ on Windows (the lock's backend, the hidden attribute of a
temporary) are chosen once, when the module is loaded, by :data:`WINDOWS`; the
tests load a second copy of the module as Windows would, over stand-ins.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import sys
import tempfile
from collections.abc import Callable, Collection, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from workbook_tools.errors import OutputError, WorkspaceError
from workbook_tools.template_guide import OFFICER_TEMPLATE

WINDOWS = sys.platform == "win32"

TEMPLATES = "templates"
INBOX = "inbox"
OUTBOX = "outbox"
LEDGER = ".wbt-ledger.sqlite3"
LOCK = ".wbt.lock"
#: The officer's Word report template, in ``templates/`` (``wbt merge`` uses it if there).
REPORT_TEMPLATE = OFFICER_TEMPLATE


@dataclass(frozen=True)
class Workspace:
    root: Path

    @property
    def templates(self) -> Path:
        return self.root / TEMPLATES

    @property
    def report_template(self) -> Path:
        """The officer's Word report template: ``templates/mau_bao_cao.docx``."""
        return self.templates / REPORT_TEMPLATE

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


def write_atomic(path: Path, data: bytes, *, what: str = "tệp") -> None:
    """Write ``data`` to ``path`` whole or not at all.

    The bytes go to a temporary file in the same folder (``.<name>.XXXXXXXX.tmp``,
    hidden: by its leading dot, and on Windows by the hidden attribute),
    flushed to disk, then renamed over ``path``: an interrupted run leaves the
    old file intact. The temporaries of ``path`` that a killed run left are
    removed first when this process holds the run lock of a folder ``path`` is
    in (:func:`run_lock`; without it another run may be writing ``path``).
    Whatever fails (the folder cannot be made, no permission, a full or
    read-only disk, a target open in Excel) raises :class:`OutputError` whose
    message names ``path`` (called ``what``: "tệp", "bản phản hồi"…) and says
    what to do (:func:`write_failure`).
    """
    try:
        make_folder(path.parent)
        if _holds_lock_over(path):
            remove_stale_temporaries(path)
        write_file(path, data)
    except OSError as err:
        text = write_failure(path, err, what=what)
        if _exists(path):
            kept = f"{what} cũ vẫn được giữ nguyên"
            text += f"; {kept}." if text.endswith(CLOSE_IT) else f". {kept.capitalize()}."
        else:
            text += "."
        raise OutputError(text) from err


def make_folder(folder: Path) -> None:
    """``folder`` and the folders above it, as needed (:class:`OSError` if it cannot be)."""
    folder.mkdir(parents=True, exist_ok=True)


class ReplaceError(OSError):
    """The last step of :func:`write_file` failed: renaming the whole new file over the target."""


def write_file(path: Path, data: bytes, *, hidden: bool = False) -> None:
    """The steps of :func:`write_atomic` without its messages: :class:`OSError` as it comes
    (:class:`ReplaceError` from the rename), the temporary removed. ``hidden``: the file
    written keeps the temporary's hidden attribute on Windows (a leading dot hides it
    elsewhere)."""
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
        if not hidden:
            _set_hidden(tmp_name, False)  # the renamed file keeps its attributes
        try:
            os.replace(tmp, path)
        except OSError as err:
            raise ReplaceError(err.errno, err.strerror, str(path)) from err
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


#: The advice that ends the message of a target open in a spreadsheet program.
CLOSE_IT = "Hãy đóng tệp rồi chạy lại lệnh"
_LOCKED = (errno.EACCES, errno.EPERM, errno.EBUSY, errno.ETXTBSY)
_FULL = (errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC))


def write_failure(path: Path, err: OSError, *, what: str = "tệp") -> str:
    """Why ``path`` could not be written and what to do, for the officer (no final stop).

    ``Không ghi được tệp X: <why>. <what to do>``. A failed rename
    (:class:`ReplaceError`) of a file that exists is a file open in Excel (locked on
    Windows) or read-only; anything else is about the folder or the disk.
    """
    head = f"Không ghi được {what} {path}"
    folder = path.parent
    if err.errno in _FULL:
        return f"{head}: ổ đĩa đã đầy. Hãy giải phóng dung lượng trên ổ đĩa rồi chạy lại lệnh"
    if err.errno == errno.EROFS:
        return (
            f"{head}: ổ đĩa hoặc thư mục {folder} chỉ cho đọc. Hãy chép thư mục làm việc "
            "sang ổ đĩa ghi được (hoặc bỏ chế độ chỉ đọc) rồi chạy lại lệnh"
        )
    blocking = _file_in_the_way(folder)
    if blocking is not None:
        return (
            f"{head}: {blocking} là một tệp, không phải thư mục. Hãy đổi tên hoặc chuyển tệp "
            "đó đi rồi chạy lại lệnh"
        )
    if _is_dir(path):
        return (
            f"{head}: đã có một thư mục cùng tên. Hãy đổi tên hoặc chuyển thư mục đó đi "
            "rồi chạy lại lệnh"
        )
    if err.errno in _LOCKED:
        if isinstance(err, ReplaceError) and _exists(path):
            return f"{head}: tệp đang mở trong Excel hoặc chỉ được đọc. {CLOSE_IT}"
        return (
            f"{head}: không có quyền ghi vào thư mục {folder}. Hãy kiểm tra quyền ghi của "
            "thư mục (chuột phải vào thư mục → Properties → Security), hoặc dùng --dir để "
            "chọn thư mục làm việc khác, rồi chạy lại lệnh"
        )
    reason = err.strerror or str(err)
    return (
        f"{head}: {reason}. Hãy kiểm tra thư mục {folder} và ổ đĩa (còn chỗ trống, ghi được) "
        "rồi chạy lại lệnh"
    )


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # cannot be looked at (no permission): said as not there
        return False


def _is_dir(path: Path) -> bool:
    try:
        return path.is_dir()
    except OSError:
        return False


def _file_in_the_way(folder: Path) -> Path | None:
    """The first of ``folder`` and the folders above it that is a file, if any."""
    for place in (folder, *folder.parents):
        try:
            if place.exists() and not place.is_dir():
                return place
        except OSError:
            return None
    return None


# --- files written together --------------------------------------------------------

#: The journal of a :func:`write_together` under way: ``.<first stem>.pending``.
PENDING_SUFFIX = ".pending"
#: The old content of a file being replaced by :func:`write_together`:
#: ``.<stem>.old<suffix>`` (``.BaoCao_TongHop_6T-2024.old.xlsx``).
BACKUP_MARK = ".old"
_NUMBERS = {2: "hai", 3: "ba"}


def backup_path(path: Path) -> Path:
    """Where :func:`write_together` keeps the old ``path`` until the new files are all in place."""
    return path.with_name(f".{path.stem}{BACKUP_MARK}{path.suffix}")


def pending_path(first: Path) -> Path:
    """The journal of a :func:`write_together` whose first file is ``first``."""
    return first.with_name(f".{first.stem}{PENDING_SUFFIX}")


def write_together(
    files: Sequence[tuple[Path, bytes]], *, what: str = "tệp", hidden: Collection[Path] = ()
) -> None:
    """Replace ``files`` (paths in one folder, with their new bytes) all, or none of them.

    No file system renames two files at once, so: a journal (:func:`pending_path`,
    hidden) names the files first; each old file is copied to a hidden backup
    (:func:`backup_path`); then each is replaced as by :func:`write_atomic`; removing
    the journal is the moment the new files count (the backups go next). If anything
    fails or stops the run on the way (Ctrl-C included), the files replaced are put
    back from their backups before the error goes on. A run killed on the way leaves
    the journal: the next command holding the run lock puts the old files back
    (:func:`finish_interrupted`). So the folder holds the old files or the new ones,
    never a mix, at the latest once the next command has started.

    Raises :class:`OutputError` saying which file failed, why, and what is on disk now:
    the old files all kept, or, if one could not be put back either (open in Excel on
    Windows), which files are new and which old, and where the old ones are kept.
    Only bytes already in memory are written, and putting back renames without needing
    disk space. Call it holding the run lock (:func:`run_lock`). The files in ``hidden``
    (named with a leading dot) also get Windows' hidden attribute, and the messages
    leave them out.
    """
    paths = [path for path, _ in files]
    shown = [path for path in paths if path not in hidden]  # the files messages name
    folder = paths[0].parent
    if any(path.parent != folder for path in paths):
        raise ValueError("write_together: the files must be in one folder")
    current = paths[0]
    journal = pending_path(paths[0])
    replaced: list[Path] = []
    started = False
    try:
        make_folder(folder)
        for path in paths:
            with contextlib.suppress(OSError):  # left by a run killed once it was done
                backup_path(path).unlink()
        _remove_temporaries(journal, paths)
        existed = {path.name: path.is_file() for path in paths}
        entries = [{"name": name, "existed": was} for name, was in existed.items()]
        write_file(journal, json.dumps({"files": entries}).encode(), hidden=True)
        started = True
        for path in paths:
            if existed[path.name]:
                current = path
                write_file(backup_path(path), path.read_bytes(), hidden=True)
        for path, data in files:
            current = path
            write_file(path, data, hidden=path in hidden)
            replaced.append(path)
        current = paths[0]
        journal.unlink()  # the new files count from here
    except BaseException as stop:
        if not started:
            if isinstance(stop, OSError):
                cause = write_failure(current, stop, what=what)
                raise OutputError(_all_kept(cause, shown, current)) from stop
            raise
        failures = _put_back(journal)
        if not failures:
            if isinstance(stop, OSError):
                cause = write_failure(current, stop, what=what)
                raise OutputError(_all_kept(cause, shown, current)) from stop
            raise  # Ctrl-C: the old files are all there, as the command says
        if isinstance(stop, OSError):
            cause = write_failure(current, stop, what=what)
        else:
            cause = f"Lệnh bị dừng giữa chừng khi đang ghi {current}"
        raise OutputError(f"{cause}. {_mixed(shown, replaced, failures)}") from stop
    for path in paths:
        with contextlib.suppress(OSError):
            backup_path(path).unlink()


def _all_kept(cause: str, paths: Sequence[Path], failed: Path) -> str:
    """``cause``, and that no file changed: which old files are there as they were."""
    others = [p for p in paths if p != failed and _exists(p)]
    shown = ", ".join(str(p) for p in others)
    if not _exists(failed):
        return f"{cause}. {shown} vẫn được giữ như cũ." if others else f"{cause}."
    kept = "tệp cũ vẫn được giữ nguyên"
    text = f"{cause}; {kept}" if cause.endswith(CLOSE_IT) else f"{cause}. {kept.capitalize()}"
    if not others:
        return f"{text}."
    count = _NUMBERS.get(len(paths), str(len(paths)))
    return f"{text}; {shown} cũng được giữ như cũ: cả {count} tệp vẫn khớp nhau."


def _mixed(
    paths: Sequence[Path], replaced: Sequence[Path], failures: Sequence[tuple[Path, OSError]]
) -> str:
    """What is on disk after files replaced could not all be put back."""
    stuck = {path for path, _ in failures}
    states = []
    for path in paths:
        if path in replaced and path in stuck:
            states.append(f"{path} đã là bản mới")
        elif path.is_file():
            states.append(f"{path} vẫn là bản cũ")
        else:
            states.append(f"{path} chưa có")
    why = "; ".join(f"{path} ({_reason(err)})" for path, err in failures)
    kept = [backup_path(path) for path in stuck if backup_path(path).is_file()]
    where = f" Bản cũ được giữ trong tệp ẩn {', '.join(map(str, kept))}." if kept else ""
    return (
        f"Cũng không đặt lại được bản cũ của {why}. Hiện {', '.join(states)}: các tệp "
        f"không khớp nhau, đừng dùng chúng.{where} Lệnh wbt tiếp theo chạy trong thư mục "
        "làm việc sẽ tự đặt lại các tệp cũ; hãy đóng các tệp đang mở rồi chạy lại lệnh."
    )


def _reason(err: OSError) -> str:
    if err.errno in _LOCKED:
        return "tệp đang mở trong Excel hoặc chỉ được đọc"
    if err.errno in _FULL:
        return "ổ đĩa đã đầy"
    return err.strerror or str(err)


def finish_interrupted(folder: Path) -> list[tuple[Path, OSError]]:
    """Put back the old files of every :func:`write_together` in ``folder`` that a run
    stopped before its end (its journal is there). Returns the files that could not
    be put back (open in Excel on Windows, say), each with why; their journal stays.
    Call it holding the run lock.
    """
    failures: list[tuple[Path, OSError]] = []
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return failures
    for entry in entries:
        if entry.name.startswith(".") and entry.name.endswith(PENDING_SUFFIX):
            failures += _put_back(Path(entry.path))
    return failures


def _put_back(journal: Path) -> list[tuple[Path, OSError]]:
    """Undo the :func:`write_together` of ``journal``: each file back to its old content
    (from its backup, or removed if it had none); then the journal removed."""
    folder = journal.parent
    try:
        entries = json.loads(journal.read_bytes())["files"]
        names = [(str(e["name"]), bool(e["existed"])) for e in entries]
    except (OSError, ValueError, KeyError, TypeError):
        names = None
    if names is None or any(Path(n).name != n or n in ("", ".", "..") for n, _ in names):
        # Not one we wrote whole (it is written by a rename): nothing to go by.
        with contextlib.suppress(OSError):
            journal.unlink()
        return []
    failures: list[tuple[Path, OSError]] = []
    for name, existed in reversed(names):
        target, backup = folder / name, backup_path(folder / name)
        try:
            if backup.is_file():
                if target.is_file() and target.read_bytes() == backup.read_bytes():
                    backup.unlink()  # not replaced yet
                else:
                    _set_hidden(str(backup), False)
                    os.replace(backup, target)
            elif not existed and target.is_file():
                target.unlink()  # new: there was none before
        except OSError as err:
            failures.append((target, err))
    # The new contents, the backups and the journal a killed run had not renamed yet.
    _remove_temporaries(journal, [folder / name for name, _ in names])
    if not failures:
        with contextlib.suppress(OSError):
            journal.unlink()
    return failures


def _remove_temporaries(journal: Path, paths: Sequence[Path]) -> None:
    """The temporaries of a :func:`write_together` (of its files, their backups, its
    journal) left by a killed run; only under the run lock, as for :func:`write_atomic`."""
    if _holds_lock_over(journal):
        for path in (journal, *paths, *map(backup_path, paths)):
            remove_stale_temporaries(path)


def _finish_interrupted_writes(root: Path) -> None:
    """At the start of a run: the interrupted :func:`write_together`'s of the outbox
    (its folder and the folders in it) put back, as far as they can be."""
    outbox = root / OUTBOX
    with contextlib.suppress(OSError):
        folders = [outbox, *(Path(e.path) for e in os.scandir(outbox) if e.is_dir())]
        for folder in folders:
            finish_interrupted(folder)


def lock_files(path: Path) -> list[Path]:
    """The files a spreadsheet program keeps next to ``path`` while it has it open.

    Excel and WPS: ``~$name`` (Excel drops the first two letters of a long name);
    LibreOffice: ``.~lock.name#``.
    """
    names = {f"~${path.name}", f"~${path.name[2:]}", f".~lock.{path.name}#"}
    found = []
    for name in names:
        with contextlib.suppress(OSError):  # a folder that cannot be looked into: none
            if (path.parent / name).exists():
                found.append(path.parent / name)
    return sorted(found)


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
        _finish_interrupted_writes(root)
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
