"""How numbers read in Vietnamese: a decimal comma, a dot between thousands; and a
sentence's first letter (:func:`upper_first`), for the consolidation's notes as for the
report's words."""

from __future__ import annotations

from fractions import Fraction


def percent_text(value: Fraction, decimals: int = 1) -> str:
    """``value`` as a Vietnamese percentage, e.g. "94,96%"; half-up rounding."""
    scaled = value * 100 * 10**decimals
    rounded = int(scaled + Fraction(1, 2)) if scaled >= 0 else -int(-scaled + Fraction(1, 2))
    whole, frac = divmod(abs(rounded), 10**decimals)
    sign = "-" if rounded < 0 else ""
    text = f"{sign}{whole:,}".replace(",", ".")
    if decimals:
        text += "," + str(frac).rjust(decimals, "0")
    return text + "%"


def target_text(value: Fraction) -> str:
    """A target as the officer writes it: two decimals at most, none trailing ("95%", "12,5%")."""
    text = percent_text(value, 2)
    if "," in text:
        text = text[:-1].rstrip("0").rstrip(",") + "%"
    return text


def thousands_text(value: int) -> str:
    """A whole number with a dot between thousands, e.g. "1.250", "-12.000"."""
    return f"{value:,}".replace(",", ".")


def number_text(value: int | Fraction, decimals: int = 2) -> str:
    """A count or a sum as the officer writes it: "1.250", "12,5" (half-up, no trailing zeros)."""
    if isinstance(value, int) or value.denominator == 1:
        return thousands_text(int(value))
    text = percent_text(value / 100, decimals)[:-1]  # the same rounding, without the sign
    return text.rstrip("0").rstrip(",")


def upper_first(text: str) -> str:
    """``text`` with its first letter a capital: "chưa có số liệu" -> "Chưa có số liệu"."""
    return text[:1].upper() + text[1:]
