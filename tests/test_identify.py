"""Identifying a returned workbook: by its metadata, else by its title block."""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import replace

import pytest
from openpyxl import Workbook, load_workbook

from tests.corpus import with_part
from tests.inbox_forms import (
    PERIOD,
    blank_form,
    copied_to_new_workbook,
    form_name,
    nfd,
    sample_plan,
    save,
    without_meta_sheet,
    without_metadata,
    without_properties,
)
from workbook_tools import problems
from workbook_tools.forms import contract
from workbook_tools.inbox.identify import Identification, identify, match_entry, name_key
from workbook_tools.inbox.model import IdentifiedBy, SubmissionStatus
from workbook_tools.inbox.workbook import FormWorkbook, open_workbook
from workbook_tools.plan.model import Kind, RosterEntry
from workbook_tools.spreadsheet import MAX_PROPERTIES_PART


def identified(data: bytes, file: str = "x.xlsx", period: str = PERIOD) -> Identification:
    with open_workbook(data, "xlsx") as workbook:
        return identify(sample_plan(), period, workbook, file=file)


# --- names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "written",
    [
        "Thôn 3",
        "THÔN 3",
        "thon 3",
        "  Thôn   3 ",
        "Thôn 03",
        "Thôn\u00a03",
        unicodedata.normalize("NFD", "Thôn 3"),
    ],
)
def test_a_village_name_is_matched_whatever_case_spacing_form_or_diacritics(
    written: str,
) -> None:
    entry, candidates = match_entry(sample_plan(), written)
    assert entry is not None and entry.code == "T03"
    assert candidates == []


def test_a_unit_name_matches_with_another_dash_and_old_style_tone_marks() -> None:
    # "hoá" (old tone placement) and an en dash, as a retyped title has them.
    entry, _ = match_entry(sample_plan(), "Bộ phận Văn hoá – Xã hội")
    assert entry is not None and entry.code == "VHXH"
    assert name_key("Đoàn Thanh niên") == "doan thanh nien"


def test_names_equal_without_diacritics_are_told_apart_by_them() -> None:
    plan = sample_plan()
    roster = (
        RosterEntry("TD", Kind.VILLAGE, "Thôn Đông"),
        RosterEntry("TDG", Kind.VILLAGE, "Thôn Đồng"),
    )
    two = replace(plan, roster=roster, _by_code={})
    assert match_entry(two, "thôn đồng")[0] == roster[1]
    assert match_entry(two, nfd("THÔN ĐÔNG"))[0] == roster[0]
    # Without diacritics there is no telling: both are candidates.
    assert match_entry(two, "Thon Dong") == (None, list(roster))


def test_the_code_in_parentheses_identifies_a_village_renamed_since() -> None:
    entry, _ = match_entry(sample_plan(), "Thôn Yên Trường", "T05")
    assert entry is not None and entry.code == "T05"


# --- whole workbooks ----------------------------------------------------------------------


def test_a_form_is_identified_by_its_metadata_whatever_its_file_name() -> None:
    ident = identified(blank_form("T07"), file="Zalo/bao cao (2).xlsx")
    assert ident.by is IdentifiedBy.METADATA
    assert ident.entry is not None and ident.entry.code == "T07"
    assert ident.period is not None and ident.period.code == PERIOD
    assert ident.status is None
    assert ident.problems == []


@pytest.mark.parametrize(
    "damage", [without_meta_sheet, without_properties], ids=["properties", "sheet"]
)
def test_either_copy_of_the_metadata_identifies_the_form(damage: Callable[[bytes], bytes]) -> None:
    # The hidden sheet unhidden and deleted; or a form made before it had properties.
    ident = identified(damage(blank_form("T07")), file="t7.xlsx")
    assert ident.by is IdentifiedBy.METADATA
    assert ident.entry is not None and ident.entry.code == "T07"
    assert (ident.status, ident.problems) == (None, [])


def test_the_document_properties_spare_reading_the_metadata_sheet(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    read: list[str] = []
    rows = FormWorkbook.rows

    def spied(self: FormWorkbook, sheet: str) -> Sequence[Sequence[object]]:
        read.append(sheet)
        return rows(self, sheet)

    monkeypatch.setattr(FormWorkbook, "rows", spied)
    ident = identified(blank_form("T07"))
    assert ident.by is IdentifiedBy.METADATA
    assert ident.entry is not None and ident.entry.code == "T07"
    assert set(read) == {contract.MAIN_SHEET}  # the title block, checked against them


@pytest.mark.parametrize(
    "custom",
    [
        b'<Properties><property name="wbt_form"><vt:lpwstr>1',
        b"",
        b"<Properties/>",
        b"<Properties>" + b" " * MAX_PROPERTIES_PART + b"</Properties>",
    ],
    ids=["cut", "empty", "none of ours", "too large"],
)
def test_damaged_document_properties_leave_the_metadata_sheet_to_say(custom: bytes) -> None:
    ident = identified(with_part(blank_form("T07"), "docProps/custom.xml", lambda _: custom))
    assert ident.by is IdentifiedBy.METADATA
    assert ident.entry is not None and ident.entry.code == "T07"
    assert ident.metadata is not None and ident.metadata.fields  # read from the sheet


def test_without_metadata_the_title_block_identifies_the_form_and_says_so() -> None:
    ident = identified(without_metadata(blank_form("T03")), file="t3.xlsx")
    assert ident.by is IdentifiedBy.TITLE
    assert ident.entry is not None and ident.entry.code == "T03"
    assert ident.status is None
    assert ident.problems == [
        problems.make("inbox.identified_by_title", file="t3.xlsx", unit="T03", name="Thôn 3")
    ]
    assert "không thấy thông tin ẩn" in ident.problems[0].message
    assert ident.problems[0].message.count("Thôn 3") == 2


def test_a_retyped_nfd_title_without_code_still_identifies_the_unit() -> None:
    data = copied_to_new_workbook(
        blank_form("T03"),
        row_offset=2,
        retitle={contract.UNIT_PREFIX: nfd("ĐƠN VỊ BÁO CÁO:   thôn   3")},
    )
    ident = identified(data)
    assert ident.by is IdentifiedBy.TITLE
    assert ident.entry is not None and ident.entry.code == "T03"
    assert [p.code for p in ident.problems] == ["inbox.identified_by_title"]


def test_a_form_of_the_other_period_is_skipped_with_a_note() -> None:
    ident = identified(blank_form("T06", "CN-2024"), file="T06-nam.xlsx")
    assert ident.status is SubmissionStatus.OTHER_PERIOD
    assert ident.period is not None and ident.period.code == "CN-2024"
    assert ident.problems == [
        problems.make(
            "inbox.other_period",
            file="T06-nam.xlsx",
            unit="T06",
            found="CN-2024",
            found_name="Báo cáo năm 2024",
            name="Thôn 6",
            period=PERIOD,
        )
    ]
    assert ident.problems[0].severity is problems.Severity.INFO


@pytest.mark.parametrize("damage", [lambda d: d, without_metadata], ids=["metadata", "title"])
def test_last_years_form_is_rejected_saying_which_form_to_use(damage: object) -> None:
    assert callable(damage)
    ident = identified(damage(blank_form("T02", last_year=True)), file="T02.xlsx")
    assert ident.status is SubmissionStatus.REJECTED
    assert ident.problems == [
        problems.make(
            "inbox.other_plan",
            file="T02.xlsx",
            unit="T02",
            found="PCMD-TienNong-2023",
            plan="PCMD-TienNong-2024",
            period=PERIOD,
            form_hint=f" (tệp {form_name('T02')})",
        )
    ]
    message = ident.problems[0].message
    assert "PCMD-TienNong-2023" in message
    assert "hãy dùng biểu mẫu kỳ 6T-2024 đã gửi (tệp 6T-2024_T02_Thon-2.xlsx)" in message


def test_an_unknown_unit_in_the_title_is_rejected_with_a_suggestion() -> None:
    data = copied_to_new_workbook(
        blank_form("T03"), retitle={contract.UNIT_PREFIX: "Đơn vị báo cáo: Thôn 31"}
    )
    ident = identified(data, file="a.xlsx")
    assert ident.status is SubmissionStatus.REJECTED
    assert ident.entry is None
    assert ident.problems == [
        problems.make(
            "inbox.unknown_unit",
            file="a.xlsx",
            who="thôn, đơn vị",
            value="Thôn 31",
            suggestion=" Có phải là 'Thôn 3'?",
        )
    ]


def test_a_workbook_with_neither_metadata_nor_title_is_not_guessed() -> None:
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws["A1"] = "Danh sách hộ nghèo thôn 3"
    ident = identified(save(wb), file="thon-3.xlsx")
    assert ident.status is SubmissionStatus.REJECTED
    assert ident.by is IdentifiedBy.NONE
    assert ident.problems == [
        problems.make(
            "inbox.unidentified",
            file="thon-3.xlsx",
            who="thôn, đơn vị",
            meta_sheet=contract.META_SHEET,
            prefix="Đơn vị báo cáo:",
            period=PERIOD,
        )
    ]


@pytest.mark.parametrize(
    "damage", [lambda d: d, without_meta_sheet, without_properties],
    ids=["both", "properties", "sheet"],
)
def test_a_title_edited_to_another_unit_is_rejected_for_both_units(
    damage: Callable[[bytes], bytes],
) -> None:
    wb = load_workbook(io.BytesIO(damage(blank_form("T04"))))
    wb[contract.MAIN_SHEET]["A4"] = "Đơn vị báo cáo: Thôn 9"
    ident = identified(save(wb), file="t.xlsx")
    assert ident.entry is not None and ident.entry.code == "T04"
    assert ident.status is SubmissionStatus.REJECTED
    assert ident.problems == [
        problems.make(
            "inbox.unit_mismatch",
            file="t.xlsx",
            unit="T04",
            sheet=contract.MAIN_SHEET,
            cell="A4",
            value="Thôn 9",
            name="Thôn 4",
        )
    ]


def test_a_form_of_an_older_version_of_the_plan_gets_a_warning() -> None:
    plan = sample_plan()
    newer = replace(plan, settings=replace(plan.settings, version="2"))
    with open_workbook(blank_form("T01"), "xlsx") as workbook:
        ident = identify(newer, PERIOD, workbook, file="t.xlsx")
    assert ident.status is None
    assert ident.problems == [
        problems.make("inbox.form_version", file="t.xlsx", unit="T01", found="1", version="2")
    ]
