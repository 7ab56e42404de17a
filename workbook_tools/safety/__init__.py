"""Look at a returned file before any spreadsheet reader touches it.

Returned forms come by email and Zalo from many people, in any state, and one
day one may be hostile. :func:`inspect` reads the file's bytes itself and
decides, by content and not by extension, what the file is and whether a reader
may open it: an empty or cut file, a web page or CSV saved as ``.xls``, a zip
bomb, an XML entity attack, a password, a sheet claiming a million rows… each
becomes a :class:`~workbook_tools.problems.Problem` naming the file and saying
what to do, and the run goes on with the other files.

One module per step:

- :mod:`.sniff`: read the file (a regular file only, :func:`open_regular`: never a
  pipe or a device, which would block the run), tell what it is by content, refuse
  what is no workbook;
- :mod:`.zipped`: a zip's members inflated under caps, whatever their headers claim;
- :mod:`.ooxml`, :mod:`.ods`: what an .xlsx/.xlsm or an .ods holds, part by part;
- :mod:`.ole`: compound files (.xls, and what else Office stores so), their BIFF records;
- :mod:`.guards`: the limits on XML declarations, cells, text and fonts;
- :mod:`.findings`: :class:`Limits`, :class:`Inspection` and the problems found so far.

What it guarantees for a file it passes (``Inspection.format`` not None):

- every zip member was inflated here, in chunks, and stopped once a cap was
  reached: the sizes and CRCs a reader will meet are the ones checked;
- no XML part holds a DOCTYPE or ENTITY declaration;
- no sheet makes python-calamine allocate more than ``Limits.max_cells`` cells,
  and no shared-strings table claims a count that it would reserve up front;
- an .ods repeats no row, cell or space into more than the reader may hold;
- no more than ``Limits.max_sheets`` sheets.

For the reader: open a passed file by its content, not its name
(python-calamine's ``CalamineWorkbook.from_path`` picks the format from the
extension, so an ``.xls`` renamed ``.xlsx`` needs ``from_filelike``): the
checked parts, stored uncompressed (``Inspection.unpacked``), where there are
some, else the bytes that were checked (``Inspection.content``); and
catch pyo3's ``PanicException`` around it too: a panic inside python-calamine
is raised as that class, which derives from ``BaseException``, not ``Exception``.
"""

from __future__ import annotations

import struct
from pathlib import Path
from types import MappingProxyType

from workbook_tools.problems import Severity
from workbook_tools.safety import sniff, zipped
from workbook_tools.safety.findings import (
    DEFAULT_LIMITS,
    FileFormat,
    Findings,
    Inspection,
    Limits,
    Refused,
)
from workbook_tools.safety.guards import check_xml
from workbook_tools.safety.sniff import NotRegularFile, open_regular

__all__ = [
    "DEFAULT_LIMITS",
    "FileFormat",
    "Inspection",
    "Limits",
    "NotRegularFile",
    "inspect",
    "is_reader_panic",
    "open_regular",
    "read_part",
    "should_skip",
    "should_skip_name",
]


def inspect(path: Path, *, limits: Limits = DEFAULT_LIMITS, name: str | None = None) -> Inspection:
    """Say what ``path`` really is and whether a spreadsheet reader may open it.

    ``name`` is how records name the file (default: its file name). Never
    raises for anything in the file, and never writes to it.
    """
    report = Findings(name or path.name, path.suffix.lower())
    data = b""
    try:
        data = sniff.read_file(path, limits, report)
        sniff.inspect_bytes(data, limits, report)
    except Refused:
        pass
    except Exception as err:  # a file nobody foresaw must not stop the run
        report.add("file.unexpected", reason=type(err).__name__)
    usable = not any(p.severity is Severity.ERROR for p in report.problems)
    return Inspection(
        path=path,
        format=report.format if usable else None,
        problems=tuple(report.problems),
        macro_enabled=report.macro_enabled,
        sheets=tuple(report.sheets),
        parts=MappingProxyType(report.parts),
        legacy_fonts=tuple(sorted(report.fonts)),
        content=data if usable else b"",
        modified=report.modified,
        unpacked=report.unpacked if usable else b"",
    )


def read_part(path: Path, name: str, *, limits: Limits = DEFAULT_LIMITS) -> bytes | None:
    """One XML member of a zip workbook, inflated within the limits and checked.

    For a file :func:`inspect` passed; None when the part is absent or fails
    a check (inspect would have said why).
    """
    report = Findings(path.name, path.suffix.lower())
    try:
        data = sniff.read_file(path, limits, report)
        wanted = name.lower()
        members = zipped.members(data, limits, report)
        member = next((m for m in members if m.name.lower() == wanted), None)
        if member is None:
            return None
        part = zipped.Inflater(data, limits, report).inflate(member, keep=True)
        check_xml(member.name, part, report)
    except (Refused, struct.error):
        return None
    return part


# --- files that are not returns at all ---------------------------------------

#: Names the operating system or a spreadsheet program leaves in a folder.
_NOISE = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini", "__macosx"})


def should_skip(path: Path) -> bool:
    """Whether ``path`` (a file or a folder) is to be passed over silently.

    Excel's owner files (``~$Thon 1.xlsx``), LibreOffice's lock files
    (``.~lock.Thon 1.xlsx#``), hidden files and folders (a leading dot, macOS
    ``._`` forks included) and Windows' ``Thumbs.db`` / ``desktop.ini``.
    """
    return should_skip_name(path.name)


def should_skip_name(name: str) -> bool:
    """:func:`should_skip` for a file or folder named ``name``."""
    return name.startswith((".", "~$")) or name.lower() in _NOISE


def is_reader_panic(err: BaseException) -> bool:
    """Whether ``err`` is a panic of a reader written in Rust (python-calamine).

    pyo3 raises a panic as ``pyo3_runtime.PanicException``, which derives from
    ``BaseException`` so that ``except Exception`` lets it through, and whose
    module cannot be imported: it is known by its name. Catch it beside
    ``Exception`` around a reader, and let every other ``BaseException``
    (``KeyboardInterrupt``, ``SystemExit``) go on.
    """
    kind = type(err)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"
