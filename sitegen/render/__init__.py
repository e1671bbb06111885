"""Phase two of a build: validated site -> pages (Jinja2) -> files on disk."""
