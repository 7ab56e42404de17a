"""The roster's mail addresses (the plan's Danh sách sheet): used by send, remind and
fetch; a missing or malformed one is a ``wbt plan check`` warning naming its row."""

from __future__ import annotations

from pathlib import Path

import openpyxl
from click.testing import CliRunner

from tests.plan_samples import row, sample_data, write_workbook
from workbook_tools import problems
from workbook_tools.cli import cli
from workbook_tools.plan import load_plan, load_sample_plan
from workbook_tools.plan.model import email_addresses


def test_the_sample_roster_has_an_address_for_every_entry() -> None:
    plan = load_sample_plan()
    assert len(plan.roster) == 22
    assert all(len(e.addresses) == 1 for e in plan.roster)
    assert plan.entry("T07").addresses == ("t07.tiennong@example.org",)
    assert plan.settings.sender_email == "vanhoa.tiennong@example.org"
    assert plan.warnings == ()
    # And the packaged workbook carries them in its Email column.
    template = Path(__file__).resolve().parents[1] / "templates" / "kehoach_2024.xlsx"
    book = openpyxl.load_workbook(template, read_only=True)
    rows = list(book["Danh sách"].iter_rows(values_only=True))
    header = next(r for r in rows if r and "Email" in r)
    email_col = header.index("Email")
    assert "t01.tiennong@example.org" in [r[email_col] for r in rows]


def test_addresses_in_a_cell_are_split_and_checked() -> None:
    assert email_addresses("a@b.vn; Thôn 1 <thon1@gmail.com>, c.d@x.org.vn") == (
        ("a@b.vn", "thon1@gmail.com", "c.d@x.org.vn"),
        (),
    )
    assert email_addresses("nguyễn@gmail.com; a@b") == ((), ("nguyễn@gmail.com", "a@b"))
    assert email_addresses("  ") == ((), ())


def test_plan_check_warns_of_a_missing_or_malformed_address_by_row(tmp_path: Path) -> None:
    data = sample_data()
    row(data, "roster", "T03")["email"] = ""
    row(data, "roster", "CA")["email"] = "congan xa@gmail"
    path = write_workbook(data, tmp_path / "kehoach.xlsx")
    plan = load_plan(path)  # a warning stops nothing
    assert [(p.code, p.unit) for p in plan.warnings] == [
        ("plan.email_missing", "T03"),
        ("plan.email_invalid", "CA"),
    ]
    missing, invalid = plan.warnings
    assert missing.sheet == "Danh sách" and missing.cell is not None
    assert missing.message == problems.make(
        "plan.email_missing", sheet="Danh sách", cell=missing.cell, unit="T03", row=int(
            missing.cell[1:]), name="Thôn 3",
    ).message
    assert "Dòng " in missing.message and "(T03 - Thôn 3) chưa có email" in missing.message
    assert "'congan xa@gmail' không đúng dạng địa chỉ thư" in invalid.message
    result = CliRunner().invoke(cli, ["plan", "check", str(path)])
    assert result.exit_code == 0, result.output
    assert f"Cảnh báo: {missing.message}" in result.output
    assert f"Cảnh báo: {invalid.message}" in result.output
    assert result.output.rstrip().endswith("hợp lệ.")
