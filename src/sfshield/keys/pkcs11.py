"""Key-encryption keys in an HSM, through PKCS#11: the KEK is generated inside the token and never leaves it.

:class:`Pkcs11KeyProvider` wraps data keys *inside* the token with AES-256-GCM (``CKM_AES_GCM`` through
``C_Encrypt``/``C_Decrypt``, because SoftHSM2 refuses GCM in ``C_WrapKey`` and GCM is the path that binds the
caller's ``aad``). Key ids are the KEKs' ``CKA_LABEL`` values. Requires the extra ``sfshield[hsm]``
(python-pkcs11).

Wire layout of a wrapped data key (``n`` = length of the data key, 16 to 64 bytes)::

    offset   size  field
    0        12    IV: random per wrap, from the host's CSPRNG
    12       n     the data key, encrypted with AES-256-GCM under the KEK
    12 + n   16    GCM tag over the ciphertext and ``aad``

Neither the KEK label nor ``aad`` is stored: the caller keeps the label next to the wrapped key (the keyring's
key record does) and rebuilds ``aad`` from where the key is used. Lengths are checked before the token sees the
bytes.

Security contract:

- KEKs made by :meth:`Pkcs11KeyProvider.generate_kek` are persistent, private, ``CKA_SENSITIVE`` and not
  ``CKA_EXTRACTABLE``: the token will not reveal them, not even wrapped under another key. The provider checks
  both attributes before using a KEK and refuses one that could leave the token.
- Only data keys, IVs and ``aad`` cross the PKCS#11 boundary. The user PIN is kept in a
  :class:`~sfshield.secret.Secret`; it never appears in ``repr``, errors or pickles (the provider refuses pickling).
- Random 96-bit IVs allow 2**32 wraps per KEK (NIST SP 800-38D), far more than there are data keys.
- Not guaranteed: unwrapped data keys live in process memory (the keyring caches them). A *software* token such as
  SoftHSM2 keeps its objects in files under its token directory, encrypted under a key derived from the PIN:
  whoever has both can recover the KEK. Use a hardware HSM in production.

Exercised PKCS#11 modules: SoftHSM2 2.6.1 (Debian 12) with python-pkcs11 0.10.1, nothing else yet. Other modules
(vendor HSMs, YubiHSM, TPM2-PKCS11) are meant to work by changing the library path.

PKCS#11 keeps one login state per process and token, shared by every session. A provider whose login finds the
token already logged in uses that login — but only with the PIN that logged in: the token does not check a PIN
while the process is logged in, so sfshield remembers a keyed fingerprint of the PIN of each login it made
(never the PIN) and refuses a different one, and refuses to borrow a login it did not make. Closing a provider
logs the whole process out of the token, and other providers on the same token then log in again on their next
call.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Callable, Sequence
from types import TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, Protocol, Self, cast

from sfshield.exceptions import ConfigurationError, KeyProviderError
from sfshield.secret import Secret

if TYPE_CHECKING:
    from pkcs11 import Session, Token

__all__ = ["IV_SIZE", "MAX_DATA_KEY_SIZE", "MIN_DATA_KEY_SIZE", "TAG_SIZE", "Pkcs11KeyProvider"]

IV_SIZE = 12
TAG_SIZE = 16
MIN_DATA_KEY_SIZE = 16
MAX_DATA_KEY_SIZE = 64

_PIN_ERRORS = ("PinIncorrect", "PinInvalid", "PinLenRange", "PinExpired", "PinLocked")
# The PIN of each login this process made, per (library, token label), as HMAC-SHA256 under a key that lives and
# dies with the process: a provider that finds the token logged in may borrow the login only with the same PIN.
_LOGIN_PINS: dict[tuple[str, str], bytes] = {}
_LOGIN_PINS_LOCK = threading.Lock()
_PIN_FINGERPRINT_KEY = secrets.token_bytes(32)
# Errors after which the session (or its login) is gone: the provider reopens it and tries once more.
_SESSION_LOST_ERRORS = (
    "UserNotLoggedIn",
    "SessionClosed",
    "SessionHandleInvalid",
    "ObjectHandleInvalid",
    "KeyHandleInvalid",
    "DeviceRemoved",
    "TokenNotPresent",
)


class _TokenKey(Protocol):
    """The part of a python-pkcs11 secret-key object the provider uses."""

    def encrypt(self, data: bytes, **kwargs: Any) -> bytes: ...

    def decrypt(self, data: bytes, **kwargs: Any) -> bytes: ...

    def __getitem__(self, attribute: Any, /) -> Any: ...


class _SessionLostError(Exception):
    """Internal: the session or its login vanished; the caller reopens it and retries once."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _LoginRefusedError(Exception):
    """Internal: the token refused the PIN; the message is the text of the KeyProviderError to raise."""


class Pkcs11KeyProvider:
    """Wraps data keys with AES-256 KEKs that stay inside a PKCS#11 token (an HSM).

    Satisfies :class:`sfshield.protocols.KeyProvider`. One logged-in session is opened on first use and shared
    by all threads behind a lock; :meth:`close` (or leaving a ``with`` block) closes it, and a later call opens
    a new one.

    Args:
        library: path of the vendor's PKCS#11 module (SoftHSM2: ``/usr/lib/softhsm/libsofthsm2.so``).
        token_label: label of the token holding the KEKs.
        key_labels: labels of the KEKs, which are also their key ids. The first is the primary (new data keys are
            wrapped with it); the others are older KEKs still accepted by :meth:`unwrap` until
            ``Keyring.rewrap()`` has moved every data key to the primary.
        pin: the token's user PIN.
        pin_env: name of an environment variable holding the user PIN instead (read once, here).

    Raises:
        ConfigurationError: python-pkcs11 is not installed.
        KeyProviderError: ``pin_env`` names a variable that is unset or empty.
        TypeError: neither or both of ``pin`` and ``pin_env`` were given.
        ValueError: ``token_label`` or ``key_labels`` is empty, or a label repeats.
    """

    __slots__ = ("_borrowed", "_key_labels", "_keys", "_library", "_lock", "_pin", "_refusal", "_session", "_token")

    def __init__(
        self,
        library: str | os.PathLike[str],
        *,
        token_label: str,
        key_labels: Sequence[str],
        pin: Secret | str | None = None,
        pin_env: str | None = None,
    ) -> None:
        _require_pkcs11()
        self._library = os.fspath(library)
        self._token = _check_label(token_label, "token_label")
        self._key_labels = _check_key_labels(key_labels)
        self._pin = _resolve_pin(pin, pin_env, token_label=self._token)
        self._lock = threading.Lock()
        self._session: Session | None = None
        self._borrowed = False  # the session rides on a login made by another session of this process
        self._keys: dict[str, _TokenKey] = {}
        self._refusal: str | None = None  # set once the token refused the PIN: never retried (lock-out)

    @property
    def primary_key_id(self) -> str:
        """The label of the KEK that new data keys are wrapped with (the first of ``key_labels``)."""
        return self._key_labels[0]

    @property
    def key_labels(self) -> tuple[str, ...]:
        """Every KEK label this provider accepts, primary first."""
        return self._key_labels

    def wrap(self, data_key: bytes, /, *, key_id: str, aad: bytes) -> bytes:
        """Encrypt ``data_key`` inside the token with the KEK ``key_id``, bound to ``aad``.

        Returns ``IV || ciphertext || tag`` (see the module docstring), 28 bytes longer than ``data_key``.

        Raises:
            KeyProviderError: ``key_id`` is not one of ``key_labels``, the token cannot be used (module, token,
                PIN, missing or extractable KEK), or the token failed to encrypt.
            TypeError: an argument is not ``bytes``.
            ValueError: ``data_key`` is not 16 to 64 bytes long.
        """
        return self._wrap_with_iv(data_key, key_id=key_id, aad=aad, iv=secrets.token_bytes(IV_SIZE))

    def unwrap(self, wrapped: bytes, /, *, key_id: str, aad: bytes) -> bytes:
        """Decrypt a data key made by :meth:`wrap` with the same ``key_id`` and ``aad``.

        Raises:
            KeyProviderError: ``key_id`` is unknown, ``wrapped`` has an impossible length, the token cannot be
                used, or the tag does not verify (the bytes were changed, or ``key_id`` or ``aad`` differ from
                the wrap). The cause is never chained: it could concern key material.
            TypeError: an argument is not ``bytes``.
        """
        _require_bytes(wrapped=wrapped, aad=aad)
        self._check_key_id(key_id)
        low, high = IV_SIZE + MIN_DATA_KEY_SIZE + TAG_SIZE, IV_SIZE + MAX_DATA_KEY_SIZE + TAG_SIZE
        if not low <= len(wrapped) <= high:
            raise KeyProviderError(
                f"{self._where(key_id)}: a wrapped key is {len(wrapped)} bytes, not {low} to {high}: it is "
                "truncated, damaged, or was not made by Pkcs11KeyProvider"
            )
        params = _gcm_params(wrapped[:IV_SIZE], aad)
        return self._run(
            key_id,
            lambda key: key.decrypt(wrapped[IV_SIZE:], **params),
            failure="could not unwrap a data key: the wrapped bytes were changed, or key_id or aad differ from "
            "the ones it was wrapped with",
        )

    def close(self) -> None:
        """Log out and close the session, if one is open. Idempotent; the next call opens a new session."""
        with self._lock:
            self._drop_session_locked()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"Pkcs11KeyProvider(library={self._library!r}, token_label={self._token!r}, "
            f"key_labels={self._key_labels!r})"
        )

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "a Pkcs11KeyProvider cannot be pickled: it holds the token PIN and an open session; create one in "
            "each process instead"
        )

    @classmethod
    def generate_kek(
        cls,
        library: str | os.PathLike[str],
        *,
        token_label: str,
        label: str,
        pin: Secret | str | None = None,
        pin_env: str | None = None,
    ) -> str:
        """Create a persistent AES-256 KEK inside the token and return its label (its key id).

        The key is generated by the token, private, ``SENSITIVE`` and not ``EXTRACTABLE``, and may encrypt,
        decrypt, wrap and unwrap, nothing else. sfshield never overwrites a key: an existing object with ``label``
        is an error.

        Raises:
            ConfigurationError: python-pkcs11 is not installed.
            KeyProviderError: an object labelled ``label`` already exists, or the token cannot be used.
            TypeError: neither or both of ``pin`` and ``pin_env`` were given.
            ValueError: ``token_label`` or ``label`` is empty.
        """
        _require_pkcs11()
        import pkcs11  # noqa: PLC0415 - optional extra, imported only when an HSM is used

        _check_label(token_label, "token_label")
        _check_label(label, "label")
        where = f"Pkcs11KeyProvider (token {token_label!r}): KEK {label!r}"
        secret = _resolve_pin(pin, pin_env, token_label=token_label)
        token = _load_token(os.fspath(library), token_label, where)
        try:
            session, _ = _login(token, secret, where, rw=True, login_key=(os.fspath(library), token_label))
        except _LoginRefusedError as refused:
            raise KeyProviderError(str(refused)) from None
        try:
            if next(iter(session.get_objects({pkcs11.Attribute.LABEL: label})), None) is not None:
                raise KeyProviderError(
                    f"{where}: an object with this label already exists in the token; sfshield never overwrites "
                    "a key: choose a new label (for example with a version suffix)"
                )
            session.generate_key(
                pkcs11.KeyType.AES, 256, label=label, store=True, capabilities=_kek_uses(), template=_kek_template()
            )
        except pkcs11.PKCS11Error as exc:
            raise KeyProviderError(
                f"{where}: the token could not generate the key ({type(exc).__name__}): check that the token is "
                "writable and supports AES-256 key generation"
            ) from None
        finally:
            _close_quietly(session)
        return label

    # -- internals ---------------------------------------------------------------------------------------------

    def _wrap_with_iv(self, data_key: bytes, *, key_id: str, aad: bytes, iv: bytes) -> bytes:
        """:meth:`wrap` with the IV passed in: the randomness seam for tests."""
        _require_bytes(data_key=data_key, aad=aad)
        if not MIN_DATA_KEY_SIZE <= len(data_key) <= MAX_DATA_KEY_SIZE:
            raise ValueError(f"a data key is {MIN_DATA_KEY_SIZE} to {MAX_DATA_KEY_SIZE} bytes, not {len(data_key)}")
        self._check_key_id(key_id)
        params = _gcm_params(iv, aad)
        ciphertext = self._run(
            key_id,
            lambda key: key.encrypt(data_key, **params),
            failure="the token could not wrap a data key: check that the KEK allows CKA_ENCRYPT",
        )
        return iv + ciphertext

    def _where(self, key_id: str) -> str:
        return f"Pkcs11KeyProvider (token {self._token!r}): KEK {key_id!r}"

    def _check_key_id(self, key_id: str) -> None:
        if key_id not in self._key_labels:
            raise KeyProviderError(
                f"{self._where(key_id)} is not one of this provider's key_labels {list(self._key_labels)}: add "
                "its label to key_labels (older KEKs stay listed after the primary until Keyring.rewrap() has "
                "moved every data key off them)"
            )

    def _run(self, key_id: str, operation: Callable[[_TokenKey], bytes], *, failure: str) -> bytes:
        """Run ``operation`` on the KEK under the lock, reopening the session once if it was lost."""
        with self._lock:
            reason = ""
            for last in (False, True):
                try:
                    return self._attempt_locked(key_id, operation, failure, last=last)
                except _SessionLostError as lost:
                    reason = lost.reason
                    self._drop_session_locked()
            raise KeyProviderError(
                f"{self._where(key_id)}: lost the session to the token twice ({reason}): check that the token "
                "is present and that nothing else in this process logs out of it"
            )

    def _attempt_locked(
        self, key_id: str, operation: Callable[[_TokenKey], bytes], failure: str, *, last: bool
    ) -> bytes:
        import pkcs11  # noqa: PLC0415 - optional extra, imported only when an HSM is used

        try:
            return operation(self._key_locked(key_id, last=last))
        except pkcs11.PKCS11Error as exc:
            name = type(exc).__name__
            if name in _SESSION_LOST_ERRORS:
                raise _SessionLostError(name) from None
            # Not chained: a failed decryption's cause could concern key material.
            raise KeyProviderError(f"{self._where(key_id)}: {failure} ({name})") from None

    def _key_locked(self, key_id: str, *, last: bool) -> _TokenKey:
        key = self._keys.get(key_id)
        if key is None:
            key = _find_kek(self._session_locked(key_id), key_id)
            if key is None and self._borrowed and not last:
                # Private objects vanish when the login we borrowed ends: reopen (and log in) before saying so.
                raise _SessionLostError("NoSuchKey")
            if key is None:
                raise KeyProviderError(
                    f"{self._where(key_id)} was not found in the token: create it with "
                    f"Pkcs11KeyProvider.generate_kek(..., label={key_id!r}), or check the label"
                )
            _check_kek(key, self._where(key_id))
            self._keys[key_id] = key
        return key

    def _session_locked(self, key_id: str) -> Session:
        if self._session is None:
            if self._refusal is not None:
                raise KeyProviderError(self._refusal)
            where = self._where(key_id)
            token = _load_token(self._library, self._token, where)
            try:
                self._session, self._borrowed = _login(
                    token, self._pin, where, rw=False, login_key=(self._library, self._token)
                )
            except _LoginRefusedError as refused:
                self._refusal = str(refused)
                raise KeyProviderError(self._refusal) from None
        return self._session

    def _drop_session_locked(self) -> None:
        session, self._session = self._session, None
        self._keys.clear()
        if session is not None:
            _close_quietly(session)


def _close_quietly(session: Session) -> None:
    """Close a session; python-pkcs11 logs out first, which fails if another session already logged out.

    The handle then stays open until the module is finalised: harmless, and nothing the caller could act on.
    """
    import pkcs11  # noqa: PLC0415 - optional extra, imported only when an HSM is used

    with contextlib.suppress(pkcs11.PKCS11Error):
        session.close()


def _require_pkcs11() -> None:
    try:
        import pkcs11  # noqa: F401, PLC0415 - optional extra, imported only when an HSM is used
    except ImportError:
        raise ConfigurationError(
            "Pkcs11KeyProvider needs python-pkcs11, which is not installed: pip install 'sfshield[hsm]'"
        ) from None


def _check_label(label: str, name: str) -> str:
    if not isinstance(label, str) or not label:
        raise ValueError(f"{name} must be a non-empty string")
    return label


def _check_key_labels(labels: Sequence[str]) -> tuple[str, ...]:
    if isinstance(labels, str):
        raise TypeError("key_labels is a sequence of labels, primary first, not a single string")
    checked = tuple(_check_label(label, "each of key_labels") for label in labels)
    if not checked:
        raise ValueError("key_labels needs at least one KEK label (the primary)")
    if len(set(checked)) != len(checked):
        raise ValueError(f"key_labels repeats a label: {list(checked)}")
    return checked


def _resolve_pin(pin: Secret | str | None, pin_env: str | None, *, token_label: str) -> Secret:
    if (pin is None) == (pin_env is None):
        raise TypeError("pass exactly one of pin= and pin_env=")
    if pin_env is not None:
        value = os.environ.get(pin_env, "")
        if not value:
            raise KeyProviderError(
                f"Pkcs11KeyProvider (token {token_label!r}): environment variable {pin_env} is unset or empty: "
                "set it to the token's user PIN"
            )
        return Secret(value)
    secret = pin if isinstance(pin, Secret) else Secret(cast("str", pin))
    if not secret:
        raise ValueError("pin must not be empty")
    return secret


def _load_token(library: str, token_label: str, where: str) -> Token:
    import pkcs11  # noqa: PLC0415 - optional extra, imported only when an HSM is used

    try:
        module = pkcs11.lib(library)
    except pkcs11.PKCS11Error as exc:
        # The cause only names the file and the loader's complaint: safe to chain.
        raise KeyProviderError(
            f"{where}: could not load the PKCS#11 module {library!r}: check the path (SoftHSM2: "
            "/usr/lib/softhsm/libsofthsm2.so) and, for SoftHSM2, that SOFTHSM2_CONF names a readable config"
        ) from exc
    try:
        return module.get_token(token_label=token_label)
    except pkcs11.NoSuchToken:
        raise KeyProviderError(
            f"{where}: no token labelled {token_label!r} in {library!r}: list the tokens with "
            "`softhsm2-util --show-slots` or `pkcs11-tool --module <library> --list-tokens`, or initialise one"
        ) from None
    except pkcs11.PKCS11Error as exc:
        raise KeyProviderError(
            f"{where}: could not select token {token_label!r} in {library!r} ({type(exc).__name__}): token "
            "labels must be unique and the token present"
        ) from exc


def _login(token: Token, pin: Secret, where: str, *, rw: bool, login_key: tuple[str, str]) -> tuple[Session, bool]:
    """Open a session logged in as the user; the flag tells whether it borrowed another session's login.

    Raises:
        _LoginRefusedError: the token refused the PIN, or the process is logged in with another PIN or by code
            outside sfshield (the message is ready for a KeyProviderError).
        KeyProviderError: any other failure.
    """
    import pkcs11  # noqa: PLC0415 - optional extra, imported only when an HSM is used

    fingerprint = hmac.new(_PIN_FINGERPRINT_KEY, pin.reveal().encode(), hashlib.sha256).digest()
    try:
        session = token.open(rw=rw, user_pin=pin.reveal())
    except pkcs11.UserAlreadyLoggedIn:
        # Another session of this process is logged in, and login state is shared per process and token. (The
        # session python-pkcs11 opened for the failed C_Login is not closed by it; one handle, until finalise.)
        # The token did not look at this PIN: compare it with the one that logged in.
        with _LOGIN_PINS_LOCK:
            known = _LOGIN_PINS.get(login_key)
        if known is None:
            raise _LoginRefusedError(
                f"{where}: the token is already logged in by code outside sfshield, so this provider's PIN cannot "
                "be checked: log that code out of the token (or let sfshield's provider log in first)"
            ) from None
        if not hmac.compare_digest(known, fingerprint):
            raise _LoginRefusedError(
                f"{where}: this process is logged in to the token with another PIN, and the token does not check "
                "a PIN while logged in: check the PIN (pin= or the pin_env variable); a refused PIN is not tried "
                "again: create a new provider"
            ) from None
    except pkcs11.PKCS11Error as exc:
        name = type(exc).__name__
        if name in _PIN_ERRORS:
            raise _LoginRefusedError(
                f"{where}: the token refused the user PIN ({name}): check the PIN (pin= or the pin_env variable). "
                "A refused PIN is not tried again, so that it cannot lock the token: create a new provider"
            ) from None
        raise KeyProviderError(
            f"{where}: could not log in to the token ({name}): check that it is initialised and that no "
            "security-officer session is open"
        ) from None
    else:
        with _LOGIN_PINS_LOCK:
            _LOGIN_PINS[login_key] = fingerprint
        return session, False
    try:
        return token.open(rw=rw), True
    except pkcs11.PKCS11Error as exc:
        raise KeyProviderError(f"{where}: could not open a session on the token ({type(exc).__name__})") from None


def _find_kek(session: Session, label: str) -> _TokenKey | None:
    import pkcs11  # noqa: PLC0415 - optional extra, imported only when an HSM is used

    try:
        key = session.get_key(object_class=pkcs11.ObjectClass.SECRET_KEY, key_type=pkcs11.KeyType.AES, label=label)
    except pkcs11.NoSuchKey:
        return None
    return cast("_TokenKey", key)


def _check_kek(key: _TokenKey, where: str) -> None:
    """Refuse a KEK that the token would reveal: the contract is that it never leaves the token."""
    from pkcs11 import Attribute  # noqa: PLC0415 - optional extra, imported only when an HSM is used

    if key[Attribute.EXTRACTABLE] or not key[Attribute.SENSITIVE]:
        raise KeyProviderError(
            f"{where} is extractable or not sensitive, so it could leave the token; refusing to use it: create a "
            "new KEK with Pkcs11KeyProvider.generate_kek and rotate to it"
        )


def _gcm_params(iv: bytes, aad: bytes) -> dict[str, Any]:
    from pkcs11 import GCMParams, Mechanism  # noqa: PLC0415 - optional extra, imported only when an HSM is used

    return {"mechanism": Mechanism.AES_GCM, "mechanism_param": GCMParams(iv, aad, TAG_SIZE * 8)}


def _kek_uses() -> Any:
    from pkcs11 import MechanismFlag  # noqa: PLC0415 - optional extra, imported only when an HSM is used

    # python-pkcs11's default for AES adds SIGN and VERIFY; a KEK should do nothing but encrypt and wrap.
    return MechanismFlag.ENCRYPT | MechanismFlag.DECRYPT | MechanismFlag.WRAP | MechanismFlag.UNWRAP


def _kek_template() -> dict[Any, bool]:
    from pkcs11 import Attribute  # noqa: PLC0415 - optional extra, imported only when an HSM is used

    return {
        Attribute.PRIVATE: True,
        Attribute.SENSITIVE: True,
        Attribute.EXTRACTABLE: False,
        Attribute.ENCRYPT: True,
        Attribute.DECRYPT: True,
        Attribute.WRAP: True,
        Attribute.UNWRAP: True,
        Attribute.SIGN: False,
        Attribute.VERIFY: False,
        Attribute.DERIVE: False,
    }


def _require_bytes(**values: object) -> None:
    for name, value in values.items():
        if not isinstance(value, bytes):
            raise TypeError(f"{name} must be bytes, not {type(value).__name__}")
