"""EnvelopeCipher: round trips, context binding, tampering, truncation, deterministic joins, sealed messages."""

from __future__ import annotations

import pickle

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.crypto import (
    DeterministicAlgorithm,
    EncryptionContext,
    EnvelopeCipher,
    JoinDomain,
    Normalization,
    envelope,
)
from sfshield.exceptions import ConfigurationError, DecryptionError
from sfshield.secret import Secret
from sfshield.testing import InMemoryKeyProvider

CTX = EncryptionContext(
    tenant="acme", purpose="training", sobject="Contact", field="Email", record_id="0035g00000ABCDEAA2"
)
DET_CTX = EncryptionContext(tenant="acme", purpose="training", domain="email")
SIV_CTX = DET_CTX.replace(domain="email_siv")
SEAL_CTX = EncryptionContext(tenant="acme", purpose="event", event="Order_Sync__e", message_id="m-1")
PLAIN = b"ana.lopez@example.com, +34 600 123 456, card 4111 1111 1111 1111 ....."[:60]


@pytest.fixture(scope="module")
def cipher() -> EnvelopeCipher:
    return EnvelopeCipher(
        InMemoryKeyProvider(),
        domains=[
            JoinDomain("email", Normalization.CASEFOLD),
            JoinDomain("phone", Normalization.DIGITS),
            JoinDomain("email_siv", Normalization.CASEFOLD, DeterministicAlgorithm.AES_SIV),
        ],
    )


KINDS = ["rnd", "det", "seal", "det-siv"]


def _envelopes(cipher: EnvelopeCipher) -> list[tuple[bytes, EncryptionContext]]:
    return [
        (cipher.encrypt(PLAIN, context=CTX), CTX),
        (cipher.encrypt_deterministic(PLAIN, context=DET_CTX), DET_CTX),
        (cipher.seal(PLAIN, context=SEAL_CTX), SEAL_CTX),
        (cipher.encrypt_deterministic(PLAIN, context=SIV_CTX), SIV_CTX),
    ]


def test_round_trip_and_overheads(cipher: EnvelopeCipher) -> None:
    rnd = cipher.encrypt(PLAIN, context=CTX)
    det = cipher.encrypt_deterministic(PLAIN, context=DET_CTX)
    sealed = cipher.seal(PLAIN, context=SEAL_CTX)
    siv = cipher.encrypt_deterministic(PLAIN, context=SIV_CTX)
    normalised = Normalization.CASEFOLD.apply(PLAIN)
    assert len(rnd) - len(PLAIN) == 33
    assert len(det) - len(normalised) == 33
    assert len(sealed) - len(PLAIN) == 53
    assert len(siv) - len(normalised) == 21
    assert cipher.decrypt(rnd, context=CTX) == PLAIN
    assert cipher.decrypt(det, context=DET_CTX) == PLAIN.decode().casefold().strip().encode() == normalised
    assert cipher.decrypt(sealed, context=SEAL_CTX) == PLAIN
    assert cipher.decrypt(siv, context=SIV_CTX) == normalised
    assert (rnd[0], det[0], sealed[0], siv[0]) == (envelope.RND, envelope.DET_GCM, envelope.SEAL, envelope.DET)


def test_random_mode_never_repeats(cipher: EnvelopeCipher) -> None:
    assert len({cipher.encrypt(b"same", context=CTX) for _ in range(200)}) == 200


@pytest.mark.parametrize("kind", KINDS)
def test_every_flipped_byte_is_refused(cipher: EnvelopeCipher, kind: str) -> None:
    blob, ctx = dict(zip(KINDS, _envelopes(cipher), strict=True))[kind]
    for index in range(len(blob)):
        for bit in (0x01, 0x80):
            damaged = bytearray(blob)
            damaged[index] ^= bit
            with pytest.raises(DecryptionError) as caught:
                cipher.decrypt(bytes(damaged), context=ctx)
            assert str(caught.value) == DecryptionError.MESSAGE
            assert caught.value.__cause__ is None
            assert caught.value.__suppress_context__


@pytest.mark.parametrize("kind", KINDS)
def test_every_truncation_and_extension_is_refused(cipher: EnvelopeCipher, kind: str) -> None:
    blob, ctx = dict(zip(KINDS, _envelopes(cipher), strict=True))[kind]
    for length in range(len(blob)):
        with pytest.raises(DecryptionError):
            cipher.decrypt(blob[:length], context=ctx)
    with pytest.raises(DecryptionError):
        cipher.decrypt(blob + b"\x00", context=ctx)


@pytest.mark.parametrize(
    "moved",
    [
        {"tenant": "globex"},
        {"record_id": "0035g00000ZZZZZAA2"},
        {"record_id": None},
        {"field": "Phone"},
        {"sobject": "Lead"},
        {"purpose": "inference"},
        {"extra": "x"},
    ],
    ids=",".join,
)
def test_a_value_moved_to_another_context_does_not_decrypt(cipher: EnvelopeCipher, moved: dict[str, str]) -> None:
    blob = cipher.encrypt(PLAIN, context=CTX)
    cipher.encrypt(b"make sure the other tenant has keys", context=CTX.replace(tenant="globex"))
    with pytest.raises(DecryptionError):
        cipher.decrypt(blob, context=CTX.replace(**moved))


@pytest.mark.parametrize("ctx", [DET_CTX, SIV_CTX], ids=["blake2b-gcm", "aes-siv"])
def test_deterministic_joins_within_a_domain_only(cipher: EnvelopeCipher, ctx: EncryptionContext) -> None:
    first = cipher.encrypt_deterministic(b" Ana@Example.COM", context=ctx)
    assert first == cipher.encrypt_deterministic(b"ana@example.com", context=ctx)
    other_tenant = ctx.replace(tenant="globex")
    assert first != cipher.encrypt_deterministic(b"ana@example.com", context=other_tenant)
    assert first != cipher.encrypt_deterministic(b"ana@example.com", context=ctx.replace(purpose="rag"))
    other_algorithm = SIV_CTX if ctx is DET_CTX else DET_CTX
    assert first[5:] not in cipher.encrypt_deterministic(b"ana@example.com", context=other_algorithm)
    phone = DET_CTX.replace(domain="phone")
    assert cipher.encrypt_deterministic(b"+1 (415) 555-0100", context=phone) == cipher.encrypt_deterministic(
        b"+14155550100", context=phone
    )
    with pytest.raises(DecryptionError):
        cipher.decrypt(first, context=phone)


def test_a_join_domain_moves_between_algorithms_with_reencrypt() -> None:
    """AES-SIV values stay readable after the domain moves to BLAKE2b-GCM; reencrypt moves them; joins see both."""
    keyring = EnvelopeCipher(InMemoryKeyProvider()).keyring
    siv, gcm = DeterministicAlgorithm.AES_SIV, DeterministicAlgorithm.BLAKE2B_GCM
    before = EnvelopeCipher(keyring, domains=[JoinDomain("email", Normalization.CASEFOLD, siv)])
    after = EnvelopeCipher(keyring, domains=[JoinDomain("email", Normalization.CASEFOLD, gcm)])
    moving = EnvelopeCipher(keyring, domains=[JoinDomain("email", Normalization.CASEFOLD, gcm, migrating_from=siv)])
    old = before.encrypt_deterministic(b"a@x.io", context=DET_CTX)
    assert old[0] == envelope.DET
    with pytest.raises(DecryptionError):  # a domain reads only its own algorithm unless it says it is moving
        after.decrypt(old, context=DET_CTX)
    assert moving.decrypt(old, context=DET_CTX) == b"a@x.io"
    moved = moving.reencrypt(old, context=DET_CTX)
    assert moved[0] == envelope.DET_GCM
    assert moved == after.encrypt_deterministic(b"A@X.io", context=DET_CTX)
    assert moving.reencrypt(moved, context=DET_CTX) is moved
    assert moving.encrypt_deterministic_all(b"a@x.io", context=DET_CTX) == [moved, old]
    assert after.encrypt_deterministic_all(b"a@x.io", context=DET_CTX) == [moved]
    assert before.encrypt_deterministic_all(b"a@x.io", context=DET_CTX) == [old]
    with pytest.raises(ValueError, match="cannot migrate from its own algorithm"):
        JoinDomain("email", algorithm=gcm, migrating_from=gcm)


def test_reencrypt_does_not_normalise_twice() -> None:
    """Casefold then NFKC is not idempotent for every text; a moved value must still join fresh encryptions."""
    keyring = EnvelopeCipher(InMemoryKeyProvider()).keyring
    siv, gcm = DeterministicAlgorithm.AES_SIV, DeterministicAlgorithm.BLAKE2B_GCM
    before = EnvelopeCipher(keyring, domains=[JoinDomain("email", Normalization.CASEFOLD, siv)])
    moving = EnvelopeCipher(keyring, domains=[JoinDomain("email", Normalization.CASEFOLD, gcm, migrating_from=siv)])
    value = "Stra\u00df\u0301@x.io".encode()
    normalised = Normalization.CASEFOLD.apply(value)
    assert Normalization.CASEFOLD.apply(normalised) != normalised  # the case this test is about
    moved = moving.reencrypt(before.encrypt_deterministic(value, context=DET_CTX), context=DET_CTX)
    assert moving.decrypt(moved, context=DET_CTX) == normalised
    assert moved == moving.encrypt_deterministic(value, context=DET_CTX)


def test_a_det_gcm_envelope_whose_nonce_is_not_its_plaintexts_is_refused(cipher: EnvelopeCipher) -> None:
    """GCM alone would accept an envelope made with the right key and any nonce; the nonce check refuses it.

    (Two values sharing a nonce would reveal GCM's authentication key; this check keeps forgeries out even then.)
    """
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: PLC0415

    blob = cipher.encrypt_deterministic(b"a@x.io", context=DET_CTX)
    key_id = cipher.key_id_of(blob)
    material = cipher.keyring.subkey("acme", key_id, "det-gcm|email|casefold", length=64)
    aad, nonce = blob[:5] + DET_CTX.aad, bytes(12)
    forged = blob[:5] + nonce + AESGCM(material[32:]).encrypt(nonce, b"evil@x.io", aad)
    for call in (
        lambda: cipher.decrypt(forged, context=DET_CTX),
        lambda: cipher.decrypt_many([blob, forged], context=DET_CTX),
    ):
        with pytest.raises(DecryptionError):
            call()
    assert cipher.decrypt_many([blob, blob], context=DET_CTX) == [b"a@x.io", b"a@x.io"]


@pytest.mark.parametrize(("made", "claimed"), [(0x12, 0x14), (0x14, 0x12), (0x11, 0x14), (0x14, 0x11), (0x14, 0x13)])
def test_a_swapped_scheme_byte_is_refused(cipher: EnvelopeCipher, made: int, claimed: int) -> None:
    """An envelope relabelled as another scheme (same length rules permitting) never decrypts, under any context."""
    blobs = {0x11: cipher.encrypt(PLAIN, context=CTX), 0x12: cipher.encrypt_deterministic(PLAIN, context=SIV_CTX)}
    blobs[0x14] = cipher.encrypt_deterministic(PLAIN, context=DET_CTX)
    relabelled = bytes([claimed]) + blobs[made][1:]
    for ctx in (CTX, DET_CTX, SIV_CTX, SEAL_CTX):
        with pytest.raises(DecryptionError):
            cipher.decrypt(relabelled, context=ctx)


def test_batch_deterministic_encryption_takes_bytes_like_values(cipher: EnvelopeCipher) -> None:
    """Bytearray and memoryview values are accepted under a normalising domain, like bytes."""
    values = [bytearray(b"A@x.io"), memoryview(b"B@x.io")]
    expected = [cipher.encrypt_deterministic(v, context=DET_CTX) for v in (b"a@x.io", b"b@x.io")]
    assert cipher.encrypt_deterministic_many(values, context=DET_CTX) == expected  # type: ignore[arg-type]


def test_deterministic_refuses_record_ids_and_undeclared_domains(cipher: EnvelopeCipher) -> None:
    with pytest.raises(ValueError, match="record id"):
        cipher.encrypt_deterministic(b"x", context=DET_CTX.with_record("0035g00000ABCDEAA2"))
    with pytest.raises(ValueError, match="not declared"):
        cipher.encrypt_deterministic(b"x", context=DET_CTX.replace(domain="iban"))
    with pytest.raises(ValueError, match="needs a 'domain'"):
        cipher.encrypt_deterministic(b"x", context=CTX.replace(record_id=None))


def test_batch_calls_match_single_calls(cipher: EnvelopeCipher) -> None:
    values = [bytes([i]) * i for i in range(50)]
    blobs = cipher.encrypt_many(values, context=CTX)
    assert [cipher.decrypt(b, context=CTX) for b in blobs] == values
    assert cipher.decrypt_many(blobs, context=CTX) == values
    for ctx in (DET_CTX, SIV_CTX):
        det = cipher.encrypt_deterministic_many([b"A@x.io", b"b@x.io"], context=ctx)
        assert det == [cipher.encrypt_deterministic(v, context=ctx) for v in (b"a@x.io", b"B@X.IO")]
        assert cipher.decrypt_many(det, context=ctx) == [b"a@x.io", b"b@x.io"]
    damaged = [*blobs[:3], blobs[3][:-1] + bytes([blobs[3][-1] ^ 1])]
    with pytest.raises(DecryptionError):
        cipher.decrypt_many(damaged, context=CTX)


class _BytesSubclass(bytes):
    """A bytes subclass: decrypt() refuses it, so a batch holding one must fail too."""


@pytest.fixture(scope="module")
def mixed_batches() -> tuple[EnvelopeCipher, dict[EncryptionContext, tuple[list[object], list[object]]]]:
    """A cipher whose tenant rotated once, and per context: envelopes that decrypt, and values that do not."""
    cipher = EnvelopeCipher(InMemoryKeyProvider(), domains=[JoinDomain("email", Normalization.CASEFOLD)])
    old = [cipher.encrypt_deterministic(v, context=DET_CTX) for v in (b"a@x.io", b"b@x.io")]
    old_rnd = [cipher.encrypt(v, context=CTX) for v in (b"a", b"b")]
    cipher.keyring.rotate("acme")
    new = [cipher.encrypt_deterministic(v, context=DET_CTX) for v in (b"a@x.io", b"c@x.io")]
    new_rnd = [cipher.encrypt(v, context=CTX) for v in (b"c", b"")]
    flipped = new[0][:20] + bytes([new[0][20] ^ 1]) + new[0][21:]
    bad: list[object] = [flipped, b"", new[0][:5], "text", None, 7, cipher.encrypt(b"x", context=CTX.with_record("x"))]
    bad += [{}, {"a": 1}, _BytesSubclass(new[0]), new[0] + bytes(64 * 1024 * 1024)]  # refused by decrypt() too
    return cipher, {
        DET_CTX: ([*old, *new, bytearray(new[1]), memoryview(old[0])], bad),
        CTX: ([*old_rnd, *new_rnd, bytearray(new_rnd[0])], [*bad, new[0]]),
    }


@given(
    picks=st.lists(st.integers(0, 5), max_size=12), bad=st.none() | st.tuples(st.integers(0, 12), st.integers(0, 11))
)
def test_a_batch_decrypts_exactly_as_its_values_one_by_one(
    mixed_batches: tuple[EnvelopeCipher, dict[EncryptionContext, tuple[list[object], list[object]]]],
    picks: list[int],
    bad: tuple[int, int] | None,
) -> None:
    """Any mix of key ids, schemes and bytes-like types: the same plaintexts; one bad value anywhere: nothing."""
    cipher, pools = mixed_batches
    for ctx, (good, wrong) in pools.items():
        batch = [good[pick % len(good)] for pick in picks]
        if bad is None:
            expected = [cipher.decrypt(blob, context=ctx) for blob in batch]  # type: ignore[arg-type]
            assert cipher.decrypt_many(batch, context=ctx) == expected  # type: ignore[arg-type]
            continue
        position, which = bad
        batch.insert(position, wrong[which % len(wrong)])
        with pytest.raises(DecryptionError):
            cipher.decrypt_many(batch, context=ctx)  # type: ignore[arg-type]


def test_plain_mapping_contexts_equal_typed_contexts(cipher: EnvelopeCipher) -> None:
    as_dict = {"tenant": "acme", "purpose": "training", "object": "Contact", "field": "Email"}
    blob = cipher.encrypt(b"v", context=as_dict)
    assert cipher.decrypt(blob, context=EncryptionContext(as_dict)) == b"v"
    assert EncryptionContext(as_dict) == EncryptionContext(dict(reversed(as_dict.items())))


@pytest.mark.parametrize(
    ("pairs", "error"),
    [
        ({"purpose": "training"}, "needs 'tenant'"),
        ({"tenant": "acme"}, "needs 'purpose'"),
        ({"tenant": "acme", "purpose": "p", "Bad-Key": "v"}, "lower-case identifier"),
        ({"tenant": "acme", "purpose": ""}, "1 to 1024"),
        ({"tenant": "acme", "purpose": "p", "field": "x" * 1025}, "1 to 1024"),
    ],
)
def test_invalid_contexts_are_refused_with_a_reason(pairs: dict[str, str], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        EncryptionContext(pairs)


def test_with_record_encodes_exactly_like_a_fresh_context() -> None:
    base = EncryptionContext(tenant="t", purpose="p", sobject="Contact", field="Email")
    assert base.with_record("001").aad == EncryptionContext({**base, "record_id": "001"}).aad
    assert base.with_record("001") != base.with_record("002")


def test_non_bytes_input_is_refused(cipher: EnvelopeCipher) -> None:
    with pytest.raises(TypeError):
        cipher.encrypt("text", context=CTX)  # type: ignore[arg-type]
    with pytest.raises(DecryptionError):
        cipher.decrypt("sf1:abc", context=CTX)  # type: ignore[arg-type]
    with pytest.raises(DecryptionError):
        cipher.decrypt(b"\x11" + b"\xff" * 4 + bytes(64 * 1024 * 1024), context=CTX)
    for not_a_batch in (None, 5):
        with pytest.raises(DecryptionError):
            cipher.decrypt_many(not_a_batch, context=CTX)  # type: ignore[arg-type]


def test_unknown_tenant_key_id_and_version_are_opaque(cipher: EnvelopeCipher) -> None:
    blob = cipher.encrypt(PLAIN, context=CTX)
    unknown_key = blob[:1] + (999).to_bytes(4, "big") + blob[5:]
    future_version = bytes([0x21]) + blob[1:]
    for bad, ctx in [(blob, CTX.replace(tenant="never-seen")), (unknown_key, CTX), (future_version, CTX)]:
        with pytest.raises(DecryptionError):
            cipher.decrypt(bad, context=ctx)


def test_secret_holders_refuse_pickling_and_hide_keys(cipher: EnvelopeCipher) -> None:
    for holder in (cipher, cipher.keyring, cipher.keyring.provider, cipher.for_fields()):
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(holder)
    root = cipher.keyring.root_key("acme", 1)
    for holder in (cipher, cipher.keyring, cipher.keyring.provider, *cipher.keyring.records("acme")):
        shown = repr(holder)
        assert root.hex() not in shown
        assert repr(root) not in shown
        assert "b'" not in shown  # no raw bytes (wrapped keys, commitments) in any repr


def test_a_real_provider_without_a_store_is_refused() -> None:
    class DurableProvider(InMemoryKeyProvider):
        ephemeral = False

    with pytest.raises(ConfigurationError, match="store=SQLiteKeyStore"):
        EnvelopeCipher(DurableProvider())


def test_text_form_round_trips_and_rejects_non_envelopes() -> None:
    blob = bytes(range(40))
    text = envelope.to_text(blob)
    assert text.startswith("sf1:") and "=" not in text
    assert envelope.from_text(text) == blob
    assert envelope.from_text("plain text") is None
    assert envelope.from_text("sf1:" + "A" * 5) is None  # base64 of an impossible length


_context_values = st.text(min_size=1, max_size=40)
_extra_keys = st.from_regex(r"[a-z][a-z0-9_]{0,10}", fullmatch=True).filter(lambda k: k not in {"tenant", "purpose"})


@given(
    data=st.binary(max_size=2048),
    tenant=st.sampled_from(["acme", "globex", "initech"]),
    purpose=_context_values,
    extra=st.dictionaries(_extra_keys, _context_values, max_size=5),
)
def test_decrypt_inverts_encrypt_for_any_bytes_and_context(
    cipher: EnvelopeCipher, data: bytes, tenant: str, purpose: str, extra: dict[str, str]
) -> None:
    ctx = {**extra, "tenant": tenant, "purpose": purpose}
    ctx.pop("object", None)
    assert cipher.decrypt(cipher.encrypt(data, context=ctx), context=ctx) == data
    assert cipher.decrypt(cipher.seal(data, context=ctx), context=ctx) == data


@given(data=st.binary(max_size=512), domain=st.sampled_from(["email", "phone", "email_siv"]))
def test_deterministic_decrypt_returns_the_normalised_plaintext(
    cipher: EnvelopeCipher, data: bytes, domain: str
) -> None:
    ctx = DET_CTX.replace(domain=domain)
    normalization = cipher.domains[domain].normalization
    try:
        expected = normalization.apply(data)
    except ValueError:
        with pytest.raises(ValueError, match=r"UTF-8|nothing is left"):
            cipher.encrypt_deterministic(data, context=ctx)
        return
    blob = cipher.encrypt_deterministic(data, context=ctx)
    assert cipher.decrypt(blob, context=ctx) == expected
    assert normalization.apply(expected) == expected  # normalising twice changes nothing


@given(garbage=st.binary(max_size=200))
def test_arbitrary_bytes_never_decrypt_and_never_raise_anything_else(cipher: EnvelopeCipher, garbage: bytes) -> None:
    for ctx in (CTX, DET_CTX, SEAL_CTX, SIV_CTX):
        with pytest.raises(DecryptionError):
            cipher.decrypt(garbage, context=ctx)


# -- errors that must not carry the value --------------------------------------------------------------------------

LEAKY = b"ana.lopez@example.com hunter2 \xff"  # ends in a byte that is not UTF-8


def _assert_carries_nothing_of(exc: BaseException, secret: bytes) -> None:
    """Neither the exception nor anything chained to it shows a fragment of ``secret``."""
    shown = [repr(exc), str(exc), *map(repr, exc.args), *map(str, exc.args)]
    for fragment in (b"ana.lopez", b"hunter2", b"\xff"):
        assert fragment in secret
        for text in shown:
            assert fragment.decode("latin-1") not in text
            assert repr(fragment)[2:-1] not in text
    assert exc.__cause__ is None
    assert exc.__context__ is None


class TestErrorsCarryNoValue:
    @pytest.mark.parametrize("normalization", [Normalization.CASEFOLD, Normalization.DIGITS])
    def test_non_utf8_text_normalisation_names_the_problem_not_the_value(
        self, cipher: EnvelopeCipher, normalization: Normalization
    ) -> None:
        """A text normalisation refuses non-UTF-8 bytes with a ValueError that holds none of them."""
        domain = {Normalization.CASEFOLD: "email", Normalization.DIGITS: "phone"}[normalization]
        for call in (
            lambda: normalization.apply(LEAKY),
            lambda: cipher.encrypt_deterministic(LEAKY, context=DET_CTX.replace(domain=domain)),
            lambda: cipher.encrypt_deterministic_many([LEAKY], context=DET_CTX.replace(domain=domain)),
            lambda: cipher.encrypt_deterministic_all(LEAKY, context=DET_CTX.replace(domain=domain)),
        ):
            with pytest.raises(ValueError, match="not UTF-8 text") as caught:
                call()
            _assert_carries_nothing_of(caught.value, LEAKY)

    def test_revealing_binary_secret_bytes_as_text_hides_them(self) -> None:
        """Secret.reveal() on bytes that are not UTF-8 raises a ValueError that holds none of them."""
        with pytest.raises(ValueError, match="not UTF-8 text") as caught:
            Secret(LEAKY).reveal()
        _assert_carries_nothing_of(caught.value, LEAKY)
        assert Secret(LEAKY).reveal_bytes() == LEAKY


class TestNormalisationRefusesEmptyResults:
    @pytest.mark.parametrize("value", [b"", b"n/a", b"   ", b"+", b"unknown", b" + ( ) - "])
    def test_a_value_without_digits_is_refused(self, cipher: EnvelopeCipher, value: bytes) -> None:
        """DIGITS refuses a value with no digits, which would otherwise share one ciphertext with all such values."""
        with pytest.raises(ValueError, match="nothing is left of the value after DIGITS normalisation"):
            cipher.encrypt_deterministic(value, context=DET_CTX.replace(domain="phone"))

    @pytest.mark.parametrize("value", [b"", b"   ", b"\t\n", "\u3000".encode()])
    def test_a_value_that_casefolds_to_nothing_is_refused(self, cipher: EnvelopeCipher, value: bytes) -> None:
        """CASEFOLD refuses a value that is only white space."""
        with pytest.raises(ValueError, match="nothing is left of the value after CASEFOLD normalisation"):
            cipher.encrypt_deterministic(value, context=DET_CTX)

    def test_exact_still_encrypts_the_empty_value(self, cipher: EnvelopeCipher) -> None:
        """EXACT normalises nothing away, so an empty value stays a value."""
        exact = EnvelopeCipher(cipher.keyring, domains=[JoinDomain("email")])
        assert exact.decrypt(exact.encrypt_deterministic(b"", context=DET_CTX), context=DET_CTX) == b""


class TestMisuseIsExplained:
    @pytest.mark.parametrize(
        "call",
        [
            lambda c: c.encrypt("text", context=CTX),
            lambda c: c.encrypt_many(["text"], context=CTX),
            lambda c: c.encrypt_many([b"ok", "text"], context=CTX),
            lambda c: c.encrypt_many("text", context=CTX),
            lambda c: c.encrypt_deterministic("text", context=DET_CTX),
            lambda c: c.encrypt_deterministic_many(["a@x.io"], context=DET_CTX),
            lambda c: c.encrypt_deterministic_many((v for v in [b"a@x.io", 42]), context=DET_CTX),
            lambda c: c.encrypt_deterministic_many(["text"], context=DET_CTX.replace(domain="account")),
            lambda c: c.seal("text", context=SEAL_CTX),
        ],
        ids=["encrypt", "many", "many-2nd", "many-str", "det", "det-many", "det-many-gen", "det-exact", "seal"],
    )
    def test_text_instead_of_bytes_gets_the_encode_hint(self, cipher: EnvelopeCipher, call: object) -> None:
        """Every encrypting call refuses a non-bytes value with a TypeError that says to encode text first."""
        account = EnvelopeCipher(cipher.keyring, domains=[*cipher.domains.values(), JoinDomain("account")])
        with pytest.raises(TypeError, match=r"data must be bytes, not (str|int); encode text first") as caught:
            call(account)  # type: ignore[operator]
        assert caught.value.__context__ is None or caught.value.__suppress_context__  # no cryptography error shown

    def test_bytes_like_values_are_accepted(self, cipher: EnvelopeCipher) -> None:
        """A bytearray or memoryview is accepted like bytes, for encryption and for key_id_of."""
        blob = cipher.encrypt(bytearray(b"v"), context=CTX)  # type: ignore[arg-type]
        assert cipher.encrypt_many([memoryview(b"v")], context=CTX)[0][:5] == blob[:5]  # type: ignore[list-item]
        as_bytearray, as_view = bytearray(blob), memoryview(blob)
        assert cipher.key_id_of(as_bytearray) == cipher.key_id_of(as_view) == cipher.key_id_of(blob)  # type: ignore[arg-type]
        with pytest.raises(DecryptionError):
            cipher.key_id_of("sf1:abc")  # type: ignore[arg-type]

    def test_join_domain_normalisation_is_coerced_or_refused_at_construction(self) -> None:
        """A JoinDomain takes a normalisation's value as text, and refuses an unknown one at once."""
        domain = JoinDomain("email", "casefold", "aes-siv")  # type: ignore[arg-type]
        assert domain.algorithm is DeterministicAlgorithm.AES_SIV
        with pytest.raises(ValueError, match="algorithm must be one of 'blake2b-gcm', 'aes-siv'"):
            JoinDomain("x", algorithm="aes-gcm-siv")  # type: ignore[arg-type]
        assert domain.normalization is Normalization.CASEFOLD
        assert JoinDomain("x", "exact") == JoinDomain("x")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match=r"normalization must be one of 'exact', 'casefold', 'digits', not 'nope'"):
            JoinDomain("x", "nope")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="join domain name"):
            JoinDomain("bad name")

    def test_reencrypting_a_value_of_an_unknown_tenant_is_a_decryption_error(self, cipher: EnvelopeCipher) -> None:
        """Re-encrypting raises DecryptionError, as documented, when the context's tenant has no keys at all."""
        blob = cipher.encrypt(b"v", context=CTX)
        with pytest.raises(DecryptionError):
            cipher.reencrypt(blob, context=CTX.replace(tenant="never-seen"))
        assert cipher.keyring.records("never-seen") == []
