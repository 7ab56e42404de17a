"""The command line: thin click commands over the pipeline's library steps.

Each command parses options, calls one library function and prints its result
in Vietnamese. A :class:`~workbook_tools.errors.WorkbookToolsError` becomes a
clean message and exit code 1, never a traceback.
"""

from __future__ import annotations

import os
import sys

import click

from workbook_tools import __version__


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="wbt")
def cli() -> None:
    """wbt: biểu mẫu, tiếp nhận và tổng hợp báo cáo kế hoạch của xã bằng Excel.

    Quy trình: wbt init → wbt generate → (gửi biểu mẫu, lưu bài nộp vào inbox/)
    → wbt status / wbt check → wbt merge.
    """


#: Environment set for this process before NumPy (under pandas) loads, unless the user set it.
#: OpenBLAS starts a thread per CPU when NumPy is imported, and those threads
#: burn CPU time while waiting; nothing here does linear algebra, and the
#: CPUs are busy with the processes that read the inbox.
QUIET_LIBRARIES = {"OPENBLAS_NUM_THREADS": "1"}


def main() -> None:
    """Entry point of the ``wbt`` console script."""
    for name, value in QUIET_LIBRARIES.items():
        os.environ.setdefault(name, value)
    # Vietnamese must print on a Windows console with a legacy code page too.
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            reconfigure(errors="replace")
    cli(prog_name="wbt")


# Registers the commands on the group; at the bottom because they import ``cli``.
from workbook_tools.cli import commands  # noqa: E402, F401
