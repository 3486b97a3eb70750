"""Frozen test vectors (tests/vectors/envelope_v1.json) for the wire format, context encoding and key derivation.

They must never change for version 1. The vectors were generated once; a failure here means stored ciphertexts
would become unreadable. Never regenerate them: fix the code.

The key records are rebuilt here from the documented layout (sfshield.crypto.keyring's docstring), not with the
library's private helpers, so this file is an independent reading of the format.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from sfshield.crypto import (
    EncryptionContext,
    EnvelopeCipher,
    JoinDomain,
    KeyRecord,
    Keyring,
    KeyState,
    MemoryKeyStore,
    Normalization,
    envelope,
)
from sfshield.exceptions import DecryptionError
from sfshield.testing import InMemoryKeyProvider

VECTORS: dict[str, Any] = json.loads((Path(__file__).parents[1] / "vectors" / "envelope_v1.json").read_text())
TENANT: str = VECTORS["tenant"]


def _wrap_aad(tenant: str, key_id: int, commitment: bytes) -> bytes:
    name = tenant.encode()
    return b"sfshield/v1 dek" + len(name).to_bytes(2, "big") + name + key_id.to_bytes(4, "big") + commitment


@pytest.fixture(scope="module")
def keyring() -> Keyring:
    provider = InMemoryKeyProvider()
    store = MemoryKeyStore()
    for entry in VECTORS["root_keys"]:
        root = bytes.fromhex(entry["root_hex"])
        commitment = hmac.new(root, b"sfshield/v1 commit", hashlib.sha256).digest()
        assert commitment.hex() == entry["commitment_hex"]
        wrapped = provider.wrap(
            root, key_id=provider.primary_key_id, aad=_wrap_aad(TENANT, entry["key_id"], commitment)
        )
        store.save(
            [
                KeyRecord(
                    TENANT,
                    entry["key_id"],
                    KeyState(entry["state"]),
                    provider.primary_key_id,
                    wrapped,
                    commitment,
                    datetime(2026, 11, 27, tzinfo=UTC),
                )
            ]
        )
    return Keyring(provider, store=store)


@pytest.fixture(scope="module")
def cipher(keyring: Keyring) -> EnvelopeCipher:
    domains = [JoinDomain(d["name"], Normalization(d["normalization"])) for d in VECTORS["domains"]]
    return EnvelopeCipher(keyring, domains=domains)


@pytest.mark.parametrize("entry", VECTORS["subkeys"], ids=lambda e: f"{e['key_id']}-{e['label']}")
def test_subkey_derivation_is_frozen(keyring: Keyring, entry: dict[str, Any]) -> None:
    assert keyring.subkey(TENANT, entry["key_id"], entry["label"], length=entry["length"]).hex() == entry["hex"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_vectors_decrypt(cipher: EnvelopeCipher, vector: dict[str, Any]) -> None:
    context = EncryptionContext(vector["context"])
    blob = bytes.fromhex(vector["envelope_hex"])
    assert context.aad.hex() == vector["context_aad_hex"]
    assert envelope.to_text(blob) == vector["text"]
    assert envelope.from_text(vector["text"]) == blob
    assert blob[0] == {"RND": envelope.RND, "DET": envelope.DET, "SEAL": envelope.SEAL}[vector["scheme"]]
    assert cipher.decrypt(blob, context=context) == bytes.fromhex(vector["plaintext_hex"])


@pytest.mark.parametrize("vector", [v for v in VECTORS["vectors"] if v["scheme"] == "DET"], ids=lambda v: v["name"])
def test_deterministic_vectors_encrypt_to_the_same_bytes(cipher: EnvelopeCipher, vector: dict[str, Any]) -> None:
    plaintext = bytes.fromhex(vector["plaintext_hex"])
    assert cipher.encrypt_deterministic(plaintext, context=vector["context"]).hex() == vector["envelope_hex"]


@pytest.mark.parametrize("vector", VECTORS["vectors"], ids=lambda v: v["name"])
def test_vectors_fail_under_any_other_context(cipher: EnvelopeCipher, vector: dict[str, Any]) -> None:
    blob = bytes.fromhex(vector["envelope_hex"])
    for key, value in vector["context"].items():
        if key == "tenant":
            continue  # another tenant has no keys here at all; covered in test_cipher
        changed = {**vector["context"], key: value + "x"}
        with pytest.raises(DecryptionError):
            cipher.decrypt(blob, context=changed)
