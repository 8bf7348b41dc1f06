"""Console sessions: a sealed cookie, no server-side state.

The session is JSON sealed with the master key's ``console-session`` subkey (AES-GCM), so
the browser can neither read nor alter it, and every iamd process sharing the store
accepts it. A signed-in session ends ``MAX_AGE`` after sign-in, or ``IDLE_TIMEOUT`` after
its last request; each answer re-seals it with the time of that request. A sign-in
waiting for its MFA code or its new password keeps the password it was given, sealed,
for at most ``PENDING_TIMEOUT``.

Sign-out replaces the cookie; a copy of the old cookie taken before then stays valid until
its own expiry, the price of keeping no server-side state.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from iamd.services.crypto import SealError, SecretBox

COOKIE = "iamd-console"
PURPOSE = "console-session"
MAX_AGE = 12 * 3600
IDLE_TIMEOUT = 3600
PENDING_TIMEOUT = 300


@dataclass
class Pending:
    """A sign-in that checked the password and waits for an MFA code or a new password."""

    account: str
    user_name: str | None
    password: str
    until: float
    mfa_verified: bool = False
    needs: str = "mfa"  # "mfa" or "password"
    reason: str | None = None
    account_id: str | None = None
    challenge: str | None = None  # the handle of the WebAuthn challenge of a security key


@dataclass
class Session:
    csrf: str
    issued: float
    seen: float
    account_id: str | None = None
    user_id: str | None = None  # None with an account_id: the root user
    user_name: str | None = None
    mfa: bool = False
    pending: Pending | None = None
    flash: str | None = None
    expired: bool = False  # the session this one replaces ran out (shown once)
    role: dict[str, str] | None = None
    recent_roles: list[dict[str, str]] = field(default_factory=list)

    @property
    def signed_in(self) -> bool:
        return self.account_id is not None

    @property
    def is_root(self) -> bool:
        return self.signed_in and self.user_id is None


def new_session(now: datetime, random_bytes: Callable[[int], bytes]) -> Session:
    stamp = now.timestamp()
    return Session(csrf=base64.urlsafe_b64encode(random_bytes(24)).decode().rstrip("="), issued=stamp, seen=stamp)


class SessionCodec:
    def __init__(self, box: SecretBox) -> None:
        self._box = box

    def seal(self, session: Session) -> str:
        data = asdict(session)
        data.pop("expired", None)
        sealed = self._box.seal(PURPOSE, json.dumps(data, separators=(",", ":")).encode())
        return base64.urlsafe_b64encode(sealed).decode().rstrip("=")

    def open(self, text: str | None, now: datetime) -> Session | None:
        """The session a cookie holds, or None when it is missing, forged or expired.
        A signed-in session that ran out comes back signed out, marked ``expired``."""
        if not text:
            return None
        try:
            raw = self._box.open(PURPOSE, base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            data: dict[str, Any] = json.loads(raw)
            pending = data.pop("pending", None)
            session = Session(**data, pending=Pending(**pending) if pending else None)
        except (SealError, ValueError, TypeError):
            return None
        stamp = now.timestamp()
        if session.pending is not None and stamp > session.pending.until:
            session.pending = None
        if session.signed_in and (stamp - session.issued > MAX_AGE or stamp - session.seen > IDLE_TIMEOUT):
            return Session(csrf=session.csrf, issued=stamp, seen=stamp, expired=True)
        return session


def cookie_header(value: str, *, secure: bool) -> str:
    parts = [f"{COOKIE}={value}", "Path=/console", "HttpOnly", "SameSite=Strict"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)
