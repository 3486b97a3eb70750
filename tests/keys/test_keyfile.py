"""The key file provider: KEKs in a passphrase- or raw-key-protected file, and every way opening it must fail."""

from __future__ import annotations

import base64
import copy
import hmac
import json
import os
import pickle
import stat
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given
from hypothesis import strategies as st

from sfshield.exceptions import KeyProviderError
from sfshield.keys import KeyFileProvider
from sfshield.keys.keyfile import MAX_FILE_BYTES, MAX_KEYS, Argon2idParams
from sfshield.protocols import KeyProvider
from sfshield.secret import Secret

# Cheap Argon2id parameters, passed explicitly so that the file runs in seconds. Never for a real key file.
CHEAP = Argon2idParams(memory_kib=64, iterations=1, lanes=1)
PASSPHRASE = "correct horse battery staple"
UNLOCK_FAILED = "wrong passphrase or the file was altered"


def fixed_clock() -> datetime:
    return datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def create(path: Path, **kwargs: Any) -> KeyFileProvider:
    kwargs.setdefault("passphrase", PASSPHRASE)
    if kwargs["passphrase"] is not None or "passphrase_env" in kwargs:
        kwargs.setdefault("kdf", CHEAP)
    return KeyFileProvider.create(path, clock=fixed_clock, **kwargs)


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(path.read_text())
    return document


def save(path: Path, document: dict[str, Any]) -> None:
    path.write_text(json.dumps(document))
    path.chmod(0o600)


def lp(*parts: str | bytes) -> bytes:
    """LP from the format description: a 4-byte big-endian length, then the bytes."""
    chunks = [p.encode() if isinstance(p, str) else p for p in parts]
    return b"".join(len(c).to_bytes(4, "big") + c for c in chunks)


def assert_not_chained(error: BaseException) -> None:
    """The error carries no cause or context that could hold data (a traceback shows both)."""
    assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    create(tmp_path / "keys.json")
    return tmp_path / "keys.json"


@pytest.fixture
def raw_key(monkeypatch: pytest.MonkeyPatch) -> str:
    value = KeyFileProvider.generate_raw_key().reveal()
    monkeypatch.setenv("TEST_KEK_RAW_KEY", value)
    return value


class TestCreate:
    def test_a_new_file_holds_one_primary_kek_and_satisfies_the_protocol(self, tmp_path: Path) -> None:
        """`create` writes kek-1 as primary, and the provider is a KeyProvider."""
        provider = create(tmp_path / "keys.json")
        assert provider.key_ids == ("kek-1",) and provider.primary_key_id == "kek-1"
        assert isinstance(provider, KeyProvider)
        assert provider.versions[0].created_at == fixed_clock() and provider.versions[0].primary

    def test_the_file_is_0600_and_parses_by_hand_as_the_documented_format(self, key_file: Path) -> None:
        """The JSON has the format tag, the KDF parameters given, and a 60-byte sealed KEK; no passphrase."""
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        document = load(key_file)
        assert document["format"] == "sfshield-keyfile/1"
        unlock = document["unlock"]
        assert (unlock["method"], unlock["memory_kib"], unlock["iterations"], unlock["lanes"]) == ("argon2id", 64, 1, 1)
        assert len(base64.b64decode(unlock["salt"])) == 16
        assert document["primary"] == "kek-1" and document["keys"][0]["created_at"] == "2026-11-20T09:30:00Z"
        assert len(base64.b64decode(document["keys"][0]["sealed"])) == 12 + 32 + 16
        assert len(base64.b64decode(document["mac"])) == 32
        assert PASSPHRASE not in key_file.read_text()

    def test_the_format_can_be_opened_by_hand_from_its_documentation(self, key_file: Path) -> None:
        """Argon2id, then HKDF, checks the MAC and opens the sealed KEK exactly as the module docstring says."""
        document = load(key_file)
        unlock, entry = document["unlock"], document["keys"][0]
        salt = base64.b64decode(unlock["salt"])
        root = Argon2id(salt=salt, length=32, iterations=1, lanes=1, memory_cost=64).derive(PASSPHRASE.encode())
        both = HKDF(hashes.SHA256(), 64, salt, b"sfshield-keyfile/1 unlock").derive(root)
        unlock_text = f"argon2id:m=64,t=1,p=1,salt={unlock['salt']}"
        mac_input = lp("sfshield-keyfile/1", unlock_text, "kek-1", lp("kek-1", entry["created_at"], entry["sealed"]))
        assert hmac.digest(both[32:], mac_input, "sha256") == base64.b64decode(document["mac"])
        sealed = base64.b64decode(entry["sealed"])
        aad = lp("sfshield-keyfile/1", "kek-1", entry["created_at"], unlock_text)
        kek = AESGCM(both[:32]).decrypt(sealed[:12], sealed[12:], aad)
        wrapped = KeyFileProvider(key_file, passphrase=PASSPHRASE).wrap(b"d" * 32, key_id="kek-1", aad=b"x")
        assert AESGCM(kek).decrypt(wrapped[:12], wrapped[12:], b"x") == b"d" * 32

    def test_the_default_kdf_is_rfc_9106s_second_recommendation(self) -> None:
        """Argon2idParams() is t=3, p=4, 64 MiB (RFC 9106 §4), stored per file so it can be raised later."""
        assert Argon2idParams() == Argon2idParams(memory_kib=65536, iterations=3, lanes=4)

    def test_an_existing_file_is_never_replaced(self, key_file: Path) -> None:
        """Creating over an existing key file fails and leaves it as it was."""
        before = key_file.read_bytes()
        with pytest.raises(KeyProviderError, match="already exists"):
            create(key_file)
        assert key_file.read_bytes() == before

    def test_a_short_passphrase_is_refused(self, tmp_path: Path) -> None:
        """A passphrase under 12 characters writes nothing."""
        with pytest.raises(KeyProviderError, match="shorter than 12 characters"):
            create(tmp_path / "keys.json", passphrase="short")
        assert not (tmp_path / "keys.json").exists()

    @pytest.mark.parametrize(
        "params",
        [{"memory_kib": 7}, {"iterations": 0}, {"lanes": 0}, {"memory_kib": 3 * 1024 * 1024}, {"lanes": 65}],
    )
    def test_impossible_kdf_parameters_are_refused(self, params: dict[str, int]) -> None:
        """Argon2idParams rejects values Argon2id or the file format does not allow."""
        with pytest.raises(ValueError, match="Argon2id"):
            Argon2idParams(**params)

    def test_exactly_one_unlock_source_is_required(self, tmp_path: Path, raw_key: str) -> None:
        """No source, or two, is a programming error."""
        with pytest.raises(ValueError, match="exactly one"):
            KeyFileProvider.create(tmp_path / "a.json")
        with pytest.raises(ValueError, match="exactly one"):
            KeyFileProvider.create(tmp_path / "a.json", passphrase=PASSPHRASE, key_env="TEST_KEK_RAW_KEY")

    def test_kdf_parameters_do_not_apply_to_a_raw_key(self, tmp_path: Path, raw_key: str) -> None:
        """Passing kdf= with a raw key is a programming error."""
        with pytest.raises(ValueError, match="passphrases only"):
            KeyFileProvider.create(tmp_path / "a.json", key_env="TEST_KEK_RAW_KEY", kdf=CHEAP)


class TestWrap:
    def test_a_data_key_unwraps_in_a_reopened_provider(self, key_file: Path) -> None:
        """`wrap` then `unwrap`, across two openings of the file, gives back the data key."""
        wrapped = KeyFileProvider(key_file, passphrase=PASSPHRASE).wrap(b"k" * 32, key_id="kek-1", aad=b"t|1|dek")
        assert len(wrapped) == 12 + 32 + 16
        reopened = KeyFileProvider(key_file, passphrase=Secret(PASSPHRASE))
        assert reopened.unwrap(wrapped, key_id="kek-1", aad=b"t|1|dek") == b"k" * 32

    def test_every_wrap_uses_a_fresh_nonce(self, key_file: Path) -> None:
        """Two wraps of the same data key differ."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        assert provider.wrap(b"k" * 32, key_id="kek-1", aad=b"") != provider.wrap(b"k" * 32, key_id="kek-1", aad=b"")

    def test_other_aad_does_not_unwrap(self, key_file: Path) -> None:
        """A wrapped key moved to another tenant or key id (other aad) is refused."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        wrapped = provider.wrap(b"k" * 32, key_id="kek-1", aad=b"tenant-a")
        with pytest.raises(KeyProviderError, match=r"cannot unwrap a data key with KEK kek-1 of key file .*keys\.json"):
            provider.unwrap(wrapped, key_id="kek-1", aad=b"tenant-b")

    def test_every_flipped_byte_and_truncation_is_refused(self, key_file: Path) -> None:
        """Flipping any bit of any byte, or cutting the wrapped key anywhere, raises KeyProviderError."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        wrapped = provider.wrap(b"k" * 32, key_id="kek-1", aad=b"a")
        for i in range(len(wrapped)):
            damaged = wrapped[:i] + bytes([wrapped[i] ^ 0x01]) + wrapped[i + 1 :]
            with pytest.raises(KeyProviderError):
                provider.unwrap(damaged, key_id="kek-1", aad=b"a")
        for length in range(len(wrapped)):
            with pytest.raises(KeyProviderError):
                provider.unwrap(wrapped[:length], key_id="kek-1", aad=b"a")

    def test_an_unknown_kek_id_names_the_file_and_the_id(self, key_file: Path) -> None:
        """`wrap` and `unwrap` with a KEK id the file does not hold say which id and which file."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        with pytest.raises(KeyProviderError, match=r"keys\.json has no KEK 'kek-9' \(it holds kek-1\)"):
            provider.wrap(b"k" * 32, key_id="kek-9", aad=b"")
        with pytest.raises(KeyProviderError, match="kek-9"):
            provider.unwrap(b"\0" * 60, key_id="kek-9", aad=b"")

    @pytest.mark.parametrize("size", [0, 1025])
    def test_an_impossible_data_key_length_is_refused(self, key_file: Path, size: int) -> None:
        """Empty and oversized data keys are not wrapped."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        with pytest.raises(KeyProviderError, match="data keys are 1 to 1024 bytes"):
            provider.wrap(b"k" * size, key_id="kek-1", aad=b"")

    def test_text_instead_of_bytes_is_a_type_error(self, key_file: Path) -> None:
        """A str data key or aad is a programming error."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        with pytest.raises(TypeError, match="data_key must be bytes"):
            provider.wrap("k" * 32, key_id="kek-1", aad=b"")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="aad must be bytes"):
            provider.unwrap(b"\0" * 60, key_id="kek-1", aad="a")  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def shared_provider(tmp_path_factory: pytest.TempPathFactory) -> KeyFileProvider:
    path = tmp_path_factory.mktemp("keyfile") / "keys.json"
    return KeyFileProvider.create(path, passphrase=PASSPHRASE, kdf=CHEAP)


class TestProperties:
    @given(data_key=st.binary(min_size=1, max_size=64), aad=st.binary(max_size=256))
    def test_unwrap_inverts_wrap(self, shared_provider: KeyFileProvider, data_key: bytes, aad: bytes) -> None:
        """unwrap(wrap(k, aad), aad) == k for any data key of 1 to 64 bytes and any aad."""
        wrapped = shared_provider.wrap(data_key, key_id="kek-1", aad=aad)
        assert shared_provider.unwrap(wrapped, key_id="kek-1", aad=aad) == data_key

    @given(data_key=st.binary(min_size=1, max_size=64), aad=st.binary(max_size=64), extra=st.binary(min_size=1))
    def test_longer_aad_never_unwraps(
        self, shared_provider: KeyFileProvider, data_key: bytes, aad: bytes, extra: bytes
    ) -> None:
        """A wrapped key does not unwrap under any other aad."""
        wrapped = shared_provider.wrap(data_key, key_id="kek-1", aad=aad)
        with pytest.raises(KeyProviderError):
            shared_provider.unwrap(wrapped, key_id="kek-1", aad=aad + extra)


class TestUnlock:
    def test_a_wrong_passphrase_is_refused_with_the_file_named(self, key_file: Path) -> None:
        """The message names the file and says wrong passphrase or altered file."""
        with pytest.raises(KeyProviderError) as caught:
            KeyFileProvider(key_file, passphrase="correct horse battery stapler")
        assert str(caught.value).startswith(f"cannot unlock key file {key_file}: {UNLOCK_FAILED}")
        assert_not_chained(caught.value)

    def test_a_passphrase_from_the_environment_unlocks(self, key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """passphrase_env names the variable that holds the passphrase."""
        monkeypatch.setenv("TEST_KEYFILE_PASSPHRASE", PASSPHRASE)
        assert KeyFileProvider(key_file, passphrase_env="TEST_KEYFILE_PASSPHRASE").key_ids == ("kek-1",)

    def test_a_missing_passphrase_variable_is_named(self, key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """An unset variable is reported by name."""
        monkeypatch.delenv("TEST_KEYFILE_PASSPHRASE", raising=False)
        with pytest.raises(KeyProviderError, match=r"\$TEST_KEYFILE_PASSPHRASE is not set"):
            KeyFileProvider(key_file, passphrase_env="TEST_KEYFILE_PASSPHRASE")

    def test_a_passphrase_file_needs_a_passphrase(self, key_file: Path, raw_key: str) -> None:
        """Opening a passphrase-protected file with a raw key says what it needs."""
        with pytest.raises(KeyProviderError, match="is unlocked by a passphrase, not by \\$TEST_KEK_RAW_KEY"):
            KeyFileProvider(key_file, key_env="TEST_KEK_RAW_KEY")

    def test_no_unlock_source_is_a_programming_error(self, key_file: Path) -> None:
        """Opening without a passphrase or key raises ValueError."""
        with pytest.raises(ValueError, match="exactly one"):
            KeyFileProvider(key_file)


class TestAlteredFile:
    def alter(self, key_file: Path, change: Any) -> None:
        """Edit the key file's JSON by hand, keeping its mode 0600."""
        document = load(key_file)
        change(document)
        save(key_file, document)

    def test_a_changed_byte_in_a_sealed_kek_is_refused(self, key_file: Path) -> None:
        """Each sealed KEK is authenticated: one flipped bit and the file does not unlock."""

        def flip(document: dict[str, Any]) -> None:
            sealed = bytearray(base64.b64decode(document["keys"][0]["sealed"]))
            sealed[20] ^= 0x01
            document["keys"][0]["sealed"] = base64.b64encode(sealed).decode()

        self.alter(key_file, flip)
        with pytest.raises(KeyProviderError, match=UNLOCK_FAILED) as caught:
            KeyFileProvider(key_file, passphrase=PASSPHRASE)
        assert_not_chained(caught.value)

    @pytest.mark.parametrize(("field", "value"), [("memory_kib", 32), ("iterations", 2), ("lanes", 2)])
    def test_changed_kdf_parameters_are_refused(self, key_file: Path, field: str, value: int) -> None:
        """Lowering or raising a KDF parameter in the file makes it fail to unlock (no silent downgrade)."""
        self.alter(key_file, lambda d: d["unlock"].__setitem__(field, value))
        with pytest.raises(KeyProviderError, match=UNLOCK_FAILED):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)

    def test_a_primary_that_names_no_kek_is_refused(self, key_file: Path) -> None:
        """A primary id the file does not hold is refused before any key is derived."""
        self.alter(key_file, lambda d: d.__setitem__("primary", "kek-7"))
        with pytest.raises(KeyProviderError, match="primary KEK is not among the keys"):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)

    def test_switching_the_primary_to_an_older_kek_is_refused(self, key_file: Path) -> None:
        """The file MAC covers the primary: rolling it back to kek-1 by hand is noticed."""
        KeyFileProvider(key_file, passphrase=PASSPHRASE).add_key()
        self.alter(key_file, lambda d: d.__setitem__("primary", "kek-1"))
        with pytest.raises(KeyProviderError, match=UNLOCK_FAILED):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)

    def test_removing_a_kek_is_refused(self, key_file: Path) -> None:
        """The file MAC covers the key list: dropping a KEK is noticed."""
        KeyFileProvider(key_file, passphrase=PASSPHRASE).add_key(make_primary=False)
        self.alter(key_file, lambda d: d["keys"].pop())
        with pytest.raises(KeyProviderError, match=UNLOCK_FAILED):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)

    def test_a_kek_moved_to_another_id_is_refused(self, key_file: Path) -> None:
        """A sealed KEK is bound to its id: swapping the ids of two KEKs is noticed."""
        KeyFileProvider(key_file, passphrase=PASSPHRASE).add_key(make_primary=False)

        def swap(document: dict[str, Any]) -> None:
            first, second = document["keys"]
            first["sealed"], second["sealed"] = second["sealed"], first["sealed"]

        self.alter(key_file, swap)
        with pytest.raises(KeyProviderError, match=UNLOCK_FAILED):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)

    def test_a_future_format_asks_for_an_upgrade(self, key_file: Path) -> None:
        """An unknown format tag is refused with a hint to upgrade sfshield."""
        self.alter(key_file, lambda d: d.__setitem__("format", "sfshield-keyfile/2"))
        with pytest.raises(KeyProviderError, match=r"not in a format this sfshield reads.*upgrade sfshield"):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)

    @pytest.mark.parametrize("content", [b"", b"{", b"[]", b'{"format": "sfshield-keyfile/1"}', b"\xff\xfe"])
    def test_a_malformed_file_is_refused(self, key_file: Path, content: bytes) -> None:
        """Not JSON, the wrong shape, or missing fields: a KeyProviderError naming the file."""
        key_file.write_bytes(content)
        with pytest.raises(KeyProviderError, match=f"key file {key_file} "):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)

    def test_an_unknown_field_is_refused(self, key_file: Path) -> None:
        """Extra fields are not ignored: the file is exactly the documented format."""
        self.alter(key_file, lambda d: d.__setitem__("comment", "hello"))
        with pytest.raises(KeyProviderError, match="invalid at comment"):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)


class TestBounds:
    def test_a_100_mb_file_is_refused_before_it_is_read(self, tmp_path: Path) -> None:
        """The size is checked with fstat first, so a huge file is refused at once."""
        path = tmp_path / "huge.json"
        with path.open("wb") as stream:
            stream.truncate(100 * 1024 * 1024)
        path.chmod(0o600)
        started = time.perf_counter()
        with pytest.raises(KeyProviderError, match=f"more than the {MAX_FILE_BYTES} a key file can be"):
            KeyFileProvider(path, passphrase=PASSPHRASE)
        assert time.perf_counter() - started < 0.5

    def test_a_huge_field_is_refused_quickly(self, key_file: Path) -> None:
        """A 200 kB KEK id fits under the size cap but fails the field bounds without deriving a key."""
        document = load(key_file)
        document["keys"][0]["id"] = "kek-" + "1" * 200_000
        save(key_file, document)
        started = time.perf_counter()
        with pytest.raises(KeyProviderError, match=r"invalid at keys\.0\.id"):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)
        assert time.perf_counter() - started < 0.5

    def test_a_huge_kdf_memory_cost_is_refused_before_deriving(self, key_file: Path) -> None:
        """An altered memory cost of 1 TiB is refused by the bounds, not attempted."""
        document = load(key_file)
        document["unlock"]["memory_kib"] = 2**30
        save(key_file, document)
        with pytest.raises(KeyProviderError, match=r"invalid at unlock\.argon2id\.memory_kib"):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)

    def test_too_many_keks_are_refused(self, key_file: Path) -> None:
        """More than MAX_KEYS entries is refused by the bounds."""
        document = load(key_file)
        document["keys"] = [dict(document["keys"][0], id=f"kek-{i}") for i in range(1, MAX_KEYS + 2)]
        save(key_file, document)
        with pytest.raises(KeyProviderError, match="invalid at keys"):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)


class TestPermissions:
    @pytest.mark.parametrize("mode", [0o640, 0o604, 0o620, 0o602, 0o660, 0o644, 0o666])
    def test_a_file_others_can_access_is_refused(self, key_file: Path, mode: int) -> None:
        """Any group or other permission bit is refused, with the chmod that fixes it."""
        key_file.chmod(mode)
        with pytest.raises(KeyProviderError, match=rf"has mode {mode:04o}.*Run `chmod 600 {key_file}`"):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)

    @pytest.mark.parametrize("mode", [0o600, 0o400])
    def test_an_owner_only_file_opens(self, key_file: Path, mode: int) -> None:
        """Owner read (and write) only is accepted."""
        key_file.chmod(mode)
        assert KeyFileProvider(key_file, passphrase=PASSPHRASE).key_ids == ("kek-1",)

    def test_a_file_owned_by_someone_else_is_refused(self, key_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A key file not owned by the user running sfshield is refused, naming both uids."""
        owner = key_file.stat().st_uid
        monkeypatch.setattr(os, "geteuid", lambda: owner + 1)
        with pytest.raises(KeyProviderError, match=rf"owned by uid {owner}, not by the user running sfshield"):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)

    def test_a_missing_file_says_how_to_create_one(self, tmp_path: Path) -> None:
        """The message points at `sfshield keys init`."""
        with pytest.raises(KeyProviderError, match=r"no key file at .*sfshield keys init"):
            KeyFileProvider(tmp_path / "nothing.json", passphrase=PASSPHRASE)

    def test_a_directory_is_refused(self, tmp_path: Path) -> None:
        """A path that is not a regular file is refused."""
        (tmp_path / "dir").mkdir(mode=0o700)
        with pytest.raises(KeyProviderError):
            KeyFileProvider(tmp_path / "dir", passphrase=PASSPHRASE)


class TestRotation:
    def test_new_wraps_use_the_new_primary_and_old_wraps_still_unwrap(self, key_file: Path) -> None:
        """After add_key, kek-2 is primary; a data key wrapped under kek-1 still unwraps, also after reopening."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        old = provider.wrap(b"o" * 32, key_id=provider.primary_key_id, aad=b"a")
        assert provider.add_key() == "kek-2"
        assert provider.primary_key_id == "kek-2"
        new = provider.wrap(b"n" * 32, key_id=provider.primary_key_id, aad=b"a")
        reopened = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        assert reopened.key_ids == ("kek-1", "kek-2") and reopened.primary_key_id == "kek-2"
        assert reopened.unwrap(old, key_id="kek-1", aad=b"a") == b"o" * 32
        assert reopened.unwrap(new, key_id="kek-2", aad=b"a") == b"n" * 32
        with pytest.raises(KeyProviderError):
            reopened.unwrap(new, key_id="kek-1", aad=b"a")

    def test_a_kek_can_be_added_first_and_promoted_later(self, key_file: Path) -> None:
        """add_key(make_primary=False) keeps the primary; set_primary promotes and persists."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        assert provider.add_key(make_primary=False) == "kek-2"
        assert KeyFileProvider(key_file, passphrase=PASSPHRASE).primary_key_id == "kek-1"
        provider.set_primary("kek-2")
        assert KeyFileProvider(key_file, passphrase=PASSPHRASE).primary_key_id == "kek-2"

    def test_an_unknown_kek_cannot_be_promoted(self, key_file: Path) -> None:
        """set_primary with an id the file does not hold changes nothing."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        before = key_file.read_bytes()
        with pytest.raises(KeyProviderError, match="no KEK 'kek-5'"):
            provider.set_primary("kek-5")
        assert key_file.read_bytes() == before

    def test_the_rewrite_is_atomic_and_leaves_a_0600_file_only(self, key_file: Path) -> None:
        """add_key replaces the file with a new 0600 file and leaves no temporary file behind."""
        inode = key_file.stat().st_ino
        KeyFileProvider(key_file, passphrase=PASSPHRASE).add_key()
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600 and key_file.stat().st_ino != inode
        assert [p.name for p in key_file.parent.iterdir()] == ["keys.json"]

    def test_a_file_changed_by_another_process_is_not_overwritten(self, key_file: Path) -> None:
        """Two providers on one file: the second add_key refuses instead of losing the first one's KEK."""
        first = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        second = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        first.add_key()
        with pytest.raises(KeyProviderError, match="changed since it was opened"):
            second.add_key()
        assert KeyFileProvider(key_file, passphrase=PASSPHRASE).key_ids == ("kek-1", "kek-2")

    def test_raising_the_kdf_parameters_keeps_the_keks(self, key_file: Path) -> None:
        """change_passphrase re-seals under new parameters; the KEKs and their wrapped data keys stay valid."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        wrapped = provider.wrap(b"k" * 32, key_id="kek-1", aad=b"")
        stronger = Argon2idParams(memory_kib=128, iterations=2, lanes=1)
        provider.change_passphrase("a brand new passphrase", kdf=stronger)
        assert load(key_file)["unlock"]["memory_kib"] == 128
        reopened = KeyFileProvider(key_file, passphrase="a brand new passphrase")
        assert reopened.unwrap(wrapped, key_id="kek-1", aad=b"") == b"k" * 32
        with pytest.raises(KeyProviderError, match=UNLOCK_FAILED):
            KeyFileProvider(key_file, passphrase=PASSPHRASE)


class TestRawKey:
    def test_a_generated_raw_key_is_a_secret_of_32_bytes(self) -> None:
        """generate_raw_key returns a Secret holding base64 of 32 random bytes."""
        key = KeyFileProvider.generate_raw_key()
        assert isinstance(key, Secret) and repr(key) == "Secret('***')"
        assert len(base64.b64decode(key.reveal(), validate=True)) == 32
        assert key != KeyFileProvider.generate_raw_key()

    def test_a_raw_key_from_the_environment_round_trips(self, tmp_path: Path, raw_key: str) -> None:
        """A file created and opened with key_env wraps and unwraps; its unlock method is raw-key."""
        path = tmp_path / "keys.json"
        wrapped = create(path, passphrase=None, key_env="TEST_KEK_RAW_KEY").wrap(b"k" * 32, key_id="kek-1", aad=b"")
        assert load(path)["unlock"]["method"] == "raw-key"
        assert KeyFileProvider(path, key_env="TEST_KEK_RAW_KEY").unwrap(wrapped, key_id="kek-1", aad=b"") == b"k" * 32

    def test_a_raw_key_from_a_mounted_file_round_trips(self, tmp_path: Path, raw_key: str) -> None:
        """A mounted secret (base64 with a trailing newline, mode 0400) unlocks the same file as the variable."""
        path = tmp_path / "keys.json"
        create(path, passphrase=None, key_env="TEST_KEK_RAW_KEY")
        secret = tmp_path / "kek-raw-key"
        secret.write_text(raw_key + "\n")
        secret.chmod(0o400)
        assert KeyFileProvider(path, key_file=secret).key_ids == ("kek-1",)

    def test_a_group_readable_mounted_secret_is_accepted(self, tmp_path: Path, raw_key: str) -> None:
        """Mode 0440 (Kubernetes defaultMode with fsGroup) is accepted for the mounted raw key."""
        path = tmp_path / "keys.json"
        create(path, passphrase=None, key_env="TEST_KEK_RAW_KEY")
        secret = tmp_path / "kek-raw-key"
        secret.write_text(raw_key)
        secret.chmod(0o440)
        assert KeyFileProvider(path, key_file=secret).key_ids == ("kek-1",)

    @pytest.mark.parametrize("mode", [0o444, 0o644, 0o460, 0o404])
    def test_a_world_readable_or_group_writable_mounted_secret_is_refused(
        self, tmp_path: Path, raw_key: str, mode: int
    ) -> None:
        """Others may not read the raw key file, nor the group change it."""
        path = tmp_path / "keys.json"
        create(path, passphrase=None, key_env="TEST_KEK_RAW_KEY")
        secret = tmp_path / "kek-raw-key"
        secret.write_text(raw_key)
        secret.chmod(mode)
        with pytest.raises(KeyProviderError, match=rf"has mode {mode:04o}; .*chmod 400"):
            KeyFileProvider(path, key_file=secret)

    def test_a_wrong_raw_key_is_refused(self, tmp_path: Path, raw_key: str, monkeypatch: pytest.MonkeyPatch) -> None:
        """Another raw key does not unlock the file."""
        path = tmp_path / "keys.json"
        create(path, passphrase=None, key_env="TEST_KEK_RAW_KEY")
        monkeypatch.setenv("TEST_KEK_RAW_KEY", KeyFileProvider.generate_raw_key().reveal())
        with pytest.raises(KeyProviderError, match="wrong key or the file was altered"):
            KeyFileProvider(path, key_env="TEST_KEK_RAW_KEY")

    @pytest.mark.parametrize("value", ["not base64!", base64.b64encode(b"x" * 31).decode(), "c2VjcmV0"])
    def test_a_malformed_raw_key_is_refused_without_showing_it(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str
    ) -> None:
        """A value that is not base64 of 32 bytes is refused; the message names the variable, not the value."""
        monkeypatch.setenv("TEST_KEK_RAW_KEY", value)
        with pytest.raises(
            KeyProviderError, match=r"\$TEST_KEK_RAW_KEY does not hold a base64-encoded 32-byte key"
        ) as caught:
            create(tmp_path / "keys.json", passphrase=None, key_env="TEST_KEK_RAW_KEY")
        assert value not in str(caught.value)
        assert_not_chained(caught.value)


class TestNoLeak:
    def test_repr_shows_path_and_ids_only(self, key_file: Path) -> None:
        """`repr` and `str` name the file and the KEK ids, never the passphrase or key material."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        expected = f"KeyFileProvider(path={str(key_file)!r}, key_ids=['kek-1'], primary='kek-1')"
        assert repr(provider) == str(provider) == expected

    def test_the_passphrase_is_in_no_message(self, key_file: Path) -> None:
        """Neither the right nor a wrong passphrase appears in an error message."""
        wrong = "a wrong passphrase 1234"
        with pytest.raises(KeyProviderError) as caught:
            KeyFileProvider(key_file, passphrase=wrong)
        assert wrong not in str(caught.value) and PASSPHRASE not in str(caught.value)

    def test_the_provider_cannot_be_pickled_or_copied(self, key_file: Path) -> None:
        """Pickling (and so copying into another process) raises TypeError."""
        provider = KeyFileProvider(key_file, passphrase=PASSPHRASE)
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(provider)
        with pytest.raises(TypeError, match="cannot be pickled"):
            copy.copy(provider)
