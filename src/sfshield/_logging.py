"""sfshield's loggers: one ``NullHandler`` on the ``sfshield`` logger, added by the first module that logs.

Without it, Python's last-resort handler would print sfshield's warnings to stderr of applications that never
configured logging. Modules that log get their logger here; importing sfshield alone configures nothing.
"""

from __future__ import annotations

import logging

__all__ = ["get_logger"]


def get_logger(name: str, /) -> logging.Logger:
    """The logger for module ``name``, with a ``NullHandler`` on the package logger (added once)."""
    package = logging.getLogger("sfshield")
    if not any(isinstance(handler, logging.NullHandler) for handler in package.handlers):
        package.addHandler(logging.NullHandler())
    return logging.getLogger(name)
