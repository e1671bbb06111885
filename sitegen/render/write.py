"""Put a finished build on disk all at once, or not at all.

Files are written into a staging directory beside `output/`, which then
replaces `output/` by two renames; a build that fails before that leaves the
previous output exactly as it was. Work that needs the whole tree on disk
(the search index, `sitegen.render.search`) runs in the staging directory
before the renames, so its failure leaves the previous output too.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path

STAGING_PREFIX = ".output-"


def write_output(output: Path, files: dict[str, bytes], finish: Callable[[Path], None] = lambda staging: None) -> None:
    """Replace `output/` with `files` (relative POSIX path -> content) and what `finish` adds to the written tree."""
    parent = output.parent
    remove_leftovers(parent)
    staging = parent / f"{STAGING_PREFIX}new-{os.getpid()}"
    retired = parent / f"{STAGING_PREFIX}old-{os.getpid()}"
    try:
        for relative, content in sorted(files.items()):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        finish(staging)
        if output.exists():
            os.rename(output, retired)
        os.rename(staging, output)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(retired, ignore_errors=True)


def remove_leftovers(parent: Path) -> None:
    """Remove staging directories that a killed build left behind."""
    for leftover in parent.glob(f"{STAGING_PREFIX}*"):
        if leftover.is_dir():
            shutil.rmtree(leftover, ignore_errors=True)
