"""Brute-force protection of console passwords: consecutive failures lock a login profile.

``LOCKOUT_THRESHOLD`` consecutive failures lock the profile for ``LOCKOUT_BASE``; each
further failure after a lock ends doubles the next lock, up to ``LOCKOUT_MAX``. The
counters live in the login profile, so every iamd process sharing the database sees them.
Sign-in and ChangePassword (a wrong current password is as good a guessing oracle as the
sign-in page) share these rules.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from iamd.services.passwords import burn_verification
from iamd.services.runtime import Runtime
from iamd.store import Database
from iamd.store.passwords import LoginProfileRecord

LOCKOUT_THRESHOLD = 5
LOCKOUT_BASE = timedelta(minutes=15)
LOCKOUT_MAX = timedelta(hours=24)


def lockout_duration(failed_attempts: int) -> timedelta | None:
    """How long the ``failed_attempts``-th consecutive failure locks the profile."""
    if failed_attempts < LOCKOUT_THRESHOLD:
        return None
    doublings = min(failed_attempts - LOCKOUT_THRESHOLD, 16)
    return min(LOCKOUT_BASE * (1 << doublings), LOCKOUT_MAX)


def locked(profile: LoginProfileRecord, now: datetime) -> bool:
    return profile.locked_until is not None and now < profile.locked_until


def burn(password: str) -> None:
    burn_verification(password)


def record_failure(db: Database, runtime: Runtime, profile_id: str) -> None:
    """Count a failed attempt, and lock the profile when the series is long enough."""
    now = runtime.now()
    with db.transaction() as unit:
        current = unit.passwords.get_profile(profile_id, for_update=True)
        if current is None or locked(current, now):
            return  # attempts during a lock neither count nor extend it
        attempts = current.failed_attempts + 1
        duration = lockout_duration(attempts)
        # Lockout counters are cached nowhere, so this write leaves other caches alone.
        unit.passwords.record_failure(profile_id, attempts, now + duration if duration else None)
