"""Stores that test helpers open, closed when the test ends (see ``_close_registered_stores`` in conftest.py).

A helper that returns a store (or something holding one) cannot close it itself; SQLite connections left to the
garbage collector make Python 3.13 warn ("unclosed database"), and pytest turns the warning into a failure of
whichever test is running when the collector gets to it.
"""

from __future__ import annotations

from typing import Protocol, TypeVar

__all__ = ["close_after_test", "close_registered"]


class _Closable(Protocol):
    def close(self) -> None: ...


_C = TypeVar("_C", bound=_Closable)
_OPEN: list[_Closable] = []


def close_after_test(store: _C) -> _C:
    """Return ``store``, registered to be closed when the current test ends."""
    _OPEN.append(store)
    return store


def close_registered() -> None:
    """Close every registered store, newest first."""
    while _OPEN:
        _OPEN.pop().close()
