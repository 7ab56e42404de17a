"""The period's hidden record beside its report, ``.wbt-report.json``: the SHA-256 of each
report file as wbt wrote it, the officer's entries for the period
(:mod:`~workbook_tools.report.entries`), and a copy of the period's lock (chốt số liệu).

Apart from :mod:`~workbook_tools.report.write` so that reading it loads none of the report's
libraries: ``wbt merge`` reads it (a lock the ledger lost) before the inbox is read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from workbook_tools.report.entries import Entries
from workbook_tools.workspace import write_together

#: The hidden record of the period's report: what the tool wrote, the officer's entries.
RECORD_NAME = ".wbt-report.json"
RECORD_FORMAT = 1


@dataclass(frozen=True, slots=True)
class Record:
    """The period's record: each report file's SHA-256 as written, the officer's entries,
    and a copy of the period's lock (chốt số liệu) as ``wbt lock`` and ``wbt unlock`` left
    it (:func:`~workbook_tools.inbox.lock.lock_record`): a second place it is kept."""

    written: dict[str, str]  # file name -> hex digest
    entries: Entries
    lock: dict[str, Any] | None = None

    def to_bytes(self) -> bytes:
        data: dict[str, Any] = {
            "format": RECORD_FORMAT,
            "written": self.written,
            "entries": self.entries.to_json(),
        }
        if self.lock is not None:
            data["lock"] = self.lock
        return json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def read_record(folder: Path) -> Record:
    """The record of the report in ``folder``; an empty one if there is none, or it cannot
    be read (then every report file there is kept before being replaced: nothing is lost)."""
    try:
        data = json.loads((folder / RECORD_NAME).read_bytes())
    except (OSError, ValueError):
        return Record({}, Entries())
    if not isinstance(data, dict):
        return Record({}, Entries())
    written = data.get("written")
    if not isinstance(written, dict):
        written = {}
    digests = {str(k): v for k, v in written.items() if isinstance(v, str)}
    lock = data.get("lock")
    return Record(
        digests, Entries.from_json(data.get("entries")), lock if isinstance(lock, dict) else None
    )


def record_lock(folder: Path, lock: dict[str, Any]) -> None:
    """Keep ``lock`` (the period's lock as plain data) in the period's record in ``folder``,
    the rest of the record as it was; replaced whole or not at all (:class:`OutputError`)."""
    record = read_record(folder)
    path = folder / RECORD_NAME
    write_together(
        [(path, Record(record.written, record.entries, lock).to_bytes())], hidden={path}
    )


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
