"""IMDSv2 session tokens.

EC2's rules (User Guide, "How Instance Metadata Service Version 2 works"): a token is
asked for with ``PUT /latest/api/token`` and the ``X-aws-ec2-metadata-token-ttl-seconds``
header, whose value is a whole number of seconds from 1 to 21,600 (six hours); without
it, or with a value out of range, the answer is ``400``. The token is then sent in the
``X-aws-ec2-metadata-token`` header of every GET; one that is not valid, or has expired,
is answered ``401``. A token works only on the instance it was issued by.

Here a token is stateless: its expiry and a nonce, authenticated with HMAC-SHA256 under a
key drawn when the endpoint starts, so it is bound to that endpoint (and to its
instance id) and is worthless anywhere else.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from datetime import datetime

TTL_HEADER = "x-aws-ec2-metadata-token-ttl-seconds"
TOKEN_HEADER = "x-aws-ec2-metadata-token"
MIN_TTL_SECONDS = 1
MAX_TTL_SECONDS = 21600

_VERSION = b"\x01"
_MAC_BYTES = 32


class InvalidTtl(Exception):
    """The TTL header is missing or is not a whole number from 1 to 21,600."""


class InvalidMetadataToken(Exception):
    """The token was not issued by this endpoint, was tampered with, or has expired."""


def parse_ttl(value: str | None) -> int:
    """The TTL asked for; raises ``InvalidTtl`` when EC2 would answer 400."""
    if value is None or not value.strip().isdigit():
        raise InvalidTtl("missing or not a number")
    seconds = int(value.strip())
    if not MIN_TTL_SECONDS <= seconds <= MAX_TTL_SECONDS:
        raise InvalidTtl("out of range")
    return seconds


class TokenIssuer:
    """Issues and checks the session tokens of one metadata endpoint."""

    def __init__(self, instance_id: str, random_bytes: Callable[[int], bytes]) -> None:
        self._key = random_bytes(32)
        self._instance_id = instance_id.encode()
        self._random_bytes = random_bytes

    def _mac(self, body: bytes) -> bytes:
        return hmac.new(self._key, self._instance_id + body, hashlib.sha256).digest()

    def issue(self, ttl_seconds: int, now: datetime) -> str:
        expires = int(now.timestamp()) + ttl_seconds
        body = _VERSION + expires.to_bytes(8, "big") + self._random_bytes(16)
        return base64.b64encode(body + self._mac(body)).decode()

    def verify(self, token: str, now: datetime) -> int:
        """The seconds the token has left; raises ``InvalidMetadataToken``."""
        try:
            raw = base64.b64decode(token.encode("ascii"), validate=True)
        except (binascii.Error, UnicodeEncodeError, ValueError):
            raise InvalidMetadataToken from None
        body, mac = raw[:-_MAC_BYTES], raw[-_MAC_BYTES:]
        if len(body) != 25 or not hmac.compare_digest(mac, self._mac(body)) or body[:1] != _VERSION:
            raise InvalidMetadataToken
        remaining = int.from_bytes(body[1:9], "big") - int(now.timestamp())
        if remaining <= 0:
            raise InvalidMetadataToken
        return remaining
