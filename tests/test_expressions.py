"""The formula language of the plan workbook: parsing, checking, evaluating."""

from __future__ import annotations

import inspect
import operator
import sys
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from workbook_tools.errors import ExpressionError
from workbook_tools.expressions import (
    MAX_DEPTH,
    MAX_LENGTH,
    MAX_NESTING,
    SUGGESTION,
    Aggregate,
    Arithmetic,
    Call,
    Comparison,
    Context,
    Expression,
    Logical,
    Membership,
    Name,
    Negate,
    Node,
    Not,
    Number,
    String,
    check,
    evaluate_aggregate,
    evaluate_row,
    message,
    parse,
)
from workbook_tools.plan.model import FieldType
from workbook_tools.problems import MESSAGES
from workbook_tools.values import Value

# The fields, constants and scopes of the 2024 plan (SPEC "What each form asks").
INT, YESNO, STATUS, TEXT, DATE = (
    FieldType.INT,
    FieldType.YESNO,
    FieldType.STATUS,
    FieldType.TEXT,
    FieldType.DATE,
)
FIELDS: dict[str, FieldType] = {
    "nguoi_bao_cao": TEXT,
    "ngay_bao_cao": DATE,
    "tt_hinh_thuc": INT,
    "tt_thuong_xuyen": YESNO,
    "tt_loa": INT,
    "ld_tong": INT,
    "ld_duoc_tt": INT,
    "kh_xay_dung": YESNO,
    "kh_so_ngay": TEXT,
    "lg_kt_xh": YESNO,
    "lg_an_sinh": YESNO,
    "tb_tiep_nhan": INT,
    "tb_chuyen_xu_ly": INT,
    "mh_trien_khai": YESNO,
    "mh_ten": TEXT,
    "dv_ke_hoach": YESNO,
    "nv_1a_tinh_trang": STATUS,
    "ca_cs_tong": INT,
    "ca_cs_kiem_tra": INT,
    "ca_tb_tiep_nhan": INT,
    "ca_tb_xu_ly": INT,
    "vh_thang_co_tin": INT,
    "vh_phat_thanh_xa": INT,
    "vh_doan_lien_nganh": YESNO,
    "vh_qd_ngay": DATE,
}
CONSTANTS = ("SO_THANG", "NAM")
SCOPES = ("thon", "donvi", "tatca", "T01", "T02", "VHXH", "CA")

RULES = [
    "ld_duoc_tt <= ld_tong",
    "tb_chuyen_xu_ly <= tb_tiep_nhan",
    "ca_cs_kiem_tra <= ca_cs_tong",
    'NOT (tt_thuong_xuyen = "Có" AND tt_hinh_thuc = 0)',
    "vh_thang_co_tin <= SO_THANG",
    "NOT EMPTY(kh_so_ngay)",
    'NOT EMPTY(vh_qd_ngay) OR vh_doan_lien_nganh = "Không"',
    "YEAR(ngay_bao_cao) = NAM",
]
INDICATORS = [
    'COUNT(thon: tt_hinh_thuc >= 1 AND tt_thuong_xuyen = "Có")',
    "COUNT(thon)",
    "SUM(tt_loa) + SUM(vh_phat_thanh_xa)",
    "SUM(ld_duoc_tt)",
    "SUM(ld_tong)",
    "SUM(vh_thang_co_tin)",
    "SO_THANG",
    'COUNT(VHXH: vh_doan_lien_nganh = "Có" AND vh_qd_ngay <= DATE(NAM, 3, 31))',
    'COUNT(donvi: dv_ke_hoach = "Có")',
    "COUNT(donvi)",
    'COUNT(thon: lg_kt_xh = "Có" OR lg_an_sinh = "Có")',
    "SUM(CA: ca_tb_xu_ly)",
]


def n(name: str) -> Name:
    return Name(name)


# --- parsing -------------------------------------------------------------------

PARSED: list[tuple[str, Node]] = [
    ("0", Number(0)),
    ("12", Number(12)),
    ("0.5", Number(Fraction(1, 2))),
    ("007.250", Number(Fraction(29, 4))),
    ('"Có"', String("Có")),
    ("“Có”", String("Có")),  # Excel's autocorrect quotes
    ('"Hoàn thành”', String("Hoàn thành")),
    ("tt_loa", n("tt_loa")),
    ("SO_THANG", n("SO_THANG")),
    ("-1", Negate(Number(1))),
    ("- -x", Negate(Negate(n("x")))),
    ("1 + 2 * 3", Arithmetic("+", Number(1), Arithmetic("*", Number(2), Number(3)))),
    ("(1 + 2) * 3", Arithmetic("*", Arithmetic("+", Number(1), Number(2)), Number(3))),
    ("8 - 4 - 2", Arithmetic("-", Arithmetic("-", Number(8), Number(4)), Number(2))),
    ("8 / 4 / 2", Arithmetic("/", Arithmetic("/", Number(8), Number(4)), Number(2))),
    ("-a * b", Arithmetic("*", Negate(n("a")), n("b"))),
    ("a - -b", Arithmetic("-", n("a"), Negate(n("b")))),
    ("a != b", Comparison("<>", n("a"), n("b"))),
    ("a ≠ b", Comparison("<>", n("a"), n("b"))),
    ("a ≤ b", Comparison("<=", n("a"), n("b"))),
    ("a ≥ b", Comparison(">=", n("a"), n("b"))),
    ("a == b", Comparison("=", n("a"), n("b"))),
    ("a<>b", Comparison("<>", n("a"), n("b"))),
    (
        "a+1>=b*2",
        Comparison(">=", Arithmetic("+", n("a"), Number(1)), Arithmetic("*", n("b"), Number(2))),
    ),
    (
        "a = 1 or b = 2 and c = 3",
        Logical(
            "OR",
            Comparison("=", n("a"), Number(1)),
            Logical("AND", Comparison("=", n("b"), Number(2)), Comparison("=", n("c"), Number(3))),
        ),
    ),
    ("NOT a = 1", Not(Comparison("=", n("a"), Number(1)))),
    ("not not p", Not(Not(n("p")))),
    ("Not p And q", Logical("AND", Not(n("p")), n("q"))),
    ("NOT (p OR q)", Not(Logical("OR", n("p"), n("q")))),
    ("NOT EMPTY(kh_so_ngay)", Not(Call("EMPTY", (n("kh_so_ngay"),)))),
    ("empty(x)", Call("EMPTY", (n("x"),))),
    ("YEAR(ngay_bao_cao) = NAM", Comparison("=", Call("YEAR", (n("ngay_bao_cao"),)), n("NAM"))),
    ("DATE(NAM, 3, 31)", Call("DATE", (n("NAM"), Number(3), Number(31)))),
    ("DATE(2024; 3; 31)", Call("DATE", (Number(2024), Number(3), Number(31)))),  # vi-VN Excel
    ("EMPTY()", Call("EMPTY", ())),  # arity is check()'s business
    ("COUNT(thon)", Aggregate("COUNT", "thon", None)),
    ("count(CA)", Aggregate("COUNT", "CA", None)),
    (
        'COUNT(thon: tt_thuong_xuyen = "Có")',
        Aggregate("COUNT", "thon", Comparison("=", n("tt_thuong_xuyen"), String("Có"))),
    ),
    ("SUM(ld_duoc_tt)", Aggregate("SUM", None, n("ld_duoc_tt"))),
    ("Sum(donvi: a + b)", Aggregate("SUM", "donvi", Arithmetic("+", n("a"), n("b")))),
    (
        "SUM(tt_loa) + SUM(vh_phat_thanh_xa)",
        Arithmetic(
            "+", Aggregate("SUM", None, n("tt_loa")), Aggregate("SUM", None, n("vh_phat_thanh_xa"))
        ),
    ),
    ("\u00a0a\u200b =\n\t1 ", Comparison("=", n("a"), Number(1))),  # pasted from Zalo/web
    ("((a))", n("a")),
]


@pytest.mark.parametrize(("text", "tree"), PARSED, ids=[t for t, _ in PARSED])
def test_parse_builds_the_tree(text: str, tree: Node) -> None:
    assert parse(text).root == tree


@pytest.mark.parametrize(
    ("text", "fields", "constants", "scopes"),
    [
        ('COUNT(thon: tt_hinh_thuc >= 1 AND tt_thuong_xuyen = "Có")',
         {"tt_hinh_thuc", "tt_thuong_xuyen"}, set(), {"thon"}),
        ("COUNT(thon)", set(), set(), {"thon"}),
        ("SUM(tt_loa) + SUM(vh_phat_thanh_xa)", {"tt_loa", "vh_phat_thanh_xa"}, set(), set()),
        ("SO_THANG", set(), {"SO_THANG"}, set()),
        ('COUNT(VHXH: vh_doan_lien_nganh = "Có" AND vh_qd_ngay <= DATE(NAM, 3, 31))',
         {"vh_doan_lien_nganh", "vh_qd_ngay"}, {"NAM"}, {"VHXH"}),
        ("vh_thang_co_tin <= SO_THANG", {"vh_thang_co_tin"}, {"SO_THANG"}, set()),
        ("YEAR(ngay_bao_cao) = NAM", {"ngay_bao_cao"}, {"NAM"}, set()),
    ],
)  # fmt: skip
def test_parse_collects_names(
    text: str, fields: set[str], constants: set[str], scopes: set[str]
) -> None:
    expr = parse(text)
    assert expr.fields == frozenset(fields)
    assert expr.constants == frozenset(constants)
    assert expr.scopes == frozenset(scopes)


def test_expression_is_frozen_hashable_and_prints_its_text() -> None:
    text = 'COUNT(thon: kh_xay_dung = "Có")'
    expr = parse(text)
    assert str(expr) == text
    assert f"{expr}" == text
    assert parse(text) == expr and hash(parse(text)) == hash(expr)
    with pytest.raises(FrozenInstanceError):
        expr.text = "x"  # type: ignore[misc]


def test_text_is_normalised_to_nfc() -> None:
    decomposed = unicodedata.normalize("NFD", 'tt_thuong_xuyen = "Có"')
    expr = parse(decomposed)
    assert expr.root == Comparison("=", n("tt_thuong_xuyen"), String("Có"))
    assert str(expr) == unicodedata.normalize("NFC", decomposed)


def test_nodes_know_where_they_are() -> None:
    expr = parse('a + 1 >= COUNT(thon: b = "x")')
    root = expr.root
    assert isinstance(root, Comparison)
    assert expr.text[root.offset : root.offset + 2] == ">="
    assert isinstance(root.right, Aggregate)
    assert expr.text[root.right.scope_offset :].startswith("thon")
    start, end = root.left.span
    assert expr.text[start:end] == "a + 1"


# --- syntax errors: where, what, how to fix ---------------------------------------

SYNTAX_ERRORS: list[tuple[str, str, int | None, dict[str, object]]] = [
    ("", "formula.empty", None, {}),
    ("   ", "formula.empty", None, {}),
    ("a = ", "formula.unexpected_end", 3, {"expected": "một giá trị"}),
    ("a = 1 b", "formula.extra", 7, {"found": "'b'"}),
    ('tt_thuong_xuyen = "Có" tt_hinh_thuc = 0', "formula.extra", 24, {"found": "'tt_hinh_thuc'"}),
    ("(a = 1", "formula.unclosed_paren", 1, {}),
    ("NOT (a = 1 AND (b = 2)", "formula.unclosed_paren", 5, {}),
    ("a = 1)", "formula.unmatched_paren", 6, {}),
    ("(a = )", "formula.unexpected", 6, {"found": "')'"}),
    ("a < b < c", "formula.chained_comparison", 7, {"operator": "<"}),
    ("a = b <> c", "formula.chained_comparison", 7, {"operator": "<>"}),
    ("1 + * 2", "formula.unexpected", 5, {"found": "'*'"}),
    ("a AND", "formula.unexpected_end", 5, {}),
    ("COUNTT(thon)", "formula.unknown_function", 1, {"suggestion": "ý bạn là 'COUNT'?"}),
    ("ROUND(a, 1)", "formula.unknown_function", 1, {"name": "ROUND"}),
    ("a IN 1, 2", "formula.unexpected", 6, {"found": "'1'"}),
    ("a IN (1, 2", "formula.unclosed_paren", 6, {}),
    ("a IN (1) = b", "formula.chained_comparison", 10, {"operator": "="}),
    ("a NOT b", "formula.extra", 3, {"found": "'NOT'"}),
    ("a = Có", "formula.bad_name", 5, {"text": "Có"}),
    ("số_buổi > 0", "formula.bad_name", 1, {"text": "số_buổi"}),
    ("a = 'Có'", "formula.bad_character", 5, {"char": "'"}),
    ("a = 1 & b = 2", "formula.bad_character", 7, {"char": "&"}),
    ("a >= 95%", "formula.bad_character", 8, {"char": "%"}),
    ('a = "Có', "formula.unterminated_string", 5, {}),
    ("a = “Có", "formula.unterminated_string", 5, {}),
    ("a > 1.", "formula.bad_number", 5, {"text": "1."}),
    ("a > 1.x", "formula.bad_number", 5, {"text": "1."}),
    ("COUNT(1)", "formula.aggregate_form", 7, {"function": "COUNT"}),
    ("COUNT()", "formula.aggregate_form", 7, {"function": "COUNT"}),
    ("COUNT(thon AND a)", "formula.aggregate_form", 7, {"function": "COUNT"}),
    ("COUNT(thon: )", "formula.aggregate_form", 13, {"function": "COUNT"}),
    ("SUM()", "formula.aggregate_form", 5, {"function": "SUM"}),
    ("SUM(a, b)", "formula.aggregate_form", 6, {"function": "SUM"}),
    ("EMPTY(thon: a)", "formula.unexpected", 11, {"found": "':'"}),
    ("x" * (MAX_LENGTH + 1), "formula.too_long", None, {"length": MAX_LENGTH + 1}),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "code", "position", "context"), SYNTAX_ERRORS, ids=[e[1] for e in SYNTAX_ERRORS]
)
def test_syntax_error_says_where_and_what(
    text: str, code: str, position: int | None, context: dict[str, object]
) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    error = caught.value
    assert error.position == position
    shown = str(error)
    # The message is the catalogue template, filled in; spot-check the fillings.
    head = MESSAGES[code][1].split("{", 1)[0]
    assert shown.startswith(head)
    if position is not None:
        assert f"ký tự thứ {position}" in shown
    for value in context.values():
        assert str(value) in shown
    assert "{" not in shown.replace('"{', "")  # every placeholder filled
    assert "hãy" in shown.lower() or "Cách viết" in shown  # says how to fix


def test_syntax_error_message_matches_the_catalogue_exactly() -> None:
    with pytest.raises(ExpressionError) as caught:
        parse("(a = 1")
    assert str(caught.value) == message("formula.unclosed_paren", position=1)
    with pytest.raises(ExpressionError) as caught:
        parse("a = 1)")
    assert str(caught.value) == (
        "Dấu ')' ở ký tự thứ 6 không có dấu '(' tương ứng. "
        "Hãy xoá dấu này hoặc thêm '(' vào chỗ cần."
    )


def test_positions_count_characters_not_bytes() -> None:
    # "Đạt" is three characters however it was typed.
    decomposed = unicodedata.normalize("NFD", 'a = "Đạt" )')
    with pytest.raises(ExpressionError) as caught:
        parse(decomposed)
    assert caught.value.position == 11


@pytest.mark.parametrize(
    "text",
    [
        "(" * 200 + "1" + ")" * 200,
        "-" * 500 + "1",
        "NOT " * 400 + "p",
        "EMPTY(" * 200 + "x" + ")" * 200,
        "+".join(["1"] * 900),
        " AND ".join(["p"] * 300),
        "a = " + "(" * 1990,
    ],
    ids=["parens", "minus", "not", "calls", "long-sum", "long-and", "open-parens"],
)
def test_hostile_nesting_is_a_clean_error(text: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse(text)
    assert "lồng nhau quá sâu" in str(caught.value)


def test_the_deepest_allowed_formula_fits_a_small_stack() -> None:
    # Parsing at the nesting limit must stay far from Python's recursion limit,
    # even when called from deep inside the tool.
    nested = "(" * MAX_NESTING + "1" + ")" * MAX_NESTING
    chain = "+".join(["1"] * (MAX_DEPTH - 1))
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(len(inspect.stack(0)) + 350)
    try:
        assert parse(nested).root == Number(1)
        expr = parse(chain)
        assert evaluate_row(expr, {}, {}) == MAX_DEPTH - 1
    finally:
        sys.setrecursionlimit(old)


# --- evaluation on one form --------------------------------------------------------

ROW: dict[str, Value] = {
    "tt_hinh_thuc": 0,
    "tt_thuong_xuyen": "Có",
    "ld_tong": 6,
    "ld_duoc_tt": 4,
    "zero": 0,
    "ngay_bao_cao": date(2024, 6, 14),
    "vh_qd_ngay": date(2024, 3, 31),
    "kh_so_ngay": "   ",  # blank: counts as empty
    "mh_ten": "Mô hình phòng ngừa",
    "nfd": unicodedata.normalize("NFD", "Không"),
}
CONST: dict[str, Value] = {"SO_THANG": 6, "NAM": 2024}

EVALUATED: list[tuple[str, object]] = [
    ("ld_duoc_tt <= ld_tong", True),
    ("ld_duoc_tt > ld_tong", False),
    ("missing <= ld_tong", None),
    ("missing + 1", None),
    ("-missing", None),
    ('NOT (tt_thuong_xuyen = "Có" AND tt_hinh_thuc = 0)', False),
    ("ld_tong * 2 + 1", 13),
    ("ld_duoc_tt / ld_tong", Fraction(2, 3)),
    ("ld_tong / 3", Fraction(2)),
    ("1 / 3 + 1 / 6 = 0.5", True),
    ("0.1 + 0.2 = 0.3", True),  # exact, unlike floats
    ("ld_tong / zero", None),
    ("ld_tong / (ld_tong - 6)", None),
    ("(ld_tong / zero) = 1", None),
    ("8 - 4 - 2", 2),
    ("-ld_tong", -6),
    ("vh_thang_co_tin <= SO_THANG", None),
    ("ld_tong <= SO_THANG", True),
    ("YEAR(ngay_bao_cao) = NAM", True),
    ("YEAR(missing)", None),
    ("YEAR(ld_tong)", None),
    ("vh_qd_ngay <= DATE(NAM, 3, 31)", True),
    ("vh_qd_ngay < DATE(NAM, 3, 31)", False),
    ("ngay_bao_cao > vh_qd_ngay", True),
    ("DATE(NAM, 2, 30)", None),
    ("DATE(NAM, 2, 29)", date(2024, 2, 29)),
    ("DATE(NAM, 1 / 2, 1)", None),
    ("DATE(NAM, 4 / 2, 1)", date(2024, 2, 1)),
    ("DATE(missing, 1, 1)", None),
    ("EMPTY(missing)", True),
    ("EMPTY(kh_so_ngay)", True),
    ("EMPTY(mh_ten)", False),
    ("NOT EMPTY(kh_so_ngay)", False),
    ('EMPTY("")', True),
    ("EMPTY(ld_tong / zero)", True),
    ('nfd = "Không"', True),  # NFD value, NFC literal
    ("tt_thuong_xuyen = “Có”", True),
    ('tt_thuong_xuyen <> "Không"', True),
    ('tt_thuong_xuyen = "có"', False),
    ("tt_thuong_xuyen = 1", None),  # mismatched sorts: unknown
    ("ngay_bao_cao = 2024", None),
    ("(1 = 1) = (2 = 2)", True),
    ("(1 = 1) < (2 = 2)", None),
    ("NOT ld_tong", None),
    ("ld_tong AND 1 = 1", None),
    ('"Có"', "Có"),
    ("ld_tong", 6),
]


@pytest.mark.parametrize(("text", "expected"), EVALUATED, ids=[t for t, _ in EVALUATED])
def test_evaluate_row(text: str, expected: object) -> None:
    result = evaluate_row(parse(text), ROW, CONST)
    assert result == expected
    assert type(result) is type(expected)  # ints stay ints, ratios are Fractions, bools bools


@pytest.mark.parametrize("left", [True, False, None])
@pytest.mark.parametrize("right", [True, False, None])
def test_kleene_logic(left: bool | None, right: bool | None) -> None:
    literal = {True: "1 = 1", False: "1 = 2", None: "missing = 1"}
    a, b = f"({literal[left]})", f"({literal[right]})"
    conjunction = False if False in (left, right) else None if None in (left, right) else True
    disjunction = True if True in (left, right) else None if None in (left, right) else False
    assert evaluate_row(parse(f"{a} AND {b}"), {}, {}) is conjunction
    assert evaluate_row(parse(f"{a} OR {b}"), {}, {}) is disjunction
    negation = None if left is None else not left
    assert evaluate_row(parse(f"NOT {a}"), {}, {}) is negation


def test_evaluate_row_takes_datetimes_as_dates() -> None:
    # A reader may hand over a datetime for a date cell; comparing must still work.
    values: dict[str, Value] = {"ngay_bao_cao": datetime(2024, 6, 14, 0, 0)}
    assert evaluate_row(parse("ngay_bao_cao <= DATE(NAM, 6, 15)"), values, CONST) is True


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("COUNT(thon) > 0", "formula.aggregate_in_rule"),
        ("UNKNOWN_CONSTANT = 1", "formula.unknown_constant"),
        ("EMPTY(a, b)", "formula.arity"),
    ],
)
def test_evaluate_row_refuses_what_check_refuses(text: str, code: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate_row(parse(text), {}, CONST)
    assert str(caught.value).startswith(MESSAGES[code][1].split("{", 1)[0])


# --- evaluation over the roster ----------------------------------------------------


@dataclass
class Roster:
    """A tiny population: scope -> entries (None for one that did not report)."""

    entries: dict[str, Mapping[str, Value] | None]
    scopes: dict[str, list[str]]

    def members(self, scope: str) -> Sequence[Mapping[str, Value] | None]:
        return [self.entries[code] for code in self.scopes[scope]]

    def reporters(self) -> Sequence[Mapping[str, Value]]:
        return [e for e in self.entries.values() if e is not None]


ROSTER = Roster(
    entries={
        "T01": {"tt_hinh_thuc": 2, "tt_thuong_xuyen": "Có", "tt_loa": 5, "ld_tong": 10,
                "ld_duoc_tt": 3, "lg_kt_xh": "Có"},
        "T02": {"tt_hinh_thuc": 0, "tt_thuong_xuyen": "Không", "tt_loa": 2, "ld_tong": 5,
                "ld_duoc_tt": 1, "lg_an_sinh": "Có"},
        "T03": {"tt_thuong_xuyen": "Có", "ld_tong": 0},  # tt_hinh_thuc missing or unusable
        "T04": None,  # did not report
        "VHXH": {"vh_phat_thanh_xa": 7, "vh_thang_co_tin": 5, "vh_doan_lien_nganh": "Có",
                 "vh_qd_ngay": date(2024, 3, 20), "dv_ke_hoach": "Có"},
        "CA": {"dv_ke_hoach": "Không", "ca_tb_tiep_nhan": 0, "ca_tb_xu_ly": 0},
        "MTTQ": None,
    },
    scopes={
        "thon": ["T01", "T02", "T03", "T04"],
        "donvi": ["VHXH", "CA", "MTTQ"],
        "tatca": ["T01", "T02", "T03", "T04", "VHXH", "CA", "MTTQ"],
        "VHXH": ["VHXH"],
        "CA": ["CA"],
        "MTTQ": ["MTTQ"],
    },
)  # fmt: skip

AGGREGATED: list[tuple[str, int | Fraction | None]] = [
    ("COUNT(thon)", 4),  # every village on the roster, reporting or not
    ("COUNT(donvi)", 3),
    ('COUNT(thon: tt_hinh_thuc >= 1 AND tt_thuong_xuyen = "Có")', 1),  # T03 unknown: not counted
    ('COUNT(thon: NOT (tt_hinh_thuc >= 1 AND tt_thuong_xuyen = "Có"))', 1),  # T02 only
    ('COUNT(thon: lg_kt_xh = "Có" OR lg_an_sinh = "Có")', 2),
    ("COUNT(thon: EMPTY(tt_hinh_thuc))", 1),  # T03; T04 did not report at all
    ('COUNT(donvi: dv_ke_hoach = "Có")', 1),
    ('COUNT(VHXH: vh_doan_lien_nganh = "Có" AND vh_qd_ngay <= DATE(NAM, 3, 31))', 1),
    ('COUNT(VHXH: vh_doan_lien_nganh = "Có" AND vh_qd_ngay <= DATE(NAM, 3, 19))', 0),
    ("COUNT(MTTQ: 1 = 1)", 0),  # a non-reporter never meets a condition
    ("COUNT(MTTQ)", 1),
    ("SUM(tt_loa) + SUM(vh_phat_thanh_xa)", 14),
    ("SUM(ld_duoc_tt)", 4),
    ("SUM(thon: ld_tong)", 15),
    ("SUM(thon: ld_duoc_tt) / SUM(thon: ld_tong)", Fraction(4, 15)),
    ("SUM(vh_thang_co_tin)", 5),
    ("SUM(vh_thang_co_tin) / SO_THANG", Fraction(5, 6)),
    ("SO_THANG", 6),
    ("SUM(CA: ca_tb_xu_ly) / SUM(CA: ca_tb_tiep_nhan)", None),  # nothing arose
    ("SUM(MTTQ: tt_loa)", 0),  # a sum of nothing is 0
    ("SUM(pn_hoa_nhap)", 0),
    ("SUM(thon: tt_loa * 2 + 1)", 16),  # T03 has no tt_loa: skipped, not counted as 1
    ("SUM(thon: ld_tong / 2)", Fraction(15, 2)),
    ("COUNT(tatca: NOT EMPTY(dv_ke_hoach))", 2),
    ("COUNT(thon) > 0", None),  # a condition is not an indicator's number
]


@pytest.mark.parametrize(("text", "expected"), AGGREGATED, ids=[t for t, _ in AGGREGATED])
def test_evaluate_aggregate(text: str, expected: int | Fraction | None) -> None:
    result = evaluate_aggregate(parse(text), ROSTER, CONST)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("tt_loa + 1", "formula.bare_field"),
        ("SUM(COUNT(thon))", "formula.nested_aggregate"),
        ("COUNT(thon: SUM(tt_loa) > 1)", "formula.nested_aggregate"),
        ("SUM(tt_loa) + NAMM", "formula.unknown_constant"),
    ],
)
def test_evaluate_aggregate_refuses_what_check_refuses(text: str, code: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate_aggregate(parse(text), ROSTER, CONST)
    assert str(caught.value).startswith(MESSAGES[code][1].split("{", 1)[0])


# --- check -------------------------------------------------------------------------


def issues_of(text: str, context: Context) -> list[tuple[str, str | None, str | None, int | None]]:
    found = check(parse(text), context=context, fields=FIELDS, constants=CONSTANTS, scopes=SCOPES)
    for issue in found:
        assert issue.message.startswith(MESSAGES[issue.code][1].split("{", 1)[0])
        if issue.position is not None and "Công thức này" not in issue.message:
            assert f"ký tự thứ {issue.position}" in issue.message
        if issue.suggestion is not None:
            assert issue.suggestion in issue.message
    return [(i.kind, i.name, i.suggestion, i.position) for i in found]


@pytest.mark.parametrize("text", RULES)
def test_plan_rules_check_clean(text: str) -> None:
    assert issues_of(text, Context.ROW) == []


@pytest.mark.parametrize("text", INDICATORS)
def test_plan_indicators_check_clean(text: str) -> None:
    assert issues_of(text, Context.AGGREGATE) == []


def did_you_mean(name: str) -> str:
    return SUGGESTION.format(name=name)


ROW_, AGG = Context.ROW, Context.AGGREGATE
CHECKED: list[tuple[str, Context, list[tuple[str, str | None, str | None, int | None]]]] = [
    ("tt_lao > 0", ROW_, [("unknown_name", "tt_lao", did_you_mean("tt_loa"), 1)]),
    ("tt_loa > 0 AND tt_lao > 1 AND tt_lao < 9", ROW_,
     [("unknown_name", "tt_lao", did_you_mean("tt_loa"), 16)]),  # one issue per name
    ("TT_LOA > 0", ROW_, [("unknown_name", "TT_LOA", did_you_mean("tt_loa"), 1)]),
    ("vh_thang_co_tin <= SO_THANGG", ROW_,
     [("unknown_name", "SO_THANGG", did_you_mean("SO_THANG"), 20)]),
    ("zzz_qqq > 0", ROW_, [("unknown_name", "zzz_qqq", None, 1)]),
    ("COUNT(thn)", AGG, [("unknown_name", "thn", did_you_mean("thon"), 7)]),
    ("COUNT(vhxh)", AGG, [("unknown_name", "vhxh", did_you_mean("VHXH"), 7)]),
    ('tt_thuong_xuyen = "co"', ROW_, [("value", "co", did_you_mean("Có"), 19)]),
    ('tt_thuong_xuyen = "Yes"', ROW_, [("value", "Yes", None, 19)]),
    ('"Khong" = kh_xay_dung', ROW_, [("value", "Khong", did_you_mean("Không"), 1)]),
    ('nv_1a_tinh_trang <> "hoan thanh"', ROW_,
     [("value", "hoan thanh", did_you_mean("Hoàn thành"), 21)]),
    ('nv_1a_tinh_trang = "Đang thực hiện"', ROW_, []),
    ('mh_ten = "Có"', ROW_, []),  # a text field takes any text
    ('kh_so_ngay = ""', ROW_, [("misuse", "kh_so_ngay", None, 14)]),
    ('tt_loa = "5"', ROW_, [("type", None, None, 8)]),
    ("tt_thuong_xuyen = 1", ROW_, [("type", None, None, 17)]),
    ("vh_qd_ngay <= 2024", ROW_, [("type", None, None, 12)]),
    ('tt_thuong_xuyen < "Có"', ROW_, [("type", None, None, 17)]),
    ("tt_loa + tt_thuong_xuyen > 0", ROW_, [("type", "tt_thuong_xuyen", None, 10)]),
    ("NOT tt_loa", ROW_, [("type", "tt_loa", None, 5)]),
    ("tt_loa AND ld_tong > 0", ROW_, [("type", "tt_loa", None, 1)]),
    ("YEAR(tt_loa) = NAM", ROW_, [("type", "tt_loa", None, 6)]),
    ("DATE(NAM, 2, 30) < vh_qd_ngay", ROW_, []),  # NAM is known only when evaluating
    ("DATE(2024, 2, 30) < vh_qd_ngay", ROW_, [("value", None, None, 1)]),
    ("DATE(2024, 3) < vh_qd_ngay", ROW_, [("arity", "DATE", None, 1)]),
    ("EMPTY() OR EMPTY(a, b)", ROW_,
     [("arity", "EMPTY", None, 1), ("arity", "EMPTY", None, 12),
      ("unknown_name", "a", None, 18), ("unknown_name", "b", None, 21)]),
    ("tt_loa + 1", ROW_, [("type", None, None, 8)]),  # a rule must be a condition
    ("SUM(tt_loa) > 0", ROW_, [("misuse", "SUM", None, 1)]),
    ("COUNT(thon) = 12", ROW_, [("misuse", "COUNT", None, 1)]),
    ("tt_loa", AGG, [("misuse", "tt_loa", None, 1)]),
    ("SUM(tt_loa) / ld_tong", AGG, [("misuse", "ld_tong", None, 15)]),
    ("SUM(COUNT(thon))", AGG, [("misuse", "COUNT", None, 5)]),
    ("COUNT(thon: tt_loa)", AGG, [("type", "tt_loa", None, 13)]),
    ('SUM(thon: tt_thuong_xuyen)', AGG, [("type", "tt_thuong_xuyen", None, 11)]),
    ("COUNT(thon) > 1", AGG, [("type", None, None, 13)]),  # an indicator must be a number
    ("SO_THANG", AGG, []),
    ("NAM", ROW_, []),  # a constant's type is known only when evaluating
]  # fmt: skip


@pytest.mark.parametrize(("text", "context", "expected"), CHECKED, ids=[c[0] for c in CHECKED])
def test_check_issues(
    text: str,
    context: Context,
    expected: list[tuple[str, str | None, str | None, int | None]],
) -> None:
    assert issues_of(text, context) == expected


def test_check_unknown_name_message_reads_well() -> None:
    [issue] = check(
        parse("SUM(tt_lao)"),
        context=Context.AGGREGATE,
        fields=FIELDS,
        constants=CONSTANTS,
        scopes=SCOPES,
    )
    assert issue.kind == "unknown_name"
    assert issue.suggestion == "Có phải ý bạn là 'tt_loa'?"
    assert issue.message == message(
        "formula.unknown_field", position=5, name="tt_lao", suggestion=" " + issue.suggestion
    )
    assert "ký tự thứ 5" in issue.message and "'tt_lao'" in issue.message


def test_check_names_constants_when_none_are_given() -> None:
    [issue] = check(parse("NAM = 1"), context=Context.ROW, fields={}, constants=(), scopes=())
    assert "(không có)" in issue.message


# --- properties ----------------------------------------------------------------------

# Leaves evaluate against this row; "m" is always missing.
PROP_ROW: dict[str, Value] = {"a": 3, "b": 0, "c": 7, "s": "Có"}
NUMBER_FIELDS = ("a", "b", "c", "m")

ATOM, NEG, MUL, ADD, CMP, NOT, AND, OR = 8, 7, 6, 5, 4, 3, 2, 1


@dataclass(frozen=True)
class Gen:
    """A generated formula: its text, precedence, expected tree and expected value."""

    text: str
    prec: int
    node: Node
    value: Any  # int, Fraction, bool or None, computed by Python itself


def spaced(draw: st.DrawFn, token: str, required: bool = False) -> str:
    space = st.sampled_from([" ", "  ", "\u00a0", "\n"])
    left = draw(space) if required or draw(st.booleans()) else ""
    right = draw(space) if required or draw(st.booleans()) else ""
    return f"{left}{token}{right}"


def wrap(draw: st.DrawFn, child: Gen, needs: bool) -> str:
    # Brackets where precedence needs them, and now and then where it does not.
    return f"({child.text})" if needs or draw(st.integers(0, 9)) == 0 else child.text


def keyword(draw: st.DrawFn, word: str) -> str:
    return spaced(draw, draw(st.sampled_from([word, word.lower(), word.capitalize()])), True)


@st.composite
def numeric(draw: st.DrawFn, depth: int) -> Gen:
    if depth == 0 or draw(st.integers(0, 2)) == 0:
        choice = draw(st.integers(0, 2))
        if choice == 0:
            k = draw(st.integers(0, 1000))
            return Gen(str(k), ATOM, Number(k), k)
        if choice == 1:
            whole, part = draw(st.integers(0, 99)), draw(st.integers(0, 999))
            text = f"{whole}.{part:03d}"
            return Gen(text, ATOM, Number(Fraction(text)), Fraction(text))
        name = draw(st.sampled_from(NUMBER_FIELDS))
        return Gen(name, ATOM, Name(name), PROP_ROW.get(name))
    if draw(st.integers(0, 4)) == 0:
        inner = draw(numeric(depth - 1))
        text = "-" + spaced(draw, wrap(draw, inner, inner.prec < NEG))
        value = None if inner.value is None else -inner.value
        return Gen(text, NEG, Negate(inner.node), value)
    op = draw(st.sampled_from("+-*/"))
    prec = ADD if op in "+-" else MUL
    left, right = draw(numeric(depth - 1)), draw(numeric(depth - 1))
    text = (
        wrap(draw, left, left.prec < prec)
        + spaced(draw, op)
        + wrap(draw, right, right.prec <= prec)
    )
    a, b = left.value, right.value
    if a is None or b is None:
        value = None
    elif op == "+":
        value = a + b
    elif op == "-":
        value = a - b
    elif op == "*":
        value = a * b
    else:
        value = None if b == 0 else Fraction(a) / Fraction(b)
    return Gen(text, prec, Arithmetic(op, left.node, right.node), value)


# canonical operator -> (ways to type it, what Python makes of it)
COMPARE: dict[str, tuple[list[str], Callable[[Any, Any], Any]]] = {
    "=": (["=", "=="], operator.eq),
    "<>": (["<>", "!=", "≠"], operator.ne),
    "<": (["<"], operator.lt),
    "<=": (["<=", "≤"], operator.le),
    ">": ([">"], operator.gt),
    ">=": ([">=", "≥"], operator.ge),
}


@st.composite
def condition(draw: st.DrawFn, depth: int) -> Gen:
    kind = draw(st.integers(0, 5)) if depth > 0 else draw(st.integers(0, 2))
    if kind == 0:
        op = draw(st.sampled_from(sorted(COMPARE)))
        spellings, compare = COMPARE[op]
        left, right = draw(numeric(2)), draw(numeric(2))
        text = (
            wrap(draw, left, left.prec <= CMP)
            + spaced(draw, draw(st.sampled_from(spellings)))
            + wrap(draw, right, right.prec <= CMP)
        )
        value = None if None in (left.value, right.value) else compare(left.value, right.value)
        return Gen(text, CMP, Comparison(op, left.node, right.node), value)
    if kind == 1:
        name = draw(st.sampled_from(["s", "m"]))
        literal, quotes = (
            draw(st.sampled_from(["Có", "Không"])),
            draw(st.sampled_from(['""', "“”"])),
        )
        text = name + spaced(draw, "=") + quotes[0] + literal + quotes[1]
        value = None if name == "m" else PROP_ROW[name] == literal
        return Gen(text, CMP, Comparison("=", Name(name), String(literal)), value)
    if kind == 2:
        name = draw(st.sampled_from(["a", "m", "s"]))
        function = draw(st.sampled_from(["EMPTY", "empty", "Empty"]))
        return Gen(f"{function}({name})", ATOM, Call("EMPTY", (Name(name),)), name == "m")
    if kind == 3:
        inner = draw(condition(depth - 1))
        text = keyword(draw, "NOT") + wrap(draw, inner, inner.prec < NOT)
        return Gen(text, NOT, Not(inner.node), None if inner.value is None else not inner.value)
    word = "AND" if kind == 4 else "OR"
    prec = AND if kind == 4 else OR
    left, right = draw(condition(depth - 1)), draw(condition(depth - 1))
    text = (
        wrap(draw, left, left.prec < prec)
        + keyword(draw, word)
        + wrap(draw, right, right.prec <= prec)
    )
    a, b = left.value, right.value
    if word == "AND":
        value = False if False in (a, b) else None if None in (a, b) else True
    else:
        value = True if True in (a, b) else None if None in (a, b) else False
    return Gen(text, prec, Logical(word, left.node, right.node), value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(numeric(4), condition(3)))
def test_printed_formulas_parse_back_and_evaluate_as_python_does(gen: Gen) -> None:
    expr = parse(gen.text)
    assert expr.root == gen.node
    result = evaluate_row(expr, PROP_ROW, {})
    assert result == gen.value
    assert type(result) is type(gen.value)


POPULATION = Roster(
    entries={"T01": {"a": 1, "s": "Có"}, "T02": None},
    scopes={"thon": ["T01", "T02"], "donvi": [], "tatca": ["T01", "T02"], "T01": ["T01"]},
)
PIECES = [
    "(", ")", " ", ",", ";", ":", '"', "“", "”", "'", ".", "=", "<", ">", "!", "-", "+", "*", "/",
    "0", "1", "12", "3.5", "a", "s", "m", "NAM", "AND", "or", "NOT", "COUNT", "SUM", "EMPTY",
    "YEAR", "DATE", "thon", "donvi", "T01", "Có", "\u00a0", "≤", "%", "&", "_", "é",
]  # fmt: skip


def survive(text: str) -> None:
    """Parsing, checking and evaluating junk may refuse it, but only in Vietnamese."""
    try:
        expr = parse(text)
    except ExpressionError as error:
        assert str(error)
        assert error.position is None or 1 <= error.position <= len(text) + 1
        return
    assert isinstance(expr, Expression)
    for context in Context:
        for issue in check(expr, context=context, fields={"a": INT, "s": YESNO}, constants=["NAM"],
                           scopes=["thon", "donvi", "tatca", "T01"]):  # fmt: skip
            assert issue.message
    try:
        evaluate_row(expr, PROP_ROW, {"NAM": 2024})
    except ExpressionError as error:
        assert str(error)
    try:
        evaluate_aggregate(expr, POPULATION, {"NAM": 2024})
    except ExpressionError as error:
        assert str(error)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_random_text_only_ever_raises_expression_error(text: str) -> None:
    survive(text)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_formula_like_junk_only_ever_raises_expression_error(text: str) -> None:
    survive(text)


# --- the language of other plans (issue 16): period dates, MONTH, QUARTER, DAYS, IF,
# MIN, MAX, IN, decimal/money/choice fields --------------------------------------------

PERIOD_CONST: dict[str, Value] = {
    **CONST,
    "KY_BAT_DAU": date(2024, 4, 1),
    "KY_KET_THUC": date(2024, 6, 30),
    "HAN_NOP": date(2024, 6, 25),
    "HAN_XA": date(2024, 6, 28),
}
MORE_ROW: dict[str, Value] = {
    **ROW,
    "muc_do": "Tốt",
    "dien_tich": Fraction(25, 2),  # a decimal field: 12,5
    "kinh_phi": 1_500_000,  # money: whole đồng
}

PARSED_MORE: list[tuple[str, Node]] = [
    ('a IN ("x", "y")', Membership(n("a"), (String("x"), String("y")))),
    ("a in (1)", Membership(n("a"), (Number(1),))),
    ('a NOT IN ("x")', Membership(n("a"), (String("x"),), negated=True)),
    ('NOT a IN ("x")', Not(Membership(n("a"), (String("x"),)))),
    ("a + 1 IN (2, b * 2)", Membership(Arithmetic("+", n("a"), Number(1)),
                                       (Number(2), Arithmetic("*", n("b"), Number(2))))),
    ('a IN ("x") AND b = 1', Logical("AND", Membership(n("a"), (String("x"),)),
                                     Comparison("=", n("b"), Number(1)))),
    ("IF(a > 1, a, 0)", Call("IF", (Comparison(">", n("a"), Number(1)), n("a"), Number(0)))),
    ("min(a; b; 3)", Call("MIN", (n("a"), n("b"), Number(3)))),
    ("DAYS(HAN_NOP, ngay)", Call("DAYS", (n("HAN_NOP"), n("ngay")))),
    ("QUARTER(KY_BAT_DAU)", Call("QUARTER", (n("KY_BAT_DAU"),))),
]  # fmt: skip


@pytest.mark.parametrize(("text", "tree"), PARSED_MORE, ids=[t for t, _ in PARSED_MORE])
def test_parse_builds_the_tree_of_the_new_functions(text: str, tree: Node) -> None:
    assert parse(text).root == tree


def test_membership_knows_where_it_is() -> None:
    expr = parse('muc_do NOT IN ("Tốt", "Khá")')
    root = expr.root
    assert isinstance(root, Membership)
    assert root.offset == expr.text.index("IN")
    assert root.span == (0, len(expr.text))
    assert expr.fields == {"muc_do"}


EVALUATED_MORE: list[tuple[str, object]] = [
    # the period's dates
    ("ngay_bao_cao <= HAN_NOP", True),
    ("ngay_bao_cao >= KY_BAT_DAU AND ngay_bao_cao <= KY_KET_THUC", True),
    ("vh_qd_ngay >= KY_BAT_DAU", False),
    ("HAN_XA > HAN_NOP", True),
    ("missing <= HAN_NOP", None),
    # MONTH, QUARTER, DAYS
    ("MONTH(ngay_bao_cao)", 6),
    ("QUARTER(ngay_bao_cao)", 2),
    ("QUARTER(vh_qd_ngay)", 1),
    ("QUARTER(DATE(NAM, 10, 1))", 4),
    ("QUARTER(KY_BAT_DAU) = QUARTER(ngay_bao_cao)", True),
    ("MONTH(missing)", None),
    ("MONTH(ld_tong)", None),
    ("DAYS(HAN_NOP, ngay_bao_cao)", 11),
    ("DAYS(vh_qd_ngay, ngay_bao_cao)", -75),
    ("DAYS(KY_KET_THUC, KY_BAT_DAU) + 1", 91),
    ("DAYS(HAN_NOP, missing)", None),
    ("DAYS(HAN_NOP, missing) >= 0", None),
    # IF
    ("IF(ld_tong > 5, ld_tong, 0)", 6),
    ("IF(ld_tong > 6, ld_tong, 0)", 0),
    ('IF(tt_thuong_xuyen = "Có", "a", "b")', "a"),
    ("IF(missing > 0, 1, 2)", None),  # an unknown condition: unknown
    ("IF(ld_tong > 5, 1, missing)", 1),  # the branch not taken is not looked at
    ("IF(ld_tong > 5, missing, 1)", None),
    ("IF(ld_tong > 5, ld_tong / zero, 1)", None),
    ("IF(1 = 1, 1 = 1, 1 = 2)", True),
    # MIN, MAX
    ("MIN(ld_tong, ld_duoc_tt)", 4),
    ("MAX(ld_tong, ld_duoc_tt, 10)", 10),
    ("MAX(ld_tong, 6.5)", Fraction(13, 2)),
    ("MIN(ld_tong, missing)", None),  # a blank among them: unknown, as in a + b
    ("MIN(ngay_bao_cao, vh_qd_ngay)", date(2024, 3, 31)),
    ("MAX(ngay_bao_cao, HAN_NOP)", date(2024, 6, 25)),
    ("MIN(ngay_bao_cao, 1)", None),
    ("ld_duoc_tt <= MIN(ld_tong, SO_THANG)", True),
    # IN
    ('tt_thuong_xuyen IN ("Có", "Không")', True),
    ('tt_thuong_xuyen IN ("Không")', False),
    ('tt_thuong_xuyen NOT IN ("Không")', True),
    ('tt_thuong_xuyen NOT IN ("Có")', False),
    ('missing IN ("Có")', None),
    ('missing NOT IN ("Có")', None),
    ("ld_tong IN (1, 2, 3 * 2)", True),
    ("ld_tong IN (1, missing)", None),  # might be the missing one
    ("ld_tong IN (6, missing)", True),
    ('nfd IN ("Không")', True),
    ("ngay_bao_cao IN (HAN_NOP, DATE(NAM, 6, 14))", True),
    # decimal, money and choice values
    ('muc_do IN ("Tốt", "Khá")', True),
    ("dien_tich > 12", True),
    ("dien_tich = 12.5", True),
    ("dien_tich * 2", Fraction(25)),
    ("kinh_phi >= 1000000", True),
    ("kinh_phi / 1000", Fraction(1500)),
]  # fmt: skip


@pytest.mark.parametrize(("text", "expected"), EVALUATED_MORE, ids=[t for t, _ in EVALUATED_MORE])
def test_evaluate_row_new_functions(text: str, expected: object) -> None:
    result = evaluate_row(parse(text), MORE_ROW, PERIOD_CONST)
    assert result == expected
    assert type(result) is type(expected)


@pytest.mark.parametrize(
    ("text", "code"),
    [("MIN(1)", "formula.arity"), ("IF(1 = 1, 2)", "formula.arity"), ("DAYS(a)", "formula.arity")],
)
def test_evaluate_row_refuses_wrong_arity_of_new_functions(text: str, code: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        evaluate_row(parse(text), {}, CONST)
    assert str(caught.value).startswith(MESSAGES[code][1].split("{", 1)[0])


def test_new_functions_inside_aggregates() -> None:
    counted = parse('COUNT(thon: tt_thuong_xuyen IN ("Có") AND MIN(tt_hinh_thuc, 1) = 1)')
    assert evaluate_aggregate(counted, ROSTER, CONST) == 1  # T01 only; T03's MIN is unknown
    summed = parse("SUM(thon: IF(ld_tong > 5, ld_tong, 0))")
    assert evaluate_aggregate(summed, ROSTER, CONST) == 10


MORE_FIELDS: dict[str, FieldType] = {
    **FIELDS,
    "muc_do": FieldType.CHOICE,
    "dien_tich": FieldType.DECIMAL,
    "kinh_phi": FieldType.MONEY,
}
CHOICES = {"muc_do": ("Tốt", "Khá", "Trung bình", "Yếu")}
TYPED_CONSTANTS = {
    "SO_THANG": INT,
    "NAM": INT,
    "KY_BAT_DAU": DATE,
    "KY_KET_THUC": DATE,
    "HAN_NOP": DATE,
    "HAN_XA": DATE,
}


def more_issues_of(
    text: str, context: Context
) -> list[tuple[str, str | None, str | None, int | None]]:
    found = check(
        parse(text),
        context=context,
        fields=MORE_FIELDS,
        constants=TYPED_CONSTANTS,
        scopes=SCOPES,
        choices=CHOICES,
    )
    for issue in found:
        assert issue.message.startswith(MESSAGES[issue.code][1].split("{", 1)[0])
        assert "{" not in issue.message
        if issue.position is not None and "Công thức này" not in issue.message:
            assert f"ký tự thứ {issue.position}" in issue.message
    return [(i.kind, i.name, i.suggestion, i.position) for i in found]


CHECKED_MORE: list[tuple[str, Context, list[tuple[str, str | None, str | None, int | None]]]] = [
    ("ngay_bao_cao <= HAN_NOP", ROW_, []),
    ("ngay_bao_cao >= KY_BAT_DAU AND ngay_bao_cao <= KY_KET_THUC", ROW_, []),
    ("DAYS(HAN_XA, ngay_bao_cao) >= 0", ROW_, []),
    ("QUARTER(vh_qd_ngay) = QUARTER(KY_BAT_DAU)", ROW_, []),
    ("MONTH(ngay_bao_cao) <= SO_THANG", ROW_, []),
    ("HAN_NOP > 5", ROW_, [("type", None, None, 9)]),  # a constant's type is known now
    ("NAM = KY_BAT_DAU", ROW_, [("type", None, None, 5)]),
    ("HAN_NOPP > ngay_bao_cao", ROW_, [("unknown_name", "HAN_NOPP", did_you_mean("HAN_NOP"), 1)]),
    ("KY_BAT_DAU", AGG, [("type", "KY_BAT_DAU", None, 1)]),  # an indicator is a number
    ("SUM(thon: DAYS(HAN_NOP, ngay_bao_cao))", AGG, []),
    ("MONTH(tt_loa) = 1", ROW_, [("type", "tt_loa", None, 7)]),
    ("QUARTER(2024) = 1", ROW_, [("type", None, None, 9)]),
    ("DAYS(HAN_NOP, 3) > 0", ROW_, [("type", None, None, 15)]),
    ("DAYS(HAN_NOP) > 0", ROW_, [("arity", "DAYS", None, 1)]),
    ("IF(tt_loa, 1, 2) > 0", ROW_, [("type", "tt_loa", None, 4)]),
    ('IF(tt_loa > 1, 1, "a") > 0', ROW_, [("type", None, None, 19)]),
    ("IF(tt_loa > 1, 1, 2) > 0", ROW_, []),
    ("IF(tt_loa > 1, ngay_bao_cao, HAN_NOP) <= HAN_XA", ROW_, []),
    ("IF(tt_loa > 1, 1, 2) = HAN_NOP", ROW_, [("type", None, None, 22)]),
    ("IF(tt_loa > 1, 1) > 0", ROW_, [("arity", "IF", None, 1)]),
    ("MIN(tt_loa, ld_tong) > 0", ROW_, []),
    ("MAX(ngay_bao_cao, vh_qd_ngay) <= HAN_NOP", ROW_, []),
    ("MIN(tt_loa) > 0", ROW_, [("arity", "MIN", None, 1)]),
    ("MIN(tt_loa, ngay_bao_cao) > 0", ROW_, [("type", None, None, 13)]),
    ('MAX(tt_loa, kh_so_ngay) > 0', ROW_, [("type", "kh_so_ngay", None, 13)]),
    ('MAX(tt_loa, tt_loa > 1) > 0', ROW_, [("type", None, None, 20)]),
    ('tt_thuong_xuyen IN ("Có", "Không")', ROW_, []),
    ('tt_thuong_xuyen IN ("Có", "ko")', ROW_, [("value", "ko", None, 27)]),
    ('tt_thuong_xuyen NOT IN ("co")', ROW_, [("value", "co", did_you_mean("Có"), 25)]),
    ('tt_thuong_xuyen IN ("Có", 1)', ROW_, [("type", None, None, 27)]),
    ('kh_so_ngay IN ("")', ROW_, [("misuse", "kh_so_ngay", None, 16)]),
    ("tt_loa IN (1, 2 + 1)", ROW_, []),  # the options may be computed
    ("tt_loa IN (1, 2)", AGG, [("misuse", "tt_loa", None, 1), ("type", None, None, 8)]),
    ('COUNT(thon: muc_do IN ("Tốt", "Khá"))', AGG, []),
    ('muc_do = "Tốt"', ROW_, []),
    ('muc_do = "tot"', ROW_, [("value", "tot", did_you_mean("Tốt"), 10)]),
    ('muc_do IN ("Kha")', ROW_, [("value", "Kha", did_you_mean("Khá"), 12)]),
    ("muc_do > 1", ROW_, [("type", None, None, 8)]),
    ("dien_tich > 12.5 AND kinh_phi >= 1000000", ROW_, []),
    ("SUM(dien_tich) + SUM(kinh_phi) / 1000", AGG, []),
    ('dien_tich = "1"', ROW_, [("type", None, None, 11)]),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "context", "expected"), CHECKED_MORE, ids=[c[0] for c in CHECKED_MORE]
)
def test_check_new_functions_and_types(
    text: str,
    context: Context,
    expected: list[tuple[str, str | None, str | None, int | None]],
) -> None:
    assert more_issues_of(text, context) == expected


def test_check_messages_of_the_new_functions_read_well() -> None:
    [mixed] = check(
        parse('IF(tt_loa > 1, 1, "a") > 0'),
        context=Context.ROW, fields=FIELDS, constants=TYPED_CONSTANTS, scopes=(),
    )
    assert mixed.code == "formula.mixed_types"
    assert "'1' (số)" in mixed.message and '"a" (chữ)' in mixed.message
    assert "IF(điều_kiện, giá_trị_khi_đúng, giá_trị_khi_sai)" in mixed.message
    [arity] = check(parse("MAX(tt_loa) > 0"), context=Context.ROW, fields=FIELDS,
                    constants=(), scopes=())
    assert "cần ít nhất 2 tham số nhưng đang có 1" in arity.message
    [extreme] = check(parse("MIN(tt_loa, kh_so_ngay) > 0"), context=Context.ROW,
                      fields=FIELDS, constants=(), scopes=())
    assert extreme.code == "formula.extreme_type"
    assert "'kh_so_ngay' là chữ" in extreme.message and "MIN" in extreme.message


def test_a_choice_field_without_its_choices_takes_any_text() -> None:
    found = check(parse('muc_do = "bất kỳ"'), context=Context.ROW, fields=MORE_FIELDS,
                  constants=(), scopes=())
    assert found == []
