"""Salesforce ids: the 15-character case-sensitive id, its 18-character case-safe form, and the check of both."""

from __future__ import annotations

import re
from typing import Final

__all__ = ["ID_SHAPE", "SUFFIX_ALPHABET", "case_suffix", "id18"]

SUFFIX_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
"""The 32 characters of the case-safe suffix: each encodes which of 5 id characters are upper-case letters."""
ID_SHAPE: Final = re.compile(r"[0-9A-Za-z]{15}(?:[0-9A-Za-z]{3})?")
"""A 15- or 18-character id: letters and digits only (so it can be quoted into SOQL without escaping)."""


def case_suffix(id15: str, /) -> str:
    """The 3-character suffix that makes a 15-character id case-safe.

    For each 5-character chunk, bit ``i`` is set when character ``i`` is an upper-case letter ``A``-``Z``; the
    5-bit value indexes :data:`SUFFIX_ALPHABET`.
    """
    return "".join(
        SUFFIX_ALPHABET[sum(1 << bit for bit, char in enumerate(id15[start : start + 5]) if "A" <= char <= "Z")]
        for start in (0, 5, 10)
    )


def id18(value: object, prefix: str, name: str) -> str:
    """``value`` as an 18-character id, checking its shape, its key prefix and (for 18 characters) its suffix.

    Args:
        value: a 15- or 18-character id.
        prefix: the key prefix the id must start with (``"00D"`` for an org, ``"005"`` for a user).
        name: how messages name the value (``"org_id"``).

    Raises:
        ValueError: the value is not such an id. The message never repeats the value: a token pasted by mistake
            would otherwise land in logs.
    """
    if not isinstance(value, str) or not ID_SHAPE.fullmatch(value) or not value.startswith(prefix):
        raise ValueError(f"{name} must be a 15- or 18-character Salesforce id starting with {prefix!r}")
    full = value[:15] + case_suffix(value[:15])
    if len(value) == 18 and value != full:
        raise ValueError(
            f"{name} is not a valid 18-character id: its last 3 characters should be {full[15:]} (case changed?)"
        )
    return full
