"""``wbt merge`` and ``wbt demo``: the whole cycle, run as the officer runs it."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from workbook_tools.cli import cli, main
from workbook_tools.demo import load_scenario, returned_files
from workbook_tools.forms import build_forms
from workbook_tools.plan import load_sample_plan

PERIOD = "6T-2024"
REPORT = f"outbox/{PERIOD}/BaoCao_TongHop_{PERIOD}.xlsx"
SUMMARY = f"outbox/{PERIOD}/tong_hop_{PERIOD}.json"


@pytest.fixture(scope="module")
def demo_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo") / "xa"
    result = CliRunner().invoke(cli, ["demo", str(root)])
    assert result.exit_code == 0, result.output
    return root


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _int(value: object) -> int:
    """What a person meant by a number typed as text ("1.250", " 12 ")."""
    return int(str(value).strip().replace(".", ""))


def test_demo_reports_who_is_missing_late_and_what_is_wrong(demo_root: Path) -> None:
    summary = json.loads((demo_root / SUMMARY).read_text("utf-8"))
    completeness = summary["completeness"]
    assert (completeness["expected"], completeness["received"], completeness["on_time"]) == (
        22,
        20,
        19,
    )
    assert completeness["missing"] == ["T07", "DTN"]
    assert completeness["late"] == ["T03"]
    status = {s["file"]: s["status"] for s in summary["submissions"]}
    assert status["6T-2024_T05_Thon-5 (lan 1).xlsx"] == "superseded"
    assert status["6T-2024_T05_Thon-5 (lan 2).xlsx"] == "used"
    assert status["Bao cao PCMD thon 2.xlsx"] == "used"  # renamed, identified all the same
    errors = {
        (p["unit"], p["field"], p["code"]) for p in summary["problems"] if p["severity"] == "error"
    }
    assert errors == {
        ("T09", "tt_thuong_xuyen", "rule.failed"),
        ("CA", "nguoi_bao_cao", "value.required"),
    }
    warned = {(p["unit"], p["field"]) for p in summary["problems"] if p["severity"] == "warning"}
    assert {("T02", "tt_luot_nguoi"), ("T11", "kh_xay_dung"), ("T11", "kh_so_ngay")} <= warned


def test_demo_indicators_match_a_hand_computation(demo_root: Path) -> None:
    plan = load_sample_plan()
    scenario = load_scenario()
    files = returned_files(plan, scenario, build_forms(plan, scenario.period))
    used: dict[str, Mapping[str, object]] = {}
    for f in sorted(files, key=lambda f: f.arrival):  # the newest file of each unit is used
        used[f.unit] = f.values
    villages = [f"T{n:02d}" for n in range(1, 13)]
    reported = [v for v in villages if v in used]
    # T09's tt_hinh_thuc and tt_thuong_xuyen broke a rule: both unusable, the village not counted.
    ct11 = sum(
        1
        for v in reported
        if v != "T09" and _int(used[v]["tt_hinh_thuc"]) >= 1 and used[v]["tt_thuong_xuyen"] == "Có"
    )
    # CT1.2: every channel the plan names, the villages' and the commune's.
    channels = sum(_int(used[v]["tt_loa"]) + _int(used[v]["tt_mang_xa_hoi"]) for v in reported)
    channels += _int(used["VHXH"]["vh_phat_thanh_xa"]) + _int(used["VHXH"]["vh_tin_bai_ttdt"])
    workers = sum(_int(used[v]["ld_tong"]) for v in reported)
    reached = sum(_int(used[v]["ld_duoc_tt"]) for v in reported)
    plans = sum(1 for v in reported if str(used[v]["kh_xay_dung"]).lower() in ("có", "co"))
    models = sum(1 for v in reported if used[v]["mh_trien_khai"] == "Có")
    units = [e.code for e in plan.units]
    unit_plans = sum(1 for u in units if u in used and used[u]["dv_ke_hoach"] == "Có")
    expected = {
        "CT1.1": (ct11, 12, Fraction(95, 100)),
        "CT1.2": (channels, None, None),
        "CT1.3": (reached, workers, Fraction(30, 100)),
        "CT2.1": (plans, 12, Fraction(1)),
        "CT3.2": (8, 24, Fraction(30, 100)),
        "CT4.1": (models, 12, Fraction(10, 100)),
        "CT5.1": (unit_plans, 10, Fraction(1)),
    }
    summary = json.loads((demo_root / SUMMARY).read_text("utf-8"))
    got = {i["code"]: i for i in summary["indicators"]}
    for code, (num, den, target) in expected.items():
        row = got[code]
        assert (row["numerator"], row["denominator"]) == (num, den), code
        if den is None:
            assert row["value"] is None and row["met"] is None
            continue
        assert row["value"] == pytest.approx(num / den, abs=0, rel=1e-12), code
        assert target is not None
        assert row["met"] is (Fraction(num, den) >= target), code
    # The same figures in the report workbook, as the officer sees them.
    book = openpyxl.load_workbook(demo_root / REPORT, data_only=True)
    cells = [c.value for row in book["Tổng hợp"].iter_rows() for c in row]
    assert "CT1.1" in cells and "Không đạt" in cells and "Đạt" in cells


def test_merge_again_leaves_the_inbox_untouched(demo_root: Path) -> None:
    before = _snapshot(demo_root / "inbox")
    result = CliRunner().invoke(cli, ["merge", "--period", PERIOD, "--dir", str(demo_root)])
    assert result.exit_code == 0, result.output
    assert "Đã ghi báo cáo tổng hợp" in result.output
    assert "Chưa nộp: Thôn 7 (T07)" in result.output
    assert _snapshot(demo_root / "inbox") == before


def test_merge_strict_exits_1_on_data_errors_but_writes_the_report(demo_root: Path) -> None:
    report = demo_root / REPORT
    report.unlink()
    result = CliRunner().invoke(
        cli, ["merge", "--period", PERIOD, "--dir", str(demo_root), "--strict"]
    )
    assert result.exit_code == 1
    assert report.is_file()
    assert "--strict" in result.output


def test_merge_refuses_to_overwrite_a_report_open_in_excel(demo_root: Path) -> None:
    report = demo_root / REPORT
    before = report.read_bytes()
    lock = report.parent / f"~${report.name}"
    lock.write_bytes(b"owner")
    try:
        result = CliRunner().invoke(cli, ["merge", "--period", PERIOD, "--dir", str(demo_root)])
    finally:
        lock.unlink()
    assert result.exit_code == 1
    assert "đang được mở" in result.output and "Traceback" not in result.output
    assert report.read_bytes() == before


def test_merge_with_nothing_to_read_exits_1(tmp_path: Path) -> None:
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(tmp_path / "xa")]).exit_code == 0
    result = runner.invoke(cli, ["merge", "--period", PERIOD, "--dir", str(tmp_path / "xa")])
    assert result.exit_code == 1
    assert "Không có tệp nào để tổng hợp" in result.output


def test_merge_without_a_plan_exits_1_with_a_hint(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["merge", "--period", PERIOD, "--dir", str(tmp_path)])
    assert result.exit_code == 1
    assert "wbt init" in result.output and "Traceback" not in result.output


def test_demo_refuses_a_folder_that_already_has_an_inbox(demo_root: Path) -> None:
    result = CliRunner().invoke(cli, ["demo", str(demo_root)])
    assert result.exit_code == 1
    assert "đã có tệp" in result.output


@pytest.mark.parametrize(("before", "after"), [(None, "1"), ("4", "4")])
def test_the_wbt_command_keeps_openblas_to_one_thread_unless_told(
    monkeypatch: pytest.MonkeyPatch, before: str | None, after: str
) -> None:
    # Recorded first, so that the test leaves the environment as it found it.
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "recorded")
    if before is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS")
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", before)
    monkeypatch.setattr("sys.argv", ["wbt", "--version"])
    with pytest.raises(SystemExit) as ended:
        main()
    assert ended.value.code == 0
    assert os.environ["OPENBLAS_NUM_THREADS"] == after
