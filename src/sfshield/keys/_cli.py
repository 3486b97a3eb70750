"""The ``sfshield keys`` commands: create and manage key files of key-encryption keys (KEKs).

Secrets come in through the environment (``$SFSHIELD_KEYFILE_PASSPHRASE``, or the variable named by
``--raw-key-env``), a mounted file (``--raw-key-file``), or an interactive prompt; never through the command line,
where other users could read them in the process list. No command prints key material, except
``generate-raw-key``, whose whole job is to print a new raw key once.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING

from sfshield.exceptions import ConfigurationError, InputFileError, KeyProviderError
from sfshield.keys.keyfile import Argon2idParams, KeyFileProvider
from sfshield.secret import Secret

if TYPE_CHECKING:
    from sfshield.audit import AuditPipeline
    from sfshield.crypto import EnvelopeCipher

__all__ = [
    "PASSPHRASE_ENV",
    "register",
    "run_add",
    "run_generate_raw_key",
    "run_init",
    "run_list",
    "run_promote",
]

PASSPHRASE_ENV = "SFSHIELD_KEYFILE_PASSPHRASE"  # noqa: S105 - the name of a variable, not a passphrase
_DEFAULT = Argon2idParams()


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``keys`` command group to the ``sfshield`` parser's subcommands."""
    keys = commands.add_parser("keys", help="create and manage key files of key-encryption keys (KEKs)")
    verbs = keys.add_subparsers(required=True, metavar="VERB")
    init = verbs.add_parser(
        "init",
        help="create a key file with one KEK",
        description=f"Create FILE (mode 0600) holding one new KEK, kek-1. The passphrase comes from ${PASSPHRASE_ENV} "
        "or is asked twice; or pass --raw-key-env/--raw-key-file to protect it with a raw key instead.",
    )
    _add_file_and_unlock(init)
    init.add_argument("--kdf-memory-mib", type=int, default=_DEFAULT.memory_kib // 1024, help="Argon2id memory")
    init.add_argument("--kdf-iterations", type=int, default=_DEFAULT.iterations, help="Argon2id passes")
    init.add_argument("--kdf-lanes", type=int, default=_DEFAULT.lanes, help="Argon2id parallelism")
    init.add_argument(
        "--allow-weak-kdf",
        action="store_true",
        help="accept Argon2id costs below OWASP's minimum (19 MiB with 2 passes, or 46 MiB with 1): tests only",
    )
    init.set_defaults(run=run_init)
    add = verbs.add_parser("add", help="add a new KEK version and make it primary")
    _add_file_and_unlock(add)
    add.add_argument("--no-primary", action="store_true", help="add it without making it primary (promote later)")
    add.set_defaults(run=run_add)
    promote = verbs.add_parser("promote", help="make an existing KEK the primary one")
    _add_file_and_unlock(promote)
    promote.add_argument("key_id", metavar="KEK_ID", help="the KEK to make primary, e.g. kek-2")
    promote.set_defaults(run=run_promote)
    listing = verbs.add_parser("list", help="unlock a key file and list its KEKs (ids, primary, created-at)")
    _add_file_and_unlock(listing)
    listing.set_defaults(run=run_list)
    generate = verbs.add_parser(
        "generate-raw-key", help="print a new base64 raw key for a secret manager (--raw-key-env/--raw-key-file)"
    )
    generate.set_defaults(run=run_generate_raw_key)


def _add_file_and_unlock(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", type=Path, metavar="FILE", help="the key file")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--raw-key-env", metavar="NAME", help="environment variable holding the base64 raw key")
    source.add_argument("--raw-key-file", type=Path, metavar="PATH", help="mounted secret file holding the raw key")


def run_init(args: argparse.Namespace) -> int:
    """``sfshield keys init FILE``: create a key file; exit 0, or 2 if it exists or the passphrases differ."""
    if args.raw_key_env or args.raw_key_file:
        provider = KeyFileProvider.create(args.file, key_env=args.raw_key_env, key_file=args.raw_key_file)
    else:
        kdf = _kdf(args)
        if args.file.exists():  # before asking for a passphrase twice
            raise KeyProviderError(f"{args.file} already exists: pick another name (replacing it would lose its KEKs)")
        provider = KeyFileProvider.create(args.file, passphrase=_new_passphrase(), kdf=kdf)
    _say(
        f"created {provider.path} with KEK {provider.primary_key_id} (primary). Back it up: losing the file or its "
        "passphrase/raw key loses every data key wrapped with it",
        err=True,
    )
    return 0


def run_add(args: argparse.Namespace) -> int:
    """``sfshield keys add FILE``: add a KEK version, primary unless ``--no-primary``."""
    provider = _open(args)
    key_id = provider.add_key(make_primary=not args.no_primary)
    if args.no_primary:
        _say(f"added {key_id} to {args.file}; {provider.primary_key_id} stays primary", err=True)
    else:
        _say(f"added {key_id} to {args.file} as primary; now re-wrap the stored data keys (Keyring.rewrap)", err=True)
    _say(key_id)
    return 0


def run_promote(args: argparse.Namespace) -> int:
    """``sfshield keys promote FILE KEK_ID``: make an existing KEK primary."""
    provider = _open(args)
    provider.set_primary(args.key_id)
    _say(f"{args.key_id} is now primary in {args.file}; now re-wrap the stored data keys (Keyring.rewrap)", err=True)
    return 0


def run_list(args: argparse.Namespace) -> int:
    """``sfshield keys list FILE``: one line per KEK: id, created-at, and ``primary`` for the primary one."""
    for version in _open(args).versions:
        created = version.created_at.strftime("%Y-%m-%dT%H:%M:%SZ")
        marker = "\tprimary" if version.primary else ""
        _say(f"{version.key_id}\t{created}{marker}")
    return 0


def run_generate_raw_key(_args: argparse.Namespace) -> int:
    """``sfshield keys generate-raw-key``: print a new raw key on stdout, and a warning on stderr."""
    _say(
        "sfshield: the line below is a secret key. Put it straight into your secret manager; do not leave it in "
        "files, tickets or shell history",
        err=True,
    )
    _say(KeyFileProvider.generate_raw_key().reveal())
    return 0


def add_cipher_options(parser: argparse.ArgumentParser, *, needed: str) -> None:
    """Add ``--key-file``, ``--key-store`` and the raw-key options that :func:`open_cipher` reads.

    ``needed`` completes the help text: when the keys are needed (for example "to decrypt").
    """
    parser.add_argument("--key-file", type=Path, metavar="FILE", help=f"the key file holding the KEKs; {needed}")
    parser.add_argument(
        "--key-store", type=Path, metavar="FILE", help="the SQLiteKeyStore of wrapped data keys (with --key-file)"
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--raw-key-env", metavar="NAME", help="environment variable holding the base64 raw key")
    source.add_argument("--raw-key-file", type=Path, metavar="PATH", help="mounted secret file holding the raw key")


def open_cipher(
    args: argparse.Namespace, stack: ExitStack, *, audit: AuditPipeline | None, why: str, create_store: bool = False
) -> EnvelopeCipher:
    """The cipher over ``--key-file`` and ``--key-store``; the key store is closed by ``stack``.

    Args:
        args: the parsed options of :func:`add_cipher_options`.
        stack: closes the key store when the command is done.
        audit: records the key operations (data keys created or unwrapped).
        why: what needs the keys, for the error when the options are missing ("decrypting a record").
        create_store: create the key store if it does not exist (new data keys); otherwise a missing key store is
            an error, so that a mistyped path never starts new keys.

    Raises:
        ConfigurationError: ``--key-file`` or ``--key-store`` is missing.
        InputFileError: the key store does not exist (and ``create_store`` is false).
    """
    if args.key_file is None or args.key_store is None:
        raise ConfigurationError(f"{why} needs the tenant keys: pass --key-file FILE and --key-store FILE")
    if not create_store and not args.key_store.is_file():
        raise InputFileError(f"{args.key_store}: no such key store; give the SQLiteKeyStore that holds the data keys")
    provider = _open(
        argparse.Namespace(file=args.key_file, raw_key_env=args.raw_key_env, raw_key_file=args.raw_key_file)
    )
    from sfshield.crypto import EnvelopeCipher, SQLiteKeyStore  # noqa: PLC0415 - only commands that decrypt need it

    keys = SQLiteKeyStore(args.key_store, create=create_store)
    stack.callback(keys.close)
    return EnvelopeCipher(provider, store=keys, audit=audit)


def _open(args: argparse.Namespace) -> KeyFileProvider:
    if args.raw_key_env or args.raw_key_file:
        return KeyFileProvider(args.file, key_env=args.raw_key_env, key_file=args.raw_key_file)
    if os.environ.get(PASSPHRASE_ENV):
        return KeyFileProvider(args.file, passphrase_env=PASSPHRASE_ENV)
    return KeyFileProvider(args.file, passphrase=_ask(f"passphrase for {args.file}: "))


def _new_passphrase() -> Secret:
    if os.environ.get(PASSPHRASE_ENV):
        return Secret(os.environ[PASSPHRASE_ENV])
    first = _ask("new passphrase (12 characters or more): ")
    if _ask("the same passphrase again: ") != first:
        raise ConfigurationError("the two passphrases differ; nothing was written: run the command again")
    return first


def _ask(prompt: str) -> Secret:
    if not sys.stdin.isatty():
        raise ConfigurationError(
            f"no passphrase: set ${PASSPHRASE_ENV}, run the command in a terminal to be asked, or use --raw-key-env"
        )
    return Secret(getpass.getpass(prompt))


def _kdf(args: argparse.Namespace) -> Argon2idParams:
    try:
        params = Argon2idParams(
            memory_kib=args.kdf_memory_mib * 1024, iterations=args.kdf_iterations, lanes=args.kdf_lanes
        )
    except ValueError as exc:
        raise ConfigurationError(f"{exc}; the defaults (RFC 9106) are a good choice") from None
    if not args.allow_weak_kdf and not _strong_enough(params):
        raise ConfigurationError(
            f"Argon2id with {args.kdf_memory_mib} MiB and {params.iterations} pass(es) is below OWASP's minimum "
            "(19 MiB with 2 passes, or 46 MiB with 1): a stolen key file would be cheap to brute-force. Keep the "
            "defaults (RFC 9106: 64 MiB, 3 passes), or pass --allow-weak-kdf for a throw-away test file"
        )
    return params


def _strong_enough(params: Argon2idParams) -> bool:
    """Whether the costs reach OWASP's Password Storage Cheat Sheet minimum for Argon2id."""
    mib = params.memory_kib / 1024
    return mib >= 46 or (mib >= 19 and params.iterations >= 2)


def _say(text: str, *, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout)
