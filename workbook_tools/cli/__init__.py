"""The command line: thin click commands over the pipeline's library steps.

Each command parses options, calls one library function and prints its result
in Vietnamese. A :class:`~workbook_tools.errors.WorkbookToolsError` becomes a
clean message and exit code 1, never a traceback.

click's own words (``Usage:``, ``Options``, ``Missing option``, ``No such
command``…) are Vietnamese too: click reads them through :mod:`gettext`, and
:func:`click_in_vietnamese` points gettext at the catalogue in
``workbook_tools/locale/vi`` while :func:`main` runs (and while the commands are
defined, for the words click takes then, such as ``THƯ_MỤC`` for a folder).
Usage errors keep click's exit code, 2.
"""

from __future__ import annotations

import contextlib
import gettext
import io
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from workbook_tools import __version__

#: The gettext domain of the catalogue of click's messages, and where it is.
TEXT_DOMAIN = "wbt"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"


@contextlib.contextmanager
def click_in_vietnamese() -> Iterator[None]:
    """click's messages in Vietnamese inside the block; as they were after it.

    gettext finds a catalogue by the process's default domain and the language
    in the environment (``LANGUAGE`` first; Windows sets none of them), both
    global: they are set for the block only, so that a program importing
    ``wbt``'s commands (the tests) keeps its own.
    """
    previous_domain = gettext.textdomain()
    previous_language = os.environ.get("LANGUAGE")
    gettext.bindtextdomain(TEXT_DOMAIN, str(LOCALE_DIR))
    gettext.textdomain(TEXT_DOMAIN)
    os.environ["LANGUAGE"] = "vi"
    try:
        yield
    finally:
        gettext.textdomain(previous_domain)
        if previous_language is None:
            os.environ.pop("LANGUAGE", None)
        else:
            os.environ["LANGUAGE"] = previous_language


class Command(click.Command):
    """A ``wbt`` command: ``[TÙY_CHỌN]`` where click writes ``[OPTIONS]`` in its usage."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[TÙY_CHỌN]")
        super().__init__(*args, **kwargs)


class Group(click.Group):
    """A group of ``wbt`` commands: they (and its groups) are :class:`Command`'s and
    :class:`Group`'s, and its usage says ``LỆNH [ĐỐI_SỐ]...``."""

    command_class = Command
    group_class = type  # a group's groups are of its class

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("options_metavar", "[TÙY_CHỌN]")
        kwargs.setdefault("subcommand_metavar", "LỆNH [ĐỐI_SỐ]...")
        super().__init__(*args, **kwargs)


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(
    __version__,
    prog_name="wbt",
    message="%(prog)s, phiên bản %(version)s",
    help="Hiện phiên bản rồi thoát.",
)
def cli() -> None:
    """wbt: biểu mẫu, tiếp nhận và tổng hợp báo cáo kế hoạch của xã bằng Excel.

    Quy trình: wbt init → wbt generate → wbt send (hoặc tự gửi biểu mẫu) → wbt fetch
    (hoặc tự lưu bài nộp vào inbox/) → wbt status / wbt check → wbt remind → wbt merge
    → wbt lock khi đã ký, gửi báo cáo.
    """


#: Environment set for this process before NumPy (under pandas) loads, unless the user set it.
#: OpenBLAS starts a thread per CPU when NumPy is imported, and those threads
#: burn CPU time while waiting; nothing here does linear algebra, and the
#: CPUs are busy with the processes that read the inbox.
QUIET_LIBRARIES = {"OPENBLAS_NUM_THREADS": "1"}

#: How this run starts its worker processes, if set: ``spawn`` makes a Linux run start
#: them as Windows does (the tests' ``WBT_TEST_SPAWN=1`` run sets it for the ``wbt``
#: processes they start). Unset, Python's default for the platform.
START_METHOD = "WBT_START_METHOD"


def main() -> None:
    """Entry point of the ``wbt`` console script."""
    for name, value in QUIET_LIBRARIES.items():
        os.environ.setdefault(name, value)
    _utf8_unless_terminal()
    method = os.environ.get(START_METHOD)
    if method:
        import multiprocessing  # only then: most runs start no process (workers.py)

        if method not in multiprocessing.get_all_start_methods():
            methods = ", ".join(multiprocessing.get_all_start_methods())
            sys.exit(f"{START_METHOD}={method}: không có cách khởi động này (có: {methods}).")
        multiprocessing.set_start_method(method, force=True)
    with click_in_vietnamese():
        cli(prog_name="wbt")


def _utf8_unless_terminal() -> None:
    """Vietnamese printed whole wherever the output goes.

    Written to a file or a pipe (``wbt status > log.txt``), the output is UTF-8:
    Python would write it in the locale's encoding, on a Vietnamese Windows
    cp1258, which has no ộ, ạ, ữ… as single letters, so they would become '?'.
    An encoding the user chose (``PYTHONIOENCODING``) is kept. A terminal keeps
    its own encoding (Windows' console takes any letter, through its UTF-16
    interface); a letter a terminal cannot show becomes '?' instead of an error.
    """
    chosen = bool(os.environ.get("PYTHONIOENCODING", "").partition(":")[0])
    for stream in (sys.stdout, sys.stderr):
        if not isinstance(stream, io.TextIOWrapper):
            continue  # not a file's text stream (a caller's StringIO, say): left as it is
        try:
            terminal = stream.isatty()
        except ValueError:  # closed
            continue
        if terminal or chosen:
            stream.reconfigure(errors="replace")
        else:
            stream.reconfigure(encoding="utf-8", errors="replace")


# Registers the commands on the group; at the bottom because they import ``cli``.
# Inside click_in_vietnamese: click names some things when an option is defined
# (the kind of a path: THƯ_MỤC, TỆP).
with click_in_vietnamese():
    from workbook_tools.cli import commands  # noqa: F401
