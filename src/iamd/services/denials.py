"""AWS's AccessDenied message, built in one place.

Every denial names who asked, for which action, on which resource, and why:
``User: ARN is not authorized to perform: ACTION on resource: RESOURCE because ...``.
"""

from __future__ import annotations

from iamd.protocol.errors import AccessDenied


def not_authorized(principal: str, action: str, resource: str | None = None, reason: str = "") -> AccessDenied:
    """``AccessDenied`` with AWS's message; ``reason`` starts with ``because``/``with``."""
    message = f"User: {principal} is not authorized to perform: {action}"
    if resource is not None:
        message += f" on resource: {resource}"
    if reason:
        message += f" {reason}"
    return AccessDenied(message)
