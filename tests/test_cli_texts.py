"""click's own words in Vietnamese, as an officer sees them from ``wbt``.

Run as ``python -m tests.test_cli_texts``, this module compiles the catalogue
``workbook_tools/locale/vi/LC_MESSAGES/wbt.po`` into ``wbt.mo`` beside it.
"""

from __future__ import annotations

import ast
import gettext
import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import click
import pytest

from workbook_tools.cli import LOCALE_DIR, TEXT_DOMAIN, cli, click_in_vietnamese

CATALOGUE = LOCALE_DIR / "vi" / "LC_MESSAGES" / f"{TEXT_DOMAIN}.po"
COMPILED = CATALOGUE.with_suffix(".mo")
ROOT_OF_PROJECT = Path(__file__).resolve().parent.parent

#: click's English scaffolding: none of it may reach the officer.
ENGLISH = re.compile(
    r"Usage|Options|Commands|Missing|No such|Show this message|Show the version|Error:"
    r"|Try '|Invalid value|unexpected extra|Did you mean|DIRECTORY|FILE\b|PATH\b|help\."
    r"|OPTIONS|COMMAND|ARGS"
)
# (An option's value named by its type, TEXT, is the option's to name: --period's is in
# workbook_tools/cli/common.py.)


def parse_po(text: str) -> dict[str, str]:
    """The messages of a ``.po`` file, keyed as in a ``.mo`` file (a plural: ``one\\0other``)."""
    entries: list[dict[str, str]] = []
    entry: dict[str, str] = {}
    field = ""
    for line in [*text.splitlines(), ""]:
        line = line.strip()
        if not line or line.startswith("#"):
            if "msgstr" in entry or "msgstr[0]" in entry:
                entries.append(entry)
                entry = {}
            continue
        if line.startswith('"'):
            entry[field] += ast.literal_eval(line)
            continue
        field, _, literal = line.partition(" ")
        if field == "msgid" and ("msgstr" in entry or "msgstr[0]" in entry):
            entries.append(entry)
            entry = {}
        entry[field] = ast.literal_eval(literal)
    messages: dict[str, str] = {}
    for entry in entries:
        if "msgid_plural" in entry:
            key = entry["msgid"] + "\0" + entry["msgid_plural"]
            forms = sorted(k for k in entry if k.startswith("msgstr["))
            value = "\0".join(entry[k] for k in forms)
        else:
            key, value = entry["msgid"], entry["msgstr"]
        assert key not in messages, f"twice in the catalogue: {key!r}"
        messages[key] = value
    return messages


def compile_mo(messages: dict[str, str]) -> bytes:
    """A GNU ``.mo`` file of ``messages`` (what ``msgfmt`` writes, without the hash table)."""
    keys = sorted(messages, key=lambda k: k.encode())
    ids = [k.encode() for k in keys]
    strs = [messages[k].encode() for k in keys]
    header_size = 7 * 4
    originals_at = header_size
    translations_at = originals_at + 8 * len(keys)
    data_at = translations_at + 8 * len(keys)
    data = b""
    originals: list[tuple[int, int]] = []
    translations: list[tuple[int, int]] = []
    for table, texts in ((originals, ids), (translations, strs)):
        for text in texts:
            table.append((len(text), data_at + len(data)))
            data += text + b"\0"
    out = struct.pack("<7I", 0x950412DE, 0, len(keys), originals_at, translations_at, 0, 0)
    for length, offset in originals + translations:
        out += struct.pack("<2I", length, offset)
    return out + data


def test_the_compiled_catalogue_is_the_catalogue() -> None:
    assert COMPILED.read_bytes() == compile_mo(parse_po(CATALOGUE.read_text("utf-8"))), (
        "wbt.po changed: compile it with 'python -m tests.test_cli_texts'"
    )


def test_the_catalogue_covers_what_the_officer_sees() -> None:
    with COMPILED.open("rb") as fh:
        catalogue = gettext.GNUTranslations(fh)
    assert catalogue.gettext("Usage:") == "Cách dùng:"
    assert catalogue.ngettext("Did you mean {possibility}?", "(x)", 2).startswith("(Có phải")
    # Every placeholder of a message is kept by its translation (click fills them by name).
    for key, value in parse_po(CATALOGUE.read_text("utf-8")).items():
        if not key:
            continue
        wanted = set(re.findall(r"\{(\w+)", key.split("\0")[0]))
        for form in value.split("\0"):
            assert set(re.findall(r"\{(\w+)", form)) <= wanted | set(
                re.findall(r"\{(\w+)", key)
            ), key
            assert "%(" not in key or re.findall(r"%\(\w+\)s", form) == re.findall(
                r"%\(\w+\)s", key
            ), key


def wbt(*args: str) -> subprocess.CompletedProcess[str]:
    """``wbt`` as the officer runs it: its own process, through the console script's main()."""
    env = {**os.environ, "PYTHONPATH": str(ROOT_OF_PROJECT)}
    env.pop("LANGUAGE", None)  # as on Windows: gettext finds no language of its own
    return subprocess.run(
        [sys.executable, "-m", "workbook_tools", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=60,
        check=False,
    )


def assert_vietnamese(text: str) -> None:
    assert not ENGLISH.search(text), text


def test_help_is_vietnamese() -> None:
    run = wbt("--help")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Cách dùng: wbt [TÙY_CHỌN] LỆNH [ĐỐI_SỐ]...")
    assert "Tùy chọn:" in run.stdout and "Lệnh:" in run.stdout
    assert "Hiện hướng dẫn này rồi thoát." in run.stdout
    assert "Hiện phiên bản rồi thoát." in run.stdout
    assert_vietnamese(run.stdout)


def test_the_cycle_the_help_gives_names_wbt_s_own_commands() -> None:
    """The reporting cycle of ``wbt --help``, from init to the lock, in commands that exist."""
    said = " ".join(wbt("--help").stdout.split())
    cycle = said[said.index("Quy trình:") : said.index("Tùy chọn:")]
    named = re.findall(r"wbt (\w+)", cycle)
    assert named == [
        "init", "generate", "send", "fetch", "status", "check", "remind", "merge", "lock"
    ]  # fmt: skip
    assert set(named) <= set(cli.commands)  # type: ignore[attr-defined]


def test_a_command_s_help_is_vietnamese() -> None:
    run = wbt("merge", "--help")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("Cách dùng: wbt merge [TÙY_CHỌN]")
    assert "Tùy chọn:" in run.stdout
    assert "--dir THƯ_MỤC" in run.stdout and "bắt buộc" in run.stdout
    assert_vietnamese(run.stdout)


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["status"], "Thiếu tùy chọn '--period'."),
        (["stauts"], "Không có lệnh 'stauts'."),
        (["status", "--perid", "6T-2024"], "Không có tùy chọn"),
        (["status", "--perid", "6T-2024"], "Có phải ý bạn là"),
        (["init"], "Thiếu đối số 'THƯ_MỤC'."),
        (["init", "a", "b"], "Thừa đối số (b)"),
    ],
)
def test_usage_errors_are_vietnamese(args: list[str], said: str) -> None:
    run = wbt(*args)
    assert run.returncode == 2  # click's exit code for a usage error
    assert run.stdout == ""
    assert said in run.stderr
    assert "Cách dùng: wbt" in run.stderr and "Lỗi: " in run.stderr
    assert "Xem hướng dẫn bằng lệnh 'wbt" in run.stderr
    assert_vietnamese(run.stderr)


def test_an_option_without_its_value_is_told_in_vietnamese() -> None:
    run = wbt("status", "--period")  # click stops before it knows the command: no usage line
    assert run.returncode == 2
    assert run.stderr == "Lỗi: Tùy chọn '--period' cần một giá trị.\n"


def test_version_is_vietnamese() -> None:
    run = wbt("--version")
    assert run.returncode == 0
    assert run.stdout.startswith("wbt, phiên bản ")


def test_the_catalogue_is_on_only_while_wbt_runs() -> None:
    # A program that imports the commands (these tests, through CliRunner) keeps click's
    # words as they were; main() turns the catalogue on for its run only.
    before = gettext.textdomain(), os.environ.get("LANGUAGE")
    with click_in_vietnamese():
        assert click.Context(cli).get_usage().startswith("Cách dùng:")
    assert (gettext.textdomain(), os.environ.get("LANGUAGE")) == before


if __name__ == "__main__":
    COMPILED.write_bytes(compile_mo(parse_po(CATALOGUE.read_text("utf-8"))))
    sys.stdout.write(f"{COMPILED}\n")
