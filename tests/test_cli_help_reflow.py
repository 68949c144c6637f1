"""Command help reads as paragraphs at any width: typer keeps a docstring's single line breaks, so they are joined."""

from __future__ import annotations

import importlib
import re

from typer.testing import CliRunner

app_module = importlib.import_module("msckg.graph.cli.app")
app, reflow = app_module.app, app_module.reflow


def test_reflow_joins_lines_and_keeps_examples_and_lists():
    doc = """First line
    goes on.

    A paragraph broken
    in two. Example: not at a line start
    Example: msckg build
    - an item
      indented"""
    assert reflow(doc) == ("First line goes on.\n\nA paragraph broken in two. Example: not at a line start\n"
                           "Example: msckg build\n- an item\n  indented")


def test_no_command_help_keeps_a_break_inside_a_sentence():
    infos = app.registered_commands + app_module.fetch_cmds.fetch_app.registered_commands
    assert len(infos) > 10
    for info in infos:
        for para in (info.help or "").split("\n\n"):
            for line in para.split("\n")[1:]:
                assert re.match(r"(-|\*| |\x08|Example)", line), (info.name, line)


def test_help_at_80_columns_is_not_ragged():
    out = CliRunner().invoke(app, ["build", "--help"], env={"COLUMNS": "80"}).output
    body = out.split("╭")[0]
    lines = [line.strip() for line in body.splitlines()]
    # a ragged break leaves a short line inside a paragraph: each line there is followed by another of the paragraph
    short = [line for i, line in enumerate(lines[:-1]) if 0 < len(line) < 50 and lines[i + 1]
             and not line.startswith(("Example", "Usage")) and not lines[i + 1].startswith("Example")]
    assert short == [], short
