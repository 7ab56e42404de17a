"""The officer's data survives: killed runs, two runs at once, files open in Excel, a bad ledger.

The merges here are real ``wbt merge`` processes (``python -m workbook_tools``)
over the demo's working folder (with copies of its files in subfolders for the
runs that are killed), killed with SIGKILL at moments spread over a run.
After every kill the previous report is intact or a complete new one is there,
the next run removes what the killed one left and succeeds, and the inbox has
not changed by a byte or a time.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tests.demo_folders import demo_folder
from tests.inbox_forms import snapshot
from workbook_tools import demo
from workbook_tools.cli import cli
from workbook_tools.report.feedback import FEEDBACK_FOLDER
from workbook_tools.workspace import LEDGER, run_lock

PERIOD = demo.load_scenario().period
REPORT = f"outbox/{PERIOD}/BaoCao_TongHop_{PERIOD}.xlsx"
SUMMARY = f"outbox/{PERIOD}/tong_hop_{PERIOD}.json"
LOCKED = "Một lệnh khác đang chạy"
#: What write_atomic leaves behind when killed: ``.<name>.XXXXXXXX.tmp``.
TEMPORARY = re.compile(r"\..+\.[a-z0-9_]{8}\.tmp")
ROOT_OF_PROJECT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo's working folder: 21 returned files."""
    root = demo_folder(tmp_path_factory, "safety")
    return root


@pytest.fixture
def large_root(root: Path) -> Path:
    """The demo's folder with its inbox grown to 63 files: copies kept in subfolders."""
    originals = [p for p in (root / "inbox").iterdir() if p.is_file()]
    for copy in range(1, 3):
        folder = root / "inbox" / f"ban sao {copy}"
        folder.mkdir()
        for path in originals:
            shutil.copy2(path, folder / path.name)
    return root


def wbt_process(root: Path, *args: str, code: str | None = None) -> subprocess.Popen[str]:
    """``wbt merge`` (or ``args``) as the officer starts it: its own process."""
    command = [sys.executable]
    command += ["-c", code] if code else ["-m", "workbook_tools"]
    command += list(args) or ["merge", "--period", PERIOD, "--dir", str(root)]
    env = {**os.environ, "PYTHONPATH": str(ROOT_OF_PROJECT)}
    return subprocess.Popen(
        command,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def finish(process: subprocess.Popen[str]) -> tuple[int, str]:
    out, err = process.communicate(timeout=120)
    return process.returncode, out + err


def merged(root: Path) -> None:
    """A merge that runs to its end (in this process: the start-up of another costs 1.5 s)."""
    result = CliRunner().invoke(cli, ["merge", "--period", PERIOD, "--dir", str(root)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output


def temporaries(root: Path) -> list[str]:
    return sorted(p.name for p in (root / "outbox").rglob("*") if TEMPORARY.fullmatch(p.name))


def assert_report_whole(root: Path, previous: bytes | None) -> None:
    """The report is the previous one, byte for byte, or a complete new one; the JSON parses."""
    report = root / REPORT
    if previous is not None:
        assert report.is_file()
    if report.is_file() and report.read_bytes() != previous:
        book = load_workbook(report, read_only=True)
        assert "Tổng hợp" in book.sheetnames
        book.close()
    if (root / SUMMARY).is_file():
        summary = json.loads((root / SUMMARY).read_text("utf-8"))
        assert summary["period"] == PERIOD


def ledger_problems(root: Path) -> list[str]:
    summary = json.loads((root / SUMMARY).read_text("utf-8"))
    return [p["code"] for p in summary["problems"] if p["code"].startswith("inbox.ledger")]


# --- killed mid-run ----------------------------------------------------------------------


# Runs ``wbt merge`` (argv after the fractions) in forked children of one process
# that has already loaded the program, so that each run starts at once: first
# one to its end, to time it, then one killed at each fraction of that time.
# After each, it says how the child ended and waits for a line on stdin.
_KILLER = """
import os, signal, sys, time
from workbook_tools.cli import cli

def child(args):
    pid = os.fork()
    if pid == 0:
        quiet = os.open(os.devnull, os.O_WRONLY)  # this process's output is the test's
        os.dup2(quiet, 1)
        os.dup2(quiet, 2)
        try:
            cli.main(args, prog_name="wbt")
        except SystemExit as stop:
            os._exit(stop.code if isinstance(stop.code, int) else 1)
        os._exit(0)
    return pid

fractions, args = [float(f) for f in sys.argv[1].split(",")], sys.argv[2:]
started = time.perf_counter()
_, status = os.waitpid(child(args), 0)
duration = time.perf_counter() - started
print("done" if os.waitstatus_to_exitcode(status) == 0 else "failed", duration, flush=True)
for fraction in fractions:
    sys.stdin.readline()
    pid = child(args)
    time.sleep(duration * fraction)
    os.kill(pid, signal.SIGKILL)
    _, status = os.waitpid(pid, 0)
    print("killed" if os.waitstatus_to_exitcode(status) == -signal.SIGKILL else "done", flush=True)
"""


POSIX_ONLY = pytest.mark.skipif(
    not hasattr(os, "fork") or not hasattr(signal, "SIGKILL"), reason="needs fork and SIGKILL"
)


@POSIX_ONLY
def test_a_merge_killed_at_any_moment_leaves_the_report_whole(large_root: Path) -> None:
    root = large_root
    inbox = snapshot(root / "inbox")
    # Half of the kills spread over the reading, half over the last fifth of the
    # run, where the report is built and written.
    spread = [0.1, 0.25, 0.4, 0.55, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0]
    kills = len(spread)
    fractions = ",".join(map(str, spread))
    args = (fractions, "merge", "--period", PERIOD, "--dir", str(root))
    killer = wbt_process(root, *args, code=_KILLER)
    assert killer.stdin is not None and killer.stdout is not None
    first = killer.stdout.readline().split()
    assert first and first[0] == "done", first
    ends = []
    for _ in range(kills):
        previous = (root / REPORT).read_bytes()
        killer.stdin.write("\n")
        killer.stdin.flush()
        ends.append(killer.stdout.readline().strip())
        assert_report_whole(root, previous)
    assert finish(killer)[0] == 0
    assert ends.count("killed") >= 3, ends  # stopped mid-run, not after their end
    merged(root)
    assert temporaries(root) == []
    assert ledger_problems(root) == []  # the ledger survived every kill
    assert_report_whole(root, None)
    assert snapshot(root / "inbox") == inbox


# Kills the process at a chosen step of writing the report: inside write_atomic,
# after the temporary is complete (fsync) or just before the rename.
_DIE_AT = """
import os, signal, sys
from pathlib import Path
step, target = sys.argv[1], sys.argv[2]
real_fsync, real_replace = os.fsync, os.replace

def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)

def fsync(fd):
    if step == "fsync" and os.readlink(f"/proc/self/fd/{fd}").endswith(".tmp") and target in (
        os.readlink(f"/proc/self/fd/{fd}")
    ):
        die()
    return real_fsync(fd)

def replace(src, dst):
    if step == "replace" and Path(dst).name == target:
        die()
    return real_replace(src, dst)

os.fsync, os.replace = fsync, replace
from workbook_tools.cli import cli
cli(sys.argv[3:])
"""


@POSIX_ONLY
@pytest.mark.parametrize(
    ("step", "target"),
    [
        ("fsync", Path(REPORT).name),  # the workbook's temporary written, not renamed
        ("replace", Path(REPORT).name),
        ("replace", Path(SUMMARY).name),  # new workbook, old JSON: each whole
    ],
)
def test_a_merge_killed_while_writing_keeps_the_old_files_and_the_next_run_cleans_up(
    root: Path, step: str, target: str
) -> None:
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("needs /proc to see which file is being written")
    merged(root)
    before = {name: (root / name).read_bytes() for name in (REPORT, SUMMARY)}
    args = ("merge", "--period", PERIOD, "--dir", str(root))
    code, output = finish(wbt_process(root, step, target, *args, code=_DIE_AT))
    assert code == -signal.SIGKILL, output
    left = temporaries(root)
    assert len(left) == 1 and left[0].startswith(f".{target}."), left
    # The workbook is written first, then the JSON: killed on the JSON, the
    # workbook is already the new one, whole.
    assert (root / SUMMARY).read_bytes() == before[SUMMARY]
    if target == Path(REPORT).name:
        assert (root / REPORT).read_bytes() == before[REPORT]
    assert_report_whole(root, before[REPORT])
    merged(root)
    assert temporaries(root) == []


def test_only_our_own_temporaries_are_removed(root: Path) -> None:
    merged(root)
    report = root / REPORT
    ours = report.with_name(f".{report.name}.k1ll3d_x.tmp")
    others = [
        report.with_name(f".{report.name}.NOT-OURS.tmp"),  # not the shape mkstemp makes
        report.with_name(".other.xlsx.k1ll3d_x.tmp"),  # another file's: not written by merge
        root / "inbox" / f".{report.name}.k1ll3d_x.tmp",  # the inbox is never touched
    ]
    for path in [ours, *others]:
        path.write_bytes(b"left by a killed run")
    inbox = snapshot(root / "inbox")
    merged(root)
    assert not ours.exists()
    assert all(path.read_bytes() == b"left by a killed run" for path in others)
    assert snapshot(root / "inbox") == inbox


# --- two runs at once ----------------------------------------------------------------------


def test_two_merges_started_together_never_corrupt_each_other(root: Path) -> None:
    inbox = snapshot(root / "inbox")
    first, second = wbt_process(root), wbt_process(root)
    outcomes = [finish(first), finish(second)]
    # Whichever took the lock first ran; the other ran after it or was refused.
    assert 0 in [code for code, _ in outcomes], outcomes
    for code, output in outcomes:
        assert "Traceback" not in output
        if code != 0:
            assert code == 1 and f"Lỗi: {LOCKED}" in output, output
    assert_report_whole(root, None)
    assert ledger_problems(root) == []
    assert snapshot(root / "inbox") == inbox
    assert temporaries(root) == []


def test_a_merge_while_another_command_runs_is_refused_with_a_message(root: Path) -> None:
    merged(root)
    before = (root / REPORT).read_bytes()
    with run_lock(root):  # another command holding the folder, in another process
        code, output = finish(wbt_process(root))
    assert code == 1
    assert f"Lỗi: {LOCKED} trong thư mục {root}" in output and "Traceback" not in output
    assert (root / REPORT).read_bytes() == before
    merged(root)  # the lock went with the command that held it


# --- files open in Excel --------------------------------------------------------------------


def test_a_summary_that_cannot_be_replaced_leaves_both_old_files(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    merged(root)
    before = {name: (root / name).read_bytes() for name in (REPORT, SUMMARY)}
    real_replace = os.replace

    def locked(src: str | Path, dst: str | Path) -> None:
        if Path(dst).name == Path(SUMMARY).name:  # open in a program that locks it (Windows)
            raise PermissionError(errno.EACCES, "Permission denied", str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", locked)
    result = CliRunner().invoke(cli, ["merge", "--period", PERIOD, "--dir", str(root)])
    monkeypatch.undo()
    assert result.exit_code == 1
    assert "đang mở trong Excel hoặc chỉ được đọc" in result.output
    assert "tệp cũ vẫn được giữ nguyên" in result.output and "Traceback" not in result.output
    # The workbook was written first, then put back: the pair stays consistent.
    assert {name: (root / name).read_bytes() for name in before} == before
    assert temporaries(root) == []


def test_a_feedback_copy_open_in_excel_is_left_alone_and_the_others_are_written(
    root: Path,
) -> None:
    runner = CliRunner()
    first = runner.invoke(cli, ["check", "--period", PERIOD, "--dir", str(root)])
    assert first.exit_code == 0, first.output
    folder = root / "outbox" / PERIOD / FEEDBACK_FOLDER
    copies = sorted(folder.rglob("*.xlsx"))
    assert len(copies) >= 2
    opened = copies[0]
    old = {path: path.read_bytes() for path in copies}
    lock = opened.with_name(f"~${opened.name}")
    lock.write_bytes(b"owner")
    for path in copies[1:]:
        path.unlink()
    result = runner.invoke(cli, ["check", "--period", PERIOD, "--dir", str(root)])
    assert result.exit_code == 1
    assert f"Bản phản hồi {opened} đang được mở" in result.output
    assert "bản cũ vẫn được giữ nguyên" in result.output and "Traceback" not in result.output
    assert opened.read_bytes() == old[opened]
    assert all(path.is_file() for path in copies[1:])  # the others were written again
    lock.unlink()
    again = runner.invoke(cli, ["check", "--period", PERIOD, "--dir", str(root)])
    assert again.exit_code == 0, again.output


# --- the ledger ----------------------------------------------------------------------------


def test_a_corrupt_ledger_is_set_aside_rebuilt_and_the_merge_completes(root: Path) -> None:
    merged(root)
    ledger = root / LEDGER
    noise = bytes((i * 131 + 7) % 256 for i in range(20_000))
    ledger.write_bytes(noise)
    merged(root)
    summary = json.loads((root / SUMMARY).read_text("utf-8"))
    (warning,) = [p for p in summary["problems"] if p["code"] == "inbox.ledger_corrupt"]
    assert warning["severity"] == "warning"
    (aside,) = root.glob(f"{LEDGER}.hong-*")
    assert aside.read_bytes() == noise and aside.name in warning["message"]
    with sqlite3.connect(ledger) as db:
        assert db.execute("PRAGMA quick_check").fetchone() == ("ok",)
        (count,) = db.execute("SELECT COUNT(*) FROM arrivals").fetchone()
    contents = {hashlib.sha256(p.read_bytes()).digest() for p in (root / "inbox").rglob("*.*")}
    assert count == len(contents)  # every content once: the copies share their original's
    assert summary["completeness"]["received"] > 0
    merged(root)
    assert ledger_problems(root) == []


def test_a_file_replaced_after_its_check_never_reaches_the_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An officer saves a newer copy while the run reads the inbox: what is parsed must be
    # the bytes that were checked, never the file read again.
    from tests.inbox_forms import NOW, ON_TIME, filled, put, sample_period, sample_plan
    from workbook_tools import safety
    from workbook_tools.pipeline import read_and_check

    box = tmp_path / "inbox"
    path = put(box, "t01.xlsx", filled("T01", {"tt_loa": 7}), ON_TIME)
    real_inspect = safety.inspect

    def inspect_then_replace(target: Path, **kwargs: object) -> safety.Inspection:
        seen = real_inspect(target, **kwargs)  # type: ignore[arg-type]
        target.write_bytes(b"PK\x03\x04 not the file that was checked")
        return seen

    monkeypatch.setattr(safety, "inspect", inspect_then_replace)
    result = read_and_check(sample_plan(), sample_period(), box, tmp_path / "l.sqlite3", now=NOW)
    assert path.read_bytes().startswith(b"PK\x03\x04 not")
    assert result.used()["T01"].values["tt_loa"] == 7
