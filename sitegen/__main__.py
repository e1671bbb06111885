"""`python -m sitegen` runs the command line."""

from __future__ import annotations

from sitegen.cli import main

main()
