"""The test session's switches.

``WBT_TEST_SPAWN=1`` runs the suite as Windows starts processes (``.ci/run`` runs it
so): every process is started by ``spawn`` (a new interpreter that imports what it
needs), never forked. For the whole session:

- ``multiprocessing``'s start method is ``spawn``;
- ``os.fork`` raises :class:`ForkForbidden`, and a test in which anything called it
  fails, even if the caller caught the error and went on another way;
- ``WBT_START_METHOD=spawn`` is in the environment, so the ``wbt`` processes the tests
  start (``python -m workbook_tools``, the console script) set the same start method
  in their ``main()``.

A test about forking itself is skipped there (:data:`SPAWN_ONLY`).
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.demo_folders import copy_of
from tests.mail_servers import (  # noqa: F401 (the mail tests' fixtures: real servers)
    DOVECOT_FIXTURES,
    dovecot,
    imap_server,
    mail_certificate,
    smtp_server,
    smtp_servers,
    smtps_server,
)
from tests.platforms import WINDOWS

SPAWN_ONLY = os.environ.get("WBT_TEST_SPAWN") == "1"

#: For tests that fork on purpose.
needs_fork = pytest.mark.skipif(
    SPAWN_ONLY or not hasattr(os, "fork"), reason="forks a process (WBT_TEST_SPAWN=1: never)"
)


class ForkForbidden(RuntimeError):
    """os.fork was called in a session that starts processes as Windows does."""


_forks: list[str] = []
_session_patch = pytest.MonkeyPatch()


def _no_fork(*args: Any, **kwargs: Any) -> int:
    import traceback

    where = "".join(traceback.format_stack(limit=8)[:-1])
    _forks.append(where)
    raise ForkForbidden(f"os.fork under WBT_TEST_SPAWN=1 (Windows has no fork):\n{where}")


def pytest_configure(config: pytest.Config) -> None:
    if not SPAWN_ONLY:
        return
    multiprocessing.set_start_method("spawn", force=True)
    _session_patch.setenv("WBT_START_METHOD", "spawn")
    if hasattr(os, "fork"):
        _session_patch.setattr(os, "fork", _no_fork)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test of the real IMAP server is marked posix_only: Dovecot runs on POSIX only."""
    for item in items:
        if DOVECOT_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.posix_only)
            if WINDOWS:
                item.add_marker(pytest.mark.skip(reason="Dovecot runs on POSIX systems only"))


def pytest_unconfigure(config: pytest.Config) -> None:
    _session_patch.undo()


def pytest_report_header(config: pytest.Config) -> str | None:
    if SPAWN_ONLY:
        return "WBT_TEST_SPAWN=1: processes start by spawn; os.fork raises"
    return None


@pytest.fixture(autouse=True)
def _no_fork_happened() -> Iterator[None]:
    """Under WBT_TEST_SPAWN=1, a test in which os.fork was called fails."""
    yield
    if _forks:
        where = _forks[0]
        _forks.clear()
        pytest.fail(f"os.fork was called (WBT_TEST_SPAWN=1):\n{where}", pytrace=False)


@pytest.fixture
def root(base: Path, tmp_path: Path) -> Path:
    """A fresh copy of the module's ``base`` working folder (tests/demo_folders.py)."""
    return copy_of(base, tmp_path)
