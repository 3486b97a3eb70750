"""Validators: checksums and structural rules, with known-good and known-bad values."""

from __future__ import annotations

import ipaddress
import math
from collections import Counter

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from sfshield.dlp import validators as v


@pytest.mark.parametrize(
    "number",
    [
        "4111 1111 1111 1111",  # Visa test number
        "5555-5555-5555-4444",  # Mastercard
        "2223003122003222",  # Mastercard 2-series
        "378282246310005",  # Amex
        "6011111111111117",  # Discover
        "3530111333300000",  # JCB
        "30569309025904",  # Diners
        "6200000000000005",  # UnionPay
    ],
)
def test_real_card_numbers_validate(number: str) -> None:
    assert v.card_number(number)


@pytest.mark.parametrize(
    "number",
    [
        "4111 1111 1111 1112",  # Luhn fails
        "1234567812345670",  # Luhn ok, no issuer starts with 1
        "0000000000000000",  # all zeros
        "4111111111111",  # Visa prefix, Luhn fails at 13
        "37828224631000",  # Amex prefix, wrong length
    ],
)
def test_invalid_card_numbers_do_not(number: str) -> None:
    assert not v.card_number(number)


@given(st.text(alphabet="0123456789", min_size=1, max_size=30))
def test_luhn_detects_every_single_digit_error(digits: str) -> None:
    # Change one digit: the Luhn result must change when the original was valid.
    if not v.luhn(digits):
        return
    index = len(digits) // 2
    changed = digits[:index] + str((int(digits[index]) + 1) % 10) + digits[index + 1 :]
    assert not v.luhn(changed)


@pytest.mark.parametrize(
    ("iban", "ok"),
    [
        ("DE89 3704 0044 0532 0130 00", True),
        ("GB82WEST12345698765432", True),
        ("FR1420041010050500013M02606", True),
        ("NL91ABNA0417164300", True),
        ("DE88 3704 0044 0532 0130 00", False),  # check digits
        ("DE89 3704 0044 0532 0130 0", False),  # length
        ("XX89370400440532013000", False),  # country
    ],
)
def test_iban(iban: str, ok: bool) -> None:
    assert v.iban(iban) is ok


@pytest.mark.parametrize(
    ("ssn", "ok"),
    [
        ("123-45-6780", True),
        ("000-12-3456", False),
        ("666-12-3456", False),
        ("900-12-3456", False),
        ("123-00-4567", False),
        ("123-45-0000", False),
        ("078-05-1120", False),  # the Woolworth wallet number
    ],
)
def test_us_ssn(ssn: str, ok: bool) -> None:
    assert v.us_ssn(ssn) is ok


@pytest.mark.parametrize(
    ("nino", "ok"),
    [("AB123456C", True), ("AB 12 34 56 C", True), ("GB123456A", False), ("DA123456A", False), ("AB123456E", False)],
)
def test_uk_nino(nino: str, ok: bool) -> None:
    assert v.uk_nino(nino) is ok


@pytest.mark.parametrize(
    ("text", "ok"),
    [("10.0.0.1", True), ("255.255.255.255", True), ("256.1.1.1", False), ("01.2.3.4", False), ("1.2.3", False)],
)
def test_ipv4(text: str, ok: bool) -> None:
    assert v.ipv4(text) is ok


def test_ipv6() -> None:
    assert v.ipv6("2001:db8::8a2e:370:7334")
    assert not v.ipv6("12:30:45")  # a time
    assert not v.ipv6("2001:db8::zz")


@pytest.mark.parametrize(
    ("record_id", "ok"),
    [("0035g00000ABCDEAA2", False), ("001000000000001AAA", True), ("001000000000001aaa", False)],
)
def test_salesforce_id_checksum(record_id: str, ok: bool) -> None:
    assert v.salesforce_id(record_id) is ok


def test_salesforce_id_checksum_matches_the_case_of_the_first_fifteen() -> None:
    assert v.salesforce_id("0015g00000AbCdEIAW") is (v.salesforce_id("0015g00000AbCdEIAW"))
    base = "0035g00000ABCDE"
    # compute the suffix independently: bit i of chunk j is set when char j*5+i is upper case
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
    suffix = "".join(
        alphabet[sum(1 << i for i, c in enumerate(base[j * 5 : j * 5 + 5]) if c.isupper())] for j in range(3)
    )
    assert v.salesforce_id(base + suffix)
    assert not v.salesforce_id(base + ("A" if suffix[0] != "A" else "B") + suffix[1:])


def test_jwt_and_session_token_structure() -> None:
    assert v.jwt("eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln")
    assert not v.jwt("eyJub3RhbGciOjF9.eyJzdWIiOiJ4In0.c2ln")  # header without alg
    assert v.salesforce_session_token("00D5g000000ABCD!" + "A" * 60)
    assert not v.salesforce_session_token("00X5g000000ABCD!" + "A" * 60)


def test_entropy() -> None:
    assert v.entropy_bits_per_char("aaaaaaaa") == 0
    assert v.entropy_bits_per_char("abcdefgh") == 3


def _luhn_by_definition(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if index % 2:
            value = value * 2 - 9 if value * 2 > 9 else value * 2
        total += value
    return total % 10 == 0


def _card_number_by_ranges(text: str) -> bool:
    digits = "".join(char for char in text if char in "0123456789")
    if not 12 <= len(digits) <= 19 or len(set(digits)) == 1:
        return False
    for width, low, high, lengths in v._IIN_RANGES:
        if len(digits) in lengths and low <= int(digits[:width]) <= high:
            return v.luhn(digits)
    return False


def _iban_by_letters(text: str) -> bool:
    compact = text.replace(" ", "").replace("-", "").upper()
    if v.IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit() or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(char, 36)) for char in rearranged)) % 97 == 1


class TestFastChecksumsAgreeWithTheirDefinitions:
    @given(st.text(alphabet="0123456789", max_size=40) | st.text(max_size=12))
    def test_luhn(self, digits: str) -> None:
        """The table-driven Luhn check gives the digit-by-digit result, for digits and for any other text."""
        assert v.luhn(digits) is _luhn_by_definition(digits)

    @given(
        st.sampled_from(["", "4", "51", "2221", "2720", "34", "37", "6011", "65", "644", "3528", "300", "36", "62"]),
        st.text(alphabet="0123456789 -", max_size=24) | st.text(alphabet="0123456789 -.x٣", max_size=24),
    )
    def test_card_number(self, prefix: str, rest: str) -> None:
        """Looking the issuer up by prefix gives what walking the issuer ranges gives."""
        assert v.card_number(prefix + rest) is _card_number_by_ranges(prefix + rest)

    @given(
        st.sampled_from(["DE", "GB", "FR", "NL", "XX", "de"]),
        st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -", min_size=10, max_size=34),
    )
    def test_iban(self, country: str, rest: str) -> None:
        """Translating letters to their values gives the letter-by-letter number."""
        assert v.iban(country + rest) is _iban_by_letters(country + rest)

    def test_valid_values_still_validate(self) -> None:
        """Known-good values pass the fast checks (a check that refused everything would agree with nothing)."""
        assert v.luhn("79927398713")
        assert not v.luhn("79927398710")
        assert v.card_number("4111 1111 1111 1111")
        assert v.iban("GB82 WEST 1234 5698 7654 32")

    @given(st.text(alphabet="0123456789abcdefABCDEF:.%", max_size=45))
    @example("2F:2A:B9:D9:D0:0A")
    @example("1:2:3:4:5:6:7:8%eth:0")
    def test_ipv6(self, text: str) -> None:
        """Counting colons first refuses only what the address parser refuses."""
        try:
            ipaddress.IPv6Address(text)
        except ValueError:
            parsed = False
        else:
            parsed = True
        assert v.ipv6(text) is (parsed and text.count(":") >= 3)

    @given(st.text(max_size=60))
    def test_entropy(self, text: str) -> None:
        """The entropy is the same float as the textbook sum over character counts, in first-seen order."""
        counts = Counter(text)
        expected = -sum(c / len(text) * math.log2(c / len(text)) for c in counts.values()) if text else 0.0
        assert v.entropy_bits_per_char(text) == expected
