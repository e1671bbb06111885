"""Incentive codes: the short one-time code a thank-you page shows, derived from the response id with the site secret.

A code is 10 characters of Crockford base32 (50 bits of HMAC-SHA256 of the
response id under `SITEGEN_SECRET`), shown as `K7QM4-XPAR2`. It is derived,
not drawn, so a retried post shows the same code and the code itself is never
kept. What the store keeps of it (`sitegen.store.codes`) is another HMAC of the
code, its `lookup`, and the stored response's key sealed (AES-GCM) under a key
that only the code and the secret together give: with the database and
without the secret nobody can make or check a code, and without the code
nobody, not even with the secret, can tell which answer a code belongs to.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from sitegen.errors import SitegenError
from sitegen.models.survey import Survey

SECRET_VARIABLE = "SITEGEN_SECRET"
MIN_SECRET_BYTES = 32
"""256 bits, as `python -c 'import secrets; print(secrets.token_urlsafe(32))'` gives (43 characters)."""
CODE_LENGTH = 10
"""50 bits: with the staff page's rate limit, guessing one of a million codes takes longer than any promotion runs."""
GROUP = 5
NONCE_BYTES = 12
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
"""Douglas Crockford's base32 alphabet: no I, L, O or U, so nothing reads as another symbol."""
FROM_RFC4648 = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", CROCKFORD)
TYPED_ALIKE = str.maketrans({"O": "0", "I": "1", "L": "1"})
"""What Crockford's decoding takes for what: a typed O is a zero, an I or L a one."""
SEPARATORS = re.compile(r"[\s\-]+")
CANONICAL = re.compile(f"[{CROCKFORD}]{{{CODE_LENGTH}}}")
CODE_DOMAIN = b"sitegen incentive code\x00"
LOOKUP_DOMAIN = b"sitegen incentive lookup\x00"
SEAL_DOMAIN = b"sitegen incentive seal\x00"


class CodeSecretMissing(SitegenError):
    """A survey shows an incentive code, and SITEGEN_SECRET is not set (or too short) to make it with."""


@dataclass(frozen=True)
class IssuedCode:
    """What the store keeps of a code shown: its lookup, whose it is (for who may check it), the sealed answer key."""

    lookup: str
    survey_id: str
    location: str | None
    sealed: bytes


@dataclass(frozen=True)
class CodeKey:
    """The site secret, and the codes, lookups and seals made with it."""

    secret: bytes

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] = os.environ) -> CodeKey | None:
        """The key from SITEGEN_SECRET; None if it is unset; CodeSecretMissing if it is too short to trust."""
        value = environ.get(SECRET_VARIABLE, "")
        if not value:
            return None
        secret = value.encode()
        if len(secret) < MIN_SECRET_BYTES:
            raise CodeSecretMissing(
                f"{SECRET_VARIABLE} has {len(secret)} bytes; it needs at least {MIN_SECRET_BYTES}: make one with "
                "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
            )
        return cls(secret)

    def code(self, response_id: str) -> str:
        """The code shown for a response, grouped for reading aloud (`K7QM4-XPAR2`)."""
        return grouped(self._canonical(response_id))

    def lookup(self, canonical: str) -> str:
        """What the store keys a code by: an HMAC of it, so a copy of the table gives no code."""
        return hmac.digest(self.secret, LOOKUP_DOMAIN + canonical.encode(), hashlib.sha256).hex()

    def issued(self, response_id: str, stored_key: str, survey_id: str, location: str | None) -> IssuedCode:
        """The row to keep for the code of a response stored under `stored_key` (an anonymous one's hashed key)."""
        canonical = self._canonical(response_id)
        nonce = os.urandom(NONCE_BYTES)
        sealed = nonce + self._aead(canonical).encrypt(nonce, stored_key.encode(), self.lookup(canonical).encode())
        return IssuedCode(self.lookup(canonical), survey_id, location, sealed)

    def unsealed(self, canonical: str, sealed: bytes) -> str | None:
        """The stored response's key from a row's seal, with the code it was sealed for; None if it does not open."""
        nonce, ciphertext = sealed[:NONCE_BYTES], sealed[NONCE_BYTES:]
        try:
            return self._aead(canonical).decrypt(nonce, ciphertext, self.lookup(canonical).encode()).decode()
        except InvalidTag:
            return None

    def _canonical(self, response_id: str) -> str:
        digest = hmac.digest(self.secret, CODE_DOMAIN + response_id.encode(), hashlib.sha256)
        return base64.b32encode(digest).decode().translate(FROM_RFC4648)[:CODE_LENGTH]

    def _aead(self, canonical: str) -> AESGCM:
        return AESGCM(hmac.digest(self.secret, SEAL_DOMAIN + canonical.encode(), hashlib.sha256))


def grouped(canonical: str) -> str:
    """A code as shown and read aloud: two groups of five."""
    return f"{canonical[:GROUP]}-{canonical[GROUP:]}"


def canonical_code(typed: str) -> str | None:
    """A code as typed (any case, spaces or dashes, O for 0, I or L for 1) in its one spelling; None if none."""
    canonical = SEPARATORS.sub("", typed.strip().upper()).translate(TYPED_ALIKE)
    return canonical if CANONICAL.fullmatch(canonical) else None


def required_key(surveys: Iterable[Survey], environ: Mapping[str, str] = os.environ) -> CodeKey | None:
    """The key the collector makes codes with; CodeSecretMissing if a survey has an incentive and there is none."""
    key = CodeKey.from_environment(environ)
    with_incentive = [survey.id for survey in surveys if survey.incentive]
    if key is None and with_incentive:
        raise CodeSecretMissing(
            f"the survey(s) {', '.join(with_incentive)} show an incentive code, which is made with the site secret: "
            f"set {SECRET_VARIABLE} (at least {MIN_SECRET_BYTES} bytes, e.g. from "
            "python -c 'import secrets; print(secrets.token_urlsafe(32))') in the collector's environment"
        )
    return key


def secret_key(environ: Mapping[str, str] = os.environ) -> CodeKey:
    """The key for a command that reads codes (`responses erase`); CodeSecretMissing if SITEGEN_SECRET is not set."""
    key = CodeKey.from_environment(environ)
    if key is None:
        raise CodeSecretMissing(f"{SECRET_VARIABLE} is not set: codes are read with the secret they were made with")
    return key
