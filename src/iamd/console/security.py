"""What every console answer carries, and the CSRF check every form submission passes."""

from __future__ import annotations

import hmac

from iamd.console._http import Request
from iamd.console.sessions import Session

CSRF_FIELD = "csrf"

# No inline script or style anywhere: the pages use plain forms, one stylesheet, and one
# script file of the console's own for the WebAuthn ceremonies of security keys.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)

HEADERS = [
    ("content-security-policy", CONTENT_SECURITY_POLICY),
    ("x-frame-options", "DENY"),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("cache-control", "no-store"),
    ("cross-origin-opener-policy", "same-origin"),
]


def csrf_ok(request: Request, session: Session) -> bool:
    """A state-changing request must carry the session's token in its form, and, when the
    browser says where it comes from, come from this origin."""
    origin = request.headers.get("origin")
    if origin is not None and origin != "null":
        host = request.headers.get("host", "")
        if origin.split("://", 1)[-1] != host:
            return False
    given = request.field(CSRF_FIELD)
    return bool(given) and hmac.compare_digest(given.encode(), session.csrf.encode())
