"""What keeps abuse out of the collector without losing a real response.

Each guard is small and separately testable: the body-size limit, the
allowed origins, a per-client rate limit that never stores an address (it
keys on a keyed hash of the client's network whose key changes every day and
lives only in this process's memory, in a bounded number of buckets), the
security headers of every answer, and, in uvicorn's protocol, deadlines for
slow headers and bodies and a cap on connections that closes idle ones first.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hmac
import ipaddress
import json
import math
import os
import resource
import secrets
import time
import weakref
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from sitegen.models.site import RateLimit, SiteConfig, Timeouts


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


# ---- rate limit ---------------------------------------------------------------------------

IPV6_CLIENT_PREFIX: Final = 64
"""One subscriber gets at least a /64 (RFC 6177, RIPE-690), so a /64 is one client, as an IPv4 address is."""


def client_network(host: str) -> str:
    """The part of a client address that one client cannot change: an IPv4 address or an IPv6 /64.

    IPv4-mapped IPv6 (`::ffff:192.0.2.1`, a dual-stack socket's view of an
    IPv4 client) counts as the IPv4 address. Anything that is not an address
    (a test client's name, a Unix socket) is its own client.
    """
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        host_bits = 128 - IPV6_CLIENT_PREFIX  # shifting is 3x faster than building an IPv6Network
        return f"{ipaddress.IPv6Address(int(address) >> host_bits << host_bits)}/{IPV6_CLIENT_PREFIX}"
    return str(address)


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


@dataclass
class RateLimiter:
    """A token bucket per client network: `burst` at once, refilled at `per_hour`.

    At most `max_clients` buckets are kept. The dict is kept in order of last
    use, so the one dropped past the cap is the least recently seen: the
    fullest, as buckets refill while unused, and the one whose loss matters least.
    """

    per_hour: int
    burst: int
    max_clients: int = RateLimit.model_fields["max_clients"].default
    clock: Callable[[], float] = time.monotonic
    today: Callable[[], dt.date] = lambda: dt.datetime.now(dt.UTC).date()
    _secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    _buckets: dict[bytes, _Bucket] = field(default_factory=dict)
    _day: dt.date | None = None

    @property
    def client_count(self) -> int:
        return len(self._buckets)

    def client_key(self, address: str) -> bytes:
        """A keyed hash of the client's network that cannot be reversed and changes every day."""
        day = self.today()
        if day != self._day:
            self._day, self._buckets = day, {}
        message = f"{day.isoformat()}|{client_network(address)}".encode()
        return hmac.digest(self._secret, message, "sha256")[:16]  # a name, not a constructor: the one-shot C path

    def check(self, address: str) -> float:
        """0 when the client may go on; otherwise the seconds until it may try again."""
        key = self.client_key(address)
        now = self.clock()
        rate = self.per_hour / 3600
        bucket = self._buckets.pop(key, None) or _Bucket(float(self.burst), now)
        bucket.tokens = min(float(self.burst), bucket.tokens + (now - bucket.updated) * rate)
        bucket.updated = now
        self._buckets[key] = bucket
        if len(self._buckets) > self.max_clients:
            del self._buckets[next(iter(self._buckets))]
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return 0.0
        return math.ceil((1 - bucket.tokens) / rate)


# ---- response headers ---------------------------------------------------------------------

SECURITY_HEADERS: Final[tuple[tuple[str, str], ...]] = (
    ("X-Content-Type-Options", "nosniff"),  # no guessing a type the answer does not declare
    ("Referrer-Policy", "same-origin"),  # addresses of survey pages stay on the site
    ("Content-Security-Policy", "frame-ancestors 'none'"),  # no framing (clickjacking; OWASP Clickjacking Cheat Sheet)
)
"""Headers fit for every page of a sitegen site (OWASP HTTP Headers Cheat Sheet); the preview can send them too."""


def error_page_policy(style_origins: Iterable[str], form_action: str = "'none'", with_scripts: bool = False) -> str:
    """The Content-Security-Policy of the collector's answers: nothing but the site's stylesheet.

    Its pages are the site's templates with no script or image, and no form
    but the staff pages' (`form_action` "'self'"); the stylesheet comes from
    the site's own origin, which may not be the collector's. A thank-you page
    with an incentive code runs the site's own survey script (`with_scripts`),
    which tells the next form of the survey to start a new response.
    """
    styles = " ".join(["'self'", *sorted(set(style_origins))])
    scripts = f"; script-src {styles}" if with_scripts else ""
    return (
        f"default-src 'none'; style-src {styles}{scripts}; base-uri 'none'; form-action {form_action}; "
        "frame-ancestors 'none'"
    )


def error_page_headers(style_origins: Iterable[str]) -> tuple[tuple[str, str], ...]:
    """`SECURITY_HEADERS` with the error pages' stricter policy."""
    policy = ("Content-Security-Policy", error_page_policy(style_origins))
    return tuple(policy if name == policy[0] else (name, value) for name, value in SECURITY_HEADERS)


def collector_headers(config: SiteConfig) -> tuple[tuple[str, str], ...]:
    """The headers of every answer of this site's collector, whose pages take the site's stylesheet."""
    return error_page_headers(origin_of(url) for url in (config.base_url, config.intranet_url) if url)


class SecurityHeaders:
    """Pure ASGI middleware adding `headers` to every HTTP answer that does not set them itself."""

    def __init__(self, app: ASGIApp, headers: Sequence[tuple[str, str]] = SECURITY_HEADERS) -> None:
        self.app = app
        self.raw_headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                own = list(message.get("headers", ()))
                present = {name for name, _ in own}  # ASGI header names are lowercase
                added = [header for header in self.raw_headers if header[0] not in present]
                message = {**message, "headers": own + added}
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ---- slow clients -------------------------------------------------------------------------


HEADER_TIMEOUT_VARIABLE: Final = "SITEGEN_HEADER_TIMEOUT"
BODY_TIMEOUT_VARIABLE: Final = "SITEGEN_BODY_TIMEOUT"
"""How uvicorn's worker processes, which build the protocol themselves, learn the deadlines."""

REQUEST_TIMEOUT_BODY: Final = json.dumps(
    {"type": "about:blank", "title": "Request timeout", "status": 408, "detail": "The request did not arrive in time."}
).encode()
REQUEST_TIMEOUT_HEADERS: Final = b"".join(
    f"{name}: {value}\r\n".encode("latin-1")
    for name, value in [
        ("Content-Type", "application/problem+json"),
        ("Content-Length", str(len(REQUEST_TIMEOUT_BODY))),
        ("Connection", "close"),
        *error_page_headers(()),
    ]
)
"""All but the date: a 408 (RFC 9110, section 15.5.9) in RFC 9457 problem details, with the collector's headers."""


_WAITING: weakref.WeakKeyDictionary[ServerState, dict[GuardedHttpProtocol, None]] = weakref.WeakKeyDictionary()
"""Per server, its connections waiting for a request, longest waiting first (a dict keeps insertion order)."""


class GuardedHttpProtocol(HttpToolsProtocol):
    """uvicorn's HTTP/1.1 protocol with deadlines for headers and body, and idle connections closed first at the cap.

    uvicorn has neither a header nor a body timeout (its keep-alive timer stops
    at the first byte, and a connection that sends nothing is kept forever),
    so a client can hold a socket by trickling bytes (slowloris, CVE-2007-6750).
    Here the request line and headers must arrive within the header deadline
    of the connection's start (or, kept alive, of the request's first byte),
    and the whole body within the body deadline of the headers: a deadline
    for all of it, not per chunk. One timer per request, re-armed: about 1 µs
    on uvloop, where `asyncio.timeout` around the app's body read costs 10.

    At `limit_concurrency` connections uvicorn answers every new request 503,
    which lets idle sockets starve real posts: instead each new connection
    past the cap closes the one that has waited longest without a request.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        defaults = Timeouts()
        self.header_timeout = float(os.environ.get(HEADER_TIMEOUT_VARIABLE, defaults.header_s))
        self.body_timeout = float(os.environ.get(BODY_TIMEOUT_VARIABLE, defaults.body_s))
        self.deadline: asyncio.TimerHandle | None = None
        self.waiting = _WAITING.setdefault(self.server_state, {})

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._close_longest_idle()
        self.waiting[self] = None
        self._set_deadline(self.header_timeout, self.transport.close)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.deadline is None:
            self._set_deadline(self.header_timeout, self.transport.close)

    def on_headers_complete(self) -> None:
        self.waiting.pop(self, None)
        super().on_headers_complete()
        self._set_deadline(self.body_timeout, self._answer_too_slow)

    def on_message_complete(self) -> None:
        self._set_deadline(None)
        super().on_message_complete()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.cycle.response_complete and not self.transport.is_closing():  # not with a pipelined request started
            self.waiting[self] = None

    def connection_lost(self, exc: Exception | None) -> None:
        self.waiting.pop(self, None)
        self._set_deadline(None)
        super().connection_lost(exc)

    def _set_deadline(self, seconds: float | None, action: Callable[[], object] = lambda: None) -> None:
        """Replace the current deadline with `action` in `seconds`, or with none."""
        if self.deadline is not None:
            self.deadline.cancel()
        self.deadline = None if seconds is None else self.loop.call_later(seconds, action)

    def _answer_too_slow(self) -> None:
        """408 if no answer has begun, then close: the app hears that the client left."""
        if self.cycle is not None and not self.cycle.response_started:
            date = b"".join(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers)
            status = b"HTTP/1.1 408 Request Timeout\r\n"
            self.transport.write(status + date + REQUEST_TIMEOUT_HEADERS + b"\r\n" + REQUEST_TIMEOUT_BODY)
        self.transport.close()

    def _close_longest_idle(self) -> None:
        """At the cap, close the connection that has waited longest for a request: O(1), the dict is in that order."""
        if self.limit_concurrency is None or len(self.connections) < self.limit_concurrency or not self.waiting:
            return
        longest_idle = next(iter(self.waiting))
        del self.waiting[longest_idle]
        # Out of the count at once: uvicorn drops it only when the loop next runs, after more accepts may have
        # come in, and until then it would count it against the cap (answering 503) and pick it again.
        self.connections.discard(longest_idle)
        longest_idle.transport.close()


RESERVED_DESCRIPTORS: Final = 64
"""File descriptors kept free of connections: the store, the logs, the listening sockets, pipes."""


def raise_file_limit() -> int:
    """Raise this process's soft limit of open files to the hard limit; the new soft limit.

    Each connection is a file descriptor; at the usual soft limit of 1,024 a
    few hundred idle sockets made accept() fail and every submission wait.
    Worker processes inherit the limit.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 1 << 20)
    if wanted > soft:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    return max(wanted, soft)


def connection_cap(max_connections: int, file_limit: int) -> int:
    """`max_connections`, or fewer when the open-file limit would run out first."""
    return max(1, min(max_connections, file_limit - RESERVED_DESCRIPTORS))
