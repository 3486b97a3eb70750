"""The ``sfshield`` command: filter record files, verify audit trails, run the demo.

Every failure ends with one line on stderr that says what went wrong and what to do, and a non-zero exit code:
1 for a verification that failed, 2 for bad input or configuration. Nothing partially written is left behind
under the output name.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import ExitStack
from pathlib import Path

from sfshield._streams import (
    Progress,
    atomic_output,
    detect_format,
    open_counted,
    read_records,
    write_records,
)
from sfshield._version import __version__
from sfshield.audit import AuditEvent, AuditPipeline, JsonlAuditSink, verify_audit_file
from sfshield.classification import Action, Classification, load_classification
from sfshield.dlp._cli import register as _add_dlp
from sfshield.dlp.quarantine import QuarantineStore
from sfshield.exceptions import (
    AuditIntegrityError,
    ConfigurationError,
    InputFileError,
    QueryRejectedError,
    ShieldError,
    SoqlSyntaxError,
)
from sfshield.keys._cli import add_cipher_options, open_cipher
from sfshield.keys._cli import register as _add_keys
from sfshield.shield import Shield
from sfshield.soql import SoqlGuard
from sfshield.transforms import PseudonymKey

__all__ = ["main"]

KEY_ENV = "SFSHIELD_PSEUDONYM_KEY"
CHAIN_KEY_ENV = "SFSHIELD_AUDIT_CHAIN_KEY"
MIN_CHAIN_KEY_BYTES = 16


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code."""
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except AuditIntegrityError as exc:
        print(f"sfshield: audit trail NOT intact: {exc}", file=sys.stderr)
        return 1
    except ShieldError as exc:
        print(f"sfshield: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a missing folder, a full disk, no permission: say which file and stop
        print(f"sfshield: error: {exc.filename or ''}: {exc.strerror or type(exc).__name__}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sfshield: interrupted; no output was written", file=sys.stderr)
        return 130


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sfshield",
        description=(
            "Filter and scan record files, check SOQL, manage key files and the quarantine, verify audit trails, "
            "run the demo."
        ),
    )
    parser.add_argument("--version", action="version", version=f"sfshield {__version__}")
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    _add_protect(commands)
    _add_audit(commands)
    _add_soql(commands)
    _add_keys(commands)
    _add_dlp(commands)
    demo = commands.add_parser("demo", help="run the whole path on bundled sample records")
    demo.add_argument("--out", type=Path, help="keep the demo's audit trail in this folder")
    demo.set_defaults(run=_run_demo)
    return parser


def _add_protect(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    protect = commands.add_parser(
        "protect",
        help="filter a CSV (Data Loader / Bulk 2.0) or JSONL file for a purpose",
        description="Stream IN through the policy's filter for PURPOSE and write OUT, with an audit trail. "
        f"Pseudonymizing rules need the tenant key, hex-encoded, in ${KEY_ENV}.",
    )
    protect.add_argument("--policy", required=True, type=Path, help="policy file (.toml, .yaml, .json)")
    protect.add_argument("--purpose", required=True, help="what the output is for (embedding, training, ...)")
    protect.add_argument("--object", dest="sobject", help="sObject of rows without attributes (CSV: required)")
    protect.add_argument("--audit", type=Path, help="hash-chained audit file (default: OUT.audit.jsonl)")
    protect.add_argument("--tenant", default="default", help="tenant id written into the audit trail")
    protect.add_argument("--format", choices=("csv", "jsonl"), help="input/output format (default: by extension)")
    protect.add_argument(
        "--quarantine",
        type=Path,
        metavar="STORE",
        help="hold back records the policy's dlp section quarantines, encrypted, in this SQLite store (needs keys); "
        "without it such a batch stops the run",
    )
    add_cipher_options(
        protect, needed="needed for encrypt rules and --quarantine (the key store is created if it does not exist)"
    )
    protect.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )
    protect.add_argument("input", type=Path, metavar="IN")
    protect.add_argument("output", type=Path, metavar="OUT")
    protect.set_defaults(run=_run_protect)


def _add_audit(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    audit = commands.add_parser("audit", help="work with audit trails")
    verbs = audit.add_subparsers(required=True, metavar="VERB")
    verify = verbs.add_parser("verify", help="check a hash-chained audit file; exit 1 naming the first bad line")
    verify.add_argument("file", type=Path)
    verify.add_argument(
        "--no-head",
        action="store_true",
        help="accept a missing .head file (a truncated tail then goes unnoticed)",
    )
    verify.set_defaults(run=_run_verify)


def _add_soql(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    soql = commands.add_parser("soql", help="work with SOQL queries")
    verbs = soql.add_subparsers(required=True, metavar="VERB")
    check = verbs.add_parser(
        "check",
        help="check a query for a purpose: print it canonical (exit 0), the reasons (exit 1) or the syntax error (2)",
    )
    check.add_argument("--policy", required=True, type=Path, help="policy file (.toml, .yaml, .json)")
    check.add_argument("--purpose", required=True, help="what the results are for")
    check.add_argument("--object", dest="objects", action="append", help="an object queries may read (repeat)")
    check.add_argument("--max-limit", type=int, default=2000, help="LIMIT cap (default 2000)")
    check.add_argument("--rewrite", action="store_true", help="drop disallowed SELECT fields instead of rejecting")
    check.add_argument("--query-all", action="store_true", help="the query will run as queryAll")
    check.add_argument("--audit", type=Path, help="append the decision to this hash-chained audit file")
    check.add_argument("query", help="the SOQL query (quote it)")
    check.set_defaults(run=_run_soql_check)


def _run_soql_check(args: argparse.Namespace) -> int:
    policy = load_classification(args.policy)
    sink = JsonlAuditSink(args.audit, chain_key=_env_bytes(CHAIN_KEY_ENV)) if args.audit else None
    try:
        guard = SoqlGuard(
            policy,
            purpose=args.purpose,
            audit=AuditPipeline(sinks=[sink or _discard]),
            tenant="cli",
            objects=args.objects,
            max_limit=args.max_limit,
            rewrite=args.rewrite,
        )
        checked = guard.check(args.query, query_all=args.query_all)
    except SoqlSyntaxError as exc:
        print(f"sfshield: {exc}\n{exc.pointer()}", file=sys.stderr)
        return 2
    except QueryRejectedError as exc:
        print(f"sfshield: query rejected for {args.purpose}:", file=sys.stderr)
        for reason in exc.reasons:
            print(f"  - {reason}", file=sys.stderr)
        return 1
    finally:
        if sink is not None:
            sink.close()
    print(checked.soql)
    for change in checked.changes:
        print(f"  changed: {change}", file=sys.stderr)
    return 0


def _discard(_event: AuditEvent) -> None:
    """Audit sink for a one-off check without --audit: the decision is printed instead."""


def _run_protect(args: argparse.Namespace) -> int:
    fmt = detect_format(args.input, args.format)
    known_suffix = args.output.suffix.lower() in (".csv", ".jsonl", ".ndjson", ".json")
    if args.format is None and known_suffix and detect_format(args.output, None) != fmt:
        raise InputFileError(f"{args.output}: the output is written as {fmt} like the input; give it a .{fmt} name")
    if fmt == "csv" and not args.sobject:
        raise ConfigurationError("CSV rows do not say which object they are: pass --object Contact (or the like)")
    policy = load_classification(args.policy)
    audit_path = args.audit or args.output.with_name(args.output.name + ".audit.jsonl")
    if not args.input.is_file():
        raise InputFileError(f"{args.input}: no such input file; check the path")
    key = _pseudonym_key()
    if key is None and _needs_pseudonyms(policy, args.purpose):
        raise ConfigurationError(
            f"the policy pseudonymizes fields for {args.purpose!r}; put the tenant's pseudonym key (hex, 32+ bytes) "
            f"in ${KEY_ENV}"
        )
    with ExitStack() as stack:
        audit = AuditPipeline(
            sinks=[stack.enter_context(JsonlAuditSink(audit_path, chain_key=_env_bytes(CHAIN_KEY_ENV)))]
        )
        cipher = quarantine = None
        if args.key_file is not None or args.quarantine is not None:
            why = "--quarantine" if args.quarantine is not None else "--key-file"
            cipher = open_cipher(args, stack, audit=audit, why=why, create_store=True)
        if args.quarantine is not None:
            quarantine = stack.enter_context(QuarantineStore(cipher, args.quarantine, audit=audit))
            before = len(quarantine.list(tenant=args.tenant, status="held"))
        shield = Shield(
            policy, tenant=args.tenant, audit=audit, pseudonym_key=key, encryptor=cipher, quarantine=quarantine
        )
        count = _stream(shield, args, fmt)
        if quarantine is not None:
            held = len(quarantine.list(tenant=args.tenant, status="held")) - before
    where = f"; {held} record(s) held back in {args.quarantine}" if quarantine is not None else ""
    print(f"wrote {count} records to {args.output}; audit trail: {audit_path}{where}", file=sys.stderr)
    return 0


def _stream(shield: Shield, args: argparse.Namespace, fmt: str) -> int:
    show = sys.stderr.isatty() if args.progress is None else args.progress
    progress = Progress(args.input.stat().st_size, enabled=show)
    with open_counted(args.input) as (stream, counter), atomic_output(args.output) as out:
        done = 0

        def counted() -> Iterator[dict[str, object]]:
            nonlocal done
            for record in read_records(stream, fmt, str(args.input)):
                done += 1
                progress.update(done, counter.count)
                yield record

        protected = shield.protect_stream(counted(), purpose=args.purpose, sobject=args.sobject)
        written = write_records(out, fmt, protected)
    progress.update(done, counter.count, final=True)
    return written


def _run_verify(args: argparse.Namespace) -> int:
    if not args.file.is_file():
        raise InputFileError(f"{args.file}: no such audit file; check the path")
    report = verify_audit_file(args.file, chain_key=_env_bytes(CHAIN_KEY_ENV), require_head=not args.no_head)
    print(f"{args.file}: intact, {report.lines} events")
    return 0


def _run_demo(args: argparse.Namespace) -> int:
    from sfshield._demo import run_demo  # noqa: PLC0415 - the demo loads bundled data only when asked for

    return run_demo(args.out)


def _needs_pseudonyms(policy: Classification, purpose: str) -> bool:
    return any(rule.action is Action.PSEUDONYMIZE and rule.applies_to(purpose) for rule in policy.rules)


def _pseudonym_key() -> PseudonymKey | None:
    text = os.environ.get(KEY_ENV)
    if not text:
        return None
    try:
        return PseudonymKey.from_hex(text)
    except ValueError as exc:
        raise ConfigurationError(
            f"${KEY_ENV} is not a usable key: {exc}; generate one with "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        ) from exc


def _env_bytes(name: str) -> bytes | None:
    text = os.environ.get(name)
    if text and len(text.encode()) < MIN_CHAIN_KEY_BYTES:
        raise ConfigurationError(
            f"${name} is shorter than {MIN_CHAIN_KEY_BYTES} bytes; use a long random secret, e.g. "
            "python -c 'import secrets; print(secrets.token_hex(32))'"
        )
    return text.encode() if text else None
