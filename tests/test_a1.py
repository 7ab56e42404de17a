"""A1 references read exactly as openpyxl reads them: same values, same errors."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl.utils import cell as openpyxl_cell

from workbook_tools import a1

# Letters, digits and the punctuation of references, so that most draws are
# near misses of a valid reference rather than noise.
REFERENCE_TEXT = st.text(alphabet="ABCXYZabz0129$:!' .-_Báo cáo", max_size=24)


def outcome(function: Callable[[object], object], argument: object) -> object:
    """The value, or the error's class name and message (what a problem record shows)."""
    try:
        return function(argument)
    except Exception as err:
        return (type(err).__name__, str(err))


def test_column_letters_for_every_column_and_beyond() -> None:
    for index in range(-2, 18282):
        assert outcome(a1.get_column_letter, index) == outcome(
            openpyxl_cell.get_column_letter, index
        )


@pytest.mark.parametrize(
    "text",
    ["A1", "$C$14", "c14", "A0", "XFD1048576", "AAAA1", "1A", "", "B$2", "ZZZ9"],
)
def test_known_coordinates(text: str) -> None:
    assert outcome(a1.coordinate_from_string, text) == outcome(
        openpyxl_cell.coordinate_from_string, text
    )


@pytest.mark.parametrize(
    "ref",
    [
        "'Báo cáo'!$C$14",
        "'It''s'!A1:B2",
        "Sheet1!$A$1",
        "'Báo cáo'!#REF!",
        "#REF!",
        "'Báo cáo'!A:C",
        "'Báo cáo'!2:4",
        "'Báo cáo'!A1:2",
        "Sheet 1!A1",
        "'Báo cáo'!$AAAA$1",
    ],
)
def test_known_references(ref: str) -> None:
    assert outcome(a1.range_to_tuple, ref) == outcome(openpyxl_cell.range_to_tuple, ref)


@settings(max_examples=400, deadline=None)
@given(REFERENCE_TEXT)
def test_any_text_reads_the_same(text: str) -> None:
    for ours, theirs in (
        (a1.coordinate_from_string, openpyxl_cell.coordinate_from_string),
        (a1.column_index_from_string, openpyxl_cell.column_index_from_string),
        (a1.range_boundaries, openpyxl_cell.range_boundaries),
        (a1.range_to_tuple, openpyxl_cell.range_to_tuple),
    ):
        assert outcome(ours, text) == outcome(theirs, text), ours.__name__
