"""What keeps abuse out of the collector without losing a real response.

Each guard is small and separately testable: the body-size limit, the
allowed origins, and a per-client rate limit that never stores an address:
it keys on a keyed hash of the address whose key changes every day and lives
only in this process's memory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import secrets
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from sitegen.models.site import SiteConfig


class BodyTooLarge(Exception):
    """The request body is over the configured limit."""


async def read_limited(chunks: AsyncIterator[bytes], declared_length: str | None, limit: int) -> bytes:
    """The whole body, refusing early when the declared or received size passes `limit`."""
    if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
        raise BodyTooLarge
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge
    return bytes(body)


def origin_of(url: str) -> str:
    """`https://a.example/path` -> `https://a.example`."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def allowed_origins(config: SiteConfig) -> frozenset[str]:
    """The site's own addresses and those the owner listed under `collector.allowed_origins`."""
    urls = [config.base_url, config.intranet_url, config.collector_url, *config.collector.allowed_origins]
    return frozenset(origin_of(url) for url in urls if url)


def is_origin_allowed(origin: str | None, own_origin: str, allowed: frozenset[str]) -> bool:
    """Browsers send `Origin` with every POST; other clients (curl, imports) may send none."""
    if origin is None:
        return True
    origin = origin.lower()
    return origin == own_origin.lower() or origin in allowed


@dataclass
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """A token bucket per client: `burst` at once, refilled at `per_hour`."""

    per_hour: int
    burst: int
    clock: Callable[[], float] = time.monotonic
    today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date()
    _secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _buckets: dict[str, _Bucket] = field(default_factory=dict)
    _day: dt.date | None = None

    def client_key(self, address: str) -> str:
        """A keyed hash of the address that cannot be reversed and changes every day."""
        day = self.today()
        if day != self._day:
            self._day, self._buckets = day, {}
        return hmac.new(self._secret, f"{day.isoformat()}|{address}".encode(), hashlib.sha256).hexdigest()[:32]

    def check(self, address: str) -> float:
        """0 when the client may go on; otherwise the seconds until it may try again."""
        key = self.client_key(address)
        now = self.clock()
        rate = self.per_hour / 3600
        bucket = self._buckets.get(key) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        self._buckets[key] = bucket
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return math.ceil((1 - bucket.tokens) / rate)
