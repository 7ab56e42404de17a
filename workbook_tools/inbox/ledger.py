"""The arrival ledger: when the tool first saw each file's content.

A returned form arrives when it is saved into ``inbox/``; its modification time
then is its arrival time. Later copies, backups and re-saves change file times,
so the first sight of each content (by SHA-256) is kept in a small SQLite file
in the working folder: on time and late stay the same however often the
commands run. Losing the ledger loses nothing but that memory, so it never
stops a run: a corrupt ledger is set aside and rebuilt, an unusable one is
replaced by memory for the run, each with a warning.

One transaction a run: a run that crashes records nothing, and the next run
records the same arrivals from the same files.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import TracebackType

from workbook_tools import problems
from workbook_tools.problems import Problem

_SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS arrivals (
    sha256 TEXT PRIMARY KEY,      -- content hash of the file
    arrived TEXT NOT NULL,        -- ISO local time: the file's modification time at first sight
    file TEXT NOT NULL,           -- its path in the inbox then
    recorded TEXT NOT NULL        -- ISO local time the tool first saw it
)
"""
#: SQLite keeps an interrupted transaction in these files beside the database;
#: they belong to it and move with it when it is set aside.
_SIDE_FILES = ("-journal", "-wal", "-shm")


@dataclass(frozen=True, slots=True)
class Arrival:
    sha256: str
    arrived: datetime
    file: str
    recorded: datetime


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
        self.problems: list[Problem] = []

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

    def lookup(self, sha256: str) -> Arrival | None:
        """The recorded arrival of ``sha256``, or None."""
        if not self._loaded:
            self._load()
        return self._memory.get(sha256)

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
            self._db.execute("COMMIT")
            self._unwritten.clear()
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
    opened at all (read-only folder, locked) is kept in memory for this run.
    Either way ``Ledger.problems`` carries the warning.
    """
    now = now or datetime.now()
    try:
        return Ledger(path, _connect(path))
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
        check = db.execute("PRAGMA quick_check").fetchall()
        if check != [("ok",)]:
            raise sqlite3.DatabaseError("; ".join(str(row[0]) for row in check[:3]))
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if version > _SCHEMA_VERSION:
            raise sqlite3.DatabaseError(f"sổ phiên bản {version}, mới hơn chương trình")
        # The table is made outside the run's transaction: a run that fails
        # still leaves a sound, empty ledger.
        db.execute(_SCHEMA)
        columns = {row[1] for row in db.execute("PRAGMA table_info(arrivals)")}
        if not {"sha256", "arrived", "file", "recorded"} <= columns:
            raise sqlite3.DatabaseError("bảng 'arrivals' không đúng cấu trúc")
        if version < _SCHEMA_VERSION:
            db.execute(f"PRAGMA user_version = {_SCHEMA_VERSION}")
        db.execute("BEGIN")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.close()
        raise
    return db


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
