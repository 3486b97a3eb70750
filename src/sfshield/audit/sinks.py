"""Audit sinks: where events end up. ``InMemoryAuditSink`` for tests, ``JsonlAuditSink`` for a hash-chained file.

The file format and its verifier live in :mod:`sfshield.audit.chain`.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, NoReturn, Self

from sfshield.audit.chain import _chain_line, _check_key, _encode_new_line, _resume, _write_head

if TYPE_CHECKING:
    from types import TracebackType

    from sfshield.audit.events import AuditEvent

__all__ = ["InMemoryAuditSink", "JsonlAuditSink"]


class InMemoryAuditSink:
    """Keeps events in a list, in emit order: for tests and for inspecting a pipeline.

    ``events`` is the live list; appends are serialised by a lock.
    """

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self._lock = threading.Lock()

    def emit(self, event: AuditEvent, /) -> None:
        """Append ``event`` to :attr:`events`."""
        with self._lock:
            self.events.append(event)

    def __repr__(self) -> str:
        return f"InMemoryAuditSink(<{len(self.events)} events>)"


class JsonlAuditSink:
    """Appends events to a hash-chained JSON Lines file (format in :mod:`sfshield.audit.chain`).

    Opening an existing file resumes its chain after checking that the last line verifies and matches the
    head file; a head one line behind (a crash between writing a line and updating the head) is repaired.
    The file and head are created with mode ``0o600``. Every line is flushed; ``fsync=True`` also syncs it.

    Args:
        path: the audit file.
        chain_key: HMAC key (at least 16 bytes); without it nobody can rewrite the chain undetected.
        fsync: call ``os.fsync`` after every line (slower; survives power loss).

    Raises:
        AuditIntegrityError: the existing file is corrupt or truncated, or its head file is missing.
        ValueError: ``chain_key`` is shorter than 16 bytes.
    """

    def __init__(self, path: str | os.PathLike[str], *, chain_key: bytes | None = None, fsync: bool = False) -> None:
        _check_key(chain_key)
        self._path = Path(path)
        self._key = chain_key
        self._fsync = fsync
        self._lock = threading.Lock()
        self._seq, self._prev = _resume(self._path, chain_key)
        _write_head(self._path, self._seq, self._prev, fsync=fsync, key=chain_key)  # a new file, or a lagging head
        fd = os.open(self._path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        self._file: IO[bytes] | None = os.fdopen(fd, "ab")

    def emit(self, event: AuditEvent, /) -> None:
        """Append ``event`` as the next line of the chain, then update the head file.

        Raises:
            ValueError: the sink is closed (an earlier write failed: reopen it), or the event is too large.
            OSError: the line or the head could not be written; the sink closes itself.
        """
        with self._lock:
            if self._file is None:
                raise ValueError(f"{self!r} is closed; open a new JsonlAuditSink to resume the chain")
            line = _chain_line(self._key, self._seq + 1, self._prev, event.to_json_dict())
            data = _encode_new_line(line)
            try:
                self._append(self._file, data, line)
            except BaseException:
                self._close_unlocked()  # a partial line may be on disk: only a checked reopen may go on
                raise
            self._seq, self._prev = line["seq"], line["hash"]

    def _append(self, file: IO[bytes], data: bytes, line: dict[str, Any]) -> None:
        file.write(data)
        file.flush()
        if self._fsync:
            os.fsync(file.fileno())
        _write_head(self._path, line["seq"], line["hash"], fsync=self._fsync, key=self._key)

    def close(self) -> None:
        """Close the file; further ``emit`` calls raise. Closing twice is harmless."""
        with self._lock:
            self._close_unlocked()

    def _close_unlocked(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __reduce__(self) -> NoReturn:
        raise TypeError("JsonlAuditSink cannot be pickled: it holds an open file and possibly a chain key")

    def __repr__(self) -> str:
        return f"JsonlAuditSink({str(self._path)!r})"
