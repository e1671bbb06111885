"""An invitation's token: derived from the survey and the address with the site secret, kept only as a hash.

The token is 128 bits of HMAC-SHA256 under `SITEGEN_SECRET` of the survey id
and the invitee's address, in URL-safe base64 (22 characters). It is derived,
not drawn, so `sitegen invite --remind` can put the same link in a reminder
without the store keeping the token. The store keeps its `lookup`, a SHA-256 of
the token: 128 bits of secret-keyed output need no second key to be unguessable
(as staff session ids, `schema.staff_sessions`), so the collector checks a link
with no secret at all.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from sitegen.errors import SitegenError
from sitegen.incentive_codes import SECRET_VARIABLE, CodeKey

TOKEN_DOMAIN = b"sitegen invitation token\x00"
LOOKUP_DOMAIN = b"sitegen invitation lookup\x00"
TOKEN_BYTES = 16
TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{22}")
"""What a link's token looks like; anything else is refused before the store is asked."""


def token_lookup(token: str) -> str:
    """What the store keys an invitation by: a hash of its token, so a copy of the table opens no survey."""
    return hashlib.sha256(LOOKUP_DOMAIN + token.encode()).hexdigest()


def is_token_shaped(token: str) -> bool:
    """Whether `token` can be an invitation token at all."""
    return bool(TOKEN_SHAPE.fullmatch(token))


class InvitationSecretMissing(SitegenError):
    """`sitegen invite` needs SITEGEN_SECRET, the one the links are made with."""


@dataclass(frozen=True)
class InvitationKey:
    """The site secret, and the tokens made with it."""

    secret: bytes

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> InvitationKey:
        """The same secret the incentive codes use (SITEGEN_SECRET), under its own domain; checked as they check it."""
        key = CodeKey.from_environment(environ)
        if key is None:
            raise InvitationSecretMissing(
                f"{SECRET_VARIABLE} is not set: the invitation links are made with it; keep the same one for a"
                " survey's invitations and reminders (reminders make the links again with it)"
            )
        return cls(key.secret)

    def token(self, survey_id: str, email: str) -> str:
        """The token of `email`'s invitation to a survey: the same every time it is asked for."""
        message = TOKEN_DOMAIN + survey_id.encode() + b"\x00" + email.lower().encode()
        digest = hmac.digest(self.secret, message, hashlib.sha256)[:TOKEN_BYTES]
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")
