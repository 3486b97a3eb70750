"""The ``sfshield scan`` and ``sfshield quarantine`` commands: find sensitive data in record files; review held records.

``scan`` prints one JSON line per record with findings (field, kind, span, confidence — never the matched text) on
stdout and a summary on stderr. Like grep and linters it exits 0 when nothing was found, 1 when something was, and
2 on an error, so a CI step or a shell ``if`` can act on it.

``quarantine`` lists, shows, releases and discards records held in a
:class:`~sfshield.dlp.quarantine.QuarantineStore`. Record content reaches stdout only with
``--yes-print-sensitive``; every view, release and discard is written to a hash-chained audit file first. The key
file is unlocked like ``sfshield keys`` does it (``$SFSHIELD_KEYFILE_PASSPHRASE``, ``--raw-key-env``,
``--raw-key-file`` or a prompt).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

from sfshield._streams import Progress, detect_format, open_counted, read_records
from sfshield.audit import AuditPipeline, JsonlAuditSink
from sfshield.dlp.findings import Confidence
from sfshield.dlp.policy import DlpPolicy
from sfshield.dlp.quarantine import QuarantineEntry, QuarantineStatus, QuarantineStore
from sfshield.dlp.scanner import Scanner, ScanResult
from sfshield.exceptions import ConfigurationError, InputFileError
from sfshield.keys._cli import add_cipher_options, open_cipher  # one way to unlock keys, shared by the commands

__all__ = [
    "register",
    "run_quarantine_discard",
    "run_quarantine_list",
    "run_quarantine_release",
    "run_quarantine_show",
    "run_scan",
]

_CONFIDENCES = [level.name.lower() for level in Confidence]
_SENSITIVE_FLAG = "--yes-print-sensitive"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the ``scan`` command and the ``quarantine`` group to the ``sfshield`` parser's subcommands."""
    _add_scan(commands)
    _add_quarantine(commands)


# -- scan ----------------------------------------------------------------------------------------------------------


def _add_scan(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    scan = commands.add_parser(
        "scan",
        help="find personal data, secrets and company terms in a CSV or JSONL file (exit 1 if any)",
        description="Scan the text fields of every record in FILE. One JSON line per record with findings on stdout "
        "(record number, Id, and per finding the field, kind, start, end, confidence: never the text); a summary on "
        "stderr. Exit 0: nothing found; 1: findings; 2: error.",
    )
    scan.add_argument(
        "--dictionary", type=Path, metavar="FILE", help="company terms to find, one per line (# comments)"
    )
    scan.add_argument("--allow", action="append", default=[], metavar="VALUE", help="a value never to report (repeat)")
    scan.add_argument(
        "--min-confidence",
        type=str.lower,
        choices=_CONFIDENCES,
        default=None,
        help="report findings at this level or above (default: the policy's, else possible)",
    )
    scan.add_argument("--fields", metavar="F1,F2", help="scan only these fields (nested ones as Account.Description)")
    scan.add_argument(
        "--policy",
        type=Path,
        metavar="P",
        help="a policy file: scan the text fields its dlp section lists, with its dictionary, allow-list and threshold",
    )
    scan.add_argument(
        "--object", dest="sobject", metavar="O", help="with --policy: the records' object when they do not say (CSV)"
    )
    scan.add_argument("--format", choices=("csv", "jsonl"), help="input format (default: by extension)")
    scan.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="show progress on stderr (default: when stderr is a terminal)",
    )
    scan.add_argument("input", type=Path, metavar="FILE")
    scan.set_defaults(run=run_scan)


def run_scan(args: argparse.Namespace) -> int:
    """``sfshield scan FILE``: findings per record on stdout, a summary on stderr; exit 1 if anything was found."""
    fmt = detect_format(args.input, args.format)
    if not args.input.is_file():
        raise InputFileError(f"{args.input}: no such input file; check the path")
    dlp = _dlp_section(args.policy) if args.policy else None
    dictionary = _dictionary(args.dictionary) if args.dictionary else []
    allow = list(args.allow)
    if args.policy and args.fields:
        raise ConfigurationError("--fields and --policy both choose the fields to scan: give one of them")
    min_confidence = Confidence[args.min_confidence.upper()] if args.min_confidence else Confidence.POSSIBLE
    if dlp is not None:
        dictionary += dlp.dictionary
        allow += dlp.allow
        if args.min_confidence is None:
            min_confidence = dlp.min_confidence
        elif min_confidence > dlp.min_confidence:
            _say(
                f"note: --min-confidence {min_confidence.name} hides findings the policy acts on (its threshold is "
                f"{dlp.min_confidence.name}); this report shows fewer than `sfshield protect` and Shield would",
                err=True,
            )
    scanner = Scanner(dictionary=dictionary, allow=allow, min_confidence=min_confidence)
    fields = [name.strip() for name in args.fields.split(",") if name.strip()] if args.fields else None
    kinds: Counter[str] = Counter()
    records = flagged = 0
    started = time.monotonic()
    progress = Progress(
        args.input.stat().st_size, enabled=sys.stderr.isatty() if args.progress is None else args.progress
    )
    with open_counted(args.input) as (stream, counter):
        for records, record in enumerate(read_records(stream, fmt, str(args.input)), start=1):
            progress.update(records, counter.count)
            flat = _flatten(record)
            chosen = fields if dlp is None else _policy_fields(dlp, flat, _object_of(record, args.sobject))
            found = scanner.scan_record(flat, fields=chosen)
            if found:
                flagged += 1
                kinds.update(finding.kind for result in found.values() for finding in result)
                _say(json.dumps(_report(records, record, found), ensure_ascii=False))
        size = counter.count
    progress.update(records, size, final=True)
    _say(_summary(records, flagged, kinds, size, time.monotonic() - started), err=True)
    return 1 if flagged else 0


def _dlp_section(path: Path) -> DlpPolicy:
    from sfshield.classification import load_classification  # noqa: PLC0415 - only with --policy

    policy = load_classification(path)
    if policy.dlp is None or not policy.dlp.fields:
        raise ConfigurationError(f"{path}: the policy has no dlp section listing text fields; add [dlp] fields = [...]")
    return policy.dlp


def _object_of(record: Mapping[str, Any], default: str | None) -> str:
    attributes = record.get("attributes")
    if isinstance(attributes, Mapping) and isinstance(attributes.get("type"), str):
        return str(attributes["type"])
    return default or "?"


def _policy_fields(dlp: DlpPolicy, flat: Mapping[str, Any], sobject: str) -> list[str]:
    """The flattened fields the policy's dlp section lists: top level by object, nested ones by ``*.Field``.

    Raises:
        ConfigurationError: the record's object is unknown, or the policy names no field of it, while the policy
            lists object-specific fields: scanning on would pass a file that was never scanned.
    """
    specific = {ref.partition(".")[0].casefold() for ref in dlp.fields if not ref.startswith("*.")}
    if specific and sobject.casefold() not in specific and not any(ref.startswith("*.") for ref in dlp.fields):
        if sobject == "?":
            raise ConfigurationError(
                "the records do not say their object (no attributes.type): pass --object Case (or the like)"
            )
        raise ConfigurationError(
            f"the policy's dlp section lists no field of {sobject!r} (it lists {', '.join(sorted(dlp.fields))}); "
            "check --object, or add the object's text fields to the policy"
        )
    if sobject == "?" and specific:
        raise ConfigurationError(
            "the records do not say their object (no attributes.type): pass --object Case (or the like)"
        )
    chosen = []
    for path in flat:
        head, _, leaf = path.rpartition(".")
        if dlp.scans(sobject if not head else "?", leaf):
            chosen.append(path)
    return chosen


def _dictionary(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except FileNotFoundError:
        raise InputFileError(f"{path}: no such dictionary file; check the path") from None
    except UnicodeDecodeError:
        raise InputFileError(f"{path}: the dictionary is not UTF-8 text") from None
    terms = [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]
    if not terms:
        raise ConfigurationError(f"{path}: the dictionary has no terms; put one term per line")
    return terms


def _flatten(record: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested parents and child lists as dotted paths (``Account.Description``, ``Cases.records.0.Subject``)."""
    flat: dict[str, Any] = {}
    for key, value in record.items():
        if key == "attributes":
            continue
        if isinstance(value, list):
            flat.update(_flatten({str(index): item for index, item in enumerate(value)}, f"{prefix}{key}."))
        elif isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _report(number: int, record: Mapping[str, Any], found: Mapping[str, ScanResult]) -> dict[str, Any]:
    report: dict[str, Any] = {"record": number}
    if isinstance(record.get("Id"), str):
        report["id"] = record["Id"]
    report["findings"] = [
        {
            "field": field,
            "kind": str(finding.kind),
            "start": finding.start,
            "end": finding.end,
            "confidence": finding.confidence.name,
            "detector": finding.detector,
        }
        for field, result in found.items()
        for finding in result
    ]
    return report


def _summary(records: int, flagged: int, kinds: Counter[str], size: int, seconds: float) -> str:
    megabytes = size / 1e6
    rate = megabytes / max(seconds, 1e-9)
    counts = ", ".join(f"{kind} {count}" for kind, count in sorted(kinds.items()))
    return (
        f"scanned {records} records ({megabytes:.2f} MB in {seconds:.2f} s, {rate:.1f} MB/s): "
        f"{flagged} with findings" + (f"; {counts}" if counts else "")
    )


# -- quarantine ----------------------------------------------------------------------------------------------------


def _add_quarantine(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    quarantine = commands.add_parser("quarantine", help="list, show, release and discard quarantined records")
    verbs = quarantine.add_subparsers(required=True, metavar="VERB")
    listing = verbs.add_parser("list", help="one JSON line of metadata per entry (never record content; no keys)")
    _add_store_and_keys(listing)
    listing.add_argument("--tenant", metavar="TENANT", help="only this tenant's entries")
    listing.add_argument(
        "--status", choices=(*QuarantineStatus, "all"), default=QuarantineStatus.HELD.value, help="default: held"
    )
    listing.set_defaults(run=run_quarantine_list)
    show = verbs.add_parser(
        "show", help=f"print an entry's metadata; with {_SENSITIVE_FLAG}, decrypt and print the record (audited)"
    )
    _add_store_and_keys(show, with_id=True)
    _add_review(show, required=False, printing="decrypt the record and print it as JSON on stdout (audited)")
    show.set_defaults(run=run_quarantine_show)
    release = verbs.add_parser(
        "release", help=f"hand a held record back: print it (needs {_SENSITIVE_FLAG}) and erase it here (audited)"
    )
    _add_store_and_keys(release, with_id=True)
    _add_review(release, required=True, printing="print the released record as JSON on stdout (required)")
    release.set_defaults(run=run_quarantine_release)
    discard = verbs.add_parser("discard", help="drop a held record for good: its ciphertext is erased (audited)")
    _add_store_and_keys(discard, with_id=True)
    _add_review(discard, required=True, printing=None)
    discard.set_defaults(run=run_quarantine_discard)


def _add_store_and_keys(parser: argparse.ArgumentParser, *, with_id: bool = False) -> None:
    parser.add_argument("store", type=Path, metavar="STORE", help="the quarantine store (SQLite file)")
    if with_id:
        parser.add_argument("quarantine_id", metavar="ID", help="the entry's quarantine id (from `list`)")
    add_cipher_options(
        parser, needed="needed to decrypt (show with the record, release); list, show of metadata and discard need none"
    )


def _add_review(parser: argparse.ArgumentParser, *, required: bool, printing: str | None) -> None:
    parser.add_argument(
        "--reviewer", required=required, metavar="NAME", help="who decides (recorded in the audit trail)"
    )
    parser.add_argument(
        "--reason", required=required, metavar="TEXT", help="why (recorded in the audit trail; no record values)"
    )
    parser.add_argument(
        "--audit", type=Path, metavar="FILE", help="hash-chained audit file (default: STORE.audit.jsonl)"
    )
    if printing is not None:
        parser.add_argument(_SENSITIVE_FLAG, dest="print_sensitive", action="store_true", help=printing)


def run_quarantine_list(args: argparse.Namespace) -> int:
    """``sfshield quarantine list STORE``: one JSON line of metadata per entry, oldest first."""
    status = None if args.status == "all" else args.status
    with _opened(args, audited=False, keys=False) as store:
        entries = store.list(tenant=args.tenant, status=status)
    for entry in entries:
        _say(_metadata(entry))
    _say(f"{len(entries)} {'entries' if status is None else status + ' entries'} in {args.store}", err=True)
    return 0


def run_quarantine_show(args: argparse.Namespace) -> int:
    """``sfshield quarantine show STORE ID``: metadata; with ``--yes-print-sensitive`` the record (audited)."""
    if not args.print_sensitive:
        with _opened(args, audited=False, keys=False) as store:
            _say(_metadata(store.entry(args.quarantine_id)))
        _say(
            f"sfshield: the record itself is not printed; add {_SENSITIVE_FLAG} --reviewer NAME --reason TEXT to "
            "decrypt and print it (the view is audited)",
            err=True,
        )
        return 0
    reviewer, reason = _review_of(args, "show")
    with _opened(args, audited=True) as store:
        _say(json.dumps(store.show(args.quarantine_id, reviewer=reviewer, reason=reason), ensure_ascii=False))
    _say(f"printed quarantined record {args.quarantine_id}; the view is in {_audit_path(args)}", err=True)
    return 0


def run_quarantine_release(args: argparse.Namespace) -> int:
    """``sfshield quarantine release STORE ID``: print the record, then mark it released and erase it (audited).

    The record is printed (and the view audited) before the release is committed, so a failed write to stdout
    leaves it held.
    """
    if not args.print_sensitive:
        with _opened(args, audited=False, keys=False) as store:
            _say(_metadata(store.entry(args.quarantine_id)))
        raise ConfigurationError(
            f"not released: releasing prints the record on stdout and erases it from the quarantine; add "
            f"{_SENSITIVE_FLAG} and redirect stdout to where the record goes"
        )
    with _opened(args, audited=True) as store:
        record = store.show(args.quarantine_id, reviewer=args.reviewer, reason=args.reason)
        _say(json.dumps(record, ensure_ascii=False))
        sys.stdout.flush()
        store.release(args.quarantine_id, reviewer=args.reviewer, reason=args.reason)
    _say(f"released quarantined record {args.quarantine_id}; its ciphertext was erased from {args.store}", err=True)
    return 0


def run_quarantine_discard(args: argparse.Namespace) -> int:
    """``sfshield quarantine discard STORE ID``: erase a held record for good (audited)."""
    with _opened(args, audited=True, keys=False) as store:
        store.discard(args.quarantine_id, reviewer=args.reviewer, reason=args.reason)
    _say(f"discarded quarantined record {args.quarantine_id}; its ciphertext was erased from {args.store}", err=True)
    return 0


@contextmanager
def _opened(args: argparse.Namespace, *, audited: bool, keys: bool = True) -> Iterator[QuarantineStore]:
    """The store of ``args``, auditing into the audit file.

    With ``keys``, its cipher is built over the key file and key store; without, the store is metadata only and
    the key options, if given, are not opened.
    """
    _require_file(args.store, "quarantine store", "check the path (a store is made by the code that holds records)")
    with ExitStack() as stack:
        audit = None
        if audited:
            from sfshield.cli import CHAIN_KEY_ENV, _env_bytes  # noqa: PLC0415 - sfshield.cli imports this module

            sink = stack.enter_context(JsonlAuditSink(_audit_path(args), chain_key=_env_bytes(CHAIN_KEY_ENV)))
            audit = AuditPipeline(sinks=[sink])
        cipher = open_cipher(args, stack, audit=audit, why="decrypting a quarantined record") if keys else None
        yield stack.enter_context(QuarantineStore(cipher, args.store, audit=audit))


def _require_file(path: Path, what: str, hint: str) -> None:
    if not path.is_file():
        raise InputFileError(f"{path}: no such {what}; {hint}")


def _review_of(args: argparse.Namespace, verb: str) -> tuple[str, str]:
    if not args.reviewer or not args.reason:
        raise ConfigurationError(f"{verb} {_SENSITIVE_FLAG} needs --reviewer NAME and --reason TEXT for the audit")
    return args.reviewer, args.reason


def _audit_path(args: argparse.Namespace) -> Path:
    store: Path = args.store
    return Path(args.audit) if args.audit else store.with_name(store.name + ".audit.jsonl")


def _metadata(entry: QuarantineEntry) -> str:
    return json.dumps(entry.to_json_dict(), ensure_ascii=False)


def _say(text: str, *, err: bool = False) -> None:
    print(text, file=sys.stderr if err else sys.stdout)
