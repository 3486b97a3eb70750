"""The DLP evaluation gate: the scanner meets every per-kind threshold on the labelled CRM corpus.

Beside the gate, the corpus and the harness are specified here: the corpus is deterministic, covers every kind and
plants well-formed values (checked with the corpus's own checksums), and the harness scores a perfect and a sloppy
scanner as it should.
"""

from __future__ import annotations

import itertools
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

# benchmarks/ is a top-level directory beside src/, not an installed package.
_ROOT = str(Path(__file__).parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from benchmarks import dlp_corpus as corpus  # noqa: E402
from benchmarks.dlp_eval import (  # noqa: E402
    THRESHOLDS,
    Evaluation,
    evaluate,
    failure_shapes,
    misses,
    run,
)

from sfshield.dlp import Confidence, EntityKind, Finding, ScanResult, validators  # noqa: E402

K = EntityKind


@pytest.fixture(scope="module")
def records() -> list[corpus.Record]:
    """The evaluation corpus, generated once for the module."""
    return corpus.evaluation_corpus()


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    """The scanner's evaluation on the full corpus, run once for the module."""
    return run()


def labels_of(records: list[corpus.Record], kind: str) -> list[str]:
    return [r.text[label.start : label.end] for r in records for label in r.labels if label.kind == kind]


def distractors_of(records: list[corpus.Record], prefix: str) -> list[str]:
    return [r.text[d.start : d.end] for r in records for d in r.distractors if d.shape.startswith(prefix)]


class TestGate:
    def test_every_threshold_holds(self, evaluation: Evaluation) -> None:
        """Every kind reaches its recall and precision, and no secret is reported on an IBAN, card or record id."""
        missed = misses(evaluation)
        missed_kinds = [line.partition(":")[0] for line in missed]
        shapes = failure_shapes(evaluation, kinds=missed_kinds, top=15)
        message = "\n".join(["missed:", *missed, "", "top failure shapes of the missed kinds:", *shapes])
        assert not missed, message

    def test_the_thresholds_cover_every_built_in_kind(self) -> None:
        """The gate's table names every EntityKind, so a new kind cannot go unmeasured."""
        assert set(THRESHOLDS) == set(EntityKind)


class TestCorpus:
    def test_it_is_deterministic(self, records: list[corpus.Record]) -> None:
        """The same seed gives the same records; another seed gives others."""
        assert corpus.evaluation_corpus() == records
        assert corpus.evaluation_corpus(seed=1) != records

    def test_it_plants_at_least_2000_values_of_every_kind(self, records: list[corpus.Record]) -> None:
        """At least 2,000 labelled values, every built-in kind among them, and at least 2,000 hard negatives."""
        kinds = Counter(label.kind for record in records for label in record.labels)
        assert sum(kinds.values()) >= 2000
        assert set(kinds) == set(EntityKind)
        assert sum(len(record.distractors) for record in records) >= 2000

    def test_spans_are_tight_and_disjoint(self, records: list[corpus.Record]) -> None:
        """Every span is in bounds, has no surrounding space, and no two planted spans overlap."""
        for record in records:
            spans = sorted((s.start, s.end) for s in (*record.labels, *record.distractors))
            for start, end in spans:
                value = record.text[start:end]
                assert 0 <= start < end <= len(record.text)
                assert value == value.strip()
            assert all(a_end <= b_start for (_, a_end), (b_start, _) in itertools.pairwise(spans))

    def test_checksummed_values_pass_the_corpus_own_checks(self, records: list[corpus.Record]) -> None:
        """Planted cards pass Luhn, IBANs mod 97, 18-char ids their suffix; the planted look-alikes fail them."""
        assert all(corpus.luhn_valid(c.replace(" ", "").replace("-", "")) for c in labels_of(records, K.CREDIT_CARD))
        assert all(corpus.iban_valid(iban) for iban in labels_of(records, K.IBAN_CODE))
        assert not any(corpus.iban_valid(iban) for iban in distractors_of(records, "iban-bad-check/"))
        assert not any(corpus.luhn_valid(n.replace(" ", "")) for n in distractors_of(records, "luhn-invalid/"))
        assert all(corpus.salesforce_id_valid(i) for i in distractors_of(records, "record-id/18"))

    def test_sfshield_validators_agree_with_the_corpus(self, records: list[corpus.Record]) -> None:
        """The scanner's own validators accept every planted card, IBAN, SSN and NINO (a cross-check of both sides)."""
        checks = {
            K.CREDIT_CARD: validators.card_number,
            K.IBAN_CODE: validators.iban,
            K.US_SSN: validators.us_ssn,
            K.UK_NINO: validators.uk_nino,
        }
        for kind, check in checks.items():
            assert [value for value in labels_of(records, kind) if not check(value)] == [], kind
        assert all(validators.salesforce_id(i) for i in distractors_of(records, "record-id/18"))

    def test_the_throughput_corpus_looks_like_the_reference_data(self) -> None:
        """Notes of about 300 B, about a tenth carrying values."""
        notes = corpus.throughput_corpus(2000)
        mean = sum(len(note.text.encode()) for note in notes) / len(notes)
        carrying = sum(bool(note.labels) for note in notes) / len(notes)
        assert 250 <= mean <= 350
        assert 0.07 <= carrying <= 0.13

    def test_the_dictionary_holds_the_code_names(self) -> None:
        """dictionary() has the requested size, no duplicates, and starts with CODE_NAMES."""
        terms = corpus.dictionary(1000)
        assert len(terms) == len(set(terms)) == 1000
        assert terms[: len(corpus.CODE_NAMES)] == list(corpus.CODE_NAMES)


class _Oracle:
    """A scanner that reports exactly the labels it was given, optionally with every span cut short by one."""

    def __init__(self, records: list[corpus.Record], *, trim: bool = False) -> None:
        self._labels = {record.text: record.labels for record in records}
        self._trim = trim

    def scan(self, text: str, /) -> ScanResult:
        found = [
            Finding(label.start, label.end - self._trim, label.kind, Confidence.VERY_LIKELY, "oracle")
            for label in self._labels[text]
        ]
        return ScanResult(tuple(sorted(found)))


class TestHarness:
    def test_a_perfect_scanner_scores_one_everywhere(self, records: list[corpus.Record]) -> None:
        """Reporting exactly the labels gives 100% exact and overlap precision and recall, and no failure."""
        result = evaluate(records, _Oracle(records))
        assert misses(result) == []
        assert result.failures == []
        assert all(s.recall(exact=True) == s.precision(exact=True) == 1.0 for s in result.scores.values())

    def test_a_short_span_counts_for_overlap_but_not_exact(self, records: list[corpus.Record]) -> None:
        """Spans one character short still overlap (recall 100%) but match no label exactly, and count as partial."""
        result = evaluate(records, _Oracle(records, trim=True))
        score = result.score(K.EMAIL_ADDRESS)
        assert score.recall() == 1.0
        assert score.recall(exact=True) == 0.0
        assert score.partial == score.labels

    def test_findings_on_look_alikes_are_traced_to_their_shape(self, records: list[corpus.Record]) -> None:
        """A secret reported on a record id is a false positive on that shape, and fails the secret rule."""
        record = next(r for r in records if any(d.shape.startswith("record-id/") for d in r.distractors))
        spot = next(d for d in record.distractors if d.shape.startswith("record-id/"))
        planted = replace(record, labels=())

        class Careless:
            def scan(self, text: str, /) -> ScanResult:
                return ScanResult((Finding(spot.start, spot.end, K.GENERIC_SECRET, Confidence.LIKELY, "x"),))

        result = evaluate([planted], Careless())
        assert result.false_positive_hits[K.GENERIC_SECRET] == {spot.shape: 1}
        assert any(line.startswith("secret kind reported: GENERIC_SECRET on record-id/") for line in misses(result))
