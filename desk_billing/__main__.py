"""python -m desk_billing -> the command line front."""

from desk_billing.cli import main

raise SystemExit(main())
