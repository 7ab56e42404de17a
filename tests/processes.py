"""Watching a command's processes from outside, as the system lists them (/proc, Linux)."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from tests.inbox_forms import ON_TIME, VILLAGE, filled, put
from workbook_tools import workers

#: Whether processes can be listed here.
LISTED = Path("/proc/self/stat").exists()


def busy_inbox(inbox: Path) -> None:
    """Enough forms for worker processes whatever the start method, and to read for a while."""
    form = filled("T01", VILLAGE)
    for n in range(3 * workers.PARALLEL_MIN_SPAWNED):
        put(inbox, f"thon 1/ban {n:04d}.xlsx", form, ON_TIME)


def children() -> dict[int, list[int]]:
    """Every process's children."""
    out: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        out.setdefault(parent, []).append(int(entry))
    return out


def descendants(pid: int) -> set[int]:
    tree = children()
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in tree.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to collect it has ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def workers_of(command: subprocess.Popen[bytes], timeout: float = 60) -> set[int]:
    """The processes ``command`` has started, once there are at least two (its workers)."""
    deadline = time.monotonic() + timeout
    started: set[int] = set()
    while time.monotonic() < deadline and command.poll() is None:
        started = descendants(command.pid)
        if len(started) >= 2:
            break
        time.sleep(0.02)
    assert command.poll() is None, "the command ended before its workers were seen"
    assert len(started) >= 2, "no worker processes were started"
    return started


def still_alive(pids: set[int], within: float = 5) -> list[int]:
    """Those of ``pids`` still running after ``within`` seconds of waiting for them to end."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if alive(pid)]
