"""Find the returned files: every file under ``inbox/``, subfolders too.

Only reads the folder. The order is sorted by path so that every run sees the
files in the same order and reports them the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

from workbook_tools.safety import should_skip


def scan_inbox(inbox: Path) -> list[Path]:
    """Every file under ``inbox``, sorted by relative path; lock and hidden files left out.

    Hidden folders are not entered and folder links are not followed (a link
    back up the tree would never end).
    """
    found: list[Path] = []
    for folder, dirs, files in os.walk(inbox, followlinks=False):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not should_skip(here / d))
        found.extend(here / name for name in files if not should_skip(here / name))
    return sorted(found, key=lambda p: relative_name(p, inbox))


def relative_name(path: Path, inbox: Path) -> str:
    """``path`` as the officer sees it in reports: relative to ``inbox``, with '/' separators."""
    try:
        return path.relative_to(inbox).as_posix()
    except ValueError:
        return path.as_posix()
