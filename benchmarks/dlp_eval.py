"""The DLP evaluation: per-kind precision and recall of the scanner on the labelled corpus, gated by thresholds.

The scanner (default patterns plus the corpus's code-name dictionary) scans every record of
:func:`~benchmarks.dlp_corpus.evaluation_corpus`; its findings are matched against the labels two ways:

* **exact** — a finding of the label's kind with the label's exact span;
* **overlap** — a finding of the label's kind sharing at least one character with the label (the reference
  measurements' definition; the gate uses it). ``partial`` counts overlap matches that do not cover the whole label,
  which a redaction would leave half-visible.

A finding that matches no label of its kind is a false positive; it is traced to what it hit: a hard negative
(by shape), a label of another kind, or unlabelled text. On top of the per-kind thresholds (:data:`THRESHOLDS`),
no secret kind may be reported on an IBAN, a card number or a Salesforce record id, valid or not
(:data:`SECRET_FREE_SHAPES`).

``python -m benchmarks --only dlp-eval`` prints the table, the confusion and the top failure shapes, and exits 1
when a threshold is missed; ``tests/dlp/test_eval.py`` gates CI on the same check.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol

from benchmarks.dlp_corpus import CODE_NAMES, Distractor, Label, Record, describe, evaluation_corpus
from sfshield.dlp import EntityKind, Finding, Scanner, ScanResult

__all__ = [
    "SECRET_FREE_SHAPES",
    "THRESHOLDS",
    "Evaluation",
    "Failure",
    "KindScore",
    "Scans",
    "Threshold",
    "evaluate",
    "failure_shapes",
    "main",
    "misses",
    "report",
    "run",
]

K = EntityKind


@dataclass(frozen=True, slots=True)
class Threshold:
    """The least recall and precision (overlap match) a kind must reach on the evaluation corpus."""

    recall: float
    precision: float


_CHECKSUM = Threshold(recall=1.0, precision=0.995)
_CREDENTIAL = Threshold(recall=0.99, precision=0.99)
_HEURISTIC = Threshold(recall=0.95, precision=0.95)

THRESHOLDS: Final[dict[str, Threshold]] = {
    # Checksum-validated kinds: issue goal 3, 100% recall at >= 99.5% precision (Presidio: card precision 98.4%,
    # SSN 34.8% at score >= 0). A checksum leaves nothing to guess, so every valid value must be found. SSN and NINO
    # have no check digit, but their issuing rules (area/group/serial, prefix letters) play that role.
    K.CREDIT_CARD: _CHECKSUM,
    K.IBAN_CODE: _CHECKSUM,
    K.US_SSN: _CHECKSUM,
    K.UK_NINO: _CHECKSUM,
    # E-mail addresses have one unambiguous syntax; Presidio finds 100% of them on the reference data.
    K.EMAIL_ADDRESS: Threshold(recall=0.99, precision=0.99),
    # Phones: issue goal 3, precision >= 95% (Presidio: 66%, fooled by order and case numbers). Recall is held to the
    # same 95%: national formats vary, but every format in the corpus is one a CRM in the US, UK, DE or FR holds daily.
    K.PHONE_NUMBER: Threshold(recall=0.95, precision=0.95),
    # Addresses: dotted quads look like version strings, so precision rests on context; 95% both ways.
    K.IP_ADDRESS: _HEURISTIC,
    # Dates of birth are dates with a birth word nearby (EN/DE/FR); 95% both ways, like other context kinds.
    K.DATE_OF_BIRTH: _HEURISTIC,
    # Salesforce credentials: issue goal 4, >= 99% recall on every Salesforce format; their prefixes and structure
    # (00D…!, 5Aep861, 3MVG9, tty=sfdc-core-token) make 99% precision a floor, not a stretch.
    K.SALESFORCE_ACCESS_TOKEN: _CREDENTIAL,
    K.SALESFORCE_REFRESH_TOKEN: _CREDENTIAL,
    K.SALESFORCE_CONSUMER_KEY: _CREDENTIAL,
    K.SALESFORCE_CONSUMER_SECRET: _CREDENTIAL,
    # Provider secrets with fixed prefixes or armour: issue goal 4, >= 99% recall on provider formats.
    K.JWT: _CREDENTIAL,
    K.PRIVATE_KEY: _CREDENTIAL,
    K.AWS_ACCESS_KEY: _CREDENTIAL,
    K.GITHUB_TOKEN: _CREDENTIAL,
    K.SLACK_TOKEN: _CREDENTIAL,
    K.STRIPE_KEY: _CREDENTIAL,
    # Keyword secrets (password=, api_key=, Bearer …) have no format of their own: 95% both ways, in all three
    # languages (a German "Passwort:" leaks as surely as an English one).
    K.GENERIC_SECRET: _HEURISTIC,
    # Confidentiality markers and dictionary code names: literal phrases, so 95% both ways in EN/DE/FR.
    K.IP_MARKER: _HEURISTIC,
    # Commercial terms: a pricing word and an amount, in free word order and three languages; the loosest kind,
    # held to 90%.
    K.COMMERCIAL_TERMS: Threshold(recall=0.9, precision=0.9),
}
"""The gate: every built-in kind's least recall and precision (overlap match)."""

SECRET_FREE_SHAPES: Final = ("iban/", "card/", "record-id/", "iban-bad-check/", "luhn-invalid/")
"""Issue goal 4: a secret kind reported on any of these (labels or hard negatives, by shape prefix) fails the gate."""

_SECRET_KINDS: Final = frozenset(kind for kind in EntityKind if kind.is_secret)
_NOTHING = "(nothing)"
_UNLABELLED = "unlabelled text"


@dataclass(slots=True)
class KindScore:
    """Counts for one kind: labels found (exact, overlap, partial) and findings reported (correct or not)."""

    kind: str
    labels: int = 0
    found_exact: int = 0
    found_overlap: int = 0
    partial: int = 0
    reported: int = 0
    correct_exact: int = 0
    correct_overlap: int = 0

    def recall(self, *, exact: bool = False) -> float:
        """Share of labels found (1.0 when there are none)."""
        found = self.found_exact if exact else self.found_overlap
        return found / self.labels if self.labels else 1.0

    def precision(self, *, exact: bool = False) -> float:
        """Share of findings that match a label (1.0 when there are none)."""
        correct = self.correct_exact if exact else self.correct_overlap
        return correct / self.reported if self.reported else 1.0

    def f1(self, *, exact: bool = False) -> float:
        """Harmonic mean of precision and recall."""
        p, r = self.precision(exact=exact), self.recall(exact=exact)
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass(frozen=True, slots=True)
class Failure:
    """One missed label, partial match or false positive, with where it came from."""

    kind: str
    reason: str
    shape: str
    template: str
    excerpt: str


@dataclass(slots=True)
class Evaluation:
    """Everything :func:`evaluate` measured."""

    records: int = 0
    scores: dict[str, KindScore] = field(default_factory=dict)
    confusion: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    false_positive_hits: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    secret_hits: Counter[str] = field(default_factory=Counter)
    failures: list[Failure] = field(default_factory=list)

    def score(self, kind: str) -> KindScore:
        """The score of ``kind`` (created empty on first use)."""
        if kind not in self.scores:
            self.scores[kind] = KindScore(kind)
        return self.scores[kind]


class Scans(Protocol):
    """What :func:`evaluate` needs of a scanner: :meth:`Scanner.scan <sfshield.dlp.Scanner.scan>`."""

    def scan(self, text: str, /) -> ScanResult:
        """Return the findings in ``text``."""
        ...


def evaluate(records: Iterable[Record], scanner: Scans) -> Evaluation:
    """Scan every record and match the findings against its labels and distractors."""
    evaluation = Evaluation()
    for kind in THRESHOLDS:
        evaluation.score(kind)
    for record in records:
        evaluation.records += 1
        findings = scanner.scan(record.text).findings
        _score_labels(evaluation, record, findings)
        _score_findings(evaluation, record, findings)
    return evaluation


def _overlaps(a: Finding | Label | Distractor, b: Finding | Label | Distractor) -> bool:
    return a.start < b.end and b.start < a.end


def _score_labels(evaluation: Evaluation, record: Record, findings: Sequence[Finding]) -> None:
    for label in record.labels:
        score = evaluation.score(label.kind)
        score.labels += 1
        touching = [f for f in findings if _overlaps(f, label)]
        same = [f for f in touching if f.kind == label.kind]
        evaluation.confusion[label.kind].update({f.kind for f in touching} or {_NOTHING})
        if any(f.start == label.start and f.end == label.end for f in same):
            score.found_exact += 1
        if not same:
            reason = f"reported as {', '.join(sorted({f.kind for f in touching}))}" if touching else "missed"
            _fail(evaluation, record, label, label.kind, reason)
            continue
        score.found_overlap += 1
        if not any(f.start <= label.start and label.end <= f.end for f in same):
            score.partial += 1
            _fail(evaluation, record, label, label.kind, "partial span", same)


def _score_findings(evaluation: Evaluation, record: Record, findings: Sequence[Finding]) -> None:
    for finding in findings:
        score = evaluation.score(finding.kind)
        score.reported += 1
        same = [label for label in record.labels if label.kind == finding.kind and _overlaps(label, finding)]
        if any(label.start == finding.start and label.end == finding.end for label in same):
            score.correct_exact += 1
        if same:
            score.correct_overlap += 1
            continue
        hit = _what_was_hit(record, finding)
        evaluation.false_positive_hits[finding.kind][hit.shape if hit else _UNLABELLED] += 1
        if hit is not None and finding.kind in _SECRET_KINDS and hit.shape.startswith(SECRET_FREE_SHAPES):
            evaluation.secret_hits[f"{finding.kind} on {hit.shape}"] += 1
        reason = f"false positive on {hit.shape if hit else _UNLABELLED}"
        spot = hit or Distractor(finding.start, finding.end, _UNLABELLED, "-")
        _fail(evaluation, record, spot, finding.kind, reason, [finding])


def _what_was_hit(record: Record, finding: Finding) -> Label | Distractor | None:
    return next((s for s in (*record.labels, *record.distractors) if _overlaps(s, finding)), None)


def _fail(
    evaluation: Evaluation,
    record: Record,
    spot: Label | Distractor,
    kind: str,
    reason: str,
    findings: Sequence[Finding] = (),
) -> None:
    evaluation.failures.append(Failure(kind, reason, spot.shape, spot.template, _excerpt(record.text, spot, findings)))


def _excerpt(text: str, spot: Label | Distractor, findings: Sequence[Finding], margin: int = 30) -> str:
    """The text around ``spot``: the labelled span in [brackets], reported spans in <angle brackets>."""
    start = min([spot.start, *(f.start for f in findings)])
    end = max([spot.end, *(f.end for f in findings)])
    marks: dict[int, str] = defaultdict(str)
    marks[spot.start] += "["
    marks[spot.end] += "]"
    for f in findings:
        marks[f.start] += "<"
        marks[f.end] += ">"
    low, high = max(0, start - margin), min(len(text), end + margin)
    out = "".join(marks.get(i, "") + text[i] for i in range(low, high)) + marks.get(high, "")
    return out.replace("\n", "\\n")


def misses(evaluation: Evaluation) -> list[str]:
    """One line per missed threshold (and per secret reported on an IBAN, card or record id); empty when all hold."""
    out = []
    for kind, goal in THRESHOLDS.items():
        score = evaluation.score(kind)
        recall, precision = score.recall(), score.precision()
        if recall < goal.recall or precision < goal.precision:
            out.append(
                f"{kind}: recall {recall:.1%} ({score.found_overlap}/{score.labels}, goal {goal.recall:.1%}), "
                f"precision {precision:.1%} ({score.correct_overlap}/{score.reported}, goal {goal.precision:.1%})"
            )
    out += [f"secret kind reported: {hit} x{count} (goal: 0)" for hit, count in sorted(evaluation.secret_hits.items())]
    return out


def failure_shapes(evaluation: Evaluation, *, kinds: Iterable[str] | None = None, top: int = 20) -> list[str]:
    """The most frequent failure shapes (kind, reason, shape, template), each with a count and one example."""
    wanted = set(kinds) if kinds is not None else None
    groups: Counter[tuple[str, str, str, str]] = Counter()
    example: dict[tuple[str, str, str, str], str] = {}
    for f in evaluation.failures:
        if wanted is None or f.kind in wanted:
            key = (f.kind, f.reason, f.shape, f.template)
            groups[key] += 1
            example.setdefault(key, f.excerpt)
    lines = []
    for key, count in groups.most_common(top):
        kind, reason, shape, template = key
        lines.append(f"{count:>4} x {kind}: {reason} | {shape} | template {template!r}\n       e.g. {example[key]}")
    return lines


def report(evaluation: Evaluation) -> str:
    """The per-kind table (overlap and exact), the confusion, false-positive sources and the verdicts."""
    lines = [_table(evaluation), "", "confusion (label kind -> kinds reported on it):"]
    for kind in THRESHOLDS:
        reported = evaluation.confusion.get(kind)
        if reported and set(reported) != {kind}:
            lines.append(f"  {kind:<27} " + ", ".join(f"{k} {n}" for k, n in reported.most_common()))
    lines += ["", "false positives (reported kind -> what it hit):"]
    for kind, hits in sorted(evaluation.false_positive_hits.items()):
        lines.append(f"  {kind:<27} " + ", ".join(f"{shape} {n}" for shape, n in hits.most_common()))
    secret = sum(evaluation.secret_hits.values())
    lines += ["", f"secret kinds reported on IBANs, cards and record ids (valid or not): {secret} (goal: 0)"]
    return "\n".join(lines)


def _table(evaluation: Evaluation) -> str:
    header = (
        f"{'kind':<27} {'labels':>6} {'found':>5} {'part':>4} {'rep':>5} |  overlap P      R     F1 |"
        f"  exact P      R     F1 |  goal R / P   verdict"
    )
    lines = [header, "-" * len(header)]
    for kind, goal in THRESHOLDS.items():
        s = evaluation.score(kind)
        held = s.recall() >= goal.recall and s.precision() >= goal.precision
        lines.append(
            f"{kind:<27} {s.labels:>6} {s.found_overlap:>5} {s.partial:>4} {s.reported:>5} | "
            f"{s.precision():>8.1%} {s.recall():>6.1%} {s.f1():>6.1%} | "
            f"{s.precision(exact=True):>6.1%} {s.recall(exact=True):>6.1%} {s.f1(exact=True):>6.1%} | "
            f"{goal.recall:>5.1%} / {goal.precision:<6.1%} {'met' if held else 'MISSED'}"
        )
    return "\n".join(lines)


def run(*, seed: int | None = None) -> Evaluation:
    """Evaluate ``Scanner(dictionary=CODE_NAMES)`` on the evaluation corpus (default seed)."""
    records = evaluation_corpus() if seed is None else evaluation_corpus(seed=seed)
    return evaluate(records, Scanner(dictionary=CODE_NAMES))


def main(*, top: int = 25) -> bool:
    """Print the evaluation; return whether every threshold holds."""
    records = evaluation_corpus()
    print("sfshield DLP evaluation: Scanner(dictionary=CODE_NAMES) on the labelled CRM corpus")
    print(f"data:    {describe(records)}")
    print("match:   overlap = a finding of the label's kind shares a character with it (gated); exact = same span;")
    print("         part = overlap matches that do not cover the whole label; rep = findings reported", flush=True)
    print()
    evaluation = evaluate(records, Scanner(dictionary=CODE_NAMES))
    print(report(evaluation))
    missed = misses(evaluation)
    if evaluation.failures:
        print(f"\ntop failure shapes ({len(evaluation.failures):,} failures in all):")
        print("\n".join(failure_shapes(evaluation, top=top)))
    print()
    print("verdict: every threshold met" if not missed else "verdict: MISSED\n  " + "\n  ".join(missed))
    return not missed
