"""Frozen test vectors for the wire format, context encoding and key derivation.

tests/vectors/envelope_v1.json holds RND, DET (AES-SIV) and SEAL envelopes; tests/vectors/envelope_v1_det_gcm.json
the DET_GCM envelopes (deterministic AES-GCM with a synthetic nonce) under the same keys. They must never change for
version 1. The vectors were generated once; a failure here means stored ciphertexts would become unreadable. Never
regenerate them: fix the code.

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
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sfshield.crypto import (
    DeterministicAlgorithm,
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
GCM_VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parents[1] / "vectors" / "envelope_v1_det_gcm.json").read_text()
)
TENANT: str = VECTORS["tenant"]
ALL_VECTORS: list[dict[str, Any]] = [*VECTORS["vectors"], *GCM_VECTORS["vectors"]]
SCHEMES = {"RND": envelope.RND, "DET": envelope.DET, "SEAL": envelope.SEAL, "DET_GCM": envelope.DET_GCM}


def _wrap_aad(tenant: str, key_id: int, commitment: bytes) -> bytes:
    name = tenant.encode()
    return b"sfshield/v1 dek" + len(name).to_bytes(2, "big") + name + key_id.to_bytes(4, "big") + commitment


def build_keyring() -> Keyring:
    """The vectors' keyring, its key records rebuilt from the documented layout."""
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


def build_cipher(keyring: Keyring, algorithm: DeterministicAlgorithm, *, migrating: bool = False) -> EnvelopeCipher:
    """A cipher over the vectors' join domains, each declared with ``algorithm`` (moving from the other one)."""
    previous = next(a for a in DeterministicAlgorithm if a is not algorithm) if migrating else None
    domains = [
        JoinDomain(d["name"], Normalization(d["normalization"]), algorithm, previous) for d in VECTORS["domains"]
    ]
    return EnvelopeCipher(keyring, domains=domains)


@pytest.fixture(scope="module")
def keyring() -> Keyring:
    return build_keyring()


@pytest.fixture(scope="module", params=list(DeterministicAlgorithm))
def cipher(keyring: Keyring, request: pytest.FixtureRequest) -> EnvelopeCipher:
    """Every vector decrypts under a domain that declares either algorithm and migrates from the other."""
    return build_cipher(keyring, request.param, migrating=True)


@pytest.mark.parametrize(
    "vector", [v for v in ALL_VECTORS if v["scheme"] in ("DET", "DET_GCM")], ids=lambda v: v["name"]
)
def test_a_domain_decrypts_only_its_own_algorithm(keyring: Keyring, vector: dict[str, Any]) -> None:
    """Without migrating_from, a domain refuses the other algorithm's envelopes (nothing is accepted by accident)."""
    own = DeterministicAlgorithm.AES_SIV if vector["scheme"] == "DET" else DeterministicAlgorithm.BLAKE2B_GCM
    other = next(a for a in DeterministicAlgorithm if a is not own)
    blob, plaintext = bytes.fromhex(vector["envelope_hex"]), bytes.fromhex(vector["plaintext_hex"])
    assert build_cipher(keyring, own).decrypt(blob, context=vector["context"]) == plaintext
    with pytest.raises(DecryptionError):
        build_cipher(keyring, other).decrypt(blob, context=vector["context"])


@pytest.mark.parametrize(
    "entry", [*VECTORS["subkeys"], *GCM_VECTORS["subkeys"]], ids=lambda e: f"{e['key_id']}-{e['label']}"
)
def test_subkey_derivation_is_frozen(keyring: Keyring, entry: dict[str, Any]) -> None:
    assert keyring.subkey(TENANT, entry["key_id"], entry["label"], length=entry["length"]).hex() == entry["hex"]


@pytest.mark.parametrize("vector", ALL_VECTORS, ids=lambda v: v["name"])
def test_vectors_decrypt(cipher: EnvelopeCipher, vector: dict[str, Any]) -> None:
    context = EncryptionContext(vector["context"])
    blob = bytes.fromhex(vector["envelope_hex"])
    assert context.aad.hex() == vector["context_aad_hex"]
    assert envelope.to_text(blob) == vector["text"]
    assert envelope.from_text(vector["text"]) == blob
    assert blob[0] == SCHEMES[vector["scheme"]]
    assert cipher.decrypt(blob, context=context) == bytes.fromhex(vector["plaintext_hex"])


@pytest.mark.parametrize(
    "vector", [v for v in ALL_VECTORS if v["scheme"] in ("DET", "DET_GCM")], ids=lambda v: v["name"]
)
def test_deterministic_vectors_encrypt_to_the_same_bytes(keyring: Keyring, vector: dict[str, Any]) -> None:
    """Encrypting the plaintext again gives the frozen bytes (under every decryptable key, primary first)."""
    algorithm = DeterministicAlgorithm.AES_SIV if vector["scheme"] == "DET" else DeterministicAlgorithm.BLAKE2B_GCM
    cipher = build_cipher(keyring, algorithm)
    plaintext = bytes.fromhex(vector["plaintext_hex"])
    every_key = [blob.hex() for blob in cipher.encrypt_deterministic_all(plaintext, context=vector["context"])]
    assert vector["envelope_hex"] in every_key[: len(VECTORS["root_keys"])]
    if int(vector["envelope_hex"][2:10], 16) == 2:  # the primary key
        assert cipher.encrypt_deterministic(plaintext, context=vector["context"]).hex() == vector["envelope_hex"]


@pytest.mark.parametrize("vector", GCM_VECTORS["vectors"], ids=lambda v: v["name"])
def test_det_gcm_vectors_follow_the_documented_construction(keyring: Keyring, vector: dict[str, Any]) -> None:
    """An independent reading of DET_GCM (sfshield.crypto.envelope): keyed BLAKE2b nonce, then AES-256-GCM."""
    blob = bytes.fromhex(vector["envelope_hex"])
    head, plaintext = blob[:5], bytes.fromhex(vector["plaintext_hex"])
    domain = next(d for d in VECTORS["domains"] if d["name"] == vector["context"]["domain"])
    label = f"det-gcm|{domain['name']}|{domain['normalization']}"
    material = keyring.subkey(TENANT, int.from_bytes(head[1:5], "big"), label, length=64)
    aad = head + bytes.fromhex(vector["context_aad_hex"])
    nonce_key = hashlib.blake2b(aad, key=material[:32], digest_size=32, person=b"sfshield/det ctx").digest()
    nonce = hashlib.blake2b(plaintext, key=nonce_key, digest_size=12, person=b"sfshield/det iv").digest()
    assert blob == head + nonce + AESGCM(material[32:]).encrypt(nonce, plaintext, aad)


@pytest.mark.parametrize("vector", ALL_VECTORS, ids=lambda v: v["name"])
def test_vectors_fail_under_any_other_context(cipher: EnvelopeCipher, vector: dict[str, Any]) -> None:
    blob = bytes.fromhex(vector["envelope_hex"])
    for key, value in vector["context"].items():
        if key == "tenant":
            continue  # another tenant has no keys here at all; covered in test_cipher
        changed = {**vector["context"], key: value + "x"}
        with pytest.raises(DecryptionError):
            cipher.decrypt(blob, context=changed)
