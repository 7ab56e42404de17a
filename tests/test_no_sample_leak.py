"""Issue 16: nothing of the 2024 sample in another plan's outputs.

A second plan, different from the sample in every dimension — another commune
and subject (food safety in a ward-like commune of another province, reporting
to the province, with "tổ dân phố" for its villages), quarterly periods, a ≤
target, a count's target, a decimal, a money and a choice field, a rule on the
period's dates, its own field, unit and task codes — is written as TOML by the
test, built with ``wbt plan build`` and run through the real command line:
``wbt init --blank``, ``wbt generate``, the forms filled, ``wbt merge``,
``wbt status``, ``wbt check``. No string only the sample has may appear in any
of their outputs: every form (cells, comments, validations, sheet names,
defined names, document properties), the report workbook, the JSON summary,
the Word report, the file names, and what every command printed. The
indicators are checked against figures worked out by hand.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from docx import Document
from openpyxl import load_workbook

from tests.inbox_forms import fill, put
from workbook_tools.cli import cli

SAMPLE_TOML = Path(__file__).resolve().parent.parent / "workbook_tools/sample/kehoach_2024.toml"
PERIOD = "Q1-2025"
ARRIVED = datetime(2025, 4, 1, 9, 0)

OTHER_TOML = """
[[settings]]
key = "plan_id"
value = "ATTP-TanLap-2025"
[[settings]]
key = "version"
value = "3"
[[settings]]
key = "year"
value = 2025
[[settings]]
key = "commune"
value = "Tân Lập"
[[settings]]
key = "district"
[[settings]]
key = "province"
value = "Phú Thọ"
[[settings]]
key = "report_to"
value = "UBND tỉnh Phú Thọ"
[[settings]]
key = "plan_number"
value = "27/KH-UBND"
[[settings]]
key = "plan_date"
value = 2025-01-06
[[settings]]
key = "plan_title"
value = "Kế hoạch bảo đảm an toàn thực phẩm trên địa bàn xã Tân Lập năm 2025"
[[settings]]
key = "report_title"
value = "Báo cáo kết quả bảo đảm an toàn thực phẩm"
[[settings]]
key = "signer_title"
value = "PHÓ CHỦ TỊCH"
[[settings]]
key = "signer_name"
value = "Đỗ Thị Hằng"
[[settings]]
key = "time_zone"
value = "Asia/Ho_Chi_Minh"
[[settings]]
key = "village_label"
value = "tổ dân phố"
[[settings]]
key = "archive"
value = "VT, KTE"

[[periods]]
code = "Q1-2025"
name = "Báo cáo quý I năm 2025"
months = 3
start = 2025-01-01
end = 2025-03-31
unit_deadline = 2025-04-05
commune_deadline = 2025-04-10

[[periods]]
code = "Q2-2025"
name = "Báo cáo quý II năm 2025"
months = 3
start = 2025-04-01
end = 2025-06-30
unit_deadline = 2025-07-05
commune_deadline = 2025-07-10

[[roster]]
code = "TDP01"
kind = "thon"
name = "Tổ dân phố Đồng Tâm"
[[roster]]
code = "TDP02"
kind = "thon"
name = "Tổ dân phố Hòa Bình"
[[roster]]
code = "TDP03"
kind = "thon"
name = "Tổ dân phố Quyết Thắng"
[[roster]]
code = "TDP04"
kind = "thon"
name = "Tổ dân phố Tân Tiến"
[[roster]]
code = "YTE"
kind = "donvi"
name = "Trạm Y tế xã"
[[roster]]
code = "KTE"
kind = "donvi"
name = "Bộ phận Kinh tế xã"

[[tasks]]
code = "k1"
section = "II.1"
title = "Kiểm tra an toàn thực phẩm các cơ sở"
text = "Kiểm tra định kỳ, đột xuất các cơ sở sản xuất, kinh doanh thực phẩm."
lead = "KTE"
support = ["YTE"]
timeframe = "Mỗi quý"

[[fields]]
code = "nguoi_lap"
forms = ["tatca"]
section = "Người lập"
label = "Họ và tên người lập"
type = "text"
required = true
[[fields]]
code = "ngay_lap"
forms = ["tatca"]
section = "Người lập"
label = "Ngày lập"
type = "date"
required = true
[[fields]]
code = "so_co_so"
forms = ["thon"]
section = "1. Cơ sở thực phẩm"
label = "Số cơ sở sản xuất, kinh doanh thực phẩm"
type = "int"
[[fields]]
code = "so_co_so_vi_pham"
forms = ["thon"]
section = "1. Cơ sở thực phẩm"
label = "Số cơ sở vi phạm"
type = "int"
[[fields]]
code = "so_lop_tap_huan"
forms = ["thon"]
section = "2. Tập huấn"
label = "Số lớp tập huấn kiến thức"
type = "int"
[[fields]]
code = "danh_gia"
forms = ["thon"]
section = "2. Tập huấn"
label = "Tự đánh giá"
type = "choice"
choices = "Tốt; Khá; Trung bình; Yếu"
[[fields]]
code = "yt_mau_kiem"
forms = ["YTE"]
section = "3. Kiểm nghiệm"
label = "Số mẫu thực phẩm kiểm nghiệm nhanh"
type = "int"
[[fields]]
code = "yt_mau_dat"
forms = ["YTE"]
section = "3. Kiểm nghiệm"
label = "Số mẫu đạt"
type = "int"
[[fields]]
code = "khoi_luong_huy"
forms = ["YTE"]
section = "3. Kiểm nghiệm"
label = "Khối lượng thực phẩm tiêu hủy (kg)"
type = "decimal"
decimals = 1
[[fields]]
code = "kinh_phi_kt"
forms = ["KTE"]
section = "4. Kinh phí"
label = "Kinh phí kiểm tra (đồng)"
type = "money"

[[rules]]
code = "R1"
forms = ["YTE"]
severity = "error"
check = "yt_mau_dat <= yt_mau_kiem"
message = "Số mẫu đạt lớn hơn số mẫu kiểm nghiệm. Hãy kiểm tra lại."
[[rules]]
code = "R2"
forms = ["tatca"]
severity = "warning"
check = "ngay_lap >= KY_BAT_DAU AND DAYS(HAN_NOP, ngay_lap) >= 0"
message = "Ngày lập nằm ngoài quý hoặc sau hạn nộp. Hãy kiểm tra lại ngày."

[[indicators]]
code = "AT1"
section = "II.1"
text = "Không quá một nửa số tổ dân phố có cơ sở vi phạm"
numerator = "COUNT(thon: so_co_so_vi_pham >= 1)"
denominator = "COUNT(thon)"
target = "50%"
comparator = "<="
unit_label = "tổ"
[[indicators]]
code = "AT2"
section = "II.2"
text = "Ít nhất 8 lớp tập huấn trong quý"
numerator = "SUM(thon: so_lop_tap_huan)"
target = "8"
comparator = ">="
unit_label = "lớp"
[[indicators]]
code = "AT3"
section = "II.2"
text = "Ít nhất 75% tổ dân phố tự đánh giá Tốt hoặc Khá"
numerator = 'COUNT(thon: danh_gia IN ("Tốt", "Khá"))'
denominator = "COUNT(thon)"
target = "75%"
comparator = ">="
[[indicators]]
code = "AT4"
section = "II.3"
text = "Ít nhất 90% mẫu kiểm nghiệm đạt"
numerator = "SUM(yt_mau_dat)"
denominator = "SUM(yt_mau_kiem)"
target = "90%"
comparator = ">="
unit_label = "mẫu"
[[indicators]]
code = "AT5"
section = "II.3"
text = "Khối lượng thực phẩm tiêu hủy"
numerator = "SUM(khoi_luong_huy)"
unit_label = "kg"
"""

FILLED: dict[str, dict[str, object]] = {
    "TDP01": {"nguoi_lap": "Nguyễn Văn Hải", "ngay_lap": date(2025, 3, 20), "so_co_so": 10,
              "so_co_so_vi_pham": 1, "so_lop_tap_huan": 3, "danh_gia": "Tốt"},
    "TDP02": {"nguoi_lap": "Lê Thị Mai", "ngay_lap": date(2025, 3, 28), "so_co_so": 8,
              "so_co_so_vi_pham": 0, "so_lop_tap_huan": 2, "danh_gia": "Khá"},
    "TDP03": {"nguoi_lap": "Phạm Văn Tú", "ngay_lap": date(2025, 3, 30), "so_co_so": 12,
              "so_co_so_vi_pham": 2, "so_lop_tap_huan": 4, "danh_gia": "Trung bình"},
    "TDP04": {"nguoi_lap": "Vũ Thị Lan", "ngay_lap": date(2025, 4, 2), "so_co_so": 5,
              "so_co_so_vi_pham": 0, "so_lop_tap_huan": 0, "danh_gia": "Yếu"},
    "YTE": {"nguoi_lap": "Hoàng Minh Đức", "ngay_lap": date(2025, 3, 25), "yt_mau_kiem": 40,
            "yt_mau_dat": 37, "khoi_luong_huy": "12,5"},
    # Dated before the quarter: rule R2's warning.
    "KTE": {"nguoi_lap": "Trịnh Văn Long", "ngay_lap": date(2024, 12, 20),
            "kinh_phi_kt": "3.000.000 đ", "nv_k1_tinh_trang": "Hoàn thành",
            "nv_k1_ket_qua": "Kiểm tra 12 cơ sở, nhắc nhở 3 cơ sở."},
}


def sample_only_strings() -> list[str]:
    """What only the 2024 sample says: its places, subject, periods, archive line, and
    every field code of its source that the other plan does not use."""
    sample = tomllib.loads(SAMPLE_TOML.read_text(encoding="utf-8"))
    other = tomllib.loads(OTHER_TOML)
    ours = {f["code"] for f in other["fields"]}
    codes = sorted({f["code"] for f in sample["fields"]} - ours)
    assert "tt_so_buoi" in codes and "nguoi_bao_cao" in codes
    return ["Tiến Nông", "Triệu Sơn", "Thanh Hóa", "mại dâm", "6T-2024", "CN-2024",
            "Lưu: VT, VHXH", "VHXH", *codes]


def xlsx_texts(path: Path) -> Iterator[tuple[str, str]]:
    """Every text of a workbook a reader may see or a program may read, with its place."""
    wb = load_workbook(path)
    try:
        for ws in wb.worksheets:
            yield "sheet name", ws.title
            for r in ws.iter_rows():
                for c in r:
                    if c.value is not None:
                        yield f"{ws.title}!{c.coordinate}", str(c.value)
                    if c.comment is not None:
                        yield f"{ws.title}!{c.coordinate} comment", c.comment.text
            for dv in ws.data_validations.dataValidation:
                for attr in ("prompt", "promptTitle", "error", "errorTitle", "formula1"):
                    value = getattr(dv, attr)
                    if value:
                        yield f"{ws.title} validation {dv.sqref}", str(value)
            for part in (ws.oddHeader, ws.oddFooter):
                for side in (part.left, part.center, part.right):
                    if side.text:
                        yield f"{ws.title} header/footer", side.text
            for name, defined in ws.defined_names.items():
                yield f"{ws.title} defined name", f"{name} {defined.attr_text}"
        for name, defined in wb.defined_names.items():
            yield "defined name", f"{name} {defined.attr_text}"
        props = wb.properties
        for attr in ("title", "subject", "creator", "keywords", "description", "category",
                     "lastModifiedBy", "identifier", "language", "version", "contentStatus"):
            value = getattr(props, attr)
            if value:
                yield f"property {attr}", str(value)
        for prop in wb.custom_doc_props.props:
            yield f"custom property {prop.name}", f"{prop.name} {prop.value}"
    finally:
        wb.close()


def docx_texts(path: Path) -> Iterator[tuple[str, str]]:
    doc = Document(str(path))

    def tables(items: Any, where: str) -> Iterator[tuple[str, str]]:
        for t, table in enumerate(items):
            for row in table.rows:
                for cell in row.cells:
                    for p in cell.paragraphs:
                        yield f"{where} table {t}", p.text
                    yield from tables(cell.tables, f"{where} table {t}")

    for p in doc.paragraphs:
        yield "paragraph", p.text
    yield from tables(doc.tables, "body")
    for s, section in enumerate(doc.sections):
        for part_name in ("header", "footer", "first_page_header", "first_page_footer"):
            part = getattr(section, part_name)
            for p in part.paragraphs:
                yield f"section {s} {part_name}", p.text
            yield from tables(part.tables, f"section {s} {part_name}")
    core = doc.core_properties
    for attr in ("title", "subject", "author", "keywords", "comments", "category"):
        value = getattr(core, attr)
        if value:
            yield f"property {attr}", str(value)


@pytest.fixture(scope="module")
def run_all(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The other plan through the real command line; every output gathered."""
    base = tmp_path_factory.mktemp("other_plan")
    root = base / "tan-lap"
    printed: dict[str, str] = {}
    runner = CliRunner()

    def run(name: str, *args: str) -> Result:
        result = runner.invoke(cli, list(args))
        assert result.exit_code == 0, (name, result.output)
        printed[name] = result.output
        return result

    source = base / "kehoach_attp.toml"
    source.write_text(OTHER_TOML, encoding="utf-8")
    run("init", "init", "--blank", str(root))
    plan_file = root / "templates" / "kehoach.xlsx"
    run("plan build", "plan", "build", str(source), "--out", str(plan_file), "--force")
    run("plan check", "plan", "check", "--dir", str(root))
    run("generate", "generate", "--period", PERIOD, "--dir", str(root))
    forms_dir = root / "outbox" / PERIOD / "bieu_mau"
    forms = sorted(forms_dir.glob("*.xlsx"))
    assert len(forms) == len(FILLED)
    run("status before", "status", "--period", PERIOD, "--dir", str(root))
    for form in forms:
        (code,) = [c for c in FILLED if f"_{c}_" in form.name or form.stem.endswith(c)]
        put(root / "inbox", form.name, fill(form.read_bytes(), FILLED[code]), ARRIVED)
    run("merge", "merge", "--period", PERIOD, "--dir", str(root), "--number", "12",
        "--date", "08/04/2025")
    run("status", "status", "--period", PERIOD, "--dir", str(root))
    run("check", "check", "--period", PERIOD, "--dir", str(root))
    for name, args in (("help", ()), ("help generate", ("generate",)),
                       ("help merge", ("merge",)), ("help status", ("status",)),
                       ("help check", ("check",)), ("help plan build", ("plan", "build"))):
        run(name, *args, "--help")
    return {"root": root, "printed": printed, "forms": forms}


def test_no_sample_string_in_any_output(run_all: dict[str, Any]) -> None:
    root: Path = run_all["root"]
    outbox = root / "outbox" / PERIOD
    texts: list[tuple[str, str]] = []
    for name, output in run_all["printed"].items():
        texts.append((f"wbt {name}", output))
    for path in sorted(outbox.rglob("*")):
        if path.is_dir():
            continue
        where = path.relative_to(root).as_posix()
        texts.append((f"file name {where}", path.name))
        if path.suffix == ".xlsx":
            texts.extend((f"{where} {place}", text) for place, text in xlsx_texts(path))
        elif path.suffix == ".docx":
            texts.extend((f"{where} {place}", text) for place, text in docx_texts(path))
        elif path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
            texts.append((where, json.dumps(data, ensure_ascii=False)))
    assert any(p.name.startswith("BaoCao_") and p.suffix == ".docx" for p in outbox.iterdir())
    leaks = sorted(
        {(s, place, text[max(0, text.index(s) - 80):text.index(s) + 80])
         for s in sample_only_strings() for place, text in texts if s in text}
    )
    assert not leaks, "\n".join(f"{s!r} in {place}: {text}" for s, place, text in leaks)


def test_the_other_plan_is_what_is_printed(run_all: dict[str, Any]) -> None:
    printed = run_all["printed"]
    assert "xã Tân Lập, tỉnh Phú Thọ" in printed["plan build"]
    assert "Q1-2025" in printed["plan check"] and "tổ dân phố" in printed["plan check"]
    assert "Tổ dân phố Tân Tiến" in printed["status"]


def test_the_indicators_by_hand(run_all: dict[str, Any]) -> None:
    root: Path = run_all["root"]
    summary = json.loads((root / "outbox" / PERIOD / f"tong_hop_{PERIOD}.json")
                         .read_text(encoding="utf-8"))
    assert summary["period"] == PERIOD
    assert summary["completeness"]["expected"] == 6
    assert summary["completeness"]["received"] == 6
    by_code = {i["code"]: i for i in summary["indicators"]}
    # AT1: TDP01 (1) and TDP03 (2) have a violating establishment: 2 of 4 = 50 % ≤ 50 %.
    assert (by_code["AT1"]["numerator"], by_code["AT1"]["denominator"]) == (2, 4)
    assert by_code["AT1"]["value"] == pytest.approx(0.5)
    assert by_code["AT1"]["met"] is True
    # AT2: 3 + 2 + 4 + 0 = 9 classes ≥ 8, a count.
    assert by_code["AT2"]["numerator"] == 9 and by_code["AT2"]["denominator"] is None
    assert by_code["AT2"]["met"] is True
    # AT3: Tốt (TDP01) and Khá (TDP02) of 4: 50 % < 75 %.
    assert (by_code["AT3"]["numerator"], by_code["AT3"]["denominator"]) == (2, 4)
    assert by_code["AT3"]["met"] is False
    # AT4: 37 of 40 samples = 92,5 % ≥ 90 %.
    assert (by_code["AT4"]["numerator"], by_code["AT4"]["denominator"]) == (37, 40)
    assert by_code["AT4"]["value"] == pytest.approx(0.925)
    assert by_code["AT4"]["met"] is True
    # AT5: 12,5 kg destroyed, typed the Vietnamese way; no target.
    assert by_code["AT5"]["numerator"] == pytest.approx(12.5)
    assert by_code["AT5"]["met"] is None
    # KTE's form is dated before the quarter: rule R2's warning, on its date.
    assert any(p["unit"] == "KTE" and p["field"] == "ngay_lap" and p["severity"] == "warning"
               for p in summary["problems"])


def test_the_report_workbook_shows_the_indicators(run_all: dict[str, Any]) -> None:
    root: Path = run_all["root"]
    path = root / "outbox" / PERIOD / f"BaoCao_TongHop_{PERIOD}.xlsx"
    text = "\n".join(t for _, t in xlsx_texts(path))
    for said in ("Tân Lập", "Tổ dân phố Tân Tiến", "Lưu: VT, KTE", "UBND tỉnh Phú Thọ",
                 "4/4 tổ dân phố đã báo cáo"):
        assert said in text, said
    wb = load_workbook(path)
    try:
        rows = {r[2]: r[4:9] for r in wb["Tổng hợp"].iter_rows(values_only=True)
                if isinstance(r[2], str) and r[2].startswith("AT")}
    finally:
        wb.close()
    # numerator, denominator, value, target, judgement — by hand, as above.
    assert rows["AT1"] == (2, 4, 0.5, 0.5, "Đạt")  # ≤ 50 %: reached exactly
    assert rows["AT2"] == (9, "—", 9, 8, "Đạt")  # a count: ≥ 8 classes
    assert rows["AT3"] == (2, 4, 0.5, 0.75, "Không đạt")
    assert rows["AT4"] == (37, 40, 0.925, 0.9, "Đạt")
    assert rows["AT5"][:2] == (12.5, "—")
