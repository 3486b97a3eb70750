"""Private files: the one way sfshield's SQLite stores (tokens, vault, quarantine) create or accept their file."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

__all__ = ["ensure_private_file"]


def ensure_private_file(path: Path, /, *, what: str, error: Callable[[str], Exception]) -> None:
    """Create ``path`` with mode 0600 (its new parents 0700), or check that the existing file is private.

    Args:
        path: the file.
        what: how messages name it (``"token store"``).
        error: the store's error type, built from a message that says what to do.

    Raises:
        the ``error`` type: the path is not a regular file, group or others may access it, or it cannot be created.
    """
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        mode = path.stat().st_mode
        if not stat.S_ISREG(mode):
            raise error(f"{what} {path} is not a regular file; give the path of a file") from None
        if stat.S_IMODE(mode) & 0o077:
            raise error(
                f"{what} {path} may be accessed by group or others (mode {stat.S_IMODE(mode):04o}); "
                f"run `chmod 600 {path}` and open it again"
            ) from None
    except OSError as exc:
        raise error(
            f"cannot create {what} {path} ({type(exc).__name__}: {exc.strerror}); check the path and permissions"
        ) from exc
    else:
        os.close(fd)
