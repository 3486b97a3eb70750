"""``python -m sfshield`` runs the command-line interface."""

from sfshield.cli import main

raise SystemExit(main())
