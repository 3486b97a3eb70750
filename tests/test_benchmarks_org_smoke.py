"""Smoke tests of the embedded-org paging benchmark: it runs, and every run fetches each Contact exactly once."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from benchmarks.bench_org import (
    BATCHES,
    FETCH,
    PROTECT,
    Result,
    client,
    contact_ids,
    measure,
    paged_ids,
    report,
    run,
)

from sfshield.testing import EmbeddedOrg

_SIZE = 100  # Accounts: 332 Contacts with seed 0, so 200-record pages take two requests


@pytest.fixture(scope="module")
def org() -> Iterator[EmbeddedOrg]:
    """A tiny seeded org shared by the tests of this module."""
    with EmbeddedOrg(orgs=1, size=_SIZE, seed=0) as running:
        yield running


@pytest.fixture(scope="module")
def results(org: EmbeddedOrg) -> list[Result]:
    """Two timed rounds against the tiny org."""
    return measure(org, repeat=2)


class TestRun:
    def test_every_candidate_reports_every_page_size(self, results: list[Result]) -> None:
        """measure() reports one row per candidate and page size: fetch and fetch+protect_stream, both pages."""
        assert len(results) == 4
        assert {(r.candidate, r.batch) for r in results} == {(c, b) for c in (FETCH, PROTECT) for b in BATCHES}

    def test_every_row_counts_exactly_the_orgs_contacts(self, org: EmbeddedOrg, results: list[Result]) -> None:
        """Each row counted as many records as the org holds Contacts, in the pages its page size implies."""
        contacts = len(contact_ids(org))
        assert contacts > 200
        for r in results:
            assert r.records == contacts
            assert r.pages == math.ceil(contacts / (r.batch or 2000))

    def test_rates_are_positive_finite_numbers(self, results: list[Result]) -> None:
        """Every row has positive finite times and records/s, the first record no later than the last."""
        for r in results:
            assert math.isfinite(r.records_per_s) and r.records_per_s > 0
            assert 0 < r.first_record_s <= r.seconds <= r.median_seconds < math.inf

    def test_report_shows_every_row(self, results: list[Result]) -> None:
        """The report has a line per row naming its candidate and page size."""
        lines = report(results).splitlines()
        assert len(lines) == 2 + len(results)
        for r in results:
            assert any(line.startswith(f"{r.candidate:<21} {r.page_label}") for line in lines)

    def test_run_seeds_its_own_org(self) -> None:
        """run(size) builds and serves an org of that size and times every candidate against it."""
        results = run(size=10, repeat=1)
        assert len(results) == 4
        assert len({r.records for r in results}) == 1 and results[0].records > 10

    def test_repeat_must_be_positive(self, org: EmbeddedOrg) -> None:
        """measure() refuses a repeat count below one."""
        with pytest.raises(ValueError, match="repeat"):
            measure(org, repeat=0)


class TestPaging:
    @pytest.mark.parametrize("batch", BATCHES)
    def test_paging_loses_and_duplicates_nothing(self, org: EmbeddedOrg, batch: int | None) -> None:
        """query_all_iter yields every Contact of the org exactly once, whatever the page size."""
        ids = paged_ids(client(org), batch)
        assert len(ids) == len(set(ids)) == len(contact_ids(org))
        assert set(ids) == set(contact_ids(org))
