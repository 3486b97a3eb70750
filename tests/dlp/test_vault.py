"""PlaceholderVault: restore, numbering across turns, expiry, isolation, nothing in plaintext at rest, leaks, audit."""

from __future__ import annotations

import pickle
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

from sfshield.audit import AuditPipeline, VaultOperation
from sfshield.audit.sinks import InMemoryAuditSink
from sfshield.crypto import EnvelopeCipher
from sfshield.dlp import EntityKind, Scanner
from sfshield.dlp.redaction import Redactor, TextAction, redact
from sfshield.dlp.vault import LeakReport, PlaceholderVault
from sfshield.exceptions import AuditSinkError, VaultError
from sfshield.testing import InMemoryKeyProvider

K = EntityKind
SCANNER = Scanner()
CIPHER = EnvelopeCipher(InMemoryKeyProvider())
T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
PLACEHOLDERS = Redactor(dict.fromkeys(K, TextAction.PLACEHOLDER))
PROMPT = "Ana (ana.lopez@example.com, +44 20 7946 0958) asked about her card 4111 1111 1111 1111"
SECRETS = ("ana.lopez@example.com", "+44 20 7946 0958", "4111 1111 1111 1111")


class FakeClock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        """The current fake time."""
        return self.now

    def advance(self, delta: timedelta) -> None:
        """Move the fake time forward."""
        self.now += delta


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sink() -> InMemoryAuditSink:
    return InMemoryAuditSink()


@pytest.fixture
def vault(clock: FakeClock, sink: InMemoryAuditSink) -> Iterator[PlaceholderVault]:
    with PlaceholderVault(
        CIPHER, tenant="acme", scope="conv-1", clock=clock, audit=AuditPipeline(sinks=[sink])
    ) as opened:
        yield opened


@pytest.fixture
def path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "vault.db"


def redacted(text: str, vault: PlaceholderVault) -> str:
    result = PLACEHOLDERS.redact(text, SCANNER.scan(text), vault=vault)
    assert result.text is not None
    return result.text


def operations(sink: InMemoryAuditSink) -> list[tuple[str, str, int, tuple[str, ...]]]:
    return [(e.operation, e.scope, e.count, e.finding_kinds) for e in sink.events if isinstance(e, VaultOperation)]


class TestRestore:
    def test_an_answer_gets_its_values_back(self, vault: PlaceholderVault) -> None:
        """The model sees placeholders; restore puts the original values back into its answer."""
        prompt = redacted(PROMPT, vault)
        assert prompt == "Ana (<EMAIL_ADDRESS_1>, <PHONE_NUMBER_1>) asked about her card <CREDIT_CARD_1>"
        restored = vault.restore("I will write to <EMAIL_ADDRESS_1> and call <PHONE_NUMBER_1>.")
        assert restored.text == "I will write to ana.lopez@example.com and call +44 20 7946 0958."
        assert (restored.restored, restored.unknown, restored.unknown_placeholders) == (2, 0, ())

    def test_unknown_placeholders_are_left_and_counted(self, vault: PlaceholderVault) -> None:
        """Placeholders the scope never issued stay as they are and are reported (occurrences and distinct)."""
        redacted(PROMPT, vault)
        restored = vault.restore("<EMAIL_ADDRESS_1> <EMAIL_ADDRESS_7> <EMAIL_ADDRESS_7> <email_address_1>")
        assert restored.text == "ana.lopez@example.com <EMAIL_ADDRESS_7> <EMAIL_ADDRESS_7> <email_address_1>"
        assert (restored.restored, restored.unknown, restored.unknown_placeholders) == (1, 2, ("<EMAIL_ADDRESS_7>",))

    def test_the_same_value_keeps_its_placeholder_across_turns(self, vault: PlaceholderVault) -> None:
        """A conversation numbers per scope: a value seen in turn 1 has the same placeholder in turn 2."""
        redacted("mail ana.lopez@example.com", vault)
        turn_2 = redacted("cc bob@example.org and ana.lopez@example.com", vault)
        assert turn_2 == "cc <EMAIL_ADDRESS_2> and <EMAIL_ADDRESS_1>"
        assert vault.restore(turn_2).text == "cc bob@example.org and ana.lopez@example.com"

    def test_a_restoration_never_shows_its_text_and_cannot_be_pickled(self, vault: PlaceholderVault) -> None:
        """Restored answers hold plaintext: repr hides it and pickling is refused."""
        redacted(PROMPT, vault)
        restored = vault.restore("<EMAIL_ADDRESS_1>")
        assert "ana" not in repr(restored)
        assert repr(restored) == "Restoration(restored=1, unknown=0, unknown_placeholders=())"
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(restored)

    @given(
        st.lists(st.sampled_from((*SECRETS, "bob@example.org", "note", "Grüße 🙂", "<EMAIL_ADDRESS_1>")), max_size=8)
    )
    def test_restore_after_redact_is_the_identity(self, parts: list[str]) -> None:
        """restore(redact(text)) == text for every text, placeholder look-alikes and unicode included."""
        text = "; ".join(parts)
        with PlaceholderVault(CIPHER, tenant="acme", scope="property") as fresh:
            assert fresh.restore(redacted(text, fresh)).text == text


class TestExpiry:
    def test_an_expired_scope_refuses_to_restore(self, vault: PlaceholderVault, clock: FakeClock) -> None:
        """After ttl without use, restore raises VaultError and returns nothing."""
        redacted(PROMPT, vault)
        clock.advance(timedelta(hours=1))
        with pytest.raises(VaultError, match="expired") as caught:
            vault.restore("<EMAIL_ADDRESS_1>")
        assert "ana" not in str(caught.value)

    def test_an_expired_scope_refuses_new_values_and_checks(self, vault: PlaceholderVault, clock: FakeClock) -> None:
        """Storing into or checking against an expired scope raises too."""
        clock.advance(timedelta(hours=2))
        with pytest.raises(VaultError, match="expired"):
            redacted(PROMPT, vault)
        with pytest.raises(VaultError, match="expired"):
            vault.check_output("fine", scanner=SCANNER)

    def test_each_use_extends_the_scope(self, vault: PlaceholderVault, clock: FakeClock) -> None:
        """The ttl counts from the last use, so an active conversation keeps its vault."""
        redacted(PROMPT, vault)
        for _ in range(3):
            clock.advance(timedelta(minutes=50))
            assert vault.restore("<EMAIL_ADDRESS_1>").restored == 1

    def test_opening_an_expired_scope_raises(self, path: Path, clock: FakeClock) -> None:
        """A scope found expired in the store cannot be reopened; a new scope id must be used."""
        with PlaceholderVault(CIPHER, tenant="acme", scope="c", store=path, clock=clock) as first:
            redacted(PROMPT, first)
        clock.advance(timedelta(hours=1, seconds=1))
        with pytest.raises(VaultError, match="expired"):
            PlaceholderVault(CIPHER, tenant="acme", scope="c", store=path, clock=clock)

    def test_purge_deletes_expired_scopes_of_the_tenant_only(self, path: Path, clock: FakeClock) -> None:
        """purge_expired removes expired entries of its tenant and keeps live scopes and other tenants' rows."""
        old = PlaceholderVault(CIPHER, tenant="acme", scope="old", store=path, clock=clock, ttl=timedelta(minutes=5))
        other = PlaceholderVault(
            CIPHER, tenant="globex", scope="old", store=path, clock=clock, ttl=timedelta(minutes=5)
        )
        live = PlaceholderVault(CIPHER, tenant="acme", scope="live", store=path, clock=clock)
        redacted(PROMPT, old)
        redacted(PROMPT, other)
        redacted(PROMPT, live)
        clock.advance(timedelta(minutes=10))
        assert live.purge_expired() == 3
        assert live.purge_expired() == 0
        with pytest.raises(VaultError, match="unknown"):
            old.restore("<EMAIL_ADDRESS_1>")
        assert live.restore("<EMAIL_ADDRESS_1>").restored == 1
        with closing(sqlite3.connect(path)) as db:
            rows = db.execute("SELECT tenant, COUNT(*) FROM sfshield_vault_entries GROUP BY tenant").fetchall()
        assert sorted(rows) == [("acme", 3), ("globex", 3)]
        for opened in (old, other, live):
            opened.close()


class TestIsolation:
    def test_another_tenant_cannot_restore_the_placeholders(self, path: Path) -> None:
        """Tenant B's vault, same file and scope id, treats tenant A's placeholders as unknown."""
        with (
            PlaceholderVault(CIPHER, tenant="acme", scope="conv", store=path) as a,
            PlaceholderVault(CIPHER, tenant="globex", scope="conv", store=path) as b,
        ):
            prompt = redacted(PROMPT, a)
            restored = b.restore(prompt)
            assert restored.text == prompt and restored.restored == 0 and restored.unknown == 3

    def test_another_scope_of_the_same_tenant_cannot_restore_them(self, path: Path) -> None:
        """Scopes are separate conversations: one cannot read another's values."""
        with (
            PlaceholderVault(CIPHER, tenant="acme", scope="conv-a", store=path) as a,
            PlaceholderVault(CIPHER, tenant="acme", scope="conv-b", store=path) as b,
        ):
            prompt = redacted(PROMPT, a)
            assert b.restore(prompt).text == prompt

    @pytest.mark.parametrize("target", [("globex", "conv"), ("acme", "other")], ids=["other-tenant", "other-scope"])
    def test_entries_copied_in_the_file_do_not_decrypt(self, path: Path, target: tuple[str, str]) -> None:
        """Someone who copies A's rows to B's tenant or scope gets a VaultError, not A's values."""
        with PlaceholderVault(CIPHER, tenant="acme", scope="conv", store=path) as a:
            prompt = redacted(PROMPT, a)
        tenant, scope = target
        with PlaceholderVault(CIPHER, tenant=tenant, scope=scope, store=path) as b:
            with closing(sqlite3.connect(path)) as db, db:
                db.execute(
                    "INSERT INTO sfshield_vault_entries SELECT ?, ?, placeholder, kind, ciphertext "
                    "FROM sfshield_vault_entries WHERE tenant = 'acme' AND scope = 'conv'",
                    (tenant, scope),
                )
            with pytest.raises(VaultError, match="does not decrypt") as caught:
                b.restore(prompt)
        assert not any(secret in str(caught.value) for secret in SECRETS)

    def test_an_entry_moved_to_another_placeholder_does_not_decrypt(self, path: Path) -> None:
        """Swapping the ciphertexts of two placeholders is detected (the placeholder is bound)."""
        with PlaceholderVault(CIPHER, tenant="acme", scope="conv", store=path) as a:
            redacted("ana@example.com bob@example.org", a)
            with closing(sqlite3.connect(path)) as db, db:
                blobs = dict(db.execute("SELECT placeholder, ciphertext FROM sfshield_vault_entries").fetchall())
                for placeholder, other in (
                    ("<EMAIL_ADDRESS_1>", "<EMAIL_ADDRESS_2>"),
                    ("<EMAIL_ADDRESS_2>", "<EMAIL_ADDRESS_1>"),
                ):
                    db.execute(
                        "UPDATE sfshield_vault_entries SET ciphertext = ? WHERE placeholder = ?",
                        (blobs[other], placeholder),
                    )
            with pytest.raises(VaultError, match="does not decrypt"):
                a.restore("<EMAIL_ADDRESS_1>")


class TestAtRest:
    def test_the_file_is_private_and_holds_no_value_in_plaintext(self, path: Path) -> None:
        """The SQLite file has mode 0600 and none of the values appears in its bytes (UTF-8 or UTF-16)."""
        with PlaceholderVault(CIPHER, tenant="acme", scope="conv", store=path) as vault:
            redacted(PROMPT, vault)
            redacted("Grüße an jürgen.müller@example.de", vault)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        data = b"".join(p.read_bytes() for p in path.parent.iterdir())
        for value in (*SECRETS, "jürgen.müller@example.de", "ana.lopez", "4111"):
            assert value.encode() not in data
            assert value.encode("utf-16-le") not in data
        assert b"<EMAIL_ADDRESS_1>" in data  # the grep would find a value if one were there

    def test_the_memory_store_holds_no_value_in_plaintext_either(self, vault: PlaceholderVault) -> None:
        """The in-memory store and the value index keep ciphertexts and keyed digests only."""
        redacted(PROMPT, vault)
        dump = "\n".join(vault._db.iterdump())
        state = repr(vault._index).encode() + dump.encode()
        assert not any(secret.encode() in state for secret in SECRETS)

    def test_a_reopened_file_continues_the_scope(self, path: Path) -> None:
        """A new vault object on the same file and scope restores, keeps placeholders and continues numbering."""
        with PlaceholderVault(CIPHER, tenant="acme", scope="conv", store=path) as first:
            prompt = redacted(PROMPT, first)
        with PlaceholderVault(CIPHER, tenant="acme", scope="conv", store=path) as second:
            assert second.restore(prompt).text == PROMPT
            assert redacted("bob@example.org ana.lopez@example.com", second) == "<EMAIL_ADDRESS_2> <EMAIL_ADDRESS_1>"

    def test_a_file_others_may_read_is_refused(self, path: Path) -> None:
        """An existing file with group or other permissions is refused with the chmod that fixes it."""
        path.parent.mkdir(mode=0o700)
        path.touch(mode=0o644)
        path.chmod(0o644)
        with pytest.raises(VaultError, match="chmod 600"):
            PlaceholderVault(CIPHER, tenant="acme", scope="conv", store=path)

    def test_a_file_that_is_not_a_vault_is_refused(self, path: Path) -> None:
        """A file that is not SQLite raises VaultError."""
        path.parent.mkdir(mode=0o700)
        path.write_bytes(b"not a database at all" * 100)
        path.chmod(0o600)
        with pytest.raises(VaultError, match="vault"):
            PlaceholderVault(CIPHER, tenant="acme", scope="conv", store=path)

    def test_a_directory_is_refused(self, tmp_path: Path) -> None:
        """The store must be a regular file."""
        with pytest.raises(VaultError, match="regular file"):
            PlaceholderVault(CIPHER, tenant="acme", scope="conv", store=tmp_path)

    def test_destroyed_keys_make_the_vault_refuse(self) -> None:
        """After crypto-shredding, nothing new is stored and nothing old is restored."""
        cipher = EnvelopeCipher(InMemoryKeyProvider())
        with PlaceholderVault(cipher, tenant="shredded", scope="conv") as vault:
            prompt = redacted(PROMPT, vault)
            cipher.keyring.destroy_tenant("shredded")
            with pytest.raises(VaultError, match="keys were destroyed"):
                vault.restore(prompt)
            with pytest.raises(VaultError, match="keys were destroyed"):
                redacted("bob@example.org", vault)

    def test_a_closed_vault_raises_vault_error(self, vault: PlaceholderVault) -> None:
        """Using a closed vault is a VaultError, not a raw sqlite3 error."""
        vault.close()
        with pytest.raises(VaultError, match="closed"):
            vault.restore("<EMAIL_ADDRESS_1>")


class TestCheckOutput:
    def test_a_value_the_model_never_saw_is_a_verbatim_leak(self, vault: PlaceholderVault) -> None:
        """A vault value in the answer, in any case, is reported by placeholder and kind."""
        redacted(PROMPT, vault)
        report = vault.check_output("Reply to ANA.LOPEZ@example.com today", scanner=SCANNER)
        assert report.leaked
        assert (report.verbatim, report.verbatim_kinds, report.findings.findings) == (
            ("<EMAIL_ADDRESS_1>",),
            (K.EMAIL_ADDRESS,),
            (),
        )

    def test_new_sensitive_data_in_the_answer_is_reported(self, vault: PlaceholderVault) -> None:
        """Findings that are not vault values are reported as findings, offsets and kinds only."""
        redacted(PROMPT, vault)
        answer = "Reply to <EMAIL_ADDRESS_1>, cc bob@example.org, key AKIAIOSFODNN7EXAMPLE"
        report = vault.check_output(answer, scanner=SCANNER)
        assert [(f.kind, answer[f.start : f.end]) for f in report.findings] == [
            (K.EMAIL_ADDRESS, "bob@example.org"),
            (K.AWS_ACCESS_KEY, "AKIAIOSFODNN7EXAMPLE"),
        ]
        assert report.kinds == (K.AWS_ACCESS_KEY, K.EMAIL_ADDRESS)
        only = vault.check_output(answer, scanner=SCANNER, kinds={K.AWS_ACCESS_KEY})
        assert only.findings.kinds == {K.AWS_ACCESS_KEY}

    def test_placeholders_and_clean_answers_are_not_leaks(self, vault: PlaceholderVault) -> None:
        """An answer with only placeholders, even where a secret pattern matches them, is clean."""
        text = "password=hunter2xyz"
        Redactor({K.GENERIC_SECRET: "placeholder"}).redact(text, SCANNER.scan(text), vault=vault)
        report = vault.check_output("Use password=<GENERIC_SECRET_1> and <EMAIL_ADDRESS_1>", scanner=SCANNER)
        assert report == LeakReport((), (), report.findings) and not report.leaked

    def test_short_values_are_not_searched_verbatim(self, vault: PlaceholderVault) -> None:
        """Values under 4 characters would match everywhere; they are left to the scanner."""
        vault.placeholders_for([("INITIALS", "AL")])
        assert not vault.check_output("ALL GOOD", scanner=SCANNER).leaked


class TestAudit:
    def test_every_operation_is_audited_with_counts_and_kinds_only(
        self, vault: PlaceholderVault, sink: InMemoryAuditSink, clock: FakeClock
    ) -> None:
        """store, restore, check_output, leak_detected and purge events carry counts and kinds, never values."""
        redacted(PROMPT, vault)
        redacted(PROMPT, vault)  # nothing new: no store event
        vault.restore("<EMAIL_ADDRESS_1> <EMAIL_ADDRESS_1> <PHONE_NUMBER_1>")
        vault.check_output("fine", scanner=SCANNER)
        vault.check_output("ana.lopez@example.com", scanner=SCANNER)
        clock.advance(timedelta(hours=2))
        vault.purge_expired()
        kinds = (K.CREDIT_CARD, K.EMAIL_ADDRESS, K.PHONE_NUMBER)
        assert operations(sink) == [
            ("store", "conv-1", 3, kinds),
            ("restore", "conv-1", 3, (K.EMAIL_ADDRESS, K.PHONE_NUMBER)),
            ("check_output", "conv-1", 0, ()),
            ("leak_detected", "conv-1", 1, (K.EMAIL_ADDRESS,)),
            ("purge", "*", 3, ()),
        ]
        dumped = repr([e.to_json_dict() for e in sink.events])
        assert not any(secret in dumped for secret in SECRETS)
        assert all(e.tenant == "acme" for e in sink.events)

    def test_a_failing_audit_sink_stops_the_restore(self, clock: FakeClock) -> None:
        """Fail closed: if the restore cannot be recorded, no restored text is returned."""

        def broken(event: object) -> None:
            raise OSError("disk full")

        with PlaceholderVault(CIPHER, tenant="acme", scope="c", clock=clock) as quiet:
            prompt = redacted(PROMPT, quiet)
        with PlaceholderVault(CIPHER, tenant="acme", scope="c", audit=AuditPipeline(sinks=[broken])) as loud:
            with pytest.raises(AuditSinkError):
                loud.placeholders_for([(K.EMAIL_ADDRESS, "ana@example.com")])
            with pytest.raises(AuditSinkError):
                loud.restore(prompt)


class TestThreads:
    def test_concurrent_redactions_share_one_consistent_numbering(self, vault: PlaceholderVault) -> None:
        """Many threads storing overlapping values: one placeholder per value, no two values share one."""
        values = [f"user{i}@example.com" for i in range(20)]
        barrier = threading.Barrier(8)

        def work(offset: int) -> list[tuple[str, str]]:
            barrier.wait()
            mine = values[offset:] + values[:offset]
            return list(zip(mine, vault.placeholders_for([(K.EMAIL_ADDRESS, v) for v in mine]), strict=True))

        with ThreadPoolExecutor(8) as pool:
            pairs = {pair for result in pool.map(work, range(8)) for pair in result}
        assert len(pairs) == len(values)
        assert {p for _, p in pairs} == {f"<EMAIL_ADDRESS_{i}>" for i in range(1, 21)}
        restored = vault.restore(" ".join(p for _, p in sorted(pairs)))
        assert restored.text == " ".join(v for v, _ in sorted(pairs))


class TestSafety:
    def test_repr_shows_ids_and_the_store_never_values(self, vault: PlaceholderVault) -> None:
        """The repr names tenant, scope and store only."""
        redacted(PROMPT, vault)
        assert repr(vault) == "PlaceholderVault(tenant='acme', scope='conv-1', store=':memory:')"

    def test_a_vault_cannot_be_pickled(self, vault: PlaceholderVault) -> None:
        """It holds a cipher with unwrapped keys."""
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(vault)

    def test_the_properties_describe_the_scope(self, vault: PlaceholderVault) -> None:
        """tenant, scope and ttl are readable."""
        assert (vault.tenant, vault.scope, vault.ttl) == ("acme", "conv-1", timedelta(hours=1))


class TestBadInput:
    @pytest.mark.parametrize(
        ("kwargs", "error", "message"),
        [
            ({"tenant": ""}, ValueError, "tenant"),
            ({"scope": ""}, ValueError, "scope"),
            ({"scope": "x" * 257}, ValueError, "scope"),
            ({"scope": "a\nb"}, ValueError, "scope"),
            ({"ttl": timedelta(0)}, ValueError, "ttl"),
            ({"ttl": 3600}, ValueError, "ttl"),
            ({"clock": lambda: datetime(2026, 1, 1)}, ValueError, "timezone-aware"),  # noqa: DTZ001
        ],
    )
    def test_bad_arguments_are_refused(self, kwargs: dict[str, object], error: type[Exception], message: str) -> None:
        """Empty ids, a bad scope, a non-positive ttl and a naive clock are programming errors."""
        arguments: dict[str, object] = {"tenant": "acme", "scope": "conv", **kwargs}
        with pytest.raises(error, match=message):
            PlaceholderVault(CIPHER, **arguments)  # type: ignore[arg-type]

    def test_the_cipher_must_be_an_envelope_cipher(self) -> None:
        """Anything else is a TypeError."""
        with pytest.raises(TypeError, match="EnvelopeCipher"):
            PlaceholderVault(object(), tenant="acme", scope="conv")  # type: ignore[arg-type]

    def test_answers_must_be_strings(self, vault: PlaceholderVault) -> None:
        """Both restore and check_output refuse bytes."""
        with pytest.raises(TypeError, match="restore"):
            vault.restore(b"<EMAIL_ADDRESS_1>")  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="check_output"):
            vault.check_output(b"x", scanner=SCANNER)  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("item", "error"), [("ana@example.com", TypeError), ((K.EMAIL_ADDRESS, 3), TypeError), (("", "x"), ValueError)]
    )
    def test_placeholders_for_needs_pairs_of_strings(self, vault: PlaceholderVault, item: object, error: type) -> None:
        """Each item is a (kind, value) pair of non-empty strings."""
        with pytest.raises(error):
            vault.placeholders_for([item])  # type: ignore[list-item]

    def test_redact_with_a_vault_uses_the_vault_numbering(self, vault: PlaceholderVault) -> None:
        """The redact() function passes the vault through: numbers continue across calls."""
        redact("a@example.com", SCANNER.scan("a@example.com"), vault=vault)
        assert redact("b@example.com", SCANNER.scan("b@example.com"), vault=vault).text == "<EMAIL_ADDRESS_2>"
