"""The command-line reference shows each command's help as the command prints it (curated excerpts aside)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REFERENCE = Path(__file__).parents[1] / "docs/reference/cli.md"
# Blocks that are the whole --help of a command at 110 columns. The quarantine and keys blocks are excerpts (several
# usages in one block, a verb list) and are written by hand.
WHOLE = ["protect", "scan", "audit verify", "demo"]


def blocks() -> dict[str, str]:
    text = REFERENCE.read_text()
    return {match[1]: match[0] for match in re.findall(r"```text\n(usage: sfshield ([a-z ]+?) \[.*?)```", text, re.S)}


@pytest.mark.parametrize("command", WHOLE)
def test_the_reference_shows_the_help_the_command_prints(command: str) -> None:
    """Regenerate a block with `COLUMNS=110 sfshield <command> --help` when this fails."""
    printed = subprocess.run(
        [sys.executable, "-m", "sfshield", *command.split(), "--help"],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "110"},
    )
    assert blocks()[command] == printed.stdout
