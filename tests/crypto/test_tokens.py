"""TokenStore: OAuth tokens and client secrets encrypted at rest, bound to org, user, app and kind; nothing leaks."""

from __future__ import annotations

import base64
import copy
import logging
import os
import pickle
import secrets
import sqlite3
import stat
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.crypto import EnvelopeCipher, StoredToken, TokenKind, TokenRef, TokenStore
from sfshield.exceptions import TokenStoreError
from sfshield.secret import Secret
from sfshield.testing import InMemoryKeyProvider
from sfshield.testing.org._seed import checksum_suffix


def id18(id15: str) -> str:
    """The 18-character form, computed by the embedded org's independent implementation."""
    return id15 + checksum_suffix(id15)


ORG, OTHER_ORG = id18("00D5i00000CIhxb"), id18("00D5i00000QrStu")
USER, OTHER_USER = id18("0055i00000AbCdE"), id18("0055i00000FgHiJ")
CLIENT, OTHER_CLIENT = "3MVG9" + "kX7.pQ_" * 12, "3MVG9" + "zY2.mN_" * 12
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
CIPHER = EnvelopeCipher(InMemoryKeyProvider())


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        """The current fake time."""
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the fake time forward."""
        self.now += delta


def ref(kind: TokenKind = TokenKind.REFRESH_TOKEN, /, **changes: str | None) -> TokenRef:
    fields: dict[str, str | None] = {"tenant": "acme", "org_id": ORG, "user_id": USER, "client_id": CLIENT}
    fields.update(changes)
    return TokenRef(kind=kind, **fields)  # type: ignore[arg-type]


def token(kind: TokenKind = TokenKind.REFRESH_TOKEN) -> str:
    """A fresh value shaped like a real one, so that greps for it mean something."""
    shapes = {
        TokenKind.ACCESS_TOKEN: f"00D5i00000CIhxb!AQ4AQ{secrets.token_urlsafe(72)}",
        TokenKind.REFRESH_TOKEN: f"5Aep861{secrets.token_urlsafe(60)}",
        TokenKind.CLIENT_SECRET: secrets.token_hex(32).upper(),
        TokenKind.PRIVATE_KEY: pem(secrets.token_bytes(1200)),
    }
    return shapes[kind]


def pem(der: bytes) -> str:
    body = base64.b64encode(der).decode()
    lines = [body[i : i + 64] for i in range(0, len(body), 64)]
    return "-----BEGIN PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END PRIVATE KEY-----\n"


def app_ref(kind: TokenKind, /, **changes: str | None) -> TokenRef:
    """Client secrets and signing keys belong to the connected app, so they are stored without a user."""
    return ref(kind, **{"user_id": None, **changes})


def ref_for(kind: TokenKind) -> TokenRef:
    return ref(kind) if kind in {TokenKind.ACCESS_TOKEN, TokenKind.REFRESH_TOKEN} else app_ref(kind)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "vault" / "tokens.db"


@pytest.fixture
def store(path: Path, clock: FakeClock) -> Iterator[TokenStore]:
    with TokenStore(CIPHER, path, clock=clock) as opened:
        yield opened


def edit(path: Path, sql: str, *args: object) -> None:
    """Change the SQLite file behind the store's back, as someone with file access could."""
    with closing(sqlite3.connect(path)) as db, db:
        db.execute(sql, args)


def copy_row(path: Path, column: str, value: str) -> None:
    columns = ["tenant", "org_id", "user_id", "client_id", "kind", "ciphertext", "issued_at", "expires_at"]
    columns.append("instance_url")
    selected = ", ".join("?" if name == column else name for name in columns)
    edit(path, f"INSERT INTO sfshield_tokens SELECT {selected} FROM sfshield_tokens", value)


def disk_bytes(path: Path) -> bytes:
    """The database file and any journal or write-ahead log beside it."""
    return b"".join(p.read_bytes() for p in sorted(path.parent.iterdir()) if p.name.startswith(path.name))


class TestTokenRef:
    def test_15_and_18_character_ids_name_the_same_token(self) -> None:
        """Org and user ids are normalised to 18 characters, so either form finds the token."""
        assert ref(org_id=ORG[:15], user_id=USER[:15]) == ref()
        assert ref(org_id=ORG[:15]).org_id == ORG

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("org_id", "integration@acme.example"),
            ("org_id", "00D5i00000CIhxb!AQ4AQsecretsecretsecret"),
            ("org_id", USER),
            ("org_id", "00D5i00000CIh"),
            ("org_id", ORG.lower()[:15] + ORG[15:]),
            ("user_id", ORG),
            ("user_id", USER[:15] + "AAA"),
            ("client_id", "3MVG9 with spaces"),
            ("client_id", ""),
            ("client_id", "x" * 256),
            ("tenant", ""),
        ],
    )
    def test_malformed_identifiers_are_refused_without_repeating_non_ids(self, field: str, value: str) -> None:
        """A bad id raises ValueError; a value that is not an id (perhaps a token) never appears in the message."""
        with pytest.raises(ValueError, match=field) as caught:
            ref(**{field: value})
        if "!" in value or " " in value:
            assert value not in str(caught.value)

    def test_an_18_character_id_with_a_wrong_suffix_says_what_it_should_be(self) -> None:
        """A mangled 18-character id is refused with the suffix that would match its first 15 characters."""
        with pytest.raises(ValueError, match=f"last 3 characters should be {USER[15:]}"):
            ref(user_id=USER[:15] + "AAA")

    def test_access_and_refresh_tokens_need_a_user(self) -> None:
        """User tokens without a user id are refused; app credentials may omit it."""
        for kind in (TokenKind.ACCESS_TOKEN, TokenKind.REFRESH_TOKEN):
            with pytest.raises(ValueError, match="user_id"):
                ref(kind, user_id=None)
        assert app_ref(TokenKind.CLIENT_SECRET).user_id is None

    def test_kind_is_coerced_from_its_value_and_unknown_kinds_are_refused(self) -> None:
        """The kind may be given as its string value; anything else lists the valid kinds."""
        assert ref("access_token").kind is TokenKind.ACCESS_TOKEN  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="refresh_token"):
            ref("id_token")  # type: ignore[arg-type]

    def test_a_ref_is_public_and_picklable(self) -> None:
        """Refs hold identifiers only: picklable (queues, audit events), shown with the consumer key as a hint."""
        the_ref = ref()
        assert ORG in repr(the_ref) and "refresh token" in str(the_ref)
        assert the_ref.client_hint in repr(the_ref) and the_ref.client_hint in str(the_ref)
        assert CLIENT not in repr(the_ref) + str(the_ref)
        assert the_ref.client_hint.startswith(CLIENT[:4] + "…#")
        assert pickle.loads(pickle.dumps(the_ref)) == the_ref  # noqa: S301 - our own bytes


class TestRoundTrip:
    @pytest.mark.parametrize("kind", list(TokenKind))
    def test_every_kind_round_trips_with_its_metadata(self, store: TokenStore, kind: TokenKind) -> None:
        """What is put comes back as a Secret, with issued_at from the clock and the given metadata."""
        value, the_ref = token(kind), ref_for(kind)
        store.put(the_ref, value, expires_at=T0 + timedelta(hours=2), instance_url="https://acme.my.salesforce.com")
        stored = store.get(the_ref)
        assert stored.secret.reveal() == value
        assert stored.ref == the_ref and stored.issued_at == T0 and stored.expires_at == T0 + timedelta(hours=2)
        assert stored.instance_url == "https://acme.my.salesforce.com"

    def test_a_secret_object_and_a_plain_string_are_both_accepted(self, store: TokenStore) -> None:
        """Put accepts a Secret or a str; get always returns a Secret."""
        store.put(ref(), Secret("from-a-secret"))
        assert store.get(ref()).secret == Secret("from-a-secret")
        store.put(ref(), "from-a-string")
        assert store.get(ref()).secret.reveal() == "from-a-string"

    def test_the_instance_url_is_normalised_to_its_origin(self, store: TokenStore) -> None:
        """Scheme and host are lower-cased, the default port and a trailing slash dropped; other ports kept."""
        store.put(ref(), token(), instance_url="https://Acme.My.Salesforce.com:443/")
        assert store.get(ref()).instance_url == "https://acme.my.salesforce.com"
        store.put(ref(), token(), instance_url="https://localhost:8443")
        assert store.get(ref()).instance_url == "https://localhost:8443"

    def test_tokens_survive_closing_and_reopening_the_file(self, path: Path, clock: FakeClock) -> None:
        """The file store is durable: a new store on the same file reads what the old one wrote."""
        value = token()
        with TokenStore(CIPHER, path, clock=clock) as first:
            first.put(ref(), value)
        with TokenStore(CIPHER, path, clock=clock) as second:
            assert second.get(ref()).secret.reveal() == value

    def test_refs_are_listed_without_decrypting(self, store: TokenStore) -> None:
        """list_refs returns every ref (or one tenant's), sorted, and decrypts nothing."""
        refs = [ref(TokenKind.ACCESS_TOKEN), ref(), app_ref(TokenKind.CLIENT_SECRET), ref(tenant="beta")]
        for the_ref in refs:
            store.put(the_ref, token())
        assert set(store.list_refs()) == set(refs)
        assert store.list_refs(tenant="beta") == [ref(tenant="beta")]
        assert store.list_refs(tenant="nobody") == []

    def test_put_replaces_and_delete_removes(self, store: TokenStore) -> None:
        """A second put replaces the first; delete reports whether there was something to remove."""
        store.put(ref(), "first")
        store.put(ref(), "second")
        assert store.get(ref()).secret.reveal() == "second"
        assert store.delete(ref()) is True
        assert store.delete(ref()) is False
        assert store.list_refs() == []

    def test_a_missing_token_says_how_to_store_one(self, store: TokenStore) -> None:
        """Getting a missing token raises TokenStoreError naming the ref and the way to store it."""
        with pytest.raises(TokenStoreError, match="no refresh token of tenant 'acme'") as caught:
            store.get(ref())
        assert "authorise the connected app" in str(caught.value) and "TokenStore.put" in str(caught.value)
        with pytest.raises(TokenStoreError, match="consumer secret"):
            store.get(app_ref(TokenKind.CLIENT_SECRET))


@given(st.text(min_size=1, max_size=3000))
def test_any_text_round_trips(value: str) -> None:
    """Every non-empty text (unicode included) comes back unchanged."""
    with TokenStore.in_memory(CIPHER) as store:
        store.put(ref(), value)
        assert store.get(ref()).secret.reveal() == value


@given(st.binary(min_size=2900, max_size=3100).map(pem))
def test_4_kb_pem_keys_round_trip(value: str) -> None:
    """JWT signing keys of about 4 KB come back byte for byte."""
    assert len(value) > 3900
    with TokenStore.in_memory(CIPHER) as store:
        store.put(app_ref(TokenKind.PRIVATE_KEY), value)
        assert store.get(app_ref(TokenKind.PRIVATE_KEY)).secret.reveal() == value


class TestBinding:
    @pytest.mark.parametrize(
        ("column", "value", "kind"),
        [
            ("org_id", OTHER_ORG, TokenKind.REFRESH_TOKEN),
            ("user_id", OTHER_USER, TokenKind.REFRESH_TOKEN),
            ("client_id", OTHER_CLIENT, TokenKind.REFRESH_TOKEN),
            ("kind", "access_token", TokenKind.ACCESS_TOKEN),
            ("tenant", "beta", TokenKind.REFRESH_TOKEN),
        ],
    )
    def test_a_row_copied_to_another_binding_does_not_decrypt(
        self, store: TokenStore, path: Path, column: str, value: str, kind: TokenKind
    ) -> None:
        """A ciphertext copied in the file to another org, user, app, kind or tenant is refused; nothing returned."""
        secret = token()
        store.put(ref(), secret)
        store.put(ref(tenant="beta"), token())  # beta has keys too, so only the binding can fail
        edit(path, "DELETE FROM sfshield_tokens WHERE tenant = 'beta'")
        copy_row(path, column, value)
        target = ref(kind, **({} if column == "kind" else {column: value}))
        with pytest.raises(TokenStoreError, match="does not belong to that binding") as caught:
            store.get(target)
        assert "Nothing was returned" in str(caught.value) and secret not in str(caught.value)
        assert caught.value.__cause__ is None and caught.value.__suppress_context__
        assert store.get(ref()).secret.reveal() == secret  # the original is untouched

    @pytest.mark.parametrize(
        ("column", "value"),
        [
            ("instance_url", "https://attacker.example"),
            ("instance_url", None),
            ("expires_at", (T0 + timedelta(days=365)).isoformat(timespec="microseconds")),
            ("expires_at", None),
            ("issued_at", (T0 + timedelta(hours=23)).isoformat(timespec="microseconds")),
            ("issued_at", "not a time"),
        ],
    )
    def test_edited_metadata_makes_the_token_unreadable(
        self, store: TokenStore, path: Path, column: str, value: str | None
    ) -> None:
        """The instance host and the timestamps are bound too: a token cannot be redirected or made to look fresh."""
        store.put(ref(), token(), expires_at=T0 + timedelta(hours=2), instance_url="https://acme.my.salesforce.com")
        edit(path, f"UPDATE sfshield_tokens SET {column} = ?", value)
        with pytest.raises(TokenStoreError, match="does not belong to that binding"):
            store.get(ref())

    def test_a_shredded_tenant_cannot_read_or_store_tokens(self, path: Path) -> None:
        """After crypto-shredding, the tenant's tokens are unreadable and new ones are refused; others are fine."""
        cipher = EnvelopeCipher(InMemoryKeyProvider())
        with TokenStore(cipher, path) as store:
            store.put(ref(), token())
            kept = token()
            store.put(ref(tenant="beta"), kept)
            cipher.keyring.destroy_tenant("acme")
            with pytest.raises(TokenStoreError, match="keys were destroyed") as caught:
                store.get(ref())
            assert caught.value.__cause__ is None
            with pytest.raises(TokenStoreError, match="no usable data key"):
                store.put(ref(TokenKind.ACCESS_TOKEN), token(TokenKind.ACCESS_TOKEN))
            assert store.get(ref(tenant="beta")).secret.reveal() == kept


class TestExpiryAndRotation:
    def test_is_expired_follows_expires_at_and_leeway(self, store: TokenStore) -> None:
        """Expired at and after expires_at, or within the leeway before it; never without an expiry."""
        store.put(ref(), token(), expires_at=T0 + timedelta(hours=1))
        stored = store.get(ref())
        assert not stored.is_expired(T0)
        assert stored.is_expired(T0, leeway=timedelta(hours=1))
        assert stored.is_expired(T0 + timedelta(hours=1))
        store.put(ref(), token())
        assert not store.get(ref()).is_expired(T0 + timedelta(days=3650))

    def test_naive_datetimes_are_refused(self, store: TokenStore) -> None:
        """Times without a time zone are ambiguous, so expires_at and now must be aware."""
        with pytest.raises(ValueError, match="expires_at must be a timezone-aware"):
            store.put(ref(), token(), expires_at=datetime(2026, 3, 1, 10, 0))  # noqa: DTZ001
        store.put(ref(), token())
        with pytest.raises(ValueError, match="now must be a timezone-aware"):
            store.get(ref()).is_expired(datetime(2026, 3, 1, 10, 0))  # noqa: DTZ001

    def test_due_for_rotation_lists_old_and_expired_tokens(self, store: TokenStore, clock: FakeClock) -> None:
        """Secrets stored max_age ago or more, or already expired, are due; fresh ones are not."""
        store.put(ref(), token())
        clock.advance(timedelta(hours=23))
        store.put(app_ref(TokenKind.CLIENT_SECRET), token(TokenKind.CLIENT_SECRET))
        store.put(ref(TokenKind.ACCESS_TOKEN), token(), expires_at=clock.now + timedelta(minutes=30))
        assert store.due_for_rotation(timedelta(hours=24)) == []
        clock.advance(timedelta(hours=1))
        assert store.due_for_rotation(timedelta(hours=24)) == [ref(TokenKind.ACCESS_TOKEN), ref()]
        assert store.due_for_rotation(timedelta(hours=24), tenant="beta") == []
        with pytest.raises(ValueError, match="max_age"):
            store.due_for_rotation(timedelta(0))

    def test_rotate_stores_the_new_secret_and_returns_the_old_one(self, store: TokenStore, clock: FakeClock) -> None:
        """Rotation swaps the value, restamps issued_at, keeps the instance URL, and hands back the old for revoking."""
        old, new = token(), token()
        store.put(ref(), old, expires_at=T0 + timedelta(hours=1), instance_url="https://acme.my.salesforce.com")
        clock.advance(timedelta(hours=24))
        returned = store.rotate(ref(), new, expires_at=clock.now + timedelta(hours=1))
        assert returned.secret.reveal() == old and returned.issued_at == T0
        current = store.get(ref())
        assert current.secret.reveal() == new and current.issued_at == clock.now
        assert current.expires_at == clock.now + timedelta(hours=1)
        assert current.instance_url == "https://acme.my.salesforce.com"

    def test_rotate_of_nothing_or_of_an_unreadable_token_changes_nothing(self, store: TokenStore, path: Path) -> None:
        """Rotation needs a readable old value; when there is none, it raises and stores nothing."""
        with pytest.raises(TokenStoreError, match="nothing to rotate"):
            store.rotate(ref(), token())
        assert store.list_refs() == []
        store.put(ref(), token())
        copy_row(path, "user_id", OTHER_USER)
        with pytest.raises(TokenStoreError, match="does not belong"):
            store.rotate(ref(user_id=OTHER_USER), token())
        with pytest.raises(TokenStoreError, match="does not belong"):
            store.get(ref(user_id=OTHER_USER))

    def test_rotate_checks_its_arguments_before_touching_the_store(self, store: TokenStore) -> None:
        """A bad new secret is refused and the old one stays."""
        store.put(ref(), "old")
        with pytest.raises(ValueError, match="1 to 65536 bytes"):
            store.rotate(ref(), "")
        assert store.get(ref()).secret.reveal() == "old"


class TestNoLeaks:
    def test_the_secret_is_in_no_repr_str_or_error(self, store: TokenStore, path: Path) -> None:
        """Store, stored token and every error show identifiers, never the value."""
        value = token()
        store.put(ref(), value)
        stored = store.get(ref())
        errors: list[Exception] = []
        copy_row(path, "org_id", OTHER_ORG)
        for wanted in (ref(org_id=OTHER_ORG), ref(TokenKind.ACCESS_TOKEN)):
            with pytest.raises(TokenStoreError) as caught:
                store.get(wanted)
            errors.append(caught.value)
        shown = [repr(store), str(store), repr(stored), str(stored), f"{stored}", repr(stored.secret)]
        shown += [str(e) for e in errors] + [repr(e) for e in errors]
        assert all(value not in text for text in shown)
        assert "TokenStore(" in repr(store) and ORG in repr(stored)

    def test_debug_logging_names_refs_but_never_values(
        self, store: TokenStore, path: Path, caplog: pytest.LogCaptureFixture
    ) -> None:
        """Every operation may log at DEBUG; the logs carry the ref, never the secret."""
        caplog.set_level(logging.DEBUG, logger="sfshield")
        old, new = token(), token()
        store.put(ref(), old)
        store.get(ref())
        store.rotate(ref(), new)
        store.list_refs()
        copy_row(path, "client_id", OTHER_CLIENT)
        with pytest.raises(TokenStoreError):
            store.get(ref(client_id=OTHER_CLIENT))
        store.delete(ref())
        assert caplog.records, "the store logs its operations"
        assert ORG in caplog.text
        assert old not in caplog.text and new not in caplog.text

    def test_no_secret_reaches_the_file_in_plaintext_or_base64(self, store: TokenStore, path: Path) -> None:
        """The file and its journals hold ciphertext only: no value, nor its base64, nor its UTF-8 bytes."""
        values = {kind: token(kind) for kind in TokenKind}
        for kind, value in values.items():
            store.put(ref_for(kind), value)
        store.rotate(ref(), token())
        raw = disk_bytes(path)
        assert ORG.encode() in raw  # identifiers are stored in the clear: this is the right file
        for value in values.values():
            data = value.encode()
            for needle in (data, base64.b64encode(data), base64.urlsafe_b64encode(data), data[8:40]):
                assert needle not in raw

    def test_store_and_stored_token_refuse_pickling(self, store: TokenStore) -> None:
        """Neither the store nor a stored token can be pickled; a stored token copies as itself."""
        store.put(ref(), token())
        stored = store.get(ref())
        for thing in (store, stored):
            with pytest.raises(TypeError, match=f"a {type(thing).__name__} holds .* cannot be pickled"):
                pickle.dumps(thing)
        assert copy.copy(stored) is stored and copy.deepcopy(stored) is stored
        assert isinstance(stored, StoredToken)


class TestFile:
    def test_a_new_file_is_private(self, store: TokenStore, path: Path) -> None:
        """The file is created with mode 0600 and its new directory with 0700."""
        store.put(ref(), token())
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700

    @pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660, 0o606, 0o700])
    def test_a_file_others_may_access_is_refused(self, path: Path, mode: int) -> None:
        """An existing file readable or writable by group or others is refused, with the chmod that fixes it."""
        TokenStore(CIPHER, path).close()
        path.chmod(mode)
        if not mode & 0o077:
            TokenStore(CIPHER, path).close()  # owner-only modes are fine
            return
        with pytest.raises(TokenStoreError, match=f"run `chmod 600 {path}`"):
            TokenStore(CIPHER, path)

    def test_a_file_that_is_not_a_database_or_a_directory_is_refused(self, tmp_path: Path) -> None:
        """A path to something else raises TokenStoreError saying what is wrong."""
        junk = tmp_path / "junk.db"
        junk.write_bytes(os.urandom(4096))
        junk.chmod(0o600)
        with pytest.raises(TokenStoreError, match="is it an sfshield token store"):
            TokenStore(CIPHER, junk)
        with pytest.raises(TokenStoreError, match="not a regular file"):
            TokenStore(CIPHER, tmp_path)

    def test_a_closed_store_raises_token_store_error(self, path: Path) -> None:
        """Using a closed store is a TokenStoreError, not a raw sqlite3 error."""
        store = TokenStore(CIPHER, path)
        store.close()
        with pytest.raises(TokenStoreError, match="cannot read"):
            store.get(ref())
        with pytest.raises(TokenStoreError, match="cannot write"):
            store.put(ref(), token())


class TestBadInput:
    def test_wrong_types_are_type_errors(self, store: TokenStore, path: Path) -> None:
        """A cipher, ref or secret of the wrong type is a programming error."""
        with pytest.raises(TypeError, match="EnvelopeCipher"):
            TokenStore(InMemoryKeyProvider(), path.with_name("other.db"))  # type: ignore[arg-type]
        assert not path.with_name("other.db").exists()
        with pytest.raises(TypeError, match="TokenRef"):
            store.put(("acme", ORG), token())  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="Secret or str"):
            store.put(ref(), token().encode())  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="TokenRef"):
            store.get("refresh_token")  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        "secret", [Secret(""), "", "x" * (64 * 1024 + 1), Secret(b"\xff\xfesecret-key-bytes")], ids=repr
    )
    def test_empty_oversized_or_binary_secrets_are_refused(self, store: TokenStore, secret: Secret | str) -> None:
        """Secrets are 1 byte to 64 KiB of UTF-8 text; the message shows no part of the value."""
        with pytest.raises(ValueError, match="secret must be") as caught:
            store.put(ref(), secret)
        assert "secret-key-bytes" not in str(caught.value) and "xfe" not in str(caught.value)

    @pytest.mark.parametrize(
        "url",
        [
            "http://acme.my.salesforce.com",
            "https://",
            "https://user:pw@acme.my.salesforce.com",
            "https://acme.my.salesforce.com/services/data",
            "https://acme.my.salesforce.com?x=1",
            "https://acme.my.salesforce.com:99999",
            "acme.my.salesforce.com",
        ],
    )
    def test_an_instance_url_must_be_an_https_origin(self, store: TokenStore, url: str) -> None:
        """Anything but https://host[:port] is refused (and pw is not echoed)."""
        with pytest.raises(ValueError, match="https origin") as caught:
            store.put(ref(), token(), instance_url=url)
        assert "pw" not in str(caught.value)

    def test_a_naive_clock_is_refused(self, path: Path) -> None:
        """The injected clock must return aware datetimes."""
        naive = datetime(2026, 3, 1)  # noqa: DTZ001 - the point of the test
        with TokenStore(CIPHER, path, clock=lambda: naive) as store, pytest.raises(ValueError, match="clock"):
            store.put(ref(), token())


class TestConcurrency:
    def test_eight_threads_putting_and_getting_never_mix_values(self, store: TokenStore) -> None:
        """Concurrent puts, gets and rotations on one store each see their own values."""
        start = threading.Barrier(8)

        def work(worker: int) -> None:
            start.wait()
            mine = ref(tenant=f"tenant-{worker}")
            for round_ in range(25):
                value = f"{worker}:{round_}:{token()}"
                store.put(mine, value)
                assert store.get(mine).secret.reveal() == value
                assert store.rotate(mine, value + "!").secret.reveal() == value
                store.get(ref(tenant="shared")) if round_ else store.put(ref(tenant="shared"), "shared")

        store.put(ref(tenant="shared"), "shared")
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(work, range(8)))
        assert len(store.list_refs()) == 9
        assert store.get(ref(tenant="tenant-3")).secret.reveal().endswith("!")
