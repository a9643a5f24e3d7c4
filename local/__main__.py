"""Entry point: ``python -m local`` (see ``local/cli.py``)."""

from local.cli import main

raise SystemExit(main())
