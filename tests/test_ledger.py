"""The arrival ledger: first sight kept, crashes survived, corruption set aside."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime
from pathlib import Path

from workbook_tools import problems
from workbook_tools.inbox.arrival import taken_arrival
from workbook_tools.inbox.ledger import FILE, MAIL, MailArrival, open_ledger

NOW = datetime(2024, 6, 25, 9, 0)
SHA = "a" * 64


def rows(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as db:
        return list(db.execute("SELECT sha256, arrived, file FROM arrivals ORDER BY sha256"))


def test_first_sight_is_kept_over_later_times_and_names(tmp_path: Path) -> None:
    path = tmp_path / ".wbt-ledger.sqlite3"
    with open_ledger(path, now=NOW) as ledger:
        first = ledger.arrival(SHA, "T01.xlsx", datetime(2024, 6, 10, 14, 30), NOW)
        assert ledger.problems == []
    assert first == datetime(2024, 6, 10, 14, 30)
    # Copied later under another name: the copy has a newer modification time.
    with open_ledger(path, now=NOW) as ledger:
        again = ledger.arrival(SHA, "backup/T01 (1).xlsx", datetime(2024, 6, 20, 8, 0), NOW)
    assert again == first
    assert rows(path) == [(SHA, "2024-06-10T14:30:00", "T01.xlsx")]


def test_copies_first_seen_in_one_run_arrived_with_the_oldest(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    with open_ledger(path, now=NOW) as ledger:
        ledger.arrival(SHA, "backup/T01.xlsx", datetime(2024, 6, 20), NOW)
        assert ledger.arrival(SHA, "T01.xlsx", datetime(2024, 6, 10), NOW) == datetime(2024, 6, 10)
        assert ledger.arrival(SHA, "T01 (2).xlsx", datetime(2024, 6, 22), NOW) == datetime(
            2024, 6, 10
        )
    assert rows(path) == [(SHA, "2024-06-10T00:00:00", "T01.xlsx")]


def test_a_modification_time_in_the_future_is_taken_as_now(tmp_path: Path) -> None:
    with open_ledger(tmp_path / "l.sqlite3", now=NOW) as ledger:
        assert ledger.arrival(SHA, "x.xlsx", datetime(2031, 1, 1), NOW) == NOW


def test_a_run_that_fails_records_nothing(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    try:
        with open_ledger(path, now=NOW) as ledger:
            ledger.arrival(SHA, "x.xlsx", datetime(2024, 6, 1), NOW)
            raise RuntimeError("stopped mid-run")
    except RuntimeError:
        pass
    assert rows(path) == []


def test_a_process_killed_mid_run_leaves_a_sound_ledger(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    with open_ledger(path, now=NOW) as ledger:
        ledger.arrival("b" * 64, "kept.xlsx", datetime(2024, 6, 1), NOW)
    # Another process records an arrival and dies before committing: no
    # clean-up runs, the journal stays on disk.
    script = (
        "import os, sys\n"
        "from datetime import datetime\n"
        "from pathlib import Path\n"
        "from workbook_tools.inbox.ledger import FILE, MAIL, MailArrival, open_ledger\n"
        "ledger = open_ledger(Path(sys.argv[1]))\n"
        "ledger.arrival('c' * 64, 'lost.xlsx', datetime(2024, 6, 2), datetime(2024, 6, 25))\n"
        "os._exit(1)\n"
    )
    run = subprocess.run([sys.executable, "-c", script, str(path)], timeout=60)
    assert run.returncode == 1
    with open_ledger(path, now=NOW) as ledger:
        assert ledger.problems == []
        assert ledger.lookup("c" * 64) is None
        kept = ledger.lookup("b" * 64)
    assert kept is not None and kept.file == "kept.xlsx"


def test_a_corrupt_ledger_is_set_aside_and_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / ".wbt-ledger.sqlite3"
    path.write_bytes(b"this is not a database, someone saved a text here" * 100)
    with open_ledger(path, now=NOW) as ledger:
        arrived = ledger.arrival(SHA, "T01.xlsx", datetime(2024, 6, 10), NOW)
        warnings = list(ledger.problems)
    aside = tmp_path / ".wbt-ledger.sqlite3.hong-20240625-090000"
    assert aside.read_bytes().startswith(b"this is not a database")
    assert warnings == [
        problems.make(
            "inbox.ledger_corrupt",
            path=str(path),
            aside=aside.name,
            reason="file is not a database",
        )
    ]
    assert warnings[0].severity is problems.Severity.WARNING
    assert arrived == datetime(2024, 6, 10)
    assert rows(path) == [(SHA, "2024-06-10T00:00:00", "T01.xlsx")]


def test_a_damaged_page_is_found_and_a_second_corruption_gets_its_own_name(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".wbt-ledger.sqlite3"
    with open_ledger(path, now=NOW) as ledger:
        for n in range(300):
            ledger.arrival(f"{n:064d}", f"file-{n}.xlsx", datetime(2024, 6, 1), NOW)
    data = bytearray(path.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # the second page scribbled over
    path.write_bytes(bytes(data))
    (tmp_path / ".wbt-ledger.sqlite3.hong-20240625-090000").write_bytes(b"an older one")
    with open_ledger(path, now=NOW) as ledger:
        codes = [p.code for p in ledger.problems]
        assert ledger.lookup(f"{1:064d}") is None  # the memory is lost, nothing else
    assert codes == ["inbox.ledger_corrupt"]
    assert (tmp_path / ".wbt-ledger.sqlite3.hong-20240625-090000-2").exists()
    assert rows(path) == []


def test_an_unusable_ledger_is_kept_in_memory_for_the_run(tmp_path: Path) -> None:
    path = tmp_path / "ledger-is-a-folder"
    path.mkdir()
    with open_ledger(path, now=NOW) as ledger:
        first = ledger.arrival(SHA, "x.xlsx", datetime(2024, 6, 3), NOW)
        again = ledger.arrival(SHA, "y.xlsx", datetime(2024, 6, 9), NOW)
        found = list(ledger.problems)
    assert first == again == datetime(2024, 6, 3)
    assert [p.code for p in found] == ["inbox.ledger_unavailable"]
    assert found[0].message.startswith(f"Không dùng được sổ ghi thời điểm nhận bài {path} (")
    assert path.is_dir()


def _refuse_writes(path: Path) -> None:
    """A ledger the database itself refuses to add to (a trigger), as a failing disk would."""
    with open_ledger(path, now=NOW):
        pass  # the table
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TRIGGER refuse BEFORE INSERT ON arrivals "
            "BEGIN SELECT RAISE(ABORT, 'ghi không được'); END"
        )


def test_arrivals_that_cannot_be_written_are_a_warning_not_a_failure(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    _refuse_writes(path)
    with open_ledger(path, now=NOW) as ledger:
        arrived = ledger.arrival(SHA, "x.xlsx", datetime(2024, 6, 3), NOW)
    assert arrived == datetime(2024, 6, 3)
    assert [p.code for p in ledger.problems] == ["inbox.ledger_unavailable"]
    assert "ghi không được" in ledger.problems[0].message
    assert rows(path) == []


def test_a_row_edited_by_hand_is_seen_as_new_and_recorded_again(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    with open_ledger(path, now=NOW) as ledger:
        ledger.arrival(SHA, "x.xlsx", datetime(2024, 6, 3), NOW)
        ledger.arrival("b" * 64, "y.xlsx", datetime(2024, 6, 4), NOW)
    with sqlite3.connect(path) as db:
        db.execute("UPDATE arrivals SET arrived = 'hôm qua' WHERE sha256 = ?", (SHA,))
    with open_ledger(path, now=NOW) as ledger:
        assert ledger.arrival(SHA, "x.xlsx", datetime(2024, 6, 9), NOW) == datetime(2024, 6, 9)
        assert ledger.arrival("b" * 64, "y.xlsx", datetime(2024, 6, 9), NOW) == datetime(2024, 6, 4)
    assert rows(path) == [
        (SHA, "2024-06-09T00:00:00", "x.xlsx"),
        ("b" * 64, "2024-06-04T00:00:00", "y.xlsx"),
    ]


def first_rows(path: Path) -> list[tuple[str, str, str, str, str]]:
    with sqlite3.connect(path) as db:
        found = list(
            db.execute(
                "SELECT unit, period, arrived, file, sha256 FROM first_arrivals ORDER BY unit"
            )
        )
    db.close()
    return found


def test_a_units_first_arrival_stands_whatever_later_happens_to_its_files(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".wbt-ledger.sqlite3"
    on_time = datetime(2024, 6, 10, 14, 30)
    with open_ledger(path, now=NOW) as ledger:
        first = ledger.first_arrival("T01", "6T-2024", on_time, "T01.xlsx", SHA, NOW)
    assert (first.arrived, first.file, first.sha256) == (on_time, "T01.xlsx", SHA)
    # The file overwritten by a later correction under the same name: a later
    # arrival changes nothing; an earlier one (a file first seen now, with an
    # older time) is the first arrival.
    with open_ledger(path, now=NOW) as ledger:
        again = ledger.first_arrival("T01", "6T-2024", datetime(2024, 6, 18), "T01.xlsx", "b" * 64,
                                     NOW)
        other = ledger.first_arrival("T01", "CN-2024", datetime(2024, 12, 1), "T01 nam.xlsx",
                                     "c" * 64, NOW)
    assert again == first and other.period == "CN-2024"
    assert first_rows(path) == [
        ("T01", "6T-2024", on_time.astimezone().isoformat(), "T01.xlsx", SHA),
        ("T01", "CN-2024", datetime(2024, 12, 1).astimezone().isoformat(), "T01 nam.xlsx",
         "c" * 64),
    ]
    with open_ledger(path, now=NOW) as ledger:
        earlier = ledger.first_arrival("T01", "6T-2024", datetime(2024, 6, 1), "cu.xlsx",
                                       "d" * 64, NOW)
    assert (earlier.arrived, earlier.file) == (datetime(2024, 6, 1), "cu.xlsx")
    assert first_rows(path)[0][3] == "cu.xlsx"


def test_a_version_1_ledger_is_upgraded_in_place_with_its_rows(tmp_path: Path) -> None:
    path = tmp_path / ".wbt-ledger.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE arrivals (sha256 TEXT PRIMARY KEY, arrived TEXT NOT NULL, "
            "file TEXT NOT NULL, recorded TEXT NOT NULL)"
        )
        db.execute(
            "INSERT INTO arrivals VALUES (?, '2024-06-10T14:30:00', 'T01.xlsx', "
            "'2024-06-11T08:00:00')",
            (SHA,),
        )
        db.execute("PRAGMA user_version = 1")
    db.close()
    with open_ledger(path, now=NOW) as ledger:
        assert ledger.problems == []
        assert ledger.arrival(SHA, "T01.xlsx", datetime(2024, 6, 20), NOW) == datetime(
            2024, 6, 10, 14, 30
        )
        ledger.first_arrival("T01", "6T-2024", datetime(2024, 6, 10, 14, 30), "T01.xlsx", SHA, NOW)
    assert rows(path) == [(SHA, "2024-06-10T14:30:00", "T01.xlsx")]
    assert [r[0] for r in first_rows(path)] == ["T01"]
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (4,)
    db.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".wbt-ledger.sqlite3"]


def test_a_ledger_from_a_newer_wbt_is_left_untouched_and_the_run_uses_memory(
    tmp_path: Path,
) -> None:
    path = tmp_path / ".wbt-ledger.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE arrivals (sha256 TEXT PRIMARY KEY, seen_at INTEGER)")
        db.execute("PRAGMA user_version = 5")
    db.close()
    kept = path.read_bytes()
    with open_ledger(path, now=NOW) as ledger:
        arrived = ledger.arrival(SHA, "T01.xlsx", datetime(2024, 6, 10), NOW)
        found = list(ledger.problems)
    assert arrived == datetime(2024, 6, 10)
    assert found == [problems.make("inbox.ledger_newer", path=str(path), found=5, supported=4)]
    assert "bị hỏng" not in found[0].message and "cập nhật wbt" in found[0].message
    assert path.read_bytes() == kept
    assert sorted(p.name for p in tmp_path.iterdir()) == [".wbt-ledger.sqlite3"]


def test_a_version_2_ledger_is_upgraded_its_first_arrivals_from_the_files(tmp_path: Path) -> None:
    """Version 3 adds the mails, the corrections and the source of a first arrival: a
    version 2 ledger keeps its rows, their source the files' own time."""
    path = tmp_path / ".wbt-ledger.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE arrivals (sha256 TEXT PRIMARY KEY, arrived TEXT NOT NULL, "
            "file TEXT NOT NULL, recorded TEXT NOT NULL)"
        )
        db.execute(
            "CREATE TABLE first_arrivals (unit TEXT NOT NULL, period TEXT NOT NULL, arrived TEXT "
            "NOT NULL, file TEXT NOT NULL, sha256 TEXT NOT NULL, recorded TEXT NOT NULL, "
            "PRIMARY KEY (unit, period))"
        )
        db.execute(
            "INSERT INTO first_arrivals VALUES ('T01', '6T-2024', '2024-06-10T14:30:00', "
            "'T01.xlsx', ?, '2024-06-11T08:00:00')",
            (SHA,),
        )
        db.execute("PRAGMA user_version = 2")
    db.close()
    with open_ledger(path, now=NOW) as ledger:
        assert ledger.problems == []
        first = ledger.first_of("T01", "6T-2024")
        assert first is not None and first.source == FILE
        assert first.arrived == datetime(2024, 6, 10, 14, 30)
        ledger.add_correction("T01", "6T-2024", datetime(2024, 6, 9), "nhận qua Zalo", NOW)
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone() == (4,)
        assert db.execute("SELECT unit, source FROM first_arrivals").fetchall() == [
            ("T01", "file")
        ]
        assert db.execute("SELECT unit, reason FROM corrections").fetchall() == [
            ("T01", "nhận qua Zalo")
        ]
    db.close()


def test_corrections_are_kept_each_and_the_newest_applies(tmp_path: Path) -> None:
    path = tmp_path / ".wbt-ledger.sqlite3"
    with open_ledger(path, now=NOW) as ledger:
        ledger.add_correction("T07", "6T-2024", datetime(2024, 6, 14, 12), "nhận qua Zalo", NOW)
    later = datetime(2024, 6, 26, 10, 0)
    with open_ledger(path, now=later) as ledger:
        ledger.add_correction("T07", "6T-2024", datetime(2024, 6, 13, 12), "nhận bản giấy", later)
        ledger.add_correction("T08", "CN-2024", datetime(2024, 12, 1, 12), "khác kỳ", later)
    with open_ledger(path, now=later) as ledger:
        history = ledger.corrections("6T-2024")
        applied = ledger.correction("T07", "6T-2024")
        assert ledger.correction("T07", "CN-2024") is None
    assert [(c.unit, c.reason) for c in history] == [
        ("T07", "nhận qua Zalo"),
        ("T07", "nhận bản giấy"),
    ]
    assert applied is not None and applied.reason == "nhận bản giấy"
    assert applied.arrived == datetime(2024, 6, 13, 12) and applied.recorded == later


def test_whether_a_correction_gave_a_time_is_kept(tmp_path: Path) -> None:
    """A day typed alone is kept as such (to be shown as the day); a ledger whose
    corrections table is older than that keeps its rows, each with its time."""
    path = tmp_path / ".wbt-ledger.sqlite3"
    with open_ledger(path, now=NOW) as ledger:
        ledger.add_correction("T07", "6T-2024", datetime(2024, 6, 14, 12), "Zalo", NOW)
    with sqlite3.connect(path) as db:  # as a ledger written before the column was added
        db.execute("ALTER TABLE corrections DROP COLUMN timed")
    db.close()
    with open_ledger(path, now=NOW) as ledger:
        ledger.add_correction(
            "T07", "6T-2024", datetime(2024, 6, 13, 12), "giấy", NOW, timed=False
        )
    with open_ledger(path, now=NOW) as ledger:
        assert [(c.reason, c.timed) for c in ledger.corrections()] == [
            ("Zalo", True),
            ("giấy", False),
        ]
        assert ledger.problems == []


def test_a_fetched_attachment_arrives_with_its_mail_and_is_fetched_once(tmp_path: Path) -> None:
    path = tmp_path / ".wbt-ledger.sqlite3"
    mail = MailArrival(
        "<abc@thon1>", SHA, datetime(2024, 6, 14, 9), "thon1@example.org", "a/T01.xlsx", NOW
    )
    with open_ledger(path, now=NOW) as ledger:
        ledger.record_mail(mail)
        ledger.record_mail(mail)
    with open_ledger(path, now=NOW) as ledger:
        assert ledger.fetched("<abc@thon1>", SHA)
        assert not ledger.fetched("<other@thon1>", SHA)
        # The file itself was saved after the deadline: the mail's time is earlier,
        # and taken when its sender is on the roster; a stranger's is not.
        roster = {"thon1@example.org"}
        seen = ledger.arrival_and_mail(SHA, "a/T01.xlsx", datetime(2024, 6, 25, 8), NOW)
        found = taken_arrival(*seen, roster)
        stranger = taken_arrival(*seen, {"thon2@example.org"})
        other = taken_arrival(
            *ledger.arrival_and_mail("b" * 64, "b.xlsx", datetime(2024, 6, 20), NOW), roster
        )
    assert found == (datetime(2024, 6, 14, 9), MAIL)
    assert stranger == (datetime(2024, 6, 25, 8), FILE)
    assert other == (datetime(2024, 6, 20), FILE)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM mail_arrivals").fetchone() == (1,)
    db.close()
