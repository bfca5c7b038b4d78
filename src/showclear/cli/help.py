"""--help text: docstrings are wrapped at 100 columns for the source, --help wraps to the
terminal."""

from __future__ import annotations

import inspect

import typer


def _reflow(text: str) -> str:
    """In Rich markup mode Typer keeps single line breaks, which left ragged lines, so prose
    paragraphs are joined into one line each. Indented paragraphs (examples) stay as written.
    """
    paragraphs = inspect.cleandoc(text).split("\n\n")
    return "\n\n".join(
        p if any(line.startswith((" ", "\t")) for line in p.split("\n")) else " ".join(p.split())
        for p in paragraphs
    )


def reflow_help(typer_app: typer.Typer) -> None:
    for command in typer_app.registered_commands:
        text = command.help or (command.callback.__doc__ if command.callback else None)
        if text:
            command.help = _reflow(text)
    for group in typer_app.registered_groups:
        if group.help:
            group.help = _reflow(group.help)
        if group.typer_instance is not None:
            reflow_help(group.typer_instance)
