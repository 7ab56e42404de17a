"""What the officer types into a period's report, remembered for the period.

The report's number (số/ký hiệu, "45/BC-UBND"), the signing date, the signer's
name and title, the body the report goes to and the receivers (Nơi nhận, the
body first: a báo cáo has no "Kính gửi") are given once, with
``wbt merge --number … --date …``, and kept in
the period's record (:mod:`workbook_tools.report.write`: the hidden
``.wbt-report.json`` beside the report, written with it, all or none): every
later merge of the period uses them until the officer gives another value, or
an empty one (``--number ""``) to go back to the plan's value or a blank.

:class:`Entries` is what was given (``None``: not given); :func:`resolve` adds
the plan's settings (signer, title, body) for what was not, giving the
:class:`ResolvedEntries` the workbook and the Word report are written from.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, fields
from datetime import date
from typing import Any

from workbook_tools.plan.model import Settings

#: The kind and issuer part of a report's number when the officer gives the number alone.
NUMBER_SUFFIX = "/BC-UBND"

#: Options of ``wbt merge`` by field, for messages.
OPTIONS = {
    "number": "--number",
    "signed_on": "--date",
    "signer_name": "--signer",
    "signer_title": "--title",
    "report_to": "--to",
    "recipients": "--recipient",
}


@dataclass(frozen=True, slots=True)
class Entries:
    """The officer's entries for a period's report; ``None``: not given."""

    number: str | None = None  # "45/BC-UBND"
    signed_on: date | None = None
    signer_name: str | None = None
    signer_title: str | None = None
    report_to: str | None = None  # the body it goes to: first in Nơi nhận
    recipients: tuple[str, ...] | None = None  # Nơi nhận, before the "Lưu:" line

    def updated(self, changes: Entries, cleared: frozenset[str] = frozenset()) -> Entries:
        """These entries with ``changes`` given (their fields not ``None``) and the fields
        named in ``cleared`` forgotten."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        for f in fields(changes):
            value = getattr(changes, f.name)
            if value is not None:
                values[f.name] = value
        for name in cleared:
            values[name] = None
        return Entries(**values)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, date):
                out[f.name] = value.isoformat()
            elif isinstance(value, tuple):
                out[f.name] = list(value)
            elif value is not None:
                out[f.name] = value
        return out

    @classmethod
    def from_json(cls, data: object) -> Entries:
        """Entries read back from the record; what cannot be read is left out (not given)."""
        if not isinstance(data, dict):
            return cls()
        values: dict[str, Any] = {}
        for name in ("number", "signer_name", "signer_title", "report_to"):
            if isinstance(data.get(name), str):
                values[name] = data[name]
        with_date = data.get("signed_on")
        if isinstance(with_date, str):
            with contextlib.suppress(ValueError):
                values["signed_on"] = date.fromisoformat(with_date)
        recipients = data.get("recipients")
        if isinstance(recipients, list) and all(isinstance(r, str) for r in recipients):
            values["recipients"] = tuple(recipients)
        return cls(**values)


@dataclass(frozen=True, slots=True)
class ResolvedEntries:
    """The entries the report is written with: the officer's, else the plan's, else blank."""

    number: str  # "" : the blank "Số:        /BC-UBND" for a number written by hand
    signed_on: date | None  # None: the date of the consolidation
    signer_name: str
    signer_title: str
    report_to: str
    recipients: tuple[str, ...]  # each "- …;" line of Nơi nhận before "Lưu:"

    @property
    def number_line(self) -> str:
        """The title block's number line: "Số: 45/BC-UBND", or blank for the pen."""
        return f"Số: {self.number}" if self.number else f"Số:        {NUMBER_SUFFIX}"


def resolve(given: Entries, settings: Settings) -> ResolvedEntries:
    """The officer's entries completed from the plan's settings."""
    report_to = given.report_to if given.report_to is not None else settings.report_to
    recipients = given.recipients if given.recipients is not None else ()
    # A báo cáo has no "Kính gửi": the body it goes to is its first receiver (Nơi nhận).
    if report_to and report_to.casefold() not in {r.casefold() for r in recipients}:
        recipients = (report_to, *recipients)
    return ResolvedEntries(
        number=full_number(given.number or ""),
        signed_on=given.signed_on,
        signer_name=given.signer_name if given.signer_name is not None else settings.signer_name,
        signer_title=(
            given.signer_title if given.signer_title is not None else settings.signer_title
        ),
        report_to=report_to,
        recipients=recipients,
    )


def full_number(number: str) -> str:
    """A number given alone ("45") with the report's kind and issuer ("45/BC-UBND")."""
    number = " ".join(number.split())
    if number and "/" not in number:
        return f"{number}{NUMBER_SUFFIX}"
    return number


_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")


class EntryError(ValueError):
    """An entry the officer typed that cannot be used; the message is Vietnamese."""


def parse_date(text: str) -> date:
    """A signing date typed as day/month/year (18/06/2024, 18-6-2024, 18.06.2024) or
    2024-06-18; :class:`EntryError` otherwise (said after the option's name)."""
    typed = text.strip()
    found = _DATE.fullmatch(typed)
    if found:
        day, month, year = (int(x) for x in found.groups())
    elif found := _ISO_DATE.fullmatch(typed):
        year, month, day = (int(x) for x in found.groups())
    else:
        raise EntryError(
            f'"{text}" không phải là một ngày. Hãy ghi ngày ký theo dạng '
            "ngày/tháng/năm, ví dụ 18/06/2024."
        )
    try:
        return date(year, month, day)
    except ValueError:
        raise EntryError(
            f'"{text}": không có ngày {day} tháng {month} năm {year}. Hãy ghi ngày '
            "ký theo dạng ngày/tháng/năm, ví dụ 18/06/2024."
        ) from None


def clean_recipient(text: str) -> str:
    """A receiver as typed ("- UBND huyện X;") without the dash and the end mark the report
    adds."""
    return " ".join(text.strip().lstrip("-–+• ").rstrip(";.,").split())
