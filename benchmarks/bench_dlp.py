"""DLP scan throughput: sfshield's scanner beside a google-re2 floor, Python ``re`` and three peers.

Goals (issue 6, from the reference measurements): the regex/checksum tier scans at least :data:`GOAL_MB_S` MB/s per
core, at least :data:`GOAL_VS_PRESIDIO` times Presidio regex-only, and ``import`` plus building the scanner takes at
most :data:`GOAL_COLD_MS` ms.

Data: :func:`~benchmarks.dlp_corpus.throughput_corpus` — 20,000 CRM notes of about 300 B (seed 42), a tenth of them
carrying sensitive values, three in ten a hard negative.

Candidates (the peers are Presidio, scrubadub and detect-secrets):

* ``sfshield`` — :class:`~sfshield.dlp.Scanner` with every built-in pattern and a 1,000-term code-name dictionary;
* ``floor`` — what a careful engineer would hand-write: one google-re2 alternation of 12 patterns (e-mail, phone,
  card, IBAN, SSN, five provider tokens, ``api_key=``, the same dictionary), ``finditer`` per record, and sfshield's
  own card, IBAN and SSN validators called inline (the reference measurements' "re2 alternation" row);
* ``re`` — the same alternation and validators on Python's ``re``;
* ``presidio`` — Presidio's ``AnalyzerEngine`` regex-only (``NoOpNlpEngine``: no spaCy model, 17 recognizers for
  ``en``), score >= 0.4. It scans about a thousand notes a second, so it is timed on the first ``presidio_records``
  records; its accuracy columns come from one untimed pass over all of them. Optional: without
  ``presidio-analyzer`` its row says so. Its e-mail recognizer calls ``tldextract``, which is pointed at its bundled
  suffix list so that nothing is fetched from the network.
* ``scrubadub`` — ``scrubadub.Scrubber()`` with its default detectors for ``en_US`` (credential, credit_card, email,
  phone, twitter, url, social_security_number), ``list(scrubber.iter_filth(text))`` per record. They are regular
  expressions plus the ``phonenumbers`` matcher: ``import scrubadub`` imports nltk (for its optional skype detector)
  and with it scipy, but loads no corpus and downloads nothing (checked with the network off), so no detector needs
  to be switched off. A merged filth counts as the filths it merges.
  Its kinds are mapped to ours (``social_security_number`` is ``US_SSN``, ``credential`` is ``GENERIC_SECRET``).
* ``detect-secrets`` — ``detect_secrets.core.scan.scan_line`` (what ``detect-secrets scan --string`` runs) on each
  line of a record, inside ``default_settings()`` (every plugin, the default filters, no verification calls). Its
  ad-hoc mode searches unquoted words too and leaves the entropy limit to the caller, so a high-entropy result
  counts only when it reaches the plugin's limit, as the command's verdict does. Its results carry values, not
  offsets: spans are where the value stands in the line (found outside the timed loop). Keyword and high-entropy
  results are ``GENERIC_SECRET``. At about 3 ms a note it is timed on the first ``presidio_records`` records, like
  Presidio.

The three peers are optional: without one, its row says what to install (``pip install 'sfshield[bench]'`` installs
them all).

Throughput is records (and UTF-8 bytes) over the CPU time of the scanning loop (``time.process_time``), best of
``repeat`` runs, candidates interleaved, the collector off while timing and the output freed outside the timed
region. Accuracy is per kind on the same data, overlap match (see :mod:`benchmarks.dlp_eval`): the floors know only
their 12 kinds, each peer only its own (Presidio's ``DATE_TIME`` counts towards ``DATE_OF_BIRTH`` recall).

Cold start is timed in fresh interpreters (best of three): the import, then building the engine and scanning one
short text (Presidio compiles its regexes on first use).
"""

from __future__ import annotations

import gc
import math
import os
import random
import re
import subprocess
import sys
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from importlib import metadata
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import re2  # type: ignore[import-untyped]

import sfshield
from benchmarks.bench_filter import machine
from benchmarks.dlp_corpus import Record, describe, dictionary, email, throughput_corpus
from benchmarks.dlp_corpus import card as card_value
from sfshield.dlp import EntityKind, Scanner, validators

__all__ = [
    "DETECT_SECRETS",
    "DETECT_SECRETS_INSTALL",
    "FLOOR",
    "GOAL_COLD_MS",
    "GOAL_MB_S",
    "GOAL_VS_PRESIDIO",
    "INSTALL",
    "PEERS",
    "PRESIDIO",
    "PRESIDIO_INSTALL",
    "PY_RE",
    "ROWS",
    "SCRUBADUB",
    "SCRUBADUB_INSTALL",
    "SHIELD",
    "Accuracy",
    "Candidate",
    "ColdStart",
    "Result",
    "accuracy",
    "candidates",
    "cold_starts",
    "compare",
    "main",
    "peer_available",
    "planted_records",
    "presidio_available",
    "report",
    "run",
    "spans_found",
]

GOAL_MB_S = 100.0
"""sfshield should scan at least this many MB/s on one core (issue 6; reference: re2 alternation 68 MB/s)."""
GOAL_VS_PRESIDIO = 300.0
"""sfshield should scan at least this many times as many records/s as Presidio regex-only (issue 6)."""
GOAL_COLD_MS = 100.0
"""``import sfshield.dlp`` plus ``Scanner()`` and a first scan should take at most this many milliseconds."""

RECORDS = 20_000
PRESIDIO_RECORDS = 2_000
DICTIONARY_TERMS = 1_000
PRESIDIO_INSTALL = "pip install presidio-analyzer"
SCRUBADUB_INSTALL = "pip install scrubadub"
DETECT_SECRETS_INSTALL = "pip install detect-secrets"
PRESIDIO_SCORE = 0.4

SHIELD = "sfshield"
FLOOR = "floor"
PY_RE = "re"
PRESIDIO = "presidio"
SCRUBADUB = "scrubadub"
DETECT_SECRETS = "detect-secrets"

ROWS = {
    SHIELD: "sfshield Scanner, all built-in patterns + 1,000-term dictionary",
    FLOOR: "google-re2, one alternation of 12 + validators inline (floor)",
    PY_RE: "Python re, the same alternation + validators",
    PRESIDIO: "Presidio AnalyzerEngine regex-only (NoOpNlpEngine), score >= 0.4",
    SCRUBADUB: "scrubadub Scrubber(), default detectors, iter_filth",
    DETECT_SECRETS: "detect-secrets scan_line per line, default plugins + filters",
}
"""Every row of the report, in order, with its description."""

PEERS = (PRESIDIO, SCRUBADUB, DETECT_SECRETS)
"""The optional peers, measured when installed."""
INSTALL = {PRESIDIO: PRESIDIO_INSTALL, SCRUBADUB: SCRUBADUB_INSTALL, DETECT_SECRETS: DETECT_SECRETS_INSTALL}
"""What to install for each optional peer (shown in its row when it is missing)."""
_PEER_MODULES = {PRESIDIO: "presidio_analyzer", SCRUBADUB: "scrubadub", DETECT_SECRETS: "detect_secrets"}
_PEER_DISTRIBUTIONS = {PRESIDIO: "presidio-analyzer", SCRUBADUB: "scrubadub", DETECT_SECRETS: "detect-secrets"}

_K = EntityKind
Hits = list[tuple[str, int, int]]


@dataclass(frozen=True, slots=True)
class Candidate:
    """A way to scan a list of texts: ``scan`` is timed, ``hits`` turns its output into (kind, start, end) lists."""

    key: str
    scan: Callable[[list[str]], Any]
    hits: Callable[[Any], list[Hits]]
    kinds: frozenset[str]
    """The kinds the engine can report (its accuracy is shown for these only)."""
    subset: bool = False
    """Timed on the first ``presidio_records`` records only (it is too slow for all of them)."""
    same_spans: bool = True
    """Finds exactly the planted cards and e-mails of :func:`planted_records`. scrubadub's card pattern takes no
    separators and detect-secrets finds no personal data: theirs are shown, not required."""


@dataclass(frozen=True, slots=True)
class Result:
    """The best timed run of one candidate."""

    key: str
    records: int
    size: int
    cpu_seconds: float

    @property
    def records_per_s(self) -> float:
        """Records scanned per CPU second."""
        return self.records / self.cpu_seconds

    @property
    def mb_per_s(self) -> float:
        """Megabytes (10^6 B of UTF-8) scanned per CPU second."""
        return self.size / self.cpu_seconds / 1e6


@dataclass(frozen=True, slots=True)
class Accuracy:
    """What one candidate found of one kind: labels overlapped, findings reported, findings on a label."""

    key: str
    kind: str
    labels: int
    found: int
    reported: int | None
    correct: int | None


@dataclass(frozen=True, slots=True)
class ColdStart:
    """Milliseconds a fresh interpreter takes to import an engine and to build it and scan one text."""

    key: str
    import_ms: float | None
    ready_ms: float | None

    @property
    def total_ms(self) -> float | None:
        """Import plus build-and-first-scan."""
        return None if self.import_ms is None or self.ready_ms is None else self.import_ms + self.ready_ms


# -- the floor: one alternation, validators inline -------------------------------------------------------------------

_FLOOR_PATTERNS = {
    _K.EMAIL_ADDRESS: r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,24}\b",
    _K.SALESFORCE_ACCESS_TOKEN: r"\b00D[A-Za-z0-9]{12}![A-Za-z0-9_.]{40,}",
    _K.AWS_ACCESS_KEY: r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b",
    _K.GITHUB_TOKEN: r"\bgh[pousr]_[A-Za-z0-9]{36}\b",
    _K.SLACK_TOKEN: r"\bxox[abposr]-[A-Za-z0-9-]{10,100}",
    _K.STRIPE_KEY: r"\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,99}\b",
    _K.GENERIC_SECRET: r"\bapi[_-]?key[=: ]+[A-Za-z0-9]{32,40}\b",
    _K.IBAN_CODE: r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b",
    _K.US_SSN: r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b",
    _K.PHONE_NUMBER: r"\+[1-9][0-9]{0,2}(?:[ .-]?\(?[0-9]{1,4}\)?){2,5}\b|"
    r"(?:\([2-9][0-9]{2}\) ?|\b[2-9][0-9]{2}[ .-])[2-9][0-9]{2}[ .-][0-9]{4}\b",
    _K.CREDIT_CARD: r"\b[0-9](?:[ -]?[0-9]){11,18}\b",
}
_FLOOR_VALIDATORS: dict[str, Callable[[str], bool]] = {
    _K.CREDIT_CARD: validators.card_number,
    _K.IBAN_CODE: validators.iban,
    _K.US_SSN: validators.us_ssn,
}


def _alternation(terms: Sequence[str]) -> str:
    words = "|".join(re.escape(term) for term in sorted(terms, key=len, reverse=True))
    branches = [f"(?P<{kind}>{regex})" for kind, regex in _FLOOR_PATTERNS.items()]
    branches.append(rf"(?P<{_K.IP_MARKER}>(?i:\b(?:{words})\b))")
    return "|".join(branches)


def _floor(finditer: Callable[[str], Any]) -> Callable[[list[str]], list[Hits]]:
    checks = _FLOOR_VALIDATORS

    def scan(texts: list[str]) -> list[Hits]:
        out = []
        for text in texts:
            hits = []
            for match in finditer(text):
                kind = match.lastgroup
                check = checks.get(kind)
                if check is None or check(match.group()):
                    hits.append((kind, *match.span()))
            out.append(hits)
        return out

    return scan


# -- the candidates ---------------------------------------------------------------------------------------------------


def peer_available(key: str) -> bool:
    """Whether the optional peer ``key`` (one of :data:`PEERS`) is installed."""
    return find_spec(_PEER_MODULES[key]) is not None


def presidio_available() -> bool:
    """Whether presidio-analyzer is installed."""
    return peer_available(PRESIDIO)


def _check_peers(peers: Collection[str]) -> frozenset[str]:
    if isinstance(peers, str):
        raise TypeError(f"peers takes a collection of peer names, not one string (wrap it: [{peers!r}])")
    unknown = sorted(set(peers) - set(PEERS))
    if unknown:
        raise ValueError(f"unknown peers {', '.join(unknown)}; choose from {', '.join(PEERS)}")
    return frozenset(peers)


def candidates(terms: Sequence[str], *, peers: Collection[str] = PEERS) -> tuple[Candidate, ...]:
    """Return the candidates in report order; each of ``peers`` only when it is installed.

    Raises:
        ValueError: a name in ``peers`` is not one of :data:`PEERS`.
    """
    wanted = _check_peers(peers)
    scanner = Scanner(dictionary=terms)
    pattern = _alternation(terms)
    options = re2.Options()
    options.max_mem = 256 * 1024 * 1024

    def shield_scan(texts: list[str]) -> list[Any]:
        scan = scanner.scan
        return [scan(text) for text in texts]

    def shield_hits(results: list[Any]) -> list[Hits]:
        return [[(f.kind, f.start, f.end) for f in result] for result in results]

    def same(hits: list[Hits]) -> list[Hits]:
        return hits

    floor_kinds = frozenset({*_FLOOR_PATTERNS, _K.IP_MARKER})
    found = [
        Candidate(SHIELD, shield_scan, shield_hits, frozenset(_K)),
        Candidate(FLOOR, _floor(re2.compile(pattern, options).finditer), same, floor_kinds),
        Candidate(PY_RE, _floor(re.compile(pattern, re.ASCII).finditer), same, floor_kinds),
    ]
    builders = {PRESIDIO: presidio_candidate, SCRUBADUB: scrubadub_candidate, DETECT_SECRETS: detect_secrets_candidate}
    found += [builders[key]() for key in PEERS if key in wanted and peer_available(key)]
    return tuple(found)


def presidio_candidate() -> Candidate:
    """Presidio's AnalyzerEngine with the no-op NLP engine (regex and checksum recognizers only).

    Raises:
        ImportError: presidio-analyzer is not installed.
    """
    # tldextract (used by Presidio's e-mail recognizer) reads this when imported: no URL means its bundled list.
    os.environ.setdefault("TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS", "")
    from presidio_analyzer import AnalyzerEngine  # noqa: PLC0415 - an optional peer, imported when measured
    from presidio_analyzer.nlp_engine import NoOpNlpEngine  # noqa: PLC0415

    engine = AnalyzerEngine(nlp_engine=NoOpNlpEngine(models=[{"lang_code": "en", "model_name": "no_op"}]))
    analyze = engine.analyze

    def scan(texts: list[str]) -> list[Any]:
        return [analyze(text, language="en", score_threshold=PRESIDIO_SCORE) for text in texts]

    def hits(results: list[Any]) -> list[Hits]:
        return [[(r.entity_type, r.start, r.end) for r in found] for found in results]

    return Candidate(PRESIDIO, scan, hits, frozenset(engine.get_supported_entities()), subset=True)


_SCRUBADUB_KINDS = {
    "email": _K.EMAIL_ADDRESS.value,
    "phone": _K.PHONE_NUMBER.value,
    "credit_card": _K.CREDIT_CARD.value,
    "social_security_number": _K.US_SSN.value,
    "credential": _K.GENERIC_SECRET.value,
}
"""scrubadub's filth types under our kind names; its ``url`` and ``twitter`` keep their own."""


def scrubadub_candidate() -> Candidate:
    """scrubadub's ``Scrubber`` with its default detectors (regular expressions and ``phonenumbers``).

    Raises:
        ImportError: scrubadub is not installed.
    """
    import scrubadub  # type: ignore[import-untyped]  # noqa: PLC0415 - an optional peer, imported when measured

    iter_filth = scrubadub.Scrubber().iter_filth

    def scan(texts: list[str]) -> list[Any]:
        return [list(iter_filth(text)) for text in texts]

    def hits(results: list[Any]) -> list[Hits]:
        return [[(_SCRUBADUB_KINDS.get(f.type, f.type), f.beg, f.end) for f in _unmerged(found)] for found in results]

    kinds = frozenset({*_SCRUBADUB_KINDS.values(), "url", "twitter"})
    return Candidate(SCRUBADUB, scan, hits, kinds, same_spans=False)


def _unmerged(filths: list[Any]) -> list[Any]:
    """Overlapping filths come back as one ``MergedFilth`` of type ``unknown``: count the filths it merges."""
    return [part for filth in filths for part in getattr(filth, "filths", None) or [filth]]


_DETECT_SECRETS_KINDS = {
    "AWS Access Key": _K.AWS_ACCESS_KEY.value,
    "GitHub Token": _K.GITHUB_TOKEN.value,
    "Slack Token": _K.SLACK_TOKEN.value,
    "Stripe Access Key": _K.STRIPE_KEY.value,
    "JSON Web Token": _K.JWT.value,
    "Private Key": _K.PRIVATE_KEY.value,
    "Public IP (ipv4)": _K.IP_ADDRESS.value,
    "Secret Keyword": _K.GENERIC_SECRET.value,
    "Base64 High Entropy String": _K.GENERIC_SECRET.value,
    "Hex High Entropy String": _K.GENERIC_SECRET.value,
    "Basic Auth Credentials": _K.GENERIC_SECRET.value,
}
"""detect-secrets' secret types under our kind names; the others (Twilio, Discord …) keep their own."""


def detect_secrets_candidate() -> Candidate:
    """detect-secrets' ad-hoc ``scan_line`` with every plugin, each high-entropy result held to its plugin's limit.

    Raises:
        ImportError: detect-secrets is not installed.
    """
    # An optional peer, imported when measured.
    from detect_secrets.core.scan import scan_line  # type: ignore[import-untyped]  # noqa: PLC0415
    from detect_secrets.settings import default_settings, get_plugins  # type: ignore[import-untyped]  # noqa: PLC0415

    with default_settings():
        plugins = get_plugins()
    limits = {p.secret_type: p for p in plugins if hasattr(p, "entropy_limit")}

    def counts(secret: Any) -> bool:
        # What `detect-secrets scan --string` shows as True: the ad-hoc search leaves the entropy limit to its caller.
        plugin = limits.get(secret.type)
        return plugin is None or plugin.calculate_shannon_entropy(secret.secret_value) >= plugin.entropy_limit

    def scan(texts: list[str]) -> list[Any]:
        out = []
        with default_settings():
            for text in texts:
                found, start = [], 0
                for line in text.split("\n"):
                    found += [(s.type, s.secret_value, start, line) for s in scan_line(line) if counts(s)]
                    start += len(line) + 1
                out.append(found)
        return out

    def hits(results: list[Any]) -> list[Hits]:
        return [
            [hit for kind, value, start, line in found for hit in _located(kind, value, start, line)]
            for found in results
        ]

    kinds = frozenset(_DETECT_SECRETS_KINDS.get(p.secret_type, p.secret_type) for p in plugins)
    return Candidate(DETECT_SECRETS, scan, hits, kinds, subset=True, same_spans=False)


def _located(secret_type: str, value: str | None, start: int, line: str) -> Hits:
    """Every place ``value`` stands in ``line`` (detect-secrets reports values, not offsets)."""
    kind = _DETECT_SECRETS_KINDS.get(secret_type, secret_type)
    out: Hits = []
    at = line.find(value) if value else -1
    while at >= 0:
        out.append((kind, start + at, start + at + len(value)))
        at = line.find(value, at + len(value))
    return out


# -- timing and accuracy ----------------------------------------------------------------------------------------------


def run(
    records: int = RECORDS,
    repeat: int = 5,
    *,
    presidio_records: int = PRESIDIO_RECORDS,
    peers: Collection[str] = PEERS,
    seed: int = 42,
) -> tuple[list[Result], list[Accuracy], list[Record]]:
    """Generate ``records`` notes and :func:`compare` the candidates on them; also return the notes.

    Raises:
        ValueError: a count is not positive, or a peer is unknown.
    """
    if records < 1:
        raise ValueError("records, repeat and presidio_records must be positive")
    data = throughput_corpus(records, seed=seed)
    results, rows = compare(data, repeat, presidio_records=presidio_records, peers=peers)
    return results, rows, data


def compare(
    data: Sequence[Record],
    repeat: int,
    *,
    presidio_records: int = PRESIDIO_RECORDS,
    peers: Collection[str] = PEERS,
) -> tuple[list[Result], list[Accuracy]]:
    """Time every candidate on ``data`` (best of ``repeat``) and measure its accuracy on it.

    The slow peers (``subset``: Presidio, detect-secrets) are timed on the first ``presidio_records`` records.
    Returns the results in report order and the accuracy rows.

    Raises:
        ValueError: a count is not positive, or a peer is unknown.
    """
    if repeat < 1 or presidio_records < 1:
        raise ValueError("records, repeat and presidio_records must be positive")
    texts = [record.text for record in data]
    subset = texts[:presidio_records]
    found = candidates(dictionary(DICTIONARY_TERMS), peers=peers)
    outputs = {c.key: (c.kinds, c.hits(c.scan(texts))) for c in found}  # also warms every candidate up, untimed
    best: dict[str, Result] = {}
    for _ in range(repeat):
        for candidate in found:
            chosen = subset if candidate.subset else texts
            result = Result(candidate.key, len(chosen), _utf8_size(chosen), _cpu_seconds(candidate.scan, chosen))
            if candidate.key not in best or result.cpu_seconds < best[candidate.key].cpu_seconds:
                best[candidate.key] = result
    return [best[c.key] for c in found], accuracy(data, outputs)


def _utf8_size(texts: Sequence[str]) -> int:
    return sum(len(text.encode()) for text in texts)


def _cpu_seconds(scan: Callable[[list[str]], Any], texts: list[str]) -> float:
    gc.collect()
    enabled = gc.isenabled()
    gc.disable()
    try:
        start = time.process_time()
        out = scan(texts)
        elapsed = time.process_time() - start
    finally:
        if enabled:
            gc.enable()
    del out  # freed outside the timed region
    return elapsed


_ALIASES = {_K.DATE_OF_BIRTH: "DATE_TIME"}
"""Presidio's name for a kind it finds under another name (counted for recall only)."""


def accuracy(records: Sequence[Record], outputs: dict[str, tuple[frozenset[str], list[Hits]]]) -> list[Accuracy]:
    """Per candidate and labelled kind it knows: labels overlapped by a finding of that kind, and its precision.

    ``outputs`` maps each candidate to the kinds it can report and its hits on ``records``.
    """
    kinds = sorted({label.kind for record in records for label in record.labels}, key=list(_K).index)
    rows = []
    for key, (known, hits) in outputs.items():
        for kind in kinds:
            alias = _ALIASES.get(kind)
            if kind in known:
                rows.append(_kind_accuracy(key, kind, {kind}, records, hits, precision=True))
            elif alias in known:
                rows.append(_kind_accuracy(key, kind, {alias}, records, hits, precision=False))
    return rows


def _kind_accuracy(
    key: str, kind: str, names: set[str], records: Sequence[Record], hits: list[Hits], *, precision: bool
) -> Accuracy:
    labels = found = reported = correct = 0
    for record, record_hits in zip(records, hits, strict=True):
        spans = [(s, e) for k, s, e in record_hits if k in names]
        same = [(label.start, label.end) for label in record.labels if label.kind == kind]
        labels += len(same)
        found += sum(any(s < le and ls < e for s, e in spans) for ls, le in same)
        reported += len(spans)
        correct += sum(any(s < le and ls < e for ls, le in same) for s, e in spans)
    if not precision:
        return Accuracy(key, kind, labels, found, None, None)
    return Accuracy(key, kind, labels, found, reported, correct)


def spans_found(candidate: Candidate, texts: list[str], kinds: Sequence[str]) -> set[tuple[int, str, int, int]]:
    """The (record index, kind, start, end) of every finding of ``kinds`` the candidate reports on ``texts``."""
    wanted = set(kinds)
    hits = candidate.hits(candidate.scan(texts))
    return {(i, kind, s, e) for i, record in enumerate(hits) for kind, s, e in record if kind in wanted}


_PLANTED_NETWORKS = ("card/visa", "card/mastercard", "card/amex", "card/discover")
"""Networks every candidate knows (Presidio has no 2-series Mastercard, nor 13-digit Visa in groups)."""


def planted_records(count: int, *, seed: int = 0) -> tuple[list[str], set[tuple[int, str, int, int]]]:
    """``count`` plain sentences each with one card and one e-mail, and their (record, kind, start, end) spans.

    Every candidate marked ``same_spans`` must find exactly these: the check that they do the same work on the same
    spans.
    """
    rng = random.Random(seed)
    texts, planted = [], set()
    for index in range(count):
        address, (number, shape) = email(rng)[0], card_value(rng)
        while shape.split()[0] not in _PLANTED_NETWORKS:
            number, shape = card_value(rng)
        text = f"Customer {address} paid with card {number} yesterday."
        start = text.index(address)
        planted.add((index, _K.EMAIL_ADDRESS.value, start, start + len(address)))
        start = text.index(number)
        planted.add((index, _K.CREDIT_CARD.value, start, start + len(number)))
        texts.append(text)
    return texts, planted


# -- cold start -------------------------------------------------------------------------------------------------------

_COLD = {
    SHIELD: (
        "from sfshield.dlp import Scanner",
        "Scanner().scan('mail ana@example.com')",
    ),
    f"{SHIELD} + dictionary": (
        "from sfshield.dlp import Scanner",
        "Scanner(dictionary=terms).scan('mail ana@example.com')",
    ),
    PRESIDIO: (
        "from presidio_analyzer import AnalyzerEngine\nfrom presidio_analyzer.nlp_engine import NoOpNlpEngine",
        (
            "AnalyzerEngine(nlp_engine=NoOpNlpEngine(models=[{'lang_code': 'en', 'model_name': 'no_op'}]))"
            ".analyze('mail ana@example.com', language='en')"
        ),
    ),
    SCRUBADUB: (
        "import scrubadub",
        "list(scrubadub.Scrubber().iter_filth('mail ana@example.com'))",
    ),
    DETECT_SECRETS: (
        "from detect_secrets.core.scan import scan_line\nfrom detect_secrets.settings import default_settings",
        "with default_settings(): list(scan_line('mail ana@example.com'))",
    ),
}
_COLD_TEMPLATE = """\
import time
terms = [f"Codename Term-{{i:04d}}" for i in range({terms})]
start = time.perf_counter()
{imports}
imported = time.perf_counter()
{ready}
print(imported - start, time.perf_counter() - imported)
"""


def cold_starts(*, repeat: int = 3, peers: Collection[str] = PEERS) -> list[ColdStart]:
    """Time import, then build + first scan, of each engine in fresh interpreters (best of ``repeat``).

    A peer left out of ``peers``, or not installed, gets an empty row.

    Raises:
        ValueError: a peer is unknown.
    """
    wanted = _check_peers(peers)
    source = str(Path(sfshield.__file__).resolve().parents[1])  # so the child imports the same sfshield
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, (source, os.environ.get("PYTHONPATH"))))}
    env["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    out = []
    for key, (imports, ready) in _COLD.items():
        if key in PEERS and not (key in wanted and peer_available(key)):
            out.append(ColdStart(key, None, None))
            continue
        code = _COLD_TEMPLATE.format(terms=DICTIONARY_TERMS, imports=imports, ready=ready)
        best_import = best_ready = math.inf
        for _ in range(repeat):
            # Our own interpreter and fixed code from this file: no untrusted input.
            done = subprocess.run(  # noqa: S603
                [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
            )
            import_s, ready_s = (float(value) for value in done.stdout.split())
            best_import, best_ready = min(best_import, import_s), min(best_ready, ready_s)
        out.append(ColdStart(key, best_import * 1000, best_ready * 1000))
    return out


# -- report -----------------------------------------------------------------------------------------------------------


def report(results: Sequence[Result], rows: Sequence[Accuracy], colds: Sequence[ColdStart] = ()) -> str:
    """The throughput table, the per-kind accuracy table, the cold starts and one verdict per goal."""
    lines = _throughput_table(results)
    lines += ["", *_accuracy_table(results, rows)]
    if colds:
        lines.append("")
        for cold in colds:
            if cold.import_ms is None or cold.ready_ms is None:
                lines.append(f"cold start {cold.key}: skipped ({INSTALL.get(cold.key, 'not measured')})")
            else:
                lines.append(
                    f"cold start {cold.key}: import {cold.import_ms:,.0f} ms + build and first scan "
                    f"{cold.ready_ms:,.0f} ms = {cold.total_ms:,.0f} ms"
                )
    lines += ["", *_goals(results, colds)]
    return "\n".join(lines)


_KEY_WIDTH = max(map(len, ROWS))


def _throughput_table(results: Sequence[Result]) -> list[str]:
    header = (
        f"{'row':<{_KEY_WIDTH}} {'engine':<66} {'records/s':>10} {'MB/s':>7} {'vs floor':>8} {'sfshield x':>10}  timed"
    )
    lines = [header, "-" * (len(header) + 10)]
    by_key = {r.key: r for r in results}
    floor, shield = by_key.get(FLOOR), by_key.get(SHIELD)
    for key, text in ROWS.items():
        r = by_key.get(key)
        if r is None:
            lines.append(f"{key:<{_KEY_WIDTH}} {text:<66} skipped ({INSTALL.get(key, 'not measured')})")
            continue
        ratio = f"{r.records_per_s / floor.records_per_s:.2f}x" if floor else "-"
        lines.append(
            f"{key:<{_KEY_WIDTH}} {text:<66} {r.records_per_s:>10,.0f} {r.mb_per_s:>7.2f} {ratio:>8} "
            f"{_times(shield, r):>10}  {r.records:,} records"
        )
    return lines


def _times(shield: Result | None, other: Result) -> str:
    """How many times as many records/s sfshield scans as ``other``."""
    if shield is None:
        return "-"
    ratio = shield.records_per_s / other.records_per_s
    return f"{ratio:,.0f}x" if ratio >= 10 else f"{ratio:.2f}x"


def _accuracy_table(results: Sequence[Result], rows: Sequence[Accuracy]) -> list[str]:
    keys = [r.key for r in results]
    header = f"{'kind':<27}" + "".join(f" {key:>22}" for key in keys)
    lines = [
        "recall and precision on the same data: found/labels  correct/reported (overlap match; - = no such kind)",
        header,
    ]
    lines.append("-" * len(header))
    by_kind: dict[str, dict[str, Accuracy]] = {}
    for row in rows:
        by_kind.setdefault(row.kind, {})[row.key] = row
    for kind, per_key in by_kind.items():
        cells = []
        for key in keys:
            row = per_key.get(key)
            cells.append(f" {_cell(row):>22}")
        lines.append(f"{kind:<27}" + "".join(cells))
    return lines


def _cell(row: Accuracy | None) -> str:
    if row is None:
        return "-"
    precision = "" if row.reported is None else f"  {row.correct}/{row.reported}"
    return f"{row.found}/{row.labels}{precision}"


def _goals(results: Sequence[Result], colds: Sequence[ColdStart]) -> list[str]:
    by_key = {r.key: r for r in results}
    shield, presidio = by_key.get(SHIELD), by_key.get(PRESIDIO)
    cold = next((c for c in colds if c.key == SHIELD), None)
    lines = []
    if shield is not None:
        verdict = "met" if shield.mb_per_s >= GOAL_MB_S else "MISSED"
        lines.append(f"goal: sfshield >= {GOAL_MB_S:.0f} MB/s per core: {shield.mb_per_s:.2f} MB/s -> {verdict}")
    if shield is not None and presidio is not None:
        ratio = shield.records_per_s / presidio.records_per_s
        verdict = "met" if ratio >= GOAL_VS_PRESIDIO else "MISSED"
        lines.append(f"goal: sfshield >= {GOAL_VS_PRESIDIO:.0f}x Presidio regex-only: {ratio:,.0f}x -> {verdict}")
    else:
        lines.append(f"goal: sfshield >= {GOAL_VS_PRESIDIO:.0f}x Presidio regex-only: not measured")
    if cold is not None and cold.total_ms is not None:
        verdict = "met" if cold.total_ms <= GOAL_COLD_MS else "MISSED"
        lines.append(
            f"goal: import + Scanner() + first scan <= {GOAL_COLD_MS:.0f} ms: {cold.total_ms:,.0f} ms -> {verdict}"
        )
    return lines


def main(
    *,
    repeat: int,
    records: int = RECORDS,
    presidio_records: int = PRESIDIO_RECORDS,
    cold_repeat: int = 3,
) -> None:
    """Print the header, run the candidates and print the tables and goal verdicts.

    A missed goal is printed, not signalled by the exit status: timings are too noisy to gate anything on.
    """
    presidio_records = min(presidio_records, records)
    print(
        f"sfshield DLP scan throughput vs a google-re2 floor, Python re, Presidio regex-only, scrubadub and "
        f"detect-secrets (goals: >= {GOAL_MB_S:.0f} MB/s, >= {GOAL_VS_PRESIDIO:.0f}x Presidio, cold start <= "
        f"{GOAL_COLD_MS:.0f} ms)"
    )
    print(f"machine: {machine()}")
    data = throughput_corpus(records)
    print(f"data:    {describe(data)} (seed 42); dictionary {DICTIONARY_TERMS:,} terms")
    print(
        f"timing:  CPU time (process_time) of the scan loop, best of {repeat} runs, candidates interleaved, gc off "
        "while timing"
    )
    print(f"peers:   {', '.join(_versions())}")
    found = candidates(dictionary(DICTIONARY_TERMS))
    slow = [c.key for c in found if c.subset]
    if slow:
        print(
            f"  {' and '.join(slow)} timed on the first {presidio_records:,} records (rates are per record); accuracy "
            f"from one untimed pass over all {records:,}",
            flush=True,
        )
    print()
    results, rows = compare(data, repeat, presidio_records=presidio_records)
    texts, planted = planted_records(200)
    kinds = ("CREDIT_CARD", "EMAIL_ADDRESS")
    agree = [
        f"{c.key} {len(spans_found(c, texts, kinds) & planted)}/{len(planted)}" for c in found if set(kinds) <= c.kinds
    ]
    print(f"planted cards and e-mails found with the exact span: {', '.join(agree)}")
    print()
    print(report(results, rows, cold_starts(repeat=cold_repeat)))


def _versions() -> list[str]:
    versions = [f"google-re2 {metadata.version('google-re2')}"]
    for key in PEERS:
        name = _PEER_DISTRIBUTIONS[key]
        versions.append(
            f"{name} {metadata.version(name)}" if peer_available(key) else f"{key} skipped ({INSTALL[key]})"
        )
    return versions
