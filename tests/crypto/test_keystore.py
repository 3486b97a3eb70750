"""Key stores: conflict-refusing inserts, and which files an SQLiteKeyStore agrees to open."""

from __future__ import annotations

import sqlite3
import stat
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfshield.crypto import EnvelopeCipher, KeyRecord, KeyState, KeyStore, MemoryKeyStore, SQLiteKeyStore
from sfshield.crypto.keystore import APPLICATION_ID
from sfshield.dlp import QuarantineStore
from sfshield.exceptions import CryptoError
from sfshield.testing import InMemoryKeyProvider

WHEN = datetime(2026, 11, 27, tzinfo=UTC)


def _record(tenant: str, key_id: int, wrapped: bytes = b"w" * 60) -> KeyRecord:
    return KeyRecord(tenant, key_id, KeyState.PRIMARY, "kek-1", wrapped, b"c" * 32, WHEN)


def _application_id(path: Path) -> int:
    with closing(sqlite3.connect(path)) as db:
        return int(db.execute("PRAGMA application_id").fetchone()[0])


def _tables(path: Path) -> list[str]:
    with closing(sqlite3.connect(path)) as db:
        return [row[0] for row in db.execute("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY 1")]


@pytest.fixture(params=["memory", "sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyStore]:
    if request.param == "memory":
        yield MemoryKeyStore()
        return
    with SQLiteKeyStore(tmp_path / "keys.db") as sqlite_store:
        yield sqlite_store


class TestInsert:
    def test_insert_adds_new_records(self, store: KeyStore) -> None:
        """Records with ids that do not exist yet are added, and load returns them."""
        assert store.insert([_record("acme", 1), _record("acme", 2)]) is True
        assert [r.key_id for r in store.load("acme")] == [1, 2]
        assert store.tenants() == ["acme"]

    def test_insert_never_overwrites_an_existing_key_id(self, store: KeyStore) -> None:
        """A second insert of (tenant, key id) returns False and leaves the first record as it was."""
        store.insert([_record("acme", 1, b"first" * 12)])
        assert store.insert([_record("acme", 1, b"second" * 10)]) is False
        assert [r.wrapped for r in store.load("acme")] == [b"first" * 12]

    def test_insert_is_all_or_nothing(self, store: KeyStore) -> None:
        """When one record of a batch exists, none of the batch is written."""
        store.insert([_record("acme", 2)])
        assert store.insert([_record("acme", 1), _record("acme", 2)]) is False
        assert [r.key_id for r in store.load("acme")] == [2]

    def test_save_still_replaces_records(self, store: KeyStore) -> None:
        """save() is for state changes of existing records: it replaces them."""
        store.insert([_record("acme", 1)])
        store.save([_record("acme", 1).destroyed()])
        assert [r.state for r in store.load("acme")] == [KeyState.DESTROYED]

    def test_both_stores_are_key_stores(self, store: KeyStore) -> None:
        """Both shipped stores satisfy the KeyStore protocol, insert included."""
        assert isinstance(store, KeyStore)


class TestOpeningAFile:
    def test_a_new_store_is_private_and_marked_as_a_key_store(self, tmp_path: Path) -> None:
        """A missing file is created with mode 0600 and the key store's SQLite application_id."""
        path = tmp_path / "new" / "keys.db"
        SQLiteKeyStore(path).close()
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        assert _application_id(path) == APPLICATION_ID == int.from_bytes(b"sfK1", "big")

    @pytest.mark.parametrize("mode", [0o666, 0o640, 0o604, 0o660])
    def test_a_file_others_may_access_is_refused(self, tmp_path: Path, mode: int) -> None:
        """An existing store that group or others may access is refused, with the chmod that fixes it."""
        path = tmp_path / "keys.db"
        SQLiteKeyStore(path).close()
        path.chmod(mode)
        with pytest.raises(CryptoError, match=rf"mode {mode:04o}.*chmod 600 {path}"):
            SQLiteKeyStore(path)

    def test_a_quarantine_store_is_refused_and_left_alone(self, tmp_path: Path) -> None:
        """A file marked by another sfshield store is refused, and no key table is added to it."""
        path = tmp_path / "quarantine.db"
        QuarantineStore(EnvelopeCipher(InMemoryKeyProvider()), path, audit=None).close()
        before = _tables(path)
        with pytest.raises(CryptoError, match="not an sfshield key store"):
            SQLiteKeyStore(path)
        assert _tables(path) == before
        assert "sfshield_data_keys" not in before

    def test_another_sqlite_database_is_refused_and_left_alone(self, tmp_path: Path) -> None:
        """An unmarked database with tables of its own is refused, not given a key table."""
        path = tmp_path / "app.db"
        with closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE customers (name TEXT)")
        path.chmod(0o600)
        with pytest.raises(CryptoError, match="another SQLite database"):
            SQLiteKeyStore(path)
        assert _tables(path) == ["customers"]
        assert _application_id(path) == 0

    def test_a_store_made_before_the_marker_is_accepted_and_marked(self, tmp_path: Path) -> None:
        """A key store from an earlier release (the key table, no application_id) opens and gets the marker."""
        path = tmp_path / "keys.db"
        with SQLiteKeyStore(path) as store:
            store.insert([_record("acme", 1)])
        with closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA application_id = 0")
            db.commit()
        with SQLiteKeyStore(path, create=False) as store:
            assert [r.key_id for r in store.load("acme")] == [1]
        assert _application_id(path) == APPLICATION_ID

    def test_create_false_refuses_a_missing_file_and_creates_nothing(self, tmp_path: Path) -> None:
        """With create=False a wrong path is an error, not a new empty store."""
        path = tmp_path / "typo.db"
        with pytest.raises(CryptoError, match="no key store at"):
            SQLiteKeyStore(path, create=False)
        assert not path.exists()

    def test_create_false_refuses_an_empty_file(self, tmp_path: Path) -> None:
        """With create=False an existing file without the key table is not taken for a key store."""
        path = tmp_path / "empty.db"
        path.touch(mode=0o600)
        with pytest.raises(CryptoError, match="empty, not a key store"):
            SQLiteKeyStore(path, create=False)

    def test_a_file_that_is_no_database_is_refused(self, tmp_path: Path) -> None:
        """A private file that is not SQLite raises CryptoError naming the file, not a sqlite3 error."""
        path = tmp_path / "not-a-db"
        path.write_text("hello, this is not sqlite" * 100)
        path.chmod(0o600)
        with pytest.raises(CryptoError, match=r"not-a-db.*is it an sfshield key store") as caught:
            SQLiteKeyStore(path)
        assert caught.value.__suppress_context__

    def test_a_directory_is_refused(self, tmp_path: Path) -> None:
        """A directory given as the store path is refused with a clear message."""
        with pytest.raises(CryptoError, match="not a regular file"):
            SQLiteKeyStore(tmp_path)

    def test_the_store_is_a_context_manager(self, tmp_path: Path) -> None:
        """Leaving the with-block closes the connection."""
        with SQLiteKeyStore(tmp_path / "keys.db") as store:
            store.insert([_record("acme", 1)])
        with pytest.raises(CryptoError, match="cannot read key store"):
            store.load("acme")
