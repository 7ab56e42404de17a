"""Every command has help with an example, and the README documents it."""

from __future__ import annotations

from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from workbook_tools.cli import cli

README = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name, command in sorted(group.commands.items()):
        full = f"{prefix}{name}"
        if isinstance(command, click.Group):
            out.extend(_commands(command, f"{full} "))
        else:
            out.append((full, command))
    return out


COMMANDS = _commands(cli)


def test_the_pipeline_commands_are_all_there() -> None:
    names = {name for name, _ in COMMANDS}
    assert {"init", "plan check", "generate", "status", "check", "merge", "demo"} <= names


@pytest.mark.parametrize(("name", "command"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_command_has_help_with_an_example(name: str, command: click.Command) -> None:
    assert command.help, name
    assert "Ví dụ:" in command.help and f"wbt {name}" in command.help, name
    result = CliRunner().invoke(cli, [*name.split(), "--help"])
    assert result.exit_code == 0
    assert "Usage: " in result.output


@pytest.mark.parametrize("name", [n for n, _ in COMMANDS])
def test_command_is_documented_in_the_readme(name: str) -> None:
    assert f"wbt {name}" in README, name


def test_readme_starts_with_the_two_commands_a_newcomer_types() -> None:
    head = README[: README.index("## ")]
    assert "pip install" in head and "wbt demo" in head
    assert "python -m pytest" in head
