"""The commune's own deadline (plan IV.1): how many days are left, in the officer's words.

Kept apart from the consolidation (which loads pandas) so that ``wbt status``
can say it too.
"""

from __future__ import annotations

from datetime import date

from workbook_tools.plan.model import Period


def days_left(deadline: date, today: date) -> int:
    """Days from ``today`` to ``deadline``: 0 on the day itself, negative once it has passed."""
    return (deadline - today).days


def days_left_text(deadline: date, today: date) -> str:
    """'còn 2 ngày', 'hôm nay là ngày cuối' or 'đã quá hạn 3 ngày'."""
    left = days_left(deadline, today)
    if left > 0:
        return f"còn {left} ngày"
    if left == 0:
        return "hôm nay là ngày cuối"
    return f"đã quá hạn {-left} ngày"


def commune_deadline_text(period: Period, today: date) -> str:
    """'Hạn xã gửi báo cáo tổng hợp: 20/06/2024 (còn 2 ngày)', or how long ago it passed."""
    when = days_left_text(period.commune_deadline, today)
    return f"Hạn xã gửi báo cáo tổng hợp: {period.commune_deadline:%d/%m/%Y} ({when})"
