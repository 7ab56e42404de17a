"""What is in ``inbox/`` besides plain files: folder links, folders that cannot be
opened, paths too long, pipes and devices, names that are not UTF-8.

Nothing is lost (every form is read, or a record says why it is not) and
nothing hangs: every command here runs as the officer runs it, in its own
process, under a timeout, so that a regression fails instead of hanging.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.inbox_forms import (
    ON_TIME,
    PERIOD,
    VILLAGE,
    filled,
    form_name,
    put,
    snapshot,
)
from tests.platforms import posix_only
from workbook_tools import problems
from workbook_tools.cli import cli
from workbook_tools.inbox.scan import named_files

ROOT_OF_PROJECT = Path(__file__).resolve().parent.parent
SUMMARY = Path("outbox") / PERIOD / f"tong_hop_{PERIOD}.json"
#: Long enough for a slow machine, short enough for CI to see a hang as a failure.
TIMEOUT = 120


def wbt(root: Path, *args: str, prefix: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """``wbt COMMAND --period … --dir root`` in its own process, killed if it hangs."""
    env = {**os.environ, "PYTHONPATH": str(ROOT_OF_PROJECT)}
    try:
        return subprocess.run(
            [*prefix, sys.executable, "-m", "workbook_tools", *args, "--period", PERIOD,
             "--dir", str(root)],
            capture_output=True,
            text=True,
            encoding="utf-8",  # a byte that is not UTF-8 fails the test here
            env=env,
            timeout=TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"wbt {args[0]} still running after {TIMEOUT} s: it hangs")


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A working folder made by ``wbt init``, with one valid form in its inbox."""
    folder = tmp_path / "xa"
    assert CliRunner().invoke(cli, ["init", str(folder)]).exit_code == 0
    put(folder / "inbox", form_name("T01"), filled("T01", VILLAGE), ON_TIME)
    return folder


def row(output: str, code: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(f"{code} "))


def summary_of(root: Path) -> dict[str, list[dict[str, object]]]:
    data: dict[str, list[dict[str, object]]] = json.loads((root / SUMMARY).read_bytes())
    return data


def problems_of(root: Path, file: str) -> list[dict[str, object]]:
    return [p for p in summary_of(root)["problems"] if p["file"] == file]


def unusable_block(output: str) -> str:
    """The part of ``wbt status`` listing the files that are not used, and why."""
    return output[output.index("Các tệp không dùng được:") :]


# --- folder links ------------------------------------------------------------------


@posix_only
def test_forms_behind_a_folder_link_are_read_and_a_link_up_the_tree_ends(
    root: Path, tmp_path: Path
) -> None:
    zalo = tmp_path / "Downloads" / "Zalo"
    put(zalo, "T02 bao cao.xlsx", filled("T02", VILLAGE), ON_TIME)
    (zalo / "ve inbox").symlink_to(root / "inbox", target_is_directory=True)  # a loop
    (root / "inbox" / "zalo").symlink_to(zalo, target_is_directory=True)
    (root / "inbox" / "ban sao").symlink_to(root / "inbox", target_is_directory=True)
    hidden = tmp_path / "an"
    put(hidden, "T03.xlsx", filled("T03", VILLAGE), ON_TIME)
    (root / "inbox" / ".an").symlink_to(hidden, target_is_directory=True)
    before = snapshot(root / "inbox")

    run = wbt(root, "status")
    assert run.returncode == 0, run.stderr
    assert "Đã nộp" in row(run.stdout, "T02") and "zalo/T02 bao cao.xlsx" in row(run.stdout, "T02")
    assert form_name("T01") in row(run.stdout, "T01")  # by its own name, not through a link
    assert "ban sao" not in run.stdout and "ve inbox" not in run.stdout
    assert "Chưa nộp" in row(run.stdout, "T03")  # a hidden folder is not entered
    assert snapshot(root / "inbox") == before


# --- what cannot be read -------------------------------------------------------------


@posix_only
def test_a_broken_link_is_named_with_where_it_points(root: Path, tmp_path: Path) -> None:
    gone = tmp_path / "Downloads" / "T02.xlsx"
    (root / "inbox" / "T02.xlsx").symlink_to(gone)

    run = wbt(root, "status")
    assert run.returncode == 0, run.stderr
    expected = problems.make("file.broken_link", file="T02.xlsx", target=str(gone))
    assert f"Tệp T02.xlsx:\n    - Lỗi: {expected.message}" in unusable_block(run.stdout)


def _without_root_privilege() -> tuple[str, ...]:
    """A command prefix that runs a program without root's right to read anything.

    As root (CI), a folder without permissions is read all the same; the
    program is run without the capabilities that allow it (util-linux
    ``setpriv``), where that is possible.
    """
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    prefix = (
        setpriv or "setpriv",
        "--bounding-set=-dac_override,-dac_read_search",
        "--inh-caps=-dac_override,-dac_read_search",
    )
    if setpriv is None or subprocess.run([*prefix, "true"], check=False).returncode != 0:
        pytest.skip("as root, needs setpriv allowed to drop the capabilities to read anything")
    return prefix


@pytest.fixture
def locked(root: Path) -> Iterator[Path]:
    """A folder of the inbox, with a form, that its owner may not open."""
    folder = root / "inbox" / "Thon 3"
    put(folder, "T03.xlsx", filled("T03", VILLAGE), ON_TIME)
    folder.chmod(0)
    yield folder
    folder.chmod(stat.S_IRWXU)


@posix_only
def test_a_folder_that_cannot_be_opened_is_named_and_the_rest_is_read(
    root: Path, locked: Path
) -> None:
    prefix = _without_root_privilege()
    run = wbt(root, "status", prefix=prefix)
    assert run.returncode == 0, run.stderr
    assert "Đã nộp" in row(run.stdout, "T01")
    shown = unusable_block(run.stdout)
    assert "Tệp Thon 3/:\n    - Lỗi: Không mở được thư mục Thon 3/ trong inbox/" in shown
    assert "không có quyền" in shown

    run = wbt(root, "merge", prefix=prefix)
    assert run.returncode == 0, run.stderr
    assert [p["code"] for p in problems_of(root, "Thon 3/")] == ["file.folder_unreadable"]


def _deep_folder(inbox: Path, data: bytes) -> str:
    """Folders inside folders until the path is longer than the system allows (4096
    bytes on Linux), a form at the bottom; made relative to each folder, as a
    program that is not bound by the limit (an archive tool) can. Returns the name
    of the first folder whose path is too long, relative to the inbox."""
    name, names = ("thu muc bao cao cua thon " * 9).strip(), []
    descriptor = os.open(inbox, os.O_RDONLY)
    while len(os.fsencode(inbox)) + sum(len(n) + 1 for n in names) < 4200:
        os.mkdir(name, dir_fd=descriptor)
        inner = os.open(name, os.O_RDONLY, dir_fd=descriptor)
        os.close(descriptor)
        descriptor, names = inner, [*names, name]
    out = os.open("T04.xlsx", os.O_WRONLY | os.O_CREAT, dir_fd=descriptor)
    os.write(out, data)
    os.close(out)
    os.close(descriptor)
    length = len(os.fsencode(inbox))
    for count, _ in enumerate(names, start=1):
        length += len(name) + 1
        if length >= 4096:
            return "/".join(names[:count]) + "/"
    raise AssertionError("not deep enough")


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and its hash, read relative to each folder: paths
    too long for the system too (:func:`tests.inbox_forms.snapshot` cannot)."""
    out = {}
    for inner, _, files, descriptor in os.fwalk(folder):
        for name in files:
            opened = os.open(name, os.O_RDONLY | os.O_NONBLOCK, dir_fd=descriptor)
            try:
                if stat.S_ISREG(os.fstat(opened).st_mode):
                    with os.fdopen(os.dup(opened), "rb") as stream:
                        out[f"{inner}/{name}"] = hashlib.sha256(stream.read()).hexdigest()
            finally:
                os.close(opened)
    return out


@posix_only
def test_a_folder_too_deep_for_the_system_is_named(root: Path) -> None:
    # Root or not: the limit on a path's length binds everyone.
    inbox = root / "inbox"
    too_long = _deep_folder(inbox, filled("T04", VILLAGE))
    before = _tree(inbox)

    run = wbt(root, "status")
    assert run.returncode == 0, run.stderr
    assert "Đã nộp" in row(run.stdout, "T01")
    found = [p for p in problems_of_output(run.stdout) if p.startswith("Tệp ")]
    assert found == [f"Tệp {too_long}:"]
    run = wbt(root, "merge")
    assert run.returncode == 0, run.stderr
    (problem,) = problems_of(root, too_long)
    assert problem["code"] == "file.path_too_long"
    assert "quá dài" in str(problem["message"]) and "ngắn" in str(problem["message"])
    assert _tree(inbox) == before


def problems_of_output(output: str) -> list[str]:
    return [line.strip() for line in unusable_block(output).splitlines()[1:]]


# --- pipes and devices ------------------------------------------------------------------


@posix_only
@pytest.mark.parametrize("command", ["status", "check", "merge"])
def test_a_pipe_or_a_device_named_like_a_form_is_named_and_nothing_hangs(
    root: Path, command: str
) -> None:
    inbox = root / "inbox"
    os.mkfifo(inbox / "pipe.xlsx")
    (inbox / "zero.xlsx").symlink_to("/dev/zero")
    (inbox / "Thon 2").mkdir()
    (inbox / "Thon 2" / "random.xlsx").symlink_to("/dev/urandom")
    before = snapshot(inbox)

    run = wbt(root, command)
    assert run.returncode == 0, run.stderr
    expected = {
        "pipe.xlsx": problems.make("file.not_regular", file="pipe.xlsx", kind="một ống dẫn (FIFO)"),
        "zero.xlsx": problems.make("file.not_regular", file="zero.xlsx", kind="một thiết bị"),
        "Thon 2/random.xlsx": problems.make(
            "file.not_regular", file="Thon 2/random.xlsx", kind="một thiết bị"
        ),
    }
    if command == "merge":
        for name, problem in expected.items():
            assert problems_of(root, name) == [problem.to_dict()]
    else:
        assert "Đã nộp" in row(run.stdout, "T01")
        for name, problem in expected.items():
            assert f"Tệp {name}:\n    - Lỗi: {problem.message}" in unusable_block(run.stdout)
    assert snapshot(inbox) == before
    assert stat.S_ISFIFO(os.lstat(inbox / "pipe.xlsx").st_mode)


# --- names that are not UTF-8 -------------------------------------------------------------

#: "Thôn 11.xlsx" as unzip writes it from an archive made on Windows (code page 1258).
RAW_NAME = b"Th\xf4n 11.xlsx"
SHOWN_NAME = "Th\N{REPLACEMENT CHARACTER}n 11.xlsx"


@pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="the system keeps names in Unicode"
)
def test_a_name_that_is_not_utf8_is_read_shown_and_the_officer_told_to_rename_it(
    root: Path,
) -> None:
    inbox = root / "inbox"
    with open(os.path.join(os.fsencode(inbox), RAW_NAME), "wb") as out:
        out.write(filled("T11", {**VILLAGE, "ld_tong": 3, "ld_duoc_tt": 9}))  # an error
    os.utime(os.path.join(os.fsencode(inbox), RAW_NAME), (ON_TIME.timestamp(),) * 2)
    before = snapshot(inbox)

    run = wbt(root, "status")
    assert run.returncode == 0, run.stderr
    assert SHOWN_NAME in row(run.stdout, "T11") and "Đã nộp" in row(run.stdout, "T11")
    rename = problems.make("inbox.name_unprintable", file=SHOWN_NAME, unit="T11")
    assert rename.message in run.stdout

    run = wbt(root, "merge")
    assert run.returncode == 0, run.stderr
    (submission,) = [s for s in summary_of(root)["submissions"] if s["unit"] == "T11"]
    assert (submission["file"], submission["status"]) == (SHOWN_NAME, "used")
    codes = [p["code"] for p in problems_of(root, SHOWN_NAME)]
    assert "inbox.name_unprintable" in codes and "rule.failed" in codes
    assert SHOWN_NAME in (root / SUMMARY).read_bytes().decode("utf-8")  # strictly UTF-8
    report = root / "outbox" / PERIOD / f"BaoCao_TongHop_{PERIOD}.xlsx"
    with zipfile.ZipFile(report) as archive:
        assert SHOWN_NAME in archive.read("xl/sharedStrings.xml").decode("utf-8")

    run = wbt(root, "check")  # the feedback copy reopens the file by its name on disk
    assert run.returncode == 0, run.stderr
    copies = [p.name for p in (root / "outbox" / PERIOD / "phan_hoi").iterdir()]
    assert copies == ["Th\N{REPLACEMENT CHARACTER}n 11_phan_hoi.xlsx"]
    assert snapshot(inbox) == before
    with pytest.raises(OSError) as raised:  # the name shown is not the name on disk
        (inbox / SHOWN_NAME).stat()
    assert raised.value.errno == errno.ENOENT


@pytest.mark.skipif(
    sys.platform in ("win32", "darwin"), reason="the system keeps names in Unicode"
)
def test_names_that_would_show_alike_are_told_apart_by_their_bytes(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    for raw in (b"Th\xf4n 1.xlsx", b"Th\xf5n 1.xlsx", b"Th\xf4n 2.xlsx"):
        with open(os.path.join(folder, raw), "wb") as out:
            out.write(b"x")
    named = named_files(tmp_path)
    assert [name for name, _ in named] == [
        "Th\\xf4n 1.xlsx", "Th\\xf5n 1.xlsx", "Th\N{REPLACEMENT CHARACTER}n 2.xlsx"
    ]
    assert [os.fsencode(path.name) for _, path in named] == [
        b"Th\xf4n 1.xlsx", b"Th\xf5n 1.xlsx", b"Th\xf4n 2.xlsx"
    ]


@pytest.mark.skipif(sys.platform == "win32", reason="Windows refuses control characters in names")
def test_a_name_with_a_line_break_is_shown_on_one_line(root: Path) -> None:
    inbox = root / "inbox"
    put(inbox, "Thôn 11\n(sửa lại).xlsx", filled("T11", VILLAGE), ON_TIME)
    before = snapshot(inbox)
    shown = "Thôn 11\N{REPLACEMENT CHARACTER}(sửa lại).xlsx"

    run = wbt(root, "status")
    assert run.returncode == 0, run.stderr
    assert shown in row(run.stdout, "T11") and "Đã nộp" in row(run.stdout, "T11")
    assert problems.make("inbox.name_unprintable", file=shown, unit="T11").message in run.stdout
    assert "\n(sửa lại)" not in run.stdout

    run = wbt(root, "merge")
    assert run.returncode == 0, run.stderr
    (submission,) = [s for s in summary_of(root)["submissions"] if s["unit"] == "T11"]
    assert (submission["file"], submission["status"]) == (shown, "used")
    assert snapshot(inbox) == before
