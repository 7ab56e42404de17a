"""The plan's parts for reading figures against the past: fields that add up over the
year ("Cộng dồn"), the thresholds of the checks against the peers and the past, and
targets relative to an earlier report ("tăng ít nhất 10 % so với cùng kỳ")."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest

from tests.plan_samples import row, sample_data, write_workbook
from workbook_tools.errors import PlanError
from workbook_tools.plan import load_plan, load_sample_plan
from workbook_tools.plan.relative import Base, Direction, RelativeTarget, parse_relative
from workbook_tools.plan.tables import tables_from_mapping
from workbook_tools.plan.validate import validate
from workbook_tools.problems import MESSAGES


def test_the_sample_marks_what_adds_up_over_the_year() -> None:
    plan = load_sample_plan()
    assert plan.field("tt_so_buoi").cumulative  # sessions held since 1 January
    assert plan.field("ca_tb_tiep_nhan").cumulative
    assert not plan.field("ld_tong").cumulative  # workers at the businesses: a stock
    assert not plan.field("ca_cs_tong").cumulative
    assert plan.settings.outlier_k == Fraction(7, 2)
    assert plan.settings.outlier_min == 10
    assert plan.settings.change_factor == 5


def test_the_workbook_shows_the_column_with_a_dropdown(tmp_path: Path) -> None:
    path = write_workbook(sample_data(), tmp_path / "kh.xlsx")
    ws = openpyxl.load_workbook(path)["Trường dữ liệu"]
    headers = [c.value for c in ws[1]]
    assert "Cộng dồn" in headers
    col = headers.index("Cộng dồn")
    by_code = {r[0].value: r[col].value for r in ws.iter_rows(min_row=2)}
    assert by_code["tt_so_buoi"] == "Có"
    assert by_code["ld_tong"] in (None, "Không")


def _problems(data: dict) -> list:
    with pytest.raises(PlanError) as caught:
        validate(tables_from_mapping(data, source="kh.xlsx"))
    return caught.value.problems


def test_only_a_number_field_adds_up() -> None:
    data = sample_data()
    row(data, "fields", "kh_so_ngay")["cumulative"] = True  # a text field
    (problem,) = _problems(data)
    assert problem.code == "plan.value_invalid"
    assert problem.sheet == "Trường dữ liệu"
    assert "Cộng dồn" in problem.message
    assert "chỉ trường kiểu số" in problem.message


def test_a_plan_without_the_column_adds_nothing_up() -> None:
    data = sample_data()
    for entry in data["fields"]:
        entry.pop("cumulative", None)
    plan = validate(tables_from_mapping(data, source="kh.xlsx"))
    assert not any(f.cumulative for f in plan.fields)


@pytest.mark.parametrize(
    ("key", "value", "what"),
    [("outlier_k", "nhiều", "3,5"), ("outlier_min", "-3", "10"), ("change_factor", "1", "5")],
)
def test_a_threshold_that_is_no_number_is_said(key: str, value: str, what: str) -> None:
    data = sample_data()
    data["settings"].append({"key": key, "value": value})
    (problem,) = _problems(data)
    assert problem.sheet == "Cài đặt"
    assert f"'{value}'" in problem.message
    assert f"ví dụ {what}" in problem.message


def test_thresholds_written_the_vietnamese_way() -> None:
    data = sample_data()
    data["settings"] += [
        {"key": "outlier_k", "value": "2,5"},
        {"key": "outlier_min", "value": 4},
        {"key": "change_factor", "value": "3"},
    ]
    settings = validate(tables_from_mapping(data, source="kh.xlsx")).settings
    assert (settings.outlier_k, settings.outlier_min, settings.change_factor) == (
        Fraction(5, 2),
        4,
        3,
    )


def test_the_guide_words_the_outlier_threshold_for_an_officer() -> None:
    """The sample plan's guide says what outlier_k does in an officer's words: the
    middle of the villages' figures, no statistician's "MAD × 1,4826"."""
    template = Path(__file__).parent.parent / "templates" / "kehoach_2024.xlsx"
    book = openpyxl.load_workbook(template, read_only=True)
    try:
        (label,) = [
            r[2]
            for ws in book.worksheets
            for r in ws.iter_rows(values_only=True)
            if len(r) > 2 and r[0] == "outlier_k"
        ]
    finally:
        book.close()
    assert isinstance(label, str)
    assert "MAD" not in label and "1,4826" not in label and "trung vị" not in label
    assert "số ở giữa của các thôn" in label and "để trống là 3,5" in label


UP, DOWN = Direction.UP, Direction.DOWN
LAST_YEAR, PREVIOUS = Base.SAME_PERIOD_LAST_YEAR, Base.PREVIOUS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tăng ít nhất 10 % so với cùng kỳ", (UP, Fraction(1, 10), LAST_YEAR)),
        ("Tăng ít nhất 10% so với cùng kỳ năm trước.", (UP, Fraction(1, 10), LAST_YEAR)),
        ("giảm tối thiểu 2,5 % so với kỳ trước", (DOWN, Fraction(1, 40), PREVIOUS)),
        ("không giảm so với kỳ trước", (UP, Fraction(0), PREVIOUS)),
        ("không tăng so với cùng kỳ", (DOWN, Fraction(0), LAST_YEAR)),
        ("tăng ít nhất 5 phần trăm so với cùng kỳ năm ngoái", (UP, Fraction(1, 20), LAST_YEAR)),
    ],
)
def test_relative_targets_read(text: str, expected: tuple) -> None:
    assert parse_relative(text) == RelativeTarget(*expected)


def test_a_relative_target_in_the_plan(tmp_path: Path) -> None:
    data = sample_data()
    row(data, "indicators", "CT1.2")["target"] = "tăng ít nhất 10 % so với cùng kỳ"
    plan = load_plan(write_workbook(data, tmp_path / "kh.xlsx"))
    indicator = next(i for i in plan.indicators if i.code == "CT1.2")
    assert indicator.target is None
    assert indicator.relative == RelativeTarget(
        Direction.UP, Fraction(1, 10), Base.SAME_PERIOD_LAST_YEAR
    )
    assert indicator.target_shown == "tăng ít nhất 10% so với cùng kỳ năm trước"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("tăng ít nhất 10 %", "thiếu phần 'so với cùng kỳ' hoặc 'so với kỳ trước'"),
        ("tăng ít nhất 10 % so với năm ngoái", "sau 'so với' cần ghi 'cùng kỳ' hoặc 'kỳ trước'"),
        ("tăng nhiều so với cùng kỳ", "trước 'so với' cần ghi mức tăng, giảm"),
        ("giảm ít nhất 120 % so với kỳ trước", "giảm thì không quá 100%"),
        ("tăng ít nhất 2000 % so với kỳ trước", "tăng thì không quá 1.000%"),
        ("tăng ít nhất 0 % so với kỳ trước", "phải lớn hơn 0%"),
    ],
)
def test_a_malformed_relative_target_is_said_in_vietnamese(text: str, reason: str) -> None:
    data = sample_data()
    row(data, "indicators", "CT1.3")["target"] = text
    (problem,) = _problems(data)
    assert problem.code == "plan.target_relative_invalid"
    assert problem.sheet == "Chỉ tiêu"
    assert problem.cell is not None and problem.cell.startswith("F")
    assert f"'{text}'" in problem.message
    assert reason in problem.message
    assert "'tăng ít nhất 10% so với cùng kỳ'" in problem.message
    assert MESSAGES[problem.code][1].split("{")[0] in problem.message
