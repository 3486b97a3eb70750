"""Developer tasks. `python -m nox` runs the gate (lint, typing, docs, examples, tests — tests last)."""

from __future__ import annotations

from pathlib import Path

import nox

nox.options.sessions = ["lint", "typing", "docs", "examples", "tests"]
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


@nox.session(python="3.13")
def tests_newest(session: nox.Session) -> None:
    """Run the test suite on the newest Python we support (3.13), without the benchmark peers.

    Not in the gate yet: CI machines are only known to have 3.11. Python 3.13 verifies certificates strictly and
    warns on unclosed SQLite connections, both of which this session has caught; run it before a release. With
    pyenv, make 3.13 visible first: ``PYENV_VERSION=3.11.7:3.13.0 nox -s tests_newest``.
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
