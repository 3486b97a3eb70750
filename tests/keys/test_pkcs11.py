"""The PKCS#11 key provider, against a real SoftHSM2 token (see conftest.py)."""

from __future__ import annotations

import inspect
import pickle
import sys
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sfshield.exceptions import ConfigurationError, KeyProviderError
from sfshield.keys.pkcs11 import IV_SIZE, MAX_DATA_KEY_SIZE, MIN_DATA_KEY_SIZE, TAG_SIZE, Pkcs11KeyProvider
from sfshield.protocols import KeyProvider
from sfshield.secret import Secret
from tests.keys.conftest import PIN, QUIET_TOKEN_LABEL, TOKEN_LABEL, SoftHsm

DATA_KEY = bytes(range(32))
AAD = b"sfshield:dek:v1|tenant=00D5g000000TENANT|purpose=field"


def _text_of(error: BaseException) -> str:
    """Everything a log could show about an error: its message, its chain and its traceback."""
    return "".join(traceback.format_exception(error)) + repr(error)


@pytest.fixture(scope="module")
def shared(softhsm: SoftHsm) -> Iterator[tuple[Pkcs11KeyProvider, str]]:
    """One provider and its KEK for the whole module (hypothesis cannot use function-scoped fixtures)."""
    label = softhsm.new_kek()
    with softhsm.provider(label) as provider:
        yield provider, label


class TestRoundTrip:
    def test_unwrap_returns_the_wrapped_key(self, provider: Pkcs11KeyProvider, kek: str) -> None:
        """A data key wrapped with the primary KEK unwraps to the same bytes with the same key id and aad."""
        wrapped = provider.wrap(DATA_KEY, key_id=provider.primary_key_id, aad=AAD)
        assert provider.primary_key_id == kek
        assert provider.unwrap(wrapped, key_id=kek, aad=AAD) == DATA_KEY

    @given(
        data_key=st.binary(min_size=MIN_DATA_KEY_SIZE, max_size=MAX_DATA_KEY_SIZE),
        aad=st.binary(max_size=200),
    )
    def test_unwrap_inverts_wrap(self, shared: tuple[Pkcs11KeyProvider, str], data_key: bytes, aad: bytes) -> None:
        """unwrap(wrap(k)) == k for every allowed data-key length and any aad, the empty one included."""
        provider, label = shared
        wrapped = provider.wrap(data_key, key_id=label, aad=aad)
        assert len(wrapped) == IV_SIZE + len(data_key) + TAG_SIZE
        assert provider.unwrap(wrapped, key_id=label, aad=aad) == data_key

    def test_satisfies_the_key_provider_protocol(self, provider: Pkcs11KeyProvider) -> None:
        """The provider is a sfshield KeyProvider, so a Keyring accepts it."""
        assert isinstance(provider, KeyProvider)

    def test_layout_is_iv_then_gcm_ciphertext_and_tag(self, softhsm: SoftHsm, provider: Pkcs11KeyProvider) -> None:
        """The wrapped key is IV || AES-GCM(KEK, IV, aad) output, as the module docstring says; checked by hand."""
        iv = bytes(range(100, 112))
        wrapped = provider._wrap_with_iv(DATA_KEY, key_id=provider.primary_key_id, aad=AAD, iv=iv)
        assert wrapped[:IV_SIZE] == iv
        assert len(wrapped) == IV_SIZE + len(DATA_KEY) + TAG_SIZE
        pkcs11 = softhsm.pkcs11
        with softhsm.session() as session:
            kek = session.get_key(label=provider.primary_key_id)
            plain = kek.decrypt(
                wrapped[IV_SIZE:], mechanism=pkcs11.Mechanism.AES_GCM, mechanism_param=pkcs11.GCMParams(iv, AAD, 128)
            )
        assert plain == DATA_KEY

    def test_every_wrap_uses_a_fresh_iv(self, provider: Pkcs11KeyProvider) -> None:
        """Wrapping the same key twice gives different IVs, hence different bytes."""
        first, second = (provider.wrap(DATA_KEY, key_id=provider.primary_key_id, aad=AAD) for _ in range(2))
        assert first[:IV_SIZE] != second[:IV_SIZE]
        assert first != second


class TestTampering:
    def test_other_aad_is_refused(self, provider: Pkcs11KeyProvider, kek: str) -> None:
        """A wrapped key bound to one aad does not unwrap under another (tenant, key id or purpose moved)."""
        wrapped = provider.wrap(DATA_KEY, key_id=kek, aad=AAD)
        with pytest.raises(KeyProviderError, match=r"aad differ") as caught:
            provider.unwrap(wrapped, key_id=kek, aad=AAD.replace(b"TENANT", b"TENANX"))
        assert caught.value.__cause__ is None
        assert caught.value.__suppress_context__

    def test_every_flipped_byte_is_refused(self, shared: tuple[Pkcs11KeyProvider, str]) -> None:
        """Flipping any bit-pattern in any byte (IV, ciphertext or tag) makes unwrap fail."""
        provider, label = shared
        wrapped = provider.wrap(DATA_KEY, key_id=label, aad=AAD)
        for index in range(len(wrapped)):
            damaged = bytearray(wrapped)
            damaged[index] ^= 0x01
            with pytest.raises(KeyProviderError):
                provider.unwrap(bytes(damaged), key_id=label, aad=AAD)

    def test_every_truncation_is_refused(self, shared: tuple[Pkcs11KeyProvider, str]) -> None:
        """A wrapped key cut at any length, or with a byte appended, does not unwrap."""
        provider, label = shared
        wrapped = provider.wrap(DATA_KEY, key_id=label, aad=AAD)
        for length in range(len(wrapped)):
            with pytest.raises(KeyProviderError):
                provider.unwrap(wrapped[:length], key_id=label, aad=AAD)
        with pytest.raises(KeyProviderError):
            provider.unwrap(wrapped + b"\x00", key_id=label, aad=AAD)

    def test_impossible_lengths_are_refused_before_the_token(self, provider: Pkcs11KeyProvider, kek: str) -> None:
        """Lengths outside 44..92 bytes are refused by the length check, with the bounds in the message."""
        for length in (0, IV_SIZE + TAG_SIZE + MIN_DATA_KEY_SIZE - 1, IV_SIZE + TAG_SIZE + MAX_DATA_KEY_SIZE + 1):
            with pytest.raises(KeyProviderError, match=rf"{length} bytes, not 44 to 92"):
                provider.unwrap(b"\x00" * length, key_id=kek, aad=AAD)

    def test_a_key_wrapped_with_another_kek_is_refused(self, softhsm: SoftHsm, kek: str) -> None:
        """A key wrapped with one KEK does not unwrap when the record names another KEK of the same provider."""
        other = softhsm.new_kek()
        with softhsm.provider(kek, other) as provider:
            wrapped = provider.wrap(DATA_KEY, key_id=kek, aad=AAD)
            with pytest.raises(KeyProviderError, match=repr(other)):
                provider.unwrap(wrapped, key_id=other, aad=AAD)


class TestBadInput:
    @pytest.mark.parametrize("size", [0, MIN_DATA_KEY_SIZE - 1, MAX_DATA_KEY_SIZE + 1])
    def test_wrap_refuses_data_keys_of_impossible_size(self, provider: Pkcs11KeyProvider, size: int) -> None:
        """Data keys shorter than 16 or longer than 64 bytes are a programming error."""
        with pytest.raises(ValueError, match="16 to 64 bytes"):
            provider.wrap(b"k" * size, key_id=provider.primary_key_id, aad=AAD)

    @pytest.mark.parametrize(
        "call",
        [
            lambda p: p.wrap("not bytes", key_id=p.primary_key_id, aad=AAD),
            lambda p: p.wrap(DATA_KEY, key_id=p.primary_key_id, aad="text"),
            lambda p: p.unwrap(bytearray(60), key_id=p.primary_key_id, aad=AAD),
        ],
    )
    def test_non_bytes_are_refused(self, provider: Pkcs11KeyProvider, call: Callable[[Any], object]) -> None:
        """Data keys, wrapped keys and aad must be bytes."""
        with pytest.raises(TypeError, match="must be bytes"):
            call(provider)

    @pytest.mark.parametrize(
        ("kwargs", "error"),
        [
            ({"key_labels": []}, ValueError),
            ({"key_labels": ["a", "a"]}, ValueError),
            ({"key_labels": "kek-v1"}, TypeError),
            ({"key_labels": ["a"], "token_label": ""}, ValueError),
            ({"key_labels": ["a"], "pin": None}, TypeError),
            ({"key_labels": ["a"], "pin_env": "SOME_PIN"}, TypeError),
            ({"key_labels": ["a"], "pin": ""}, ValueError),
        ],
    )
    def test_constructor_refuses_misuse(self, softhsm: SoftHsm, kwargs: dict[str, Any], error: type[Exception]) -> None:
        """Empty or repeated labels, a bare string for key_labels, and anything but exactly one PIN source fail."""
        arguments: dict[str, Any] = {"token_label": TOKEN_LABEL, "pin": PIN, **kwargs}
        with pytest.raises(error):
            Pkcs11KeyProvider(softhsm.library, **arguments)


class TestKeyIds:
    def test_older_kek_still_unwraps_after_rotation(self, softhsm: SoftHsm, kek: str) -> None:
        """After a new KEK becomes primary, keys wrapped with the old one still unwrap; new ones use the new KEK."""
        with softhsm.provider(kek) as before:
            old_wrapped = before.wrap(DATA_KEY, key_id=before.primary_key_id, aad=AAD)
        new = softhsm.new_kek()
        with softhsm.provider(new, kek) as after:
            assert after.primary_key_id == new
            assert after.unwrap(old_wrapped, key_id=kek, aad=AAD) == DATA_KEY
            rewrapped = after.wrap(DATA_KEY, key_id=after.primary_key_id, aad=AAD)
            assert after.unwrap(rewrapped, key_id=new, aad=AAD) == DATA_KEY

    def test_unknown_key_id_is_refused(self, provider: Pkcs11KeyProvider, kek: str) -> None:
        """A key id that is not in key_labels is refused by wrap and unwrap, naming it and the known labels."""
        wrapped = provider.wrap(DATA_KEY, key_id=kek, aad=AAD)
        with pytest.raises(KeyProviderError, match=r"'kek-retired'.*key_labels") as caught:
            provider.wrap(DATA_KEY, key_id="kek-retired", aad=AAD)
        assert kek in str(caught.value)
        with pytest.raises(KeyProviderError, match=r"'kek-retired'.*key_labels"):
            provider.unwrap(wrapped, key_id="kek-retired", aad=AAD)

    def test_label_missing_from_the_token_says_how_to_create_it(self, softhsm: SoftHsm) -> None:
        """A label that no key in the token has is reported with the call that creates it."""
        with softhsm.provider("kek-never-made") as provider, pytest.raises(KeyProviderError) as caught:
            provider.wrap(DATA_KEY, key_id="kek-never-made", aad=AAD)
        message = str(caught.value)
        assert "'kek-never-made' was not found" in message
        assert "generate_kek(..., label='kek-never-made')" in message
        assert TOKEN_LABEL in message


class TestKekStaysInToken:
    def test_generated_kek_is_sensitive_and_never_extractable(self, softhsm: SoftHsm, kek: str) -> None:
        """The KEK is sensitive, non-extractable, private, persistent, always was, and cannot sign or derive."""
        attribute = softhsm.pkcs11.Attribute
        with softhsm.session() as session:
            key = session.get_key(label=kek)
            assert key[attribute.SENSITIVE] is True
            assert key[attribute.EXTRACTABLE] is False
            assert key[attribute.ALWAYS_SENSITIVE] is True
            assert key[attribute.NEVER_EXTRACTABLE] is True
            assert key[attribute.PRIVATE] is True
            assert key[attribute.TOKEN] is True
            assert key.key_length == 256
            assert [key[attribute.SIGN], key[attribute.VERIFY], key[attribute.DERIVE]] == [False, False, False]

    def test_kek_value_cannot_be_read(self, softhsm: SoftHsm, kek: str) -> None:
        """Reading CKA_VALUE of the KEK is refused by the token."""
        with softhsm.session() as session, pytest.raises(softhsm.pkcs11.AttributeSensitive):
            _ = session.get_key(label=kek)[softhsm.pkcs11.Attribute.VALUE]

    def test_kek_cannot_be_wrapped_out_by_another_key(self, softhsm: SoftHsm, kek: str) -> None:
        """C_WrapKey of the KEK under another key, the usual way to export a key, is refused."""
        pkcs11 = softhsm.pkcs11
        with softhsm.session() as session:
            exporter = session.generate_key(pkcs11.KeyType.AES, 256, template={pkcs11.Attribute.WRAP: True})
            with pytest.raises(pkcs11.KeyUnextractable):
                exporter.wrap_key(session.get_key(label=kek), mechanism=pkcs11.Mechanism.AES_KEY_WRAP_PAD)

    def test_kek_cannot_be_made_extractable(self, softhsm: SoftHsm, kek: str) -> None:
        """The token refuses to turn EXTRACTABLE on or SENSITIVE off after generation."""
        pkcs11 = softhsm.pkcs11
        with softhsm.session() as session:
            key = session.get_key(label=kek)
            for attribute, value in ((pkcs11.Attribute.EXTRACTABLE, True), (pkcs11.Attribute.SENSITIVE, False)):
                with pytest.raises(pkcs11.AttributeReadOnly):
                    key[attribute] = value

    def test_an_extractable_kek_is_refused(self, softhsm: SoftHsm) -> None:
        """The provider will not use a key the token would reveal, even if its label is configured."""
        pkcs11 = softhsm.pkcs11
        label = "kek-imported-in-clear"
        with softhsm.session() as session:
            session.generate_key(
                pkcs11.KeyType.AES,
                256,
                label=label,
                store=True,
                template={pkcs11.Attribute.EXTRACTABLE: True, pkcs11.Attribute.SENSITIVE: False},
            )
        with softhsm.provider(label) as provider, pytest.raises(KeyProviderError, match="extractable or not sensitive"):
            provider.wrap(DATA_KEY, key_id=label, aad=AAD)


class TestGenerateKek:
    def test_refuses_an_existing_label_and_keeps_the_key(self, softhsm: SoftHsm, provider: Pkcs11KeyProvider) -> None:
        """generate_kek never replaces a key: the old one still unwraps what it wrapped."""
        label = provider.primary_key_id
        wrapped = provider.wrap(DATA_KEY, key_id=label, aad=AAD)
        with pytest.raises(KeyProviderError, match="already exists"):
            Pkcs11KeyProvider.generate_kek(softhsm.library, token_label=TOKEN_LABEL, label=label, pin=PIN)
        assert provider.unwrap(wrapped, key_id=label, aad=AAD) == DATA_KEY

    def test_returns_the_label_of_a_usable_key(self, softhsm: SoftHsm, monkeypatch: pytest.MonkeyPatch) -> None:
        """The label returned (here with the PIN from the environment) is a key id the provider can use."""
        monkeypatch.setenv("SFSHIELD_TEST_HSM_PIN", PIN)
        label = Pkcs11KeyProvider.generate_kek(
            softhsm.library, token_label=TOKEN_LABEL, label="kek-from-env", pin_env="SFSHIELD_TEST_HSM_PIN"
        )
        with softhsm.provider(label, pin_env="SFSHIELD_TEST_HSM_PIN") as provider:
            wrapped = provider.wrap(DATA_KEY, key_id=label, aad=AAD)
            assert provider.unwrap(wrapped, key_id=label, aad=AAD) == DATA_KEY

    @pytest.mark.parametrize(
        ("kwargs", "error"),
        [
            ({"label": ""}, ValueError),
            ({"token_label": ""}, ValueError),
            ({"pin": None}, TypeError),
            ({"pin_env": "SOME_PIN"}, TypeError),
        ],
    )
    def test_refuses_misuse(self, softhsm: SoftHsm, kwargs: dict[str, Any], error: type[Exception]) -> None:
        """An empty label or token label, or anything but exactly one PIN source, is a programming error."""
        arguments: dict[str, Any] = {"token_label": TOKEN_LABEL, "label": "kek-misuse", "pin": PIN, **kwargs}
        with pytest.raises(error):
            Pkcs11KeyProvider.generate_kek(softhsm.library, **arguments)


class TestLogin:
    def test_wrong_pin_is_reported_without_the_pin(self, softhsm: SoftHsm) -> None:
        """A PIN the token refuses gives a KeyProviderError that says to check the PIN and does not contain it."""
        wrong = "wrong-pin-31337"
        provider = softhsm.provider("any-kek", token_label=QUIET_TOKEN_LABEL, pin=Secret(wrong))
        with provider, pytest.raises(KeyProviderError, match=r"refused the user PIN \(PinIncorrect\)") as caught:
            provider.wrap(DATA_KEY, key_id="any-kek", aad=AAD)
        assert wrong not in _text_of(caught.value)
        assert PIN not in _text_of(caught.value)

    def test_a_refused_pin_is_not_tried_again(self, softhsm: SoftHsm) -> None:
        """After one refusal the provider stops logging in, so a real HSM's retry counter cannot lock the token."""
        provider = softhsm.provider("any-kek", token_label=QUIET_TOKEN_LABEL, pin="wrong-pin-31337")
        with pytest.raises(KeyProviderError, match="refused"):
            provider.wrap(DATA_KEY, key_id="any-kek", aad=AAD)
        provider._pin = Secret(PIN)  # would log in now, if the provider tried again
        with pytest.raises(KeyProviderError, match="not tried again"):
            provider.wrap(DATA_KEY, key_id="any-kek", aad=AAD)

    def test_pin_env_that_is_unset_is_named(self, softhsm: SoftHsm, monkeypatch: pytest.MonkeyPatch) -> None:
        """An unset pin_env variable is reported by name when the provider is built."""
        monkeypatch.delenv("SFSHIELD_TEST_NO_PIN", raising=False)
        with pytest.raises(KeyProviderError, match="SFSHIELD_TEST_NO_PIN is unset or empty"):
            softhsm.provider("kek", pin_env="SFSHIELD_TEST_NO_PIN")

    def test_missing_library_is_named(self, softhsm: SoftHsm, tmp_path: Path) -> None:
        """A library path that does not load is reported with the path and what to check."""
        provider = Pkcs11KeyProvider(tmp_path / "libnothing.so", token_label=TOKEN_LABEL, key_labels=["k"], pin=PIN)
        with pytest.raises(KeyProviderError, match=r"could not load the PKCS#11 module .*libnothing\.so"):
            provider.wrap(DATA_KEY, key_id="k", aad=AAD)

    def test_missing_token_is_named(self, softhsm: SoftHsm) -> None:
        """A token label that no slot has is reported with the way to list tokens."""
        provider = softhsm.provider("k", token_label="no-such-token")
        with pytest.raises(KeyProviderError, match=r"no token labelled 'no-such-token'.*softhsm2-util"):
            provider.wrap(DATA_KEY, key_id="k", aad=AAD)


class TestSecrecy:
    def test_repr_shows_library_token_and_labels_only(self, softhsm: SoftHsm, provider: Pkcs11KeyProvider) -> None:
        """Its repr and str name the library, the token and the KEK labels, never the PIN."""
        for text in (repr(provider), str(provider), f"{provider!r}"):
            assert softhsm.library in text
            assert TOKEN_LABEL in text
            assert provider.primary_key_id in text
            assert PIN not in text

    def test_errors_never_contain_the_pin(self, softhsm: SoftHsm, provider: Pkcs11KeyProvider) -> None:
        """No error the provider raises, with its chain and traceback, contains the PIN."""
        label = provider.primary_key_id
        wrapped = provider.wrap(DATA_KEY, key_id=label, aad=AAD)
        failures: list[Callable[[], object]] = [
            lambda: provider.unwrap(wrapped, key_id=label, aad=b"other"),
            lambda: provider.unwrap(wrapped[:-1], key_id=label, aad=AAD),
            lambda: provider.wrap(DATA_KEY, key_id="unknown", aad=AAD),
            lambda: softhsm.provider("absent").wrap(DATA_KEY, key_id="absent", aad=AAD),
            lambda: softhsm.provider("k", token_label=QUIET_TOKEN_LABEL, pin=PIN + "x").wrap(
                DATA_KEY, key_id="k", aad=AAD
            ),
            lambda: Pkcs11KeyProvider.generate_kek(softhsm.library, token_label=TOKEN_LABEL, label=label, pin=PIN),
        ]
        for failure in failures:
            with pytest.raises(KeyProviderError) as caught:
                failure()
            assert PIN not in _text_of(caught.value)

    def test_pickling_is_refused(self, provider: Pkcs11KeyProvider) -> None:
        """The provider cannot be pickled (and so cannot be sent to another process with its PIN)."""
        with pytest.raises(TypeError, match="cannot be pickled"):
            pickle.dumps(provider)

    def test_every_pkcs11_error_is_translated(self, softhsm: SoftHsm, provider: Pkcs11KeyProvider) -> None:
        """Each python-pkcs11 exception raised during an operation comes out as an unchained KeyProviderError."""
        label = provider.primary_key_id
        errors = [
            cls
            for _, cls in inspect.getmembers(softhsm.pkcs11.exceptions, inspect.isclass)
            if issubclass(cls, softhsm.pkcs11.PKCS11Error)
        ]
        assert len(errors) > 60

        def raising(error: type[Exception]) -> Callable[[object], bytes]:
            def operation(_key: object) -> bytes:
                raise error(b"secret-bytes-in-a-foreign-error")

            return operation

        for error in errors:
            with pytest.raises(KeyProviderError, match=repr(label)) as caught:
                provider._run(label, raising(error), failure="test")
            assert error.__name__ in str(caught.value)
            assert caught.value.__cause__ is None
            assert caught.value.__context__ is None or caught.value.__suppress_context__
            assert "secret-bytes" not in _text_of(caught.value)


class TestSessions:
    def test_eight_threads_share_one_provider(self, provider: Pkcs11KeyProvider) -> None:
        """Eight threads wrapping and unwrapping at once all get their own data keys back."""
        label = provider.primary_key_id
        start = threading.Barrier(8)

        def work(worker: int) -> bool:
            start.wait()
            for round_ in range(50):
                data_key = bytes([worker, round_]) * 16
                aad = f"worker={worker}|round={round_}".encode()
                wrapped = provider.wrap(data_key, key_id=label, aad=aad)
                if provider.unwrap(wrapped, key_id=label, aad=aad) != data_key:
                    return False
            return True

        with ThreadPoolExecutor(max_workers=8) as pool:
            assert all(pool.map(work, range(8)))

    def test_close_then_use_opens_a_new_session(self, provider: Pkcs11KeyProvider) -> None:
        """close() ends the session; the next call logs in again and works."""
        wrapped = provider.wrap(DATA_KEY, key_id=provider.primary_key_id, aad=AAD)
        provider.close()
        assert provider._session is None
        provider.close()  # idempotent
        assert provider.unwrap(wrapped, key_id=provider.primary_key_id, aad=AAD) == DATA_KEY

    def test_context_manager_closes_the_session(self, softhsm: SoftHsm, kek: str) -> None:
        """Leaving a with block closes the provider's session."""
        with softhsm.provider(kek) as provider:
            provider.wrap(DATA_KEY, key_id=kek, aad=AAD)
            assert provider._session is not None
        assert provider._session is None

    def test_survives_another_provider_logging_out(self, softhsm: SoftHsm) -> None:
        """Closing one provider logs the process out of the token; another provider on it logs in again."""
        kek = Pkcs11KeyProvider.generate_kek(
            softhsm.library, token_label=QUIET_TOKEN_LABEL, label=f"kek-{uuid.uuid4().hex[:12]}", pin=PIN
        )
        with (
            softhsm.provider(kek, token_label=QUIET_TOKEN_LABEL) as first,
            softhsm.provider(kek, token_label=QUIET_TOKEN_LABEL) as second,
        ):
            wrapped = first.wrap(DATA_KEY, key_id=kek, aad=AAD)
            assert second.unwrap(wrapped, key_id=kek, aad=AAD) == DATA_KEY
            assert not first._borrowed  # first logged in; second rides on that login
            assert second._borrowed
            first.close()
            assert second.unwrap(wrapped, key_id=kek, aad=AAD) == DATA_KEY
            second.close()
            assert first.unwrap(wrapped, key_id=kek, aad=AAD) == DATA_KEY

    def test_a_wrong_pin_is_refused_while_the_process_is_logged_in(self, softhsm: SoftHsm) -> None:
        """The token does not check a PIN while logged in; the provider compares it with the login's and refuses."""
        kek = Pkcs11KeyProvider.generate_kek(
            softhsm.library, token_label=QUIET_TOKEN_LABEL, label=f"kek-{uuid.uuid4().hex[:12]}", pin=PIN
        )
        with softhsm.provider(kek, token_label=QUIET_TOKEN_LABEL) as first:
            wrapped = first.wrap(DATA_KEY, key_id=kek, aad=AAD)
            wrong = softhsm.provider(kek, token_label=QUIET_TOKEN_LABEL, pin=PIN + "0")
            for _ in range(2):  # refused once, then never tried again
                with pytest.raises(KeyProviderError, match="logged in to the token with another PIN") as caught:
                    wrong.unwrap(wrapped, key_id=kek, aad=AAD)
                assert PIN not in str(caught.value)
            assert wrong._session is None
            assert first.unwrap(wrapped, key_id=kek, aad=AAD) == DATA_KEY  # the right login is untouched


class TestWithoutPythonPkcs11:
    def test_missing_extra_says_how_to_install_it(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without python-pkcs11 the provider refuses to start and names the extra to install."""
        monkeypatch.setitem(sys.modules, "pkcs11", None)
        with pytest.raises(ConfigurationError, match=r"pip install 'sfshield\[hsm\]'"):
            Pkcs11KeyProvider("/usr/lib/softhsm/libsofthsm2.so", token_label="t", key_labels=["k"], pin=PIN)
