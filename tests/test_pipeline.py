"""The pipeline as a whole: the same summary however processes start, and no process
of a killed run left behind.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from tests.inbox_forms import (
    NOW,
    ON_TIME,
    PERIOD,
    VILLAGE,
    filled,
    mixed_inbox,
    put,
    sample_period,
    sample_plan,
)
from tests.processes import LISTED, busy_inbox, still_alive, workers_of
from workbook_tools import workers
from workbook_tools.cli import cli
from workbook_tools.consolidation import consolidate
from workbook_tools.pipeline import read_and_check
from workbook_tools.report.summary import build_summary


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mixed_inbox(tmp_path_factory.mktemp("pipeline") / "inbox")


def summary_of(box: Path, ledger: Path, count: int) -> dict[str, object]:
    plan = sample_plan()
    result = read_and_check(plan, sample_period(), box, ledger, now=NOW, workers=count)
    return build_summary(consolidate(plan, PERIOD, result, generated_at=NOW))


def test_a_merge_with_spawned_workers_gives_the_default_summary(
    inbox: Path, tmp_path: Path
) -> None:
    default = summary_of(inbox, tmp_path / "default.sqlite3", workers.worker_count(7))
    with pytest.MonkeyPatch.context() as patch:  # as on Windows: no fork at all
        before = multiprocessing.get_start_method(allow_none=True)
        multiprocessing.set_start_method("spawn", force=True)
        patch.setattr(os, "fork", _no_fork)
        try:
            spawned = summary_of(inbox, tmp_path / "spawned.sqlite3", 2)
        finally:
            multiprocessing.set_start_method(before, force=True)
    assert spawned == default
    # The comparison covers what a merge is about.
    files = {s["file"]: s["status"] for s in default["submissions"]}  # type: ignore[index, union-attr]
    assert files["zalo/T05.xlsx"] == "superseded" and files["ghi chu.xlsx"] == "rejected"
    assert files["T04 nam.xlsx"] == "other_period"
    assert len(default["indicators"]) > 5  # type: ignore[arg-type]


def _no_fork() -> int:
    raise AssertionError("a process was forked")


# --- a merge killed while its workers read ----------------------------------------------


@pytest.mark.skipif(not LISTED, reason="lists processes from /proc")
def test_a_killed_merge_leaves_no_process_and_no_lock(tmp_path: Path) -> None:
    root = tmp_path / "xa"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    busy_inbox(root / "inbox")

    wbt = [sys.executable, "-m", "workbook_tools"]
    merge = subprocess.Popen(
        [*wbt, "merge", "--period", PERIOD, "--dir", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        started = workers_of(merge)  # killed once its workers are reading
        merge.send_signal(signal.SIGKILL)
        merge.wait(10)
    finally:
        if merge.poll() is None:
            merge.kill()
            merge.wait()

    assert not (root / "outbox" / PERIOD).exists(), "killed too late: the report was written"
    assert not still_alive(started), "processes of the killed run still run"

    status = subprocess.run(
        [*wbt, "status", "--period", PERIOD, "--dir", str(root)],
        capture_output=True,
        timeout=120,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    out = status.stdout.decode("utf-8") + status.stderr.decode("utf-8")
    assert status.returncode == 0, out
    assert "Một lệnh khác đang chạy" not in out
    assert "Đã nộp 1/22" in out


def test_the_summary_of_a_merge_names_its_files_composed(tmp_path: Path) -> None:
    """A name stored decomposed (as a Mac or an archive leaves it) reads as typed."""
    root = tmp_path / "xa"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    decomposed = "Tho\u0302n 1.xlsx"  # "Thôn 1.xlsx" with the circumflex apart
    put(root / "inbox", decomposed, filled("T01", VILLAGE), ON_TIME)
    result = CliRunner().invoke(cli, ["merge", "--period", PERIOD, "--dir", str(root)])
    assert result.exit_code == 0, result.output
    summary = json.loads(
        (root / "outbox" / PERIOD / f"tong_hop_{PERIOD}.json").read_text(encoding="utf-8")
    )
    assert [s["file"] for s in summary["submissions"]] == ["Thôn 1.xlsx"]
    assert (root / "inbox" / decomposed).exists()  # the inbox is left as it was


# --- the period, resolved once ---------------------------------------------------------


def test_a_period_is_found_whatever_its_case_and_spaces(tmp_path: Path) -> None:
    root = tmp_path / "xa"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    put(root / "inbox", "T01.xlsx", filled("T01", VILLAGE), ON_TIME)
    status = runner.invoke(cli, ["status", "--period", " 6t-2024 ", "--dir", str(root)])
    assert status.exit_code == 0, status.output
    assert "Đã nộp 1/22" in status.output
    merge = runner.invoke(cli, ["merge", "--period", "6t-2024", "--dir", str(root)])
    assert merge.exit_code == 0, merge.output
    assert (root / "outbox" / "6T-2024" / "tong_hop_6T-2024.json").is_file()


def test_a_wrong_period_is_refused_before_any_file_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "xa"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    put(root / "inbox", "T01.xlsx", filled("T01", VILLAGE), ON_TIME)

    def no_reading(*args: object, **kwargs: object) -> object:
        raise AssertionError("a file was read")

    monkeypatch.setattr("workbook_tools.pipeline.named_files", no_reading)
    monkeypatch.setattr("workbook_tools.pipeline.has_files", no_reading)
    said = set()
    for command in ("status", "check", "merge", "generate"):
        result = runner.invoke(cli, [command, "--period", "6T-2052", "--dir", str(root)])
        assert result.exit_code == 1, result.output
        said.add(result.output)
    (message,) = said  # every command says it the same way
    assert message == (
        "Lỗi: Kỳ báo cáo '6T-2052' không có trong kế hoạch. Có phải ý bạn là '6T-2024'? "
        "Các kỳ có trong kế hoạch: 6T-2024, CN-2024.\n"
    )
    assert not (root / ".wbt-ledger.sqlite3").exists()
    assert not (root / "outbox" / "6T-2052").exists()


def test_a_decomposed_name_gets_its_feedback_copy(tmp_path: Path) -> None:
    root = tmp_path / "xa"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    decomposed = "Tho\u0302n 1.xlsx"
    put(root / "inbox", decomposed, filled("T01", {**VILLAGE, "tt_loa": "nhiều"}), ON_TIME)
    result = CliRunner().invoke(cli, ["check", "--period", PERIOD, "--dir", str(root)])
    assert result.exit_code == 0, result.output
    copies = sorted((root / "outbox" / PERIOD / "phan_hoi").iterdir())
    assert [p.name for p in copies] == ["Thôn 1_phan_hoi.xlsx"]
    assert "Thôn 1" in result.output and "Tho\u0302n" not in result.output
    # The form itself, its wrong cell marked, not only the list of what to correct.
    sheets = openpyxl.load_workbook(copies[0]).sheetnames
    assert "Báo cáo" in sheets and "Cần sửa" in sheets, sheets
