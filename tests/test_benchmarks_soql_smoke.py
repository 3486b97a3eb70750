"""Smoke tests of the SOQL parser benchmark: it runs, and every query means the same work for every candidate."""

from __future__ import annotations

import math

import pytest
from benchmarks.bench_soql import (
    LARK,
    PEER,
    PURPOSE,
    SHIELD_GUARD,
    SHIELD_GUARD_IN_MEMORY,
    SHIELD_PARSE,
    Result,
    goals,
    lark_parser,
    missing_peers,
    peer_parse_all,
    report,
    run,
    speedup,
)
from benchmarks.soql_queries import LARGE, SHORT, SIZES, TYPICAL

from sfshield._demo import load_demo_policy
from sfshield.audit import AuditPipeline, InMemoryAuditSink
from sfshield.soql import SoqlGuard

_QUERIES = [pytest.param(text, id=f"{size}-{i}") for size, texts in SIZES.items() for i, text in enumerate(texts)]


@pytest.fixture(scope="module")
def results() -> list[Result]:
    """One tiny benchmark run shared by the tests of this module."""
    return run(repeat=1, calls=3, warmup=0)


def _expected_candidates() -> set[str]:
    missing = missing_peers()
    peers = {PEER} if "python-soql-parser" not in missing else set()
    peers |= {LARK} if "lark" not in missing else set()
    return {SHIELD_PARSE, SHIELD_GUARD, SHIELD_GUARD_IN_MEMORY} | peers


class TestRun:
    def test_every_candidate_reports_every_size(self, results: list[Result]) -> None:
        """run() reports one row per query size and candidate: sfshield's three and each installed peer."""
        assert len(results) == len({(r.size, r.candidate) for r in results})
        assert {(r.size, r.candidate) for r in results} == {
            (size, name) for size in SIZES for name in _expected_candidates()
        }

    def test_latencies_are_positive_finite_numbers(self, results: list[Result]) -> None:
        """Every row has samples and a positive finite median no larger than its p99."""
        for r in results:
            assert r.samples >= 1
            assert math.isfinite(r.median_us) and math.isfinite(r.p99_us)
            assert 0 < r.median_us <= r.p99_us

    def test_report_shows_every_row_and_both_goals(self, results: list[Result]) -> None:
        """The report has a line per row and a verdict line per goal."""
        text = report(results)
        for r in results:
            assert f"{r.size:<8} {r.candidate}" in text
        assert text.count("goal: ") == 2

    def test_sizes_selects_some_sizes(self) -> None:
        """run(sizes=...) times the named sizes and no other."""
        assert {r.size for r in run(repeat=1, calls=1, warmup=0, sizes=("short",))} == {"short"}

    @pytest.mark.parametrize(
        "kwargs", [{"repeat": 0}, {"calls": 0}, {"budget_s": 0}, {"warmup": -1}, {"sizes": ("huge",)}]
    )
    def test_bad_arguments_are_refused(self, kwargs: dict) -> None:
        """run() refuses non-positive counts, a negative warm-up and unknown query sizes."""
        with pytest.raises(ValueError, match=r"repeat|unknown query sizes"):
            run(**kwargs)


class TestGoals:
    def test_speedup_is_the_peer_median_over_the_candidate_median(self) -> None:
        """speedup() divides python-soql-parser's median by the candidate's for the same size."""
        rows = [Result("typical", PEER, 10, 600.0, 900.0), Result("typical", SHIELD_GUARD, 10, 80.0, 120.0)]
        assert speedup(rows, "typical") == pytest.approx(7.5)
        assert goals(rows) == [(goals(rows)[0][0], True), (goals(rows)[1][0], True)]

    def test_goals_are_not_measured_without_the_peer(self) -> None:
        """Without python-soql-parser rows the speed-up is unknown and its goal reads as not measured."""
        rows = [Result("typical", SHIELD_GUARD, 10, 150.0, 200.0)]
        assert speedup(rows, "typical") is None
        assert [holds for _, holds in goals(rows)] == [False, None]


class TestQueries:
    def test_sizes_have_the_advertised_lengths(self) -> None:
        """Short queries are about 40 characters, typical about 150, large 1,500 to 2,000."""
        assert all(30 <= len(text) <= 50 for text in SHORT)
        assert all(130 <= len(text) <= 180 for text in TYPICAL)
        assert all(1_500 <= len(text) <= 2_000 for text in LARGE)

    @pytest.mark.parametrize("text", _QUERIES)
    def test_guard_accepts_every_query_unchanged(self, text: str) -> None:
        """The sfshield guard accepts each benchmark query for the purpose without rewriting it."""
        sink = InMemoryAuditSink()
        guard = SoqlGuard(load_demo_policy(), purpose=PURPOSE, audit=AuditPipeline(sinks=[sink]), tenant="test")
        assert guard.check(text).changes == ()
        assert len(sink.events) == 1

    @pytest.mark.parametrize("text", _QUERIES)
    def test_python_soql_parser_parses_the_whole_query(self, text: str) -> None:
        """python-soql-parser consumes each benchmark query to the end, so it does the same work as the others."""
        pytest.importorskip("python_soql_parser")
        assert peer_parse_all(text)

    @pytest.mark.parametrize("text", _QUERIES)
    def test_lark_grammar_parses_every_query(self, text: str) -> None:
        """The benchmark's Lark grammar parses each benchmark query into a tree rooted at ``query``."""
        pytest.importorskip("lark")
        assert lark_parser().parse(text).data == "query"

    @pytest.mark.parametrize(
        "text",
        [
            "select Id, toLabel(Status), COUNT(Id) total FROM Case c WHERE NOT (Status = 'New' OR Subject LIKE 'a%')",
            "SELECT Id FROM Case WHERE CreatedDate > LAST_N_DAYS:30 AND ClosedDate < 2026-01-31 AND IsClosed = false",
            "SELECT Id FROM Case WHERE LastModifiedDate >= 2026-01-31T10:00:00Z AND Amount > -1.5 AND Owner != NULL",
            "SELECT Id FROM Case WHERE Status NOT IN ('New') AND Tags__c INCLUDES ('a;b') ORDER BY Id DESC NULLS LAST",
        ],
    )
    def test_lark_grammar_covers_the_documented_subset(self, text: str) -> None:
        """The Lark grammar also parses the features its docstring lists beyond the benchmark queries."""
        pytest.importorskip("lark")
        assert lark_parser().parse(text).data == "query"

    def test_lark_grammar_rejects_trailing_input(self) -> None:
        """The Lark grammar, unlike python-soql-parser's ``parse``, fails on text after a complete query."""
        lark = pytest.importorskip("lark")
        with pytest.raises(lark.exceptions.UnexpectedInput):
            lark_parser().parse("SELECT Id FROM Case LIMIT 5 GARBAGE")
