"""Feedback copies: a returned form with every problem marked, ready to send back.

:func:`build_feedback` returns the bytes of the copy; :func:`write_feedback`
writes them (whole or not at all) as ``<stem>_phan_hoi.xlsx``;
:func:`write_feedback_copies` writes one for every returned file of a period
that has something to correct. The returned file is only ever read.

- ``.xlsx`` / ``.xlsm``: the workbook itself, loaded with openpyxl (macros and
  external links dropped) and saved as ``.xlsx``. Each problem cell gets a
  red (error) or orange (warning) fill, distinct from the forms' yellow input
  fill, and a comment by "UBND xã" saying what to fix. A first sheet
  "Cần sửa" lists every problem, each cell reference a link to the cell. The
  hidden metadata sheet, the defined names and the protection stay, so the
  corrected copy is read back like the original form. Marks and the list left
  by an earlier feedback round are removed first.
- ``.xls`` / ``.ods``, any workbook openpyxl cannot open or write back, and
  one too large for openpyxl to hold in memory (far larger than any form): a
  new workbook with the "Cần sửa" sheet only, saying that the unit should
  correct its own file at the cells listed.

Every text the officer or the unit typed is stored as a plain string (never a
formula or a link): cell type ``s`` with Excel's quote prefix, so that even
editing the cell keeps ``=HYPERLINK(…)`` as text.
"""

from __future__ import annotations

import io
import math
import re
import zipfile
from collections import Counter
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils.cell import coordinate_to_tuple
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from workbook_tools import safety
from workbook_tools.errors import OutputError
from workbook_tools.forms.contract import INPUT_FILL
from workbook_tools.inbox.model import InboxResult, Submission, SubmissionStatus
from workbook_tools.plan.model import Plan
from workbook_tools.problems import SEVERITY_LABELS, Problem, Severity
from workbook_tools.values import CELL_CHARS
from workbook_tools.workspace import lock_files, remove_stale_temporaries, write_atomic

#: Folder of the feedback copies inside the period's outbox.
FEEDBACK_FOLDER = "phan_hoi"
SUMMARY_SHEET = "Cần sửa"
AUTHOR = "UBND xã"
SUFFIX = "_phan_hoi"
#: What openpyxl opens; other workbooks get a summary-only feedback.
OPENPYXL_SUFFIXES = (".xlsx", ".xlsm", ".xltx", ".xltm")
#: Largest workbook (all its parts, inflated) marked in place. openpyxl holds
#: every cell as an object, a few hundred bytes each: a form is about 50 KB,
#: and a workbook of this size already takes it a second and 100 MB or more.
OPENPYXL_MAX_INFLATED = 4 * 1024 * 1024
#: Largest used range of a sheet (rows × columns) marked in place: each of its
#: cells is looked at. A form's is about a thousand; a sparse sheet whose
#: cells lie far apart gets the list alone.
MAX_MARKED_RANGE = 200_000

ERROR_FILL = "FF8A80"  # red, black text stays readable on it
WARNING_FILL = "FFB74D"  # orange: not the yellow of the input cells
FILLS = {Severity.ERROR: ERROR_FILL, Severity.WARNING: WARNING_FILL}

#: Longest text a spreadsheet cell holds.
#: Characters that make a spreadsheet read typed text as a formula.
FORMULA_STARTS = ("=", "+", "-", "@")

HEADERS = ("STT", "Mức độ", "Trang", "Ô", "Mục", "Giá trị đã đọc", "Cần sửa")
WIDTHS = (5, 10, 12, 7, 36, 22, 80)
#: Points a wrapped line takes; a spreadsheet does not size rows of a file it opens.
LINE_HEIGHT = 15
MAX_ROW_HEIGHT = 409
_ORDER = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
#: How a cell's earlier note is kept under ours.
_KEPT_NOTE = "\n\n—— Ghi chú trước đó ({author}):\n"
_KEPT = re.compile(r"\n\n—— Ghi chú trước đó \((.*?)\):\n(.*)\Z", re.DOTALL)


def feedback_folder(outbox_period: Path) -> Path:
    """``outbox/<period>/phan_hoi``."""
    return outbox_period / FEEDBACK_FOLDER


def needs_feedback(problems: Iterable[Problem]) -> bool:
    """Whether a file's problems call for a feedback copy (an error or a warning, not notes)."""
    return any(p.severity in FILLS for p in problems)


def feedback_name(original: Path | str, *, with_extension: bool = False) -> str:
    """``6T-2024_T01_Thon-1.xlsx`` → ``6T-2024_T01_Thon-1_phan_hoi.xlsx`` (also for .xls/.ods).

    ``with_extension`` keeps the original's extension in the name
    (``T01_xls_phan_hoi.xlsx``), for files that differ only by it.
    """
    path = Path(original)
    extension = path.suffix.lstrip(".").lower()
    stem = f"{path.stem}_{extension}" if with_extension and extension else path.stem
    return f"{stem}{SUFFIX}.xlsx"


#: The codes of the safety step's findings (:mod:`workbook_tools.safety`): a file
#: rejected with one of them as an error was refused by it, and is never opened again.
SAFETY_CODES = "file."


@dataclass(frozen=True, slots=True)
class FeedbackCopies:
    """What :func:`write_feedback_copies` did."""

    written: list[Path] = field(default_factory=list)  # the copies, in the inbox's order
    failed: list[str] = field(default_factory=list)  # why others were not written (Vietnamese)
    #: The copy of each returned file (its name in the inbox ->), to send back with it.
    by_file: dict[str, Path] = field(default_factory=dict)


def write_feedback_copies(
    plan: Plan,
    result: InboxResult,
    inbox_dir: Path,
    folder: Path,
    *,
    files: Collection[str] | None = None,
) -> FeedbackCopies:
    """One feedback copy per returned file with an error or a warning (of ``files`` only,
    if given: a file the officer returns, ``wbt review --return``).

    ``result`` is what the inbox and checks steps found for a period,
    ``inbox_dir`` the folder its file names are relative to, ``folder`` the
    period's outbox: the copies go to its :data:`FEEDBACK_FOLDER`, in the
    inbox's own subfolders. A file the safety step refused is never opened
    again (it gets no copy); one whose problems are only notes needs none.
    A copy that cannot be written (open in Excel, say) is left as it was and
    said in ``failed``; the others are written all the same. Run it holding
    the run lock.
    """
    by_file: dict[str, list[Problem]] = {}
    for p in result.problems:
        if p.file is not None:
            by_file.setdefault(p.file, []).append(p)
    submissions = {s.file: s for s in result.submissions}
    chosen = [
        (file, found)
        for file, found in by_file.items()
        # Superseded, duplicate, other period: nothing to correct.
        if (files is None or file in files)
        and needs_feedback(found)
        and _openable(submissions.get(file), found, inbox_dir / file)
    ]
    labels = {f.code: f.label for f in plan.all_fields}
    period = plan.period(result.period)
    target = folder / FEEDBACK_FOLDER

    # T01.xls and T01.xlsx side by side would get one copy each of the same
    # name (the same on Windows whatever the case): they keep their extension.
    def key(file: str) -> str:
        return f"{PurePosixPath(file).parent}/{feedback_name(file)}".casefold()

    copies_named = Counter(key(file) for file, _ in chosen)
    written: list[Path] = []
    failed: list[str] = []
    copies: dict[str, Path] = {}
    for file, found in chosen:
        submission = submissions.get(file)
        original = inbox_dir / _stored_name(submission, file)
        unit = submission.unit if submission is not None else None
        title = f"{plan.entry(unit).name} - {period.name}" if unit else period.name
        name = feedback_name(file, with_extension=copies_named[key(file)] > 1)
        try:
            copy = write_feedback(
                original,
                found,
                target / PurePosixPath(file).parent,
                labels=labels,
                title=title,
                name=name,
                shown=PurePosixPath(file).name,
            )
            written.append(copy)
            copies[file] = copy
        except OutputError as err:  # writing the copy: write_atomic says which and why
            failed.append(str(err))
        except OSError as err:  # reading the returned file again: it went away since it was read
            failed.append(
                f"Không đọc lại được tệp {original} để tạo bản phản hồi ({err.strerror})."
            )
    return FeedbackCopies(written=written, failed=failed, by_file=copies)


def _openable(submission: Submission | None, problems: Sequence[Problem], path: Path) -> bool:
    """Whether a returned file may be opened again for its copy.

    Not if the safety step refused it when it was read (a zip bomb stays shut);
    a file the inbox step has no record of is looked at by the safety step now.
    """
    if submission is None:
        return safety.inspect(path).usable
    refused = submission.status is SubmissionStatus.REJECTED and any(
        p.severity is Severity.ERROR and p.code.startswith(SAFETY_CODES) for p in problems
    )
    return not refused


def _stored_name(submission: Submission | None, file: str) -> str:
    """The file's name on disk: the inbox step may record one that differs from ``file``
    (a name stored decomposed)."""
    if submission is not None and submission.stored_as:
        return submission.stored_as
    return file


def write_feedback(
    original: Path,
    problems: Sequence[Problem],
    folder: Path,
    *,
    labels: Mapping[str, str] | None = None,
    title: str = "",
    name: str | None = None,
    shown: str | None = None,
) -> Path:
    """Write the feedback copy of ``original`` into ``folder``; returns its path.

    ``name`` is the copy's file name (default :func:`feedback_name`); ``shown``
    the returned file's name as the officer sees it (see :func:`build_feedback`). A copy
    open in a spreadsheet program is left as it is: :class:`OutputError` says
    to close it. Run it holding the run lock (temporaries left by a run killed
    mid-write are removed first).
    """
    path = folder / (name or feedback_name(original))
    locks = lock_files(path)
    if locks:
        raise OutputError(
            f"Bản phản hồi {path} đang được mở (trong Excel, LibreOffice hoặc WPS) nên chưa ghi "
            "lại; bản cũ vẫn được giữ nguyên. Hãy đóng tệp rồi chạy lại lệnh. Nếu tệp không mở "
            f"ở đâu cả, hãy xóa tệp khóa {locks[0]}."
        )
    remove_stale_temporaries(path)
    write_atomic(
        path,
        build_feedback(original, problems, labels=labels, title=title, shown=shown),
        what="bản phản hồi",
    )
    return path


def build_feedback(
    original: Path,
    problems: Sequence[Problem],
    *,
    labels: Mapping[str, str] | None = None,
    title: str = "",
    shown: str | None = None,
) -> bytes:
    """The feedback copy of ``original`` as ``.xlsx`` bytes.

    ``labels`` maps field codes to the labels shown in the list (the problem's
    field code otherwise); ``title`` names the unit in the list's heading;
    ``shown`` is the file's name as the officer sees it (default: its name on
    disk, which may hold bytes no text can: a name that is not UTF-8).
    """
    # Looked at again, as at reading: the file may have been replaced since.
    inspection = safety.inspect(original)
    workbook = _open(original, inspection.content) if inspection.usable else None
    if workbook is not None:
        try:
            _clear_previous(workbook)
            _mark(workbook, problems)
            _summary(workbook, shown or original.name, problems, labels or {}, title, marked=True)
            return _save(workbook)
        except Exception:  # a foreign workbook openpyxl reads but cannot write back
            pass
    workbook = Workbook()
    default = workbook.active
    if default is not None:
        workbook.remove(default)
    _summary(workbook, shown or original.name, problems, labels or {}, title, marked=False)
    return _save(workbook)


def _save(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _open(original: Path, data: bytes) -> Workbook | None:
    if original.suffix.lower() not in OPENPYXL_SUFFIXES:
        return None
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # The safety step has checked these sizes against the bytes themselves.
            if sum(info.file_size for info in archive.infolist()) > OPENPYXL_MAX_INFLATED:
                return None
        return load_workbook(io.BytesIO(data), keep_vba=False, keep_links=False)
    except Exception:  # any failure of a foreign file: fall back to the list
        return None


# --- marking cells ----------------------------------------------------------------


def _fill(color: str) -> PatternFill:
    return PatternFill(fill_type="solid", start_color=color, end_color=color)


def _color(cell: Cell | MergedCell) -> str:
    rgb = cell.fill.fgColor.rgb if cell.fill is not None and cell.fill.fgColor is not None else ""
    return rgb[-6:].upper() if isinstance(rgb, str) else ""


def _clear_previous(workbook: Workbook) -> None:
    """Remove what an earlier feedback round added: its list, comments and fills.

    Also cut a text longer than a cell may hold (Excel would call the copy damaged).
    """
    if SUMMARY_SHEET in workbook.sheetnames:
        workbook.remove(workbook[SUMMARY_SHEET])
    ours = set(FILLS.values())
    for ws in workbook.worksheets:
        if ws.max_row * ws.max_column > MAX_MARKED_RANGE:
            raise ValueError(f"sheet {ws.title!r} is too large to mark in place")
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell, MergedCell):
                    continue
                if (
                    cell.value is None
                    and not cell.has_style
                    and cell.comment is None
                    and cell.hyperlink is None
                ):
                    # Made by iter_rows (or kept empty by the file): the copy has
                    # only the file's own cells.
                    del ws[cell.coordinate]
                    continue
                if isinstance(cell.value, str) and len(cell.value) > CELL_CHARS:
                    kind = cell.data_type
                    cell.value = cell.value[:CELL_CHARS]
                    cell.data_type = kind  # the assignment makes text starting with "=" a formula
                if cell.comment is not None and cell.comment.author == AUTHOR:
                    kept = _KEPT.search(cell.comment.text)
                    cell.comment = Comment(kept[2], kept[1]) if kept else None
                if _color(cell) in ours:
                    cell.fill = _fill(INPUT_FILL.lstrip("#"))


def _mark(workbook: Workbook, problems: Sequence[Problem]) -> None:
    by_cell: dict[tuple[str, str], list[Problem]] = {}
    for problem in problems:
        if problem.sheet and problem.cell:
            by_cell.setdefault((problem.sheet, problem.cell.replace("$", "")), []).append(problem)
    for (sheet, ref), found in by_cell.items():
        cell = _cell(workbook, sheet, ref)
        if cell is None:
            continue
        worst = min((p.severity for p in found), key=_ORDER.__getitem__)
        if worst in FILLS:
            cell.fill = _fill(FILLS[worst])
        text = "\n\n".join(f"{SEVERITY_LABELS[p.severity]}: {p.message}" for p in found)
        if cell.comment is not None and cell.comment.author != AUTHOR:
            # Keep the form's own note below ours, to restore it in the next round.
            text += _KEPT_NOTE.format(author=cell.comment.author or "") + cell.comment.text
        cell.comment = _comment(text)


def _cell(workbook: Workbook, sheet: str, ref: str) -> Cell | None:
    """The cell ``ref`` of ``sheet``, or the first cell of the merged range it falls in."""
    if sheet not in workbook.sheetnames:
        return None
    ws: object = workbook[sheet]
    if not isinstance(ws, Worksheet):  # a chart sheet
        return None
    try:
        row, col = coordinate_to_tuple(ref)
    except (ValueError, TypeError):
        return None
    cell = ws.cell(row=row, column=col)
    if isinstance(cell, MergedCell):
        for merged in ws.merged_cells.ranges:
            if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
                anchor = ws.cell(row=merged.min_row, column=merged.min_col)
                return anchor if isinstance(anchor, Cell) else None
        return None
    return cell


def _comment(text: str) -> Comment:
    text = _plain(text)
    lines = sum(1 + len(line) // 50 for line in text.split("\n"))
    return Comment(text, AUTHOR, height=min(600, 24 + 16 * lines), width=360)


# --- the list of problems ---------------------------------------------------------


def _plain(text: str) -> str:
    """``text`` as a cell can hold it: no control characters, within the length limit."""
    text = ILLEGAL_CHARACTERS_RE.sub("", text)
    return text if len(text) <= CELL_CHARS else text[: CELL_CHARS - 1] + "…"


def write_text(ws: Worksheet, row: int, col: int, text: str) -> Cell:
    """Write ``text`` as a plain string, even when it starts like a formula."""
    cell = ws.cell(row=row, column=col)
    if not isinstance(cell, Cell):  # pragma: no cover - the list sheet has no merges there
        raise TypeError(f"cell {row},{col} is merged")
    text = _plain(text)
    cell.value = text
    # openpyxl takes any str starting with "=" for a formula; the type says otherwise,
    # and the quote prefix keeps it text when someone edits the cell in Excel.
    cell.data_type = "s"
    if text.lstrip().startswith(FORMULA_STARTS) or "\t=" in text or "\n=" in text:
        cell.quotePrefix = True
    return cell


def _lines(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide."""
    chars = max(int(width * 1.1), 1)
    return sum(max(1, math.ceil(len(part) / chars)) for part in text.split("\n"))


def _sorted(problems: Iterable[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: _ORDER[p.severity])


def _summary(
    workbook: Workbook,
    filename: str,
    problems: Sequence[Problem],
    labels: Mapping[str, str],
    title: str,
    *,
    marked: bool,
) -> None:
    ws = workbook.create_sheet(SUMMARY_SHEET, 0)
    errors = sum(p.severity is Severity.ERROR for p in problems)
    warnings = sum(p.severity is Severity.WARNING for p in problems)
    heading = f"Những chỗ cần sửa trong tệp {filename}"
    if title:
        heading += f" ({title})"
    write_text(ws, 1, 1, heading).font = Font(bold=True, size=13)
    if marked:
        guide = (
            f"Có {errors} lỗi (ô tô đỏ: giá trị chưa dùng được, cần sửa) và {warnings} cảnh "
            "báo (ô tô cam: đã đọc theo cách hiểu ghi trong ghi chú, hãy xem lại). Đưa chuột "
            "vào ô để đọc ghi chú, hoặc bấm vào địa chỉ ô ở cột Ô. Sửa xong hãy lưu tệp và gửi "
            "lại cho UBND xã; không cần xóa trang này."
        )
    else:
        guide = (
            f"Có {errors} lỗi và {warnings} cảnh báo. Tệp gửi về không phải dạng .xlsx nên "
            "không đánh dấu trực tiếp được: hãy mở tệp của mình, sửa các ô dưới đây, lưu lại "
            "(nên lưu dạng .xlsx) và gửi lại cho UBND xã."
        )
    guide_cell = write_text(ws, 2, 1, guide)
    guide_cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(HEADERS))
    ws.row_dimensions[2].height = _lines(guide, sum(WIDTHS)) * LINE_HEIGHT + 3
    for col, header in enumerate(HEADERS, start=1):
        write_text(ws, 4, col, header).font = Font(bold=True)
    for col, width in enumerate(WIDTHS, start=1):
        ws.column_dimensions[chr(ord("A") + col - 1)].width = width
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, problem in enumerate(_sorted(problems), start=5):
        label = labels.get(problem.field or "", problem.field or "")
        texts = (
            SEVERITY_LABELS[problem.severity],
            problem.sheet or "",
            problem.cell or "",
            label,
            problem.value or "",
            problem.message,
        )
        ws.cell(row=row, column=1, value=row - 4).alignment = wrap
        for col, text in enumerate(texts, start=2):
            write_text(ws, row, col, text).alignment = wrap
        lines = max(_lines(text, width) for text, width in zip(texts, WIDTHS[1:], strict=True))
        ws.row_dimensions[row].height = min(MAX_ROW_HEIGHT, lines * LINE_HEIGHT + 3)
        if marked and problem.sheet and problem.cell and problem.sheet in workbook.sheetnames:
            link = ws.cell(row=row, column=4)
            quoted = problem.sheet.replace("'", "''")
            link.hyperlink = Hyperlink(ref=link.coordinate, location=f"'{quoted}'!{problem.cell}")
            link.font = Font(color="0563C1", underline="single")
        if problem.severity in FILLS:
            ws.cell(row=row, column=2).fill = _fill(FILLS[problem.severity])
    ws.freeze_panes = "A5"
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    # Open on the list, with no other sheet selected (two selected tabs group them).
    for other in workbook.worksheets:
        other.sheet_view.tabSelected = False
    ws.sheet_view.tabSelected = True
    workbook.active = 0
