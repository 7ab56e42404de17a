"""Options and error handling shared by the commands."""

from __future__ import annotations

import contextlib
import functools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from workbook_tools.errors import PlanError, WorkbookToolsError
from workbook_tools.plan import load_plan
from workbook_tools.plan.model import Period, Plan
from workbook_tools.problems import SEVERITY_LABELS, Problem, Severity
from workbook_tools.workspace import Workspace

P = ParamSpec("P")
R = TypeVar("R")

dir_option = click.option(
    "--dir",
    "root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default="thư mục hiện tại",
    help="Thư mục làm việc (chứa templates/, inbox/, outbox/).",
)
plan_option = click.option(
    "--plan",
    "plan_path",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Tệp kế hoạch (.xlsx); mặc định là tệp duy nhất trong templates/.",
)
period_option = click.option(
    "--period",
    "period_code",
    required=True,
    metavar="KỲ",
    help="Mã kỳ báo cáo trong trang Kỳ báo cáo của kế hoạch, ví dụ Q1-2025 hoặc 6T-2025.",
)


def workspace(root: Path) -> Workspace:
    return Workspace(root.resolve())


def open_period(
    root: Path, plan_path: Path | None, period_code: str
) -> tuple[Workspace, Plan, Period]:
    """The working folder, its plan, and the period asked for, resolved before any file
    is read (an unknown period stops here, with the one message that lists the valid ones)."""
    ws = workspace(root)
    plan = load_plan(plan_path if plan_path is not None else ws.find_plan())
    return ws, plan, plan.period(period_code)


def shown_path(path: Path, base: Path) -> str:
    """``path`` relative to ``base`` when it is inside it (shorter to read), with '/'."""
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)


#: How each severity's line is coloured on the screen.
SEVERITY_COLORS = {Severity.ERROR: "red", Severity.WARNING: "yellow", Severity.INFO: None}


def echo_problem(problem: Problem, prefix: str = "") -> None:
    """One problem on its own line: "Lỗi: …", "Cảnh báo: …", coloured by its severity."""
    click.secho(
        f"{prefix}{SEVERITY_LABELS[problem.severity]}: {problem.message}",
        fg=SEVERITY_COLORS[problem.severity],
    )


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn a run-stopping error into a Vietnamese message and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except PlanError as err:
            click.secho(f"Lỗi: {err}", fg="red", err=True)
            for problem in err.problems:
                click.echo(f"  - {problem.message}", err=True)
            raise SystemExit(1) from None
        except WorkbookToolsError as err:
            click.secho(f"Lỗi: {err}", fg="red", err=True)
            raise SystemExit(1) from None

    return wrapper


#: More files than this get a progress bar while they are read or written.
PROGRESS_MIN = 30


@contextlib.contextmanager
def progress_bar(label: str) -> Iterator[Callable[[int, int, str], None]]:
    """A progress callback ``(done, total, name)`` that shows a bar on many files."""
    bar: Any = None
    shown = 0

    def update(done: int, total: int, name: str) -> None:
        nonlocal bar, shown
        if total < PROGRESS_MIN:
            return
        if bar is None:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            bar.__enter__()
        bar.update(done - shown)
        shown = done

    try:
        yield update
    finally:
        if bar is not None:
            bar.__exit__(None, None, None)
