"""Reading a large inbox in several processes gives what one process gives.

The same mixed inbox is read with one worker and with two; every submission,
problem record and ledger row must be the same, in the same order, also when
a worker process dies in the middle of the run.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import sqlite3
from pathlib import Path

import pytest

from tests.conftest import needs_fork
from tests.inbox_forms import (
    NOW,
    VILLAGE,
    mixed_inbox,
    sample_period,
    sample_plan,
    snapshot,
)
from workbook_tools import pipeline, workers
from workbook_tools.checks.validate import check_form
from workbook_tools.inbox.model import FileRead, InboxResult, SubmissionStatus
from workbook_tools.inbox.read import FileReader
from workbook_tools.pipeline import read_and_check


@pytest.fixture(scope="module")
def inbox(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return mixed_inbox(tmp_path_factory.mktemp("parallel") / "inbox")


def read_with(box: Path, ledger: Path, workers: int) -> InboxResult:
    return read_and_check(sample_plan(), sample_period(), box, ledger, now=NOW, workers=workers)


def ledger_rows(path: Path) -> list[tuple[str, str, str, str]]:
    query = "SELECT sha256, arrived, file, recorded FROM arrivals ORDER BY sha256"
    with contextlib.closing(sqlite3.connect(path)) as db:
        return db.execute(query).fetchall()


def test_two_workers_read_what_one_reads(inbox: Path, tmp_path: Path) -> None:
    before = snapshot(inbox)
    one = read_with(inbox, tmp_path / "one.sqlite3", workers=1)
    two = read_with(inbox, tmp_path / "two.sqlite3", workers=2)
    assert two == one
    assert ledger_rows(tmp_path / "two.sqlite3") == ledger_rows(tmp_path / "one.sqlite3")
    assert snapshot(inbox) == before
    # The inbox holds every case the comparison is meant to cover.
    statuses = {s.file: s.status for s in two.submissions}
    assert statuses["zalo/T05.xlsx"] is SubmissionStatus.SUPERSEDED
    assert {statuses["zalo/T05 (sửa).xlsx"], statuses["zalo/T05 (sửa) - Copy.xlsx"]} == {
        SubmissionStatus.USED,
        SubmissionStatus.DUPLICATE,
    }
    assert statuses["T04 nam.xlsx"] is SubmissionStatus.OTHER_PERIOD
    assert statuses["ghi chu.xlsx"] is SubmissionStatus.REJECTED
    assert two.used()["T02"].unusable == {"ld_tong", "ld_duoc_tt"}
    assert two.used()["T01"].values["tt_loa"] == VILLAGE["tt_loa"]


def _dies_on_t02(reader: FileReader, path: Path, name: str) -> FileRead:
    """A worker that is killed while reading T02 (as by the system, out of memory)."""
    if name == "T02.xlsx" and multiprocessing.parent_process() is not None:
        os._exit(3)
    return _real_worker(reader, path, name)


_real_worker = pipeline.read_one


def test_a_worker_dying_leaves_the_rest_read_here(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    one = read_with(inbox, tmp_path / "one.sqlite3", workers=1)
    monkeypatch.setattr(pipeline, "read_one", _dies_on_t02)
    two = read_with(inbox, tmp_path / "two.sqlite3", workers=2)
    assert two == one
    assert ledger_rows(tmp_path / "two.sqlite3") == ledger_rows(tmp_path / "one.sqlite3")


def test_workers_only_for_many_files() -> None:
    assert workers.worker_count(workers.PARALLEL_MIN - 1) == 1
    many = workers.worker_count(workers.PARALLEL_MIN_SPAWNED)
    assert 1 <= many <= min(workers.MAX_WORKERS, os.cpu_count() or 1)


def _check_fails_on_t02(*args: object, **kwargs: object) -> object:
    if kwargs.get("file") == "T02.xlsx":
        raise ZeroDivisionError("a value nobody foresaw")
    return _real_check(*args, **kwargs)  # type: ignore[arg-type]


_real_check = check_form


# A spawned worker imports the checks afresh: the failure is put in by patching this process.
@pytest.mark.parametrize("workers", [1, pytest.param(2, marks=needs_fork)])
def test_a_check_that_fails_rejects_that_form_only(
    inbox: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    # The forms are checked in the processes that read them: a failure there
    # must come back as the same record as a failure here.
    monkeypatch.setattr("workbook_tools.checks.check_form", _check_fails_on_t02)
    result = read_with(inbox, tmp_path / "ledger.sqlite3", workers=workers)
    statuses = {s.file: s.status for s in result.submissions}
    assert statuses["T02.xlsx"] is SubmissionStatus.REJECTED
    assert statuses["T01.xlsx"] is SubmissionStatus.USED
    assert result.used()["T01"].values["tt_loa"] == VILLAGE["tt_loa"]
    (failed,) = [
        p for p in result.problems if p.file == "T02.xlsx" and p.code == "inbox.unreadable"
    ]
    assert "kiểm tra số liệu" in failed.message and "ZeroDivisionError" in failed.message
