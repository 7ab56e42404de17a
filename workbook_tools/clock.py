"""Times moved between zones in one guarded place: this computer's local time (as the
files' times and the ledger keep them) and the plan's time zone (where on time and late
are judged, and what the officer reads).

:meth:`datetime.astimezone` fails (``OverflowError``, or ``OSError``/``ValueError`` on
Windows for times before 1970 or far ahead) for a time near the ends of the calendar,
which a mail's header or a file's stamp can hold (``Date: Fri, 31 Dec 9999 23:59:59
-1200``, year 0001). Every conversion goes through :func:`local` or :func:`in_zone`,
which keep the time as it is written then, and a time read from outside (a mail's
header) is first checked with :func:`believable`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo

#: The earliest year a reply can be from (no form of this tool is older).
FIRST_YEAR = 2000


def local(moment: datetime) -> datetime:
    """``moment`` as naive local time of this computer; a naive one is taken as that
    already. A time the platform cannot convert is kept as written."""
    if moment.tzinfo is None:
        return moment
    try:
        return moment.astimezone().replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return moment.replace(tzinfo=None)


def in_zone(moment: datetime, zone: tzinfo | None) -> datetime:
    """``moment`` (aware, or naive local time of this computer) as naive time in ``zone``
    (this computer's when None). A time the platform cannot convert is kept as written."""
    try:
        return moment.astimezone(zone).replace(tzinfo=None)
    except (OverflowError, OSError, ValueError):
        return moment.replace(tzinfo=None)


def with_offset(moment: datetime) -> str:
    """``moment`` (naive local time) as ISO text with its UTC offset: one instant, whatever
    the computer's time zone is when it is read back; kept as written when the platform
    cannot convert it."""
    try:
        return moment.astimezone().isoformat()
    except (OverflowError, OSError, ValueError):
        return moment.isoformat()


def believable(moment: datetime, now: datetime | None = None) -> bool:
    """Whether an aware time read from outside (a mail's Date, a server's stamp) can be a
    reply's: from :data:`FIRST_YEAR` on, and not more than a day after ``now`` (aware;
    the present when None). A year 0001 or 9999 is a clock or a header gone wrong."""
    now = now or datetime.now(UTC)
    if not FIRST_YEAR <= moment.year <= now.year + 1:
        return False
    try:
        return moment <= now + timedelta(days=1)
    except (OverflowError, TypeError):
        return False
