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


def commune_deadline_text(period: Period, today: date) -> str:
    """'Hạn xã gửi báo cáo tổng hợp: 20/06/2024 (còn 2 ngày)', or how long ago it passed."""
    left = days_left(period.commune_deadline, today)
    if left > 0:
        when = f"còn {left} ngày"
    elif left == 0:
        when = "hôm nay là ngày cuối"
    else:
        when = f"đã quá hạn {-left} ngày"
    return f"Hạn xã gửi báo cáo tổng hợp: {period.commune_deadline:%d/%m/%Y} ({when})"
