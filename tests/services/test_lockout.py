"""The lockout series of console passwords."""

from __future__ import annotations

from datetime import timedelta

from iamd.services import lockout


def test_lockout_durations() -> None:
    assert lockout.lockout_duration(4) is None
    assert lockout.lockout_duration(5) == timedelta(minutes=15)
    assert lockout.lockout_duration(7) == timedelta(minutes=60)
    assert lockout.lockout_duration(500) == timedelta(hours=24)
