"""The search index of each built tree: Pagefind run over the finished tree before `output/` is switched.

Pagefind (the binary the `pagefind[bin]` package ships) reads a tree's pages
in one language and writes `pagefind/<lang>/` inside the tree: its script,
its WebAssembly and the index. It reads only what pages mark with
`data-pagefind-body` (and skips `data-pagefind-ignore`), which the theme puts
on the content readers should find. Each tree is indexed on its own, so
nothing of the intranet can reach the public tree's index. docs/DESIGN.md,
"Search", gives the contract.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from pathlib import Path

from pagefind_bin import get_executable

from sitegen.errors import SitegenError
from sitegen.render import TREES

BUNDLE = "pagefind"
"""The folder inside each tree that holds one Pagefind bundle per language; `search.js` imports
`pagefind/<lang>/pagefind.js`."""


class SearchIndexFailed(SitegenError):
    """Pagefind could not index a tree; the build stops before `output/` is replaced."""


def index_trees(staging: Path, languages: Sequence[str]) -> None:
    """Index every language of every tree of a build written to `staging`, one Pagefind run after another.

    One run per language holds only that language's pages in memory: at 5,000
    pages, 234 MB instead of 557 MB for the intranet in one run. Each run's
    bundle lists a single language, which also keeps its files byte-equal
    between builds (Pagefind lists several languages in hash-map order).
    """
    for tree in TREES:
        for lang in languages:
            index_language(staging / tree, lang)


def index_language(tree: Path, lang: str) -> None:
    """Index the pages below `<tree>/<lang>/` into `<tree>/pagefind/<lang>/`."""
    command = [str(get_executable()), "--silent", "--site", str(tree), "--glob", f"{lang}/**/*.html"]
    done = subprocess.run([*command, "--output-subdir", f"{BUNDLE}/{lang}"], capture_output=True, text=True)
    if done.returncode != 0:
        said = (done.stderr or done.stdout).strip() or f"exit status {done.returncode}"
        raise SearchIndexFailed(f"Pagefind could not index {tree.name}/{lang}/; output/ is as it was: {said}")
