"""Real receivers for alerts on loopback: an SMTP server (aiosmtpd) and an HTTP endpoint that checks signatures."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

KEY = b"sitegen-alerts-test-key-32-bytes"
SECRET = "whsec_" + base64.b64encode(KEY).decode()
SECRET_VARIABLE = "SITEGEN_TEST_WEBHOOK_SECRET"


@dataclass
class Inbox:
    """What the SMTP server on loopback was given."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.messages.append(cast(EmailMessage, message_from_bytes(envelope.content or b"", policy=policy.default)))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted for delivery"

    def wait_for(self, count: int, timeout_s: float = 10.0) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout_s
        while len(self.messages) < count:
            assert time.monotonic() < deadline, f"{len(self.messages)} of {count} e-mails came"
            time.sleep(0.02)
        return self.messages


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp_inbox() -> Iterator[Inbox]:
    """An SMTP server on 127.0.0.1 (no TLS, no login) that keeps every message it is given."""
    inbox = Inbox(free_port())
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    yield inbox
    controller.stop()


@dataclass
class Receiver:
    """A webhook endpoint: verifies Standard Webhooks signatures (with hmac, not sitegen's library), fails the
    first `fail_first` signed posts with 503, and keeps the ones it accepted."""

    url: str = ""
    fail_first: int = 0
    attempts: list[dict[str, str]] = field(default_factory=list)
    accepted: list[dict[str, Any]] = field(default_factory=list)
    refused_signatures: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    hold_first: bool = False
    """Keep the first post waiting until `release` is set, then answer it 503 (a sender can be killed meanwhile)."""
    arrived: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)

    def answer(self, headers: dict[str, str], body: bytes) -> int:
        msg_id, stamp, signature = (
            headers.get(name, "") for name in ("webhook-id", "webhook-timestamp", "webhook-signature")
        )
        expected = base64.b64encode(hmac.new(KEY, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
        signatures = [part.split(",", 1)[1].encode() for part in signature.split() if part.startswith("v1,")]
        is_fresh = stamp.isdigit() and abs(time.time() - int(stamp)) < 300
        with self.lock:
            if not is_fresh or not any(hmac.compare_digest(expected, given) for given in signatures):
                self.refused_signatures += 1
                return 401
            self.attempts.append(headers)
            if len(self.attempts) <= self.fail_first:
                return 503
            self.accepted.append({"headers": headers, "body": json.loads(body)})
            return 200


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A webhook receiver on 127.0.0.1 (http.server in a thread)."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            if state.hold_first and not state.arrived.is_set():
                state.arrived.set()
                state.release.wait(30)
                status = 503
            else:
                status = state.answer({key.lower(): value for key, value in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/sitegen"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()
    thread.join()


def configure_alerts(project: Path, alerts_yaml: str) -> Path:
    """Add an `alerts:` section (and the collector's address the links use) to the project's sitegen.yaml."""
    config = project / "sitegen.yaml"
    config.write_text(
        config.read_text(encoding="utf-8") + "collector_url: https://collect.saulite.example\n" + alerts_yaml,
        encoding="utf-8",
    )
    return project
