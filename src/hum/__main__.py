"""`python -m hum`: the `hum` console script."""

from __future__ import annotations

from hum.cli import main

raise SystemExit(main())
