"""Encrypted Platform Events: field layout, round trips, tampering, freshness, replay caches and size limits."""

from __future__ import annotations

import json
import pickle
import re
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.crypto import (
    EnvelopeCipher,
    EventOpener,
    EventSealer,
    MemoryReplayCache,
    OpenedEvent,
    ReplayCache,
    SQLiteReplayCache,
    envelope,
)
from sfshield.exceptions import CryptoError, DecryptionError, KeyNotFoundError, MessageAgeError, ReplayError
from sfshield.testing import InMemoryKeyProvider

EVENT = "Order_Sync__e"
T0 = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
FIELDS = ("Payload__c", "Payload_2__c", "Payload_3__c")
ORDER = {
    "order": "00012345",
    "customer": {"name": "Zoë Ångström-Nakamura 中村", "emoji": "🚚", "tags": ["vip", None, True, 1.5]},
    "lines": [{"sku": f"SKU-{n}", "qty": n, "note": "Ünïcödé ✓"} for n in range(4)],
}
HEADER = re.compile(r"sfe1;([0-9a-f]{32});(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ);([\w.-]+);(\d+)/(\d+);(.+)", re.DOTALL)


class Clock:
    """A clock that stands still until moved."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        """The current (fixed) time."""
        return self.now


@pytest.fixture(scope="module")
def cipher() -> EnvelopeCipher:
    return EnvelopeCipher(InMemoryKeyProvider())


@pytest.fixture
def clock() -> Clock:
    return Clock()


def sealer_for(cipher: EnvelopeCipher, clock: Clock, **options: Any) -> EventSealer:
    settings: dict[str, Any] = {"event": EVENT, "schema_version": "1", "payload_fields": FIELDS, "clock": clock}
    return EventSealer(cipher, **(settings | options))


def opener_for(cipher: EnvelopeCipher, clock: Clock, **options: Any) -> EventOpener:
    settings: dict[str, Any] = {
        "event": EVENT,
        "schema_versions": "1",
        "payload_fields": FIELDS,
        "replay_cache": MemoryReplayCache(),
        "clock": clock,
    }
    return EventOpener(cipher, **(settings | options))


def split_event(cipher: EnvelopeCipher, clock: Clock) -> dict[str, str]:
    """ORDER sealed over all three fields (256 characters each)."""
    fields = sealer_for(cipher, clock, max_field_chars=256).seal(ORDER, tenant="acme")
    assert list(fields) == list(FIELDS)
    return fields


def headers(fields: dict[str, str]) -> list[tuple[str, ...]]:
    return [HEADER.fullmatch(value).groups() for value in fields.values()]  # type: ignore[union-attr]


class TestRoundTrip:
    def test_a_payload_opens_to_what_was_sealed(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """Unicode and nested JSON come back equal, with the message's id, issue time and schema version."""
        fields = sealer_for(cipher, clock).seal(ORDER, tenant="acme")
        opened = opener_for(cipher, clock).open(fields, tenant="acme")
        assert opened.payload == ORDER
        assert (opened.issued_at, opened.schema_version) == (T0, "1")
        assert opened.message_id == headers(fields)[0][0]

    def test_the_output_is_a_plain_dict_ready_to_post(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """The sealer returns a dict of str to str for only the fields it fills, which JSON-encodes as a REST body."""
        fields = sealer_for(cipher, clock).seal(ORDER, tenant="acme")
        assert type(fields) is dict and list(fields) == ["Payload__c"]
        assert all(type(value) is str and value.isascii() for value in fields.values())
        assert json.loads(json.dumps(fields)) == fields

    def test_a_payload_is_split_over_several_fields_in_order(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """At a small field size the chunks fill the fields in order, each within the limit, and still open."""
        fields = split_event(cipher, clock)
        assert all(len(value) <= 256 for value in fields.values())
        assert [(h[3], h[4]) for h in headers(fields)] == [("1", "3"), ("2", "3"), ("3", "3")]
        assert len({h[:3] for h in headers(fields)}) == 1
        assert opener_for(cipher, clock).open(fields, tenant="acme").payload == ORDER

    def test_received_events_may_carry_other_fields_and_nulls(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """Standard fields and null payload fields of a delivered event are ignored."""
        fields = sealer_for(cipher, clock).seal({"order": "1"}, tenant="acme")
        received = {"CreatedDate": "2026-03-01T12:00:00.000Z", "ReplayId": 42, **fields}
        received |= {"Payload_2__c": None, "Payload_3__c": ""}
        assert opener_for(cipher, clock).open(received, tenant="acme").payload == {"order": "1"}

    def test_the_layout_parses_by_hand(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """Joined chunks are the sf1 text of a SEAL envelope over canonical JSON, bound to the documented context."""
        fields = split_event(cipher, clock)
        message_id, issued_at, version, _, _, _ = headers(fields)[0]
        blob = envelope.from_text("".join(h[5] for h in headers(fields)))
        assert blob is not None and blob[0] == envelope.SEAL
        context = {"tenant": "acme", "purpose": "event", "event": EVENT, "schema_version": version}
        context |= {"message_id": message_id, "issued_at": issued_at}
        canonical = json.dumps(ORDER, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
        assert cipher.decrypt(blob, context=context) == canonical
        assert issued_at == "2026-03-01T12:00:00Z"

    def test_the_issue_time_is_utc_to_the_second(self, cipher: EnvelopeCipher) -> None:
        """A clock in another zone and with microseconds gives a UTC header time to the second."""
        local = datetime(2026, 3, 1, 13, 0, 0, 999_999, tzinfo=UTC).astimezone(
            datetime.now(UTC).astimezone().tzinfo or UTC
        )
        fields = sealer_for(cipher, Clock(local)).seal({"a": 1}, tenant="acme")
        assert headers(fields)[0][1] == "2026-03-01T13:00:00Z"

    def test_every_message_gets_a_fresh_id_and_ciphertext(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """Sealing the same payload twice gives two messages that each open once."""
        sealer, opener = sealer_for(cipher, clock), opener_for(cipher, clock)
        first, second = sealer.seal(ORDER, tenant="acme"), sealer.seal(ORDER, tenant="acme")
        assert headers(first)[0][0] != headers(second)[0][0] and first != second
        assert opener.open(first, tenant="acme").payload == opener.open(second, tenant="acme").payload

    def test_an_opener_accepts_several_schema_versions(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """While a schema rolls out, one opener opens both versions and says which it got."""
        opener = opener_for(cipher, clock, schema_versions=["1", "2.0"])
        for version in ("1", "2.0"):
            fields = sealer_for(cipher, clock, schema_version=version).seal({"v": version}, tenant="acme")
            assert opener.open(fields, tenant="acme").schema_version == version

    @given(
        payload=st.dictionaries(
            st.text(),
            st.recursive(
                st.none()
                | st.booleans()
                | st.integers()
                | st.text()
                | st.floats(allow_nan=False, allow_infinity=False),
                lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
                max_leaves=20,
            ),
            max_size=6,
        )
    )
    def test_open_inverts_seal_for_any_json_object(self, cipher: EnvelopeCipher, payload: dict[str, Any]) -> None:
        """Any JSON object comes back equal, however many small fields it is split over."""
        clock, names = Clock(), tuple(f"Payload_{n}__c" for n in range(1, 100))
        fields = sealer_for(cipher, clock, payload_fields=names, max_field_chars=128).seal(payload, tenant="acme")
        opener = opener_for(cipher, clock, payload_fields=names, max_field_chars=128)
        assert opener.open(fields, tenant="acme").payload == payload


def _swap(fields: dict[str, str]) -> dict[str, str]:
    return {**fields, "Payload__c": fields["Payload_2__c"], "Payload_2__c": fields["Payload__c"]}


def _swap_chunks_keep_headers(fields: dict[str, str]) -> dict[str, str]:
    one, two = (value.rsplit(";", 1) for value in (fields["Payload__c"], fields["Payload_2__c"]))
    return {**fields, "Payload__c": f"{one[0]};{two[1]}", "Payload_2__c": f"{two[0]};{one[1]}"}


def _drop(name: str) -> Callable[[dict[str, str]], dict[str, str]]:
    return lambda fields: {key: value for key, value in fields.items() if key != name}


def _drop_last_and_recount(fields: dict[str, str]) -> dict[str, str]:
    kept = [fields["Payload__c"], fields["Payload_2__c"]]
    return {name: value.replace("/3;", "/2;", 1) for name, value in zip(FIELDS, kept, strict=False)}


def _everywhere(old: str, new: str) -> Callable[[dict[str, str]], dict[str, str]]:
    return lambda fields: {key: value.replace(old, new, 1) for key, value in fields.items()}


def _header_part(index: int, new: str) -> Callable[[dict[str, str]], dict[str, str]]:
    def change(fields: dict[str, str]) -> dict[str, str]:
        out = {}
        for key, value in fields.items():
            parts = value.split(";", 5)
            parts[index] = new
            out[key] = ";".join(parts)
        return out

    return change


TAMPERINGS: dict[str, Callable[[dict[str, str]], dict[str, str]]] = {
    "swap two fields": _swap,
    "swap two chunks, headers kept": _swap_chunks_keep_headers,
    "swap the index labels only": lambda f: {
        **f,
        "Payload__c": f["Payload__c"].replace(";1/3;", ";2/3;", 1),
        "Payload_2__c": f["Payload_2__c"].replace(";2/3;", ";1/3;", 1),
    },
    "drop the middle chunk": _drop("Payload_2__c"),
    "drop the last chunk": _drop("Payload_3__c"),
    "drop the last chunk and recount": _drop_last_and_recount,
    "move a chunk to a later field": lambda f: {**_drop("Payload_3__c")(f), "Payload_3__c": f["Payload_2__c"]},
    "change the message id": _header_part(1, "0" * 32),
    "change the issue time": _everywhere("2026-03-01T12:00:00Z", "2026-03-01T12:00:01Z"),
    "change the schema version": _everywhere(";1;", ";2;"),
    "change the format tag": _everywhere("sfe1;", "sfe2;"),
    "a character inserted into a chunk": lambda f: {**f, "Payload_2__c": f["Payload_2__c"] + "$"},
    "an empty chunk added": lambda f: {**f, "Payload_3__c": f["Payload_3__c"][: f["Payload_3__c"].rindex(";") + 1]},
    "a field that is not text": lambda f: {**f, "Payload_2__c": 12345},  # type: ignore[dict-item]
    "no payload at all": lambda f: {},
}


class TestTampering:
    @pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
    def test_a_tampered_event_does_not_open(
        self, cipher: EnvelopeCipher, clock: Clock, tamper: Callable[[dict[str, str]], dict[str, str]]
    ) -> None:
        """Every change to the chunks or the headers raises the one opaque DecryptionError."""
        fields = split_event(cipher, clock)
        opener = opener_for(cipher, clock, schema_versions=["1", "2"], max_field_chars=256)
        with pytest.raises(DecryptionError) as caught:
            opener.open(tamper(fields), tenant="acme")
        assert str(caught.value) == DecryptionError.MESSAGE and caught.value.__cause__ is None
        assert opener.open(fields, tenant="acme").payload == ORDER  # the genuine event was not burnt

    @pytest.mark.parametrize(
        "options",
        [{"event": "Invoice_Sync__e"}, {"schema_versions": "2"}, {"payload_fields": ("Body__c", *FIELDS[1:])}],
        ids=["another event", "another schema", "another field"],
    )
    def test_an_event_does_not_open_under_another_configuration(
        self, cipher: EnvelopeCipher, clock: Clock, options: dict[str, Any]
    ) -> None:
        """An opener for another event, schema version or field layout refuses the message."""
        with pytest.raises(DecryptionError):
            opener_for(cipher, clock, **options).open(split_event(cipher, clock), tenant="acme")

    def test_an_event_does_not_open_for_another_tenant(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """A message sealed for one tenant does not open as another's, even when that tenant has keys."""
        sealer_for(cipher, clock).seal({"warm": "up"}, tenant="globex")
        with pytest.raises(DecryptionError):
            opener_for(cipher, clock).open(split_event(cipher, clock), tenant="globex")

    def test_every_character_substitution_and_truncation_is_refused(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """Changing any one character of a single-field event, or cutting it anywhere, stops it opening."""
        value = sealer_for(cipher, clock).seal({"order": "00012345", "total": 99.5}, tenant="acme")["Payload__c"]
        opener = opener_for(cipher, clock)
        for index, char in enumerate(value):
            for other in {"A" if char != "A" else "B", ";", "0" if char != "0" else "1"} - {char}:
                with pytest.raises(DecryptionError):
                    opener.open({"Payload__c": value[:index] + other + value[index + 1 :]}, tenant="acme")
        for length in range(len(value)):
            with pytest.raises(DecryptionError):
                opener.open({"Payload__c": value[:length]}, tenant="acme")
        assert opener.open({"Payload__c": value}, tenant="acme").payload["order"] == "00012345"

    def test_a_non_canonical_base64_spelling_is_refused(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """Unused low bits in the last base64 character decode to the same envelope, but the spelling is refused."""
        value = sealer_for(cipher, clock).seal({"order": "12"}, tenant="acme")["Payload__c"]
        head, text = value.rsplit(";", 1)
        blob = envelope.from_text(text)
        assert blob is not None and len(blob) % 3 == 1  # the last character carries 4 unused bits
        alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
        respelled = text[:-1] + alphabet[alphabet.index(text[-1]) ^ 1]
        assert envelope.from_text(respelled) == blob
        with pytest.raises(DecryptionError):
            opener_for(cipher, clock).open({"Payload__c": f"{head};{respelled}"}, tenant="acme")

    def test_text_after_the_last_chunk_is_refused(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """A payload field after the last chunk must be empty: an event carries exactly what its header counts."""
        fields = sealer_for(cipher, clock).seal({"a": 1}, tenant="acme")
        with pytest.raises(DecryptionError):
            opener_for(cipher, clock).open({**fields, "Payload_3__c": "sfe1;anything"}, tenant="acme")

    def test_chunks_of_two_messages_do_not_combine(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """A chunk taken from another sealing of the same payload fails, with its own header or with ours."""
        fields, other = split_event(cipher, clock), split_event(cipher, clock)
        ours = fields["Payload_2__c"].rsplit(";", 1)[0]
        theirs = other["Payload_2__c"].rsplit(";", 1)[1]
        opener = opener_for(cipher, clock, max_field_chars=256)
        for foreign in (other["Payload_2__c"], f"{ours};{theirs}"):
            with pytest.raises(DecryptionError):
                opener.open({**fields, "Payload_2__c": foreign}, tenant="acme")

    def test_a_shredded_tenant_cannot_open_its_events(self, clock: Clock) -> None:
        """After crypto-shredding, the tenant's events never open again and none can be sealed."""
        shredded = EnvelopeCipher(InMemoryKeyProvider())
        fields = sealer_for(shredded, clock).seal(ORDER, tenant="acme")
        shredded.keyring.destroy_tenant("acme")
        with pytest.raises(DecryptionError):
            opener_for(shredded, clock).open(fields, tenant="acme")
        with pytest.raises(KeyNotFoundError):
            sealer_for(shredded, clock).seal(ORDER, tenant="acme")


class TestFreshness:
    @pytest.mark.parametrize(
        ("moved", "opens"),
        [
            (timedelta(hours=72), True),
            (timedelta(hours=72, seconds=1), False),
            (-timedelta(minutes=5), True),
            (-timedelta(minutes=5, seconds=1), False),
        ],
        ids=["at max age", "past max age", "at max skew", "beyond max skew"],
    )
    def test_only_events_within_the_window_open(
        self, cipher: EnvelopeCipher, clock: Clock, moved: timedelta, opens: bool
    ) -> None:
        """An event opens from max_skew before its issue time to max_age after it, and not outside."""
        fields = sealer_for(cipher, clock).seal({"a": 1}, tenant="acme")
        cache = MemoryReplayCache()
        clock.now = T0 + moved
        opener = opener_for(cipher, clock, replay_cache=cache)
        if opens:
            assert opener.open(fields, tenant="acme").payload == {"a": 1}
            return
        with pytest.raises(MessageAgeError, match=r"older than|ahead") as caught:
            opener.open(fields, tenant="acme")
        assert (caught.value.message_id, caught.value.issued_at) == (headers(fields)[0][0], T0)
        assert len(cache) == 0  # refused before it was recorded

    def test_a_tampered_issue_time_is_a_decryption_error_not_an_age_error(
        self, cipher: EnvelopeCipher, clock: Clock
    ) -> None:
        """The issue time is authenticated before it is judged, so backdating it cannot pass as merely old."""
        fields = sealer_for(cipher, clock).seal({"a": 1}, tenant="acme")
        with pytest.raises(DecryptionError):
            opener_for(cipher, clock).open(_everywhere("2026-03-01", "2025-03-01")(fields), tenant="acme")

    def test_the_cache_keeps_an_id_until_the_message_expires(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """The replay cache is asked to keep each id until issue time plus max_age, at the opener's now."""
        calls: list[tuple[str, datetime, datetime]] = []

        def claim(message_id: str, /, *, until: datetime, now: datetime) -> bool:
            calls.append((message_id, until, now))
            return True

        fields = sealer_for(cipher, clock).seal({"a": 1}, tenant="acme")
        clock.now = T0 + timedelta(minutes=3)
        opener_for(cipher, clock, replay_cache=claim, max_age=timedelta(hours=1)).open(fields, tenant="acme")
        assert calls == [(headers(fields)[0][0], T0 + timedelta(hours=1), T0 + timedelta(minutes=3))]


@pytest.fixture(params=["memory", "sqlite"])
def make_cache(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], ReplayCache]]:
    made: list[SQLiteReplayCache] = []

    def make() -> ReplayCache:
        if request.param == "memory":
            return MemoryReplayCache()
        made.append(SQLiteReplayCache(tmp_path / "replay" / "cache.db"))
        return made[-1]

    yield make
    for cache in made:
        cache.close()


class TestReplay:
    def test_a_second_open_is_a_replay(
        self, cipher: EnvelopeCipher, clock: Clock, make_cache: Callable[[], ReplayCache]
    ) -> None:
        """The same event opens once; the second time raises ReplayError naming the message."""
        fields = sealer_for(cipher, clock).seal(ORDER, tenant="acme")
        opener = opener_for(cipher, clock, replay_cache=make_cache())
        opener.open(fields, tenant="acme")
        clock.now += timedelta(hours=71)
        with pytest.raises(ReplayError) as caught:
            opener.open(fields, tenant="acme")
        assert caught.value.message_id == headers(fields)[0][0]

    def test_two_sqlite_caches_on_one_file_see_each_others_claims(
        self, cipher: EnvelopeCipher, clock: Clock, tmp_path: Path
    ) -> None:
        """Two subscribers sharing one cache file (two connections) open an event once between them."""
        path = tmp_path / "replay.db"
        first, second = SQLiteReplayCache(path), SQLiteReplayCache(path)
        fields = sealer_for(cipher, clock).seal(ORDER, tenant="acme")
        opener_for(cipher, clock, replay_cache=first).open(fields, tenant="acme")
        with pytest.raises(ReplayError):
            opener_for(cipher, clock, replay_cache=second).open(fields, tenant="acme")
        assert path.stat().st_mode & 0o777 == 0o600
        first.close()
        second.close()

    def test_concurrent_claims_of_one_id_have_one_winner(
        self, make_cache: Callable[[], ReplayCache], tmp_path: Path
    ) -> None:
        """Eight threads over two cache instances claim the same ids: each id is won exactly once."""
        caches = [make_cache(), make_cache()]
        if isinstance(caches[0], MemoryReplayCache):
            caches = [caches[0], caches[0]]
        ids = [f"{n:032x}" for n in range(40)]
        start = threading.Barrier(8)

        def claim_all(worker: int) -> list[str]:
            start.wait()
            cache = caches[worker % 2]
            return [i for i in ids if cache.claim(i, until=T0 + timedelta(hours=1), now=T0)]

        with ThreadPoolExecutor(8) as pool:
            won = [i for result in pool.map(claim_all, range(8)) for i in result]
        assert sorted(won) == ids

    def test_expired_entries_are_pruned(self, make_cache: Callable[[], ReplayCache]) -> None:
        """An id is forgotten once its time has passed, so the cache stays as small as the window."""
        cache = make_cache()
        assert cache.claim("a" * 32, until=T0 + timedelta(hours=1), now=T0)
        assert not cache.claim("a" * 32, until=T0 + timedelta(hours=1), now=T0 + timedelta(hours=1))
        assert cache.claim("b" * 32, until=T0 + timedelta(hours=5), now=T0 + timedelta(hours=1, seconds=1))
        assert len(cache) == 1  # type: ignore[arg-type]
        assert cache.claim("a" * 32, until=T0 + timedelta(hours=9), now=T0 + timedelta(hours=2))

    def test_a_failing_cache_fails_closed(self, cipher: EnvelopeCipher, clock: Clock, tmp_path: Path) -> None:
        """When the cache cannot answer, open raises CryptoError and returns nothing."""
        cache = SQLiteReplayCache(tmp_path / "replay.db")
        cache.close()
        fields = sealer_for(cipher, clock).seal(ORDER, tenant="acme")
        with pytest.raises(CryptoError, match="replay cache"):
            opener_for(cipher, clock, replay_cache=cache).open(fields, tenant="acme")

    def test_an_unusable_cache_file_is_a_clear_error(self, tmp_path: Path) -> None:
        """A cache path that is not an SQLite file raises CryptoError naming the path."""
        path = tmp_path / "not-a-db"
        path.write_text("hello, I am not a database" * 40)
        path.chmod(0o600)
        with pytest.raises(CryptoError, match=r"not-a-db .*is it an sfshield replay cache\?"):
            SQLiteReplayCache(path)

    def test_a_cache_file_others_can_read_is_refused(self, tmp_path: Path) -> None:
        """Like every sfshield store, the cache is created 0600 and an existing file must be private."""
        path = tmp_path / "replay" / "cache.db"
        SQLiteReplayCache(path).close()
        assert path.stat().st_mode & 0o777 == 0o600
        assert path.parent.stat().st_mode & 0o777 == 0o700
        path.chmod(0o644)
        with pytest.raises(CryptoError, match="chmod 600"):
            SQLiteReplayCache(path)


class TestLimits:
    def test_a_payload_too_large_for_the_fields_is_refused_before_sealing(self, clock: Clock) -> None:
        """A payload needing more fields than the event has raises ValueError, and nothing was encrypted."""
        fresh = EnvelopeCipher(InMemoryKeyProvider())
        sealer = sealer_for(fresh, clock, max_field_chars=256)
        with pytest.raises(ValueError, match=r"needs .* 3 \(Payload__c, Payload_2__c, Payload_3__c\)"):
            sealer.seal({"text": "x" * 700}, tenant="bigco")
        assert fresh.keyring.records("bigco") == []  # no key was even created for the tenant

    def test_a_payload_too_large_for_one_event_is_refused(self, clock: Clock) -> None:
        """A payload that fits nine full fields but not one 1 MB event raises ValueError before sealing."""
        fresh = EnvelopeCipher(InMemoryKeyProvider())
        sealer = sealer_for(fresh, clock, payload_fields=[f"P{n}__c" for n in range(9)])
        with pytest.raises(ValueError, match=r"more than the 1,000,000"):
            sealer.seal({"text": "x" * 760_000}, tenant="bigco")
        assert fresh.keyring.records("bigco") == []

    def test_the_largest_payload_that_fits_one_field_fills_it(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """The largest payload that fits fills one field to exactly 131,072 characters; one byte more is refused."""
        sealer = sealer_for(cipher, clock, payload_fields=["Payload__c"])
        fields = sealer.seal({"d": "x" * 98_191}, tenant="acme")  # 98,199 bytes of JSON
        assert len(fields["Payload__c"]) == 131_072
        with pytest.raises(ValueError, match="needs"):
            sealer.seal({"d": "x" * 98_192}, tenant="acme")

    @pytest.mark.parametrize(
        "options",
        [{"max_field_chars": 200}, {"max_event_chars": 600, "max_field_chars": 256}, {"payload_fields": FIELDS[:2]}],
        ids=["field too long", "event too long", "more chunks than fields"],
    )
    def test_the_opener_bounds_what_it_reads(
        self, cipher: EnvelopeCipher, clock: Clock, options: dict[str, Any]
    ) -> None:
        """Fields longer, events larger or chunk counts higher than the opener accepts are refused unparsed."""
        with pytest.raises(DecryptionError):
            opener_for(cipher, clock, **options).open(split_event(cipher, clock), tenant="acme")


class TestBadInput:
    @pytest.mark.parametrize(
        ("payload", "error", "match"),
        [
            ([1, 2], TypeError, "must be a mapping"),
            ({"at": datetime(2026, 1, 1, tzinfo=UTC)}, TypeError, "datetime is not JSON"),
            ({"raw": b"s3cr3t"}, TypeError, "bytes is not JSON"),
            ({"ids": {"s3cr3t"}}, TypeError, "set is not JSON"),
            ({"n": {1: "s3cr3t"}}, TypeError, "keys must be str, not int"),
            ({"x": float("nan")}, ValueError, "not JSON"),
            ({"x": "s3cr3t\ud800"}, ValueError, "lone surrogate"),
        ],
        ids=["list", "datetime", "bytes", "set", "int key", "nan", "surrogate"],
    )
    def test_non_json_payloads_are_refused(
        self, cipher: EnvelopeCipher, clock: Clock, payload: Any, error: type[Exception], match: str
    ) -> None:
        """Only JSON objects with text keys are sealed; the error names the type, never the value."""
        with pytest.raises(error, match=match) as caught:
            sealer_for(cipher, clock).seal(payload, tenant="acme")
        assert "s3cr3t" not in str(caught.value)

    def test_a_circular_payload_is_refused(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """A payload that contains itself raises ValueError instead of looping."""
        payload: dict[str, Any] = {}
        payload["self"] = payload
        with pytest.raises(ValueError, match="Circular"):
            sealer_for(cipher, clock).seal(payload, tenant="acme")

    @pytest.mark.parametrize(
        ("options", "match"),
        [
            ({"event": "Order Sync"}, "API name"),
            ({"schema_version": "1;2"}, "schema version"),
            ({"schema_version": ""}, "schema version"),
            ({"payload_fields": ()}, "1 to 99 distinct"),
            ({"payload_fields": ("A__c", "A__c")}, "1 to 99 distinct"),
            ({"payload_fields": ("Payload;__c",)}, "API name"),
            ({"max_field_chars": 131_073}, "max_field_chars"),
            ({"max_field_chars": 127}, "max_field_chars"),
            ({"max_event_chars": 2_000_000}, "max_event_chars"),
        ],
    )
    def test_invalid_sealer_settings_are_refused(
        self, cipher: EnvelopeCipher, clock: Clock, options: dict[str, Any], match: str
    ) -> None:
        """Names, versions and limits are checked when the sealer is built."""
        with pytest.raises(ValueError, match=match):
            sealer_for(cipher, clock, **options)

    @pytest.mark.parametrize(
        ("options", "error", "match"),
        [
            ({"schema_versions": []}, ValueError, "at least one"),
            ({"schema_versions": ["1", "v 2"]}, ValueError, "schema version"),
            ({"max_age": timedelta(0)}, ValueError, "max_age"),
            ({"max_skew": timedelta(seconds=-1)}, ValueError, "max_skew"),
            ({"replay_cache": "cache.db"}, TypeError, "replay_cache"),
            ({"payload_fields": "Payload__c"}, TypeError, "not one string"),
        ],
    )
    def test_invalid_opener_settings_are_refused(
        self, cipher: EnvelopeCipher, clock: Clock, options: dict[str, Any], error: type[Exception], match: str
    ) -> None:
        """Versions, durations, the cache and the fields are checked when the opener is built."""
        with pytest.raises(error, match=match):
            opener_for(cipher, clock, **options)

    def test_bad_arguments_to_seal_and_open_are_misuse(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """A bad tenant, a naive clock or fields that are not a mapping raise ValueError or TypeError."""
        with pytest.raises(ValueError, match="tenant"):
            sealer_for(cipher, clock).seal({}, tenant="")
        with pytest.raises(ValueError, match="aware"):
            sealer_for(cipher, Clock(datetime(2026, 3, 1))).seal({}, tenant="acme")  # noqa: DTZ001
        with pytest.raises(ValueError, match="tenant"):
            opener_for(cipher, clock).open({}, tenant="")
        with pytest.raises(TypeError, match="mapping"):
            opener_for(cipher, clock).open([("Payload__c", "x")], tenant="acme")  # type: ignore[arg-type]


class TestSecretHolders:
    def test_opened_events_hide_the_payload(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """An OpenedEvent's repr shows ids and times but not the payload, and it refuses pickling."""
        opened = opener_for(cipher, clock).open(sealer_for(cipher, clock).seal(ORDER, tenant="acme"), tenant="acme")
        assert isinstance(opened, OpenedEvent)
        assert "Zoë" not in repr(opened) and opened.message_id in repr(opened) and "3 keys" in repr(opened)
        with pytest.raises(TypeError, match="pickle"):
            pickle.dumps(opened)

    def test_sealers_and_openers_refuse_pickling(self, cipher: EnvelopeCipher, clock: Clock) -> None:
        """Both hold a cipher with unwrapped keys, so neither can be pickled; their reprs name the event."""
        for holder in (sealer_for(cipher, clock), opener_for(cipher, clock)):
            assert EVENT in repr(holder)
            with pytest.raises(TypeError, match="cannot be pickled"):
                pickle.dumps(holder)

    def test_errors_survive_pickling(self) -> None:
        """MessageAgeError keeps its attributes through pickling (errors cross process pools)."""
        error = pickle.loads(pickle.dumps(MessageAgeError("a" * 32, T0, "it is too old")))  # noqa: S301
        assert (error.message_id, error.issued_at, str(error)) == (
            "a" * 32,
            T0,
            f"message {'a' * 32} issued at 2026-03-01T12:00:00Z was refused: it is too old",
        )
