"""--help reads as prose at any terminal width: no ragged lines from the docstrings' source wrap."""

from __future__ import annotations

from typing import Any

import click
import typer
from typer.testing import CliRunner

from showclear.cli import _reflow, app


def commands(group: click.Command, path: str = "showclear") -> list[tuple[str, click.Command]]:
    found = [(path, group)]
    if isinstance(group, click.Group):
        for name, sub in group.commands.items():
            found += commands(sub, f"{path} {name}")
    return found


def test_reflow_joins_prose_and_keeps_examples() -> None:
    text = """First line
    goes on.

    A paragraph wrapped
    for the source.

    Examples:

      showclear verify --db set.db
      showclear verify bundle/
    """
    assert _reflow(text) == (
        "First line goes on.\n\nA paragraph wrapped for the source.\n\nExamples:\n\n"
        "  showclear verify --db set.db\n  showclear verify bundle/"
    )


def test_every_command_help_is_reflowed() -> None:
    root: Any = typer.main.get_command(app)
    for path, command in commands(root):
        for paragraph in (command.help or "").split("\n\n"):
            lines = paragraph.split("\n")
            if not any(line.startswith((" ", "\t")) for line in lines):
                assert len(lines) == 1, f"{path}: {paragraph!r}"


def test_report_help_lines_are_not_ragged() -> None:
    result = CliRunner().invoke(app, ["report", "--help"], env={"COLUMNS": "100"})
    assert result.exit_code == 0
    assert "(with witnesses), return, discharge" in result.output
