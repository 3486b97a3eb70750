"""Smoke tests of the DLP scan benchmark: it runs, reports every row, and every candidate does the same work."""

from __future__ import annotations

import math

import pytest
from benchmarks import __main__ as cli
from benchmarks import bench_dlp, dlp_eval
from benchmarks.bench_dlp import (
    DETECT_SECRETS,
    INSTALL,
    PEERS,
    PRESIDIO,
    ROWS,
    SCRUBADUB,
    SHIELD,
    Accuracy,
    ColdStart,
    Result,
    candidates,
    cold_starts,
    detect_secrets_candidate,
    peer_available,
    planted_records,
    report,
    run,
    scrubadub_candidate,
    spans_found,
)
from benchmarks.dlp_corpus import Record, dictionary

_RECORDS = 300
_PRESIDIO_RECORDS = 20
_SUBSET = {PRESIDIO, DETECT_SECRETS}
"""The peers timed on the first presidio_records records only."""


@pytest.fixture(scope="module")
def measured() -> tuple[list[Result], list[Accuracy], list[Record]]:
    """One tiny benchmark run (one pass per candidate) shared by the tests of this module."""
    return run(_RECORDS, 1, presidio_records=_PRESIDIO_RECORDS)


def _expected_rows() -> list[str]:
    return [key for key in ROWS if key not in PEERS or peer_available(key)]


def _needs(key: str) -> None:
    if not peer_available(key):
        pytest.skip(f"{key} is not installed ({INSTALL[key]})")


class TestRun:
    def test_every_row_is_timed_over_its_records(
        self, measured: tuple[list[Result], list[Accuracy], list[Record]]
    ) -> None:
        """run() reports each installed row once, in report order: all records, the slow peers their first few."""
        results, _, _ = measured
        assert [r.key for r in results] == _expected_rows()
        for r in results:
            assert r.records == (_PRESIDIO_RECORDS if r.key in _SUBSET else _RECORDS)
            assert math.isfinite(r.records_per_s) and r.records_per_s > 0
            assert math.isfinite(r.mb_per_s) and r.mb_per_s > 0

    def test_accuracy_is_measured_for_every_candidate(
        self, measured: tuple[list[Result], list[Accuracy], list[Record]]
    ) -> None:
        """Every candidate has a row per labelled kind it knows, and never finds or reports more than it could."""
        _, rows, data = measured
        labelled = {label.kind for record in data for label in record.labels}
        for candidate in candidates(dictionary(50)):
            mine = {row.kind: row for row in rows if row.key == candidate.key}
            assert labelled & candidate.kinds <= set(mine), candidate.key
            assert all(0 <= row.found <= row.labels for row in mine.values())
            assert all(row.reported is None or 0 <= row.correct <= row.reported for row in mine.values())

    def test_the_peers_are_measured_on_what_they_know(
        self, measured: tuple[list[Result], list[Accuracy], list[Record]]
    ) -> None:
        """The scrubadub row is graded on personal data, the detect-secrets row on provider tokens only."""
        _, rows, _ = measured
        kinds = {key: {row.kind for row in rows if row.key == key} for key in (SCRUBADUB, DETECT_SECRETS)}
        if peer_available(SCRUBADUB):
            assert {"EMAIL_ADDRESS", "CREDIT_CARD", "PHONE_NUMBER", "US_SSN"} <= kinds[SCRUBADUB]
        if peer_available(DETECT_SECRETS):
            assert "GITHUB_TOKEN" in kinds[DETECT_SECRETS]
            assert not {"EMAIL_ADDRESS", "CREDIT_CARD"} & kinds[DETECT_SECRETS]

    def test_the_report_shows_every_row_and_goal(
        self, measured: tuple[list[Result], list[Accuracy], list[Record]]
    ) -> None:
        """The report names every engine, the accuracy table and the goal verdicts."""
        results, rows, _ = measured
        text = report(results, rows, [ColdStart(SHIELD, 20.0, 5.0)])
        assert all(description in text for key, description in ROWS.items() if key in _expected_rows())
        assert "recall and precision on the same data" in text
        assert "cold start sfshield: import 20 ms + build and first scan 5 ms = 25 ms" in text
        assert text.count("goal: ") == 3

    def test_without_the_peers_their_rows_say_how_to_add_them(self) -> None:
        """With peers=() every peer's row is skipped and says what to install."""
        results, rows, _ = run(50, 1, peers=())
        assert not set(PEERS) & {r.key for r in results}
        lines = report(results, rows).splitlines()
        for key in PEERS:
            row = next(line for line in lines if line.startswith(f"{key} "))
            assert ROWS[key] in row and row.endswith(f"skipped ({INSTALL[key]})")

    def test_bad_arguments_are_refused(self) -> None:
        """Counts below one and unknown peers raise ValueError; one peer name as a bare string raises TypeError."""
        with pytest.raises(ValueError, match="positive"):
            run(0, 1)
        with pytest.raises(ValueError, match="unknown peers presidio-analyzer"):
            run(50, 1, peers=["presidio-analyzer"])
        with pytest.raises(TypeError, match="wrap it"):
            candidates(dictionary(5), peers=PRESIDIO)


class TestSameWork:
    def test_every_candidate_finds_the_planted_cards_and_emails(self) -> None:
        """On plain sentences, every engine built for it reports exactly the planted cards and e-mails, same spans."""
        texts, planted = planted_records(40)
        found = [c for c in candidates(dictionary(50)) if c.same_spans]
        assert [c.key for c in found] == [key for key in _expected_rows() if key not in (SCRUBADUB, DETECT_SECRETS)]
        for candidate in found:
            assert spans_found(candidate, texts, ("CREDIT_CARD", "EMAIL_ADDRESS")) == planted, candidate.key

    def test_scrubadub_reports_only_planted_cards_and_emails(self) -> None:
        """The scrubadub peer finds every planted e-mail and some cards (no separators), and nothing else."""
        _needs(SCRUBADUB)
        texts, planted = planted_records(40)
        found = spans_found(scrubadub_candidate(), texts, ("CREDIT_CARD", "EMAIL_ADDRESS"))
        assert found <= planted
        assert {hit for hit in planted if hit[1] == "EMAIL_ADDRESS"} <= found


class TestPeerAdapters:
    def test_scrubadub_merged_filth_counts_as_its_parts(self) -> None:
        """An e-mail inside a URL comes back merged; the benchmark grades the e-mail and the URL apart."""
        _needs(SCRUBADUB)
        candidate = scrubadub_candidate()
        text = "see http://ana@example.com/x now"
        assert candidate.hits(candidate.scan([text])) == [[("url", 4, 28), ("EMAIL_ADDRESS", 11, 26)]]

    def test_detect_secrets_spans_are_where_each_value_stands(self) -> None:
        """detect-secrets reports values; every place the value stands, on every line, becomes a span."""
        _needs(DETECT_SECRETS)
        key = "AKIAIOSFODNN7EXAMPLE"
        text = f"first line\nkey {key} and {key}"
        found = spans_found(detect_secrets_candidate(), [text], ("AWS_ACCESS_KEY",))
        start = text.index(key)
        second = text.index(key, start + 1)
        assert found == {(0, "AWS_ACCESS_KEY", start, start + 20), (0, "AWS_ACCESS_KEY", second, second + 20)}

    def test_detect_secrets_words_below_the_entropy_limit_are_not_secrets(self) -> None:
        """Its ad-hoc search returns every word; only those at the plugin's entropy limit count, as its CLI shows."""
        _needs(DETECT_SECRETS)
        candidate = detect_secrets_candidate()
        assert candidate.hits(candidate.scan(["Customer paid with card today, call back"])) == [[]]


class TestColdStart:
    def test_cold_start_is_measured_in_a_fresh_interpreter(self) -> None:
        """cold_starts() times import and first scan for sfshield; a peer left out has an empty row."""
        colds = {cold.key: cold for cold in cold_starts(repeat=1, peers=())}
        assert colds[SHIELD].import_ms is not None and colds[SHIELD].import_ms > 0
        assert colds[SHIELD].total_ms is not None and colds[SHIELD].total_ms > colds[SHIELD].import_ms
        for key in PEERS:
            assert colds[key] == ColdStart(key, None, None)
        assert f"cold start {SCRUBADUB}: skipped ({INSTALL[SCRUBADUB]})" in report([], [], list(colds.values()))

    def test_detect_secrets_cold_start_is_measured_when_installed(self) -> None:
        """The detect-secrets row times its import and a first scan_line (the cheapest peer to start)."""
        _needs(DETECT_SECRETS)
        colds = {cold.key: cold for cold in cold_starts(repeat=1, peers=[DETECT_SECRETS])}
        assert colds[DETECT_SECRETS].total_ms is not None and colds[DETECT_SECRETS].total_ms > 0
        assert colds[PRESIDIO] == ColdStart(PRESIDIO, None, None)


class TestCommandLine:
    def test_only_dlp_runs_the_dlp_benchmark_alone(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """``python -m benchmarks --only dlp`` passes its options to bench_dlp.main and runs nothing else."""
        calls: list[dict] = []
        monkeypatch.setattr(bench_dlp, "main", lambda **kwargs: calls.append(kwargs))
        monkeypatch.setattr(cli.bench_filter, "main", lambda **kwargs: pytest.fail("the filter benchmark ran"))
        argv = ["--only", "dlp", "--dlp-records", "300", "--presidio-records", "7", "--repeat", "2"]
        assert cli.main(argv) == 0
        assert calls == [{"repeat": 2, "records": 300, "presidio_records": 7}]

    @pytest.mark.parametrize(("held", "status"), [(True, 0), (False, 1)])
    def test_only_dlp_eval_exits_1_when_a_threshold_is_missed(
        self, held: bool, status: int, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """``--only dlp-eval`` runs the evaluation alone and its exit status says whether every threshold held."""
        monkeypatch.setattr(dlp_eval, "main", lambda: held)
        monkeypatch.setattr(cli.bench_filter, "main", lambda **kwargs: pytest.fail("the filter benchmark ran"))
        assert cli.main(["--only", "dlp-eval"]) == status
