"""The report's xlsx package written on two CPUs: one large worksheet's XML in a forked process.

xlsxwriter writes the XML of every part of a workbook, one after the other,
when it is closed, and for a roster of thousands one worksheet (the
villages' table) holds most of the cells. With :class:`SplitWorkbook`, as
soon as that worksheet is complete (:meth:`SplitWorkbook.write_aside`), a
forked copy of this process writes its XML while this one goes on with the
other worksheets and parts; when the workbook is closed the XML is put in
its place before the parts are zipped. The file is the same, byte for byte,
as the one written in one process.

What the worksheet's XML holds is fixed by then: a text cell names its
entry in the shared strings, numbered when the text is first written; a
style is named by the number xlsxwriter gives a format the first time a part
uses it, so here each format is numbered as it is made instead, and both
processes name the same styles. A worksheet whose writing still had to
number a format (one of xlsxwriter's own) is written again here.

The packager is replaced through ``Workbook._get_packager``, the hook
xlsxwriter keeps for that purpose (XlsxWriter issue 674); the split uses the
packager's own steps for each part. Where a process cannot be forked, where
a worksheet is not a plain table of cells (links, which xlsxwriter numbers
while it writes them), or if the forked process fails in any way, the
worksheet is written here as xlsxwriter writes it.
"""

from __future__ import annotations

import contextlib
import io
import os
from math import isfinite
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.packager import Packager
from xlsxwriter.utility import xl_rowcol_to_cell_fast
from xlsxwriter.worksheet import (
    CellBlankTuple,
    CellDatetimeTuple,
    CellNumberTuple,
    CellStringTuple,
    Worksheet,
)


def can_split() -> bool:
    """Whether a worksheet can be written aside here (a process can be forked)."""
    return hasattr(os, "fork")


#: The cells a report is made of, nearly all of them (see QuickWorksheet._write_cell).
_QUICK_CELLS = frozenset({CellNumberTuple, CellDatetimeTuple, CellStringTuple, CellBlankTuple})


class QuickWorksheet(Worksheet):  # type: ignore[misc]
    """xlsxwriter's worksheet, its XML written as it writes it, with less work per cell.

    xlsxwriter looks for characters to escape in every attribute it writes by
    searching it with a text pattern, and a number (each cell's style) makes
    that search raise a ``TypeError`` that is caught to leave the number as it
    is: a sixth of the time spent writing the report of a large roster. Here
    anything but text is left as it is without a search, as it would be after
    one. The commonest cells are stored (:meth:`write_number`,
    :meth:`write_string`, :meth:`write_blank`) and written out
    (:meth:`_write_cell`) straight.
    """

    # The sheet's dimensions, as xlsxwriter keeps them (None until a cell is stored).
    dim_rowmin: int | None
    dim_rowmax: int | None
    dim_colmin: int | None
    dim_colmax: int | None

    # xlsxwriter's write methods take a cell's row and column or its A1 name,
    # check that it lies in the sheet, widen the sheet's dimensions, then store
    # it: four calls for each of a report's hundred thousand cells. The common
    # call (row, column, value, format; a value every reader takes as it is) is
    # stored here as they store it; any other, by them.

    def write_number(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 4 and not kwargs:
            row, col, number, cell_format = args
            kind = type(number)
            if (kind is int or (kind is float and isfinite(number))) and self._widened(row, col):
                self.table[row][col] = CellNumberTuple(number, cell_format)
                return 0
        return super().write_number(*args, **kwargs)

    def write_string(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 4 and not kwargs:
            row, col, string, cell_format = args
            # Within half of Excel's limit: never cut (xlsxwriter's own shortcut).
            if (
                type(string) is str
                and len(string) <= self.xls_strmax // 2
                and self._widened(row, col)
            ):
                index = self.str_table._get_shared_string_index(string)
                self.table[row][col] = CellStringTuple(index, cell_format)
                return 0
        return super().write_string(*args, **kwargs)

    def write_blank(self, *args: Any, **kwargs: Any) -> Any:
        if len(args) == 4 and not kwargs:
            row, col, _, cell_format = args
            if cell_format is not None and self._widened(row, col):
                self.table[row][col] = CellBlankTuple(cell_format)
                return 0
        return super().write_blank(*args, **kwargs)

    def _widened(self, row: int, col: int) -> bool:
        """Whether a cell at (``row``, ``col``) is stored here; if so, the sheet's
        dimensions now take it in, as xlsxwriter's check of a cell does."""
        # In constant_memory mode each row is written out once the next begins.
        if self.constant_memory or not (0 <= row < self.xls_rowmax and 0 <= col < self.xls_colmax):
            return False
        if self.dim_rowmin is None or row < self.dim_rowmin:
            self.dim_rowmin = row
        if self.dim_rowmax is None or row > self.dim_rowmax:
            self.dim_rowmax = row
        if self.dim_colmin is None or col < self.dim_colmin:
            self.dim_colmin = col
        if self.dim_colmax is None or col > self.dim_colmax:
            self.dim_colmax = col
        return True

    def _escape_attributes(self, attribute: Any) -> Any:
        if not isinstance(attribute, str):
            return attribute
        return super()._escape_attributes(attribute)

    def _write_cell(self, row: int, col: int, cell: Any) -> None:
        """A number, date, shared string or blank cell with a format of its own,
        written as xlsxwriter writes it (reference, style, value), without the
        list of attributes it builds and escapes for each cell (nothing in a
        reference or a style number is escaped). Any other cell, as xlsxwriter
        writes it: half the time of the report's largest tables."""
        kind = type(cell)
        if kind not in _QUICK_CELLS or cell.format is None or self.constant_memory:
            super()._write_cell(row, col, cell)
            return
        start = f'<c r="{xl_rowcol_to_cell_fast(row, col)}" s="{cell.format._get_xf_index()}"'
        if kind is CellStringTuple:  # its index in the shared strings
            self.fh.write(f'{start} t="s"><v>{cell.string}</v></c>')
        elif kind is CellBlankTuple:
            self.fh.write(f"{start}/>")
        else:
            self.fh.write(f"{start}><v>{cell.number:.16G}</v></c>")


class SplitWorkbook(Workbook):  # type: ignore[misc]
    """A :class:`xlsxwriter.Workbook` (in memory: ``{"in_memory": True}``) some of whose
    worksheets, once complete, are written by a forked process (:meth:`write_aside`).

    Its worksheets are :class:`QuickWorksheet`.
    """

    worksheet_class = QuickWorksheet

    def __init__(self, filename: Any, options: dict[str, Any]) -> None:
        self._number_formats = False  # xlsxwriter's own formats are numbered its way
        super().__init__(filename, options)
        self._number_formats = True
        self._aside: list[_Aside] = []

    def add_format(self, properties: dict[str, Any] | None = None) -> Any:
        made = super().add_format(properties)
        if self._number_formats:
            made._get_xf_index()
        return made

    def write_aside(self, worksheet: Any) -> None:
        """Have ``worksheet``'s XML written now by a forked process while this one goes on.

        ``worksheet`` is complete: nothing is written to it or changed on it
        afterwards. Where that cannot be done (see the module's notes), it is
        written here when the workbook is closed, as xlsxwriter writes it.
        """
        if not self.in_memory or not can_split() or not _plain(worksheet):
            return
        if any(aside.worksheet is worksheet for aside in self._aside):
            return
        self._aside.append(_Aside.start(worksheet, self.xf_format_indices))

    def close(self) -> None:
        try:
            super().close()
        finally:
            for aside in self._aside:
                aside.discard()  # ended by now, unless closing failed before the worksheets

    def _get_packager(self) -> Packager:
        if not self._aside:
            return super()._get_packager()
        return _SplitPackager(self._aside)


class _SplitPackager(Packager):  # type: ignore[misc]
    def __init__(self, aside: list[_Aside]) -> None:
        super().__init__()
        self._aside = aside

    def _write_worksheet_files(self) -> None:
        sheets = [ws for ws in self.workbook.worksheets() if not ws.is_chartsheet]
        written_by = {id(aside.worksheet): aside for aside in self._aside}
        # The parts keep xlsxwriter's names and order; those written aside are
        # filled in when the forked process hands them over, before the styles
        # are listed (a worksheet written here again may still number one).
        for index, ws in enumerate(sheets, start=1):
            fh = self._filename(f"xl/worksheets/sheet{index}.xml")
            aside = written_by.get(id(ws))
            if aside is not None:
                aside.part = fh
            else:
                ws._set_xml_writer(fh)
                ws._assemble_xml_file()
        for aside in self._aside:
            aside.finish()


def _plain(ws: Any) -> bool:
    """A worksheet whose XML can be written elsewhere: writing it changes nothing here.

    (Its workbook is in memory, which xlsxwriter never writes in constant-memory mode.)
    """
    return not ws.hyperlinks


class _Aside:
    """A worksheet's XML written by a forked process, read back through a pipe."""

    def __init__(self, worksheet: Any, pid: int | None, read_fd: int | None) -> None:
        self.worksheet = worksheet
        self.part: io.StringIO | None = None  # where the packager wants the XML
        self._pid = pid
        self._read_fd = read_fd

    @classmethod
    def start(cls, worksheet: Any, numbered: dict[Any, int]) -> _Aside:
        """Fork the process that writes ``worksheet``; ``numbered`` holds the formats' numbers."""
        try:
            read_fd, write_fd = os.pipe()
        except OSError:
            return cls(worksheet, None, None)  # written here
        try:
            pid = os.fork()
        except OSError:
            os.close(read_fd)
            os.close(write_fd)
            return cls(worksheet, None, None)
        if pid == 0:  # the forked process: write, hand over, end without cleaning up
            code = 1
            try:
                os.close(read_fd)
                before = len(numbered)
                text = _assemble(worksheet)
                if len(numbered) == before:  # else this process's numbers are its own
                    with open(write_fd, "wb") as pipe:
                        pipe.write(text.encode("utf-8"))
                    code = 0
            finally:
                os._exit(code)
        os.close(write_fd)
        return cls(worksheet, pid, read_fd)

    def finish(self) -> None:
        """Put the worksheet's XML into its part: as received, or written here."""
        text = self._receive()
        if self.part is None:
            return
        if text is not None:
            self.part.write(text)
        else:
            self.worksheet._set_xml_writer(self.part)
            self.worksheet._assemble_xml_file()

    def discard(self) -> None:
        """Stop waiting for the forked process, if it was never asked for the worksheet."""
        if self._read_fd is not None:
            os.close(self._read_fd)  # it stops at its next write, if not ended yet
            self._read_fd = None
        if self._pid is not None:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self._pid, 0)
            self._pid = None

    def _receive(self) -> str | None:
        """The XML the forked process wrote, if it wrote it all (it ended well)."""
        pid, read_fd = self._pid, self._read_fd
        self._pid = self._read_fd = None
        if pid is None or read_fd is None:
            return None
        data = b""
        try:
            with open(read_fd, "rb") as pipe:  # closes the descriptor
                data = pipe.read()
        except OSError:
            data = b""
        finally:
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:  # reaped elsewhere: its end is not known
                status = -1
        if status == -1 or not os.WIFEXITED(status) or os.WEXITSTATUS(status) != 0:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None


def _assemble(ws: Any) -> str:
    fh = io.StringIO()
    ws._set_xml_writer(fh)
    ws._assemble_xml_file()
    return fh.getvalue()
