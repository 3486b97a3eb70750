"""EnvelopeCipher: field-level envelope encryption with per-tenant keys, bound to a mandatory context.

**Security contract.**

- :meth:`EnvelopeCipher.encrypt` (RND) is AES-256-GCM with a fresh random 96-bit nonce under the tenant's
  purpose key; it hides everything but the length. A data key encrypts at most 2³² values before it must be
  rotated (NIST SP 800-38D); rotate per tenant well before that (:meth:`Keyring.rotate`).
- :meth:`EnvelopeCipher.encrypt_deterministic` (DET) reveals equality of normalised plaintexts within one tenant,
  purpose and join domain — which is what makes the values joinable — and nothing across domains or tenants. Two
  algorithms, chosen per :class:`JoinDomain` (:class:`DeterministicAlgorithm`): the default is AES-256-GCM with a
  synthetic nonce, a keyed BLAKE2b of the normalised plaintext under a key bound to the context (the SIV pattern
  of RFC 5297 with GCM as the IV-based scheme); decryption recomputes the nonce and refuses a mismatch, so a
  ciphertext cannot be forged or moved without the key even if two values ever shared a nonce. The other is
  AES-256-SIV (RFC 5297) itself. The synthetic nonce has 96 bits: after n distinct (context, value) pairs under one
  data key and domain, two different values share a nonce with probability about n²/2⁹⁷ (2⁻³³ at 2³²), which
  reveals their XOR; rotate well before that, as for RND.
- :meth:`EnvelopeCipher.seal` (SEAL) derives a key per message from a random salt and commits to it; use it for
  self-contained messages that leave the site (Platform Event payloads).
- The context (tenant, purpose, object, field, record id, domain …) is authenticated, never stored; the
  decryptor rebuilds it. Callers never supply nonces.
- Every decryption failure raises :class:`~sfshield.exceptions.DecryptionError` with one fixed message.
- Derived keys are cached per cipher and trusted for the keyring's ``cache_ttl``; the first call after it checks
  the keys against the key store (a :class:`~sfshield.exceptions.CryptoError` if the store cannot be read), so keys
  destroyed or promoted by another process take effect here within that time (see :class:`Keyring`).

The wire format is documented in :mod:`sfshield.crypto.envelope`; keys in :mod:`sfshield.crypto.keyring`.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import repeat
from typing import TYPE_CHECKING, Any, Final, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from sfshield.crypto import envelope
from sfshield.crypto.context import EncryptionContext
from sfshield.crypto.domains import (
    JoinDomain,
    Normalization,
    _as_bytes,
    _not_bytes,
)
from sfshield.crypto.keyring import Keyring
from sfshield.exceptions import DecryptionError, KeyNotFoundError

if TYPE_CHECKING:
    from sfshield.audit.pipeline import AuditPipeline
    from sfshield.crypto.fields import FieldCipher
    from sfshield.crypto.keystore import KeyStore
    from sfshield.protocols import KeyProvider

__all__ = ["EnvelopeCipher", "ReencryptionProgress"]

_RND: Final = envelope.RND
_DET: Final = envelope.DET
_DET_GCM: Final = envelope.DET_GCM
_SEAL: Final = envelope.SEAL
_NONCE: Final = envelope.NONCE_BYTES
_SALT: Final = envelope.SALT_BYTES
_COMMIT: Final = envelope.COMMITMENT_BYTES
_MIN_RND: Final = envelope.MIN_BYTES[_RND]
_MIN_DET: Final = envelope.MIN_BYTES[_DET]
_MIN_DET_GCM: Final = envelope.MIN_BYTES[_DET_GCM]
_MIN_SEAL: Final = envelope.MIN_BYTES[_SEAL]
_urandom: Final = os.urandom
_monotonic: Final = time.monotonic
_MAX_CACHED_CONTEXTS: Final = 4096
_MAX_BYTES: Final = envelope.MAX_ENVELOPE_BYTES
_ZERO_NONCE: Final = bytes(_NONCE)
_SEAL_INFO: Final = b"sfshield/v1 seal message key"
_blake2b: Final = hashlib.blake2b
_compare_digest: Final = hmac.compare_digest
_DET_CONTEXT_PERSON: Final = b"sfshield/det ctx"
_DET_NONCE_PERSON: Final = b"sfshield/det iv"

ContextLike = EncryptionContext | Mapping[str, str]
# A deterministic key ready for one context: (header, encrypt, associated data, the keyed BLAKE2b that makes
# nonces or None for AES-SIV, normalisation or None for exact). Per value the keyed hash is copied, not rebuilt:
# a keyed BLAKE2b spends one compression on its key block, which the copy has done already.
# The cached hasher is only ever copied, never updated, so threads can share it.
_DetSlot = tuple[bytes, Callable[..., bytes], Any, "hashlib.blake2b | None", Callable[[bytes], bytes] | None]
# How to open a deterministic envelope under one context: (decrypt, associated data, the nonce hasher for DET_GCM).
_DetOpener = tuple[Callable[..., bytes], Any, "hashlib.blake2b | None"]


@dataclass(frozen=True, slots=True)
class ReencryptionProgress:
    """Progress of :meth:`EnvelopeCipher.reencrypt_stream`."""

    seen: int
    rewritten: int
    already_current: int


class EnvelopeCipher:
    """Encrypts values for a tenant with envelope encryption; the one entry point for field, token and event data.

    Args:
        provider: a :class:`~sfshield.protocols.KeyProvider` holding the KEKs, or a ready :class:`Keyring`
            (to share one keyring between ciphers).
        store: where wrapped data keys are kept (:class:`~sfshield.crypto.SQLiteKeyStore`); may be omitted only
            with an ephemeral provider such as :class:`sfshield.testing.InMemoryKeyProvider`.
        domains: the join domains deterministic encryption may use.
        audit: records key operations (creation, unwrap, rotation, destruction).

    >>> from sfshield.testing import InMemoryKeyProvider
    >>> cipher = EnvelopeCipher(InMemoryKeyProvider())
    >>> ctx = {"tenant": "acme", "purpose": "training", "sobject": "Contact", "field": "Email"}
    >>> blob = cipher.encrypt(b"ana@example.com", context=ctx)
    >>> len(blob) - len(b"ana@example.com")
    33
    >>> cipher.decrypt(blob, context=ctx)
    b'ana@example.com'

    Raises:
        ConfigurationError: no store was given for a provider whose keys outlive the process.
    """

    def __init__(
        self,
        provider: KeyProvider | Keyring,
        *,
        store: KeyStore | None = None,
        domains: Iterable[JoinDomain] = (),
        audit: AuditPipeline | None = None,
    ) -> None:
        if isinstance(provider, Keyring):
            if store is not None or audit is not None:
                raise ValueError("pass store and audit to the Keyring, not to the cipher that shares it")
            self._keyring = provider
        else:
            self._keyring = Keyring(provider, store=store, audit=audit)
        self._domains: dict[str, JoinDomain] = {}
        for domain in domains:
            if domain.name in self._domains:
                raise ValueError(f"join domain {domain.name!r} is declared twice")
            self._domains[domain.name] = domain
        self._lock = threading.Lock()
        self._enc_rnd: dict[tuple[str, str], tuple[bytes, AESGCM]] = {}
        self._dec_rnd: dict[tuple[str, str], dict[bytes, AESGCM]] = {}
        # Deterministic keys per (tenant, domain, header): AES-SIV, or AES-GCM and its nonce-derivation key.
        self._det_keys: dict[tuple[str, str, bytes], AESSIV | tuple[AESGCM, bytes]] = {}
        # Deterministic contexts are few (tenant x purpose x domain): cache everything per context's bytes.
        self._det_slots: dict[bytes, _DetSlot] = {}
        self._det_openers: dict[bytes, dict[bytes, _DetOpener]] = {}
        self._keyring.on_change(self._clear_caches)
        # The caches above bypass the keyring; every call compares one clock reading with the keyring's cache
        # deadline, so keys destroyed or promoted by another process take effect here within the keyring's cache_ttl.
        self._valid_until = -math.inf

    def __repr__(self) -> str:
        return f"EnvelopeCipher({self._keyring!r}, domains={sorted(self._domains)})"

    def __reduce__(self) -> NoReturn:
        raise TypeError("an EnvelopeCipher holds unwrapped data keys and cannot be pickled")

    @property
    def keyring(self) -> Keyring:
        """The keyring behind this cipher (rotation, KEK re-wrap, destruction)."""
        return self._keyring

    @property
    def domains(self) -> Mapping[str, JoinDomain]:
        """The declared join domains by name."""
        return dict(self._domains)

    # -- RND -----------------------------------------------------------------------------------------------------

    def encrypt(self, data: bytes, /, *, context: ContextLike) -> bytes:
        """Encrypt ``data`` under the tenant's primary key for the context's purpose (AES-256-GCM, random nonce).

        Args:
            data: the plaintext.
            context: where the value lives: at least ``tenant`` and ``purpose``; for field values also
                ``sobject``, ``field`` and ``record_id`` where it exists. An :class:`EncryptionContext` built once
                and reused is the fast path.

        Raises:
            TypeError: ``data`` is not bytes (or another bytes-like object).
            ValueError: the context is invalid (see :class:`EncryptionContext`).
            KeyNotFoundError: the tenant's keys were destroyed.
            KeyProviderError: the tenant's data key could not be created or unwrapped.
            AuditSinkError: the creation or unwrap of the tenant's data key could not be recorded.
        """
        ctx = context if type(context) is EncryptionContext else EncryptionContext.of(context)
        if _monotonic() >= self._valid_until:
            self._revalidate()
        slot = self._enc_rnd.get(ctx.scope)
        if slot is None:
            slot = self._load_enc_rnd(ctx)
        head, aead = slot
        nonce = _urandom(_NONCE)
        try:
            return head + nonce + aead.encrypt(nonce, data, head + ctx.aad)
        except TypeError:  # only data can have a wrong type; checked here to keep the fast path free of checks
            raise _not_bytes(data) from None

    def encrypt_many(self, values: Iterable[bytes], /, *, context: ContextLike) -> list[bytes]:
        """:meth:`encrypt` for many values that share one context (one column of a batch), in one call.

        The result is the same as calling :meth:`encrypt` per value; the per-call work (key lookup, associated
        data, the nonce system call) is paid once per batch, which makes it faster than a loop of raw AES-GCM
        calls, each drawing its own nonce (one AES-GCM call per value remains). Fresh random nonces are drawn for
        every value.

        Raises:
            TypeError: a value is not bytes (nothing is returned for the batch).
            ValueError: the context is invalid (see :class:`EncryptionContext`).
            KeyNotFoundError: the tenant's keys were destroyed.
            KeyProviderError: the tenant's data key could not be created or unwrapped.
            AuditSinkError: the creation or unwrap of the tenant's data key could not be recorded.
        """
        ctx = context if type(context) is EncryptionContext else EncryptionContext.of(context)
        if _monotonic() >= self._valid_until:
            self._revalidate()
        slot = self._enc_rnd.get(ctx.scope)
        if slot is None:
            slot = self._load_enc_rnd(ctx)
        head, aead = slot
        seal = aead.encrypt
        aad = head + ctx.aad
        items = values if isinstance(values, list | tuple) else list(values)
        nonces = _urandom(_NONCE * len(items))
        out: list[bytes] = []
        append = out.append
        offset = 0
        try:
            for data in items:
                nonce = nonces[offset : offset + _NONCE]
                offset += _NONCE
                append(head + nonce + seal(nonce, data, aad))
        except TypeError:
            raise _not_bytes(data) from None
        return out

    def decrypt(self, blob: bytes, /, *, context: ContextLike) -> bytes:
        """Decrypt an envelope made by :meth:`encrypt`, :meth:`encrypt_deterministic` or :meth:`seal`.

        Args:
            blob: the envelope (bytes, or a bytearray or memoryview of one).
            context: the same context the value was encrypted with, rebuilt from where the value was found.

        Raises:
            DecryptionError: for every way decryption can fail (one fixed message, no cause chained).
            ValueError: the context itself is invalid (a programming error, independent of the blob).
            AuditSinkError: the unwrap of the tenant's data key could not be recorded.
        """
        ctx = context if type(context) is EncryptionContext else EncryptionContext.of(context)
        if _monotonic() >= self._valid_until:
            self._revalidate()
        if type(blob) is not bytes:
            blob = _envelope_bytes(blob)
        size = len(blob)
        try:
            scheme = blob[0] if size <= _MAX_BYTES else 0
            if scheme == _RND and size >= _MIN_RND:
                head = blob[:5]
                keys = self._dec_rnd.get(ctx.scope)
                aead = keys.get(head) if keys is not None else None
                if aead is None:
                    aead = self._rnd_key(ctx, head)
                return aead.decrypt(blob[5:17], blob[17:], head + ctx.aad)
            if (scheme == _DET_GCM and size >= _MIN_DET_GCM) or (scheme == _DET and size >= _MIN_DET):
                # The cache hit is inlined (no call frame) to pay for the cache-deadline check above.
                head = blob[:5]
                openers = self._det_openers.get(ctx.aad)
                opener = openers.get(head) if openers is not None else None
                if opener is None:
                    opener = self._det_opener(ctx, head)
                if scheme == _DET:
                    return opener[0](blob[5:], opener[1])
                return _open_det_gcm(opener, blob)
            if scheme == _SEAL and size >= _MIN_SEAL:
                return self._open_sealed(blob, ctx)
        except (InvalidTag, KeyNotFoundError, ValueError, IndexError, OverflowError):
            pass
        raise DecryptionError from None

    def decrypt_many(self, blobs: Iterable[bytes], /, *, context: ContextLike) -> list[bytes]:
        """:meth:`decrypt` for many envelopes that share one context, in one call: the same plaintexts, in order.

        The envelopes may mix key ids (older, decrypt-only keys after a rotation) and schemes (random and
        deterministic); each run of envelopes with one header is opened in one call, which is what makes the batch
        faster than a loop of :meth:`decrypt`.

        Raises:
            DecryptionError: any envelope fails, or ``blobs`` is not an iterable of envelopes (nothing is returned
                for the batch; one fixed message, as :meth:`decrypt`).
            ValueError: the context itself is invalid.
            AuditSinkError: the unwrap of the tenant's data key could not be recorded.
        """
        ctx = context if type(context) is EncryptionContext else EncryptionContext.of(context)
        if _monotonic() >= self._valid_until:
            self._revalidate()
        try:
            items = blobs if type(blobs) is list else list(blobs)
        except TypeError:  # not an iterable of envelopes
            raise DecryptionError from None
        # Only exact bytes have a header here; every other value (bytearray, a bytes subclass, str, a dict…) is
        # left to decrypt(), which accepts or refuses it as it does alone.
        heads = [blob[:5] if type(blob) is bytes else None for blob in items]
        count = len(items)
        # A column's values mostly share one header: the whole batch is then one run, opened in one call; otherwise
        # each run of values with the same header is.
        out: list[bytes] = []
        start = 0
        try:
            while start < count:
                head = heads[start]
                end = start + 1
                if start == 0 and heads.count(head) == count:
                    end = count
                else:
                    while end < count and heads[end] == head:
                        end += 1
                run = items if end - start == count else items[start:end]
                column = self._column_opener(ctx, head, run[0])
                if column is None or max(map(len, run)) > _MAX_BYTES:  # decrypt() refuses an oversized envelope
                    out += [self.decrypt(blob, context=ctx) for blob in run]
                else:
                    out += column(run)
                start = end
        except (InvalidTag, TypeError, IndexError, ValueError):
            raise DecryptionError from None
        return out

    def _column_opener(
        self, ctx: EncryptionContext, head: object, first: object
    ) -> Callable[[list[Any]], list[bytes]] | None:
        """How to open many envelopes with header ``head`` under ``ctx`` at once (None: open them one by one).

        ``first`` is the run's first value: if the header's key is not cached yet, ``first`` is decrypted with every
        check, which caches the key, or raises.
        """
        if type(head) is not bytes or len(head) < 5 or head[0] not in (_RND, _DET, _DET_GCM):
            return None
        column = self._cached_column(ctx, head)
        if column is None:
            self.decrypt(first, context=ctx)  # type: ignore[arg-type]  # raises DecryptionError, or caches the key
            column = self._cached_column(ctx, head)
        return column

    def _cached_column(self, ctx: EncryptionContext, head: bytes) -> Callable[[list[Any]], list[bytes]] | None:
        """The column opener of a header whose key :meth:`decrypt` has cached for ``ctx`` (None: not cached)."""
        if head[0] == _RND:
            keys = self._dec_rnd.get(ctx.scope)
            aead = keys.get(head) if keys is not None else None
            return None if aead is None else partial(_open_rnd_column, aead.decrypt, head + ctx.aad)
        openers = self._det_openers.get(ctx.aad)
        opener = openers.get(head) if openers is not None else None
        if opener is None:
            return None
        open_, aad, nonces = opener
        if nonces is None:
            return partial(_open_det_column, open_, aad)
        return partial(_open_det_gcm_column, open_, aad, nonces)

    # -- DET -----------------------------------------------------------------------------------------------------

    def encrypt_deterministic(self, data: bytes, /, *, context: ContextLike) -> bytes:
        """Encrypt ``data`` so that equal (normalised) values give equal ciphertexts: joinable, not hiding equality.

        The context must name a declared join ``domain`` and must not contain ``record_id`` (equality would
        stop working across records). The domain's normalisation is applied first, so the plaintext that
        :meth:`decrypt` returns is the normalised one.

        Raises:
            TypeError: ``data`` is not bytes.
            ValueError: no ``domain`` in the context, an undeclared domain, a ``record_id`` in the context, or
                a value the domain's normalisation refuses (not UTF-8 text, or nothing left after normalising;
                see :meth:`Normalization.apply`).
            KeyNotFoundError: the tenant's keys were destroyed.
        """
        ctx = context if type(context) is EncryptionContext else EncryptionContext.of(context)
        if _monotonic() >= self._valid_until:
            self._revalidate()
        slot = self._det_slots.get(ctx.aad)
        if slot is None:
            slot = self._load_det_slot(ctx)
        head, seal, aad, nonces, normalize = slot
        if type(data) is not bytes:
            data = _as_bytes(data)
        if normalize is not None:
            data = normalize(data)
        if nonces is None:
            return head + seal(data, aad)
        hasher = nonces.copy()
        hasher.update(data)
        nonce = hasher.digest()
        return head + nonce + seal(nonce, data, aad)

    def encrypt_deterministic_many(self, values: Iterable[bytes], /, *, context: ContextLike) -> list[bytes]:
        """:meth:`encrypt_deterministic` for many values that share one context, in one call (the same results).

        Raises:
            TypeError: a value is not bytes (nothing is returned for the batch).
            ValueError: as :meth:`encrypt_deterministic`, for any value of the batch.
            KeyNotFoundError: the tenant's keys were destroyed.
            KeyProviderError: the tenant's data key could not be created or unwrapped.
            AuditSinkError: the creation or unwrap of the tenant's data key could not be recorded.
        """
        ctx = context if type(context) is EncryptionContext else EncryptionContext.of(context)
        if _monotonic() >= self._valid_until:
            self._revalidate()
        slot = self._det_slots.get(ctx.aad)
        if slot is None:
            slot = self._load_det_slot(ctx)
        head, seal, aad, nonces, normalize = slot
        items = values if isinstance(values, list | tuple) else list(values)
        try:
            if normalize is not None:
                items = [normalize(data) for data in items]
            if nonces is None:
                return [head + seal(data, aad) for data in items]
            out: list[bytes] = []
            append = out.append
            fresh = nonces.copy
            for data in items:
                hasher = fresh()
                hasher.update(data)
                nonce = hasher.digest()
                append(head + nonce + seal(nonce, data, aad))
        except (TypeError, AttributeError):  # a value that is not bytes; looked for only once something failed
            for data in items:
                if not isinstance(data, bytes | bytearray | memoryview):
                    raise _not_bytes(data) from None
            raise
        return out

    def encrypt_deterministic_all(self, data: bytes, /, *, context: ContextLike) -> list[bytes]:
        """The deterministic ciphertexts of ``data`` under every key id that can still decrypt, primary first.

        Use it to query a join domain while it migrates to a new key (``WHERE x IN (...)``): a new data key
        changes every deterministic ciphertext, so during a migration a value can exist under either. The
        ciphertexts under the domain's :class:`DeterministicAlgorithm` come first, then, while the domain moves
        from another algorithm (``migrating_from``), those under that one.
        """
        ctx = context if type(context) is EncryptionContext else EncryptionContext.of(context)
        if _monotonic() >= self._valid_until:
            self._revalidate()
        domain = self._domain_of(ctx)
        plain = domain.normalization.apply(_as_bytes(data))
        key_ids = self._keyring.decryptable_key_ids(ctx.tenant)
        return [
            _seal_deterministic(self._det_slot(ctx, domain, envelope.header(scheme, key_id)), plain)
            for scheme in domain.schemes
            for key_id in key_ids
        ]

    # -- SEAL ----------------------------------------------------------------------------------------------------

    def seal(self, data: bytes, /, *, context: ContextLike) -> bytes:
        """Encrypt a self-contained message under a key derived for it alone, with a key commitment.

        For messages that leave the trust boundary and may be read by several subscribers (Platform Event
        payloads): each message has its own key derived from a random salt, and a 16-byte commitment to that key
        is checked before decryption, so a message can never decrypt to two different plaintexts.
        """
        ctx = context if type(context) is EncryptionContext else EncryptionContext.of(context)
        key_id = self._keyring.primary_key_id(ctx.tenant)
        head = envelope.header(_SEAL, key_id)
        salt = os.urandom(_SALT)
        message_key, commitment = self._message_key(ctx, key_id, salt)
        sealed = AESGCM(message_key).encrypt(_ZERO_NONCE, _as_bytes(data), head + ctx.aad)
        return head + salt + commitment + sealed

    # -- rotation ------------------------------------------------------------------------------------------------

    def key_id_of(self, blob: bytes, /) -> int:
        """The data-key id an envelope names (read from its header, *not* authenticated).

        Args:
            blob: the envelope (bytes, or a bytearray or memoryview of one, like :meth:`decrypt`).

        Raises:
            DecryptionError: ``blob`` is not an envelope.
        """
        if type(blob) is not bytes:
            blob = _envelope_bytes(blob)
        if len(blob) < envelope.HEADER_BYTES or blob[0] not in envelope.MIN_BYTES:
            raise DecryptionError from None
        return int.from_bytes(blob[1:5], "big")

    def reencrypt(self, blob: bytes, /, *, context: ContextLike) -> bytes:
        """Return ``blob`` re-encrypted under the tenant's primary key, or ``blob`` itself if it already is.

        The scheme is kept (RND stays RND, deterministic stays deterministic, SEAL stays SEAL); a deterministic
        value moves to its join domain's current :class:`DeterministicAlgorithm` too. ``blob`` is authenticated even
        when it is already current.

        Raises:
            DecryptionError: ``blob`` does not decrypt under ``context`` (also when the tenant has no keys, or
                its keys were destroyed).
            KeyNotFoundError: ``blob`` decrypts, but the tenant has no primary key to move it to (its keys were
                destroyed meanwhile).
        """
        ctx = context if type(context) is EncryptionContext else EncryptionContext.of(context)
        plain = self.decrypt(blob, context=ctx)
        current = self.key_id_of(blob) == self._keyring.primary_key_id(ctx.tenant, create=False)
        scheme = blob[0]
        if scheme in (_DET, _DET_GCM):
            domain = self._domain_of(ctx)
            if current and scheme == domain.scheme:
                return blob
            # ``plain`` is normalised already; normalising it again is not always a no-op (NFKC after casefold).
            head = envelope.header(domain.scheme, self._keyring.primary_key_id(ctx.tenant))
            return _seal_deterministic(self._det_slot(ctx, domain, head), plain)
        if current:
            return blob
        if scheme == _RND:
            return self.encrypt(plain, context=ctx)
        return self.seal(plain, context=ctx)

    def reencrypt_stream(
        self,
        items: Iterable[tuple[bytes, ContextLike]],
        /,
        *,
        progress: Callable[[ReencryptionProgress], None] | None = None,
        every: int = 1000,
    ) -> Iterator[bytes]:
        """Re-encrypt envelopes under their tenants' primary keys, lazily, in constant memory.

        Yields one envelope per item, in order (the same object when it was already current). ``progress`` is
        called every ``every`` items and once at the end; the end is also audited as a ``reencrypt`` key
        operation per tenant with its count.
        """
        seen = rewritten = current = 0
        per_tenant: dict[str, int] = {}
        for blob, context in items:
            ctx = context if type(context) is EncryptionContext else EncryptionContext.of(context)
            new = self.reencrypt(blob, context=ctx)
            seen += 1
            if new is blob:
                current += 1
            else:
                rewritten += 1
                per_tenant[ctx.tenant] = per_tenant.get(ctx.tenant, 0) + 1
            yield new
            if progress is not None and seen % every == 0:
                progress(ReencryptionProgress(seen, rewritten, current))
        if progress is not None:
            progress(ReencryptionProgress(seen, rewritten, current))
        for tenant, count in sorted(per_tenant.items()):
            self._keyring.audit_reencryption(tenant, count=count)

    # -- adapters ------------------------------------------------------------------------------------------------

    def for_fields(self, *, join_domains: Mapping[str, str] | None = None) -> FieldCipher:
        """A :class:`~sfshield.protocols.FieldEncryptor` for the filter's ``encrypt`` action (text form ``sf1:``).

        Args:
            join_domains: ``"Object.Field"`` → declared join domain name for fields that must stay joinable
                (deterministic); every other field is encrypted with RND bound to its record.
        """
        from sfshield.crypto.fields import FieldCipher  # noqa: PLC0415 - fields imports this module

        return FieldCipher(self, join_domains=join_domains or {})

    # -- internals -----------------------------------------------------------------------------------------------

    def _revalidate(self) -> None:
        deadline = self._keyring.revalidate()
        # The hot paths read time.monotonic directly (a global is the cheapest clock to call). A keyring with another
        # clock (a test's) has its deadline on that clock, so this cipher then asks the keyring on every call.
        self._valid_until = deadline if self._keyring.monotonic is _monotonic else -math.inf

    def _domain_of(self, ctx: EncryptionContext) -> JoinDomain:
        if "record_id" in ctx:
            raise ValueError("deterministic encryption must not bind a record id: equality would stop working")
        name = ctx.get("domain")
        if name is None:
            raise ValueError("deterministic encryption needs a 'domain' in the context (a declared JoinDomain)")
        domain = self._domains.get(name)
        if domain is None:
            raise ValueError(f"join domain {name!r} is not declared; pass domains=[JoinDomain({name!r}, ...)]")
        return domain

    def _load_enc_rnd(self, ctx: EncryptionContext) -> tuple[bytes, AESGCM]:
        key_id = self._keyring.primary_key_id(ctx.tenant)
        head = envelope.header(_RND, key_id)
        slot = (head, self._rnd_key(ctx, head))
        with self._lock:
            self._enc_rnd[ctx.scope] = slot
        return slot

    def _rnd_key(self, ctx: EncryptionContext, head: bytes) -> AESGCM:
        """The AES-GCM key of an RND envelope header (scheme and key id), derived once per scope and key id."""
        keys = self._dec_rnd.get(ctx.scope)
        cached = keys.get(head) if keys is not None else None
        if cached is not None:
            return cached
        key_id = int.from_bytes(head[1:5], "big")
        aead = AESGCM(self._keyring.subkey(ctx.tenant, key_id, f"rnd|{ctx.purpose}"))
        with self._lock:
            self._dec_rnd.setdefault(ctx.scope, {})[head] = aead
        return aead

    def _det_key(self, tenant: str, domain: JoinDomain, head: bytes) -> AESSIV | tuple[AESGCM, bytes]:
        """The deterministic key a header (scheme and key id) names in ``domain``, derived once per header.

        AES-SIV for ``DET``; for ``DET_GCM`` the AES-GCM key and the key nonces are derived with.
        """
        cached = self._det_keys.get((tenant, domain.name, head))
        if cached is not None:
            return cached
        key_id = int.from_bytes(head[1:5], "big")
        key: AESSIV | tuple[AESGCM, bytes]
        if head[0] == _DET:
            label = f"det|{domain.name}|{domain.normalization.value}"
            key = AESSIV(self._keyring.subkey(tenant, key_id, label, length=64))
        else:
            label = f"det-gcm|{domain.name}|{domain.normalization.value}"
            material = self._keyring.subkey(tenant, key_id, label, length=64)
            key = (AESGCM(material[32:]), material[:32])
        with self._lock:
            self._det_keys[tenant, domain.name, head] = key
        return key

    def _det_slot(self, ctx: EncryptionContext, domain: JoinDomain, head: bytes) -> _DetSlot:
        """Everything deterministic encryption under ``head`` needs for one context (see ``_DetSlot``)."""
        key = self._det_key(ctx.tenant, domain, head)
        normalize = None if domain.normalization is Normalization.EXACT else domain.normalization.apply
        aad = head + ctx.aad
        if isinstance(key, AESSIV):
            return (head, key.encrypt, [aad], None, normalize)
        aead, mac_key = key
        # The nonce key binds the header and the whole context, so equal plaintexts in two contexts get unrelated
        # nonces; per value only the plaintext is hashed.
        nonce_key = _blake2b(aad, key=mac_key, digest_size=32, person=_DET_CONTEXT_PERSON).digest()
        nonces = _blake2b(key=nonce_key, digest_size=_NONCE, person=_DET_NONCE_PERSON)
        return (head, aead.encrypt, aad, nonces, normalize)

    def _load_det_slot(self, ctx: EncryptionContext) -> _DetSlot:
        domain = self._domain_of(ctx)
        slot = self._det_slot(ctx, domain, envelope.header(domain.scheme, self._keyring.primary_key_id(ctx.tenant)))
        with self._lock:
            if len(self._det_slots) >= _MAX_CACHED_CONTEXTS:
                self._det_slots.clear()
            self._det_slots[ctx.aad] = slot
        return slot

    def _det_opener(self, ctx: EncryptionContext, head: bytes) -> _DetOpener:
        """How to decrypt a deterministic header under ``ctx`` (see ``_DetOpener``), cached per context."""
        domain = self._domains.get(ctx.get("domain", ""))
        if domain is None or "record_id" in ctx or head[0] not in domain.schemes:
            raise ValueError("not a deterministic context of this domain's algorithm")
        slot = self._det_slot(ctx, domain, head)
        key = self._det_key(ctx.tenant, domain, head)
        opener: _DetOpener = (key.decrypt, slot[2], None) if isinstance(key, AESSIV) else (key[0].decrypt, *slot[2:4])
        with self._lock:
            if len(self._det_openers) >= _MAX_CACHED_CONTEXTS:
                self._det_openers.clear()
            self._det_openers.setdefault(ctx.aad, {})[head] = opener
        return opener

    def _message_key(self, ctx: EncryptionContext, key_id: int, salt: bytes) -> tuple[bytes, bytes]:
        base = self._keyring.subkey(ctx.tenant, key_id, f"seal|{ctx.purpose}")
        derived = HKDF(algorithm=hashes.SHA256(), length=32 + _COMMIT, salt=salt, info=_SEAL_INFO).derive(base)
        return derived[:32], derived[32:]

    def _open_sealed(self, blob: bytes, ctx: EncryptionContext) -> bytes:
        key_id = int.from_bytes(blob[1:5], "big")
        salt = blob[5 : 5 + _SALT]
        commitment = blob[5 + _SALT : 5 + _SALT + _COMMIT]
        message_key, expected = self._message_key(ctx, key_id, salt)
        if not hmac.compare_digest(commitment, expected):
            raise ValueError("commitment")
        return AESGCM(message_key).decrypt(_ZERO_NONCE, blob[5 + _SALT + _COMMIT :], blob[:5] + ctx.aad)

    def _clear_caches(self) -> None:
        with self._lock:
            self._enc_rnd.clear()
            self._dec_rnd.clear()
            self._det_keys.clear()
            self._det_slots.clear()
            self._det_openers.clear()


def _seal_deterministic(slot: _DetSlot, plain: bytes) -> bytes:
    """Encrypt an already normalised value with a deterministic slot (see ``_DetSlot``)."""
    head, seal, aad, nonces, _ = slot
    if nonces is None:
        return head + seal(plain, aad)
    hasher = nonces.copy()
    hasher.update(plain)
    nonce = hasher.digest()
    return head + nonce + seal(nonce, plain, aad)


def _open_det_gcm(opener: Sequence[Any], blob: bytes) -> bytes:
    """Open a DET_GCM envelope and check that its nonce is the one its plaintext makes.

    The check makes a forged envelope fail even if GCM's authentication key were known (which two values that
    share a nonce would reveal), and keeps one ciphertext per value.

    Raises:
        InvalidTag: GCM refused the envelope.
        ValueError: the nonce is not the plaintext's.
    """
    nonce = blob[5:17]
    plain: bytes = opener[0](nonce, blob[17:], opener[1])
    hasher = opener[2].copy()
    hasher.update(plain)
    if not hmac.compare_digest(hasher.digest(), nonce):
        raise ValueError("the synthetic nonce does not match the plaintext")
    return plain


def _open_rnd_column(open_: Callable[..., bytes], aad: bytes, blobs: list[bytes]) -> list[bytes]:
    """Open RND envelopes that share one header (``open_`` is its AES-GCM decrypt, ``aad`` header + context)."""
    return list(map(open_, [blob[5:17] for blob in blobs], [blob[17:] for blob in blobs], repeat(aad)))


def _open_det_column(open_: Callable[..., bytes], aad: list[bytes], blobs: list[bytes]) -> list[bytes]:
    """Open AES-SIV DET envelopes that share one header (``open_`` is its AES-SIV decrypt)."""
    return list(map(open_, [blob[5:] for blob in blobs], repeat(aad)))


def _open_det_gcm_column(open_: Callable[..., bytes], aad: bytes, nonces: Any, blobs: list[bytes]) -> list[bytes]:
    """Open DET_GCM envelopes that share one header, and check every nonce is the one its plaintext makes.

    As :func:`_open_det_gcm`; the nonces are compared all at once, in constant time, after all were computed.
    The loops run in C where they can (``map``): this is the hot path of decrypting a column.

    Raises:
        InvalidTag: GCM refused an envelope.
        ValueError: a nonce is not its plaintext's.
    """
    given = [blob[5:17] for blob in blobs]
    plains = list(map(open_, given, [blob[17:] for blob in blobs], repeat(aad)))
    fresh = nonces.copy
    made: list[bytes] = []
    append = made.append
    for plain in plains:
        hasher = fresh()
        hasher.update(plain)
        append(hasher.digest())
    if not _compare_digest(b"".join(made), b"".join(given)):
        raise ValueError("a synthetic nonce does not match its plaintext")
    return plains


def _envelope_bytes(blob: object) -> bytes:
    if isinstance(blob, bytearray | memoryview):
        return bytes(blob)
    raise DecryptionError from None
