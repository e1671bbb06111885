"""How a built page names another file of its tree: one relative link, for a site served or read from disk.

A web server answers a directory's address with its `index.html`; a browser
reading the files from disk (`file://`) shows the directory's listing
instead. So a build for reading from disk (`sitegen build --local`) names
the `index.html` of every page it links to, and every other build keeps the
shorter directory addresses. Both are relative to the linking page, so a
tree works wherever it is put, at any depth.
"""

from __future__ import annotations

import posixpath
from functools import lru_cache

INDEX_FILE = "index.html"
"""The file a directory's address stands for: what a server sends, and what a local build names."""


@lru_cache(maxsize=1 << 16)
def relative_url(from_path: str, to_path: str, is_local: bool = False) -> str:
    """A link from one file of a tree to another file or directory (ending in '/'), with any `#fragment` kept.

    With `is_local`, a link to a directory names its `index.html`, which a
    browser opens from disk.
    """
    target, hash_mark, fragment = to_path.partition("#")
    from_dir = posixpath.dirname(from_path) or "."
    is_directory = target.endswith("/") or target == ""
    # Rooted at "/", relpath need not ask the operating system for the working directory.
    relative = posixpath.relpath("/" + (target.rstrip("/") or "."), "/" + from_dir)
    if is_directory:
        if is_local:
            relative = INDEX_FILE if relative == "." else f"{relative}/{INDEX_FILE}"
        else:
            relative = "./" if relative == "." else relative + "/"
    return relative + hash_mark + fragment
