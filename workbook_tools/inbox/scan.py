"""Find the returned files: every file under ``inbox/``, subfolders too.

Only reads the folder. The order is sorted by path so that every run sees the
files in the same order and reports them the same way.

Nothing found is passed over in silence, except what is no return at all
(:func:`workbook_tools.safety.should_skip_name`: lock files, hidden files and
folders). Folder links are followed (``inbox/zalo`` linked to the Zalo
downloads folder), each real folder read once, so that a link back up the tree
ends; what cannot be opened (a folder without permission, a path too long, a
broken link) is listed like a file, and reading it says why
(:func:`workbook_tools.inbox.read.read_file` through the safety step).
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from workbook_tools.safety import should_skip_name

#: What each byte of a name that is not UTF-8 is shown as (as file managers do).
UNDECODABLE = "\N{REPLACEMENT CHARACTER}"


def scan_inbox(inbox: Path) -> list[Path]:
    """Every file under ``inbox``, sorted by relative path; lock and hidden files left out.

    Hidden folders are not entered. A folder that cannot be opened is listed
    itself, its name ending in '/'.
    """
    return [path for _, path in named_files(inbox)]


def named_files(inbox: Path) -> list[tuple[str, Path]]:
    """:func:`scan_inbox` with each file's name as the officer sees it in reports
    (relative to ``inbox``, with '/' separators, in Unicode's composed form:
    a name saved on a Mac or unpacked from an archive may come decomposed, and
    "Thôn" must read and sort as "Thôn" everywhere), sorted by it.

    A name that is not UTF-8 (unpacked from an archive made on Windows) is
    shown with :data:`UNDECODABLE` for each byte that is not: the path keeps
    the bytes, and only the path is used to open the file. Two such names
    that would show the same are told apart by the bytes' codes (``\\xf4``).
    """
    named = []
    for name, path in _walk(inbox):
        shown = name if printable(name) else _shown(name)
        named.append((unicodedata.normalize("NFC", shown), Path(path)))
    named.sort()
    return _told_apart(named)


def has_files(inbox: Path) -> bool:
    """Whether :func:`scan_inbox` would find anything (it stops at the first file)."""
    return next(_walk(inbox), None) is not None


def printable(name: str) -> bool:
    """Whether ``name`` can be written as UTF-8 (not a name kept as raw bytes) and
    holds no control character (a line break in a name would break every list)."""
    return not any(_hidden_char(c) for c in name)


def _hidden_char(c: str) -> bool:
    return "\ud800" <= c <= "\udfff" or unicodedata.category(c) == "Cc"


def _shown(name: str) -> str:
    """``name`` with every undecodable byte (a surrogate, :func:`os.fsdecode`) and
    every control character replaced."""
    return "".join(UNDECODABLE if _hidden_char(c) else c for c in name)


def _escaped(name: str) -> str:
    """``name`` with every undecodable byte and control character written as its code,
    as ``ls -b`` does."""
    return "".join(
        f"\\x{ord(c) - 0xDC00:02x}"
        if "\udc80" <= c <= "\udcff"
        else (f"\\x{ord(c):02x}" if _hidden_char(c) and ord(c) < 0x100 else c)
        for c in name
    ).encode("utf-8", "replace").decode("utf-8")


def _told_apart(named: list[tuple[str, Path]]) -> list[tuple[str, Path]]:
    """``named`` with every name unique: names shown alike get their bytes' codes."""
    if len({name for name, _ in named}) == len(named):
        return named
    seen: dict[str, int] = {}
    for name, _ in named:
        seen[name] = seen.get(name, 0) + 1
    out = []
    for name, path in named:
        if seen[name] > 1 and UNDECODABLE in name:
            inbox_part = Path(*path.parts[-len(Path(name.rstrip("/")).parts) :]).as_posix()
            name = _escaped(inbox_part) + ("/" if name.endswith("/") else "")
        out.append((name, path))
    out.sort()
    return out


def _walk(inbox: Path) -> Iterator[tuple[str, str]]:
    """(relative name, path) of each file, folder by folder; names built as strings,
    as a path object per file costs more than the rest of the scan.

    The inbox's own folders are read first, then those reached through a
    link, each real folder once (known by device and inode). A folder that
    cannot be opened is yielded itself, its name ending in '/' ("" for the
    inbox itself: "./").
    """
    root = os.fspath(inbox)
    seen: set[tuple[int, int]] = set()
    try:
        status = os.stat(root)
        seen.add((status.st_dev, status.st_ino))
    except OSError:
        pass
    own: list[tuple[str, str]] = [("", root)]  # (prefix, folder)
    linked: list[tuple[str, str]] = []
    while own or linked:
        prefix, folder = own.pop() if own else linked.pop()
        try:
            with os.scandir(folder) as found:
                entries = list(found)
        except OSError:
            yield prefix or "./", folder
            continue
        for entry in entries:
            name = entry.name
            if should_skip_name(name):
                continue
            if not _is_folder(entry):
                yield prefix + name, entry.path  # a broken link too: its reading says so
                continue
            try:
                status = entry.stat()  # of the folder linked to, for a link
            except OSError:  # its path too long, say
                yield prefix + name + "/", entry.path
                continue
            key = (status.st_dev, status.st_ino)
            if key in seen:  # already read, or a link back up the tree
                continue
            seen.add(key)
            inner = (prefix + name + "/", entry.path)
            (linked if entry.is_symlink() else own).append(inner)


def _is_folder(entry: os.DirEntry[str]) -> bool:
    try:
        return entry.is_dir()  # through a link too
    except OSError:
        return False
