"""The search index of each built tree: Pagefind run over the finished tree before `output/` is switched.

Pagefind (the binary the `pagefind[bin]` package ships) reads the tree's
pages and writes `pagefind/` inside it: its script, its WebAssembly, and an
index per `<html lang>`, so each language searches its own pages. It reads
only what pages mark with `data-pagefind-body` (and skips
`data-pagefind-ignore`), which the theme puts on the content readers should
find. Each tree is indexed on its own, so nothing of the intranet can reach
the public tree's index. docs/DESIGN.md, "Search", gives the contract.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from pagefind_bin import get_executable

from sitegen.errors import SitegenError
from sitegen.render import TREES

BUNDLE = "pagefind"
"""The folder inside each tree that Pagefind writes; the theme's `search.js` imports `pagefind/pagefind.js`."""
ENTRY = "pagefind-entry.json"
"""Pagefind's list of the indexed languages, which it writes in hash-map order: sorted here, for byte-equal builds."""


class SearchIndexFailed(SitegenError):
    """Pagefind could not index a tree; the build stops before `output/` is replaced."""


def index_trees(staging: Path) -> None:
    """Index every tree of a written build in `staging`; the two runs go side by side."""
    command = [str(get_executable()), "--silent", "--output-subdir", BUNDLE, "--site"]
    runs = {
        tree: subprocess.Popen(
            [*command, str(staging / tree)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for tree in TREES
    }
    failures = []
    for tree, run in runs.items():
        said, _ = run.communicate()
        if run.returncode != 0:
            failures.append(f"{tree}: {said.strip() or f'exit status {run.returncode}'}")
    if failures:
        raise SearchIndexFailed("Pagefind could not index the site; output/ is as it was:\n" + "\n".join(failures))
    for tree in TREES:
        sort_languages(staging / tree / BUNDLE / ENTRY)


def sort_languages(entry: Path) -> None:
    """Write Pagefind's entry file again with its languages in alphabetical order, otherwise byte for byte alike."""
    content = json.loads(entry.read_text(encoding="utf-8"))
    content["languages"] = dict(sorted(content["languages"].items()))
    entry.write_text(json.dumps(content, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
