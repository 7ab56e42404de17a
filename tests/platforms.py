"""Marks for tests that only some operating systems can run.

``posix_only`` marks a test (``pytest -m "not posix_only"`` leaves them out;
the marker is registered in pyproject.toml) and skips it on Windows, which has
no :mod:`resource` (address-space limits, peak resident memory), no signals
that kill a process, and no negative return codes for them.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TypeVar

import pytest

_Test = TypeVar("_Test", bound=Callable[..., object])

WINDOWS = sys.platform == "win32"


def posix_only(test: _Test) -> _Test:
    """Mark ``test`` as needing a POSIX system, and skip it on Windows."""
    marked = pytest.mark.posix_only(test)
    skipped: _Test = pytest.mark.skipif(WINDOWS, reason="needs a POSIX system (resource, signals)")(
        marked
    )
    return skipped
