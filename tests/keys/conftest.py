"""A private SoftHSM2 token for the key-provider tests, built once per test session in a temporary directory.

SoftHSM2 reads ``SOFTHSM2_CONF`` when the module is first initialised in a process, so the tokens are made once
per session, before any test loads the module. Without softhsm2 or python-pkcs11 the HSM tests are skipped; with
``SFSHIELD_REQUIRE_HSM=1`` (as CI sets it) they fail instead, so CI cannot pass by silently skipping them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, NoReturn

import pytest

from sfshield.keys.pkcs11 import Pkcs11KeyProvider

TOKEN_LABEL = "sfshield-test"
# A second token that no provider stays logged in to. PKCS#11 login state is shared by every session of a process
# on a token, so the tests of login and logout need a token that the module-scoped providers are not logged in to.
QUIET_TOKEN_LABEL = "sfshield-quiet-test"
PIN = "4711-user-pin-0815"
SO_PIN = "so-pin-87654321"
LIBRARY_CANDIDATES = (
    "/usr/lib/softhsm/libsofthsm2.so",  # Debian, Ubuntu
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",  # Fedora
    "/usr/local/lib/softhsm/libsofthsm2.so",
    "/opt/homebrew/lib/softhsm/libsofthsm2.so",  # macOS, Homebrew
)


@dataclass(frozen=True)
class SoftHsm:
    """Where the test token lives, with helpers to make KEKs and providers on it."""

    library: str
    pkcs11: ModuleType

    def provider(self, *key_labels: str, **kwargs: Any) -> Pkcs11KeyProvider:
        """A provider on the test token (PIN given directly unless pin_env is passed)."""
        kwargs.setdefault("token_label", TOKEN_LABEL)
        if "pin_env" not in kwargs:
            kwargs.setdefault("pin", PIN)
        return Pkcs11KeyProvider(self.library, key_labels=key_labels, **kwargs)

    def new_kek(self) -> str:
        """Generate a KEK with a label no other test uses, through the provider's own helper."""
        return Pkcs11KeyProvider.generate_kek(
            self.library, token_label=TOKEN_LABEL, label=f"kek-{uuid.uuid4().hex[:12]}", pin=PIN
        )

    @contextmanager
    def session(self) -> Iterator[Any]:
        """A raw, logged-in read/write python-pkcs11 session on the test token (for looking behind the provider)."""
        token = self.pkcs11.lib(self.library).get_token(token_label=TOKEN_LABEL)
        try:
            session = token.open(rw=True, user_pin=PIN)
        except self.pkcs11.UserAlreadyLoggedIn:
            session = token.open(rw=True)
        with session:
            yield session


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail when SFSHIELD_REQUIRE_HSM=1 says the HSM tests must run."""
    if os.environ.get("SFSHIELD_REQUIRE_HSM") == "1":
        pytest.fail(f"{reason}, but SFSHIELD_REQUIRE_HSM=1 requires the HSM tests to run")
    pytest.skip(reason)


def _find_library() -> str | None:
    candidates = (os.environ.get("SFSHIELD_SOFTHSM_LIBRARY", ""), *LIBRARY_CANDIDATES)
    return next((path for path in candidates if path and Path(path).is_file()), None)


def _init_token(util: str, label: str) -> None:
    subprocess.run(
        [util, "--init-token", "--free", "--label", label, "--so-pin", SO_PIN, "--pin", PIN],
        check=True,
        capture_output=True,
    )


@pytest.fixture(scope="session")
def softhsm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SoftHsm]:
    """Two fresh SoftHSM2 tokens in a private directory, with SOFTHSM2_CONF pointing at them for the session."""
    try:
        import pkcs11  # noqa: PLC0415 - optional extra: its absence skips (or fails) the HSM tests only
    except ImportError:
        unavailable("python-pkcs11 is not installed (pip install 'sfshield[hsm]')")
    util, library = shutil.which("softhsm2-util"), _find_library()
    if util is None or library is None:
        unavailable("SoftHSM2 is not installed (apt-get install softhsm2)")
    directory = tmp_path_factory.mktemp("softhsm")
    (directory / "tokens").mkdir()
    conf = directory / "softhsm2.conf"
    conf.write_text(f"directories.tokendir = {directory / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SOFTHSM2_CONF", str(conf))
        _init_token(util, TOKEN_LABEL)
        _init_token(util, QUIET_TOKEN_LABEL)
        if library in pkcs11._loaded:  # loaded earlier in this process: make it read the new configuration
            pkcs11._loaded[library].reinitialize()
        yield SoftHsm(library=library, pkcs11=pkcs11)


@pytest.fixture
def kek(softhsm: SoftHsm) -> str:
    """The label of a fresh KEK in the test token."""
    return softhsm.new_kek()


@pytest.fixture
def provider(softhsm: SoftHsm, kek: str) -> Iterator[Pkcs11KeyProvider]:
    """A provider whose only (primary) KEK is ``kek``; closed after the test."""
    with softhsm.provider(kek) as provider:
        yield provider
