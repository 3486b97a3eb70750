"""The command-line reference shows each command's help as the command prints it (curated excerpts aside)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from sfshield.cli import main

REFERENCE = Path(__file__).parents[1] / "docs/reference/cli.md"
# Blocks that are the whole --help of a command at 110 columns. The quarantine and keys blocks are excerpts (several
# usages in one block, a verb list) and are written by hand.
WHOLE = ["protect", "scan", "audit verify", "demo"]


def blocks() -> dict[str, str]:
    text = REFERENCE.read_text()
    return {match[1]: match[0] for match in re.findall(r"```text\n(usage: sfshield ([a-z ]+?) \[.*?)```", text, re.S)}


@pytest.mark.parametrize("command", WHOLE)
def test_the_reference_shows_the_help_the_command_prints(
    command: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Regenerate a block with `COLUMNS=110 sfshield <command> --help` when this fails."""
    monkeypatch.setenv("COLUMNS", "110")
    with pytest.raises(SystemExit) as exited:
        main([*command.split(), "--help"])
    assert exited.value.code == 0
    assert blocks()[command] == capsys.readouterr().out
