"""Damaged copies of real returned forms: every one ends in records, never in an exception.

Each case starts from a valid filled form (a village's or the police unit's)
and damages it the way files are damaged in transit or by hand: bytes flipped,
the file cut short, zip members dropped or doubled, the XML of the sheets, the
workbook and the other parts mangled (unclosed tags, huge attributes, invalid
UTF-8, wrong cell types, far references, broken defined names). The cases are
drawn from a seeded random generator, so every run makes the same ones and a
failure names the case.

Every case is read and checked on an inbox of its own (the step ``wbt status``,
``wbt check`` and ``wbt merge`` share), and a batch of them is merged by the
real ``wbt merge`` beside valid forms.
"""

from __future__ import annotations

import io
import json
import random
import re
import warnings
import zipfile
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.corpus import parts_of, rezip
from tests.inbox_forms import CA, NOW, ON_TIME, PERIOD, VILLAGE, filled, put, sample_plan, snapshot
from workbook_tools.cli import cli
from workbook_tools.inbox.model import SubmissionStatus
from workbook_tools.pipeline import read_and_check
from workbook_tools.problems import Severity

CASES = 300
CHUNKS = 10  # tests, of CASES // CHUNKS cases each
SEED = 20240615
BATCH = 50  # damaged files merged together

_BASES: dict[str, bytes] = {}


def bases() -> dict[str, bytes]:
    """The valid forms every case starts from (built once)."""
    if not _BASES:
        _BASES["T01"] = filled("T01", VILLAGE)
        _BASES["CA"] = filled("CA", CA)
    return _BASES


# --- damage --------------------------------------------------------------------------------

Damage = Callable[[random.Random, bytes], bytes]


def _at(rng: random.Random, data: bytes) -> int:
    return rng.randrange(len(data) + 1)


def flip_bytes(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 16)):
        out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def cut(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))]


def unclosed_tag(rng: random.Random, xml: bytes) -> bytes:
    ends = [m.start() for m in re.finditer(rb">", xml)]
    at = rng.choice(ends)
    return xml[:at] + xml[at + 1 :]


def unopened_tag(rng: random.Random, xml: bytes) -> bytes:
    starts = [m.start() for m in re.finditer(rb"<", xml)]
    at = rng.choice(starts)
    return xml[:at] + xml[at + 1 :]


def huge_attribute(rng: random.Random, xml: bytes) -> bytes:
    tags = [m.end() for m in re.finditer(rb"<[A-Za-z:]+", xml)]
    at = rng.choice(tags)
    size = rng.choice([1 << 10, 1 << 16, 1 << 20, 6 << 20])
    return xml[:at] + b' x="' + b"A" * size + b'"' + xml[at:]


def invalid_utf8(rng: random.Random, xml: bytes) -> bytes:
    at = _at(rng, xml)
    bad = rng.choice([b"\xff", b"\xfe\xff", b"\xc3", b"\xe1\xbb", b"\x80\x80", b"\xed\xa0\x80"])
    return xml[:at] + bad + xml[at:]


def noise(rng: random.Random, xml: bytes) -> bytes:
    at = _at(rng, xml)
    junk = bytes(rng.randrange(256) for _ in range(rng.randint(1, 64)))
    return xml[:at] + junk + xml[at + rng.randint(0, 64) :]


def cut_part(rng: random.Random, xml: bytes) -> bytes:
    return xml[: rng.randrange(len(xml))]


def repeat_slice(rng: random.Random, xml: bytes) -> bytes:
    start = _at(rng, xml)
    end = min(len(xml), start + rng.randint(1, 2000))
    return xml[:end] + xml[start:end] * rng.randint(1, 50) + xml[end:]


def flip_text(rng: random.Random, xml: bytes) -> bytes:
    return flip_bytes(rng, xml)


_SUBSTITUTIONS: list[tuple[bytes, list[bytes]]] = [
    # Cell types that do not fit the value, or point at strings that are not there.
    (rb't="[a-zA-Z]+"', [b't="e"', b't="b"', b't="d"', b't="s"', b't="str"', b't="zz"']),
    # Numbers no spreadsheet writes.
    (
        rb"<v>[^<]*</v>",
        [b"<v>1e309</v>", b"<v>NaN</v>", b"<v>-0</v>", b"<v>9" * 40 + b"</v>", b"<v></v>"],
    ),
    # References far away, backwards, or not references at all.
    (
        rb'r="[A-Z]+[0-9]+"',
        [b'r="XFD1048576"', b'r="A0"', b'r="ZZZZ1"', b'r="A99999999"', b'r=""', b'r="1A"'],
    ),
    # Defined names pointing at nothing, at ranges, at other sheets (what is
    # between the tags is replaced).
    (
        rb"(<definedName[^>]*>)[^<]*(</definedName>)",
        [
            b"#REF!",
            "'Báo cáo'!$A$1:$B$2".encode(),
            "'Không có'!$C$14".encode(),
            "'Báo cáo'!$XFD$1048576".encode(),
            b"=1/0",
        ],
    ),
    # Sheet names changed, doubled, emptied.
    (rb'<sheet name="[^"]*"', [b'<sheet name=""', b'<sheet name="_wbt_meta"', b'<sheet name="x"']),
    # A declaration where none may be.
    (rb"<\?xml[^>]*\?>", [b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]>']),
]


def substitute(rng: random.Random, xml: bytes) -> bytes:
    usable = [(p, choices) for p, choices in _SUBSTITUTIONS if re.search(p, xml)]
    if not usable:
        return noise(rng, xml)
    pattern, choices = rng.choice(usable)
    matches = list(re.finditer(pattern, xml))
    match = rng.choice(matches)
    replacement = rng.choice(choices)
    if match.re.groups == 2:  # the element kept, its content replaced
        replacement = match.group(1) + replacement + match.group(2)
    return xml[: match.start()] + replacement + xml[match.end() :]


XML_DAMAGE: list[Damage] = [
    unclosed_tag,
    unopened_tag,
    huge_attribute,
    invalid_utf8,
    noise,
    cut_part,
    repeat_slice,
    flip_text,
    substitute,
    substitute,  # twice the weight: it reaches furthest into the reading
]


def mangle_xml(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    parts = parts_of(data)
    xml_parts = sorted(n for n in parts if n.endswith((".xml", ".rels")))
    # Sheets and the workbook most of the time: that is where the values are.
    important = [n for n in xml_parts if n.startswith(("xl/worksheets/", "xl/workbook"))]
    name = rng.choice(important if rng.random() < 0.7 else xml_parts)
    damage = rng.choice(XML_DAMAGE)
    parts[name] = damage(rng, parts[name])
    return f"{damage.__name__} in {name}", rezip(parts)


def drop_member(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    parts = parts_of(data)
    name = rng.choice(sorted(parts))
    del parts[name]
    return f"{name} dropped", rezip(parts)


def double_member(rng: random.Random, data: bytes) -> tuple[str, bytes]:
    parts = parts_of(data)
    name = rng.choice(sorted(parts))
    buffer = io.BytesIO(rezip(parts))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns of the duplicate name: the point
        with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, flip_text(rng, parts[name]) if parts[name] else b"x")
    return f"{name} twice", buffer.getvalue()


def damaged(rng: random.Random) -> tuple[str, bytes]:
    """One damaged form, and what was done to it."""
    unit, data = rng.choice(sorted(bases().items()))
    how = rng.choices(["flip", "cut", "drop", "double", "xml"], weights=[2, 1, 1, 1, 6])[0]
    if how == "flip":
        what, out = "bytes flipped", flip_bytes(rng, data)
    elif how == "cut":
        what, out = "cut short", cut(rng, data)
    elif how == "drop":
        what, out = drop_member(rng, data)
    elif how == "double":
        what, out = double_member(rng, data)
    else:
        what, out = mangle_xml(rng, data)
    return f"{unit}: {what}", out


def cases(chunk: int) -> list[tuple[str, bytes]]:
    size = CASES // CHUNKS
    return [damaged(random.Random(SEED + n)) for n in range(chunk * size, (chunk + 1) * size)]


# --- every case, read and checked alone ---------------------------------------------------


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_every_damaged_form_ends_in_records(chunk: int, tmp_path: Path) -> None:
    plan = sample_plan()
    ledger = tmp_path / "ledger.sqlite3"
    for n, (what, data) in enumerate(cases(chunk)):
        inbox = tmp_path / f"inbox{n}"
        name = "bao cao.xlsx"
        put(inbox, name, data, ON_TIME)
        case = f"case {chunk * (CASES // CHUNKS) + n} ({what})"
        result = read_and_check(plan, plan.period(PERIOD), inbox, ledger, now=NOW)  # never raises
        (submission,) = result.submissions
        assert submission.file == name, case
        mine = [p for p in result.problems if p.file == name]
        for problem in mine:
            assert problem.message and "{" not in problem.message, (case, problem)
            if problem.code.startswith(("file.", "inbox.")):  # about the file as a whole
                assert name in problem.message, (case, problem)
            assert problem.code != "file.unexpected", (case, problem)
        if submission.status is SubmissionStatus.REJECTED:
            assert any(p.severity is Severity.ERROR for p in mine), (case, mine)
        elif submission.status is SubmissionStatus.USED:
            assert submission.unit is not None, case
        else:  # another period, plan or version: said in a record
            assert mine, (case, submission.status)


# --- a batch merged by wbt merge beside valid forms ----------------------------------------


def test_a_batch_of_damaged_forms_is_merged_beside_valid_ones(tmp_path: Path) -> None:
    root = tmp_path / "xa"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(root)]).exit_code == 0
    inbox = root / "inbox"
    earlier = ON_TIME - timedelta(days=1)  # the valid forms are the newest of their units
    rng = random.Random(SEED - 1)
    names = []
    for n in range(BATCH):
        _, data = damaged(rng)
        names.append(f"hong {n:02d}.xlsx")
        put(inbox, names[-1], data, earlier)
    valid = {"T05.xlsx": filled("T05", VILLAGE), "T06.xlsx": filled("T06", VILLAGE)}
    for name, data in valid.items():
        put(inbox, name, data, ON_TIME)
    before = snapshot(inbox)
    result = runner.invoke(cli, ["merge", "--period", PERIOD, "--dir", str(root)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    summary = json.loads((root / f"outbox/{PERIOD}/tong_hop_{PERIOD}.json").read_text("utf-8"))
    status = {s["file"]: s["status"] for s in summary["submissions"]}
    assert set(status) == {*names, *valid}
    assert all(status[name] == "used" for name in valid)
    for name in names:
        if status[name] == "rejected":
            assert [
                p for p in summary["problems"] if p["file"] == name and p["severity"] == "error"
            ]
    assert (root / f"outbox/{PERIOD}/BaoCao_TongHop_{PERIOD}.xlsx").is_file()
    assert snapshot(inbox) == before
