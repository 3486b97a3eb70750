"""Smoke tests of the benchmark harness: it runs, and each floor computes exactly what sfshield computes."""

from __future__ import annotations

import gc
import json
import math
import subprocess
import sys

import pytest
from benchmarks.bench_filter import Comparison, comparisons, outputs, run
from benchmarks.data import generate_contacts

_RECORDS = 300


@pytest.fixture(scope="module")
def records() -> list[dict]:
    """Generated Contacts shared by the tests of this module."""
    return generate_contacts(_RECORDS, seed=7)


def _comparison(name: str) -> Comparison:
    return next(c for c in comparisons() if c.name == name)


class TestRun:
    def test_every_comparison_runs_both_variants(self) -> None:
        """run() times both sfshield variants of both comparisons over the requested number of records."""
        results = run(records=_RECORDS, repeat=1)
        assert {(r.comparison, r.variant) for r in results} == {
            (name, variant) for name in ("keep-drop", "full") for variant in ("filter", "filter+field_counts")
        }
        assert all(r.records == _RECORDS for r in results)

    def test_ratios_are_positive_finite_numbers(self) -> None:
        """Every throughput and ratio run() reports is a positive finite number."""
        for result in run(records=_RECORDS, repeat=1):
            for value in (result.records_per_s, result.floor_records_per_s, result.ratio):
                assert math.isfinite(value)
                assert value > 0

    def test_only_selects_one_comparison(self) -> None:
        """run(only=...) times the named comparison and no other."""
        assert {r.comparison for r in run(records=50, repeat=1, only="full")} == {"full"}

    @pytest.mark.parametrize("gc_mode", ["freeze", "off"])
    def test_gc_modes_leave_the_collector_as_found(self, gc_mode: str) -> None:
        """run() with the collector frozen or off restores it afterwards: enabled, nothing of its own frozen.

        Python 3.12 keeps a few hundred objects of its own in the permanent generation (375 at start, and after
        ``gc.unfreeze()`` some come back), so the count is held to what a fresh interpreter starts with, not to 0.
        """
        count = "import gc; print(gc.get_freeze_count())"
        own = subprocess.run([sys.executable, "-c", count], capture_output=True, check=True, text=True)
        run(records=50, repeat=1, only="keep-drop", gc_mode=gc_mode)
        assert gc.isenabled()
        assert gc.get_freeze_count() <= int(own.stdout)

    def test_unknown_comparison_is_refused(self) -> None:
        """run() refuses a comparison name it does not know, naming the known ones."""
        with pytest.raises(ValueError, match="keep-drop, full"):
            run(records=10, repeat=1, only="nope")


class TestFloors:
    @pytest.mark.parametrize("name", ["keep-drop", "full"])
    def test_floor_output_equals_sfshield_output(self, name: str, records: list[dict]) -> None:
        """Each floor produces exactly sfshield's records: same values, same keys in the same order."""
        shield_out, floor_out = outputs(_comparison(name), records)
        assert shield_out == floor_out
        assert json.dumps(shield_out) == json.dumps(floor_out)

    def test_full_comparison_really_transforms(self, records: list[dict]) -> None:
        """The full policy pseudonymizes names and emails and masks phones, so the floor has work to match."""
        shield_out, _ = outputs(_comparison("full"), records)
        first = shield_out[0]
        assert first["FirstName"].startswith("name_")
        assert first["Email"].startswith("email_")
        assert first["Phone"].startswith("*")
        assert first["Phone"][-4:] == records[0]["Phone"][-4:]


class TestData:
    def test_generation_is_deterministic(self) -> None:
        """The same seed gives the same records, and another seed different ones."""
        assert generate_contacts(20, seed=1) == generate_contacts(20, seed=1)
        assert generate_contacts(20, seed=1) != generate_contacts(20, seed=2)

    def test_records_cover_every_nesting_case(self, records: list[dict]) -> None:
        """The data has Contacts with and without an Account, and with none to three Cases."""
        assert {r["Account"] is None for r in records} == {True, False}
        assert {0 if r["Cases"] is None else r["Cases"]["totalSize"] for r in records} == {0, 1, 2, 3}
        assert all(len(r["Id"]) == 18 and r["attributes"]["type"] == "Contact" for r in records)
