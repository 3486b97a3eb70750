"""Every example in examples/ runs cleanly (the docs include them, so none can go stale)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parents[1] / "examples").glob("*.py"))


@pytest.mark.parametrize("example", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_example_runs(example: Path) -> None:
    """The example exits 0 (each asserts what it shows)."""
    done = subprocess.run([sys.executable, str(example)], capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr


def test_there_are_examples() -> None:
    """The examples folder is not empty, so the parametrized test above cannot pass vacuously."""
    assert len(EXAMPLES) >= 3
