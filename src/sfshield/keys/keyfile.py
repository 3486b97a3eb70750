"""The key file provider: key-encryption keys (KEKs) kept in a file that is itself encrypted.

This is the documented low-assurance fallback for sites without an HSM: the KEKs exist in the memory of every
process that opens the file, and whoever holds the file *and* its passphrase (or raw key) holds every KEK. Prefer
:class:`~sfshield.keys.Pkcs11KeyProvider` where you can.

The file is unlocked once, when the provider is constructed, by one of:

- a **passphrase**, stretched with Argon2id (default: RFC 9106's second recommended option, t=3, p=4, 64 MiB —
  about 0.1 s on a 2-core server). The parameters are stored in the file, so they can be raised later
  (:meth:`KeyFileProvider.change_passphrase`) without breaking files written before.
- a **raw 32-byte key**, base64-encoded, from an environment variable or a mounted secret file (containers); make
  one with :meth:`KeyFileProvider.generate_raw_key`.

The file format, ``sfshield-keyfile/1`` (UTF-8 JSON, at most 256 KiB, mode 0600, owned by the user)::

    {
      "format": "sfshield-keyfile/1",
      "unlock": {"method": "argon2id", "salt": B64(16), "memory_kib": 65536, "iterations": 3, "lanes": 4},
             or {"method": "raw-key", "salt": B64(16)},
      "primary": "kek-2",
      "keys": [{"id": "kek-1", "created_at": "2026-11-20T09:30:00Z", "sealed": B64(60)}, ...],   1 to 1000
      "mac": B64(32)
    }

- ``root`` = Argon2id(passphrase (NFC), salt, parameters) → 32 bytes, or the raw key. ``seal_key ‖ mac_key`` =
  HKDF-SHA256(root, salt, info = ``"sfshield-keyfile/1 unlock"``), 32 bytes each.
- ``sealed`` = nonce (12) ‖ AES-256-GCM(seal_key, nonce, KEK (32), AAD) with AAD = LP(format) ‖ LP(id) ‖
  LP(created_at) ‖ LP(unlock), where LP is a 4-byte big-endian length then the UTF-8 bytes, and ``unlock`` is the
  unlock object written as ``argon2id:m=65536,t=3,p=4,salt=…`` (or ``raw-key:salt=…``): a KEK cannot be moved to
  another id, and the KDF parameters cannot be lowered, without the seal failing.
- ``mac`` = HMAC-SHA256(mac_key, LP(format) ‖ LP(unlock) ‖ LP(primary) ‖ LP(LP(id) ‖ LP(created_at) ‖ LP(sealed))
  for each key): the primary cannot be switched and keys cannot be removed or reordered unnoticed.

Every field is length- and range-checked before any key is derived, and the file size before it is parsed.
Wrapping a data key is AES-256-GCM under the KEK with a random 12-byte nonce and the caller's ``aad``:
``nonce (12) ‖ ciphertext ‖ tag (16)``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import stat
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Final, Literal, NoReturn

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sfshield.exceptions import KeyProviderError
from sfshield.secret import Secret

__all__ = ["Argon2idParams", "KekVersion", "KeyFileProvider"]

FORMAT: Final = "sfshield-keyfile/1"
MAX_FILE_BYTES = 256 * 1024
MAX_KEYS = 1000
MAX_DATA_KEY_BYTES = 1024
MIN_PASSPHRASE_CHARS = 12
_NONCE = 12
_TAG = 16
_KEK_BYTES = 32
_SALT_BYTES = 16
_MAX_MEMORY_KIB = 2 * 1024 * 1024  # 2 GiB, RFC 9106's first recommended option: anything above is an altered file
_MAX_ITERATIONS = 64
_MAX_LANES = 64
_MAX_RAW_KEY_FILE_BYTES = 1024

Clock = Callable[[], datetime]


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class Argon2idParams:
    """Argon2id cost parameters for a passphrase-protected key file.

    The defaults are RFC 9106 §4's second recommended option (t=3, p=4, m=64 MiB; OWASP accepts it too), which
    unlocks in about 0.1 s on a 2-core server. Cheaper parameters are accepted so that tests run quickly; never
    use them for a real key file.

    Raises:
        ValueError: a parameter is outside what Argon2id allows or what sfshield will read back.
    """

    memory_kib: int = 65536
    iterations: int = 3
    lanes: int = 4

    def __post_init__(self) -> None:
        if not 1 <= self.lanes <= _MAX_LANES:
            raise ValueError(f"Argon2id lanes must be 1 to {_MAX_LANES}, got {self.lanes}")
        if not 1 <= self.iterations <= _MAX_ITERATIONS:
            raise ValueError(f"Argon2id iterations must be 1 to {_MAX_ITERATIONS}, got {self.iterations}")
        if not 8 * self.lanes <= self.memory_kib <= _MAX_MEMORY_KIB:
            raise ValueError(
                f"Argon2id memory must be {8 * self.lanes} to {_MAX_MEMORY_KIB} KiB for {self.lanes} lane(s), "
                f"got {self.memory_kib}"
            )


@dataclass(frozen=True, slots=True)
class KekVersion:
    """One KEK of a key file, as :attr:`KeyFileProvider.versions` lists it: never its material."""

    key_id: str
    created_at: datetime
    primary: bool


# --- the file format ------------------------------------------------------------------------------------------

_KEK_ID = r"^kek-[1-9][0-9]{0,5}$"
_B64_16 = r"^[A-Za-z0-9+/]{22}==$"
_B64_32 = r"^[A-Za-z0-9+/]{43}=$"
_B64_60 = r"^[A-Za-z0-9+/]{80}$"
_TIMESTAMP = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class _Argon2Unlock(_Model):
    method: Literal["argon2id"]
    salt: Annotated[str, Field(pattern=_B64_16)]
    memory_kib: Annotated[int, Field(ge=8, le=_MAX_MEMORY_KIB)]
    iterations: Annotated[int, Field(ge=1, le=_MAX_ITERATIONS)]
    lanes: Annotated[int, Field(ge=1, le=_MAX_LANES)]

    def describe(self) -> str:
        return f"argon2id:m={self.memory_kib},t={self.iterations},p={self.lanes},salt={self.salt}"

    def params(self) -> Argon2idParams:
        return Argon2idParams(memory_kib=self.memory_kib, iterations=self.iterations, lanes=self.lanes)


class _RawKeyUnlock(_Model):
    method: Literal["raw-key"]
    salt: Annotated[str, Field(pattern=_B64_16)]

    def describe(self) -> str:
        return f"raw-key:salt={self.salt}"


class _Entry(_Model):
    id: Annotated[str, Field(pattern=_KEK_ID)]
    created_at: Annotated[str, Field(pattern=_TIMESTAMP)]
    sealed: Annotated[str, Field(pattern=_B64_60)]


class _Document(_Model):
    format: Literal["sfshield-keyfile/1"]
    unlock: Annotated[_Argon2Unlock | _RawKeyUnlock, Field(discriminator="method")]
    primary: Annotated[str, Field(pattern=_KEK_ID)]
    keys: Annotated[tuple[_Entry, ...], Field(min_length=1, max_length=MAX_KEYS)]
    mac: Annotated[str, Field(pattern=_B64_32)]

    @model_validator(mode="after")
    def _consistent(self) -> _Document:
        ids = [entry.id for entry in self.keys]
        if len(set(ids)) != len(ids):
            raise ValueError("two KEKs have the same id")
        if self.primary not in ids:
            raise ValueError("the primary KEK is not among the keys")
        return self


def _lp(*parts: str | bytes) -> bytes:
    """Length-prefix and join: no two different part lists give the same bytes."""
    chunks = (p.encode() if isinstance(p, str) else p for p in parts)
    return b"".join(len(c).to_bytes(4, "big") + c for c in chunks)


def _seal_aad(entry_id: str, created_at: str, unlock: str) -> bytes:
    return _lp(FORMAT, entry_id, created_at, unlock)


def _mac_input(unlock: str, primary: str, keys: Sequence[_Entry]) -> bytes:
    return _lp(FORMAT, unlock, primary, *(_lp(e.id, e.created_at, e.sealed) for e in keys))


@dataclass(frozen=True, slots=True, repr=False)
class _UnlockKeys:
    seal: bytes
    mac: bytes

    @classmethod
    def derive(cls, root: bytes, salt: bytes) -> _UnlockKeys:
        both = HKDF(hashes.SHA256(), 64, salt, f"{FORMAT} unlock".encode()).derive(root)
        return cls(seal=both[:32], mac=both[32:])


# --- unlocking ------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, repr=False)
class _Credential:
    """What unlocks a file: a passphrase or a raw key, and where it came from (for messages, never the value)."""

    method: Literal["argon2id", "raw-key"]
    value: Secret
    origin: str

    def root(self, unlock: _Argon2Unlock | _RawKeyUnlock) -> bytes:
        if isinstance(unlock, _RawKeyUnlock):
            return self.value.reveal_bytes()
        passphrase = unicodedata.normalize("NFC", self.value.reveal()).encode()
        kdf = Argon2id(
            salt=base64.b64decode(unlock.salt),
            length=32,
            iterations=unlock.iterations,
            lanes=unlock.lanes,
            memory_cost=unlock.memory_kib,
        )
        return kdf.derive(passphrase)


def _credential(
    path: Path,
    *,
    passphrase: Secret | str | None,
    passphrase_env: str | None,
    key_env: str | None,
    key_file: str | os.PathLike[str] | None,
) -> _Credential:
    given = [x is not None for x in (passphrase, passphrase_env, key_env, key_file)]
    if sum(given) != 1:
        raise ValueError("pass exactly one of passphrase=, passphrase_env=, key_env= or key_file=")
    if passphrase is not None:
        value = passphrase if isinstance(passphrase, Secret) else Secret(passphrase)
        return _Credential("argon2id", value, "the passphrase")
    if passphrase_env is not None:
        return _Credential(
            "argon2id", _from_env(path, passphrase_env, "the key file's passphrase"), f"${passphrase_env}"
        )
    if key_env is not None:
        text = _from_env(path, key_env, "the base64 raw key")
        return _Credential("raw-key", _decode_raw_key(path, text, f"${key_env}"), f"${key_env}")
    if key_file is not None:
        text = _read_mounted_secret(path, Path(key_file))
        return _Credential("raw-key", _decode_raw_key(path, text, str(key_file)), str(key_file))
    raise AssertionError("unreachable: exactly one unlock source was checked above")


def _from_env(path: Path, name: str, what: str) -> Secret:
    value = os.environ.get(name)
    if not value:
        raise KeyProviderError(f"cannot unlock key file {path}: ${name} is not set or empty; put {what} in it")
    return Secret(value)


def _decode_raw_key(path: Path, text: Secret, origin: str) -> Secret:
    try:
        key = base64.b64decode(text.reveal().strip(), validate=True)
    except ValueError:
        key = b""
    if len(key) != _KEK_BYTES:
        raise KeyProviderError(
            f"cannot unlock key file {path}: {origin} does not hold a base64-encoded {_KEK_BYTES}-byte key; "
            "make one with `sfshield keys generate-raw-key`"
        ) from None
    return Secret(key)


def _read_mounted_secret(path: Path, secret_path: Path) -> Secret:
    """Read a mounted raw-key file: owner the user or root, no access for others, no group write.

    Group read is allowed because Kubernetes mounts secrets as ``root:fsGroup`` with ``defaultMode: 0440``.
    """
    try:
        with secret_path.open("rb") as stream:
            info = os.fstat(stream.fileno())
            problem = _mounted_secret_problem(info)
            if problem:
                raise KeyProviderError(f"cannot unlock key file {path}: the raw key file {secret_path} {problem}")
            data = stream.read(_MAX_RAW_KEY_FILE_BYTES + 1)
    except OSError as exc:
        raise KeyProviderError(
            f"cannot unlock key file {path}: cannot read the raw key file {secret_path} ({exc.strerror}); "
            "check the mount and its permissions"
        ) from None
    if len(data) > _MAX_RAW_KEY_FILE_BYTES:
        raise KeyProviderError(f"cannot unlock key file {path}: {secret_path} is too large to hold a raw key")
    return Secret(data)


def _mounted_secret_problem(info: os.stat_result) -> str:
    if not stat.S_ISREG(info.st_mode):
        return "is not a regular file"
    if info.st_uid not in (os.geteuid(), 0):
        return f"is owned by uid {info.st_uid}, not by this user ({os.geteuid()}) or root; chown it"
    if info.st_mode & 0o027:
        return f"has mode {stat.S_IMODE(info.st_mode):04o}; make it readable by its owner only: chmod 400 (or 440)"
    return ""


# --- reading and writing the file -----------------------------------------------------------------------------


def _read_key_file(path: Path) -> bytes:
    """Read the file after checking its type, owner, mode and size; the content is not parsed yet."""
    try:
        with path.open("rb") as stream:
            _check_key_file(path, os.fstat(stream.fileno()))
            data = stream.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise KeyProviderError(
            f"no key file at {path}: create one with `sfshield keys init {path}`, or check the path"
        ) from None
    except OSError as exc:
        raise KeyProviderError(
            f"cannot read key file {path} ({exc.strerror}); check the path and its permissions"
        ) from None
    if len(data) > MAX_FILE_BYTES:
        raise KeyProviderError(f"key file {path} grew past {MAX_FILE_BYTES} bytes while it was read; retry")
    return data


def _check_key_file(path: Path, info: os.stat_result) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise KeyProviderError(f"key file {path} is not a regular file; check the path")
    if info.st_uid != os.geteuid():
        raise KeyProviderError(
            f"key file {path} is owned by uid {info.st_uid}, not by the user running sfshield ({os.geteuid()}); "
            "chown it to that user, or run as its owner"
        )
    if info.st_mode & 0o077:
        raise KeyProviderError(
            f"key file {path} has mode {stat.S_IMODE(info.st_mode):04o}: others may read or change it. "
            f"Run `chmod 600 {path}`, and rotate its KEKs if someone else may have copied it"
        )
    if info.st_size > MAX_FILE_BYTES:
        raise KeyProviderError(
            f"key file {path} is {info.st_size} bytes, more than the {MAX_FILE_BYTES} a key file can be; "
            "check the path, or restore the file from a backup"
        )


def _parse(path: Path, data: bytes) -> _Document:
    try:
        return _Document.model_validate_json(data)
    except ValidationError as exc:
        error = exc.errors(include_url=False, include_input=False, include_context=False)[0]
        where = ".".join(str(part) for part in error["loc"]) or "the file"
        if error["type"] == "json_invalid":
            problem = "is not valid JSON"
        elif error["loc"][:1] == ("format",):
            problem = f"is not in a format this sfshield reads ({FORMAT}); upgrade sfshield, or check the path"
        else:
            problem = f"is invalid at {where} ({error['msg']})"
        raise KeyProviderError(f"key file {path} {problem}; restore it from a backup if it was altered") from None


def _write_atomically(target: Path, data: bytes, *, overwrite: bool) -> None:
    """Write ``data`` to a 0600 temporary file beside ``target``, fsync it, then move it into place."""
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as stream:
            os.fchmod(stream.fileno(), 0o600)
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        if overwrite:
            temp.replace(target)
        else:
            target.hardlink_to(temp)  # fails if the target exists: creating never replaces a key file
            temp.unlink()
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def _timestamp(clock: Clock) -> str:
    now = clock()
    if now.tzinfo is None:
        raise ValueError("the clock must return timezone-aware datetimes")
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- the provider ---------------------------------------------------------------------------------------------


class KeyFileProvider:
    """KEKs in an encrypted key file, wrapping data keys with AES-256-GCM (a :class:`~sfshield.protocols.KeyProvider`).

    Opening the file reads and unlocks it once; pass exactly one of ``passphrase``, ``passphrase_env`` (the name of
    an environment variable holding the passphrase), ``key_env`` (an environment variable holding a base64 raw
    key) or ``key_file`` (a mounted secret file holding it). The passphrase and raw key are not kept.

    The file must be a regular file owned by the user, with no group or other permissions (``chmod 600``). A
    mounted raw-key file may also be owned by root and readable by its group (Kubernetes ``fsGroup``).

    Raises:
        KeyProviderError: the file is missing, unreadable, too permissive, malformed or altered, or the
            passphrase or key is wrong. The message names the file and says what to do; it never holds a secret.
        ValueError: not exactly one unlock source was given.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        /,
        *,
        passphrase: Secret | str | None = None,
        passphrase_env: str | None = None,
        key_env: str | None = None,
        key_file: str | os.PathLike[str] | None = None,
        clock: Clock = _utc_now,
    ) -> None:
        self._path = Path(path)
        credential = _credential(
            self._path, passphrase=passphrase, passphrase_env=passphrase_env, key_env=key_env, key_file=key_file
        )
        data = _read_key_file(self._path)
        document = _parse(self._path, data)
        if document.unlock.method != credential.method:
            needed = "a passphrase" if document.unlock.method == "argon2id" else "a raw key (key_env= or key_file=)"
            raise KeyProviderError(f"key file {self._path} is unlocked by {needed}, not by {credential.origin}")
        self._unlock = _UnlockKeys.derive(credential.root(document.unlock), base64.b64decode(document.unlock.salt))
        self._keks = _unseal_all(self._path, document, self._unlock, credential.method)
        self._aeads = {key_id: AESGCM(kek) for key_id, kek in self._keks.items()}
        self._document = document
        self._digest = hashlib.sha256(data).digest()
        self._clock = clock
        self._lock = threading.Lock()

    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        /,
        *,
        passphrase: Secret | str | None = None,
        passphrase_env: str | None = None,
        key_env: str | None = None,
        key_file: str | os.PathLike[str] | None = None,
        kdf: Argon2idParams | None = None,
        clock: Clock = _utc_now,
    ) -> KeyFileProvider:
        """Write a new key file holding one KEK, ``kek-1`` (primary), and return the open provider.

        Args:
            path: where to write it; must not exist yet.
            passphrase: the passphrase (12 characters or more); or else
            passphrase_env: the name of an environment variable holding it; or else
            key_env: the name of an environment variable holding a base64 raw key; or else
            key_file: a mounted secret file holding one.
            kdf: Argon2id parameters for a passphrase (default :class:`Argon2idParams`); not for a raw key.
            clock: returns the current time, for ``created_at``.

        Raises:
            KeyProviderError: the file exists, cannot be written, the passphrase is too short, or the raw key
                cannot be read.
            ValueError: not exactly one unlock source, or ``kdf`` with a raw key.
        """
        target = Path(path)
        credential = _credential(
            target, passphrase=passphrase, passphrase_env=passphrase_env, key_env=key_env, key_file=key_file
        )
        exists = f"{target} already exists: pick another name (replacing it would lose its KEKs)"
        if target.exists():
            raise KeyProviderError(exists)
        unlock_model = _new_unlock(target, credential, kdf)
        unlock = _UnlockKeys.derive(credential.root(unlock_model), base64.b64decode(unlock_model.salt))
        entry = _seal(unlock, unlock_model.describe(), "kek-1", _timestamp(clock), os.urandom(_KEK_BYTES))
        try:
            _write_atomically(target, _serialize(_finish(unlock, unlock_model, "kek-1", (entry,))), overwrite=False)
        except FileExistsError:
            raise KeyProviderError(exists) from None
        except OSError as exc:
            raise KeyProviderError(f"cannot write key file {target} ({exc.strerror}); check the folder") from None
        # Open what was written, like any reader will: one more key derivation, and proof that the file works.
        return cls(
            target,
            passphrase=credential.value if passphrase is not None else None,
            passphrase_env=passphrase_env,
            key_env=key_env,
            key_file=key_file,
            clock=clock,
        )

    @staticmethod
    def generate_raw_key() -> Secret:
        """Return a new random 32-byte raw key, base64-encoded, for ``key_env=`` or ``key_file=``."""
        return Secret(base64.b64encode(os.urandom(_KEK_BYTES)).decode())

    # --- KeyProvider ---

    @property
    def path(self) -> Path:
        """The key file."""
        return self._path

    @property
    def primary_key_id(self) -> str:
        """The id of the KEK that new data keys are wrapped with."""
        return self._document.primary

    @property
    def key_ids(self) -> tuple[str, ...]:
        """Every KEK id in the file, oldest first."""
        return tuple(entry.id for entry in self._document.keys)

    @property
    def versions(self) -> tuple[KekVersion, ...]:
        """Every KEK's id, creation time and whether it is primary, oldest first; never material."""
        primary = self._document.primary
        return tuple(
            KekVersion(e.id, datetime.strptime(e.created_at, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC), e.id == primary)
            for e in self._document.keys
        )

    def wrap(self, data_key: bytes, /, *, key_id: str, aad: bytes) -> bytes:
        """Wrap ``data_key`` (1 to 1024 bytes) with KEK ``key_id``, bound to ``aad``: nonce ‖ ciphertext ‖ tag.

        Raises:
            KeyProviderError: the KEK is unknown or the data key has an impossible length.
        """
        aead = self._aead(key_id)
        _require_bytes(data_key=data_key, aad=aad)
        if not 1 <= len(data_key) <= MAX_DATA_KEY_BYTES:
            raise KeyProviderError(
                f"cannot wrap a data key of {len(data_key)} bytes with KEK {key_id} of key file {self._path}: "
                f"data keys are 1 to {MAX_DATA_KEY_BYTES} bytes"
            )
        nonce = os.urandom(_NONCE)
        return nonce + aead.encrypt(nonce, data_key, aad)

    def unwrap(self, wrapped: bytes, /, *, key_id: str, aad: bytes) -> bytes:
        """Return the data key that :meth:`wrap` wrapped with KEK ``key_id`` and the same ``aad``.

        Raises:
            KeyProviderError: the KEK is unknown, or the wrapped key is damaged or bound to other ``aad``.
        """
        aead = self._aead(key_id)
        _require_bytes(wrapped=wrapped, aad=aad)
        problem = (
            f"cannot unwrap a data key with KEK {key_id} of key file {self._path}: the wrapped key is damaged, or it "
            "was wrapped for another tenant or key id; check the key store record"
        )
        if not _NONCE + _TAG < len(wrapped) <= _NONCE + MAX_DATA_KEY_BYTES + _TAG:
            raise KeyProviderError(problem)
        try:
            return aead.decrypt(wrapped[:_NONCE], wrapped[_NONCE:], aad)
        except InvalidTag:
            raise KeyProviderError(problem) from None

    def _aead(self, key_id: str) -> AESGCM:
        aead = self._aeads.get(key_id) if isinstance(key_id, str) else None
        if aead is None:
            raise KeyProviderError(
                f"key file {self._path} has no KEK {key_id!r} (it holds {', '.join(self.key_ids)}): restore the "
                "file version that holds it from a backup, or check the key id"
            )
        return aead

    # --- managing KEKs ---

    def add_key(self, *, make_primary: bool = True) -> str:
        """Add a new random KEK, make it primary unless told not to, rewrite the file; return its id.

        Data keys wrapped with older KEKs still unwrap. After making a new KEK primary, re-wrap the stored data keys
        (:meth:`sfshield.crypto.Keyring.rewrap`).

        Raises:
            KeyProviderError: the file already holds the maximum number of KEKs, changed since it was opened, or
                cannot be written; nothing was changed then.
        """
        with self._lock:
            document = self._document
            if len(document.keys) >= MAX_KEYS:
                raise KeyProviderError(f"key file {self._path} already holds {MAX_KEYS} KEKs; start a new key file")
            key_id = f"kek-{max(int(e.id.removeprefix('kek-')) for e in document.keys) + 1}"
            kek = os.urandom(_KEK_BYTES)
            entry = _seal(self._unlock, document.unlock.describe(), key_id, _timestamp(self._clock), kek)
            primary = key_id if make_primary else document.primary
            self._rewrite(_finish(self._unlock, document.unlock, primary, (*document.keys, entry)))
            self._keks[key_id] = kek
            self._aeads[key_id] = AESGCM(kek)
            return key_id

    def set_primary(self, key_id: str) -> None:
        """Make KEK ``key_id`` the one new data keys are wrapped with, and rewrite the file.

        Raises:
            KeyProviderError: the KEK is unknown, or the file changed since it was opened or cannot be written.
        """
        with self._lock:
            self._aead(key_id)
            document = self._document
            if document.primary != key_id:
                self._rewrite(_finish(self._unlock, document.unlock, key_id, document.keys))

    def change_passphrase(self, passphrase: Secret | str, /, *, kdf: Argon2idParams | None = None) -> None:
        """Re-seal every KEK under ``passphrase`` (it may be the same one) with a new salt and ``kdf`` parameters.

        This is also how to raise the Argon2id parameters of an existing file. The KEKs themselves do not change.

        Raises:
            KeyProviderError: the file is unlocked by a raw key, the passphrase is too short, or the file changed
                since it was opened or cannot be written.
        """
        with self._lock:
            document = self._document
            if document.unlock.method != "argon2id":
                raise KeyProviderError(f"key file {self._path} is unlocked by a raw key, not a passphrase")
            secret = passphrase if isinstance(passphrase, Secret) else Secret(passphrase)
            credential = _Credential("argon2id", secret, "the passphrase")
            unlock_model = _new_unlock(self._path, credential, kdf)
            unlock = _UnlockKeys.derive(credential.root(unlock_model), base64.b64decode(unlock_model.salt))
            entries = tuple(
                _seal(unlock, unlock_model.describe(), e.id, e.created_at, self._keks[e.id]) for e in document.keys
            )
            self._rewrite(_finish(unlock, unlock_model, document.primary, entries))
            self._unlock = unlock

    def _rewrite(self, document: _Document) -> None:
        """Replace the file with ``document`` unless someone else changed it since it was read."""
        if hashlib.sha256(_read_key_file(self._path)).digest() != self._digest:
            raise KeyProviderError(
                f"key file {self._path} changed since it was opened (another process added or promoted a KEK?); "
                "nothing was written: open it again and retry"
            )
        data = _serialize(document)
        try:
            _write_atomically(Path(os.path.realpath(self._path)), data, overwrite=True)
        except OSError as exc:
            raise KeyProviderError(f"cannot rewrite key file {self._path} ({exc.strerror}); check the folder") from None
        self._document = document
        self._digest = hashlib.sha256(data).digest()

    def __repr__(self) -> str:
        ids = list(self.key_ids)
        return f"KeyFileProvider(path={str(self._path)!r}, key_ids={ids!r}, primary={self.primary_key_id!r})"

    def __reduce__(self) -> NoReturn:
        raise TypeError(
            "a KeyFileProvider holds unlocked KEKs and cannot be pickled: open the key file in each process"
        )


def _require_bytes(**values: object) -> None:
    for name, value in values.items():
        if not isinstance(value, bytes):
            raise TypeError(f"{name} must be bytes, not {type(value).__name__}")


def _new_unlock(path: Path, credential: _Credential, kdf: Argon2idParams | None) -> _Argon2Unlock | _RawKeyUnlock:
    salt = base64.b64encode(os.urandom(_SALT_BYTES)).decode()
    if credential.method == "raw-key":
        if kdf is not None:
            raise ValueError("kdf= applies to passphrases only; a raw key is not stretched")
        return _RawKeyUnlock(method="raw-key", salt=salt)
    if len(unicodedata.normalize("NFC", credential.value.reveal())) < MIN_PASSPHRASE_CHARS:
        raise KeyProviderError(
            f"the passphrase for {path} is shorter than {MIN_PASSPHRASE_CHARS} characters; choose a longer one "
            "(five or more random words), or use a raw key"
        )
    p = kdf or Argon2idParams()
    return _Argon2Unlock(method="argon2id", salt=salt, memory_kib=p.memory_kib, iterations=p.iterations, lanes=p.lanes)


def _seal(unlock: _UnlockKeys, unlock_text: str, key_id: str, created_at: str, kek: bytes) -> _Entry:
    nonce = os.urandom(_NONCE)
    sealed = nonce + AESGCM(unlock.seal).encrypt(nonce, kek, _seal_aad(key_id, created_at, unlock_text))
    return _Entry(id=key_id, created_at=created_at, sealed=base64.b64encode(sealed).decode())


def _finish(
    unlock: _UnlockKeys, unlock_model: _Argon2Unlock | _RawKeyUnlock, primary: str, keys: tuple[_Entry, ...]
) -> _Document:
    mac = hmac.digest(unlock.mac, _mac_input(unlock_model.describe(), primary, keys), "sha256")
    return _Document(format=FORMAT, unlock=unlock_model, primary=primary, keys=keys, mac=base64.b64encode(mac).decode())


def _serialize(document: _Document) -> bytes:
    return (document.model_dump_json(indent=2) + "\n").encode()


def _unseal_all(path: Path, document: _Document, unlock: _UnlockKeys, method: str) -> dict[str, bytes]:
    """Check the file's MAC, then open every sealed KEK; any failure is the same 'cannot unlock' error."""
    secret = "passphrase" if method == "argon2id" else "key"
    failure = KeyProviderError(
        f"cannot unlock key file {path}: wrong {secret} or the file was altered; check the {secret}, "
        "or restore the file from a backup"
    )
    unlock_text = document.unlock.describe()
    expected = hmac.digest(unlock.mac, _mac_input(unlock_text, document.primary, document.keys), "sha256")
    if not hmac.compare_digest(expected, base64.b64decode(document.mac)):
        raise failure
    aead = AESGCM(unlock.seal)
    keks: dict[str, bytes] = {}
    for entry in document.keys:
        sealed = base64.b64decode(entry.sealed)
        try:
            keks[entry.id] = aead.decrypt(
                sealed[:_NONCE], sealed[_NONCE:], _seal_aad(entry.id, entry.created_at, unlock_text)
            )
        except InvalidTag:
            raise failure from None
    return keks
