"""One normaliser for every value read from a returned form.

:func:`clean` takes what the spreadsheet reader gave for one input cell (str,
int, float, bool, date, datetime or None) and returns the value the field's
type asks for, or says why it cannot. It never raises for a cell's content and
never reads or writes a file.

What is read silently (nothing the officer needs to see):

- every text is Unicode NFC, trimmed, runs of spaces and tabs (also
  non-breaking and zero-width ones) made one space, line breaks kept;
- ``int``: 3, 3.0 (spreadsheets store every number as a float), ``" 12 "``;
- ``yesno`` / ``status``: the canonical words, whatever the spacing or
  Unicode form;
- ``date``: a date or datetime cell (the reader has already turned Excel
  serials into dates), and text in the form's own format ``15/06/2024``.
  Excel set to an English locale stores a typed ``15/06/2024`` as text, so
  that text is what most officers send: it is not a guess.

What is read with a warning showing how it was understood (a guess):

- ``int``: Vietnamese thousands ``"1.234"`` / ``"12.345.678"``, thousands with
  spaces ``"1 234"``, ``"12,345,678"`` (two or more comma groups cannot be a
  decimal), ``"12,0"`` / ``"12.00"``, ``"+12"``;
- ``yesno``: ``có``, ``co``, ``x``, ``yes``, TRUE, 1 … / ``khong``, ``ko``,
  ``chưa``, FALSE, 0 …; ``status``: the words without diacritics, another
  case, ``đã hoàn thành``, ``chưa`` …;
- ``date``: any other text date, day first as Vietnamese write them
  (``15-6-2024``, ``15.6.24``, ``2024-06-15``, ``ngày 15 tháng 6 năm 2024``)
  and a plain number between 1990 and 2100 as an Excel serial;
- text typed in a legacy Vietnamese font (TCVN3, VNI), converted to Unicode;
- ``decimal``: a number typed the English way (``"12.5"``, ``"1,234.5"``),
  thousands with spaces, more digits after the comma than the field keeps
  (rounded half up); ``money``: ``"1,500,000"``, ``"1,5 triệu"``, ``"2 tỷ"``;
- ``choice``: one of the field's choices without diacritics or in another case.

Read silently besides: ``decimal`` in the Vietnamese way, ``"12,5"``,
``"1.234,5"``; ``money`` with its thousands dots and the currency,
``"1.500.000 đ"``, ``"1.500.000 đồng"``, ``"1.500.000 VNĐ"``.

What is an error (the value is not used):

- ``int``: a negative number, a fraction (2.5, ``"1,5"``), TRUE/FALSE, a date,
  text with words (``"12 người"``: the number is suggested, not taken), and
  ``"1,234"``: one comma followed by exactly three digits is 1234 to an
  English reader and 1,234 to a Vietnamese one, so it is refused rather than
  guessed;
- ``date``: an impossible date (31/02/2024), month and day the wrong way
  round (06/15/2024: the swapped date is suggested), anything else;
- ``decimal``: ``"1,234"`` and, in a field of 3 decimals or more, ``"1.234"``
  (a thousand and some, or one and a fraction?), a negative number, words;
  ``money``: a part of a đồng, a negative amount, words; ``choice``: anything
  not among the field's choices;
- a spreadsheet error value (``#DIV/0!``), as text or as the reader's
  :class:`~workbook_tools.spreadsheet.CellError`; a formula saved without
  its result (``value.formula_uncalculated``: what it shows is not known); and
  legacy-font text that cannot be converted with confidence (to be retyped in
  Unicode).

Text that looks like a spreadsheet formula (``=HYPERLINK(…)``) is kept as the
user typed it: the writers store it as plain text.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import cast

from workbook_tools.checks import legacy_text
from workbook_tools.plan.model import NO, STATUS_VALUES, YES, Field, FieldType
from workbook_tools.problems import MESSAGES, Severity
from workbook_tools.spreadsheet import CellError
from workbook_tools.values import Value

#: Longest raw value shown in a message; the rest is cut with "…".
SHOWN_LIMIT = 120

#: Plain numbers read as Excel date serials only within these years (a lone 15
#: is a day typed without month, not 15/01/1900).
SERIAL_YEARS = (1990, 2100)

#: What a spreadsheet shows in a cell whose formula failed.
EXCEL_ERRORS = frozenset(
    {
        "#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
        "#GETTING_DATA", "#SPILL!", "#CALC!", "#FIELD!", "#BLOCKED!", "#UNKNOWN!",
        "#CONNECT!", "#BUSY!", "#NV", "Err:502", "Err:504", "Err:508", "Err:522",
    }
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The outcome of cleaning one cell.

    ``value`` is None when the cell is empty (``code`` None) or unreadable
    (``code`` names an error). A value with a ``code`` is a guess (a warning).
    ``shown`` is the raw value as the officer sees it; ``read_as`` how a guess
    was understood; ``hint`` a sentence suggesting a fix, added to an error's
    message.
    """

    value: Value | None
    code: str | None = None
    shown: str = ""
    read_as: str = ""
    hint: str = ""
    encoding: str = ""  # the legacy font text was converted from ("TCVN3", "VNI")

    @property
    def severity(self) -> Severity | None:
        return None if self.code is None else MESSAGES[self.code][0]

    @property
    def missing(self) -> bool:
        return self.value is None and self.code is None

    @property
    def guessed(self) -> bool:
        return self.value is not None and self.code is not None

    @property
    def failed(self) -> bool:
        return self.value is None and self.code is not None


def clean(field: Field, raw: object) -> Cleaned:
    """Clean ``raw``, as read from ``field``'s cell, into a value of the field's type."""
    kind: _Kind = field.type
    if field.type is FieldType.DECIMAL:
        kind = (field.type, field.places)
    elif field.type is FieldType.CHOICE:
        kind = (field.type, field.choices)
    if type(raw) in _REPEATED and not (isinstance(raw, str) and len(raw) > _REPEATED_TEXT):
        return _clean_repeated(kind, cast(_Repeated, raw))
    return _clean(kind, raw)


#: A field type, with what cleaning needs besides for some: a decimal field's
#: digits after the comma, a choice field's choices.
_Kind = FieldType | tuple[FieldType, int] | tuple[FieldType, tuple[str, ...]]


#: Values whose equality (within one type) means the same cleaning: the same
#: answers ("Có", 0, 12, "Hoàn thành"…) come back in most forms of a run, so
#: each is cleaned once. Dates are left out: equal aware datetimes can differ.
#: The cache key is the arguments of _clean_repeated: anything else cleaning
#: comes to depend on (a file's legacy font, say) must become one of them.
_REPEATED = frozenset({str, int, float, bool, type(None)})
_REPEATED_TEXT = 200
_Repeated = str | int | float | bool | None


@functools.lru_cache(maxsize=8192, typed=True)
def _clean_repeated(kind: _Kind, raw: _Repeated) -> Cleaned:
    return _clean(kind, raw)


def _clean(kind: _Kind, raw: object) -> Cleaned:
    shown = show(raw)
    if isinstance(kind, tuple):
        return _clean_detailed(kind, raw, shown)
    if isinstance(raw, str):
        text = clean_text(raw)
        if not text:
            return Cleaned(None, shown=shown)
        if text in EXCEL_ERRORS:
            return Cleaned(None, "value.excel_error", shown=shown)
        return _TEXT_CLEANERS[kind](text, shown)
    if raw is None:
        return Cleaned(None)
    if isinstance(raw, CellError):  # what calamine reads as empty: never a blank
        code = "value.excel_error" if raw.text else "value.formula_uncalculated"
        return Cleaned(None, code, shown=show(raw.shown))
    if isinstance(raw, Decimal | Fraction):
        raw = float(raw)
    return _OBJECT_CLEANERS[kind](raw, shown)


# --- showing values ------------------------------------------------------------


def format_date(day: date) -> str:
    """dd/mm/yyyy, as on the forms (zero-padded for any year)."""
    return f"{day.day:02d}/{day.month:02d}/{day.year:04d}"


def format_value(value: Value) -> str:
    """A cleaned value as the officer reads it."""
    if isinstance(value, date):
        return format_date(value)
    if isinstance(value, Fraction):
        return format_number(value)
    return str(value)


def format_number(value: int | Fraction, places: int | None = None) -> str:
    """``value`` the Vietnamese way: dots between thousands, a decimal comma ("1.234,5").

    ``places`` fixes the digits after the comma; None shows what the value has
    (at most 6, trailing zeros dropped).
    """
    digits = 6 if places is None else places
    scaled = abs(Fraction(value)) * 10**digits
    rounded = int(scaled + Fraction(1, 2))  # half up, like Excel
    whole, frac = divmod(rounded, 10**digits)
    text = f"{whole:,}".replace(",", ".")
    decimals = str(frac).rjust(digits, "0") if digits else ""
    if places is None:
        decimals = decimals.rstrip("0")
    sign = "-" if value < 0 and rounded else ""
    return sign + text + ("," + decimals if decimals else "")


def show(raw: object) -> str:
    """``raw`` as a spreadsheet would show it, cut to :data:`SHOWN_LIMIT` characters."""
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "TRUE" if raw else "FALSE"
    if isinstance(raw, int):
        text = str(raw) if abs(raw) < 10**30 else "<số quá lớn>"
    elif isinstance(raw, float | Decimal | Fraction):
        number = float(raw)
        if math.isfinite(number) and number.is_integer() and abs(number) < 1e16:
            text = str(int(number))
        else:
            text = f"{number:.15g}"
    elif isinstance(raw, datetime):
        text = format_date(raw)
        if (raw.hour, raw.minute, raw.second) != (0, 0, 0):
            text += f" {raw.hour:02d}:{raw.minute:02d}"
    elif isinstance(raw, date):
        text = format_date(raw)
    elif isinstance(raw, str):
        text = unicodedata.normalize("NFC", raw)
    else:
        text = f"<{type(raw).__name__}>"
    return text if len(text) <= SHOWN_LIMIT else text[: SHOWN_LIMIT - 1] + "…"


# --- text ----------------------------------------------------------------------

_NEWLINES = re.compile("\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
# Zero-width characters come along with text pasted from web pages and Zalo;
# they are invisible in the cell, so they are dropped. (Not the soft hyphen:
# U+00AD is the letter ư in TCVN3 text.)
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"), None)
# Other control characters cannot even be stored in an .xlsx file.
_CONTROL = re.compile("[\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f]")
_HORIZONTAL_SPACE = re.compile(r"[^\S\n]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """NFC, trimmed, one space between words, line breaks kept (at most one blank line)."""
    text = unicodedata.normalize("NFC", text)
    text = _NEWLINES.sub("\n", text).translate(_INVISIBLE)
    text = _CONTROL.sub("", text)
    lines = (_HORIZONTAL_SPACE.sub(" ", line).strip(" ") for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", "\n".join(lines).strip("\n"))
    # Removing an invisible character may bring a letter and its mark together.
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """A key for matching words typed loosely: no diacritics, lower case, single spaces."""
    text = text.replace("đ", "d").replace("Đ", "D")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split()).strip(" .!;,")


def _text(text: str, shown: str) -> Cleaned:
    converted, encoding, unreadable = _legacy(text)
    if unreadable:
        return Cleaned(None, "value.legacy_unreadable", shown=shown)
    if encoding is not None:
        return Cleaned(converted, "value.legacy_converted", shown=shown,
                       read_as=show(converted), encoding=encoding)
    return Cleaned(text, shown=shown)


def _legacy(text: str) -> tuple[str, str | None, bool]:
    """``text`` converted from a legacy font, the font's name, and whether it must be retyped."""
    if text.isascii():  # legacy fonts always use letters beyond ASCII
        return text, None, False
    converted, encoding = legacy_text.repair(text)
    if encoding is None:
        return text, None, False
    converted = clean_text(converted)
    return converted, legacy_text.LABELS[encoding], legacy_text.is_legacy(converted)


def _legacy_word(text: str, lookup: Callable[[str], str | None]) -> tuple[str, str] | None:
    """The word of a closed list ``text`` is in some legacy font, and the font's name.

    A choice among a few words can be read where free text could not: TCVN3
    ``Cã`` is a Vietnamese-looking syllable, but among Có/Không it is ``Có``.
    """
    if text.isascii():
        return None
    for encoding in legacy_text.LABELS:
        word = lookup(legacy_text.to_unicode(text, encoding))
        if word is not None:
            return word, legacy_text.LABELS[encoding]
    return None


def _object_text(raw: object, shown: str) -> Cleaned:
    # A number or date typed in a text field is kept as the spreadsheet showed
    # it; nothing is guessed. A number may have lost a leading 0 (a phone
    # number pasted as a number): the officer is told, the value is used.
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        return Cleaned(show(raw), "value.number_in_text", shown=shown)
    if isinstance(raw, date):
        return Cleaned(show(raw), shown=shown)
    return Cleaned(None, "value.unreadable", shown=shown)


# --- whole numbers ---------------------------------------------------------------

#: Longest number text read; a spreadsheet keeps 15 significant digits anyway.
MAX_DIGITS = 30
_DIGITS = re.compile(r"\+?[0-9]+")
_THOUSANDS = (
    re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+"),  # 1.234 / 12.345.678: Vietnamese
    re.compile(r"[0-9]{1,3}(?: [0-9]{3})+"),  # 1 234
    re.compile(r"[0-9]{1,3}(?:,[0-9]{3}){2,}"),  # 12,345,678: two groups, not a decimal
)
_ONE_COMMA_GROUP = re.compile(r"[0-9]{1,3},[0-9]{3}")
_ZERO_DECIMALS = re.compile(r"([0-9]+)[.,]0+")
_DECIMAL = re.compile(r"-?[0-9]*[.,][0-9]+|-?[0-9]+[.,]")
_NEGATIVE = re.compile(r"[-−–][0-9][0-9., ]*")
_LEADING_NUMBER = re.compile(r"([0-9][0-9.]*)\s*\S")


def _int_text(text: str, shown: str) -> Cleaned:
    if len(text) > MAX_DIGITS:
        return Cleaned(None, "value.not_int", shown=shown)
    if _DIGITS.fullmatch(text):
        number = int(text)
        code = "value.int_text" if text.startswith("+") else None
        return Cleaned(number, code, shown=shown, read_as=str(number))
    for pattern in _THOUSANDS:
        if pattern.fullmatch(text):
            number = int(re.sub(r"[., ]", "", text))
            return Cleaned(number, "value.int_text", shown=shown, read_as=str(number))
    if _ONE_COMMA_GROUP.fullmatch(text):
        return Cleaned(None, "value.int_ambiguous", shown=shown, read_as=text.replace(",", ""))
    whole = _ZERO_DECIMALS.fullmatch(text)
    if whole:
        number = int(whole[1])
        return Cleaned(number, "value.int_text", shown=shown, read_as=str(number))
    if _NEGATIVE.fullmatch(text):
        return Cleaned(None, "value.negative", shown=shown)
    if _DECIMAL.fullmatch(text):
        return Cleaned(None, "value.fraction", shown=shown)
    leading = _LEADING_NUMBER.match(text)
    hint = ""
    if leading and any(ch.isalpha() for ch in text):
        digits = leading[1].rstrip(".")
        if _DIGITS.fullmatch(digits) or any(p.fullmatch(digits) for p in _THOUSANDS):
            hint = f" Có phải ý bạn là {int(digits.replace('.', ''))}?"
    return Cleaned(None, "value.not_int", shown=shown, hint=hint)


def _int_object(raw: object, shown: str) -> Cleaned:
    if isinstance(raw, bool):
        return Cleaned(None, "value.not_int", shown=shown)
    if isinstance(raw, int):
        if raw < 0:
            return Cleaned(None, "value.negative", shown=shown)
        return Cleaned(raw, shown=shown)
    if isinstance(raw, float):
        if not math.isfinite(raw):
            return Cleaned(None, "value.not_int", shown=shown)
        if raw < 0:
            return Cleaned(None, "value.negative", shown=shown)
        if not raw.is_integer():
            return Cleaned(None, "value.fraction", shown=shown)
        return Cleaned(int(raw), shown=shown)
    if isinstance(raw, date):
        # A number typed into a cell formatted as a date shows as a date of 1900.
        hint = ""
        day = raw.date() if isinstance(raw, datetime) else raw
        if day.year == 1900:
            serial = (day - date(1899, 12, 31)).days + (1 if day >= date(1900, 3, 1) else 0)
            hint = f" Có phải ý bạn là {serial}?"
        return Cleaned(None, "value.int_date", shown=shown, hint=hint)
    return Cleaned(None, "value.unreadable", shown=shown)


# --- Có / Không ----------------------------------------------------------------

_YES_WORDS = frozenset(
    {"co", "c", "x", "v", "yes", "y", "true", "1", "da co", "co roi", "da", "roi", "ok",
     "✓", "✔", "☑"}
)  # fmt: skip
_NO_WORDS = frozenset(
    {"khong", "k", "ko", "kh", "kg", "khg", "khong co", "chua", "chua co", "no", "n",
     "false", "0"}
)  # fmt: skip


def _yesno_word(text: str) -> str | None:
    key = fold(text)
    if key in _YES_WORDS:
        return YES
    if key in _NO_WORDS:
        return NO
    return None


def _yesno_text(text: str, shown: str) -> Cleaned:
    if text in (YES, NO):
        return Cleaned(text, shown=shown)
    word = _yesno_word(text)
    if word is not None:
        return Cleaned(word, "value.yesno_spelling", shown=shown, read_as=word)
    legacy = _legacy_word(text, _yesno_word)
    if legacy is not None:
        word, encoding = legacy
        return Cleaned(word, "value.legacy_converted", shown=shown, read_as=word,
                       encoding=encoding)
    return Cleaned(None, "value.yesno_invalid", shown=shown)


def _yesno_object(raw: object, shown: str) -> Cleaned:
    # TRUE/FALSE come from a check box or a copied formula; 1/0 from a tally.
    if isinstance(raw, bool | int | float) and raw in (0, 1):
        word = YES if raw else NO
        return Cleaned(word, "value.yesno_spelling", shown=shown, read_as=word)
    return Cleaned(None, "value.yesno_invalid", shown=shown)


# --- status ----------------------------------------------------------------------

_DONE, _ONGOING, _NOT_STARTED = STATUS_VALUES
_STATUS_WORDS = {
    fold(_DONE): _DONE,
    "da hoan thanh": _DONE,
    "hoan thanh roi": _DONE,
    fold(_ONGOING): _ONGOING,
    "dang trien khai": _ONGOING,
    "dang lam": _ONGOING,
    fold(_NOT_STARTED): _NOT_STARTED,
    "chua trien khai": _NOT_STARTED,
    "chua lam": _NOT_STARTED,
    "chua": _NOT_STARTED,
}


def _status_text(text: str, shown: str) -> Cleaned:
    if text in STATUS_VALUES:
        return Cleaned(text, shown=shown)
    word = _STATUS_WORDS.get(fold(text))
    if word is not None:
        return Cleaned(word, "value.status_spelling", shown=shown, read_as=word)
    legacy = _legacy_word(text, lambda t: _STATUS_WORDS.get(fold(t)))
    if legacy is not None:
        word, encoding = legacy
        return Cleaned(word, "value.legacy_converted", shown=shown, read_as=word,
                       encoding=encoding)
    return Cleaned(None, "value.status_invalid", shown=shown)


def _status_object(raw: object, shown: str) -> Cleaned:
    return Cleaned(None, "value.status_invalid", shown=shown)


# --- dates -------------------------------------------------------------------------

_CANONICAL_DATE = re.compile(r"([0-9]{2})/([0-9]{2})/([0-9]{4})")
_SEP = r"\s*[/.\-]\s*"
_DAY_FIRST = re.compile(rf"([0-9]{{1,2}}){_SEP}([0-9]{{1,2}}){_SEP}([0-9]{{4}}|[0-9]{{2}})")
_ISO = re.compile(
    r"([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})(?:[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?"
)
_WORDS = re.compile(r"(?:ngay\s*)?([0-9]{1,2})\s*thang\s*([0-9]{1,2})\s*nam\s*([0-9]{4})")


def _date_text(text: str, shown: str) -> Cleaned:
    canonical = _CANONICAL_DATE.fullmatch(text)
    if canonical:
        day, month, year = (int(g) for g in canonical.groups())
        return _make_date(year, month, day, shown, guessed=False)
    iso = _ISO.fullmatch(text)
    if iso:
        year, month, day = (int(g) for g in iso.groups())
        return _make_date(year, month, day, shown, guessed=True)
    match = _DAY_FIRST.fullmatch(text) or _WORDS.fullmatch(fold(text))
    if match:
        day, month, year = (int(g) for g in match.groups())
        if len(match[3]) == 2:
            year += 2000  # "15/6/24": every date of this tool is in this century
        return _make_date(year, month, day, shown, guessed=True)
    return Cleaned(None, "value.date_invalid", shown=shown)


def _make_date(year: int, month: int, day: int, shown: str, *, guessed: bool) -> Cleaned:
    try:
        value = date(year, month, day)
    except ValueError:
        hint = ""
        if month > 12 and day <= 12:
            try:
                swapped = date(year, day, month)
            except ValueError:
                pass
            else:
                hint = (f" Có phải ý bạn là {format_date(swapped)}? Ngày viết theo thứ tự "
                        "ngày/tháng/năm.")
                return Cleaned(None, "value.date_invalid", shown=shown, hint=hint)
        return Cleaned(None, "value.date_impossible", shown=shown)
    if guessed:
        return Cleaned(value, "value.date_text", shown=shown, read_as=format_date(value))
    return Cleaned(value, shown=shown)


def _date_object(raw: object, shown: str) -> Cleaned:
    if isinstance(raw, datetime):
        return Cleaned(raw.date(), shown=shown)
    if isinstance(raw, date):
        return Cleaned(raw, shown=shown)
    if isinstance(raw, int | float) and not isinstance(raw, bool) and math.isfinite(raw):
        first, last = (_serial_of(year) for year in SERIAL_YEARS)
        if first <= raw < last:
            # Here only: importing openpyxl costs every run a fifth of a second.
            from openpyxl.utils.datetime import from_excel

            value = from_excel(raw).date()
            return Cleaned(value, "value.date_serial", shown=shown, read_as=format_date(value))
    return Cleaned(None, "value.date_invalid", shown=shown)


def _serial_of(year: int) -> int:
    """Excel's serial number of 1 January ``year`` (1900 date system)."""
    return (date(year, 1, 1) - date(1899, 12, 30)).days


# --- decimal numbers, money, choices -------------------------------------------------
# Vietnamese write 1.234,5: a dot between thousands and a decimal comma. What
# an English-set Excel or a phone keyboard gives (1,234.5, 12.5) is read too,
# with a warning; what could be either (1,234: 1234 or 1,234?) is refused.

_VI_NUMBER = re.compile(r"[0-9]{1,3}(?:\.[0-9]{3})+(?:,[0-9]+)?|[0-9]+(?:,[0-9]+)?")
_EN_NUMBER = re.compile(r"[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?|[0-9]+\.[0-9]+")
_SPACED_NUMBER = re.compile(r"[0-9]{1,3}(?: [0-9]{3})+(?:[.,][0-9]+)?")
_CURRENCY = re.compile(r"\s*(?:đồng|đ|vnđ|vnd|₫|dong|d)\.?$", re.IGNORECASE)
_MONEY_WORDS = {"nghìn": 10**3, "ngàn": 10**3, "nghin": 10**3, "ngan": 10**3, "triệu": 10**6,
                "trieu": 10**6, "tr": 10**6, "tỷ": 10**9, "tỉ": 10**9, "ty": 10**9, "ti": 10**9}
_SCALED_MONEY = re.compile(r"([0-9]+(?:[.,][0-9]+)?)\s*(" + "|".join(_MONEY_WORDS) + r")",
                           re.IGNORECASE)


def _number_text(text: str, places: int) -> tuple[Fraction | None, str | None]:
    """The number ``text`` holds, and the code of the warning or error that goes with it.

    ``places`` is the most digits after the comma the field keeps (0: whole).
    """
    compact = text.replace("\u00a0", " ").strip()
    if compact.startswith("+"):
        compact = compact[1:].lstrip()
    if _NEGATIVE.fullmatch(compact):
        return None, "value.negative"
    ambiguous = re.fullmatch(r"[0-9]{1,3}([.,])[0-9]{3}", compact)
    if ambiguous and (ambiguous[1] == "," or places >= 3):
        # 1,234 (or 1.234 where three decimals are kept): a thousand and some, or one and a bit?
        return None, "value.number_ambiguous"
    if _VI_NUMBER.fullmatch(compact):
        number = Fraction(Decimal(compact.replace(".", "").replace(",", ".")))
        # 1.234 alone is a thousand and some to a Vietnamese reader, not to an English one.
        return number, "value.number_text" if ambiguous else None
    if _EN_NUMBER.fullmatch(compact):
        return Fraction(Decimal(compact.replace(",", ""))), "value.number_text"
    if _SPACED_NUMBER.fullmatch(compact):
        return Fraction(Decimal(compact.replace(" ", "").replace(",", "."))), "value.number_text"
    return None, None


def _number_hint(text: str) -> str:
    leading = re.match(r"([0-9][0-9.,]*)\s*\S", text)
    if leading and any(ch.isalpha() for ch in text):
        return f" Có phải ý bạn là {leading[1].rstrip('.,')}?"
    return ""


def _decimal(raw: object, shown: str, places: int) -> Cleaned:
    if isinstance(raw, str):
        text = clean_text(raw)
        number, code = _number_text(text, places)
        if number is None:
            code = code or "value.not_decimal"
            return Cleaned(None, code, shown=shown, hint=_number_hint(text) if
                           code == "value.not_decimal" else "")
    elif isinstance(raw, Fraction | Decimal):
        number, code = Fraction(raw), None  # exact: a value cleaned before
        if number < 0:
            return Cleaned(None, "value.negative", shown=shown)
    elif isinstance(raw, bool | date) or not isinstance(raw, int | float):
        code = "value.not_decimal" if isinstance(raw, bool | date) else "value.unreadable"
        return Cleaned(None, code, shown=shown)
    elif isinstance(raw, float) and not math.isfinite(raw):
        return Cleaned(None, "value.not_decimal", shown=shown)
    else:
        # repr() is the shortest decimal that reads back as the same float: 12.3 → 123/10.
        number, code = Fraction(Decimal(repr(raw))), None
        if number < 0:
            return Cleaned(None, "value.negative", shown=shown)
    kept = Fraction(int(number * 10**places + Fraction(1, 2)), 10**places)  # half up, as Excel
    if kept != number:
        return Cleaned(kept, "value.decimal_rounded", shown=shown,
                       read_as=format_number(kept, places),
                       hint=f" (trường này giữ {places} chữ số sau dấu phẩy)")
    return Cleaned(kept, code, shown=shown, read_as=format_number(kept))


def _money(raw: object, shown: str) -> Cleaned:
    if not isinstance(raw, str):
        if isinstance(raw, float) and math.isfinite(raw) and raw >= 0 and not raw.is_integer():
            return Cleaned(None, "value.money_fraction", shown=shown)
        cleaned = _int_object(raw, shown)
        return cleaned if cleaned.value is not None else _money_error(cleaned, shown)
    text = clean_text(raw)
    bare = _CURRENCY.sub("", text).strip()
    scaled = _SCALED_MONEY.fullmatch(bare)
    if scaled:
        scaled_amount = Fraction(Decimal(scaled[1].replace(",", "."))) * _MONEY_WORDS[
            scaled[2].lower()
        ]
        if scaled_amount.denominator != 1:
            return Cleaned(None, "value.money_fraction", shown=shown)
        return Cleaned(int(scaled_amount), "value.money_text", shown=shown,
                       read_as=format_number(int(scaled_amount)))
    if re.fullmatch(r"[0-9]{1,3}(?:,[0-9]{3})+", bare):
        amount = int(bare.replace(",", ""))  # 1,500,000: a part of a đồng is never meant
        return Cleaned(amount, "value.money_text", shown=shown, read_as=format_number(amount))
    number, code = _number_text(bare, 0)
    if number is None:
        if code == "value.number_ambiguous":  # 1.234 of money is a thousand and some
            number, code = Fraction(int(bare.replace(".", ""))), None
        else:
            code = code or "value.not_money"
            return Cleaned(None, code, shown=shown,
                           hint=_number_hint(bare) if code == "value.not_money" else "")
    if number.denominator != 1:
        return Cleaned(None, "value.money_fraction", shown=shown)
    if code == "value.number_text" and re.fullmatch(r"[0-9]{1,3}\.[0-9]{3}", bare):
        code = None  # 1.500 đ: the thousands dot, as Vietnamese write money
    elif code == "value.number_text":
        code = "value.money_text"
    return Cleaned(int(number), code, shown=shown, read_as=format_number(int(number)))


def _money_error(cleaned: Cleaned, shown: str) -> Cleaned:
    if cleaned.code in ("value.not_int", "value.int_date"):
        return Cleaned(None, "value.not_money", shown=shown)
    return cleaned


def _choice(raw: object, shown: str, choices: tuple[str, ...]) -> Cleaned:
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        return Cleaned(None, "value.choice_invalid", shown=shown)
    text = clean_text(raw) if isinstance(raw, str) else show(raw)
    if text in choices:
        return Cleaned(text, shown=shown)
    by_key = _choice_keys(choices)
    word = by_key.get(fold(text))
    if word is not None:
        return Cleaned(word, "value.choice_spelling", shown=shown, read_as=word)
    legacy = _legacy_word(text, lambda t: by_key.get(fold(t)))
    if legacy is not None:
        word, encoding = legacy
        return Cleaned(word, "value.legacy_converted", shown=shown, read_as=word,
                       encoding=encoding)
    return Cleaned(None, "value.choice_invalid", shown=shown)


@functools.lru_cache(maxsize=64)
def _choice_keys(choices: tuple[str, ...]) -> dict[str, str]:
    return {fold(c): c for c in reversed(choices)}  # the first of two alike wins


def _clean_detailed(kind: tuple[FieldType, object], raw: object, shown: str) -> Cleaned:
    """A decimal or choice field: cleaning needs its decimals or its choices."""
    if raw is None or (isinstance(raw, str) and not clean_text(raw)):
        return Cleaned(None, shown=shown)
    if isinstance(raw, str) and clean_text(raw) in EXCEL_ERRORS:
        return Cleaned(None, "value.excel_error", shown=shown)
    if isinstance(raw, CellError):
        code = "value.excel_error" if raw.text else "value.formula_uncalculated"
        return Cleaned(None, code, shown=show(raw.shown))
    field_type, detail = kind
    if isinstance(raw, Decimal | Fraction) and field_type is not FieldType.DECIMAL:
        raw = float(raw)
    if field_type is FieldType.DECIMAL:
        return _decimal(raw, shown, cast(int, detail))
    return _choice(raw, shown, cast(tuple[str, ...], detail))


# --- dispatch ------------------------------------------------------------------------

_TEXT_CLEANERS = {
    FieldType.INT: _int_text,
    FieldType.YESNO: _yesno_text,
    FieldType.STATUS: _status_text,
    FieldType.TEXT: _text,
    FieldType.DATE: _date_text,
    FieldType.MONEY: _money,
}
_OBJECT_CLEANERS = {
    FieldType.INT: _int_object,
    FieldType.YESNO: _yesno_object,
    FieldType.STATUS: _status_object,
    FieldType.TEXT: _object_text,
    FieldType.DATE: _date_object,
    FieldType.MONEY: _money,
}
