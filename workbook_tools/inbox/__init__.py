"""The inbox step: every returned file found, inspected, read and identified.

:func:`read_inbox` is the first half of the step that ``wbt status``, ``wbt check``
and ``wbt merge`` share (:func:`workbook_tools.checks.read_and_check`). For
each file under ``inbox/`` (subfolders too) it:

1. looks at the file defensively first (:mod:`~workbook_tools.safety`:
   format by content, zip bombs, encrypted files) and reads only what that
   accepts;
2. records its first arrival in the ledger (:mod:`~workbook_tools.inbox.ledger`);
3. reads the workbook (:mod:`~workbook_tools.inbox.workbook`) and identifies
   it (:mod:`~workbook_tools.inbox.identify`);
4. keeps, for each village and unit, the file that arrived last, and lists
   the others as superseded (byte-identical copies count once);
5. finds each field's cell (:mod:`~workbook_tools.inbox.cells`) and hands the
   values on as read; the checks step (:mod:`workbook_tools.checks`) cleans
   and checks them.

It returns plain data and prints nothing. The inbox folder is only read. A
file that cannot be read for any reason becomes a problem record naming it,
and the run goes on.
"""

from __future__ import annotations

from workbook_tools.inbox.model import (
    EntryStatus,
    IdentifiedBy,
    InboxResult,
    RawCell,
    Submission,
    SubmissionStatus,
)
from workbook_tools.inbox.read import ARRIVALS, read_inbox, roster_status

__all__ = [
    "ARRIVALS",
    "EntryStatus",
    "IdentifiedBy",
    "InboxResult",
    "RawCell",
    "Submission",
    "SubmissionStatus",
    "read_inbox",
    "roster_status",
]
