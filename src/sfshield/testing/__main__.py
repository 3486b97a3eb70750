"""``python -m sfshield.testing serve [--orgs N] [--size N] [--seed N]``: run the embedded org until interrupted.

Prints one JSON line once it is ready: ``instance_url``, ``ca_file`` and, per org, its ``org_id``, ``login_url``,
integration ``username``/``user_id``, ``client_id`` and a ready ``access_token``.
"""

from __future__ import annotations

import argparse
import sys
import threading

from sfshield.testing.org import EmbeddedOrg


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted; return the exit code."""
    parser = argparse.ArgumentParser(prog="python -m sfshield.testing", description="Run the embedded Salesforce org.")
    verbs = parser.add_subparsers(dest="verb", required=True)
    serve = verbs.add_parser("serve", help="serve seeded orgs over HTTPS on 127.0.0.1 until interrupted")
    serve.add_argument("--orgs", type=int, default=2, help="how many orgs (tenants); default 2")
    serve.add_argument("--size", type=int, default=20, help="Accounts per org; default 20")
    serve.add_argument("--seed", type=int, default=0, help="data seed; default 0")
    args = parser.parse_args(argv)
    with EmbeddedOrg(orgs=args.orgs, size=args.size, seed=args.seed) as org:
        sys.stdout.write(org.ready_line() + "\n")
        sys.stdout.flush()
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            return 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
