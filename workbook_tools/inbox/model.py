"""What the inbox step hands on: submissions and the files they came from.

Plain data. The consolidation step reads these; it never opens a file.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from workbook_tools.inbox.ledger import Correction, FirstArrival, LockEvent, Review
from workbook_tools.plan.model import RosterEntry
from workbook_tools.problems import Problem
from workbook_tools.values import Value


class SubmissionStatus(StrEnum):
    USED = "used"  # the one whose values are merged
    SUPERSEDED = "superseded"  # an older file for the same unit and period
    DUPLICATE = "duplicate"  # byte-identical to another file, counted once
    OTHER_PERIOD = "other_period"  # a form of another period of the same plan: skipped
    REJECTED = "rejected"  # not usable: other plan, unreadable, unidentified
    AFTER_LOCK = "after_lock"  # came after the period was locked: not used (inbox.lock)


class IdentifiedBy(StrEnum):
    METADATA = "metadata"  # the form's metadata: document properties or hidden sheet
    TITLE = "title"  # the title block, matched against the roster
    NONE = "none"


@dataclass(slots=True)
class Submission:
    """One returned file: identified and read by the inbox step, cleaned by the checks step."""

    file: str  # path relative to the inbox folder, with '/' separators
    sha256: str
    arrived: datetime  # first seen (ledger), naive local time of this computer
    status: SubmissionStatus
    unit: str | None = None  # roster code
    period: str | None = None
    identified_by: IdentifiedBy = IdentifiedBy.NONE
    on_time: bool | None = None  # arrived on or before the units' deadline (the plan's day)
    values: dict[str, Value] = field(default_factory=dict)  # usable values only (checks step)
    unusable: set[str] = field(default_factory=set)  # fields whose value had an error
    cells: dict[str, str] = field(default_factory=dict)  # field code -> "Sheet!B12"
    superseded_by: str | None = None  # file that replaced this one
    stored_as: str | None = None  # its name on disk, if not ``file`` (a decomposed name)
    arrival_source: str = "file"  # where ``arrived`` comes from: "file" or "mail" (ledger)
    unknown_sender: bool = False  # it came in a mail from an address not on the roster


class RawCell(NamedTuple):
    """A value as read from a returned form, before cleaning, with where it was found.

    A named tuple: a run makes one for every field of thousands of files, and
    sends them between processes.
    """

    field: str
    value: object  # str, int, float, bool, datetime, date or None, as the reader gave it
    sheet: str
    cell: str  # "C12"


@dataclass(slots=True)
class FileRead:
    """One returned file, as far as reading (and checking) it got.

    What a worker process hands back for each file, before the arrivals are
    recorded and the newest file of each unit is chosen: plain and picklable.
    """

    submission: Submission
    problems: list[Problem] = field(default_factory=list)  # shown whatever its status
    raw: dict[str, RawCell] = field(default_factory=dict)  # as read; the checks step cleans them
    cell_problems: list[Problem] = field(default_factory=list)  # shown only if the file is used
    modified: datetime | None = None  # the file's own time; None: the run's time is its arrival
    record: bool = False  # its arrival goes through the ledger (not a file too large to hash)
    failed: bool = False  # it could not be read: nothing more is learnt from the ledger


@dataclass(slots=True)
class InboxResult:
    """Everything the inbox step found for one period."""

    period: str
    submissions: list[Submission] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    #: Each unit's first arrival for the period, as the ledger keeps it (roster code ->):
    #: on time and late follow it, whatever later happened to the unit's files.
    first_arrivals: dict[str, FirstArrival] = field(default_factory=dict)
    #: The officer's corrections that apply (the newest of each unit; ``wbt arrival``):
    #: a unit's arrival is the corrected one, whatever its files say.
    corrections: dict[str, Correction] = field(default_factory=dict)
    #: Every lock and unlock of the period, oldest first (:mod:`~workbook_tools.inbox.lock`).
    lock_history: tuple[LockEvent, ...] = ()
    #: Each unit's review in force: the officer's last word on the file it uses now.
    reviews: dict[str, Review] = field(default_factory=dict)

    def used(self) -> dict[str, Submission]:
        """The submission used for each roster code."""
        return used_submissions(self.submissions)


def used_submissions(submissions: Iterable[Submission]) -> dict[str, Submission]:
    """The submission used for each roster code, among ``submissions``."""
    return {
        s.unit: s for s in submissions if s.status is SubmissionStatus.USED and s.unit is not None
    }


@dataclass(frozen=True, slots=True)
class EntryStatus:
    """Where one village or unit of the roster stands for the period (``wbt status``)."""

    entry: RosterEntry
    used: Submission | None  # the file whose values count, None while nothing usable came
    others: tuple[Submission, ...]  # its other files: superseded, duplicate, other period, rejected
    first_arrival: datetime | None  # first arrival of a form of the period (DHIS2's timeliness)
    on_time: bool | None  # first arrival on or before the units' deadline; None if none arrived
    errors: int  # problem records for this unit, by severity
    warnings: int
    first_file: str | None = None  # the file that first arrived (it may be gone since)
    #: Where ``first_arrival`` comes from: "mail", "file" or "officer" (None: none arrived).
    arrival_source: str | None = None
    #: Late by its time, but its form says it was made on or before the deadline: the
    #: officer is to confirm when it arrived (``wbt arrival``).
    needs_confirmation: bool = False
    #: Its first file came in a mail whose sender is not on the roster (``wbt fetch``):
    #: that mail's time is not taken; late by the file's own, it is "cần xác nhận".
    unknown_sender: bool = False
    correction: Correction | None = None  # the officer's correction applied, with its reason
    review: Review | None = None  # the officer's review of the file used; None: not yet

    @property
    def received(self) -> bool:
        return self.used is not None
