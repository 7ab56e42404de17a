"""What a generated form promises to whoever reads it back.

The forms step writes, and the inbox step reads, against this module only.
Everything the reader may rely on is a constant or a function here:

Main sheet (:data:`MAIN_SHEET`)
    Every input cell carries a **workbook-scoped defined name equal to its
    field code** (``tt_loa`` → ``'Báo cáo'!$C$14``). Names survive inserted
    rows and LibreOffice round trips (xlsx, ods, xls), so they are the first
    way to find a value. Input cells are unlocked and filled with
    :data:`INPUT_FILL`; everything else is locked and the sheet is protected
    without a password (:data:`SHEET_PASSWORD`).

Title block (top of the main sheet)
    Label and value in one cell, so copy-paste keeps them together:
    ``Đơn vị báo cáo: Thôn 1 (T01)`` (A4) and ``Kỳ báo cáo: Báo cáo 6 tháng
    đầu năm 2024 (6T-2024)`` (C4), ``Kế hoạch: <plan title> (<plan id>)`` (A5)
    and ``Hạn gửi báo cáo: 15/06/2024, …`` (C5). A reader should find them by
    prefix, not by address (:data:`UNIT_PREFIX`, :data:`PERIOD_PREFIX`,
    :data:`PLAN_PREFIX`, :data:`DEADLINE_PREFIX`); :func:`parse_title_line`
    splits such a cell into prefix, name and the code in the final
    parentheses. They identify a form whose metadata sheet is gone (its
    content copied into a new workbook).

Metadata sheet (:data:`META_SHEET`)
    Hidden (``veryHidden`` as written; LibreOffice saves it as ``hidden``, and
    a user may unhide it: find it by name, whatever its state) and protected.
    Rows, from row 1, columns A–C, every value a text cell:

    - row 1: :data:`META_MARKER` | :data:`CONTRACT_VERSION`
    - then one row per key of :data:`META_KEYS`: key | value (``unit_kind``
      is ``thon`` or ``donvi``; ``generated_at`` is local time,
      ``2024-05-02T08:30:00``; ``form_version`` is :func:`form_version`)
    - an empty row
    - a header row :data:`FIELD_TABLE_HEADER` (``field | cell | type``)
    - then one row per input: field code | cell reference
      (``'Báo cáo'!$C$14``, see :func:`parse_cell_ref`) | field type
      (``int``, ``yesno``, ``status``, ``text``, ``date``).

    :func:`metadata_rows` writes these rows and :func:`parse_metadata` reads
    them back from plain row tuples (openpyxl or python-calamine values),
    undoing what LibreOffice does to a code such as ``tt_mang_xa_hoi``.

Document properties
    The metadata sheet's keys and values again, as custom document properties
    (File → Properties → Custom): :data:`PROPERTY_MARKER` holds
    :data:`CONTRACT_VERSION`, and each key of :data:`META_KEYS` with a value is
    a text property named :data:`PROPERTY_PREFIX` + key (``wbt_unit_code``).
    Excel and LibreOffice keep them (xlsx and ods). A reader may identify a
    form from them without reading the metadata sheet, which stays the only
    place of the cell map. :func:`metadata_properties` lists them,
    :func:`parse_properties` reads them back. Forms generated before they
    existed have the sheet only.

File names
    :func:`form_filename` (ASCII only: email clients mangle Vietnamese
    attachment names) and :func:`unique_filenames` for clashes.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from workbook_tools.a1 import get_column_letter, parse_cell_ref
from workbook_tools.plan.model import Period, RosterEntry, Settings

#: Bump when the layout of this contract changes in a way a reader must know.
CONTRACT_VERSION = "1"

MAIN_SHEET = "Báo cáo"
META_SHEET = "_wbt_meta"
#: Cell A1 of the metadata sheet.
META_MARKER = "wbt-form"
#: The sheets are protected with no password; the officer can unprotect them
#: (Review → Unprotect Sheet) when a layout really must change.
SHEET_PASSWORD = ""

#: Background of every input cell (a light yellow that survives greyscale printing).
INPUT_FILL = "#FFF2CC"

#: The metadata keys, in the order they are written.
META_KEYS: tuple[str, ...] = (
    "plan_id",
    "plan_version",
    "form_version",
    "unit_code",
    "unit_name",
    "unit_kind",
    "period",
    "period_name",
    "generated_at",
    "tool_version",
)
FIELD_TABLE_HEADER: tuple[str, str, str] = ("field", "cell", "type")

UNIT_PREFIX = "Đơn vị báo cáo: "
PERIOD_PREFIX = "Kỳ báo cáo: "
PLAN_PREFIX = "Kế hoạch: "
DEADLINE_PREFIX = "Hạn gửi báo cáo: "
TITLE_PREFIXES: tuple[str, ...] = (UNIT_PREFIX, PERIOD_PREFIX, PLAN_PREFIX, DEADLINE_PREFIX)

#: Dates on forms, in the order Vietnamese readers expect.
DATE_FORMAT = "%d/%m/%Y"


def form_version(settings: Settings) -> str:
    """The version of a form: the plan's form version and this contract's, e.g. ``1.0+f1``.

    A reader compares the plan part with the current plan to tell an old form
    (fields may differ) from a current one.
    """
    return f"{settings.version}+f{CONTRACT_VERSION}"


# --- title block --------------------------------------------------------------


def unit_line(entry: RosterEntry) -> str:
    return f"{UNIT_PREFIX}{entry.name} ({entry.code})"


def period_line(period: Period) -> str:
    return f"{PERIOD_PREFIX}{period.name} ({period.code})"


def plan_line(settings: Settings) -> str:
    return f"{PLAN_PREFIX}{settings.plan_title} ({settings.plan_id})"


def deadline_line(period: Period, settings: Settings) -> str:
    when = format_date(period.unit_deadline)
    return f"{DEADLINE_PREFIX}{when}, gửi về UBND xã {settings.commune}"


@dataclass(frozen=True, slots=True)
class TitleLine:
    """A title-block cell split into its parts."""

    prefix: str  # one of TITLE_PREFIXES
    name: str  # the text after the prefix, without the code
    code: str | None  # the text in the final parentheses, if any


_TRAILING_CODE = re.compile(r"^(?P<name>.*?)\s*\((?P<code>[^()]*)\)\s*$", re.DOTALL)


def parse_title_line(text: str) -> TitleLine | None:
    """Split ``"Đơn vị báo cáo: Thôn 1 (T01)"`` into its prefix, name and code.

    Whitespace is collapsed first (users retype these lines); ``None`` when
    the text starts with none of :data:`TITLE_PREFIXES`.
    """
    cleaned = " ".join(unicodedata.normalize("NFC", text).split())
    for prefix in TITLE_PREFIXES:
        if cleaned.casefold().startswith(prefix.strip().casefold()):
            rest = cleaned[len(prefix.strip()) :].strip()
            if prefix == DEADLINE_PREFIX:
                return TitleLine(prefix, rest, None)
            match = _TRAILING_CODE.match(rest)
            if match is None:
                return TitleLine(prefix, rest, None)
            return TitleLine(prefix, match["name"], match["code"].strip() or None)
    return None


# --- metadata sheet -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FieldCell:
    """One input of a form: its field code, cell reference and type."""

    field: str
    ref: str  # "'Báo cáo'!$C$14"
    type: str


@dataclass(frozen=True, slots=True)
class FormMetadata:
    """What the metadata sheet holds. ``values`` has every key of :data:`META_KEYS`."""

    values: dict[str, str]
    fields: tuple[FieldCell, ...] = ()
    contract_version: str = CONTRACT_VERSION

    def get(self, key: str) -> str:
        return self.values.get(key, "")

    @property
    def identifies(self) -> bool:
        """Whether it says whose form this is: a unit or at least a plan."""
        return bool(self.get("unit_code") or self.get("plan_id"))

    @property
    def cells(self) -> dict[str, str]:
        """Field code → cell reference."""
        return {f.field: f.ref for f in self.fields}


def metadata_rows(meta: FormMetadata) -> list[tuple[str, ...]]:
    """The metadata sheet's rows from row 1 (an empty tuple is an empty row)."""
    rows: list[tuple[str, ...]] = [(META_MARKER, meta.contract_version)]
    rows.extend((key, meta.values.get(key, "")) for key in META_KEYS)
    rows.append(())
    rows.append(FIELD_TABLE_HEADER)
    rows.extend((f.field, f.ref, f.type) for f in meta.fields)
    return rows


def parse_metadata(rows: Iterable[Sequence[object]]) -> FormMetadata | None:
    """Read the metadata sheet's rows back; ``None`` if row 1 is not :data:`META_MARKER`.

    Cells may be ``None`` or numbers (a spreadsheet program may have turned
    ``"1"`` into ``1``); every value is read back as text. Unknown keys are
    kept, so a newer form still reads.
    """
    values: dict[str, str] = {}
    fields: list[FieldCell] = []
    contract = ""
    in_table = False
    for index, row in enumerate(rows):
        if in_table:
            # Every form of a layout has the same table: each row is read once a run.
            cell = _field_row(tuple(row[:3]))
            if cell is not None:
                fields.append(cell)
            continue
        # Columns A–C, each read only when the row needs it (a run reads thousands).
        size = len(row)
        key = _text(row[0], identifier=True) if size else ""
        if index == 0:
            if key != META_MARKER:
                return None
            contract = _text(row[1]) if size > 1 else ""
            continue
        if not key:
            continue
        value = _text(row[1]) if size > 1 else ""
        kind = _text(row[2]) if size > 2 and key == FIELD_TABLE_HEADER[0] else ""
        if (key, value, kind) == FIELD_TABLE_HEADER:
            in_table = True
        else:
            values[key] = value
    return FormMetadata(values=values, fields=tuple(fields), contract_version=contract)


# --- document properties ------------------------------------------------------

#: The custom document property that marks a form's own properties; its value is
#: :data:`CONTRACT_VERSION`.
PROPERTY_MARKER = "wbt_form"
#: Each key of :data:`META_KEYS` is a custom document property named with this prefix.
PROPERTY_PREFIX = "wbt_"


def metadata_properties(meta: FormMetadata) -> list[tuple[str, str]]:
    """A form's custom document properties: the marker, then every key that has a value."""
    props = [(PROPERTY_MARKER, meta.contract_version)]
    props.extend(
        (PROPERTY_PREFIX + key, meta.values[key]) for key in META_KEYS if meta.values.get(key)
    )
    return props


def parse_properties(properties: Mapping[str, str]) -> FormMetadata | None:
    """The metadata a workbook's custom document properties hold; None if they are not a form's.

    Unknown ``wbt_`` properties are kept as keys, so a newer form still reads.
    There is no cell map among them (:attr:`FormMetadata.fields` is empty).
    """
    version = properties.get(PROPERTY_MARKER)
    if version is None:
        return None
    values = {
        _text(name[len(PROPERTY_PREFIX) :], identifier=True): _text(value)
        for name, value in properties.items()
        if name.startswith(PROPERTY_PREFIX) and name != PROPERTY_MARKER
    }
    return FormMetadata(values=values, fields=(), contract_version=_text(version))


@functools.lru_cache(maxsize=8192)
def _field_row(row: tuple[object, ...]) -> FieldCell | None:
    """A row of the field table; None for an empty row or the header repeated."""
    size = len(row)
    key = _text(row[0], identifier=True) if size else ""
    if not key:
        return None
    value = _text(row[1]) if size > 1 else ""
    kind = _text(row[2]) if size > 2 else ""
    if (key, value, kind) == FIELD_TABLE_HEADER:
        return None
    return FieldCell(key, value, kind)


def _text(value: object, *, identifier: bool = False) -> str:
    if value is None:
        return ""
    if type(value) is str:
        return _clean_text(value, identifier)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _undo_lax_unescape(str(value), identifier=identifier).strip()


@functools.lru_cache(maxsize=4096)
def _clean_text(text: str, identifier: bool) -> str:
    # Every form of a period repeats most of these texts: each is cleaned once.
    return _undo_lax_unescape(text, identifier=identifier).strip()


#: Texts with no character :func:`_undo_lax_unescape` would write back.
_IDENTIFIER_TEXT = re.compile(r"[A-Za-z0-9_.\-]*")
_PLAIN_TEXT = re.compile(r"[^\x00-\x1f]*")


def _undo_lax_unescape(text: str, *, identifier: bool) -> str:
    """Undo LibreOffice's reading of ``_x`` + hex + ``_`` in an .xlsx string as a character.

    The format escapes a character as ``_x`` and exactly four hex digits;
    LibreOffice (7.x) also takes one to three, so ``tt_mang_xa_hoi`` comes back
    as ``tt_mang\nhoi``. The characters made that way are never in a field
    code or key (``identifier``: ASCII letters, digits, ``_``, ``.``, ``-``), nor
    control characters in a value, so they are written back as they were.
    """

    def mangled(char: str) -> bool:
        if identifier:
            return not (char.isascii() and (char.isalnum() or char in "_.-"))
        return ord(char) < 0x20

    # Nearly every text holds no such character: one regex pass says so.
    if (_IDENTIFIER_TEXT if identifier else _PLAIN_TEXT).fullmatch(text):
        return text
    return "".join(f"_x{ord(c):x}_" if mangled(c) else c for c in text)


# --- cell references ----------------------------------------------------------


def cell_ref(sheet: str, row: int, col: int) -> str:
    """``'Báo cáo'!$C$14`` for a 0-based row and column: what a defined name refers to."""
    quoted = sheet.replace("'", "''")
    return f"'{quoted}'!${get_column_letter(col + 1)}${row + 1}"


# --- file names ---------------------------------------------------------------

#: Longest name part of a file name: some mail gateways cut long attachment names.
MAX_NAME_SLUG = 40


def ascii_slug(text: str) -> str:
    """``"Công an xã"`` → ``"Cong-an-xa"``: no diacritics, ``đ`` → ``d``, ``-`` between words."""
    # đ/Đ are letters of their own, not d with a mark: NFKD leaves them alone.
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFKD", text)
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-")


def form_filename(period: str, entry: RosterEntry) -> str:
    """``6T-2024_T01_Thon-1.xlsx``: the period, the roster code and the name, ASCII only."""
    parts = [ascii_slug(period) or "ky", ascii_slug(entry.code) or "don-vi"]
    name = ascii_slug(entry.name)
    if len(name) > MAX_NAME_SLUG:
        name = name[:MAX_NAME_SLUG].rsplit("-", 1)[0] or name[:MAX_NAME_SLUG]
    if name and name.casefold() != parts[1].casefold():
        parts.append(name)
    return "_".join(parts) + ".xlsx"


def unique_filenames(names: Iterable[str]) -> list[str]:
    """The same names, with ``-2``, ``-3``… added before the extension where two clash.

    Names are compared case-insensitively: Windows and macOS folders are.
    """
    seen: set[str] = set()
    out: list[str] = []
    for name in names:
        stem, dot, ext = name.rpartition(".")
        if not dot:
            stem, ext = name, ""
        candidate, n = name, 1
        while candidate.casefold() in seen:
            n += 1
            candidate = f"{stem}-{n}{dot}{ext}"
        seen.add(candidate.casefold())
        out.append(candidate)
    return out


def format_date(day: date) -> str:
    return day.strftime(DATE_FORMAT)


__all__ = [
    "CONTRACT_VERSION",
    "DATE_FORMAT",
    "DEADLINE_PREFIX",
    "FIELD_TABLE_HEADER",
    "INPUT_FILL",
    "MAIN_SHEET",
    "META_KEYS",
    "META_MARKER",
    "META_SHEET",
    "PERIOD_PREFIX",
    "PLAN_PREFIX",
    "SHEET_PASSWORD",
    "TITLE_PREFIXES",
    "UNIT_PREFIX",
    "FieldCell",
    "FormMetadata",
    "TitleLine",
    "ascii_slug",
    "cell_ref",
    "deadline_line",
    "form_filename",
    "form_version",
    "format_date",
    "metadata_rows",
    "parse_cell_ref",
    "parse_metadata",
    "parse_title_line",
    "period_line",
    "plan_line",
    "unique_filenames",
    "unit_line",
]
