"""Phase two of a build: validated site -> pages (Jinja2) -> files on disk."""

PUBLIC = "public"
INTRANET = "intranet"
TREES = (PUBLIC, INTRANET)
"""The two sites a build writes: what customers see, and what staff see."""
