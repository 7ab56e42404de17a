"""Issue 16: the tool's own words follow the roster's word for its villages.

A ward's plan calls them "tổ dân phố" (setting ``village_label``). The plan's own
texts are changed to say so too; then nothing the tool writes says "thôn": the
terminal's status, the indicators' notes, a plan problem, the forms, the Word report.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import docx
import pytest
from openpyxl import Workbook, load_workbook

from tests.inbox_forms import ON_TIME, put
from tests.merge_data import NOW, PERIOD, everyone, inbox
from tests.plan_samples import PlanData, row, sample_data
from workbook_tools.cli.inbox import _print
from workbook_tools.consolidation import consolidate
from workbook_tools.errors import PlanError
from workbook_tools.forms import build_forms
from workbook_tools.inbox.read import roster_status
from workbook_tools.plan.model import Plan
from workbook_tools.plan.tables import tables_from_mapping
from workbook_tools.plan.validate import validate
from workbook_tools.report.document import ReportEntries, build_document


def _reworded(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("Thôn", "Tổ dân phố").replace("thôn", "tổ dân phố")
    if isinstance(value, list):
        return [_reworded(v) for v in value]
    if isinstance(value, dict):
        return {k: _reworded(v) for k, v in value.items()}
    return value


def ward_data() -> PlanData:
    data: PlanData = _reworded(sample_data())
    data["settings"] = [s for s in data["settings"] if s["key"] != "village_label"]
    data["settings"].append({"key": "village_label", "value": "tổ dân phố"})
    return data


@pytest.fixture(scope="module")
def ward() -> Plan:
    return validate(tables_from_mapping(ward_data(), source="ward.toml"))


def no_village_word(text: str) -> None:
    assert "thôn" not in text.casefold(), text


def test_the_status_says_the_wards_word(ward: Plan, capsys: pytest.CaptureFixture[str]) -> None:
    period = ward.period(PERIOD)
    result = inbox(everyone(ward, T03=None))
    _print(ward, period, roster_status(ward, period, result), result, today=NOW.date())
    out = capsys.readouterr().out
    assert "22 tổ dân phố, đơn vị phải nộp" in out
    no_village_word(out)


def test_notes_and_the_word_report(ward: Plan) -> None:
    c = consolidate(ward, PERIOD, inbox(everyone(ward, T03=None)), generated_at=NOW)
    notes = " ".join(r.note for r in c.indicators)
    assert "11/12 tổ dân phố đã báo cáo" in notes
    no_village_word(notes)
    no_village_word(" ".join(p.message for p in c.problems))
    doc = docx.Document(io.BytesIO(build_document(c, ReportEntries(), None)))
    text = "\n".join(p.text for p in doc.paragraphs)
    text += "\n".join(cell.text for t in doc.tables for r in t.rows for cell in r.cells)
    assert "tổ dân phố" in text
    no_village_word(text)


def test_a_plan_problem_names_the_wards_word() -> None:
    data = ward_data()
    row(data, "tasks", "1a")["support"] = ["T01"]
    with pytest.raises(PlanError) as caught:
        validate(tables_from_mapping(data, source="ward.toml"))
    (found,) = [p for p in caught.value.problems if p.code == "plan.task_not_unit"]
    assert "nhưng đó là một tổ dân phố" in found.message
    no_village_word(found.message)


def test_the_forms_say_the_wards_word(ward: Plan) -> None:
    for form in build_forms(ward, PERIOD, ["T01", "CA"], now=NOW):
        wb = load_workbook(io.BytesIO(form.content))
        try:
            for ws in wb.worksheets:
                for cells in ws.iter_rows():
                    for cell in cells:
                        if isinstance(cell.value, str):
                            no_village_word(cell.value)
        finally:
            wb.close()


def test_a_file_of_nobody_names_the_wards_word(ward: Plan, tmp_path: Path) -> None:
    from workbook_tools.pipeline import read_and_check

    put(tmp_path / "inbox", "ghi chep.xlsx", plain_workbook("Danh sách hộ nghèo"), ON_TIME)
    result = read_and_check(ward, ward.period(PERIOD), tmp_path / "inbox", tmp_path / "l", now=NOW)
    (problem,) = [p for p in result.problems if p.code == "inbox.unidentified"]
    assert "là bài của tổ dân phố, đơn vị nào" in problem.message
    assert not re.search(r"\bthôn\b", problem.message.casefold())  # "thông tin" is no village


def plain_workbook(text: str) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet["A1"] = text
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_the_report_workbook_says_the_wards_word(ward: Plan) -> None:
    from workbook_tools.report.workbook import build_workbook

    result = inbox(everyone(ward, T03=None))
    data = build_workbook(consolidate(ward, PERIOD, result, generated_at=NOW))
    book = load_workbook(io.BytesIO(data))
    texts = [
        cell
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if isinstance(cell, str)
    ]
    assert any("tổ dân phố, đơn vị" in text for text in texts)
    # What officers typed ("Trưởng thôn 1") is theirs; the tool's own words follow the plan.
    typed = {str(v) for s in result.submissions for v in s.values.values()}
    found = [t for t in texts if t not in typed and re.search(r"\bthôn\b", t.casefold())]
    assert not found, found[:5]
