"""Smoke tests of the end-to-end benchmark: it runs, every record arrives once or is held, nothing passes in clear.

The org runs in a process of its own, as in the benchmark: these tests also check that the process always ends.
"""

from __future__ import annotations

import math
import multiprocessing
import os
from collections.abc import Iterator

import pytest
import requests
from benchmarks.bench_e2e import (
    E2E,
    FETCH,
    PURPOSE,
    Measurement,
    OrgProcess,
    Pipeline,
    bench_policy,
    goals,
    measure,
    pipeline,
    report,
    verify,
)

from sfshield.classification import Action

_ORG_SIZE = 100  # Accounts: 332 Contacts with seed 0
_SIZES = (100, 300)


@pytest.fixture(scope="module")
def pipe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pipeline]:
    """The benchmark's tenant against a tiny seeded org, shared by the tests of this module."""
    with OrgProcess(size=_ORG_SIZE, seed=0) as org, pipeline(org, tmp_path_factory.mktemp("e2e")) as built:
        yield built


def _running(pid: int | None) -> bool:
    """Whether ``pid`` is still a process (not even a zombie: a zombie's owner has not waited for it)."""
    assert pid is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


class TestOrgProcess:
    def test_the_org_serves_from_another_process_over_verified_tls(self, pipe: Pipeline) -> None:
        """The org is another process; its certificate verifies against its CA only, not the default trust store."""
        assert pipe.org.pid != os.getpid()
        assert _running(pipe.org.pid)
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(pipe.org.instance_url, timeout=10)
        assert pipe.org.cpu() > 0

    def test_the_process_ends_even_when_the_body_fails(self) -> None:
        """Leaving the context on an error stops the org process and leaves no child behind."""
        pids: list[int | None] = []

        def fail_inside() -> None:
            with OrgProcess(size=2, seed=0) as org:
                pids.append(org.pid)
                assert _running(org.pid)
                raise LookupError

        with pytest.raises(LookupError):
            fail_inside()
        (pid,) = pids
        assert not _running(pid)
        assert not any(child.pid == pid for child in multiprocessing.active_children())


@pytest.fixture(scope="module")
def result(pipe: Pipeline) -> Measurement:
    """One timed round at two tiny sizes."""
    return measure(pipe, _SIZES, repeat=1)


class TestVerify:
    @pytest.mark.parametrize("size", _SIZES)
    def test_every_record_arrives_once_or_is_held(self, pipe: Pipeline, size: int) -> None:
        """Each Contact the query selects comes out exactly once or is in the quarantine, never both."""
        seen = verify(pipe, size)
        assert len(seen.expected) == len(set(seen.expected)) == size
        assert len(seen.passed) == len(set(seen.passed))
        assert not set(seen.passed) & set(seen.held)
        assert sorted(seen.passed + seen.held) == sorted(seen.expected)

    def test_no_email_address_passes(self, pipe: Pipeline) -> None:
        """No e-mail address comes out in any field, Email is not the raw value, and the Case text has placeholders."""
        seen = verify(pipe, _SIZES[-1])
        assert seen.leaked_emails == 0
        assert seen.clear_emails == 0
        assert seen.placeholders > 0  # the DLP did replace addresses in the Case text

    def test_the_policy_encrypts_a_field(self) -> None:
        """The benchmark's policy copy encrypts Contact.Email for its purpose; the rest is the demo policy."""
        assert bench_policy().decide("Contact", "Email", PURPOSE).action is Action.ENCRYPT
        assert bench_policy().decide("Contact", "FirstName", PURPOSE).action is Action.PSEUDONYMIZE


class TestMeasure:
    def test_every_candidate_reports_every_size(self, result: Measurement) -> None:
        """One timing per candidate and size, counting every record in; one memory row per size."""
        assert {(t.candidate, t.size) for t in result.timings} == {(c, s) for c in (FETCH, E2E) for s in _SIZES}
        for t in result.timings:
            assert t.passed + t.held == t.size
            assert t.held == 0 or t.candidate == E2E
        assert [m.size for m in result.memory] == list(_SIZES)

    def test_figures_are_positive_finite_numbers(self, result: Measurement) -> None:
        """Times, rates and memory are finite and positive (no timing assertions beyond that)."""
        for t in result.timings:
            assert 0 < t.wall_s <= t.median_wall_s < math.inf
            assert t.cpu_s > 0 and t.client_cpu_s > 0 and t.org_cpu_s > 0
            assert math.isfinite(t.rate(t.wall_s)) and t.rate(t.wall_s) > 0
        for m in result.memory:
            assert m.e2e_peak > 0 and m.fetch_peak > 0 and m.rss_high_water > 0
            assert m.e2e_flight <= m.e2e_peak

    def test_audit_trail_verifies(self, result: Measurement) -> None:
        """The hash-chained audit trail verified, with events from every run."""
        assert result.audit_lines > len(result.timings)

    def test_report_shows_every_row(self, result: Measurement) -> None:
        """The report has a line per timing and per memory row, and the goal lines name both goals."""
        text = report(result)
        lines = text.splitlines()
        for t in result.timings:
            assert any(line.startswith(f"{t.candidate:<10} {t.size:>8,}") for line in lines)
        for m in result.memory:
            assert any(line.startswith(f"{m.size:>8,} ") for line in lines)
        shown = goals(result)
        assert len(shown) == 2
        assert "records/s per core" in shown[0] and "memory flat" in shown[1]
        assert all(line.endswith(")") and ("met" in line or "MISSED" in line) for line in shown)

    def test_repeat_must_be_positive(self, pipe: Pipeline) -> None:
        """measure() refuses a repeat count below one."""
        with pytest.raises(ValueError, match="repeat"):
            measure(pipe, _SIZES, repeat=0)
