"""Private files: how sfshield's SQLite stores create or accept their file and connect to it.

One way for all of them: the key store, the token store, the vault, the quarantine and the replay cache.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import sqlite3

__all__ = ["connect_private_db", "ensure_private_file"]

MEMORY = ":memory:"
"""The path of an in-memory database (no file is created or checked)."""


def ensure_private_file(
    path: Path, /, *, what: str, error: Callable[[str], Exception], create: bool = True, missing: str | None = None
) -> None:
    """Create ``path`` with mode 0600 (its new parents 0700), or check that the existing file is private.

    Args:
        path: the file.
        what: how messages name it (``"token store"``).
        error: the store's error type, built from a message that says what to do.
        create: create the file if it does not exist; otherwise a missing file is an error.
        missing: the message when ``create`` is false and the file does not exist (default: a generic one).

    Raises:
        the ``error`` type: the path is not a regular file, group or others may access it, it cannot be created,
        or it does not exist and ``create`` is false.
    """
    try:
        if create:
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(fd)
            return
        mode = path.stat().st_mode
    except FileExistsError:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise error(missing or f"there is no {what} at {path}; check the path") from None
    except OSError as exc:
        raise error(
            f"cannot create {what} {path} ({type(exc).__name__}: {exc.strerror}); check the path and permissions"
        ) from exc
    if not stat.S_ISREG(mode):
        raise error(f"{what} {path} is not a regular file; give the path of a file")
    if stat.S_IMODE(mode) & 0o077:
        raise error(
            f"{what} {path} may be accessed by group or others (mode {stat.S_IMODE(mode):04o}); "
            f"run `chmod 600 {path}` and open it again"
        )


def connect_private_db(
    path: Path | str,
    /,
    *,
    what: str,
    error: Callable[[str], Exception],
    prepare: Callable[[sqlite3.Connection], None],
    busy_timeout: float = 5.0,
    create: bool = True,
    missing: str | None = None,
) -> sqlite3.Connection:
    """Open an sfshield SQLite store: a private file (see :func:`ensure_private_file`) or :data:`MEMORY`.

    The connection may be shared between threads (each store serialises its own use), runs in autocommit mode
    (stores open their own transactions), waits ``busy_timeout`` seconds for another process's lock, and
    overwrites deleted content (``secure_delete``). ``prepare`` then creates or checks the store's schema.

    Raises:
        the ``error`` type: the file is not private or cannot be created, ``prepare`` raised it, or SQLite
        failed (the message names the file and asks whether it is such a store).
    """
    import sqlite3  # noqa: PLC0415 - keeps `import sfshield` free of SQLite for the pure filter path

    target = str(path)
    if target != MEMORY:
        ensure_private_file(Path(path), what=what, error=error, create=create, missing=missing)
    db = None
    try:
        db = sqlite3.connect(target, check_same_thread=False, isolation_level=None)
        db.execute(f"PRAGMA busy_timeout = {max(0, int(busy_timeout * 1000))}")
        db.execute("PRAGMA secure_delete = ON")
        prepare(db)
    except Exception as exc:
        if db is not None:
            db.close()
        if not isinstance(exc, sqlite3.Error):
            raise
        raise error(f"cannot open {what} {target} ({type(exc).__name__}: {exc}); is it an sfshield {what}?") from None
    return db
