"""The staff side of `sitegen collect`: accounts, sign-in, and the pages and intranet behind it (docs/DESIGN.md)."""
