"""Checks against the past and the peers: figures to verify ("cần xác minh").

Run at the merge over the consolidated tables (one pandas column per field, one
row per roster entry, NA where no usable value), once per field, never per cell.
A blank is not a zero: a blank (or a value in error) is compared with nothing.
Each figure flagged is a warning naming the entry, the field, its cell and the
figures compared:

- **A figure adding up over the year went down** (``compare.cumulative_fall``):
  a field the plan marks "Cộng dồn", lower in this report than in the previous
  report of the same entry, when this period covers the previous one (the annual
  report after the 6-month one).
- **Far from its own previous period** (``compare.far_from_previous``): more than
  ``change_factor`` times the previous figure, or less than that share of it, and
  more than ``outlier_min`` apart (0 then 50 is asked about; 0 then 8 is not).
  A fall already said as a cumulative fall is not said again.
- **Far from the peers** (``compare.far_from_peers``), over the villages that gave
  the figure (at least :data:`MIN_PEERS` of them): with ``m`` their median and
  ``MAD`` the median of ``|x − m|``, ``x`` is flagged when

      |x − m| > outlier_k × s   and   |x − m| > outlier_min,

  where ``s = 1.4826 × MAD`` (the standard deviation, were the figures normal,
  a scale that a few huge figures do not move). Where more than half the
  villages gave the same figure (many zeros), MAD is 0; then ``s = 1.2533 ×``
  the mean of ``|x − m|`` (the same scale by the mean deviation), and with every
  figure equal nothing is flagged. The absolute minimum keeps small counts
  (2, 3, 0, 4 sessions) from ever being flagged for being small.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

import pandas as pd

from workbook_tools import problems
from workbook_tools.history import EarlierReport, History
from workbook_tools.inbox.model import Submission
from workbook_tools.numbers import number_text
from workbook_tools.plan.model import Field, Kind, Period, Plan
from workbook_tools.problems import Problem
from workbook_tools.values import NUMBER_TYPES

NAN = float("nan")
#: Fewer villages giving a figure than this: no median worth comparing with.
MIN_PEERS = 5
#: MAD × this estimates the standard deviation of normal figures.
MAD_SCALE = 1.4826
#: The mean absolute deviation × this estimates it too (used when MAD is 0).
MEAN_AD_SCALE = 1.2533


def past_and_peer_problems(
    plan: Plan,
    period: Period,
    villages: tuple[pd.DataFrame, Sequence[Field]],
    units: tuple[pd.DataFrame, Sequence[Field]],
    used: Mapping[str, Submission],
    history: History,
) -> list[Problem]:
    """The figures to verify: against the previous report (the villages' table and the
    units', each with its fields) and against the other villages."""
    out: list[Problem] = []
    previous = history.previous
    if previous is not None and previous.values:
        for frame, fields in (villages, units):
            out.extend(_against_previous(plan, period, frame, fields, used, previous))
    out.extend(_against_peers(plan, *villages, used))
    return out


def _as_float(column: pd.Series) -> pd.Series:
    """A number column as floats, NaN where blank or no number (a decimal's Fraction too)."""
    if column.dtype == object:
        column = column.map(lambda v: v if isinstance(v, int | Fraction) else None)
        return pd.Series(
            [NAN if v is None else float(v) for v in column.tolist()],
            index=column.index,
            dtype="float64",
        )
    return pd.Series(
        column.to_numpy(dtype="float64", na_value=NAN), index=column.index, dtype="float64"
    )


def _plain(value: object) -> object:
    """A table's cell as Python holds it (a NumPy scalar's own value)."""
    item = getattr(value, "item", None)
    return item() if callable(item) else value


def _previous_frame(
    previous: EarlierReport, codes: pd.Index, fields: Sequence[str]
) -> pd.DataFrame:
    """The previous report's numbers of ``fields`` for the entries ``codes`` (NaN: blank,
    absent or not reported then)."""
    rows = {
        code: {f: (NAN if v is None else float(v)) for f, v in values.items()}
        for code, values in previous.values.items()
    }
    frame = pd.DataFrame.from_dict(rows, orient="index", dtype="float64")
    return frame.reindex(index=codes, columns=list(fields))


def _against_previous(
    plan: Plan,
    period: Period,
    frame: pd.DataFrame,
    fields: Sequence[Field],
    used: Mapping[str, Submission],
    previous: EarlierReport,
) -> list[Problem]:
    numeric = [f for f in fields if f.type in NUMBER_TYPES]
    if not numeric or frame.empty:
        return []
    before = _previous_frame(previous, frame.index, [f.code for f in numeric])
    settings = plan.settings
    factor = float(settings.change_factor)
    least = float(settings.outlier_min)
    covered = previous.covered_by(period)
    times = number_text(settings.change_factor)
    out: list[Problem] = []
    for f in numeric:
        now = _as_float(frame[f.code])
        then = before[f.code]
        both = now.notna() & then.notna()
        if not both.any():
            continue
        fell = both & (now < then) if f.cumulative and covered else pd.Series(False, now.index)
        far = (
            both
            & ((now - then).abs() > least)
            & ((now > then * factor) | (now * factor < then))
            & ~fell
        )
        for code in now.index[fell]:
            out.append(
                _problem(
                    "compare.cumulative_fall",
                    plan,
                    code,
                    f,
                    used,
                    frame.at[code, f.code],
                    period_name=period.name,
                    previous=_reported(previous, code, f),
                    previous_name=f"{previous.period_name} ({previous.period})",
                )
            )
        for code in now.index[far]:
            out.append(
                _problem(
                    "compare.far_from_previous",
                    plan,
                    code,
                    f,
                    used,
                    frame.at[code, f.code],
                    how=(
                        f"gấp hơn {times} lần" if now[code] > then[code] else f"chưa bằng 1/{times}"
                    ),
                    previous=_reported(previous, code, f),
                    previous_name=f"{previous.period_name} ({previous.period})",
                )
            )
    return out


def _against_peers(
    plan: Plan,
    villages: pd.DataFrame,
    fields: Sequence[Field],
    used: Mapping[str, Submission],
) -> list[Problem]:
    settings = plan.settings
    k = float(settings.outlier_k)
    least = float(settings.outlier_min)
    word = settings.kind_word(Kind.VILLAGE)
    out: list[Problem] = []
    for f in fields:
        if f.type not in NUMBER_TYPES:
            continue
        column = _as_float(villages[f.code]).dropna()
        if len(column) < MIN_PEERS:
            continue
        median = float(column.median())
        deviation = (column - median).abs()
        scale = MAD_SCALE * float(deviation.median())
        if scale == 0:
            scale = MEAN_AD_SCALE * float(deviation.mean())
        if scale == 0:
            continue  # every village gave the same figure
        threshold = max(k * scale, least)
        flagged = deviation.index[(deviation > threshold).to_numpy()]
        for code in flagged:
            out.append(
                _problem(
                    "compare.far_from_peers",
                    plan,
                    code,
                    f,
                    used,
                    villages.at[code, f.code],
                    village=word,
                    count=len(column),
                    median=_shown(median),
                    difference=_shown(abs(float(column[code]) - median)),
                    threshold=_shown(threshold),
                )
            )
    return out


def _reported(previous: EarlierReport, unit: str, f: Field) -> str:
    """What ``unit`` reported for ``f`` in the ``previous`` report, exact: "2,5"."""
    value = previous.values[unit][f.code]
    assert value is not None  # compared only where it was given
    return number_text(value)


def _shown(number: float) -> str:
    """A figure as the officer writes it: "12", "2,5", "1.250"."""
    exact = Fraction(number).limit_denominator(100)
    return number_text(exact.numerator if exact.denominator == 1 else exact)


def _problem(
    code: str,
    plan: Plan,
    unit: str,
    f: Field,
    used: Mapping[str, Submission],
    value: object,
    **context: object,
) -> Problem:
    """A warning on ``unit``'s cell of ``f``, with its value as the officer typed it."""
    submission = used.get(unit)
    address = submission.cells.get(f.code) if submission is not None else None
    sheet, _, cell = address.rpartition("!") if address else ("", "", "")
    value = _plain(value)
    shown = number_text(value) if isinstance(value, int | Fraction) else str(value)
    fill: dict[str, Any] = {"name": plan.entry(unit).name, "label": f.label, **context}
    return problems.make(
        code,
        file=submission.file if submission is not None else None,
        unit=unit,
        sheet=sheet or None,
        cell=cell or None,
        field=f.code,
        value=shown,
        **fill,
    )
