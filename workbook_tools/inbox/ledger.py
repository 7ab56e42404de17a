"""The arrival ledger: when the tool first saw each file's content, and each unit's report.

A returned form arrives when it is saved into ``inbox/``; its modification time
then is its arrival time. Later copies, backups and re-saves change file times,
so the first sight of each content (by SHA-256) is kept in a small SQLite file
in the working folder (table ``arrivals``: which file of a unit is newest).
Arrival itself belongs to the unit and the period (SPEC: first arrival): the
first arrival of any form of a unit for a period, its time, file name and
hash, is kept in ``first_arrivals``, and on time and late follow it, whatever
later happens to the files (overwritten by a correction under the same name,
opened and saved again). Both stay the same however often the commands run.

Where an arrival time comes from is kept too (:mod:`workbook_tools.inbox.arrival`):
``wbt fetch`` records the mail that carried each attachment in ``mail_arrivals``
(its trusted time, sender and Message-ID: fetching again adds nothing; a row with
no sha256 marks a mail taken whole, not downloaded again), and
``wbt arrival`` the officer's corrections in ``corrections`` (a row each, never
rewritten: the newest of a unit and period applies). A file's arrival is the
earlier of its own first sight and its mail's time; its source goes with it.

The officer's decisions on a period's files are kept here too, as history rows
never rewritten: each lock (chốt số liệu) and unlock of a period, with the files
the locked report used (``lock_events``, ``lock_files``; their meaning is
:mod:`workbook_tools.inbox.lock`), and each review of a unit's file, accepted or
returned (``reviews``). They are read with the run's arrivals and written by
:func:`record_decisions`, in a transaction of their own that either holds or
raises: a lock is never kept in memory only.

Losing the ledger loses nothing but that memory (and those decisions, which the
report's JSON summary also lists), so it never stops a run: a
corrupt ledger is set aside and rebuilt, an unusable one is replaced by memory
for the run, each with a warning. A ledger written by a newer wbt (a higher
schema version) is left exactly as it is, with a warning, and the run keeps
its ledger in memory. An older ledger is upgraded in place, its rows kept.

One transaction a run: a run that crashes records nothing, and the next run
records the same arrivals from the same files.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from workbook_tools import clock, problems
from workbook_tools.problems import Problem

#: 1: ``arrivals``. 2: ``first_arrivals`` added (a version 1 ledger is upgraded in place).
#: 3: ``mail_arrivals`` and ``corrections`` added, ``first_arrivals.source`` (older
#: ledgers upgraded in place: their first arrivals were the files' own times).
#: 4: ``lock_events``, ``lock_files`` and ``reviews`` added (chốt số liệu, reviews);
#: later ``corrections.timed`` (an added column a wbt of the same version leaves alone).
_SCHEMA_VERSION = 4
_SCHEMA = (
    """
CREATE TABLE IF NOT EXISTS arrivals (
    sha256 TEXT PRIMARY KEY,      -- content hash of the file
    arrived TEXT NOT NULL,        -- ISO local time: the file's modification time at first sight
    file TEXT NOT NULL,           -- its path in the inbox then
    recorded TEXT NOT NULL        -- ISO local time the tool first saw it
)
""",
    """
CREATE TABLE IF NOT EXISTS first_arrivals (
    unit TEXT NOT NULL,           -- roster code
    period TEXT NOT NULL,         -- period code
    arrived TEXT NOT NULL,        -- ISO time with its UTC offset: the unit's first arrival
    file TEXT NOT NULL,           -- the file that arrived then, its path in the inbox
    sha256 TEXT NOT NULL,         -- and its content hash
    recorded TEXT NOT NULL,       -- ISO local time the tool first saw it
    source TEXT NOT NULL DEFAULT 'file',  -- where 'arrived' comes from: file or mail
    PRIMARY KEY (unit, period)
)
""",
    """
CREATE TABLE IF NOT EXISTS mail_arrivals (
    message_id TEXT NOT NULL,     -- the mail's Message-ID (or a hash of its bytes)
    sha256 TEXT NOT NULL,         -- content hash of the attachment
    arrived TEXT NOT NULL,        -- ISO time with offset: the mail's trusted time ('': none)
    sender TEXT NOT NULL,         -- the From address
    file TEXT NOT NULL,           -- where the attachment was saved in the inbox
    recorded TEXT NOT NULL,       -- ISO local time it was fetched
    PRIMARY KEY (message_id, sha256)
)
""",
    """
CREATE TABLE IF NOT EXISTS corrections (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    unit TEXT NOT NULL,           -- roster code
    period TEXT NOT NULL,         -- period code
    arrived TEXT NOT NULL,        -- ISO time with offset: when the officer says it arrived
    reason TEXT NOT NULL,         -- why, in the officer's words
    recorded TEXT NOT NULL,       -- ISO time with offset the correction was made
    timed INTEGER NOT NULL DEFAULT 1  -- 1: a time was typed; 0: the day alone (at its noon)
)
""",
    """
CREATE TABLE IF NOT EXISTS lock_events (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    period TEXT NOT NULL,         -- period code
    action TEXT NOT NULL,         -- 'lock' (chốt số liệu) or 'unlock' (mở chốt)
    at TEXT NOT NULL,             -- ISO time with its UTC offset
    reason TEXT NOT NULL,         -- the officer's words ('' for a lock given none)
    who TEXT NOT NULL,            -- the computer's user who ran the command
    report_sha256 TEXT NOT NULL,  -- lock: the JSON summary locked, as on disk ('' for unlock)
    workbook_sha256 TEXT NOT NULL,-- lock: the report workbook as wbt wrote it ('' if unknown)
    figures_sha256 TEXT NOT NULL, -- lock: the locked figures (report.summary.figures_digest)
    report_made TEXT NOT NULL     -- lock: when the locked report was made ('' for unlock)
)
""",
    """
CREATE TABLE IF NOT EXISTS lock_files (
    event INTEGER NOT NULL REFERENCES lock_events (id),
    unit TEXT NOT NULL,           -- roster code
    file TEXT NOT NULL,           -- its path in the inbox when locked
    sha256 TEXT NOT NULL,         -- its content hash
    used INTEGER NOT NULL         -- 1: the unit's file the report used; 0: another one there
)
""",
    """
CREATE TABLE IF NOT EXISTS reviews (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    period TEXT NOT NULL,
    unit TEXT NOT NULL,
    file TEXT NOT NULL,           -- the unit's file reviewed, its path in the inbox
    sha256 TEXT NOT NULL,         -- its content hash: a new file is not reviewed yet
    decision TEXT NOT NULL,       -- 'accepted' or 'returned'
    reason TEXT NOT NULL,
    at TEXT NOT NULL,             -- ISO time with its UTC offset
    who TEXT NOT NULL
)
""",
)
#: Columns added to a table after it was first made: (table, column, its definition).
_ADDED_COLUMNS = (
    ("first_arrivals", "source", "TEXT NOT NULL DEFAULT 'file'"),
    ("corrections", "timed", "INTEGER NOT NULL DEFAULT 1"),
)
_COLUMNS = {
    "arrivals": {"sha256", "arrived", "file", "recorded"},
    "first_arrivals": {"unit", "period", "arrived", "file", "sha256", "recorded", "source"},
    "mail_arrivals": {"message_id", "sha256", "arrived", "sender", "file", "recorded"},
    "corrections": {"id", "unit", "period", "arrived", "reason", "recorded", "timed"},
    "lock_events": {
        "id", "period", "action", "at", "reason", "who", "report_sha256", "workbook_sha256",
        "figures_sha256", "report_made",
    },
    "lock_files": {"event", "unit", "file", "sha256", "used"},
    "reviews": {"id", "period", "unit", "file", "sha256", "decision", "reason", "at", "who"},
}
#: Where an arrival time comes from (stored as these codes).
FILE, MAIL, OFFICER = "file", "mail", "officer"
#: SQLite keeps an interrupted transaction in these files beside the database;
#: they belong to it and move with it when it is set aside.
_SIDE_FILES = ("-journal", "-wal", "-shm")


@dataclass(frozen=True, slots=True)
class Arrival:
    sha256: str
    arrived: datetime
    file: str
    recorded: datetime


@dataclass(frozen=True, slots=True)
class FirstArrival:
    """The first arrival of a form of ``unit`` for ``period``: when, and which file."""

    unit: str
    period: str
    arrived: datetime  # naive local time, as the files' times
    file: str
    sha256: str
    recorded: datetime
    source: str = FILE  # FILE or MAIL: the file's own time or its mail's


@dataclass(frozen=True, slots=True)
class MailArrival:
    """An attachment fetched from a mail (``wbt fetch``): the mail's time, sender, id."""

    message_id: str
    sha256: str
    arrived: datetime | None  # naive local time, as the files'; None: the mail gave none
    sender: str
    file: str
    recorded: datetime


@dataclass(frozen=True, slots=True)
class Correction:
    """The officer's word on when a unit's report arrived (``wbt arrival``), and why."""

    unit: str
    period: str
    arrived: datetime  # naive local time (a day given alone: its noon where the plan is)
    reason: str
    recorded: datetime  # when the correction was made, naive local time
    #: Whether the officer typed a time with the day; a day alone is shown as the day
    #: (``arrived`` holds its noon only to judge it: :func:`inbox.arrival.parse_arrival`).
    timed: bool = True


@dataclass(frozen=True, slots=True)
class LockedFile:
    """A file of a unit in the inbox when its period was locked."""

    unit: str
    file: str
    sha256: str
    used: bool  # the file the locked report used for the unit (else superseded or a copy)


@dataclass(frozen=True, slots=True)
class LockEvent:
    """One lock (chốt số liệu) or unlock of a period: a history row, never rewritten."""

    period: str
    action: str  # LOCK or UNLOCK
    at: datetime  # naive local time
    reason: str
    who: str
    report_sha256: str = ""  # lock: the JSON summary locked, as it was on disk
    workbook_sha256: str = ""  # lock: the report workbook as wbt wrote it
    figures_sha256: str = ""  # lock: the locked figures (report.summary.figures_digest)
    report_made: datetime | None = None  # lock: when the locked report was made
    files: tuple[LockedFile, ...] = ()  # lock: every file of a unit then in the inbox


LOCK = "lock"
UNLOCK = "unlock"


@dataclass(frozen=True, slots=True)
class Review:
    """The officer's review of a unit's file for a period: accepted or returned."""

    period: str
    unit: str
    file: str
    sha256: str  # the file reviewed: a new file of the unit is not reviewed yet
    decision: str  # ACCEPTED or RETURNED
    reason: str
    at: datetime  # naive local time
    who: str


ACCEPTED = "accepted"
RETURNED = "returned"


class NewerLedgerError(Exception):
    """The ledger was written by a newer wbt: its schema version is higher than ours."""

    def __init__(self, version: int) -> None:
        super().__init__(f"ledger schema version {version} > {_SCHEMA_VERSION}")
        self.version = version


class Ledger:
    """The arrival ledger for one run. Use as a context manager (see :func:`open_ledger`).

    ``problems`` holds the warnings raised while opening or using it.
    """

    def __init__(self, path: Path | None, connection: sqlite3.Connection | None) -> None:
        self.path = path
        self._db = connection
        # Every arrival known: the database's, read at the first question, and
        # this run's, written to it when the run's transaction is committed.
        self._memory: dict[str, Arrival] = {}
        self._loaded = connection is None
        self._new: set[str] = set()  # first seen in this run
        self._unwritten: list[Arrival] = []
        self._firsts: dict[tuple[str, str], FirstArrival] = {}
        self._unwritten_firsts: dict[tuple[str, str], FirstArrival] = {}
        self._mails: dict[str, list[MailArrival]] = {}  # by sha256
        self._fetched: set[tuple[str, str]] = set()  # (message_id, sha256)
        self._unwritten_mails: list[MailArrival] = []
        self._corrections: list[Correction] = []
        self._unwritten_corrections: list[Correction] = []
        self.problems: list[Problem] = []

    @property
    def in_memory(self) -> bool:
        """True if what this run records is kept in memory only, never written to the file
        (it could not be opened, a newer wbt wrote it, or writing to it failed): its
        ``problems`` say why. A corrupt ledger set aside and rebuilt is written to."""
        return self._db is None

    # --- the one question a run asks ------------------------------------------
    def arrival(self, sha256: str, file: str, modified: datetime, now: datetime) -> datetime:
        """When the content ``sha256`` first arrived; recorded now if never seen before.

        ``modified`` is the file's modification time. A time after ``now`` (a
        clock set wrong) is taken as ``now``: nothing arrives after it is seen.
        Copies of one content seen for the first time in the same run arrived
        when the oldest of them did.
        """
        arrived = min(modified, now)
        known = self.lookup(sha256)
        # Copies first seen together in this run: the oldest is the arrival.
        if known is not None and (sha256 not in self._new or known.arrived <= arrived):
            return known.arrived
        entry = Arrival(sha256, arrived, file, now)
        self._new.add(sha256)
        self._memory[sha256] = entry
        if self._db is not None:
            self._unwritten.append(entry)
        return arrived

    def arrival_and_mail(
        self, sha256: str, file: str, modified: datetime, now: datetime
    ) -> tuple[datetime, MailArrival | None]:
        """:meth:`arrival`, and the earliest mail that carried ``sha256`` (``wbt fetch``),
        if one did: which of their times is taken is the inbox's to decide
        (:func:`workbook_tools.inbox.arrival.taken_arrival`)."""
        return self.arrival(sha256, file, modified, now), self.mail_of(sha256)

    def mail_of(self, sha256: str) -> MailArrival | None:
        """The earliest mail that carried the content ``sha256``, or None."""
        if not self._loaded:
            self._load()
        found = self._mails.get(sha256) if sha256 else None
        if not found:
            return None
        return min(found, key=lambda m: (m.arrived is None, m.arrived or datetime.min))

    def fetched(self, message_id: str, sha256: str) -> bool:
        """Whether this attachment of this mail was fetched before."""
        if not self._loaded:
            self._load()
        return (message_id, sha256) in self._fetched

    def has_mail(self, message_id: str) -> bool:
        """Whether the mail ``message_id`` was taken whole before (its row with no sha256:
        a mail stopped halfway, one of whose files could not be saved, is not)."""
        if not self._loaded:
            self._load()
        return (message_id, "") in self._fetched

    def record_mail(self, mail: MailArrival) -> None:
        """An attachment fetched from a mail: kept with the run's transaction."""
        if not self._loaded:
            self._load()
        if (mail.message_id, mail.sha256) in self._fetched:
            return
        self._fetched.add((mail.message_id, mail.sha256))
        self._mails.setdefault(mail.sha256, []).append(mail)
        if self._db is not None:
            self._unwritten_mails.append(mail)

    def corrections(self, period: str | None = None) -> list[Correction]:
        """Every correction (of ``period``), oldest first: the history, never rewritten."""
        if not self._loaded:
            self._load()
        return [c for c in self._corrections if period is None or c.period == period]

    def correction(self, unit: str, period: str) -> Correction | None:
        """The correction that applies to ``unit`` for ``period``: the newest, or None."""
        mine = [c for c in self.corrections(period) if c.unit == unit]
        return mine[-1] if mine else None

    def add_correction(
        self,
        unit: str,
        period: str,
        arrived: datetime,
        reason: str,
        now: datetime,
        *,
        timed: bool = True,
    ) -> Correction:
        """Record the officer's correction: a new row; earlier ones are kept. ``timed``:
        whether a time was given with the day."""
        if not self._loaded:
            self._load()
        entry = Correction(unit, period, arrived, reason, now, timed)
        self._corrections.append(entry)
        if self._db is not None:
            self._unwritten_corrections.append(entry)
        return entry

    def first_arrival(
        self,
        unit: str,
        period: str,
        arrived: datetime,
        file: str,
        sha256: str,
        now: datetime,
        source: str = FILE,
    ) -> FirstArrival:
        """The first arrival of ``unit``'s report for ``period``, given this run's earliest.

        ``arrived`` is the earliest arrival (:meth:`arrival`) among the unit's
        files now in the inbox, ``file`` and ``sha256`` that file. A recorded
        first arrival stands unless this one is earlier: once on time, a
        unit stays on time whatever later happens to its files.
        """
        known = self.first_of(unit, period)
        if known is not None and known.arrived <= arrived:
            return known
        entry = FirstArrival(unit, period, arrived, file, sha256, now, source)
        self._firsts[unit, period] = entry
        if self._db is not None:
            self._unwritten_firsts[unit, period] = entry
        return entry

    def first_of(self, unit: str, period: str) -> FirstArrival | None:
        """The recorded first arrival of ``unit`` for ``period``, or None."""
        if not self._loaded:
            self._load()
        return self._firsts.get((unit, period))

    def lookup(self, sha256: str) -> Arrival | None:
        """The recorded arrival of ``sha256``, or None."""
        if not self._loaded:
            self._load()
        return self._memory.get(sha256)

    def lock_history(self, period: str) -> tuple[LockEvent, ...]:
        """Every lock and unlock of ``period``, oldest first (none with no ledger)."""
        if self._db is None:
            return ()
        try:
            events = self._db.execute(
                "SELECT id, action, at, reason, who, report_sha256, workbook_sha256, "
                "figures_sha256, report_made FROM lock_events WHERE period = ? ORDER BY id",
                (period,),
            ).fetchall()
            files: dict[int, list[LockedFile]] = {}
            for event, unit, file, sha256, used in self._db.execute(
                "SELECT f.event, f.unit, f.file, f.sha256, f.used FROM lock_files AS f "
                "JOIN lock_events AS e ON e.id = f.event WHERE e.period = ? "
                "ORDER BY f.rowid",
                (period,),
            ):
                files.setdefault(int(event), []).append(
                    LockedFile(str(unit), str(file), str(sha256), bool(used))
                )
        except sqlite3.DatabaseError as err:
            self._fall_back_to_memory(err)
            return ()
        history = []
        for id_, action, at, reason, who, report, workbook, figures, made in events:
            when = _stored_time(at)
            made_at = _stored_time(made) if made else None
            if when is None or (made and made_at is None):
                continue  # edited by hand: not a time
            history.append(
                LockEvent(
                    period, str(action), when, str(reason), str(who), str(report),
                    str(workbook), str(figures), made_at, tuple(files.get(int(id_), ())),
                )
            )
        return tuple(history)

    def reviews(self, period: str) -> tuple[Review, ...]:
        """Every review of a file of ``period``, oldest first (none with no ledger)."""
        if self._db is None:
            return ()
        try:
            rows = self._db.execute(
                "SELECT unit, file, sha256, decision, reason, at, who FROM reviews "
                "WHERE period = ? ORDER BY id",
                (period,),
            ).fetchall()
        except sqlite3.DatabaseError as err:
            self._fall_back_to_memory(err)
            return ()
        out = []
        for unit, file, sha256, decision, reason, at, who in rows:
            when = _stored_time(at)
            if when is None:
                continue  # edited by hand: not a time
            out.append(
                Review(period, str(unit), str(file), str(sha256), str(decision), str(reason),
                       when, str(who))
            )
        return tuple(out)

    def _load(self) -> None:
        """Every recorded arrival, read at once: one query, not one per file."""
        self._loaded = True
        if self._db is None:
            return
        try:
            rows = self._db.execute("SELECT sha256, arrived, file, recorded FROM arrivals")
            for sha256, arrived, file, recorded in rows:
                try:
                    known = Arrival(
                        str(sha256),
                        datetime.fromisoformat(arrived),
                        str(file),
                        datetime.fromisoformat(recorded),
                    )
                except (TypeError, ValueError):
                    continue  # a row edited by hand: seen as new, recorded again over it
                self._memory.setdefault(known.sha256, known)
            rows = self._db.execute(
                "SELECT unit, period, arrived, file, sha256, recorded, source FROM first_arrivals"
            )
            for unit, period, arrived, file, sha256, recorded, source in rows:
                first_at, seen = _stored_time(arrived), _stored_time(recorded)
                if first_at is None or seen is None:
                    continue  # edited by hand: recorded again from the files
                first = FirstArrival(
                    str(unit), str(period), first_at, str(file), str(sha256), seen,
                    MAIL if source == MAIL else FILE,
                )
                self._firsts.setdefault((first.unit, first.period), first)
            rows = self._db.execute(
                "SELECT message_id, sha256, arrived, sender, file, recorded FROM mail_arrivals"
            )
            for message_id, sha256, arrived, sender, file, recorded in rows:
                sent, fetched = _stored_time(arrived) if arrived else None, _stored_time(recorded)
                if (arrived and sent is None) or fetched is None:
                    continue  # edited by hand: the file's own time stands
                mail = MailArrival(
                    str(message_id), str(sha256), sent, str(sender), str(file), fetched
                )
                self._fetched.add((mail.message_id, mail.sha256))
                self._mails.setdefault(mail.sha256, []).append(mail)
            rows = self._db.execute(
                "SELECT unit, period, arrived, reason, recorded, timed FROM corrections "
                "ORDER BY id"
            )
            for unit, period, arrived, reason, recorded, timed in rows:
                said, made = _stored_time(arrived), _stored_time(recorded)
                if said is None or made is None:
                    continue  # edited by hand: not applied
                self._corrections.append(
                    Correction(str(unit), str(period), said, str(reason), made, timed != 0)
                )
        except sqlite3.DatabaseError as err:
            self._fall_back_to_memory(err)

    # --- the run's transaction ------------------------------------------------
    def commit(self) -> None:
        """Write this run's new arrivals and end its transaction."""
        if self._db is None:
            return
        try:
            self._db.executemany(
                "INSERT OR REPLACE INTO arrivals (sha256, arrived, file, recorded) "
                "VALUES (?, ?, ?, ?)",
                [
                    (a.sha256, a.arrived.isoformat(), a.file, a.recorded.isoformat())
                    for a in self._unwritten
                ],
            )
            self._db.executemany(
                "INSERT OR REPLACE INTO first_arrivals "
                "(unit, period, arrived, file, sha256, recorded, source) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        f.unit,
                        f.period,
                        _with_offset(f.arrived),
                        f.file,
                        f.sha256,
                        f.recorded.isoformat(),
                        f.source,
                    )
                    for f in self._unwritten_firsts.values()
                ],
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO mail_arrivals "
                "(message_id, sha256, arrived, sender, file, recorded) VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        m.message_id,
                        m.sha256,
                        _with_offset(m.arrived) if m.arrived is not None else "",
                        m.sender,
                        m.file,
                        _with_offset(m.recorded),
                    )
                    for m in self._unwritten_mails
                ],
            )
            self._db.executemany(
                "INSERT INTO corrections (unit, period, arrived, reason, recorded, timed) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        c.unit,
                        c.period,
                        _with_offset(c.arrived),
                        c.reason,
                        _with_offset(c.recorded),
                        int(c.timed),
                    )
                    for c in self._unwritten_corrections
                ],
            )
            self._db.execute("COMMIT")
            self._unwritten.clear()
            self._unwritten_firsts.clear()
            self._unwritten_mails.clear()
            self._unwritten_corrections.clear()
        except sqlite3.DatabaseError as err:
            self._fall_back_to_memory(err)

    def save(self) -> None:
        """Write what this run recorded so far and go on in a new transaction: what is
        saved stays recorded if the run stops later (``wbt fetch``: each mail's files)."""
        self.commit()
        if self._db is not None:
            try:
                self._db.execute("BEGIN")
            except sqlite3.DatabaseError as err:
                self._fall_back_to_memory(err)

    def close(self, *, commit: bool = True) -> None:
        if self._db is None:
            return
        if commit:
            self.commit()
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
            self._db.close()
            self._db = None

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # A run that fails records nothing: the next run records the same arrivals.
        self.close(commit=exc_type is None)

    def _fall_back_to_memory(self, err: sqlite3.Error) -> None:
        if self._db is not None:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
        self.problems.append(
            problems.make("inbox.ledger_unavailable", path=str(self.path), reason=str(err))
        )


def open_ledger(path: Path, *, now: datetime | None = None) -> Ledger:
    """Open (or create) the ledger at ``path`` and start the run's transaction.

    Never raises for the ledger's own state: a corrupt file is renamed to
    ``<name>.hong-<time>`` and a new one is built; a ledger that cannot be
    opened at all (read-only folder, locked), or that a newer wbt wrote, is
    kept in memory for this run (the newer one left untouched). Either way
    ``Ledger.problems`` carries the warning.
    """
    now = now or datetime.now()
    try:
        return Ledger(path, _connect(path))
    except NewerLedgerError as err:
        ledger = Ledger(path, None)
        ledger.problems.append(
            problems.make(
                "inbox.ledger_newer",
                path=str(path),
                found=err.version,
                supported=_SCHEMA_VERSION,
            )
        )
        return ledger
    except sqlite3.DatabaseError as err:
        if isinstance(err, sqlite3.OperationalError) and not _is_corruption(err):
            return _memory_ledger(path, err)
        corrupt = err
    except OSError as err:
        return _memory_ledger(path, err)
    try:
        aside = _set_aside(path, now)
    except OSError as err:
        return _memory_ledger(path, err)
    note = problems.make(
        "inbox.ledger_corrupt", path=str(path), aside=aside.name, reason=str(corrupt)
    )
    try:
        ledger = Ledger(path, _connect(path))
    except (sqlite3.DatabaseError, OSError) as err:
        ledger = _memory_ledger(path, err)
    ledger.problems.insert(0, note)
    return ledger


def _connect(path: Path) -> sqlite3.Connection:
    """Connect, check the file is a sound ledger, and begin the run's transaction."""
    path.parent.mkdir(parents=True, exist_ok=True)
    # isolation_level=None: the transaction is ours, begun and ended explicitly.
    db = sqlite3.connect(path, timeout=5.0, isolation_level=None)
    try:
        # A newer wbt's ledger is only read from: asked its version, then left alone.
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > _SCHEMA_VERSION:
            raise NewerLedgerError(version)
        check = db.execute("PRAGMA quick_check").fetchall()
        if check != [("ok",)]:
            raise sqlite3.DatabaseError("; ".join(str(row[0]) for row in check[:3]))
        # The tables are made (an older ledger upgraded: its rows kept) in a
        # transaction of their own, before the run's: a run that fails still
        # leaves a sound ledger, upgraded whole or not at all.
        # Deferred: a sound ledger of this version is not written to here (a
        # read-only one is still read).
        db.execute("BEGIN")
        for table in _SCHEMA:
            db.execute(table)
        for table, column, definition in _ADDED_COLUMNS:
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if column not in columns:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {definition}")
        for table, wanted in _COLUMNS.items():
            columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
            if not wanted <= columns:
                raise sqlite3.DatabaseError(f"bảng '{table}' không đúng cấu trúc")
        if version < _SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        db.execute("COMMIT")
        db.execute("BEGIN")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.close()
        raise
    return db


class LedgerWriteError(Exception):
    """The officer's decision could not be recorded in the ledger: the message says why."""


def record_decisions(
    path: Path, *, events: Sequence[LockEvent] = (), reviews: Sequence[Review] = ()
) -> None:
    """Record lock events (with their files) and reviews in the ledger at ``path``: all in
    one transaction, or none. Raises :class:`LedgerWriteError` (Vietnamese) if they cannot
    be written: unlike arrivals, a decision is never kept in memory only."""
    try:
        db = _connect(path)
    except NewerLedgerError as err:
        raise LedgerWriteError(
            f"Sổ {path} do một phiên bản wbt mới hơn tạo ra (sổ phiên bản {err.version}); "
            "phiên bản này không ghi vào đó. Hãy cập nhật wbt lên phiên bản mới nhất rồi chạy "
            "lại lệnh."
        ) from err
    except (sqlite3.DatabaseError, OSError) as err:
        raise LedgerWriteError(
            f"Không mở được sổ {path} để ghi ({_reason_text(err)}). Hãy kiểm tra quyền ghi vào "
            "thư mục làm việc, đóng các lệnh wbt khác đang chạy, rồi chạy lại lệnh."
        ) from err
    try:
        for event in events:
            cursor = db.execute(
                "INSERT INTO lock_events (period, action, at, reason, who, report_sha256, "
                "workbook_sha256, figures_sha256, report_made) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    event.period, event.action, _with_offset(event.at), event.reason,
                    event.who, event.report_sha256, event.workbook_sha256,
                    event.figures_sha256,
                    _with_offset(event.report_made) if event.report_made else "",
                ),
            )
            db.executemany(
                "INSERT INTO lock_files (event, unit, file, sha256, used) VALUES (?, ?, ?, ?, ?)",
                [(cursor.lastrowid, f.unit, f.file, f.sha256, int(f.used)) for f in event.files],
            )
        db.executemany(
            "INSERT INTO reviews (period, unit, file, sha256, decision, reason, at, who) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (r.period, r.unit, r.file, r.sha256, r.decision, r.reason, _with_offset(r.at),
                 r.who)
                for r in reviews
            ],
        )
        db.execute("COMMIT")
    except sqlite3.DatabaseError as err:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise LedgerWriteError(
            f"Không ghi được vào sổ {path} ({_reason_text(err)}); chưa ghi gì. Hãy kiểm tra "
            "quyền ghi và chỗ trống trên ổ đĩa, đóng các lệnh wbt khác đang chạy, rồi chạy "
            "lại lệnh."
        ) from err
    finally:
        db.close()


def _reason_text(err: BaseException) -> str:
    return err.strerror if isinstance(err, OSError) and err.strerror else str(err)


def _is_corruption(err: sqlite3.OperationalError) -> bool:
    """Most OperationalErrors are about access (locked, read-only), not about the file."""
    code = getattr(err, "sqlite_errorcode", None)
    return code in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB)


def _set_aside(path: Path, now: datetime) -> Path:
    """Rename a corrupt ledger (and its journal files) out of the way; return its new path."""
    stamp = now.strftime("%Y%m%d-%H%M%S")
    aside = path.with_name(f"{path.name}.hong-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.hong-{stamp}-{n}")
    os.replace(path, aside)
    # A leftover journal beside the new ledger would be "recovered" into it.
    for suffix in _SIDE_FILES:
        side = path.with_name(path.name + suffix)
        if side.exists():
            os.replace(side, aside.with_name(aside.name + suffix))
    return aside


def _memory_ledger(path: Path, err: BaseException) -> Ledger:
    ledger = Ledger(path, None)
    reason = err.strerror if isinstance(err, OSError) and err.strerror else str(err)
    ledger.problems.append(problems.make("inbox.ledger_unavailable", path=str(path), reason=reason))
    return ledger


_with_offset = clock.with_offset  # one instant, whatever the computer's zone when read
_local = clock.local  # a recorded time as naive local time, an offset, if any, converted


def _stored_time(text: str) -> datetime | None:
    """A time the ledger keeps (ISO text, with its offset or not) as naive local time;
    None for one edited by hand into something else."""
    try:
        return _local(datetime.fromisoformat(text))
    except (TypeError, ValueError):
        return None
