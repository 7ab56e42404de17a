"""The inbox step: every returned file read, identified, cleaned and checked.

:func:`read_inbox` is the one library step that ``wbt status``, ``wbt check``
and ``wbt merge`` share. For each file under ``inbox/`` (subfolders too) it:

1. looks at the file defensively first (:mod:`~workbook_tools.inbox.safety`:
   format by content, zip bombs, encrypted files) and reads only what that
   accepts;
2. records its first arrival in the ledger (:mod:`~workbook_tools.inbox.ledger`);
3. reads the workbook (:mod:`~workbook_tools.inbox.workbook`) and identifies
   it (:mod:`~workbook_tools.inbox.identify`);
4. keeps, for each village and unit, the file that arrived last, and lists
   the others as superseded (byte-identical copies count once);
5. finds the values (:mod:`~workbook_tools.inbox.cells`) and cleans and checks
   them (:mod:`workbook_tools.checks.validate`).

It returns plain data and prints nothing. The inbox folder is only read. A
file that cannot be read for any reason becomes a problem record naming it,
and the run goes on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from workbook_tools.inbox.model import (
    EntryStatus,
    IdentifiedBy,
    InboxResult,
    RawCell,
    Submission,
    SubmissionStatus,
)

if TYPE_CHECKING:
    from workbook_tools.inbox.read import ARRIVALS, read_inbox, roster_status

#: Loaded on first use: importing the package must stay light, because the
#: plan and checks steps import :mod:`workbook_tools.inbox.model`.
_LAZY = ("ARRIVALS", "read_inbox", "roster_status")


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from workbook_tools.inbox import read

        return getattr(read, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
