"""Charts kept between builds, so an unchanged one is neither built nor drawn again.

Three kinds of entry, each by the digest of everything it is made from: a
chart's Vega-Lite spec (`<key>.json`, by its figures and the code that builds
it), its drawing (`<key>.svg`, by the spec), and the site's chart script
(`<key>.js`, by the Vega-Lite and vl-convert versions). An entry is a file in the cache folder (`chart_cache:` in
sitegen.yaml, `.sitegen-cache/charts` by default, never inside `output/`):
the SHA-256 of its text on its first line, then the text. An entry whose
digest does not match (a torn or edited file) is ignored and drawn again.
Entries are written atomically (a temporary file renamed over), so two
builds at once never see half an entry. Reading an entry touches it;
opening the cache for a build removes the least recently used entries
beyond LIMIT_BYTES, so the folder stays bounded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sitegen.errors import SitegenError

LIMIT_BYTES = 64 * 2**20
"""A site's charts are a few hundred SVGs of some 20 kB each: room for them many times over."""
SVG, SPEC, BUNDLE = ".svg", ".json", ".js"
"""The suffixes of the kinds of entry: drawings, specs, and the chart script (Vega, Vega-Lite and vega-embed)."""


@dataclass(frozen=True)
class ChartCache:
    """The cache folder; `open` it to have it bounded first."""

    folder: Path

    @classmethod
    def open(cls, folder: Path, output: Path, limit_bytes: int = LIMIT_BYTES) -> ChartCache:
        """The cache in `folder` (made if new), trimmed to `limit_bytes`; refused inside the build's `output`."""
        resolved, built = folder.resolve(), output.resolve()
        if resolved == built or resolved.is_relative_to(built):
            raise SitegenError(f"chart_cache: {folder} is inside {output}, which every build replaces; choose another")
        resolved.mkdir(parents=True, exist_ok=True)
        cache = cls(resolved)
        cache.trim(limit_bytes)
        return cache

    def svg(self, key: str) -> str | None:
        """The SVG kept under `key`, or None when there is none or it is damaged."""
        return self.text(key, SVG)

    def text(self, key: str, suffix: str) -> str | None:
        """The entry of kind `suffix` kept under `key`, or None when there is none or it is damaged."""
        path = self._path(key, suffix)
        try:
            digest, _, svg = path.read_bytes().partition(b"\n")
            os.utime(path)  # recently used: kept when the folder is trimmed
        except OSError:
            return None
        if hashlib.sha256(svg).hexdigest().encode() != digest:
            return None
        try:
            return svg.decode("utf-8")
        except UnicodeDecodeError:
            return None

    def keep(self, key: str, text: str, suffix: str = SVG) -> None:
        """Keep `text` under `key`; a cache that cannot be written (a full disk) only means drawing again next time."""
        content = text.encode("utf-8")
        try:
            descriptor, name = tempfile.mkstemp(dir=self.folder, prefix=".", suffix=".tmp")
        except OSError:
            return
        try:
            with os.fdopen(descriptor, "wb") as temporary:
                temporary.write(hashlib.sha256(content).hexdigest().encode() + b"\n" + content)
            os.replace(name, self._path(key, suffix))
        except OSError:
            with contextlib.suppress(OSError):
                os.unlink(name)

    def trim(self, limit_bytes: int) -> None:
        """Remove the least recently used entries until the rest take at most `limit_bytes`."""
        entries = []
        for path in (path for suffix in (SVG, SPEC, BUNDLE) for path in self.folder.glob(f"*{suffix}")):
            with contextlib.suppress(OSError):
                status = path.stat()
                entries.append((status.st_mtime_ns, path.name, status.st_size, path))
        total = sum(size for _, _, size, _ in entries)
        for _, _, size, path in sorted(entries):
            if total <= limit_bytes:
                break
            with contextlib.suppress(OSError):
                path.unlink()
            total -= size

    def _path(self, key: str, suffix: str) -> Path:
        return self.folder / f"{key}{suffix}"
