"""Developer tasks. `python -m nox` runs the gate (lint, typing, docs, examples, tests on 3.12 and 3.13 where
installed, then tests — tests last)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import nox

NEWER_PYTHONS = ("3.12", "3.13")
"""The other Pythons we support (requires-python >= 3.11); the gate runs the tests on those the machine has."""


def _let_nox_see_pyenv_pythons() -> None:
    """Select the newest CPython release pyenv has of each newer Python, after the current one, for nox to find.

    pyenv's shims run only the versions selected (``python3.13`` fails while 3.11 is the only one), so nox would
    call an installed 3.13 missing. Only plain releases count (``3.13.0``; not virtualenvs such as
    ``3.12.1/envs/x``, nor free-threaded ``3.13.0t`` builds). Nothing changes where pyenv is absent or where
    PYENV_VERSION is already set: then the gate runs on the newer Pythons that setting selects, if any.
    """
    pyenv = shutil.which("pyenv")
    if pyenv is None or "PYENV_VERSION" in os.environ:
        return
    try:
        listed, current = (_output([pyenv, *command]) for command in (["versions", "--bare"], ["version-name"]))
    except (OSError, subprocess.TimeoutExpired):
        return
    releases = sorted(
        (tuple(map(int, name.split("."))), name)
        for name in listed.split()
        if re.fullmatch(r"[0-9]+\.[0-9]+\.[0-9]+", name)
    )
    newest = {f"{number[0]}.{number[1]}": name for number, name in releases}  # ascending: the newest one wins
    chosen = [newest[minor] for minor in NEWER_PYTHONS if minor in newest]
    if current and chosen:
        os.environ["PYENV_VERSION"] = ":".join([current, *chosen])


def _output(command: list[str]) -> str:
    return subprocess.run(command, capture_output=True, text=True, timeout=30, check=False).stdout.strip()


def _runs(version: str) -> bool:
    found = shutil.which(f"python{version}")
    if found is None:
        return False
    try:
        return subprocess.run([found, "-c", ""], capture_output=True, timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


_let_nox_see_pyenv_pythons()
AVAILABLE_NEWER = [version for version in NEWER_PYTHONS if _runs(version)]

# tests last, so that pytest's summary of the main run closes the log.
nox.options.sessions = [
    "lint",
    "typing",
    "docs",
    "examples",
    *(f"tests_newer-{version}" for version in AVAILABLE_NEWER),
    "tests",
]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the test suite (slow property runs excluded; see `slow`).

    The bench extra (the peers) is installed too, so the benchmark smoke tests check the peers in CI
    instead of skipping.
    """
    session.install("-e", ".[test,bench,hsm]")
    # pytest exits 5 when it collects no test (for example a narrowed run with -k). CI treats that as "ran no
    # test" rather than a crash, so exit 5 is accepted here and reported by pytest's own summary line.
    session.run("pytest", "-m", "not slow", *session.posargs, success_codes=[0, 5])


@nox.session(python=list(NEWER_PYTHONS))
def tests_newer(session: nox.Session) -> None:
    """Run the test suite on Python 3.12 and 3.13, without the benchmark peers (their smoke tests skip there).

    In the gate for each of them the machine has (pyenv's included). Each has caught what 3.11 let pass: 3.13
    verifies certificates strictly and warns on unclosed SQLite connections; 3.12.1 warns on numbered SQL
    parameters.
    """
    session.install("-e", ".[test,hsm]")
    session.run("pytest", "-m", "not slow", *session.posargs, success_codes=[0, 5])


@nox.session
def slow(session: nox.Session) -> None:
    """Run the whole suite with long hypothesis runs (2,000 examples each) and the `slow` tests; not in the gate."""
    session.install("-e", ".[test,hsm]")
    session.run("pytest", "--hypothesis-profile", "slow", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Lint and format-check with ruff."""
    session.install("ruff>=0.6")
    session.run("ruff", "check", "src", "tests", "examples", "benchmarks", "noxfile.py", "docs/conf.py")
    session.run("ruff", "format", "--check", "src", "tests", "examples", "benchmarks", "noxfile.py")


@nox.session
def typing(session: nox.Session) -> None:
    """Type-check the library with mypy --strict."""
    session.install("-e", ".[yaml,hsm]", "mypy>=1.11", "types-pyyaml", "types-requests", "pytest")
    session.run("mypy", "--strict", "src/sfshield")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the docs with Sphinx; any warning fails the build."""
    session.install("-e", ".[docs]")
    session.run("sphinx-build", "-W", "--keep-going", "-b", "html", "docs", "docs/_build/html")


@nox.session
def examples(session: nox.Session) -> None:
    """Run every example in examples/ (the docs include them, so none can go stale)."""
    session.install("-e", ".[yaml]")
    for example in sorted(Path("examples").glob("*.py")):
        session.run("python", str(example))


@nox.session
def bench(session: nox.Session) -> None:
    """Run the benchmarks side by side with the floor; never part of the test gate."""
    session.install("-e", ".[bench]")
    session.run("python", "-m", "benchmarks", *session.posargs)


@nox.session(name="eval")
def dlp_eval(session: nox.Session) -> None:
    """Run the DLP evaluation: per-kind precision/recall on the labelled corpus; fails when a threshold is missed.

    The same thresholds gate CI through tests/dlp/test_eval.py; this prints the whole table and failure shapes.
    """
    session.install("-e", ".")
    session.run("python", "-m", "benchmarks", "--only", "dlp-eval")


@nox.session
def demo(session: nox.Session) -> None:
    """Run the demo."""
    session.install("-e", ".")
    session.run("sfshield", "demo")
