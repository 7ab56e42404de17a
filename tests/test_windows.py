"""``wbt`` as it runs on Windows: output redirected on a Vietnamese code page, processes
started by spawn."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from tests.inbox_forms import PERIOD
from workbook_tools.cli import cli

ROOT_OF_PROJECT = Path(__file__).resolve().parent.parent

# What Python does on Windows when the output is not the console: it writes in the
# ANSI code page, cp1258 on a Vietnamese Windows, strictly (an unencodable letter
# raises). Linux has no cp1258 locale to start Python in, and PYTHONIOENCODING would
# be a choice the user made (which wbt keeps), so the stand-in is Python's own
# streams rebuilt as Windows would build them, before main() runs.
_AS_ON_WINDOWS = """
import io, sys
sys.stdout = io.TextIOWrapper(sys.stdout.detach(), encoding="cp1258", errors="strict")
sys.stderr = io.TextIOWrapper(sys.stderr.detach(), encoding="cp1258", errors="backslashreplace")
from workbook_tools.cli import main
sys.argv[0] = "wbt"
main()
"""


def wbt_to_files(
    tmp_path: Path, *args: str, env: dict[str, str] | None = None, encoding: str = "utf-8"
) -> tuple[str, str]:
    """Run ``wbt args`` with stdout and stderr sent to files (``wbt ... > log.txt``)."""
    out, err = tmp_path / "out.txt", tmp_path / "err.txt"
    environment = {**os.environ, "PYTHONPATH": str(ROOT_OF_PROJECT), **(env or {})}
    environment.pop("PYTHONIOENCODING", None)
    environment.update(env or {})
    with out.open("wb") as stdout, err.open("wb") as stderr:
        subprocess.run(
            [sys.executable, "-c", _AS_ON_WINDOWS, *args],
            stdout=stdout,
            stderr=stderr,
            env=environment,
            timeout=120,
            check=False,
        )
    return out.read_bytes().decode(encoding), err.read_bytes().decode(encoding)


def test_output_to_a_file_keeps_every_vietnamese_letter(tmp_path: Path) -> None:
    """On a cp1258 code page, ``wbt status > log.txt`` writes UTF-8, whole.

    cp1258 writes ộ, ạ, ữ… as a letter and a combining mark, and Python's codec
    does not decompose them: they would be '?' (or an error). main() makes a
    stream that is not a terminal UTF-8.
    """
    root = tmp_path / "xa"
    assert CliRunner().invoke(cli, ["init", str(root)]).exit_code == 0
    out, err = wbt_to_files(tmp_path, "status", "--period", PERIOD, "--dir", str(root))
    assert "?" not in out, out
    for text in ("Đã nộp", "ộ", "ạ", "thôn"):
        assert text in out, out
    out, err = wbt_to_files(tmp_path, "status", "--dir", str(tmp_path / "không có"))
    assert "Thiếu tùy chọn" in err and "?" not in err, err
    out, err = wbt_to_files(tmp_path, "merge", "--period", PERIOD, "--dir", str(tmp_path))
    assert "không có thư mục 'templates/'" in err and "?" not in err, err


def test_a_chosen_encoding_is_kept(tmp_path: Path) -> None:
    """PYTHONIOENCODING is the user's choice: wbt writes in it (here, a letter it lacks
    becomes '?', not an error)."""
    out, _ = wbt_to_files(
        tmp_path, "--help", env={"PYTHONIOENCODING": "cp1258"}, encoding="cp1258"
    )
    assert "Cách dùng" in out  # á is in cp1258
    assert "tổng hợp" not in out and "t?ng h?p" in out


def test_wbt_start_method_is_set_by_main(tmp_path: Path) -> None:
    code = (
        "import multiprocessing, sys\n"
        "from workbook_tools.cli import main\n"
        "sys.argv = ['wbt', '--version']\n"
        "try:\n"
        "    main()\n"
        "finally:\n"
        "    print(multiprocessing.get_start_method(allow_none=True))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT_OF_PROJECT), "WBT_START_METHOD": "spawn"}
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines()[-1] == "spawn"
    env["WBT_START_METHOD"] = "nope"
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60
    )
    assert run.returncode == 1 and "WBT_START_METHOD=nope" in run.stderr
