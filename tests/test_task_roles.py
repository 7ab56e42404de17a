"""Issue 16 item 3: the roles of a plan task as the plan writes them.

"Chủ trì" (lead), "tham mưu" (advise) and "phối hợp" (support); a task the UBND
xã leads has no lead's form, its advising and supporting units report it. Read
back with openpyxl, through the plan workbook, the forms, ``wbt merge``, the
report and the JSON summary.
"""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.worksheet.worksheet import Worksheet

from tests.inbox_forms import fill, put
from tests.plan_samples import PlanData, row, sample_data, write_workbook
from workbook_tools.cli import cli
from workbook_tools.errors import PlanError
from workbook_tools.forms import build_forms, contract
from workbook_tools.plan import load_plan, load_sample_plan
from workbook_tools.plan.model import COMMUNE_LEAD, Plan, TaskRole
from workbook_tools.plan.tables import tables_from_mapping
from workbook_tools.plan.validate import validate
from workbook_tools.problems import Problem, make

PERIOD = "6T-2024"
NOW = datetime(2024, 6, 1, 8, 0)


@pytest.fixture(scope="module")
def plan() -> Plan:
    return load_sample_plan()


def _sheet(plan: Plan, code: str) -> Worksheet:
    (form,) = build_forms(plan, PERIOD, [code], now=NOW)
    return openpyxl.load_workbook(io.BytesIO(form.content))[contract.MAIN_SHEET]


def _role_below(ws: Worksheet, heading: str) -> str | None:
    """The "Vai trò: …" cell in the row under the task's heading."""
    for r in range(1, ws.max_row + 1):
        if ws.cell(r, 1).value == heading:
            return ws.cell(r + 1, 1).value
    raise AssertionError(f"{heading!r} not on the form")


def _heading(plan: Plan, code: str) -> str:
    task = next(t for t in plan.tasks if t.code == code)
    return f"Nhiệm vụ {task.section}: {task.title}"


# --- the sample plan, as the plan text writes it ------------------------------------


def test_the_ubnd_xa_leads_ii2_the_inspection_team_and_ii4(plan: Plan) -> None:
    roles = {t.code: (t.lead, t.advisors, t.support) for t in plan.tasks}
    assert roles["2a"] == (None, ("VHXH", "HLHPN"), ())
    assert roles["2b"] == (None, ("VHXH",), ())
    assert roles["3kt"] == (None, ("VHXH",), ())
    assert roles["4"][:2] == (None, ()) and "VHXH" in roles["4"][2]
    assert not [t for t in plan.tasks if t.lead == "VP"]


def test_vhxh_form_says_tham_muu_on_ii2a(plan: Plan) -> None:
    ws = _sheet(plan, "VHXH")
    assert _role_below(ws, _heading(plan, "2a")) == "Vai trò: Tham mưu"
    assert _role_below(ws, _heading(plan, "3kt")) == "Vai trò: Tham mưu"
    assert _role_below(ws, _heading(plan, "4")) == "Vai trò: Phối hợp"
    assert _role_below(ws, _heading(plan, "1a")) == "Vai trò: Chủ trì"
    shown = [c.value for r in ws.iter_rows() for c in r if isinstance(c.value, str)]
    text = next(t for t in shown if t.startswith("Nội dung kế hoạch (mục II.2.a)"))
    assert f"Chủ trì: {COMMUNE_LEAD}." in text
    assert "Tham mưu: Bộ phận Văn hóa - Xã hội, Hội Liên hiệp Phụ nữ xã." in text
    assert any(t.startswith(f"Tham mưu cho {COMMUNE_LEAD}") for t in shown)


def test_ca_has_no_inspection_team_task_and_vp_leads_nothing(plan: Plan) -> None:
    ca = {t.code: t.role_of("CA") for t in plan.tasks_for(plan.entry("CA"))}
    assert "3kt" not in ca and "2b" not in ca
    ca_form = _sheet(plan, "CA")
    names = set(ca_form.parent.defined_names)
    assert "nv_3kt_tinh_trang" not in names and "nv_3a_tinh_trang" in names
    vp = {t.code: t.role_of("VP") for t in plan.tasks_for(plan.entry("VP"))}
    assert "2a" not in vp and TaskRole.LEAD not in vp.values()
    vp_form = _sheet(plan, "VP")
    assert "nv_2a_tinh_trang" not in set(vp_form.parent.defined_names)
    with pytest.raises(AssertionError):
        _role_below(vp_form, _heading(plan, "2a"))


def test_role_rows_are_tall_enough_for_their_text(plan: Plan) -> None:
    ws = _sheet(plan, "VHXH")
    for r in range(1, ws.max_row + 1):
        if str(ws.cell(r, 1).value or "").startswith("Vai trò: "):
            note = str(ws.cell(r, 3).value)
            height = ws.row_dimensions[r].height
            # The note spans columns C:D (58 units) at 12 pt: one line of 16 pt per ~69 characters.
            assert len(note) <= 69 or (height or 0) >= 16 * -(-len(note) // 69), (r, note)


# --- plans written before the column, and the checks of the column ------------------


def _old_plan_data() -> PlanData:
    """The sample as a plan from before 'Tham mưu': no such key, the lead a unit."""
    data = sample_data()
    for task in data["tasks"]:
        advise = task.pop("advise", [])
        if task["lead"] == COMMUNE_LEAD:
            task["lead"] = "VP"
            task["support"] = [*advise, *task.get("support", [])]
    return data


def test_an_old_plan_without_the_column_loads_and_gives_the_same_forms(tmp_path: Path) -> None:
    data = _old_plan_data()
    with_column = write_workbook(data, tmp_path / "with.xlsx")
    old = tmp_path / "old.xlsx"
    wb = openpyxl.load_workbook(with_column)
    ws = wb["Nhiệm vụ"]
    assert ws["H1"].value == "Tham mưu"
    ws.delete_cols(8)
    wb.save(old)
    new_plan, old_plan = load_plan(with_column), load_plan(old)
    assert old_plan.tasks == new_plan.tasks
    assert all(t.advisors == () and t.lead is not None for t in old_plan.tasks)
    assert {t.code: t.lead for t in old_plan.tasks}["2a"] == "VP"
    for code in ("VP", "VHXH", "CA"):
        (a,) = build_forms(old_plan, PERIOD, [code], now=NOW)
        (b,) = build_forms(new_plan, PERIOD, [code], now=NOW)
        sa = openpyxl.load_workbook(io.BytesIO(a.content))[contract.MAIN_SHEET]
        sb = openpyxl.load_workbook(io.BytesIO(b.content))[contract.MAIN_SHEET]
        assert [[c.value for c in r] for r in sa.iter_rows()] == [
            [c.value for c in r] for r in sb.iter_rows()
        ]
        assert set(sa.parent.defined_names) == set(sb.parent.defined_names)
    vp = _sheet(old_plan, "VP")
    assert _role_below(vp, f"Nhiệm vụ II.2.a: {old_plan.tasks[3].title}") == "Vai trò: Chủ trì"


def _problems(data: PlanData) -> list[Problem]:
    with pytest.raises(PlanError) as caught:
        validate(tables_from_mapping(data, source="kehoach.xlsx"))
    return list(caught.value.problems)


def test_bad_role_cells_are_located_in_vietnamese() -> None:
    data = sample_data()
    row(data, "tasks", "2a")["advise"] = ["VHXH", "XYZ"]  # row 5: II.2.a
    row(data, "tasks", "2b")["advise"] = ["T03"]
    row(data, "tasks", "3kt")["support"] = ["VHXH"]  # also its advisor
    row(data, "tasks", "4")["support"] = []  # the UBND xã leads: nobody would report
    row(data, "tasks", "3a")["advise"] = ["UBND xã"]
    got = {(p.code, p.cell) for p in _problems(data)}
    assert ("plan.unknown_code", "H5") in got
    assert ("plan.task_not_unit", "H6") in got
    assert ("plan.task_role_twice", "F7") in got
    assert ("plan.task_no_reporter", "E10") in got
    assert ("plan.value_invalid", "H8") in got
    twice = next(p for p in _problems(data) if p.code == "plan.task_role_twice")
    assert (
        twice.message
        == make(
            "plan.task_role_twice",
            cell="F7",
            sheet="Nhiệm vụ",
            header="Phối hợp",
            value="VHXH",
            role="tham mưu",
            other="H7",
        ).message
    )
    assert "Ô F7 (trang 'Nhiệm vụ', cột 'Phối hợp')" in twice.message


def test_the_lead_cell_takes_ubnd_xa_as_typed() -> None:
    for typed in ("UBND xã", "ubnd xa", "Ủy ban nhân dân xã"):
        data = sample_data()
        row(data, "tasks", "2a")["lead"] = typed
        plan = validate(tables_from_mapping(data, source="kehoach.xlsx"))
        assert next(t for t in plan.tasks if t.code == "2a").lead is None


# --- generate → fill → merge: the report and the JSON show the roles ----------------


def test_roles_from_generate_to_merge(tmp_path: Path) -> None:
    root = tmp_path / "xa"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    result = runner.invoke(cli, ["generate", "--period", PERIOD, "--dir", str(root)])
    assert result.exit_code == 0, result.output
    outbox = root / "outbox" / PERIOD / "bieu_mau"
    forms = {p.name: p for p in outbox.glob("*.xlsx")}
    vhxh = next(p for n, p in forms.items() if "_VHXH_" in n)
    values = {
        "nguoi_bao_cao": "Cán bộ VHXH",
        "ngay_bao_cao": datetime(2024, 6, 10),
        "nv_2a_tinh_trang": "Hoàn thành",
        "nv_2a_ket_qua": "Tham mưu UBND xã hỗ trợ 12 phụ nữ học nghề",
        "nv_4_tinh_trang": "Đang thực hiện",
    }
    put(root / "inbox", vhxh.name, fill(vhxh.read_bytes(), values), datetime(2024, 6, 12, 9))
    result = runner.invoke(cli, ["merge", "--period", PERIOD, "--dir", str(root)])
    assert result.exit_code in (0, 1), result.output
    summary = json.loads((root / "outbox" / PERIOD / f"tong_hop_{PERIOD}.json").read_text("utf-8"))
    tasks = {(t["task"], t["unit"]): t for t in summary["tasks"]}
    assert tasks[("2a", "VHXH")]["role"] == "tham_muu"
    assert tasks[("2a", "VHXH")]["role_label"] == "Tham mưu"
    assert tasks[("2a", "VHXH")]["lead"] == COMMUNE_LEAD
    assert tasks[("2a", "VHXH")]["status"] == "Hoàn thành"
    assert tasks[("2a", "HLHPN")]["role"] == "tham_muu" and not tasks[("2a", "HLHPN")]["reported"]
    assert tasks[("4", "VHXH")]["role"] == "phoi_hop"
    assert tasks[("1a", "VHXH")]["role"] == "chu_tri" and tasks[("1a", "VHXH")]["lead"] == "VHXH"
    assert ("3kt", "CA") not in tasks and ("2a", "VP") not in tasks
    report = root / "outbox" / PERIOD / f"BaoCao_TongHop_{PERIOD}.xlsx"
    ws = openpyxl.load_workbook(report)["Theo đơn vị"]
    header = [c.value for c in ws[4]]
    vhxh_col = 1 + next(i for i, h in enumerate(header) if str(h).endswith("(VHXH)"))
    hlhpn_col = 1 + next(i for i, h in enumerate(header) if str(h).endswith("(HLHPN)"))
    row_2a = next(
        r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == "II.2.a"
    )  # the first block: status
    assert ws.cell(row_2a, 2).value.endswith(f"(Chủ trì: {COMMUNE_LEAD})")
    assert ws.cell(row_2a, vhxh_col).value == "Tham mưu: Hoàn thành"
    assert ws.cell(row_2a, hlhpn_col).value == "Tham mưu: chưa báo cáo"
