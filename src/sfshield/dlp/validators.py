"""Checks that turn a pattern match into a finding: checksums, ranges and structure.

Each validator takes the matched text and answers whether it is a genuine value of its kind. They run only on
candidates (after the one-pass pattern scan), so they can afford exact arithmetic. All are pure functions.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import math
import re
import string
from collections import Counter
from typing import Final

__all__ = [
    "IBAN_LENGTHS",
    "card_number",
    "entropy_bits_per_char",
    "iban",
    "ipv4",
    "ipv6",
    "jwt",
    "luhn",
    "salesforce_id",
    "salesforce_session_token",
    "uk_nino",
    "us_ssn",
]

_NON_DIGITS: Final = re.compile(r"[^0-9]")


def luhn(digits: str, /) -> bool:
    """The Luhn (mod 10) checksum of a string of digits."""
    if not (digits.isascii() and digits.isdigit()):
        return _luhn_by_code_points(digits)
    # From the right: every other digit is doubled (minus 9 above 9, which the table does); the rest count as they
    # are. Summing the bytes of ASCII digits adds 48 per digit.
    kept = digits[-1::-2].encode()
    doubled = digits[-2::-2].translate(_DOUBLED).encode()
    return (sum(kept) + sum(doubled) - 48 * len(digits)) % 10 == 0


_DOUBLED: Final = str.maketrans("0123456789", "0246813579")


def _luhn_by_code_points(text: str) -> bool:
    # The definition, digit by digit; also what any other text has always given.
    total = 0
    for index, char in enumerate(reversed(text)):
        value = ord(char) - 48
        if index % 2:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


# (prefix ranges, allowed lengths) of the issuer networks we accept: Visa, Mastercard, Amex, Discover, JCB,
# Diners Club, UnionPay, Maestro.
_IIN_RANGES: Final[tuple[tuple[int, int, int, frozenset[int]], ...]] = (
    # (prefix length, low, high, lengths)
    (1, 4, 4, frozenset({13, 16, 19})),  # Visa
    (2, 51, 55, frozenset({16})),  # Mastercard
    (4, 2221, 2720, frozenset({16})),  # Mastercard 2-series
    (2, 34, 34, frozenset({15})),  # Amex
    (2, 37, 37, frozenset({15})),  # Amex
    (4, 6011, 6011, frozenset({16, 17, 18, 19})),  # Discover
    (2, 65, 65, frozenset({16, 17, 18, 19})),  # Discover
    (3, 644, 649, frozenset({16, 17, 18, 19})),  # Discover
    (4, 3528, 3589, frozenset({16, 17, 18, 19})),  # JCB
    (3, 300, 305, frozenset({14, 16, 17, 18, 19})),  # Diners Club
    (2, 36, 36, frozenset({14, 16, 17, 18, 19})),  # Diners Club
    (2, 38, 39, frozenset({16, 17, 18, 19})),  # Diners Club
    (2, 62, 62, frozenset({16, 17, 18, 19})),  # UnionPay
    (4, 5018, 5018, frozenset({12, 13, 14, 15, 16, 17, 18, 19})),  # Maestro
    (4, 5020, 5020, frozenset({12, 13, 14, 15, 16, 17, 18, 19})),  # Maestro
    (4, 5038, 5038, frozenset({12, 13, 14, 15, 16, 17, 18, 19})),  # Maestro
    (4, 6304, 6304, frozenset({12, 13, 14, 15, 16, 17, 18, 19})),  # Maestro
)


_IIN_LENGTHS: Final = {str(prefix): lengths for _, low, high, lengths in _IIN_RANGES for prefix in range(low, high + 1)}
"""Each issuer prefix (``"4"``, ``"51"`` … ``"2720"``) with the lengths its numbers have; no prefix starts another."""


def card_number(text: str, /) -> bool:
    """A payment card number: a known issuer range (IIN), a length that issuer uses, and a valid Luhn digit.

    Separators (spaces, dashes) are ignored; all-same-digit numbers are refused.
    """
    digits = text.replace(" ", "").replace("-", "")
    if not (digits.isascii() and digits.isdigit()):
        digits = _NON_DIGITS.sub("", text)
    size = len(digits)
    if not 12 <= size <= 19:
        return False
    for width in (1, 2, 3, 4):
        lengths = _IIN_LENGTHS.get(digits[:width])
        if lengths is not None:
            return size in lengths and digits.count(digits[0]) != size and luhn(digits)
    return False


# ISO 13616 country codes and IBAN lengths (SWIFT IBAN registry). Public: the IBAN-shaped exclusion uses the codes.
IBAN_LENGTHS: Final = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27, "BR": 29,
    "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28, "EE": 20, "EG": 29,
    "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28,
    "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20,
    "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25,
    "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
    "SO": 23, "ST": 25, "SV": 28, "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def iban(text: str, /) -> bool:
    """An IBAN: a known country, that country's length, and ISO 7064 mod-97 = 1. Spaces are ignored."""
    compact = text.replace(" ", "").replace("-", "").upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit() or not compact.isalnum():
        return False
    rearranged = compact[4:] + compact[:4]
    return int(rearranged.translate(_LETTER_VALUES)) % 97 == 1


_LETTER_VALUES: Final = str.maketrans({letter: str(value) for value, letter in enumerate(string.ascii_uppercase, 10)})
"""ISO 7064 letter values: A = 10 … Z = 35 (digits stand for themselves)."""


_SSN_SAMPLES: Final = frozenset({"078051120", "219099999", "123456789"})


def us_ssn(text: str, /) -> bool:
    """A US Social Security number that could have been issued (area not 000, 666 or 9xx; group and serial not 0)."""
    digits = _NON_DIGITS.sub("", text)
    if len(digits) != 9 or digits in _SSN_SAMPLES or len(set(digits)) == 1:
        return False
    area, group, serial = int(digits[:3]), int(digits[3:5]), int(digits[5:])
    return area not in (0, 666) and area < 900 and group != 0 and serial != 0


_NINO_BAD_PREFIXES: Final = frozenset({"BG", "GB", "KN", "NK", "NT", "TN", "ZZ"})


def uk_nino(text: str, /) -> bool:
    """A UK National Insurance number: valid prefix letters, six digits, suffix A to D."""
    compact = text.replace(" ", "").upper()
    if len(compact) != 9 or not compact[2:8].isdigit() or compact[8] not in "ABCD":
        return False
    first, second = compact[0], compact[1]
    return (
        first.isalpha()
        and second.isalpha()
        and first not in "DFIQUV"
        and second not in "DFIQUVO"
        and compact[:2] not in _NINO_BAD_PREFIXES
    )


def ipv4(text: str, /) -> bool:
    """A dotted-quad IPv4 address with every octet ≤ 255 and no leading zeros; not 0.0.0.0."""
    parts = text.split(".")
    if len(parts) != 4:
        return False
    for part in parts:
        if not part.isdigit() or int(part) > 255 or (len(part) > 1 and part[0] == "0"):
            return False
    return text != "0.0.0.0"  # noqa: S104 - a value compared, not an address bound


def ipv6(text: str, /) -> bool:
    """An IPv6 address with at least three groups (so times like ``12:30`` never count)."""
    colons = text.count(":")
    if colons < 3:
        return False
    if colons != 7 and "::" not in text and "." not in text and "%" not in text:
        return False  # eight groups need seven colons; this spares a MAC address the parser's exception
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True


_ID_SUFFIX_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"


def salesforce_id(text: str, /) -> bool:
    """An 18-character Salesforce record id whose 3-character suffix encodes the case of the first 15."""
    if len(text) != 18 or not text.isalnum() or not text.isascii():
        return False
    suffix = []
    for chunk in range(3):
        bits = 0
        for position, char in enumerate(text[chunk * 5 : chunk * 5 + 5]):
            if "A" <= char <= "Z":
                bits |= 1 << position
        suffix.append(_ID_SUFFIX_ALPHABET[bits])
    return "".join(suffix) == text[15:]


def salesforce_session_token(text: str, /) -> bool:
    """A Salesforce session id / opaque access token: an org id (``00D`` + 12) then ``!`` and a long opaque part."""
    org, _, rest = text.partition("!")
    return len(org) in (15, 18) and org.startswith("00D") and org.isalnum() and len(rest) >= 40


def jwt(text: str, /) -> bool:
    """A JSON Web Token: three base64url parts whose first decodes to a JSON object with ``alg``."""
    parts = text.split(".")
    if len(parts) != 3 or not parts[0].startswith("eyJ"):
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and "alg" in header


def entropy_bits_per_char(text: str, /) -> float:
    """Shannon entropy of the characters of ``text``, in bits per character."""
    if not text:
        return 0.0
    size = len(text)
    log2 = math.log2
    return -sum(share * log2(share) for share in [count / size for count in Counter(text).values()])
