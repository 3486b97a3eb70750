"""The envelope: sfshield's compact, versioned, self-describing ciphertext format.

Binary layout (all integers big-endian)::

    RND      [fmt 1][key_id 4][nonce 12][ciphertext n][tag 16]              overhead 33 bytes
    DET      [fmt 1][key_id 4][siv 16][ciphertext n]                        overhead 21 bytes
    SEAL     [fmt 1][key_id 4][salt 16][commitment 16][ciphertext n][tag 16] overhead 53 bytes
    DET_GCM  [fmt 1][key_id 4][siv 12][ciphertext n][tag 16]                overhead 33 bytes

- ``fmt`` holds the format version in the high nibble (1) and the scheme in the low nibble:
  ``1`` = RND, AES-256-GCM under the tenant's purpose key with a random nonce;
  ``2`` = DET, AES-256-SIV (RFC 5297) under the tenant's join-domain key, equal plaintexts give equal
  ciphertexts within one tenant, purpose and domain;
  ``3`` = SEAL, AES-256-GCM under a key derived per message from a random salt, with a 16-byte key commitment,
  for self-contained messages that leave the trust boundary (Platform Event payloads);
  ``4`` = DET_GCM, deterministic AES-256-GCM with a synthetic nonce: ``siv`` is keyed BLAKE2b (96-bit output)
  of the normalised plaintext under a key derived from the join-domain key, the header and the context, so
  equal plaintexts give equal ciphertexts exactly as with ``2`` (see :mod:`sfshield.crypto.cipher`).
  Any other byte is refused: there is no fallback.
- ``key_id`` names one data-key version in the tenant's keyring (see :mod:`sfshield.crypto.keyring`).
- The associated data of every scheme is ``header ‖ context`` where ``header`` is the first five bytes and
  ``context`` the canonical bytes of :class:`~sfshield.crypto.EncryptionContext`: the scheme and key id cannot be
  swapped and the context is authenticated but never stored.
- Envelopes are bounded before parsing: at most :data:`MAX_ENVELOPE_BYTES`, at least the scheme's overhead.

Text form (for record fields and JSON): ``"sf1:" + base64url(envelope)`` without padding. The marker lets a
migration tell ciphertext from plaintext in a mixed column; a marker alone proves nothing (the filter
authenticates before it skips a value). A 60-byte value becomes 124 characters under RND.
"""

from __future__ import annotations

import base64
import binascii
from typing import Final

__all__ = [
    "DET",
    "DET_GCM",
    "FORMAT_VERSION",
    "HEADER_BYTES",
    "MAX_ENVELOPE_BYTES",
    "RND",
    "SEAL",
    "TEXT_PREFIX",
    "from_text",
    "header",
    "to_text",
]

FORMAT_VERSION: Final = 1
RND: Final = (FORMAT_VERSION << 4) | 1
DET: Final = (FORMAT_VERSION << 4) | 2
SEAL: Final = (FORMAT_VERSION << 4) | 3
DET_GCM: Final = (FORMAT_VERSION << 4) | 4

HEADER_BYTES: Final = 5
NONCE_BYTES: Final = 12
TAG_BYTES: Final = 16
SIV_BYTES: Final = 16
SALT_BYTES: Final = 16
COMMITMENT_BYTES: Final = 16

MIN_BYTES: Final = {
    RND: HEADER_BYTES + NONCE_BYTES + TAG_BYTES,
    DET: HEADER_BYTES + SIV_BYTES,
    SEAL: HEADER_BYTES + SALT_BYTES + COMMITMENT_BYTES + TAG_BYTES,
    DET_GCM: HEADER_BYTES + NONCE_BYTES + TAG_BYTES,
}
MAX_ENVELOPE_BYTES: Final = 64 * 1024 * 1024
"""The largest envelope accepted (64 MiB); larger input is refused before any parsing."""
MAX_KEY_ID: Final = 2**32 - 1

TEXT_PREFIX: Final = "sf1:"
_MAX_TEXT_CHARS: Final = len(TEXT_PREFIX) + (MAX_ENVELOPE_BYTES * 4 + 2) // 3


def header(scheme: int, key_id: int) -> bytes:
    """The five header bytes for ``scheme`` and ``key_id``."""
    if scheme not in MIN_BYTES:
        raise ValueError(f"unknown scheme byte {scheme:#04x}")
    if not 0 < key_id <= MAX_KEY_ID:
        raise ValueError(f"key id must be 1 to {MAX_KEY_ID}, got {key_id}")
    return bytes((scheme,)) + key_id.to_bytes(4, "big")


def to_text(envelope: bytes, /) -> str:
    """The text form of an envelope: ``sf1:`` + unpadded base64url."""
    return TEXT_PREFIX + base64.urlsafe_b64encode(envelope).rstrip(b"=").decode("ascii")


def from_text(text: str, /) -> bytes | None:
    """The envelope inside a text form, or ``None`` when ``text`` is not one (wrong prefix, bad base64, too long).

    ``None`` only means "not an envelope"; the bytes returned are not authenticated yet.
    """
    if not text.startswith(TEXT_PREFIX) or len(text) > _MAX_TEXT_CHARS:
        return None
    body = text[len(TEXT_PREFIX) :]
    try:
        return base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError):
        return None
