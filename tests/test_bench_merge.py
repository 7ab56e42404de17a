"""The merge benchmark runs: ``wbt merge`` on a roster large enough for every process it
starts (the readers, the report's builder, the writer of the villages' table)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl

from workbook_tools.report.workbook import VILLAGES_SHEET

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = 200  # the sample's 10 units and 190 villages: reading and the report both split


def test_the_benchmark_runs_a_large_merge(tmp_path: Path) -> None:
    script = ROOT / "benchmarks" / "bench_merge.py"
    run = subprocess.run(
        [sys.executable, str(script), "--entries", str(ENTRIES), "--rounds", "1",
         "--naive-sample", "4", "--no-phases", "--cache", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert run.returncode == 0, run.stderr[-2000:]
    assert "ms per file, end to end" in run.stdout
    assert "Speed-up of wbt merge over the naive loop" in run.stdout

    (outbox,) = tmp_path.glob("n200-*/outbox/6T-2024")
    summary = json.loads((outbox / "tong_hop_6T-2024.json").read_text(encoding="utf-8"))
    (villages,) = [k for k in summary["completeness"]["by_kind"] if k["kind"] == "thon"]
    assert summary["completeness"]["expected"] == ENTRIES
    assert villages["expected"] == 190

    book = openpyxl.load_workbook(outbox / "BaoCao_TongHop_6T-2024.xlsx", data_only=True)
    sheet = book[VILLAGES_SHEET]
    assert sheet.cell(2, 1).value.startswith(f"{villages['received']}/190 thôn đã nộp")
    codes = [sheet.cell(r, 2).value for r in range(1, sheet.max_row + 1)]
    listed = [c for c in codes if isinstance(c, str) and c.startswith("T") and c[1:].isdigit()]
    assert listed == [f"T{i:02d}" for i in range(1, 191)]
    missing = {e["unit"] for e in summary["completeness"]["entries"] if e["status"] == "chua_nop"}
    status = {sheet.cell(r, 2).value: sheet.cell(r, 4).value for r in range(1, sheet.max_row + 1)}
    assert missing and all(status[code] == "Chưa nộp" for code in missing if code in status)
