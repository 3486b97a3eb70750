"""Join domains: which fields encrypt deterministically together, how their values are normalised, and with what.

A :class:`JoinDomain` names a set of fields whose deterministic ciphertexts are comparable (``email`` for
``Contact.Email`` and ``Lead.Email``), with its :class:`Normalization` and its :class:`DeterministicAlgorithm`.
:class:`~sfshield.crypto.EnvelopeCipher` takes the domains it may encrypt under; the security contract of the two
algorithms is in :mod:`sfshield.crypto.cipher`.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from typing import Final, TypeVar

from sfshield.crypto import envelope

__all__ = ["DeterministicAlgorithm", "JoinDomain", "Normalization"]

_DET: Final = envelope.DET
_DET_GCM: Final = envelope.DET_GCM
_E = TypeVar("_E", bound=StrEnum)


class Normalization(StrEnum):
    """How a join domain normalises text before deterministic encryption (part of the domain's key)."""

    EXACT = "exact"
    """Bytes as given."""
    CASEFOLD = "casefold"
    """Unicode NFKC, case-folded, surrounding whitespace removed: ``" Ana@Example.COM"`` joins ``"ana@example.com"``
    (Salesforce's case-insensitive deterministic encryption)."""
    DIGITS = "digits"
    """Only the digits (and a leading ``+``) are kept: ``"+1 (415) 555-0100"`` joins ``"+14155550100"``."""

    def apply(self, data: bytes) -> bytes:
        """Return ``data`` normalised.

        Raises:
            ValueError: a text normalisation got bytes that are not UTF-8, or nothing is left after it (a value
                without digits under ``DIGITS``, only spaces under ``CASEFOLD``): such values would all share one
                ciphertext. The message never contains the value, and no exception carrying it is chained.
        """
        if self is Normalization.EXACT:
            return data
        try:
            text = _as_bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            text = None  # raised below, outside this block, so the error that holds the bytes is not chained
        if text is None:
            raise ValueError(
                f"the value is not UTF-8 text, which {self.name} normalisation needs; declare the join domain with "
                "Normalization.EXACT to join binary values"
            ) from None
        if self is Normalization.CASEFOLD:
            normalised = unicodedata.normalize("NFKC", text).casefold().strip()
        else:
            stripped = text.strip()
            digits = "".join(ch for ch in stripped if ch.isascii() and ch.isdigit())
            normalised = ("+" if stripped.startswith("+") else "") + digits if digits else ""
        if not normalised:
            raise ValueError(
                f"nothing is left of the value after {self.name} normalisation; such values would all share one "
                "ciphertext. Leave them out (or null), or declare the join domain with Normalization.EXACT"
            )
        return normalised.encode()


class DeterministicAlgorithm(StrEnum):
    """How a join domain encrypts deterministically; part of the domain's declaration (and of its key's label).

    Both are deterministic authenticated encryption under a key per tenant, data key and domain; both decrypt
    whatever the domain declares, so a domain can move from one to the other with :meth:`EnvelopeCipher.reencrypt`
    (joins then need :meth:`EnvelopeCipher.encrypt_deterministic_all` until the move is done).
    """

    BLAKE2B_GCM = "blake2b-gcm"
    """AES-256-GCM whose 96-bit nonce is keyed BLAKE2b of the normalised plaintext, under a key derived from the
    domain key, the header and the context (envelope scheme ``DET_GCM``, 33 bytes of overhead); decryption
    recomputes the nonce and refuses a mismatch. The default: one AES pass and a short hash per value, where AES-SIV
    needs two AES passes. Safe for about 2³² distinct (context, value) pairs per data key and domain."""
    AES_SIV = "aes-siv"
    """AES-256-SIV (RFC 5297; envelope scheme ``DET``, 21 bytes of overhead). Choose it where a standardised
    deterministic AEAD is required, or where the nonce's 2³²-values bound matters more than speed."""


@dataclass(frozen=True, slots=True)
class JoinDomain:
    """A named set of fields whose deterministic ciphertexts are comparable.

    For example ``email`` for ``Contact.Email`` and ``Lead.Email``. Each (tenant, domain, normalisation,
    algorithm) has its own key. ``normalization`` and ``algorithm`` may be given as their values (``"casefold"``,
    ``"aes-siv"``); they are stored as a :class:`Normalization` and a :class:`DeterministicAlgorithm`.

    A domain decrypts only its own algorithm's envelopes. To move a domain from one algorithm to the other,
    declare the new ``algorithm`` with ``migrating_from`` set to the old one: then both decrypt,
    :meth:`EnvelopeCipher.reencrypt` moves values to the new one, and
    :meth:`EnvelopeCipher.encrypt_deterministic_all` gives a value's ciphertexts under both for joins. Drop
    ``migrating_from`` once every stored value has moved.

    Raises:
        ValueError: the name is not letters, digits, ``-`` or ``_``, the normalisation or an algorithm is unknown,
            or ``migrating_from`` is the domain's own algorithm.
    """

    name: str
    normalization: Normalization = Normalization.EXACT
    algorithm: DeterministicAlgorithm = DeterministicAlgorithm.BLAKE2B_GCM
    migrating_from: DeterministicAlgorithm | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.replace("_", "").replace("-", "").isalnum():
            raise ValueError(f"join domain name {self.name!r} must be letters, digits, '-' or '_'")
        object.__setattr__(
            self, "normalization", _member(Normalization, self.normalization, self.name, "normalization")
        )
        object.__setattr__(self, "algorithm", _member(DeterministicAlgorithm, self.algorithm, self.name, "algorithm"))
        if self.migrating_from is not None:
            previous = _member(DeterministicAlgorithm, self.migrating_from, self.name, "migrating_from")
            if previous is self.algorithm:
                raise ValueError(f"join domain {self.name!r} cannot migrate from its own algorithm {previous.value!r}")
            object.__setattr__(self, "migrating_from", previous)

    @property
    def scheme(self) -> int:
        """The envelope scheme byte this domain's deterministic ciphertexts carry."""
        return _scheme_of(self.algorithm)

    @property
    def schemes(self) -> tuple[int, ...]:
        """The scheme bytes this domain decrypts: its own, then (while it migrates) the one it moves from."""
        if self.migrating_from is None:
            return (self.scheme,)
        return (self.scheme, _scheme_of(self.migrating_from))


def _member(kind: type[_E], value: object, domain: str, field: str) -> _E:
    """``value`` as a member of ``kind`` (given as the member or its value).

    Raises:
        ValueError: ``value`` is neither; the message lists the valid values.
    """
    if isinstance(value, kind):
        return value
    try:
        return kind(value)  # type: ignore[arg-type]  # any value: a wrong one raises below
    except ValueError:
        known = ", ".join(repr(member.value) for member in kind)
        raise ValueError(f"join domain {domain!r}: {field} must be one of {known}, not {value!r}") from None


def _scheme_of(algorithm: DeterministicAlgorithm) -> int:
    return _DET if algorithm is DeterministicAlgorithm.AES_SIV else _DET_GCM


def _as_bytes(data: object) -> bytes:
    if isinstance(data, bytes):
        return data
    if isinstance(data, bytearray | memoryview):
        return bytes(data)
    raise _not_bytes(data)


def _not_bytes(data: object) -> TypeError:
    return TypeError(f"data must be bytes, not {type(data).__name__}; encode text first (for example .encode())")
