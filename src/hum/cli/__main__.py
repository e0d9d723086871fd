"""`python -m hum.cli`: the `hum` console script without its installed wrapper."""

from __future__ import annotations

from hum.cli import main

raise SystemExit(main())
