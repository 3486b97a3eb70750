"""Record files for the command line: reading CSV/JSONL with line numbers, writing atomically, showing progress.

Reading is streaming (one row in memory at a time). Writing goes to a hidden temporary file beside the target
that is renamed into place only when everything succeeded, so a failed run never leaves a file that looks
complete.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, BinaryIO

from sfshield.exceptions import InputFileError

__all__ = ["Progress", "atomic_output", "detect_format", "read_records", "write_records"]


def detect_format(path: Path, explicit: str | None) -> str:
    """Return ``csv`` or ``jsonl`` from ``explicit`` or the file extension."""
    if explicit:
        return explicit
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise InputFileError(f"{path}: cannot tell the format from the extension; pass --format csv or --format jsonl")


class _CountingReader(io.RawIOBase):
    """Counts the bytes read from a binary file, for the progress bar."""

    def __init__(self, raw: BinaryIO) -> None:
        self.raw = raw
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self.raw.read(len(buffer))
        buffer[: len(data)] = data
        self.count += len(data)
        return len(data)


@contextlib.contextmanager
def open_counted(path: Path) -> Iterator[tuple[IO[str], _CountingReader]]:
    """Open ``path`` as UTF-8 text (BOM tolerated), with a byte counter underneath."""
    with path.open("rb") as raw:
        counter = _CountingReader(raw)
        text = io.TextIOWrapper(io.BufferedReader(counter), encoding="utf-8-sig", newline="")
        yield text, counter


def read_records(stream: IO[str], fmt: str, name: str) -> Iterator[dict[str, Any]]:
    """Yield records from an open CSV or JSONL stream.

    Raises:
        InputFileError: a line is malformed; nothing after it is read.
    """
    if fmt == "csv":
        yield from _read_csv(stream, name)
    else:
        yield from _read_jsonl(stream, name)


def _read_csv(stream: IO[str], name: str) -> Iterator[dict[str, Any]]:
    reader = csv.DictReader(stream, strict=True)
    try:
        for row in reader:
            if None in row or None in row.values():
                raise InputFileError(f"{name}: line {reader.line_num}: the number of columns differs from the header")
            yield row
    except csv.Error as exc:
        raise InputFileError(f"{name}: line {reader.line_num}: malformed CSV ({exc})") from exc
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{name}: near line {reader.line_num + 1}: not UTF-8 text") from exc


def _read_jsonl(stream: IO[str], name: str) -> Iterator[dict[str, Any]]:
    number = 0
    try:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                yield _json_object(line, name, number)
    except UnicodeDecodeError as exc:
        raise InputFileError(f"{name}: near line {number + 1}: not UTF-8 text") from exc


def _json_object(line: str, name: str, number: int) -> dict[str, Any]:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{name}: line {number}: not valid JSON ({exc.msg})") from exc
    if not isinstance(value, dict):
        raise InputFileError(f"{name}: line {number}: expected a JSON object (one record per line)")
    return value


def write_records(stream: IO[str], fmt: str, records: Iterator[Mapping[str, Any]]) -> int:
    """Write records as CSV (header from the first record) or JSONL; return how many were written."""
    count = 0
    writer: csv.DictWriter[str] | None = None
    for record in records:
        if count == 0 and not record:
            raise InputFileError(
                "no field of the first record passes the policy for this purpose: check --object and --purpose, "
                "and that a CSV starts with its header line"
            )
        if fmt == "jsonl":
            stream.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        else:
            if writer is None:
                writer = csv.DictWriter(stream, fieldnames=list(record), lineterminator="\n")
                writer.writeheader()
            writer.writerow(record)
        count += 1
    return count


@contextlib.contextmanager
def atomic_output(path: Path) -> Iterator[IO[str]]:
    """Yield a text stream that becomes ``path`` only if the block finishes without an exception."""
    directory = path.resolve().parent
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as stream:
            yield stream
        Path(temp_name).replace(path)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise


class Progress:
    """A one-line progress display on stderr: records done, percent of bytes, rate. Silent when disabled."""

    def __init__(self, total_bytes: int, *, enabled: bool, interval: float = 0.2) -> None:
        self.total = max(total_bytes, 1)
        self.enabled = enabled
        self.interval = interval
        self.started = time.monotonic()
        self._shown = 0.0

    def update(self, records: int, done_bytes: int, *, final: bool = False) -> None:
        """Redraw the line if enough time passed (always when ``final``)."""
        now = time.monotonic()
        if not self.enabled or (not final and now - self._shown < self.interval):
            return
        self._shown = now
        rate = records / max(now - self.started, 1e-9)
        percent = min(100.0, 100.0 * done_bytes / self.total)
        end = "\n" if final else ""
        sys.stderr.write(f"\r{records:>10,} records  {percent:5.1f}%  {rate:>10,.0f} records/s{end}")
        sys.stderr.flush()
