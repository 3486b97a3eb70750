"""Smoke tests of the DLP scan benchmark: it runs, reports every row, and every candidate does the same work."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

# benchmarks/ is a top-level directory beside src/, not an installed package.
_ROOT = str(Path(__file__).parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from benchmarks import __main__ as cli  # noqa: E402
from benchmarks import bench_dlp, dlp_eval  # noqa: E402
from benchmarks.bench_dlp import (  # noqa: E402
    PRESIDIO,
    PRESIDIO_INSTALL,
    ROWS,
    SHIELD,
    Accuracy,
    ColdStart,
    Result,
    candidates,
    cold_starts,
    planted_records,
    presidio_available,
    report,
    run,
    spans_found,
)
from benchmarks.dlp_corpus import Record, dictionary  # noqa: E402

_RECORDS = 300
_PRESIDIO_RECORDS = 20


@pytest.fixture(scope="module")
def measured() -> tuple[list[Result], list[Accuracy], list[Record]]:
    """One tiny benchmark run (one pass per candidate) shared by the tests of this module."""
    return run(_RECORDS, 1, presidio_records=_PRESIDIO_RECORDS)


def _expected_rows() -> list[str]:
    return [key for key in ROWS if key != PRESIDIO or presidio_available()]


class TestRun:
    def test_every_row_is_timed_over_its_records(
        self, measured: tuple[list[Result], list[Accuracy], list[Record]]
    ) -> None:
        """run() reports each row once, in report order: all records, Presidio its first presidio_records."""
        results, _, _ = measured
        assert [r.key for r in results] == _expected_rows()
        for r in results:
            assert r.records == (_PRESIDIO_RECORDS if r.key == PRESIDIO else _RECORDS)
            assert math.isfinite(r.records_per_s) and r.records_per_s > 0
            assert math.isfinite(r.mb_per_s) and r.mb_per_s > 0

    def test_accuracy_is_measured_for_every_candidate(
        self, measured: tuple[list[Result], list[Accuracy], list[Record]]
    ) -> None:
        """Every candidate has e-mail and card rows, and never finds more labels than there are."""
        _, rows, _ = measured
        for key in _expected_rows():
            mine = {row.kind: row for row in rows if row.key == key}
            assert {"EMAIL_ADDRESS", "CREDIT_CARD"} <= set(mine)
            assert all(0 <= row.found <= row.labels for row in mine.values())

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

    def test_without_presidio_its_row_says_how_to_add_it(self) -> None:
        """With presidio=False the Presidio row is skipped and says what to install."""
        results, rows, _ = run(50, 1, presidio=False)
        assert PRESIDIO not in {r.key for r in results}
        assert f"skipped ({PRESIDIO_INSTALL})" in report(results, rows)

    def test_bad_arguments_are_refused(self) -> None:
        """Counts below one raise ValueError."""
        with pytest.raises(ValueError, match="positive"):
            run(0, 1)


class TestSameWork:
    def test_every_candidate_finds_the_planted_cards_and_emails(self) -> None:
        """On plain sentences, every engine reports exactly the planted cards and e-mails, with the same spans."""
        texts, planted = planted_records(40)
        for candidate in candidates(dictionary(50)):
            assert spans_found(candidate, texts, ("CREDIT_CARD", "EMAIL_ADDRESS")) == planted, candidate.key


class TestColdStart:
    def test_cold_start_is_measured_in_a_fresh_interpreter(self) -> None:
        """cold_starts() times import and first scan for sfshield; Presidio's row is empty when left out."""
        colds = {cold.key: cold for cold in cold_starts(repeat=1, presidio=False)}
        assert colds[SHIELD].import_ms is not None and colds[SHIELD].import_ms > 0
        assert colds[SHIELD].total_ms is not None and colds[SHIELD].total_ms > colds[SHIELD].import_ms
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
