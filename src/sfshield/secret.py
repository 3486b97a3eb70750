"""A holder for secret values (tokens, client secrets, passphrases, PINs) that cannot leak by accident.

:class:`Secret` never shows its value in ``repr``, ``str``, f-strings, logging, pydantic dumps or tracebacks,
refuses to be pickled or copied into a new process, and compares in constant time. The value comes out only
through :meth:`Secret.reveal`, which makes every place that uses it easy to find in review.
"""

from __future__ import annotations

import hmac
from typing import NoReturn

__all__ = ["Secret"]


class Secret:
    """A secret string or bytes value that is never shown.

    >>> token = Secret("00Dxx0000001gPL!AQ4AQ...")
    >>> token
    Secret('***')
    >>> f"{token}"
    '***'
    >>> token.reveal()[:3]
    '00D'
    """

    __slots__ = ("_value",)

    def __init__(self, value: str | bytes, /) -> None:
        if not isinstance(value, str | bytes):
            raise TypeError(f"Secret holds str or bytes, not {type(value).__name__}")
        self._value = value

    def reveal(self) -> str:
        """Return the secret as text (bytes are decoded as UTF-8).

        Raises:
            ValueError: the secret is bytes that are not UTF-8 text (use :meth:`reveal_bytes`). Neither the
                message nor a chained exception carries the secret.
        """
        value = self._value
        if isinstance(value, str):
            return value
        try:
            text = value.decode()
        except UnicodeDecodeError:
            text = None  # raised below, outside this block, so the error that holds the bytes is not chained
        if text is None:
            raise ValueError("the secret is not UTF-8 text; use reveal_bytes() for a binary secret") from None
        return text

    def reveal_bytes(self) -> bytes:
        """Return the secret as bytes (text is encoded as UTF-8)."""
        value = self._value
        return value.encode() if isinstance(value, str) else value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return "***"

    def __format__(self, format_spec: str) -> str:
        return "***"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Secret):
            return NotImplemented
        return hmac.compare_digest(self.reveal_bytes(), other.reveal_bytes())

    def __hash__(self) -> int:
        return hash(type(self))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Secret cannot be pickled: store it in the encrypted TokenStore instead")

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: object) -> Secret:
        return self
