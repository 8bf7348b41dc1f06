"""Security keys and WebAuthn challenges in the store: a challenge answers once and not
after it expires; a signature counter moves only from the value last seen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iamd.store import Database, UserRecord
from iamd.store.mfa import ChallengeRecord, MfaDeviceRecord, SecurityKeyRecord

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ACCOUNT = "111122223333"
SERIAL = f"arn:aws:iam::{ACCOUNT}:u2f/user/alice/key-ABCDEFGHIJKLMNOPQRSTUVWXYZ"


@pytest.fixture
def store(db: Database) -> Database:
    with db.transaction() as unit:
        unit.accounts.add(ACCOUNT, None, NOW)
        unit.users.add(UserRecord(id="AIDAALICE", account_id=ACCOUNT, name="alice", path="/", created_at=NOW))
    return db


def _challenge(handle: str, expires: datetime) -> ChallengeRecord:
    return ChallengeRecord(handle=handle, challenge=b"c" * 32, purpose="authenticate", account_id=ACCOUNT,
                           user_id="AIDAALICE", expires_at=expires)


def test_a_challenge_answers_once(store: Database) -> None:
    with store.transaction() as unit:
        unit.mfa.add_challenge(_challenge("one", NOW + timedelta(minutes=5)))
    with store.transaction() as unit:
        assert unit.mfa.take_challenge("one", "register", NOW) is None  # another purpose
        taken = unit.mfa.take_challenge("one", "authenticate", NOW)
        assert taken is not None and taken.challenge == b"c" * 32
    with store.transaction() as unit:
        assert unit.mfa.take_challenge("one", "authenticate", NOW) is None


def test_an_expired_challenge_answers_never(store: Database) -> None:
    with store.transaction() as unit:
        unit.mfa.add_challenge(_challenge("late", NOW + timedelta(minutes=5)))
    with store.transaction() as unit:
        assert unit.mfa.take_challenge("late", "authenticate", NOW + timedelta(minutes=6)) is None


def test_the_signature_counter_moves_from_the_value_seen(store: Database) -> None:
    with store.transaction() as unit:
        unit.mfa.add(MfaDeviceRecord(serial_number=SERIAL, account_id=ACCOUNT, name="key", path="/user/alice/",
                                     kind="u2f", seed_sealed=None, created_at=NOW, user_id="AIDAALICE",
                                     enabled_at=NOW))
        unit.mfa.add_security_key(SecurityKeyRecord(SERIAL, "Y3JlZA", b"cose", 3, "localhost"))
    with store.transaction() as unit:
        assert unit.mfa.set_sign_count(SERIAL, 3, 4)
        assert not unit.mfa.set_sign_count(SERIAL, 3, 5)  # someone else moved it first
        key = unit.mfa.security_key(SERIAL)
        assert key is not None and key.sign_count == 4
        unit.mfa.delete(SERIAL)
        assert unit.mfa.security_key(SERIAL) is None
