"""Phase two of a build: validated site -> pages (Jinja2) -> files on disk."""

from __future__ import annotations

PUBLIC = "public"
INTRANET = "intranet"
TREES = (PUBLIC, INTRANET)
"""The two sites a build writes: what customers see, and what staff see."""
