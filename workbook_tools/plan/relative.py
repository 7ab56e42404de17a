"""Targets relative to the past: "tăng ít nhất 10 % so với cùng kỳ".

An indicator's target ("Mức cần đạt") may compare its figure with an earlier
report's instead of a fixed level. The officer writes it in words; the grammar
(case, spaces and a trailing full stop do not matter; "%" may be written
"phần trăm"; a decimal comma is allowed):

    relative  := change "so với" base
    change    := ("tăng" | "giảm") ("ít nhất" | "tối thiểu") PERCENT
               | "không giảm" | "không tăng"
    base      := "cùng kỳ" ["năm trước" | "năm ngoái"]  -- the same period of the year before
               | "kỳ trước"                  -- the plan's previous period

The figure compared is the indicator's rate (a ratio) or its count (an
indicator with no denominator), this period's against the earlier report's
as sent (its JSON summary). "tăng ít nhất 10 %" is met when the figure is at
least 110 % of the earlier one ("tăng" from 0: any figure above 0); "giảm ít
nhất 10 %" when it is at most 90 % of it; "không giảm" when it is at least
the earlier one, "không tăng" when at most.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from fractions import Fraction

from workbook_tools.numbers import target_text


class Base(StrEnum):
    """Which earlier report the figure is compared with."""

    SAME_PERIOD_LAST_YEAR = "cung_ky"
    PREVIOUS = "ky_truoc"


BASE_WORDS = {Base.SAME_PERIOD_LAST_YEAR: "cùng kỳ năm trước", Base.PREVIOUS: "kỳ trước"}


class Direction(StrEnum):
    UP = "tang"  # at least the earlier figure plus ``amount`` of it
    DOWN = "giam"  # at most the earlier figure minus ``amount`` of it


@dataclass(frozen=True, slots=True)
class RelativeTarget:
    """A target against an earlier report: ``direction`` by at least ``amount`` (a share of
    the earlier figure; 0 for "không giảm", "không tăng") against ``base``."""

    direction: Direction
    amount: Fraction
    base: Base

    @property
    def shown(self) -> str:
        """The target as the report prints it: "tăng ít nhất 10% so với cùng kỳ năm trước"."""
        base = BASE_WORDS[self.base]
        if self.amount == 0:
            verb = "không giảm" if self.direction is Direction.UP else "không tăng"
            return f"{verb} so với {base}"
        verb = "tăng" if self.direction is Direction.UP else "giảm"
        return f"{verb} ít nhất {target_text(self.amount)} so với {base}"

    def reached(self, figure: Fraction, earlier: Fraction) -> bool:
        """Whether ``figure`` meets the target against the ``earlier`` one (exact)."""
        if self.direction is Direction.UP:
            if earlier == 0 and self.amount > 0:
                return figure > 0  # any rise from nothing is a rise
            return figure >= earlier * (1 + self.amount)
        return figure <= earlier * (1 - self.amount)


#: What the officer may write, said in the plan check's message.
EXAMPLES = (
    "'tăng ít nhất 10% so với cùng kỳ', 'giảm ít nhất 5% so với kỳ trước', "
    "'không giảm so với kỳ trước'"
)

_CHANGE = re.compile(
    r"^(?P<verb>tăng|giảm)\s+(?:ít nhất|tối thiểu)\s+(?P<amount>[0-9]+(?:[.,][0-9]+)?)\s*"
    r"(?:%|phần trăm)$"
)
_STEADY = re.compile(r"^không\s+(?P<verb>giảm|tăng)$")
_BASES = (
    (re.compile(r"^cùng kỳ(?:\s+(?:của\s+)?năm (?:trước|ngoái))?$"), Base.SAME_PERIOD_LAST_YEAR),
    (re.compile(r"^kỳ trước$"), Base.PREVIOUS),
)
#: The largest rise or fall written: "tăng ít nhất 1000 %".
MAX_AMOUNT = Fraction(10)


def looks_relative(text: object) -> bool:
    """Whether a target cell is meant as a relative target (words, not a number)."""
    if not isinstance(text, str):
        return False
    words = _normal(text)
    return words.startswith(("tăng", "giảm", "không")) or "so với" in words


def parse_relative(text: str) -> RelativeTarget | str:
    """The relative target ``text`` writes, or what is wrong with it (Vietnamese)."""
    words = _normal(text)
    change, sep, base_words = words.partition("so với")
    if not sep:
        return "thiếu phần 'so với cùng kỳ' hoặc 'so với kỳ trước'"
    base = next((b for pattern, b in _BASES if pattern.match(base_words.strip())), None)
    if base is None:
        return f"sau 'so với' cần ghi 'cùng kỳ' hoặc 'kỳ trước', không phải '{base_words.strip()}'"
    change = change.strip()
    if match := _STEADY.match(change):
        up = match["verb"] == "giảm"  # "không giảm": at least the earlier figure
        return RelativeTarget(Direction.UP if up else Direction.DOWN, Fraction(0), base)
    match = _CHANGE.match(change)
    if match is None:
        return (
            "trước 'so với' cần ghi mức tăng, giảm dạng 'tăng ít nhất 10%', 'giảm ít nhất 5%', "
            f"hoặc 'không giảm', 'không tăng', không phải '{change}'"
        )
    try:
        amount = Fraction(Decimal(match["amount"].replace(",", "."))) / 100
    except InvalidOperation:  # pragma: no cover - the pattern admits only digits
        return f"không đọc được số phần trăm '{match['amount']}'"
    if not 0 < amount <= MAX_AMOUNT or (match["verb"] == "giảm" and amount > 1):
        return (
            f"mức tăng, giảm phải lớn hơn 0%, tăng thì không quá {target_text(MAX_AMOUNT)} "
            f"(giảm thì không quá 100%), không phải {target_text(amount)}"
        )
    direction = Direction.UP if match["verb"] == "tăng" else Direction.DOWN
    return RelativeTarget(direction, amount, base)


def _normal(text: str) -> str:
    words = unicodedata.normalize("NFC", text).casefold().replace("\u00a0", " ")
    return " ".join(words.split()).rstrip(".").strip()
