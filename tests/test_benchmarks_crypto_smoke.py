"""Smoke tests of the envelope-cipher benchmark: it runs, every candidate round-trips, and the sizes are right."""

from __future__ import annotations

import math

import pytest
from benchmarks import __main__ as cli
from benchmarks import bench_crypto
from benchmarks.bench_crypto import (
    AESSIV_RAW,
    DET,
    DET_MANY,
    DET_SIV_MANY,
    ESDK,
    ESDK_INSTALL,
    ESDK_NO_SIGNATURES,
    FLOOR,
    RND,
    RND_MANY,
    ROWS,
    Candidate,
    ImportTime,
    Result,
    candidates,
    esdk_available,
    generate_values,
    goals,
    import_times,
    report,
    run,
)

_VALUES = 200
_ESDK_VALUES = 5
_ESDK_ROWS = {ESDK, ESDK_NO_SIGNATURES}


@pytest.fixture(scope="module")
def results() -> list[Result]:
    """One tiny benchmark run (one pass per candidate) shared by the tests of this module."""
    return run(values=_VALUES, repeat=1, esdk_values=_ESDK_VALUES, min_seconds=0, warmup=3)


def _expected_rows() -> set[str]:
    return set(ROWS) if esdk_available() else set(ROWS) - _ESDK_ROWS


def _fake(key: str, values_per_s: float, overhead: int = 33) -> Result:
    return Result(key, 1000, 1, 500 / values_per_s, 500 / values_per_s, overhead, overhead)


class TestRun:
    def test_every_candidate_is_timed_once_over_its_values(self, results: list[Result]) -> None:
        """run() reports each row once, in report order: one pass over all values, ESDK over its subset."""
        assert [r.key for r in results] == [key for key in ROWS if key in _expected_rows()]
        for r in results:
            assert r.passes == 1
            assert r.values == (_ESDK_VALUES if r.key in _ESDK_ROWS else _VALUES)

    def test_rates_are_positive_finite_numbers(self, results: list[Result]) -> None:
        """Every time and rate is a positive finite number."""
        for r in results:
            for value in (r.encrypt_us, r.decrypt_us, r.values_per_s):
                assert math.isfinite(value)
                assert value > 0

    def test_overheads_are_exact(self, results: list[Result]) -> None:
        """RND and DET values grow by exactly 33 bytes, AES-SIV DET by 21; the raw AEADs by 28 and 16."""
        sizes = {r.key: (r.overhead_min, r.overhead_max) for r in results}
        assert sizes[RND] == sizes[RND_MANY] == (33, 33)
        assert sizes[DET] == sizes[DET_MANY] == (33, 33)
        assert sizes[DET_SIV_MANY] == (21, 21)
        assert sizes[FLOOR] == (28, 28)
        assert sizes[AESSIV_RAW] == (16, 16)
        for key in _ESDK_ROWS & sizes.keys():
            assert sizes[key][0] > 200  # a whole message per value

    def test_report_shows_every_row_the_imports_and_every_goal(self, results: list[Result]) -> None:
        """The report has a line per row (skipped ESDK rows say how to install it), the imports and four goals."""
        imports = [ImportTime("sfshield.crypto", 12.0, 40.0), ImportTime("aws_encryption_sdk", None, None)]
        text = report(results, imports)
        for key, method in ROWS.items():
            assert f"{key:<9} {method}" in text
        if not esdk_available():
            assert text.count(f"skipped ({ESDK_INSTALL})") == 2
        assert "import sfshield.crypto: 12 ms" in text
        assert "import aws_encryption_sdk: not installed" in text
        assert text.count("goal: ") == 4

    def test_a_candidate_that_does_not_round_trip_stops_the_benchmark(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A candidate whose decryption does not give back the plaintexts makes run() fail, not report."""
        broken = Candidate(FLOOR, lambda values: [v + b"x" for v in values], lambda blobs: [b[:-2] for b in blobs])
        monkeypatch.setattr(bench_crypto, "candidates", lambda esdk: (broken,))
        with pytest.raises(RuntimeError, match="did not give back"):
            run(values=10, repeat=1, min_seconds=0)

    def test_a_candidate_that_leaks_the_plaintext_stops_the_benchmark(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """A "ciphertext" that contains its plaintext is refused."""
        leaky = Candidate(FLOOR, lambda values: [b"\x00" + v for v in values], lambda blobs: [b[1:] for b in blobs])
        monkeypatch.setattr(bench_crypto, "candidates", lambda esdk: (leaky,))
        with pytest.raises(RuntimeError, match="readable"):
            run(values=10, repeat=1, min_seconds=0)

    @pytest.mark.parametrize(
        "kwargs", [{"values": 0}, {"repeat": 0}, {"esdk_values": 0}, {"min_seconds": -1}, {"warmup": -1}]
    )
    def test_bad_arguments_are_refused(self, kwargs: dict) -> None:
        """run() refuses non-positive counts and negative durations."""
        with pytest.raises(ValueError, match="must be positive"):
            run(**kwargs)


class TestCandidates:
    def test_every_candidate_round_trips_the_same_values(self) -> None:
        """Each candidate decrypts what it encrypted back to the same seeded plaintexts."""
        values = generate_values(8, seed=3)
        found = candidates(esdk=True)
        assert {c.key for c in found} == _expected_rows()
        for candidate in found:
            assert candidate.decrypt(candidate.encrypt(values)) == values, candidate.key

    def test_det_rows_agree_and_rnd_rows_do_not_repeat(self) -> None:
        """Per-value and batch DET give the same ciphertexts; RND never gives the same one twice."""
        values = generate_values(8, seed=4)
        found = {c.key: c for c in candidates(esdk=False)}
        assert found[DET].encrypt(values) == found[DET_MANY].encrypt(values)
        first, second = found[RND].encrypt(values), found[RND_MANY].encrypt(values)
        assert not set(first) & set(second)

    def test_values_are_seeded_and_about_60_bytes(self) -> None:
        """The data repeat exactly for a seed, are 45 to 75 bytes long and 60 on average."""
        values = generate_values(4000, seed=0)
        assert values == generate_values(4000, seed=0) != generate_values(4000, seed=1)
        assert all(45 <= len(v) <= 75 for v in values)
        assert sum(map(len, values)) / len(values) == pytest.approx(60, abs=0.5)


class TestGoals:
    def test_throughput_goals_are_judged_on_the_faster_api(self) -> None:
        """RND and DET goals hold when either API reaches the ratio; overhead is the largest of ours."""
        rows = [_fake(FLOOR, 1000), _fake(AESSIV_RAW, 800, 16), _fake(RND, 700), _fake(RND_MANY, 1100)]
        rows += [_fake(DET, 600), _fake(DET_MANY, 880), _fake(DET_SIV_MANY, 700, 21)]
        found = goals(rows, [ImportTime("sfshield.crypto", 60.0, 90.0)])
        assert [g.holds for g in found] == [True, True, True, False]
        assert "per value 0.70x, encrypt_many/decrypt_many 1.10x" in found[0].measured
        assert "per value 0.60x, batch 0.88x; AES-SIV domain batch 0.70x" in found[1].measured

    def test_goals_fail_and_go_unmeasured_honestly(self) -> None:
        """Both APIs below the ratio miss the goal; missing rows and imports read as not measured."""
        rows = [_fake(FLOOR, 1000), _fake(RND, 500), _fake(RND_MANY, 800, 34)]
        assert [g.holds for g in goals(rows)] == [False, None, False, None]


class TestImports:
    def test_import_times_are_measured_in_a_fresh_interpreter(self) -> None:
        """import_times() returns positive times, the process no shorter than the import; None if not installed."""
        measured, missing = import_times(("sfshield.crypto", "no_such_module_for_sfshield"), repeat=1)
        assert measured.import_ms is not None and measured.process_ms is not None
        assert 0 < measured.import_ms <= measured.process_ms
        assert missing == ImportTime("no_such_module_for_sfshield", None, None)


class TestCommandLine:
    def test_only_crypto_runs_the_crypto_benchmark_alone(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """``python -m benchmarks --only crypto`` passes its options to bench_crypto.main and runs nothing else."""
        calls: list[dict] = []
        monkeypatch.setattr(bench_crypto, "main", lambda **kwargs: calls.append(kwargs))
        monkeypatch.setattr(cli.bench_filter, "main", lambda **kwargs: pytest.fail("the filter benchmark ran"))
        assert cli.main(["--only", "crypto", "--values", "300", "--esdk-values", "7", "--repeat", "2"]) == 0
        assert calls == [{"repeat": 2, "values": 300, "esdk_values": 7}]

    @pytest.mark.parametrize("esdk", [True, False], ids=["esdk", "no-esdk"])
    def test_main_prints_the_header_and_the_table(
        self, esdk: bool, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """bench_crypto.main prints the setup, every row and the goal verdicts; without the ESDK, how to add it."""
        if esdk and not esdk_available():
            pytest.skip(f"the AWS Encryption SDK is not installed ({ESDK_INSTALL})")
        monkeypatch.setattr(bench_crypto, "esdk_available", lambda: esdk)
        monkeypatch.setattr(bench_crypto, "import_times", lambda **_: [ImportTime("sfshield.crypto", 9.0, 30.0)])
        bench_crypto.main(repeat=1, values=30, esdk_values=2, min_seconds=0)
        out = capsys.readouterr().out
        assert "30 values of" in out
        assert all(method in out for method in ROWS.values())
        assert ("timed on the first 2 values" in out) is esdk
        assert out.count(f"skipped ({ESDK_INSTALL})") == (0 if esdk else 3)
        assert "import sfshield.crypto: 9 ms" in out
        assert out.count("goal: ") == 4
