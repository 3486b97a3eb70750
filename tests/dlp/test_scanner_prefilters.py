"""Prefilters: a pattern's ``prefilter`` matches wherever the pattern yields a candidate, so skipping is safe.

The one pass looks for a built-in pattern's prefilter instead of its expression; a text the prefilter does not
match is not searched for that pattern at all. That is only right if no match in such a text would have passed the
pattern's validator: these tests hold each built-in prefilter to it.
"""

from __future__ import annotations

import pytest
import re2
from hypothesis import example, given
from hypothesis import strategies as st

from sfshield.dlp import Pattern, Scanner, _candidates
from sfshield.dlp.patterns import default_patterns

PREFILTERED = {pattern.name: pattern for pattern in default_patterns() if pattern.prefilter}

phone_like = st.text(alphabet="0123456789 /.-+()", max_size=40)
address_like = st.text(alphabet="0123456789abcdefABCDEF:. ", max_size=48)


def candidates(pattern: Pattern, text: str) -> list[object]:
    """Every candidate ``pattern`` yields in ``text`` when it runs whatever the one pass says."""
    (rule,) = Scanner([pattern])._rules
    return _candidates.find([rule], text, None, None, None, re2_spans=False, exclusions=True)


class TestBuiltInPrefilters:
    def test_the_prefiltered_patterns_are_known(self) -> None:
        """A new prefilter needs a test here: the list is pinned."""
        assert sorted(PREFILTERED) == ["ipv6", "phone_national"]

    @given(phone_like)
    @example("call 030 1234 5678")
    @example("0301 234 56 78 90")
    @example("01.02.2025 or 0171/1234567")
    def test_national_phone_numbers_have_ten_digits_after_the_trunk_zero(self, text: str) -> None:
        """Wherever a national phone number passes its validator, the prefilter matches."""
        pattern = PREFILTERED["phone_national"]
        if candidates(pattern, text):
            assert re2.search(pattern.prefilter, text)

    @given(address_like)
    @example("from 2001:db8::8a2e:370:7334")
    @example("fe80::1 and 12:30:45")
    def test_ipv6_addresses_have_three_colons(self, text: str) -> None:
        """Wherever an IPv6 address passes its validator, the prefilter matches."""
        pattern = PREFILTERED["ipv6"]
        if candidates(pattern, text):
            assert re2.search(pattern.prefilter, text)

    @pytest.mark.parametrize(("name", "text"), [("phone_national", "Termin 03.2027"), ("ipv6", "at 12:30:45")])
    def test_the_prefilters_skip_the_usual_look_alikes(self, name: str, text: str) -> None:
        """Dates and times, the commonest matches that never validate, do not run the pattern."""
        assert not re2.search(PREFILTERED[name].prefilter, text)


class TestPrefilterField:
    def test_a_prefilter_must_compile(self) -> None:
        """A prefilter that is not a valid expression is refused when the pattern is made."""
        with pytest.raises(ValueError, match="does not compile"):
            Pattern("x", "X", r"[0-9]+", prefilter="(")

    def test_a_custom_prefilter_replaces_the_expression_in_the_one_pass(self) -> None:
        """A text the prefilter rules out is not searched, even where the expression alone would match."""
        pattern = Pattern("ticket", "TICKET", r"\bT-[0-9]{4}\b", prefilter=r"\bT-9")
        scanner = Scanner([pattern])
        assert [f.kind for f in scanner.scan("see T-9123")] == ["TICKET"]
        assert not scanner.scan("see T-1234")
