"""Org instance URLs: the one check that a URL is an https origin, and its normal form."""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["https_origin"]


def https_origin(url: str) -> str:
    """``url`` as ``https://host[:port]``: lower-case host, no default port, no path, query or credentials.

    Tenant configurations, OAuth grants and the token store all read an org's instance URL through this, so that
    one org has one spelling wherever it is compared.

    Raises:
        ValueError: ``url`` is not an https origin (the message says what one looks like, not what was given).
    """
    problem = "must be an https origin such as https://acme.my.salesforce.com (no path, query or credentials)"
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:
        raise ValueError(problem) from None
    if parts.scheme != "https" or not host or parts.username or parts.password is not None:
        raise ValueError(problem)
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        raise ValueError(problem)
    host = f"[{host}]" if ":" in host else host
    return f"https://{host}" + (f":{port}" if port not in {None, 443} else "")
