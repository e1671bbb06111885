"""The collector's guards on their own: who counts as one client, how much the limiter keeps, which headers go out.

The guards that live in uvicorn's protocol (header and body deadlines, the
connection cap) are tested on a real `sitegen collect` in test_collector_process.py.
"""

from __future__ import annotations

import ipaddress
import re
import resource
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import report_problems
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from sitegen.collector.app import create_app
from sitegen.collector.guards import (
    SECURITY_HEADERS,
    RateLimiter,
    SecurityHeaders,
    client_network,
    connection_cap,
    raise_file_limit,
)


@pytest.mark.parametrize(
    ("address", "client"),
    [
        ("192.0.2.7", "192.0.2.7"),
        ("2001:db8:1:2::1", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("::ffff:192.0.2.7", "192.0.2.7"),  # IPv4-mapped: a dual-stack socket's view of an IPv4 client
        ("fe80::1%eth0", "fe80::/64"),
        ("testclient", "testclient"),  # not an address: its own client
    ],
)
def test_a_client_is_an_ipv4_address_or_an_ipv6_slash_64(address: str, client: str) -> None:
    assert client_network(address) == client


@pytest.mark.parametrize(
    ("first", "second", "is_one_client"),
    [
        ("2001:db8::1", "2001:db8::2", True),
        ("2001:db8::1", "2001:db8::ffff:ffff:ffff:ffff", True),  # a fresh address from the same /64
        ("2001:db8::1", "2001:db8:0:1::1", False),  # the next /64: another subscriber
        ("::ffff:198.51.100.1", "198.51.100.1", True),
        ("198.51.100.1", "198.51.100.2", False),
        ("198.51.100.1", "::ffff:198.51.100.2", False),
    ],
)
def test_addresses_of_one_client_share_one_bucket(first: str, second: str, is_one_client: bool) -> None:
    limiter = RateLimiter(per_hour=1, burst=1)
    assert limiter.check(first) == 0
    assert (limiter.check(second) > 0) is is_one_client


def test_a_hundred_thousand_clients_keep_the_limiter_within_its_cap() -> None:
    cap = 10_000
    limiter = RateLimiter(per_hour=60, burst=5, max_clients=cap)
    first = int(ipaddress.IPv4Address("10.0.0.0"))
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    for number in range(100_000):
        limiter.check(str(ipaddress.IPv4Address(first + number)))
    kept = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    assert limiter.client_count == cap
    assert kept < cap * 250, f"{kept / cap:.0f} B per client"


def test_past_the_cap_the_least_recently_seen_client_is_dropped_first() -> None:
    limiter = RateLimiter(per_hour=1, burst=1, max_clients=3)
    for address in ("192.0.2.1", "192.0.2.2", "192.0.2.3"):
        limiter.check(address)
    assert limiter.check("192.0.2.1") > 0  # seen again: now the most recent
    limiter.check("192.0.2.4")  # past the cap: 192.0.2.2 goes
    assert limiter.check("192.0.2.1") > 0 and limiter.check("192.0.2.3") > 0
    assert limiter.check("192.0.2.2") == 0  # forgotten: a fresh bucket


@pytest.mark.parametrize(
    ("max_connections", "file_limit", "cap"),
    [(4096, 20_000, 4096), (4096, 1024, 960), (4096, 10, 1)],
)
def test_the_connection_cap_leaves_file_descriptors_for_the_store_and_logs(
    max_connections: int, file_limit: int, cap: int
) -> None:
    assert connection_cap(max_connections, file_limit) == cap


def test_the_open_file_limit_is_raised_to_the_hard_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(256, hard), hard))
    try:
        raised = raise_file_limit()
        assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] == raised >= min(hard, 1 << 20)
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


NOT_A_NETWORK = "value is not a valid IPv4 or IPv6 network"


@pytest.mark.parametrize(
    ("proxies", "problems"),
    [
        ("[127.0.0.1, '::1', 10.0.0.0/8, 'fd00::/8']", []),
        ("[proxy.internal]", [f"sitegen.yaml:6:31: collector.trusted_proxies[0]: {NOT_A_NETWORK}"]),
        ("[10.0.0.1/8]", [f"sitegen.yaml:6:31: collector.trusted_proxies[0]: {NOT_A_NETWORK}"]),  # host bits: a typo
    ],
)
def test_trusted_proxies_are_addresses_or_networks(minimal_project: Path, proxies: str, problems: list[str]) -> None:
    config = minimal_project / "sitegen.yaml"
    config.write_text(config.read_text(encoding="utf-8") + f"collector: {{trusted_proxies: {proxies}}}\n")
    assert report_problems(minimal_project) == problems


# ---- headers on every answer --------------------------------------------------------------

FORM = {"content-type": "application/x-www-form-urlencoded"}
ANSWERS: list[tuple[str, str, dict[str, str], str, int]] = [
    ("GET", "/healthz", {}, "", 200),
    ("GET", "/", {}, "", 404),
    ("GET", "/s/no-such-survey", {}, "", 404),
    ("GET", "/s/after-visit", {}, "", 405),
    ("POST", "/s/after-visit", FORM, "recommend=9&rid=headers-0001-abc", 303),
    ("POST", "/s/after-visit", {"content-type": "application/json"}, '{"answers": {"recommend": 9}}', 201),
    ("POST", "/s/after-visit", FORM, "recommend=11", 422),
    ("POST", "/s/after-visit", {"content-type": "text/plain"}, "recommend=9", 415),
    ("POST", "/s/after-visit", {**FORM, "origin": "https://evil.example"}, "recommend=9", 403),
    ("POST", "/s/after-visit", FORM, "recommend=9", 429),  # the third post: over the burst of 2
]


@pytest.fixture
def collector_client(minimal_project: Path, store_url: str) -> Iterator[TestClient]:
    app = create_app(minimal_project, store_url, limiter=RateLimiter(per_hour=1, burst=2))
    with TestClient(app, follow_redirects=False) as client:
        yield client


@pytest.mark.parametrize(("method", "path", "headers", "body", "status"), ANSWERS)
def test_every_answer_carries_the_security_headers(
    collector_client: TestClient, method: str, path: str, headers: dict[str, str], body: str, status: int
) -> None:
    if status == 429:
        for _ in range(2):
            collector_client.post(path, content=body, headers=headers)
    answer = collector_client.request(method, path, content=body or None, headers=headers)
    assert answer.status_code == status
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] in ("same-origin", "no-referrer")
    policy = answer.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "default-src 'none'" in policy


async def crash(request: Request) -> Response:
    raise RuntimeError("a bug")


async def own_policy(request: Request) -> Response:
    return Response("framed on purpose", headers={"content-security-policy": "frame-ancestors https://a.example"})


@pytest.mark.parametrize(
    ("path", "status", "policy"),
    [
        ("/crash", 500, "frame-ancestors 'none'"),  # Starlette's own error answer, outside the routes
        ("/own-policy", 200, "frame-ancestors https://a.example"),  # a header the app set is left alone
    ],
)
def test_the_headers_reach_error_answers_and_never_override_the_apps_own(path: str, status: int, policy: str) -> None:
    routes = [Route("/crash", crash), Route("/own-policy", own_policy)]
    app = SecurityHeaders(Starlette(routes=routes))
    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get(path)
    assert answer.status_code == status
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers.get_list("content-security-policy") == [policy]


def test_the_shared_header_set_forbids_framing_and_sniffing() -> None:
    headers = dict(SECURITY_HEADERS)
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]


@pytest.mark.parametrize("collector_url", [None, "https://forms.saulite.example"])
def test_the_policy_lets_an_error_page_load_the_stylesheet_it_links(
    minimal_project: Path, tmp_path: Path, collector_url: str | None
) -> None:
    config = minimal_project / "sitegen.yaml"
    if collector_url:
        config.write_text(config.read_text(encoding="utf-8") + f"collector_url: {collector_url}\n")
    app = create_app(minimal_project, f"sqlite:///{tmp_path / 'responses.sqlite3'}")
    with TestClient(app) as client:
        page = client.get("/s/no-such-survey", headers={"accept": "text/html"})
    [stylesheet] = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page.text)
    style_sources = re.search(r"style-src ([^;]+)", page.headers["content-security-policy"])
    assert style_sources is not None
    parts = urlsplit(stylesheet)
    allowed = style_sources.group(1).split()
    assert (f"{parts.scheme}://{parts.netloc}" in allowed) if parts.netloc else ("'self'" in allowed)
    assert "<script" not in page.text and "<img" not in page.text  # nothing else the policy would block


@settings(max_examples=200)
@given(network=st.integers(0, 2**64 - 1), first=st.integers(0, 2**64 - 1), second=st.integers(0, 2**64 - 1))
def test_any_two_addresses_of_one_ipv6_slash_64_are_one_client(network: int, first: int, second: int) -> None:
    addresses = [ipaddress.IPv6Address(network << 64 | host) for host in (first, second)]
    assume(all(address.ipv4_mapped is None for address in addresses))
    assert client_network(str(addresses[0])) == client_network(str(addresses[1]))
    assert client_network(str(addresses[0])) != client_network(str(ipaddress.IPv6Address((network ^ 1) << 64 | first)))


@given(address=st.ip_addresses(v=4))
def test_an_ipv4_address_is_the_same_client_seen_as_ipv4_mapped_ipv6(address: ipaddress.IPv4Address) -> None:
    assert client_network(f"::ffff:{address}") == client_network(str(address)) == str(address)
