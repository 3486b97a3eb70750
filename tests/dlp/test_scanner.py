"""The scanner: what it finds, what it must not, overlaps, context, allow-lists, custom detectors, bad input."""

from __future__ import annotations

import base64
import itertools
import json
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.dlp import Confidence, EntityKind, Finding, Pattern, Scanner
from sfshield.exceptions import ScanError

K = EntityKind
SCANNER = Scanner(dictionary=["Project Falcon", "Bluebird"])


def kinds(text: str, scanner: Scanner = SCANNER, **kwargs: str) -> list[tuple[str, str]]:
    return [(f.kind, text[f.start : f.end]) for f in scanner.scan(text, **kwargs)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mail ana.lopez@example.co.uk now", [(K.EMAIL_ADDRESS, "ana.lopez@example.co.uk")]),
        ("call +44 20 7946 0958", [(K.PHONE_NUMBER, "+44 20 7946 0958")]),
        ("call (415) 555-0100", [(K.PHONE_NUMBER, "(415) 555-0100")]),
        ("card 4111-1111-1111-1111", [(K.CREDIT_CARD, "4111-1111-1111-1111")]),
        ("IBAN GB82 WEST 1234 5698 7654 32.", [(K.IBAN_CODE, "GB82 WEST 1234 5698 7654 32")]),
        ("ssn 123-45-6780", [(K.US_SSN, "123-45-6780")]),
        ("NI number AB 12 34 56 C", [(K.UK_NINO, "AB 12 34 56 C")]),
        ("from 192.168.10.7", [(K.IP_ADDRESS, "192.168.10.7")]),
        ("date of birth: 1985-03-12", [(K.DATE_OF_BIRTH, "1985-03-12")]),
        ("AKIAIOSFODNN7EXAMPLE", [(K.AWS_ACCESS_KEY, "AKIAIOSFODNN7EXAMPLE")]),
        ("ghp_" + "a1B2" * 9, [(K.GITHUB_TOKEN, "ghp_" + "a1B2" * 9)]),
        ("Project Falcon ships", [(K.IP_MARKER, "Project Falcon")]),
        ("the bluebird roadmap", [(K.IP_MARKER, "bluebird")]),
    ],
)
def test_finds_each_kind(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 4111111111111112 shipped",  # Luhn fails
        "case 00012345 updated on 2026-11-27",  # case number, date
        "record 001000000000001AAA and 0035g00000ABCDE",  # Salesforce ids
        "IBAN DE88 3704 0044 0532 0130 00",  # wrong check digits
        "version 1.2.3.4 and 10.0.0.256",  # not addresses
        "meeting at 12:30:45, invoice INV-2026-000123",
        "tracking 1Z999AA10123456784",
        "ssn 000-12-3456",  # impossible SSN
        "born in 1985",  # a year is not a date of birth
        "2026-11-27",  # a date without birth context
    ],
)
def test_hard_negatives_are_not_reported(text: str) -> None:
    assert kinds(text) == []


def test_a_validated_iban_beats_a_card_beats_a_phone() -> None:
    text = "pay DE89370400440532013000 or 4111111111111111"
    assert kinds(text) == [(K.IBAN_CODE, "DE89370400440532013000"), (K.CREDIT_CARD, "4111111111111111")]


def test_context_raises_confidence_and_field_names_count_as_context() -> None:
    (plain,) = SCANNER.scan("Ana, 415-555-0100")
    (near,) = SCANNER.scan("phone: 415-555-0100")
    (field,) = SCANNER.scan("415-555-0100", field="MobilePhone")
    assert plain.confidence == Confidence.LIKELY
    assert near.confidence == field.confidence == Confidence.VERY_LIKELY
    assert kinds("4155550100") == []  # bare digits need context
    assert kinds("4155550100", field="Phone") == [(K.PHONE_NUMBER, "4155550100")]


def test_salesforce_credentials() -> None:
    session = "00D5g000000ABCD!AQ4AQFXmBq3Yw0N2k1lJ7Z8xvT6pLhR9sKdEaWcUoIyVbNmQ.x_y"
    refresh = "5Aep861" + "TVZ9xq.Lm3" * 8
    key = "3MVG9" + "nKP7Ya.gBcX2" * 7
    secret = "consumer secret = " + "A1b2C3d4" * 8
    assert kinds(session) == [(K.SALESFORCE_ACCESS_TOKEN, session)]
    assert kinds(refresh) == [(K.SALESFORCE_REFRESH_TOKEN, refresh)]
    assert kinds(key) == [(K.SALESFORCE_CONSUMER_KEY, key)]
    assert kinds(secret) == [(K.SALESFORCE_CONSUMER_SECRET, "A1b2C3d4" * 8)]


def test_a_salesforce_jwt_access_token_is_reported_as_a_salesforce_token() -> None:
    def part(data: dict[str, str]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

    sf = f"{part({'alg': 'RS256', 'tty': 'sfdc-core-token', 'tnk': 'core/prod/00D'})}.{part({'sub': '005'})}.{'s' * 40}"
    other = f"{part({'alg': 'HS256'})}.{part({'sub': 'x' * 8})}.{'t' * 40}"
    assert kinds(sf) == [(K.SALESFORCE_ACCESS_TOKEN, sf)]
    assert kinds(other) == [(K.JWT, other)]


def test_allow_list_and_threshold() -> None:
    scanner = Scanner(allow=["support@acme.example"], min_confidence=Confidence.VERY_LIKELY)
    assert kinds("write to Support@Acme.example or ana@x.io; 415-555-0100", scanner) == [(K.EMAIL_ADDRESS, "ana@x.io")]


def test_findings_never_hold_the_text() -> None:
    (finding,) = SCANNER.scan("card 4111 1111 1111 1111")
    assert "4111" not in repr(finding)
    assert not any(
        isinstance(getattr(finding, name), str) and "4111" in getattr(finding, name) for name in finding.__slots__
    )


@dataclass(frozen=True)
class _Hit:
    kind: str
    start: int
    end: int


class WordDetector:
    def __init__(self, word: str) -> None:
        self.word = word

    def detect(self, text: str, /) -> Iterable[_Hit]:  # noqa: D102
        start = text.find(self.word)
        return [_Hit("CUSTOM_WORD", start, start + len(self.word))] if start >= 0 else []


def test_custom_detectors_join_overlap_resolution() -> None:
    scanner = Scanner(detectors=[WordDetector("falcon")])
    assert kinds("the falcon plan", scanner) == [("CUSTOM_WORD", "falcon")]


def test_a_failing_detector_fails_closed() -> None:
    class Broken:
        def detect(self, text: str, /) -> Iterable[_Hit]:
            raise RuntimeError("card 4111 1111 1111 1111 in " + text)

    with pytest.raises(ScanError) as caught:
        Scanner(detectors=[Broken()]).scan("anything")
    assert "4111" not in str(caught.value)
    assert caught.value.__cause__ is None


def test_a_detector_reporting_an_impossible_span_fails_closed() -> None:
    class Liar:
        def detect(self, text: str, /) -> Iterable[_Hit]:
            return [_Hit("X", 5, 500)]

    with pytest.raises(ScanError, match="impossible span"):
        Scanner(detectors=[Liar()]).scan("short text")


def test_a_plain_function_is_a_detector_named_after_itself() -> None:
    """A function ``(text) -> findings`` works as a detector, and its findings carry the function's name."""

    def ticket_ids(text: str) -> Iterable[_Hit]:
        start = text.find("TCK-")
        return [_Hit("TICKET_ID", start, start + 8)] if start >= 0 else []

    (finding,) = Scanner(detectors=[ticket_ids]).scan("see TCK-1234 today")
    assert (finding.kind, finding.start, finding.end, finding.detector) == ("TICKET_ID", 4, 12, "ticket_ids")


def test_a_failing_function_detector_fails_closed() -> None:
    """A function detector that raises makes the scan fail closed, like an object detector."""

    def broken(text: str) -> Iterable[_Hit]:
        raise RuntimeError("secret " + text)

    with pytest.raises(ScanError):
        Scanner(detectors=[broken]).scan("anything")


def test_a_detector_must_have_detect_or_be_callable() -> None:
    """An object with no ``detect`` method that is not callable is refused when the scanner is built."""
    with pytest.raises(TypeError, match=r"detect\(text\) method or a function"):
        Scanner(detectors=[WordDetector("x").word])  # type: ignore[list-item]


def test_bad_input() -> None:
    with pytest.raises(TypeError):
        SCANNER.scan(b"bytes")  # type: ignore[arg-type]
    with pytest.raises(ScanError, match="8 MiB"):
        SCANNER.scan("x" * (8 * 1024 * 1024 + 1))
    assert not SCANNER.scan("")
    with pytest.raises(ValueError, match="unique"):
        Scanner([*SCANNER.patterns, SCANNER.patterns[0]])


def test_a_pattern_re2_cannot_run_is_refused_by_name() -> None:
    """Look-arounds are not RE2 syntax: the scanner says which pattern, with a ValueError (not the binding's error)."""
    with pytest.raises(ValueError, match="'lookahead' is not valid RE2 syntax"):
        Scanner([Pattern("lookahead", "X", r"a(?=b)")])


def test_a_dictionary_of_ten_thousand_terms_costs_one_pass() -> None:
    terms = [f"codename{i:05d}" for i in range(10_000)]
    scanner = Scanner(dictionary=terms)
    text = "routine update for the team " * 10 + " codename04242 launch"
    started = time.perf_counter()
    found = kinds(text, scanner)
    assert found == [(K.IP_MARKER, "codename04242")]
    assert time.perf_counter() - started < 1.0  # generous: catches a per-term loop, not a speed goal


@given(st.text(max_size=400))
def test_any_text_gives_sorted_disjoint_in_bounds_findings(text: str) -> None:
    findings = SCANNER.scan(text).findings
    assert list(findings) == sorted(findings)
    assert all(0 <= f.start < f.end <= len(text) for f in findings)
    assert all(not a.overlaps(b) for a, b in itertools.pairwise(findings))


@given(
    prefix=st.text(alphabet=st.characters(blacklist_categories=["Nd", "Lu", "Ll"]), max_size=20),
    suffix=st.text(alphabet=st.characters(blacklist_categories=["Nd", "Lu", "Ll"]), max_size=20),
)
def test_a_card_is_found_whatever_surrounds_it(prefix: str, suffix: str) -> None:
    text = f"{prefix} 4111 1111 1111 1111 {suffix}"
    assert (K.CREDIT_CARD, "4111 1111 1111 1111") in kinds(text)


def test_text_that_has_no_utf8_form_is_still_scanned() -> None:
    """A lone surrogate (possible in JSON-decoded text) cannot go through RE2; the scanner must not fail open."""
    assert kinds("card 4111 1111 1111 1111 \ud800") == [(K.CREDIT_CARD, "4111 1111 1111 1111")]


def test_finding_rejects_an_empty_span() -> None:
    with pytest.raises(ValueError, match="start < end"):
        Finding(3, 3, "X", Confidence.LIKELY, "d")


def test_one_scanner_is_shared_safely_between_threads() -> None:
    texts = [f"case {i}: mail user{i}@example.com, card 4111 1111 1111 1111" for i in range(400)]
    expected = [kinds(text) for text in texts]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(kinds, texts))
    assert results == expected
    assert all(len(found) == 2 for found in results)


def test_an_unreported_candidate_does_not_hide_a_finding_it_overlaps() -> None:
    assert kinds("Ab 01.12.2025 15% Rabatt auf alle Lizenzen") == [(K.COMMERCIAL_TERMS, "15% Rabatt")]
    assert kinds("Card: AB12 4111 1111 1111 1111") == [(K.CREDIT_CARD, "4111 1111 1111 1111")]


def test_case_insensitive_matching_folds_non_ascii_letters() -> None:
    scanner = Scanner(dictionary=["Zürich Deal"])
    assert kinds("the ZÜRICH DEAL closes", scanner) == [(K.IP_MARKER, "ZÜRICH DEAL")]
    assert kinds("NUR FÜR DEN INTERNEN GEBRAUCH") == [(K.IP_MARKER, "NUR FÜR DEN INTERNEN GEBRAUCH")]


@pytest.mark.parametrize(
    "text", ["ab@cd.io " * 40_000, "-----BEGIN PRIVATE KEY-----AAAA " * 16_000], ids=["many-findings", "many-begins"]
)
def test_hostile_texts_scan_in_near_linear_time(text: str) -> None:
    started = time.perf_counter()
    SCANNER.scan(text)
    assert time.perf_counter() - started < 5  # generous: quadratic behaviour took 27 and 45 s


def test_a_string_where_a_collection_is_expected_is_refused() -> None:
    with pytest.raises(TypeError, match="one string"):
        Scanner(dictionary="Falcon")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="one string"):
        SCANNER.scan_record({"Description": "card 4111 1111 1111 1111"}, fields="Description")
    with pytest.raises(TypeError, match="Confidence"):
        Scanner(min_confidence="LIKELY")  # type: ignore[arg-type]


class TestUnicodeLookalikes:
    """Unicode lookalikes in numbers and terms are read as their ASCII forms, at the same spans.

    No-break spaces, zero-width characters, Unicode dashes and full-width digits, as word processors, mail clients
    and evasion write them.
    """

    @pytest.mark.parametrize(
        ("text", "kind", "span"),
        [
            ("IBAN DE89\xa03704\xa00044\xa00532\xa00130\xa000", EntityKind.IBAN_CODE, (5, 32)),
            ("card 4111\xa01111\xa01111\xa01111", EntityKind.CREDIT_CARD, (5, 24)),
            ("card 4111\u200b1111\u200b1111\u200b1111", EntityKind.CREDIT_CARD, (5, 24)),
            ("card 4111\u20131111\u20131111\u20131111", EntityKind.CREDIT_CARD, (5, 24)),
            ("card \uff14\uff11\uff11\uff11 1111 1111 1111", EntityKind.CREDIT_CARD, (5, 24)),
            ("call +49\xa030\xa01234567", EntityKind.PHONE_NUMBER, (5, 19)),
            ("Rabatt von 15\xa0% auf den Listenpreis", EntityKind.COMMERCIAL_TERMS, (0, 15)),
            ("remise de 15\u202f% sur le prix", EntityKind.COMMERCIAL_TERMS, (0, 14)),
        ],
    )
    def test_lookalike_separators_are_read_as_ascii(self, text: str, kind: EntityKind, span: tuple[int, int]) -> None:
        """The finding is the one of the ASCII text, with the span in the original text."""
        [finding] = SCANNER.scan(text).findings
        assert (finding.kind, (finding.start, finding.end)) == (kind, span)

    def test_lookalikes_are_read_where_re_scans_alone(self) -> None:
        """A lone surrogate keeps a text from RE2 (no UTF-8); re scans it, and reads its lookalikes the same way."""
        [finding] = SCANNER.scan("card 4111\xa01111\xa01111\xa01111 \ud800").findings
        assert (finding.kind, finding.start, finding.end) == (EntityKind.CREDIT_CARD, 5, 24)

    @given(
        groups=st.lists(st.text("0123456789", min_size=1, max_size=6), min_size=1, max_size=6),
        separators=st.lists(st.sampled_from(" \xa0\u202f\u2009\u200b-\u2011\u2013"), min_size=6, max_size=6),
        prefix=st.sampled_from(["card ", "IBAN DE", "call +", "SSN ", "order "]),
    )
    def test_findings_match_the_ascii_spelling(self, groups: list[str], separators: list[str], prefix: str) -> None:
        """Scanning a text and its ASCII spelling gives the same findings (kind, span, confidence)."""
        text = prefix + "".join(g + s for g, s in zip(groups, separators, strict=False))
        ascii_text = text.translate(str.maketrans("\xa0\u202f\u2009\u200b\u2011\u2013", "    --"))
        found = [(f.kind, f.start, f.end, f.confidence) for f in SCANNER.scan(text).findings]
        assert found == [(f.kind, f.start, f.end, f.confidence) for f in SCANNER.scan(ascii_text).findings]


def test_the_docstring_examples_hold() -> None:
    """The examples in the scanner module's docstrings run and print what they show."""
    import doctest  # noqa: PLC0415 - only this test needs it

    from sfshield.dlp import scanner  # noqa: PLC0415

    failed, tried = doctest.testmod(scanner)
    assert (failed, tried > 0) == (0, True)
