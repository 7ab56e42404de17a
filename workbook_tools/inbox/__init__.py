"""The inbox step: every returned file found, inspected, read and identified.

:func:`read_file` and :func:`collect` are the first half of the step that
``wbt status``, ``wbt check`` and ``wbt merge`` share
(:func:`workbook_tools.pipeline.read_and_check`). For each file under
``inbox/`` (subfolders too, :func:`~workbook_tools.inbox.scan.named_files`):

1. :func:`read_file` looks at the file defensively first
   (:mod:`~workbook_tools.safety`: format by content, zip bombs, encrypted
   files) and reads only what that accepts, reads the workbook
   (:mod:`~workbook_tools.inbox.workbook`), identifies it
   (:mod:`~workbook_tools.inbox.identify`), finds each field's cell
   (:mod:`~workbook_tools.inbox.cells`) and hands the values on as read, a
   :class:`FileRead`; the checks step (:mod:`workbook_tools.checks`) cleans
   and checks them;
2. :func:`collect` records each file's first arrival in the ledger
   (:mod:`~workbook_tools.inbox.ledger`), and each unit's first arrival for
   the period (on time or late follows it, whatever later happens to the
   unit's files), and keeps, for each village and
   unit, the file that arrived last, listing the others as superseded
   (byte-identical copies count once); of a locked period (chốt số liệu),
   the files locked instead, later ones listed apart, and each unit's review
   by the officer (:mod:`~workbook_tools.inbox.lock`).

It returns plain data and prints nothing. The inbox folder is only read. A
file that cannot be read for any reason becomes a problem record naming it,
and the run goes on.
"""

from __future__ import annotations

from workbook_tools.inbox.model import (
    EntryStatus,
    FileRead,
    IdentifiedBy,
    InboxResult,
    RawCell,
    Submission,
    SubmissionStatus,
)
from workbook_tools.inbox.read import ARRIVALS, FileReader, collect, read_file, roster_status

__all__ = [
    "ARRIVALS",
    "EntryStatus",
    "FileRead",
    "FileReader",
    "IdentifiedBy",
    "InboxResult",
    "RawCell",
    "Submission",
    "SubmissionStatus",
    "collect",
    "read_file",
    "roster_status",
]
