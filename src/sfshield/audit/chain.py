r"""The hash-chained JSON Lines format that makes an audit file tamper-evident: writing helpers and the verifier.

The format: one JSON object per line, UTF-8, each line ended by ``\n``::

    {"seq": 1, "prev": "000…0", "event": {...}, "hash": "9f2c…"}

``seq`` counts lines from 1, so it equals the line number. ``prev`` is the previous line's ``hash`` (64 zeros
on line 1). ``hash`` is the hex SHA-256 (HMAC-SHA256 when a chain key is given) of the canonical JSON of
``{"seq", "prev", "event"}``: sorted keys, no spaces, UTF-8 unescaped. The line itself is written in one
exact byte form (keys in the order above, no spaces), and a line in any other form fails verification. A
sidecar ``<file>.head``, ``{"seq": n, "hash": "…"}`` (plus an HMAC ``"mac"`` with a chain key), names the
last line, so cutting lines off the end is
detected too. A line is at most :data:`MAX_LINE_BYTES`; readers check that before parsing it.

What it proves: editing, deleting, reordering or truncating lines breaks the chain at the first affected
line. Without a chain key, anyone able to write the file can also recompute every hash; with a key kept away
from the file's host, they cannot. One writer per file: the sink is thread-safe, not multi-process safe.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, TypeGuard

from sfshield.exceptions import AuditIntegrityError

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["GENESIS_HASH", "MAX_LINE_BYTES", "VerificationReport", "verify_audit_file"]

GENESIS_HASH = "0" * 64
"""The ``prev`` of the first line."""
MAX_LINE_BYTES = 1 << 20
"""The longest line, newline included, that the writer produces and readers accept (1 MiB)."""

_LINE_KEYS = frozenset({"seq", "prev", "event", "hash"})
_MIN_KEY_BYTES = 16
_HEX_DIGEST = re.compile(r"[0-9a-f]{64}")
_NO_HEAD = "verify with --no-head (require_head=False) to accept that"


@dataclass(frozen=True, slots=True)
class VerificationReport:
    """The result of a successful :func:`verify_audit_file`: how many lines verified, and the last hash."""

    path: str
    lines: int
    last_hash: str


def verify_audit_file(
    path: str | os.PathLike[str], *, chain_key: bytes | None = None, require_head: bool = True
) -> VerificationReport:
    """Check every line of a hash-chained audit file, and its head file.

    Raises:
        AuditIntegrityError: naming the first bad line: unparsable, wrong ``seq`` (deleted or reordered
            lines), ``prev`` or ``hash`` mismatch (an edited line, or a wrong or missing chain key), a cut-off
            tail (the first missing line), or a missing head file unless ``require_head`` is false.
        OSError: the file cannot be read.
        ValueError: ``chain_key`` is shorter than 16 bytes.
    """
    _check_key(chain_key)
    path = Path(path)
    lines, prev = 0, GENESIS_HASH
    with path.open("rb") as file:
        for lines, raw in enumerate(_bounded_lines(file), start=1):
            prev = _verify_line(path, lines, raw, chain_key, prev)["hash"]
    head = _read_head(path, lines, chain_key)
    if head is None and require_head:
        _fail(path, lines + 1, f"head file is missing, so tail truncation cannot be ruled out; {_NO_HEAD}")
    if head is not None:
        _check_head(path, head, lines, prev)
    return VerificationReport(path=str(path), lines=lines, last_hash=prev)


def _chain_line(key: bytes | None, seq: int, prev: str, event: dict[str, Any]) -> dict[str, Any]:
    return {"seq": seq, "prev": prev, "event": event, "hash": _digest(key, seq, prev, event)}


def _digest(key: bytes | None, seq: int, prev: str, event: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"seq": seq, "prev": prev, "event": event}, sort_keys=True, separators=(",", ":"), ensure_ascii=False
    ).encode()
    if key is None:
        return hashlib.sha256(canonical).hexdigest()
    return hmac.new(key, canonical, hashlib.sha256).hexdigest()


def _encode_line(line: dict[str, Any]) -> bytes:
    return json.dumps(line, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"


def _encode_new_line(line: dict[str, Any]) -> bytes:
    data = _encode_line(line)
    if len(data) > MAX_LINE_BYTES:
        raise ValueError(f"audit event encodes to {len(data)} bytes; lines are capped at {MAX_LINE_BYTES}")
    return data


def _verify_line(path: Path, number: int, raw: bytes, key: bytes | None, prev: str | None) -> dict[str, Any]:
    """Return line ``number`` parsed if it is a canonical record following ``prev`` (if known); else raise."""
    line = _parse_line(path, number, raw)
    if line["seq"] != number:
        _fail(path, number, f"seq is {line['seq']}, expected {number}: lines were deleted or reordered")
    if prev is not None and line["prev"] != prev:
        _fail(path, number, "prev does not match the previous line's hash: lines were deleted or reordered")
    if not hmac.compare_digest(line["hash"], _digest(key, line["seq"], line["prev"], line["event"])):
        _fail(path, number, "hash does not match the line: it was edited, or the chain key is wrong/missing")
    if raw != _encode_line(line):  # catches edits JSON hides, such as added spaces or re-cased escapes
        _fail(path, number, "line is not in the form the writer produces: it was edited")
    return line


def _bounded_lines(file: IO[bytes]) -> Iterator[bytes]:
    """Yield lines, cutting any longer than the format allows so that no read is unbounded."""
    while raw := file.readline(MAX_LINE_BYTES + 1):
        yield raw


def _parse_line(path: Path, number: int, raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_LINE_BYTES:
        _fail(path, number, f"line is longer than {MAX_LINE_BYTES} bytes, which the writer never produces")
    if not raw.endswith(b"\n"):
        _fail(path, number, "line is not terminated by a newline: the write was interrupted")
    try:
        line = json.loads(raw.decode())
    except ValueError:
        _fail(path, number, "line is not valid UTF-8 JSON")
    if not _is_record(line):
        _fail(path, number, "line is not a chain record {seq, prev, event, hash}")
    return line


def _is_record(line: object) -> TypeGuard[dict[str, Any]]:
    return (
        isinstance(line, dict)
        and line.keys() == _LINE_KEYS
        and type(line["seq"]) is int
        and isinstance(line["event"], dict)
        and _is_hex_digest(line["prev"])
        and _is_hex_digest(line["hash"])
    )


def _is_hex_digest(value: object) -> bool:
    return isinstance(value, str) and _HEX_DIGEST.fullmatch(value) is not None


def _head_mac(key: bytes, seq: int, digest: str) -> str:
    """With a chain key the head is authenticated too, so cutting lines off and rewriting the head is detected."""
    return hmac.new(key, f"sfshield-audit-head\x00{seq}\x00{digest}".encode(), hashlib.sha256).hexdigest()


def _read_head(path: Path, lines: int, key: bytes | None) -> tuple[int, str] | None:
    head_path = _head_path(path)
    try:
        head = json.loads(head_path.read_bytes().decode())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        _fail(path, max(lines, 1), f"head file {head_path.name} is unreadable")
    if not (isinstance(head, dict) and type(head.get("seq")) is int and _is_hex_digest(head.get("hash"))):
        _fail(path, max(lines, 1), f"head file {head_path.name} is not {{seq, hash}}")
    if key is not None and not hmac.compare_digest(str(head.get("mac", "")), _head_mac(key, head["seq"], head["hash"])):
        _fail(path, max(lines, 1), f"head file {head_path.name} was not written with this chain key")
    return head["seq"], head["hash"]


def _check_head(path: Path, head: tuple[int, str], lines: int, last_hash: str) -> None:
    seq, digest = head
    if seq > lines:
        _fail(path, lines + 1, f"the head file records {seq} lines, the file {lines}: the tail was cut off")
    if seq < lines:
        _fail(path, seq + 1, f"head ends at line {seq}: a writer crashed (reopen it) or lines were added")
    if not hmac.compare_digest(digest, last_hash):
        _fail(path, max(lines, 1), "the last line's hash does not match the head file")


def _resume(path: Path, key: bytes | None) -> tuple[int, str]:
    """Return the ``(seq, hash)`` to continue from, after checking the last line against the head file.

    A head exactly one line behind (a crash between writing a line and updating the head) is accepted; the
    caller rewrites the head.
    """
    lines, raw = _last_line(path)
    head = _read_head(path, lines, key)
    if raw is None:
        if head is not None:
            _check_head(path, head, 0, GENESIS_HASH)
        return 0, GENESIS_HASH
    line = _verify_line(path, lines, raw, key, prev=None)
    if head is None:
        _fail(path, lines, f"head file is missing, so tail truncation cannot be ruled out; {_NO_HEAD}")
    if head != (lines - 1, line["prev"]):
        _check_head(path, head, lines, line["hash"])
    return lines, line["hash"]


def _last_line(path: Path) -> tuple[int, bytes | None]:
    lines, last = 0, None
    with contextlib.suppress(FileNotFoundError), path.open("rb") as file:
        for lines, last in enumerate(_bounded_lines(file), start=1):  # noqa: B007 -- only the last line is kept
            pass
    return lines, last


def _write_head(path: Path, seq: int, digest: str, *, fsync: bool, key: bytes | None = None) -> None:
    """Replace the head file atomically: write a temporary file beside it, then rename it over."""
    head_path = _head_path(path)
    fd, temp = tempfile.mkstemp(dir=head_path.parent, prefix=f".{head_path.name}.")  # created 0o600
    try:
        with os.fdopen(fd, "wb") as file:
            head: dict[str, Any] = {"seq": seq, "hash": digest}
            if key is not None:
                head["mac"] = _head_mac(key, seq, digest)
            file.write(json.dumps(head).encode())
            if fsync:
                file.flush()
                os.fsync(file.fileno())
        Path(temp).replace(head_path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _head_path(path: Path) -> Path:
    return path.with_name(path.name + ".head")


def _check_key(key: bytes | None) -> None:
    if key is not None and (not isinstance(key, bytes) or len(key) < _MIN_KEY_BYTES):
        raise ValueError(f"chain_key must be at least {_MIN_KEY_BYTES} random bytes")


def _fail(path: Path, line: int, problem: str) -> NoReturn:
    raise AuditIntegrityError(str(path), line, problem)
