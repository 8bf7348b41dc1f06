"""Sealed console sessions: they open only unaltered, and run out on time."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from iamd.console.sessions import (
    IDLE_TIMEOUT,
    MAX_AGE,
    PENDING_TIMEOUT,
    Pending,
    SessionCodec,
    cookie_header,
    new_session,
)
from iamd.services.crypto import SecretBox

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def signed_in(codec: SessionCodec) -> str:
    session = new_session(NOW, os.urandom)
    session.account_id, session.user_id, session.user_name = "111122223333", "AIDAEXAMPLE", "alice"
    return codec.seal(session)


def test_round_trip() -> None:
    codec = SessionCodec(SecretBox(os.urandom(32)))
    opened = codec.open(signed_in(codec), NOW + timedelta(minutes=5))
    assert opened is not None and opened.signed_in and opened.user_name == "alice"


def test_tampered_or_foreign_cookies_do_not_open() -> None:
    codec = SessionCodec(SecretBox(os.urandom(32)))
    sealed = signed_in(codec)
    flipped = sealed[:-3] + ("A" if sealed[-3] != "A" else "B") + sealed[-2:]
    assert codec.open(flipped, NOW) is None
    assert SessionCodec(SecretBox(os.urandom(32))).open(sealed, NOW) is None
    assert codec.open("not-a-session", NOW) is None
    assert codec.open(None, NOW) is None


def test_idle_and_absolute_expiry() -> None:
    codec = SessionCodec(SecretBox(os.urandom(32)))
    idle = codec.open(signed_in(codec), NOW + timedelta(seconds=IDLE_TIMEOUT + 1))
    assert idle is not None and not idle.signed_in and idle.expired
    session = new_session(NOW, os.urandom)
    session.account_id = "111122223333"
    session.seen = (NOW + timedelta(seconds=MAX_AGE)).timestamp()  # active, but too old
    old = codec.open(codec.seal(session), NOW + timedelta(seconds=MAX_AGE + 1))
    assert old is not None and not old.signed_in


def test_a_pending_sign_in_is_forgotten_after_its_timeout() -> None:
    codec = SessionCodec(SecretBox(os.urandom(32)))
    session = new_session(NOW, os.urandom)
    session.pending = Pending("111122223333", "alice", "pw", NOW.timestamp() + PENDING_TIMEOUT)
    sealed = codec.seal(session)
    assert codec.open(sealed, NOW + timedelta(seconds=10)).pending is not None  # type: ignore[union-attr]
    assert codec.open(sealed, NOW + timedelta(seconds=PENDING_TIMEOUT + 1)).pending is None  # type: ignore[union-attr]


def test_cookie_flags() -> None:
    assert cookie_header("v", secure=False) == "iamd-console=v; Path=/console; HttpOnly; SameSite=Strict"
    assert cookie_header("v", secure=True).endswith("; Secure")
