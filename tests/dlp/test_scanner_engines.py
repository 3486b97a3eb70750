"""The scanner's shortcuts change nothing: RE2 finds re's spans, and what the one pass skips had nothing to find.

The reference is the scanner's plain path: each pattern that RE2 finds in the text as written (every pattern, if
the text has no UTF-8 form) runs with Python's ``re``, every word is searched for near every match, every
exclusion runs. The scanner must report exactly what that reports, finding for finding (kind, span, confidence,
detector), on corpus text and on text built to provoke the engines' differences.
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

import pytest
import re2
from hypothesis import example, given
from hypothesis import strategies as st

from sfshield.dlp import Confidence, EntityKind, Finding, Pattern, Scanner, _candidates, _prefilter, _spans
from sfshield.dlp import scanner as _scanner
from sfshield.dlp.patterns import default_patterns

# benchmarks/ is a top-level directory beside src/, not an installed package.
_ROOT = str(Path(__file__).parents[2])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

from benchmarks import dlp_corpus as corpus  # noqa: E402

K = EntityKind
SCANNER = Scanner(dictionary=[*corpus.CODE_NAMES, "Zürich Deal", "Straße 9"])
EVERY_LEVEL = Scanner(dictionary=corpus.CODE_NAMES, min_confidence=Confidence.VERY_UNLIKELY)


def reference(scanner: Scanner, text: str, field: str | None = None) -> tuple[Finding, ...]:
    """What ``scanner`` reports on ``text`` without any shortcut: re for every pattern RE2 finds as written.

    Unicode lookalikes (no-break spaces, full-width digits) are read as ASCII first, as the scanner documents.
    """
    if _scanner._HAS_LOOKALIKE(text):
        text = text.translate(_scanner._ASCII_LOOKALIKES)
    rules = scanner._rules
    if not _surrogates(text):
        rules = tuple(rule for rule in rules if re2.search(rule.pattern.regex, text, _OPTIONS))
    candidates = _candidates.find(rules, text, field, None, None, re2_spans=False, exclusions=True)
    return scanner._resolve(text, candidates) if candidates else ()


def _surrogates(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


_OPTIONS = re2.Options()
_OPTIONS.max_mem = 256 * 1024 * 1024


def assert_same(text: str, field: str | None = None) -> None:
    for scanner in (SCANNER, EVERY_LEVEL):
        assert scanner.scan(text, field=field).findings == reference(scanner, text, field)


FRAGMENTS = [
    "+44 20 7946 0958", "(415) 555-0100", "415-555-0100", "4155550100", "030 1234 5678", "0171/1234567",
    "4111 1111 1111 1111", "4111-1111-1111-1112", "378282246310005", "5555555555554444", "1234 5678 9012 3456",
    "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "DE88370400440532013000",
    "FR14 2004 1010 0505 0001 3M02 606",
    "123-45-6780", "123 45 6780", "AB 12 34 56 C", "192.168.10.7", "1.2.3.4", "2001:db8::8a2e:370:7334", "12:30:45",
    "1985-03-12", "12.03.1985", "03/12/85", "ana.lopez@example.co.uk", "x@y.io", "AKIAIOSFODNN7EXAMPLE",
    "ghp_" + "a1B2" * 9, "xoxb-1234567890-abcdef", "sk_live_" + "a1" * 12, "00D5g000000ABCD!" + "AQ4x" * 15,
    "5Aep861" + "TVZ9xq.Lm3" * 8, "3MVG9" + "nKP7Ya.gBcX2" * 7, "001000000000001AAA", "0035g00000ABCDE",
    "password: Winter2024!", "passwort Sommer2024x", "api_key=" + "9f" * 20, "token: " + "Zx81" * 6,
    "consumer secret = " + "A1b2C3d4" * 8, "discount of 15%", "15% Rabatt", "Rabatt von 15 %", "list price €1,200",
    "Strictly Confidential", "NUR FÜR DEN INTERNEN GEBRAUCH", "Project Falcon", "bluebird", "ZÜRICH DEAL",
    "phone", "Tel.", "call me", "mobile:", "card", "ssn", "SSN:", "born", "DOB", "geb.", "né le", "version", "ver",
    "ip", "server", "NI number", "Telefon", "rückruf",
]  # fmt: skip
ODD = ["\x0b", "\x1c", "\x1f", "\u017f", "\u212a", "\u0130", "\u0131", "é", "ä", "ß", "€", "\u00a0", "\n", "\ud800"]
SEPARATORS = [" ", " ", ", ", ": ", "\n", "-", "", ".", "/", "=", "'", "(", ")"]

fragments = st.sampled_from(FRAGMENTS) | st.sampled_from(ODD) | st.text(alphabet="0123456789 -.:/+()", max_size=14)
texts = st.lists(st.tuples(fragments, st.sampled_from(SEPARATORS)), max_size=10).map(
    lambda parts: "".join(fragment + separator for fragment, separator in parts)
)


class TestSameFindingsAsTheSlowPath:
    @given(texts)
    @example("card 4111 1111 1111 1111 \x0b ssn 123-45-6780")
    @example("\u017fsn 123 45 6780 and \u212aelvin 4155550100")
    @example("password: Winter2024!-\xa0 ")  # a no-break space is read as a space: it ends the value
    def test_on_text_built_to_provoke_the_engines(self, text: str) -> None:
        """Spans, context and overlaps are those of the re-only path, with or without disagreement characters."""
        assert_same(text)

    @given(texts, st.sampled_from(["MobilePhone", "SSN__c", "Description", "Birthdate"]))
    def test_with_a_field_name(self, text: str, field: str) -> None:
        """A field name counts as context exactly as on the slow path, also for patterns that require it."""
        assert_same(text, field)

    def test_on_the_evaluation_corpus(self) -> None:
        """A sample of the labelled corpus (a third of it, neighbours glued together) scans as on the slow path."""
        records = corpus.evaluation_corpus()[::3]
        for first, second in itertools.pairwise(records):
            assert_same(first.text)
            assert_same(first.text + " " + second.text)

    def test_on_corpus_text_with_accents_and_disagreement_characters(self) -> None:
        """Non-ASCII text takes character offsets from RE2's byte offsets; odd characters send it to re."""
        for record in corpus.evaluation_corpus()[:300:3]:
            assert_same(record.text.replace("a", "ä").replace("e", "é"))
            assert_same(record.text.replace(" ", "\x1c", 3))
            assert_same(record.text.replace("s", "\u017f"))


class TestOnePass:
    @pytest.mark.parametrize(
        "text",
        [
            # (A no-break space no longer reaches the engines: the scanner reads it as a space, see test_scanner.)
            "consumer_secret = " + "A" * 70 + " consumer secret\v=\v" + "B" * 64,
        ],
        ids=["vertical-tab"],
    )
    def test_a_looser_form_lets_re_find_nothing_the_pattern_as_written_hides(self, text: str) -> None:
        """Where only re reads a character as space, the loosened one pass must not let re find what RE2 does not."""
        assert SCANNER.scan(text).findings == reference(SCANNER, text) == ()

    def test_loosening_keeps_small_repetitions_and_escapes(self) -> None:
        """Counts up to 12 stay; larger ones become unbounded from 12; escaped braces and classes are untouched."""
        loosened = _prefilter.loosened
        assert loosened(r"a{3}b{1,12}") == r"a{3}b{1,12}"
        assert loosened(r"a{20}b{0,63}c{1,99}d{40,}") == r"a{12,}b*c+d{12,}"
        assert loosened(r"\{20}[{]{3}\x{17f}{14}") == r"\{20}[{]{3}\x{17f}{12,}"
        assert loosened(r"[]{]{13,14}x{,30}") == r"[]{]{12,}x{,30}"

    @given(st.text(alphabet="0123456789abcXYZ@._-+: ", max_size=120))
    def test_loosened_patterns_match_wherever_the_patterns_do(self, text: str) -> None:
        """The one pass may see more than the patterns, never less."""
        for pattern in default_patterns(dictionary=corpus.CODE_NAMES):
            if re2.search(pattern.regex, text):
                assert re2.search(_prefilter.loosened(pattern.regex), text), pattern.name

    def test_a_dictionary_term_with_a_case_variant_of_an_ascii_letter_is_left_to_re(self) -> None:
        """The Kelvin sign matches k in both engines, so RE2 does not find that dictionary's spans; re still does."""
        scanner = Scanner(dictionary=["\u212aelvin Deal"])
        (rule,) = [rule for rule in scanner._rules if rule.name == "dictionary"]
        assert rule.engine is None
        assert [(f.kind, f.start, f.end) for f in scanner.scan("the kelvin deal")] == [(K.IP_MARKER, 4, 15)]

    def test_only_four_letters_fold_to_ascii(self) -> None:
        """Below U+2200, the letters either engine matches to an ASCII one ignoring case are exactly these four."""
        folding = [chr(code) for code in range(128, 0x2200) if _spans.folds_to_ascii(chr(code))]
        assert folding == ["\u0130", "\u0131", "\u017f", "\u212a"]

    def test_re2_case_folding_covers_lower_casing_but_for_the_dotted_capital_i(self) -> None:
        """The word set may look for ``(?i)word`` in the text because str.lower maps nothing else out of reach."""
        misses = []
        for code in range(sys.maxunicode + 1):
            char = chr(code)
            lower = char.lower() if not 0xD800 <= code <= 0xDFFF else char
            if lower != char and (len(lower) != 1 or not re2.fullmatch("(?i)" + re2.escape(lower), char)):
                misses.append(char)
        assert misses == ["\u0130"]

    def test_a_required_word_ending_in_i_is_seen_after_a_dotted_capital_i(self) -> None:
        """``İ`` lower-cases to ``i`` and a combining dot, so ``Xİ`` holds the word ``xi`` for the window search."""
        pattern = Pattern("ticket", "TICKET", r"\b[0-9]{6}\b", context=("xi",), requires_context=True)
        scanner = Scanner([pattern])
        assert [f.kind for f in scanner.scan("X\u0130 123456")] == ["TICKET"]
        assert scanner.scan("X\u0130 123456").findings == reference(scanner, "X\u0130 123456")


class TestExclusions:
    def test_an_exclusion_still_claims_its_span_from_a_lower_priority_kind(self) -> None:
        """A record id shaped like digits and letters is not reported as a phone or a secret."""
        text = "call 0015g00000AbCdEIAW or 001000000000001 about it"
        assert SCANNER.scan(text).findings == reference(SCANNER, text)

    def test_ties_between_an_exclusion_and_a_kind_keep_the_pattern_order(self) -> None:
        """With equal priority, length and confidence, the pattern listed first takes the span, wherever it runs."""
        kinded = Pattern("ticket", "TICKET", r"\bT-[0-9]{4}\b", priority_override=70)
        exclusion = Pattern("not_ticket", None, r"\bT-[0-9]{4}\b", priority_override=70)
        for patterns, expected in (([kinded, exclusion], ["TICKET"]), ([exclusion, kinded], [])):
            scanner = Scanner(patterns)
            assert [f.kind for f in scanner.scan("see T-1234")] == expected
            assert scanner.scan("see T-1234").findings == reference(scanner, "see T-1234")

    def test_with_detectors_exclusions_always_run(self) -> None:
        """A detector's finding inside a record id is excluded as before, though no pattern found anything."""

        class Digits:
            def detect(self, text: str, /) -> list[Finding]:
                return [Finding(4, 19, "DIGITS", Confidence.LIKELY, "digits")]

        scanner = Scanner(detectors=[Digits()])
        assert not scanner.scan("see 0015g00000AbCdE now")
        assert [f.kind for f in scanner.scan("see 123456789012345 now")] == ["DIGITS"]


@pytest.mark.parametrize("text", ["", "a", "\ud800", "\x0b" * 3, "é" * 20, "4111 1111 1111 1111"])
def test_edge_texts(text: str) -> None:
    """Empty, tiny, unencodable and odd-only texts scan as on the slow path."""
    assert_same(text)


class TestHotPathShortcuts:
    """The hot path's shortcuts, each held to the long way it replaces."""

    SHRINKING = tuple(rule for rule in SCANNER._rules if rule.shrink)

    # Valid values of each shrinking kind at or near its shortest (a 12-digit Maestro, a 13-digit Visa, a Norwegian
    # IBAN), and pieces that make longer matches around them.
    WORDS = ("4111", "1111", "4222222222222", "501800000009", "NO9386011117947", "DE89", "3704", "0044", "030",
             "1234", "+44", "20", "7946", "0958", "123", "12", "0")  # fmt: skip

    @given(st.lists(st.sampled_from(WORDS)).map(" ".join), st.sampled_from(["", "card ", "Tel. ", "IBAN "]))
    @example("4111 1111 1111 1111 123", "card ")
    @example("4222222222222 12", "card ")
    @example("501800000009 12", "")
    @example("NO9386011117947 12", "IBAN ")
    def test_shrinking_skips_only_cuts_shorter_than_any_match(self, words: str, prefix: str) -> None:
        """Cuts shorter than a pattern's shortest match are not tried: trying every cut finds the same candidates."""
        text = prefix + words
        assert all(rule.min_width > 0 for rule in self.SHRINKING)
        fast = _candidates.find(self.SHRINKING, text, None, None, None, re2_spans=False, exclusions=True)
        widths = [rule.min_width for rule in self.SHRINKING]
        try:
            for rule in self.SHRINKING:
                rule.min_width = 0
            slow = _candidates.find(self.SHRINKING, text, None, None, None, re2_spans=False, exclusions=True)
        finally:
            for rule, width in zip(self.SHRINKING, widths, strict=True):
                rule.min_width = width
        assert fast == slow

    def test_a_card_before_a_short_group_is_still_found_by_shrinking(self) -> None:
        """A match refused whole (19 digits) still yields the card inside it."""
        text = "card 4111 1111 1111 1111 123 on file"
        assert [(f.kind, text[f.start : f.end]) for f in SCANNER.scan(text)] == [(K.CREDIT_CARD, "4111 1111 1111 1111")]

    @given(st.integers(0, 10**6), st.integers(1, 10**3), st.sampled_from(list(K)), st.sampled_from(list(Confidence)))
    def test_findings_made_on_the_hot_path_equal_constructed_ones(
        self, start: int, length: int, kind: K, confidence: Confidence
    ) -> None:
        """The scanner's own findings and results are the objects the public constructors make."""
        from sfshield.dlp.findings import _finding  # noqa: PLC0415
        from sfshield.dlp.scanner import ScanResult, _result  # noqa: PLC0415

        made = _finding(start, start + length, kind, confidence, "email")
        built = Finding(start, start + length, kind, confidence, "email")
        assert made == built
        assert hash(made) == hash(built)
        assert repr(made) == repr(built)
        assert _result((made,)) == ScanResult((built,))
        with pytest.raises(AttributeError):
            made.start = 0  # type: ignore[misc]
        for start_, end_ in ((start, start), (start + length, start), (-1, length)):
            with pytest.raises(ValueError, match="0 <= start < end"):
                _finding(start_, end_, kind, confidence, "email")

    def test_a_text_with_only_a_record_id_is_clean_without_running_anything(self) -> None:
        """Only an exclusion matched: nothing to exclude from, so nothing is found (as on the plain path)."""
        for text in ("Case 5003000000D8cuI escalated", "Account 0015g00000AbCdEAAV, IBAN-like DE00 0000"):
            assert_same(text)
            assert not SCANNER.scan(text)
