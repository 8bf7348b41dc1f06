"""RFC 6238 time-based one-time passwords (TOTP): what a virtual MFA device computes.

Six digits from HMAC-SHA1 over 30-second time steps, as AWS's virtual MFA devices and
every authenticator app compute them (RFC 6238 over the HOTP of RFC 4226). The time is
always an argument: nothing here reads the clock. Verification raises ``InvalidCode`` and
says nothing of which check failed (wrong code, outside the window, or replayed).
"""

from __future__ import annotations

import base64
import hmac
from collections.abc import Callable
from datetime import datetime
from urllib.parse import quote

import pyotp

STEP_SECONDS = 30
DIGITS = 6
# AWS's Base32StringSeed is 64 base32 characters: 40 random bytes.
SEED_BYTES = 40


class InvalidCode(Exception):
    """The one-time code is not valid now (whatever the reason)."""


def new_seed(random_bytes: Callable[[int], bytes]) -> str:
    """A fresh shared secret, base32 without padding (RFC 4648), as AWS shows it."""
    return base64.b32encode(random_bytes(SEED_BYTES)).decode("ascii").rstrip("=")


def time_step(now: datetime) -> int:
    """RFC 6238's T: whole steps since the Unix epoch."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at(seed: str, step: int) -> str:
    """The code a device with this seed shows during time step ``step``."""
    return pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def _matching_steps(seed: str, code: str, steps: range) -> list[int]:
    # Compare against every candidate in constant time, so the time taken says nothing
    # about which step (if any) matched.
    found = []
    for step in steps:
        if hmac.compare_digest(code_at(seed, step).encode(), code.encode()):
            found.append(step)
    return found


def verify(seed: str, code: str, now: datetime, *, window: int = 1, after_step: int | None = None) -> int:
    """The time step of ``code`` within ``window`` steps of ``now``; raises ``InvalidCode``.

    A step at or before ``after_step`` (the last one accepted) is refused, so that a code
    is accepted once only.
    """
    current = time_step(now)
    for step in sorted(_matching_steps(seed, code, range(current - window, current + window + 1)), reverse=True):
        if after_step is None or step > after_step:
            return step
    raise InvalidCode("the one-time code is not valid")


def verify_pair(
    seed: str, first: str, second: str, now: datetime, *, window: int = 1, after_step: int | None = None
) -> int:
    """Check two consecutive codes (as EnableMFADevice and ResyncMFADevice take them).

    ``second`` must be within ``window`` steps of ``now`` and ``first`` the code of the
    step just before it. Returns the step of ``second``; raises ``InvalidCode``.
    """
    current = time_step(now)
    for step in sorted(_matching_steps(seed, second, range(current - window, current + window + 1)), reverse=True):
        if after_step is not None and step - 1 <= after_step:
            continue
        if _matching_steps(seed, first, range(step - 1, step)):
            return step
    raise InvalidCode("the one-time codes are not valid")


def provisioning_uri(seed: str, label: str, issuer: str | None = None) -> str:
    """The ``otpauth://totp/...`` URI an authenticator app reads from a QR code."""
    uri = f"otpauth://totp/{quote(label, safe='@:')}?secret={seed}"
    if issuer:
        uri += f"&issuer={quote(issuer, safe='')}"
    return uri
