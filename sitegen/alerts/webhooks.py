"""Webhooks out: a JSON POST signed as Standard Webhooks sign it (standardwebhooks.com), through httpx.

Headers `webhook-id` (the same on every retry of one event to one endpoint, so a receiver can drop repeats),
`webhook-timestamp` (Unix seconds of this try) and `webhook-signature` (`v1,<base64 HMAC-SHA256 of
"id.timestamp.body">`, keyed by the secret `secret_env` names: `whsec_` and base64, as the convention gives them).
"""

from __future__ import annotations

import binascii
import datetime as dt
import hashlib

import httpx
from standardwebhooks import Webhook as Signer

from sitegen.alerts.mail import DeliveryFailed

TIMEOUT_S = 10.0
"""Seconds a receiver has to answer; a slow one is tried again later, like one that failed."""


def signer(secret: str) -> Signer:
    """The signer of a secret; ValueError if it is not base64 (with or without `whsec_`)."""
    try:
        return Signer(secret)
    except (binascii.Error, ValueError) as error:
        raise ValueError("not a Standard Webhooks secret: whsec_ followed by base64") from error


def message_id(event_key: str, url: str) -> str:
    """One id per event and endpoint, stable across retries and restarts."""
    return "msg_" + hashlib.sha256(f"{event_key}\n{url}".encode()).hexdigest()[:32]


def post_webhook(client: httpx.Client, url: str, sign: Signer, msg_id: str, body: bytes, now: dt.datetime) -> None:
    """POST a signed body; DeliveryFailed unless the receiver answers 2xx."""
    moment = now.astimezone(dt.UTC).replace(microsecond=0)
    headers = {
        "content-type": "application/json",
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": sign.sign(msg_id, moment, body.decode("utf-8")),
    }
    try:
        answer = client.post(url, content=body, headers=headers, timeout=TIMEOUT_S)
    except httpx.HTTPError as error:
        raise DeliveryFailed(f"POST {url}: {error!r}") from error
    if not answer.is_success:
        raise DeliveryFailed(f"POST {url}: HTTP {answer.status_code}")
