"""Periods side by side (issue 20, second half): each indicator against the previous
period's report and the same period's of the year before, as sent (their JSON
summaries); figures to verify against the past and the peers ("cần xác minh");
targets relative to an earlier report.

The demo's working folder (6T-2024, 21 returned files) is merged first; the annual
report's forms (CN-2024) are then filled and put in the same inbox, as an officer
does in December. Everything is read back from the files written: the JSON with
json, the terminal's words from the command.
"""

from __future__ import annotations

import json
from datetime import datetime
from fractions import Fraction
from pathlib import Path
from typing import Any

import docx
import openpyxl
import pytest
from click.testing import CliRunner

from tests.demo_folders import demo_folder
from tests.inbox_forms import CA, VILLAGE, filled, form_name, put
from tests.plan_samples import row, sample_data, write_workbook
from tests.test_print_fit import needed_heights
from workbook_tools import pipeline
from workbook_tools.cli import cli
from workbook_tools.history import earlier_report
from workbook_tools.numbers import percent_text
from workbook_tools.plan import load_plan
from workbook_tools.plan.relative import parse_relative
from workbook_tools.report.wording import upper_first
from workbook_tools.workspace import Workspace

SIX_MONTHS, ANNUAL = "6T-2024", "CN-2024"
JUNE, DECEMBER = datetime(2024, 6, 25, 9), datetime(2024, 12, 16, 9)


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return demo_folder(tmp_path_factory, "compare")


def summary(root: Path, period: str) -> dict[str, Any]:
    return json.loads((root / "outbox" / period / f"tong_hop_{period}.json").read_text("utf-8"))


def merge(root: Path, period: str, now: datetime, **options: Any) -> pipeline.MergeOutcome:
    ws = Workspace(root)
    plan = load_plan(ws.find_plan())
    return pipeline.merge(ws, plan, plan.period(period), now=now, **options)


def annual_forms(root: Path, sessions: dict[str, object], **more: object) -> None:
    """Every village's annual report, with its own count of sessions (None: left blank)."""
    for code, count in sessions.items():
        values = {**VILLAGE, "ngay_bao_cao": datetime(2024, 12, 10), **more, "tt_so_buoi": count}
        data = filled(code, values, ANNUAL)
        put(root / "inbox", form_name(code, ANNUAL), data, datetime(2024, 12, 10, 9))


def by_code(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {i["code"]: i for i in data["indicators"]}


def test_the_first_period_says_there_is_nothing_earlier(root: Path) -> None:
    merge(root, SIX_MONTHS, JUNE)
    data = summary(root, SIX_MONTHS)
    for indicator in data["indicators"]:
        assert "previous" in indicator and indicator["previous"] is None
        assert indicator["same_period_last_year"] is None
    assert data["comparison"]["previous"]["period"] is None
    assert data["comparison"]["previous"]["note"].startswith("chưa có số liệu kỳ trước")
    assert data["comparison"]["same_period_last_year"]["note"] == (
        "chưa có số liệu cùng kỳ năm trước"
    )
    # What the next period is checked against: each reporting entry's numbers.
    values = {r["unit"]: r["values"] for r in data["unit_values"]}
    assert "T07" not in values  # the demo's T07 did not report
    assert isinstance(values["T01"]["tt_so_buoi"], int)


def test_the_annual_report_carries_the_six_months_figures(root: Path) -> None:
    merge(root, SIX_MONTHS, JUNE)
    june = by_code(summary(root, SIX_MONTHS))
    sessions_june = {r["unit"]: r["values"] for r in summary(root, SIX_MONTHS)["unit_values"]}
    # Each village reports at least its six months' sessions: none fell.
    codes = [f"T{i:02d}" for i in range(1, 13)]
    annual_forms(
        root,
        {code: (sessions_june.get(code, {}).get("tt_so_buoi") or 0) + 2 for code in codes},
        tt_luot_nguoi=5000,
        tt_loa=100,
        tt_mang_xa_hoi=100,
    )
    merge(root, ANNUAL, DECEMBER)
    data = summary(root, ANNUAL)
    assert data["comparison"]["previous"]["period"] == SIX_MONTHS
    assert data["comparison"]["previous"]["file"] == "outbox/6T-2024/tong_hop_6T-2024.json"
    for code, indicator in by_code(data).items():
        previous = indicator["previous"]
        assert previous is not None, code
        assert previous["period"] == SIX_MONTHS
        for key in ("numerator", "denominator", "value"):
            assert previous[key] == june[code][key], (code, key)
    ct11 = by_code(data)["CT1.1"]
    assert ct11["previous"]["change"] == pytest.approx(ct11["value"] - june["CT1.1"]["value"])
    # The count of news items: its change in items.
    ct12 = by_code(data)["CT1.2"]
    assert ct12["previous"]["change"] == ct12["numerator"] - june["CT1.2"]["numerator"]
    assert not [p for p in data["problems"] if p["code"] == "compare.cumulative_fall"]


def test_a_fall_in_a_figure_adding_up_is_a_warning_naming_unit_and_field(root: Path) -> None:
    merge(root, SIX_MONTHS, JUNE)
    june = {r["unit"]: r["values"] for r in summary(root, SIX_MONTHS)["unit_values"]}
    before = june["T03"]["tt_so_buoi"]
    assert before >= 2
    sessions: dict[str, object] = {f"T{i:02d}": 50 for i in range(1, 13)}
    sessions["T03"] = before - 1  # fewer sessions in the year than in its first half
    sessions["T05"] = None  # left blank: not compared, a blank is no 0
    annual_forms(root, sessions, tt_luot_nguoi=5000, tt_loa=100, tt_mang_xa_hoi=100)
    result = CliRunner().invoke(cli, ["merge", "--period", ANNUAL, "--dir", str(root)])
    assert result.exit_code == 0, result.output
    falls = [p for p in summary(root, ANNUAL)["problems"] if p["code"] == "compare.cumulative_fall"]
    assert [(p["unit"], p["field"]) for p in falls] == [("T03", "tt_so_buoi")]
    (fall,) = falls
    assert fall["severity"] == "warning"
    assert fall["cell"] and fall["file"].endswith(".xlsx")
    assert fall["value"] == str(before - 1)
    message = fall["message"]
    assert message.startswith("Cần xác minh: Thôn 3 (T03)")
    assert "«Số buổi, cuộc tuyên truyền»" in message
    assert f"là {before - 1} trong Báo cáo năm 2024" in message
    assert f"thấp hơn số {before} đã ghi trong Báo cáo 6 tháng đầu năm 2024" in message
    # The terminal says it too.
    assert "Cần xác minh" in result.output
    assert "Thôn 3 (T03) ghi «Số buổi, cuộc tuyên truyền»" in result.output
    assert "So sánh với kỳ trước: Báo cáo 6 tháng đầu năm 2024" in result.output


def test_an_outlier_among_twelve_villages_is_flagged_a_small_count_is_not(
    tmp_path: Path,
) -> None:
    ws = pipeline.init(tmp_path / "xa").ws
    counts = [2, 3, 0, 1, 2, 4, 3, 2, 0, 1, 3, 400]
    for i, count in enumerate(counts, start=1):
        code = f"T{i:02d}"
        data = filled(code, {**VILLAGE, "tt_so_buoi": count}, SIX_MONTHS)
        put(ws.inbox, form_name(code), data, datetime(2024, 6, 10, 9))
    put(ws.inbox, form_name("CA"), filled("CA", CA), datetime(2024, 6, 10, 9))
    merge(ws.root, SIX_MONTHS, JUNE)
    flagged = [
        p for p in summary(ws.root, SIX_MONTHS)["problems"] if p["code"] == "compare.far_from_peers"
    ]
    assert [(p["unit"], p["field"], p["value"]) for p in flagged] == [("T12", "tt_so_buoi", "400")]
    assert "trung vị của 12 thôn đã ghi là 2" in flagged[0]["message"]
    assert "lệch 398" in flagged[0]["message"]


def test_every_village_alike_and_blanks_flag_nothing(tmp_path: Path) -> None:
    ws = pipeline.init(tmp_path / "xa").ws
    counts: list[object] = [0] * 10 + [None, 3]  # many zeros, a blank, a small count
    for i, count in enumerate(counts, start=1):
        code = f"T{i:02d}"
        data = filled(code, {**VILLAGE, "tt_so_buoi": count}, SIX_MONTHS)
        put(ws.inbox, form_name(code), data, datetime(2024, 6, 10, 9))
    merge(ws.root, SIX_MONTHS, JUNE)
    problems = summary(ws.root, SIX_MONTHS)["problems"]
    assert not [p for p in problems if p["code"].startswith("compare.")]


# --- targets relative to the past ------------------------------------------------------


def with_relative_target(root: Path, target: str) -> None:
    """The working folder's plan, its count CT1.2 given a target against the past."""
    data = sample_data()
    row(data, "indicators", "CT1.2")["target"] = target
    write_workbook(data, root / "templates" / "kehoach_2024.xlsx")


def test_a_relative_target_without_the_earlier_report_is_not_judged(root: Path) -> None:
    with_relative_target(root, "tăng ít nhất 10 % so với cùng kỳ")
    merge(root, SIX_MONTHS, JUNE)
    ct12 = by_code(summary(root, SIX_MONTHS))["CT1.2"]
    assert ct12["met"] is None
    assert ct12["outcome"] == "chua_danh_gia"
    assert ct12["outcome_label"] == "Chưa đánh giá được"
    assert "chưa đánh giá được: chưa có số liệu cùng kỳ năm trước" in ct12["note"]
    assert ct12["target_shown"] == "tăng ít nhất 10% so với cùng kỳ năm trước"


def last_years_summary(path: Path, count: int) -> Path:
    """The summary a merge wrote for 6T-2023, as much of it as is read back."""
    data = {
        "plan": "PCMD-TienNong-2023",
        "period": "6T-2023",
        "period_name": "Báo cáo 6 tháng đầu năm 2023",
        "period_start": "2023-01-01",
        "period_end": "2023-06-30",
        "indicators": [{"code": "CT1.2", "numerator": count, "denominator": None, "value": None}],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    return path


@pytest.mark.parametrize(("last_year", "met"), [(100, True), (1000, False)])
def test_a_relative_target_met_or_not_against_last_years_report(
    root: Path, last_year: int, met: bool
) -> None:
    with_relative_target(root, "tăng ít nhất 10 % so với cùng kỳ")
    # Found in outbox/ by its dates: the same period, a year earlier.
    last_years_summary(root / "outbox" / "6T-2023" / "tong_hop_6T-2023.json", last_year)
    merge(root, SIX_MONTHS, JUNE)
    data = summary(root, SIX_MONTHS)
    ct12 = by_code(data)["CT1.2"]
    assert ct12["same_period_last_year"]["period"] == "6T-2023"
    assert ct12["same_period_last_year"]["numerator"] == last_year
    assert ct12["same_period_last_year"]["change"] == ct12["numerator"] - last_year
    assert ct12["met"] is met
    assert ct12["outcome"] == ("dat" if met else "khong_dat")
    assert "cùng kỳ năm trước (6T-2023)" in ct12["note"]
    assert data["comparison"]["same_period_last_year"]["period"] == "6T-2023"


def test_last_years_report_given_by_path(root: Path, tmp_path: Path) -> None:
    with_relative_target(root, "không giảm so với cùng kỳ")
    given = last_years_summary(tmp_path / "nam_truoc" / "tong_hop.json", 10**6)
    result = CliRunner().invoke(
        cli, ["merge", "--period", SIX_MONTHS, "--dir", str(root), "--compare-with", str(given)]
    )
    assert result.exit_code == 0, result.output
    ct12 = by_code(summary(root, SIX_MONTHS))["CT1.2"]
    assert ct12["same_period_last_year"]["numerator"] == 10**6
    assert ct12["met"] is False
    assert "So sánh với cùng kỳ năm trước: Báo cáo 6 tháng đầu năm 2023" in result.output


def test_compare_with_a_summary_of_another_period_is_refused_naming_both(
    root: Path, tmp_path: Path
) -> None:
    """--compare-with FILE must be the same period a year earlier: 6T-2024's own summary
    is not "cùng kỳ năm trước" of 6T-2024."""
    merge(root, SIX_MONTHS, JUNE)
    own = root / "outbox" / SIX_MONTHS / f"tong_hop_{SIX_MONTHS}.json"
    given = tmp_path / "ban_sao.json"
    given.write_bytes(own.read_bytes())
    before = own.read_bytes()
    result = CliRunner().invoke(
        cli, ["merge", "--period", SIX_MONTHS, "--dir", str(root), "--compare-with", str(given)]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert "là báo cáo Báo cáo 6 tháng đầu năm 2024 (6T-2024, từ 01/01/2024 đến 30/06/2024)" in (
        result.output
    )
    assert "không phải cùng kỳ năm trước của Báo cáo 6 tháng đầu năm 2024 (6T-2024)" in (
        result.output
    )
    assert "cần báo cáo từ 01/01/2023 đến 30/06/2023" in result.output
    assert own.read_bytes() == before  # nothing written
    # The same period a year earlier is taken.
    right = last_years_summary(tmp_path / "nam_truoc.json", 7)
    result = CliRunner().invoke(
        cli, ["merge", "--period", SIX_MONTHS, "--dir", str(root), "--compare-with", str(right)]
    )
    assert result.exit_code == 0, result.output
    assert by_code(summary(root, SIX_MONTHS))["CT1.2"]["same_period_last_year"]["numerator"] == 7


def test_an_unreadable_earlier_summary_is_a_warning_not_a_stop(root: Path) -> None:
    merge(root, SIX_MONTHS, JUNE)
    (root / "outbox" / SIX_MONTHS / f"tong_hop_{SIX_MONTHS}.json").write_text("{hỏng", "utf-8")
    annual_forms(root, {"T01": 5})
    merge(root, ANNUAL, DECEMBER)
    data = summary(root, ANNUAL)
    assert all(i["previous"] is None for i in data["indicators"])
    (problem,) = [p for p in data["problems"] if p["code"] == "compare.summary_unreadable"]
    assert problem["file"] == "outbox/6T-2024/tong_hop_6T-2024.json"
    assert "không phải JSON" in problem["message"]
    assert "không đọc được" in data["comparison"]["previous"]["note"]


def word_text(path: Path) -> str:
    return "\n".join(p.text for p in docx.Document(path).paragraphs)


@pytest.mark.parametrize("summary_is", ["corrupt", "absent"])
def test_the_word_report_names_no_file_of_a_missing_earlier_report(
    root: Path, summary_is: str
) -> None:
    """The official report says which period is missing, in its own words; the path of
    the file looked for is the officer's business (terminal, JSON), not the report's."""
    with_relative_target(root, "tăng ít nhất 10 % so với kỳ trước")
    if summary_is == "corrupt":
        merge(root, SIX_MONTHS, JUNE)
        (root / "outbox" / SIX_MONTHS / f"tong_hop_{SIX_MONTHS}.json").write_text("{", "utf-8")
    annual_forms(root, {"T01": 5})
    merge(root, ANNUAL, DECEMBER)
    text = word_text(root / "outbox" / ANNUAL / f"BaoCao_{ANNUAL}.docx")
    assert "outbox" not in text and "tong_hop" not in text
    assert "Chưa có số liệu kỳ trước (6 tháng đầu năm 2024) để so sánh." in text
    data = summary(root, ANNUAL)
    # The officer's note still names the file.
    assert "outbox/6T-2024/tong_hop_6T-2024.json" in data["comparison"]["previous"]["note"]
    ct12 = by_code(data)["CT1.2"]
    assert "chưa đánh giá được: chưa có số liệu kỳ trước (6 tháng đầu năm 2024)" in ct12["note"]
    assert "outbox" not in ct12["note"]


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param({"unit_values": 5}, id="unit_values_not_a_list"),
        pytest.param({"unit_values": {"T01": 1}}, id="unit_values_a_mapping"),
        pytest.param({"period_name": "[" * 100_000 + "]" * 100_000}, id="deeply_nested"),
    ],
)
def test_a_broken_earlier_summary_is_a_warning_not_a_traceback(
    root: Path, broken: dict[str, Any]
) -> None:
    merge(root, SIX_MONTHS, JUNE)
    path = root / "outbox" / SIX_MONTHS / f"tong_hop_{SIX_MONTHS}.json"
    data = json.loads(path.read_text("utf-8"))
    if "unit_values" in broken:
        data.update(broken)
        path.write_text(json.dumps(data), "utf-8")
    else:  # an array inside arrays, deeper than any reader goes
        text = json.dumps(data)
        path.write_text(text[:-1] + ', "deep": ' + broken["period_name"] + "}", "utf-8")
    annual_forms(root, {"T01": 5})
    result = CliRunner().invoke(cli, ["merge", "--period", ANNUAL, "--dir", str(root)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    annual = summary(root, ANNUAL)
    if "unit_values" in broken:  # the figures are still read; the villages' values are not
        assert annual["comparison"]["previous"]["period"] == SIX_MONTHS
    else:
        (problem,) = [p for p in annual["problems"] if p["code"] == "compare.summary_unreadable"]
        assert "không phải JSON" in problem["message"]


def test_an_exact_value_is_read_only_as_the_summary_writes_it() -> None:
    """ "11/12" is read; "1e5" (or "1e999999999", which would take hours) is not: the
    decimal value is taken instead."""
    data = {
        "period": "6T-2023",
        "indicators": [
            {"code": "A", "value_exact": "11/12", "value": 0.9},
            {"code": "B", "value_exact": "1e5", "value": 0.5},
            {"code": "C", "value_exact": "1e999999999", "value": 0.25},
            {"code": "D", "value_exact": " 1/2", "value": 0.75},
        ],
    }
    report = earlier_report(data, "tong_hop_6T-2023.json")
    assert report is not None
    values = {code: f.value for code, f in report.indicators.items()}
    assert values == {
        "A": Fraction(11, 12),
        "B": Fraction(1, 2),
        "C": Fraction(1, 4),
        "D": Fraction(3, 4),
    }


def test_compare_with_a_file_that_is_no_summary_is_refused(root: Path, tmp_path: Path) -> None:
    given = tmp_path / "bao_cao_nam_truoc.json"
    given.write_text("đây không phải JSON", "utf-8")
    result = CliRunner().invoke(
        cli, ["merge", "--period", SIX_MONTHS, "--dir", str(root), "--compare-with", str(given)]
    )
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert f"Tệp {given} (--compare-with) không phải tệp tổng hợp tong_hop_….json của wbt" in (
        result.output.replace("\n", " ")
    )
    assert "wbt merge' để ghi lại tệp" not in result.output
    assert not (root / "outbox" / SIX_MONTHS / f"tong_hop_{SIX_MONTHS}.json").exists()


def test_compare_with_a_folder_without_last_years_summary_says_so(
    root: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "nam_truoc"
    last_years_summary(folder / "tong_hop_CN-2023.json", 3)  # another period: not taken
    data = json.loads((folder / "tong_hop_CN-2023.json").read_text("utf-8"))
    data.update(period="CN-2023", period_start="2023-01-01", period_end="2023-12-31")
    (folder / "tong_hop_CN-2023.json").write_text(json.dumps(data), "utf-8")
    result = CliRunner().invoke(
        cli, ["merge", "--period", SIX_MONTHS, "--dir", str(root), "--compare-with", str(folder)]
    )
    assert result.exit_code == 0, result.output
    note = summary(root, SIX_MONTHS)["comparison"]["same_period_last_year"]["note"]
    assert note.startswith("chưa có số liệu cùng kỳ năm trước (thư mục ")
    assert str(folder) in note
    assert "từ 01/01/2023 đến 30/06/2023" in note
    assert "từ 01/01/2023 đến 30/06/2023" in result.output.replace("\n", " ")
    # The comparison sheet's rows are as tall as that note needs, written under "Cùng kỳ
    # năm trước" (the previous period's column has words of its own).
    folder = root / "outbox" / SIX_MONTHS
    book = openpyxl.load_workbook(folder / f"BaoCao_TongHop_{SIX_MONTHS}.xlsx")
    try:
        ws = book["So sánh các kỳ"]
        rows = [r for r in ws.iter_rows(min_row=5, max_col=8) if r[1].value]
        assert rows and all(r[6].value == upper_first(note) for r in rows)
        for row, height in needed_heights(ws, 11, single=False).items():
            shown = ws.row_dimensions[row].height or 15.0
            assert shown + 0.01 >= height, (row, shown, height)
    finally:
        book.close()


# --- what the officer reads: the comparison sheet, its chart, the Word report ------------


def test_the_report_compares_in_a_sheet_a_chart_and_words(root: Path) -> None:
    merge(root, SIX_MONTHS, JUNE)
    codes = [f"T{i:02d}" for i in range(1, 13)]
    # Every village now integrates the task with other programmes: CT2.2 moves to 100 %.
    annual_forms(root, dict.fromkeys(codes, 50), tt_luot_nguoi=5000, tt_loa=100, lg_hiv="Có")
    merge(root, ANNUAL, DECEMBER)
    data = by_code(summary(root, ANNUAL))
    june = by_code(summary(root, SIX_MONTHS))
    folder = root / "outbox" / ANNUAL

    book = openpyxl.load_workbook(folder / f"BaoCao_TongHop_{ANNUAL}.xlsx")
    try:
        ws = book["So sánh các kỳ"]
        header = [c.value for c in ws[4]]
        assert header[:8] == [
            "STT",
            "Mã",
            "Chỉ tiêu",
            "Kỳ này",
            "Kỳ trước (6T-2024)",
            "Thay đổi so với kỳ trước",
            "Cùng kỳ năm trước",
            "Thay đổi so với cùng kỳ",
        ]
        rows = {r[1]: r for r in ws.iter_rows(min_row=5, max_col=8, values_only=True) if r[1]}
        ct22 = rows["CT2.2"]
        assert ct22[3] == pytest.approx(data["CT2.2"]["value"])
        assert ct22[4] == pytest.approx(june["CT2.2"]["value"])
        # The change of a rate in percentage points.
        points = (data["CT2.2"]["value"] - june["CT2.2"]["value"]) * 100
        assert ct22[5] == pytest.approx(points)
        assert ct22[6] == "Chưa có số liệu cùng kỳ năm trước"
        assert rows["CT1.2"][4] == june["CT1.2"]["numerator"]  # a count: its number
        assert "Kỳ trước: Báo cáo 6 tháng đầu năm 2024 (6T-2024)" in ws["A2"].value

        (chart,) = ws._charts  # type: ignore[attr-defined]
        assert [s.tx.v for s in chart.series] == ["Kỳ này (CN-2024)", "Kỳ trước (6T-2024)"]
        (categories,) = {s.cat.strRef.f for s in chart.series}
        sheet, cells = categories.split("!")
        assert sheet.strip("'") == "So sánh các kỳ"
        first, last = cells.replace("$", "").split(":")
        ratios = [code for code, i in data.items() if i["denominator"] is not None]
        assert [c.value for (c,) in ws[first:last]] == ratios
        this, before = (s.val.numRef.f.split("!")[1].replace("$", "") for s in chart.series)
        cells_now = [c.value for (c,) in ws[this.split(":")[0] : this.split(":")[1]]]
        cells_then = [c.value for (c,) in ws[before.split(":")[0] : before.split(":")[1]]]
        # An indicator nobody it reads has reported yet (the units' here): no bar.
        none_yet = "chưa có số liệu kỳ này"
        no_data = {c for c in ratios if data[c]["previous"]["change_note"] == none_yet}
        assert no_data and all(data[c]["previous"]["change"] is None for c in no_data)
        assert [cells_now[n] for n, c in enumerate(ratios) if c in no_data] == [None] * len(no_data)
        assert [v for n, v in enumerate(cells_now) if ratios[n] not in no_data] == pytest.approx(
            [data[c]["value"] for c in ratios if c not in no_data]
        )
        assert cells_then == pytest.approx([june[c]["value"] for c in ratios])
        assert ws.column_dimensions[first.rstrip("0123456789")].hidden
    finally:
        book.close()

    text = "\n".join(p.text for p in docx.Document(folder / f"BaoCao_{ANNUAL}.docx").paragraphs)
    assert "So với các kỳ báo cáo trước:" in text
    before, after = (percent_text(Fraction(june["CT2.2"]["value_exact"])), "100,0%")
    assert (
        f"Chỉ tiêu CT2.2 ({june['CT2.2']['text']}): tỷ lệ tăng từ {before} "
        f"(6 tháng đầu năm 2024) lên {after}."
    ) in text
    assert "Chưa có số liệu cùng kỳ năm trước để so sánh." in text


def test_a_target_against_the_previous_period(root: Path) -> None:
    with_relative_target(root, "tăng ít nhất 10 % so với kỳ trước")
    merge(root, SIX_MONTHS, JUNE)
    june = by_code(summary(root, SIX_MONTHS))["CT1.2"]
    assert june["outcome"] == "chua_danh_gia"
    assert "chưa đánh giá được: chưa có số liệu kỳ trước" in june["note"]
    # The year's news items: far more than the first half's, so at least 10 % more.
    codes = [f"T{i:02d}" for i in range(1, 13)]
    annual_forms(root, dict.fromkeys(codes, 50), tt_loa=500, tt_mang_xa_hoi=500)
    merge(root, ANNUAL, DECEMBER)
    annual = by_code(summary(root, ANNUAL))["CT1.2"]
    assert annual["previous"]["numerator"] == june["numerator"]
    assert annual["numerator"] >= june["numerator"] * 1.1
    assert annual["met"] is True and annual["outcome"] == "dat"
    assert f"kỳ trước ({SIX_MONTHS})" in annual["note"]


@pytest.mark.parametrize(
    ("text", "figure", "earlier", "met"),
    [
        ("tăng ít nhất 10 % so với kỳ trước", Fraction(110), Fraction(100), True),
        ("tăng ít nhất 10 % so với kỳ trước", Fraction(109), Fraction(100), False),
        ("tăng ít nhất 10 % so với kỳ trước", Fraction(1), Fraction(0), True),  # from nothing
        ("tăng ít nhất 10 % so với kỳ trước", Fraction(0), Fraction(0), False),
        ("giảm ít nhất 20 % so với kỳ trước", Fraction(8), Fraction(10), True),
        ("giảm ít nhất 20 % so với kỳ trước", Fraction(9), Fraction(10), False),
        ("không giảm so với kỳ trước", Fraction(1, 2), Fraction(1, 2), True),
        ("không tăng so với kỳ trước", Fraction(3, 5), Fraction(1, 2), False),
    ],
)
def test_what_a_relative_target_asks(
    text: str, figure: Fraction, earlier: Fraction, met: bool
) -> None:
    target = parse_relative(text)
    assert not isinstance(target, str)
    assert target.reached(figure, earlier) is met


def test_no_change_is_said_for_a_period_with_no_figures_yet(root: Path) -> None:
    """CN-2024 merged before any annual form came: no "fell from 83,3 % to 0,0 %" in the
    sheet, the Word report or the JSON; "chưa có số liệu kỳ này" instead."""
    merge(root, SIX_MONTHS, JUNE)
    june = by_code(summary(root, SIX_MONTHS))
    assert june["CT1.1"]["value"] and june["CT1.1"]["value"] > 0
    merge(root, ANNUAL, DECEMBER)
    data = by_code(summary(root, ANNUAL))
    for code, indicator in data.items():
        previous = indicator["previous"]
        assert previous is not None and previous["period"] == SIX_MONTHS, code
        assert previous["change"] is None, code
        assert previous["change_note"] == "chưa có số liệu kỳ này", code
    folder = root / "outbox" / ANNUAL
    book = openpyxl.load_workbook(folder / f"BaoCao_TongHop_{ANNUAL}.xlsx")
    try:
        ws = book["So sánh các kỳ"]
        rows = {r[1]: r for r in ws.iter_rows(min_row=5, max_col=8, values_only=True) if r[1]}
        for code in data:
            assert rows[code][3] == "Chưa có số liệu", code
            assert rows[code][4] == pytest.approx(june[code]["value"] or june[code]["numerator"])
            assert rows[code][5] == "Chưa có số liệu kỳ này", code
        # The chart has no bar at 0 % for this period either.
        (chart,) = ws._charts  # type: ignore[attr-defined]
        this = chart.series[0].val.numRef.f.split("!")[1].replace("$", "")
        start, end = this.split(":")
        assert [c.value for (c,) in ws[start:end]] == [None] * len(list(ws[start:end]))
    finally:
        book.close()
    text = "\n".join(p.text for p in docx.Document(folder / f"BaoCao_{ANNUAL}.docx").paragraphs)
    assert "xuống 0,0%" not in text and "giảm từ" not in text
    assert f"Các chỉ tiêu {', '.join(data)}: chưa có số liệu kỳ này nên chưa so sánh với" in text
    # Each indicator named, not only its code.
    (sentence,) = [line for line in text.split("\n") if "chưa có số liệu kỳ này nên" in line]
    assert all(f"{code}: {indicator['text']}" in sentence for code, indicator in data.items())


def test_a_change_on_part_of_the_villages_is_qualified(root: Path) -> None:
    """Two villages' annual forms in: the annual sum is compared, said to be on 2 of the
    villages it reads."""
    merge(root, SIX_MONTHS, JUNE)
    annual_forms(root, {"T01": 50, "T02": 50})
    merge(root, ANNUAL, DECEMBER)
    ct12 = by_code(summary(root, ANNUAL))["CT1.2"]
    note = ct12["previous"]["change_note"]
    assert note is not None and note.startswith("số liệu chưa đủ: 2/")
    assert note.endswith(" thôn, đơn vị đã nộp")
    assert ct12["previous"]["change"] is not None  # still given, qualified
    folder = root / "outbox" / ANNUAL
    book = openpyxl.load_workbook(folder / f"BaoCao_TongHop_{ANNUAL}.xlsx")
    try:
        ws = book["So sánh các kỳ"]
        texts = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str)]
        assert any(t.startswith("Thay đổi tính trên số liệu chưa đủ") and f"CT1.2: {note}" in t
                   for t in texts)  # fmt: skip
    finally:
        book.close()
    text = "\n".join(p.text for p in docx.Document(folder / f"BaoCao_{ANNUAL}.docx").paragraphs)
    lines = text.split("\n")
    sentence = next(line for line in lines if "Chỉ tiêu CT1.2 (" in line and " từ " in line)
    assert f"({note})." in sentence
