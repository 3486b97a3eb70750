"""Policy files shipped in docs/ and examples/ stay valid and in step with each other."""

from __future__ import annotations

from pathlib import Path

import sfshield
from sfshield._demo import load_demo_policy

ROOT = Path(__file__).parents[1]


def test_the_three_format_examples_are_the_same_policy() -> None:
    """The TOML, YAML and JSON versions in the policy-format reference load to one sha256."""
    hashes = {sfshield.load_classification(path).sha256 for path in (ROOT / "docs/reference/policies").glob("small.*")}
    assert len(hashes) == 1


def test_the_example_policy_is_the_demo_policy() -> None:
    """examples/policy.toml and the demo's bundled policy are the same document."""
    assert sfshield.load_classification(ROOT / "examples/policy.toml").sha256 == load_demo_policy().sha256
