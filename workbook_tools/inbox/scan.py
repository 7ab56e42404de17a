"""Find the returned files: every file under ``inbox/``, subfolders too.

Only reads the folder. The order is sorted by path so that every run sees the
files in the same order and reports them the same way.
"""

from __future__ import annotations

import os
import unicodedata
from collections.abc import Iterator
from pathlib import Path

from workbook_tools.safety import should_skip_name


def scan_inbox(inbox: Path) -> list[Path]:
    """Every file under ``inbox``, sorted by relative path; lock and hidden files left out.

    Hidden folders are not entered and folder links are not followed (a link
    back up the tree would never end).
    """
    return [path for _, path in named_files(inbox)]


def named_files(inbox: Path) -> list[tuple[str, Path]]:
    """:func:`scan_inbox` with each file's name as the officer sees it in reports
    (relative to ``inbox``, with '/' separators, in Unicode's composed form:
    a name saved on a Mac or unpacked from an archive may come decomposed, and
    "Thôn" must read and sort as "Thôn" everywhere), sorted by it."""
    return sorted((unicodedata.normalize("NFC", name), Path(path)) for name, path in _walk(inbox))


def has_files(inbox: Path) -> bool:
    """Whether :func:`scan_inbox` would find anything (it stops at the first file)."""
    return next(_walk(inbox), None) is not None


def _walk(inbox: Path) -> Iterator[tuple[str, str]]:
    """(relative name, path) of each file, folder by folder; names built as strings,
    as a path object per file costs more than the rest of the scan."""
    root = os.fspath(inbox)
    for folder, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not should_skip_name(d))
        inner = os.path.relpath(folder, root)
        prefix = "" if inner == os.curdir else inner.replace(os.sep, "/") + "/"
        for name in files:
            if not should_skip_name(name):
                yield prefix + name, os.path.join(folder, name)
