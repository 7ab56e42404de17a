"""Ctrl-C: the command stops with one Vietnamese sentence, never a traceback, whenever it lands."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.inbox_forms import PERIOD, snapshot
from tests.platforms import posix_only
from tests.processes import LISTED, busy_inbox, still_alive, workers_of
from tests.test_cli_texts import parse_po
from workbook_tools import STOPPED
from workbook_tools.cli import LOCALE_DIR, cli

ROOT_OF_PROJECT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "PYTHONPATH": str(ROOT_OF_PROJECT), "PYTHONIOENCODING": "utf-8"}


def test_ctrl_c_while_the_command_loads_is_one_sentence() -> None:
    # The moment is made certain: the command line's modules raise KeyboardInterrupt
    # as they are imported, as a Ctrl-C pressed then would.
    code = (
        "import sys\n"
        "class CtrlC:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'workbook_tools.cli':\n"
        "            raise KeyboardInterrupt\n"
        "sys.meta_path.insert(0, CtrlC())\n"
        "sys.argv = ['wbt', 'status', '--period', '6T-2024']\n"
        "import workbook_tools\n"
        "workbook_tools.main()\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, env=ENV, timeout=60
    )
    err = run.stderr.decode("utf-8")
    assert run.returncode == 130
    assert STOPPED in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err


def test_click_says_the_same_sentence() -> None:
    """Once a command runs, click says it ("Aborted!" in its words, ours in the catalogue)."""
    catalogue = parse_po((LOCALE_DIR / "vi" / "LC_MESSAGES" / "wbt.po").read_text("utf-8"))
    assert catalogue["Aborted!"] == STOPPED


@posix_only
@pytest.mark.skipif(not LISTED, reason="lists processes from /proc")
def test_ctrl_c_while_the_workers_read(tmp_path: Path) -> None:
    root = tmp_path / "xa"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    busy_inbox(root / "inbox")
    before = snapshot(root / "inbox")
    merge = subprocess.Popen(
        [sys.executable, "-m", "workbook_tools", "merge", "--period", PERIOD, "--dir", str(root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=ENV,
        start_new_session=True,  # its own process group, as a terminal gives a command
    )
    try:
        started = workers_of(merge)
        os.killpg(merge.pid, signal.SIGINT)  # what Ctrl-C in the terminal does
        _, err_bytes = merge.communicate(timeout=60)
    finally:
        if merge.poll() is None:
            os.killpg(merge.pid, signal.SIGKILL)
            merge.wait()
    err = err_bytes.decode("utf-8")
    assert merge.returncode != 0
    assert STOPPED in err, err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert not (root / "outbox" / PERIOD).exists()
    assert not still_alive(started)
    assert snapshot(root / "inbox") == before
