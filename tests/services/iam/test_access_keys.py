"""Recording the last use of access keys, at the service level, on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iamd.services.iam import access_keys
from iamd.services.iam.access_keys import LAST_USED_GRAIN, record_key_use
from iamd.store import AccessKeyRecord, Database

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
ACCOUNT = "111122223333"
KEY = "AKIAKEYUSETEST000001"


@pytest.fixture
def db(db: Database) -> Database:
    """The shared empty store, with this module's accounts."""
    with db.transaction() as unit:
        unit.accounts.add(ACCOUNT, None, NOW)
        unit.access_keys.add(AccessKeyRecord(KEY, ACCOUNT, None, b"\x01sealed", "Active", NOW))
    access_keys._recent = access_keys._RecentUses()  # each test starts with a cold memo
    return db


def last_use(db: Database) -> tuple[datetime | None, str | None, str | None]:
    with db.reading() as unit:
        record = unit.access_keys.get(KEY)
    assert record is not None
    return record.last_used_at, record.last_used_region, record.last_used_service


def test_records_the_first_use(db: Database) -> None:
    assert last_use(db) == (None, None, None)
    record_key_use(db, KEY, NOW, "eu-west-1", "iam")
    assert last_use(db) == (NOW, "eu-west-1", "iam")


def test_uses_within_the_grain_write_nothing(db: Database) -> None:
    version = db.state_version()
    record_key_use(db, KEY, NOW, "us-east-1", "sts")
    record_key_use(db, KEY, NOW + LAST_USED_GRAIN / 2, "us-east-1", "sts")
    assert last_use(db) == (NOW, "us-east-1", "sts")
    # Last-used data invalidates no cache: the state version does not move.
    assert db.state_version() == version


def test_a_later_use_or_another_region_or_service_is_recorded(db: Database) -> None:
    record_key_use(db, KEY, NOW, "us-east-1", "sts")
    later = NOW + LAST_USED_GRAIN + timedelta(seconds=1)
    record_key_use(db, KEY, later, "us-east-1", "sts")
    assert last_use(db) == (later, "us-east-1", "sts")
    record_key_use(db, KEY, later + timedelta(seconds=1), "eu-west-1", "sts")
    assert last_use(db) == (later + timedelta(seconds=1), "eu-west-1", "sts")
    record_key_use(db, KEY, later + timedelta(seconds=2), "eu-west-1", "iam")
    assert last_use(db) == (later + timedelta(seconds=2), "eu-west-1", "iam")


def test_another_process_memo_does_not_hide_a_use(db: Database) -> None:
    # A cold memo (another process) still skips the write when the row is fresh.
    record_key_use(db, KEY, NOW, "us-east-1", "sts")
    access_keys._recent = access_keys._RecentUses()
    record_key_use(db, KEY, NOW + timedelta(seconds=5), "us-east-1", "sts")
    assert last_use(db) == (NOW, "us-east-1", "sts")


def test_unknown_keys_are_ignored(db: Database) -> None:
    record_key_use(db, "ASIATEMPORARYKEY0001", NOW, "us-east-1", "sts")
    assert last_use(db) == (None, None, None)


def test_get_access_key_last_used_shows_the_recorded_use(db: Database) -> None:
    from iamd.services.caller import Caller
    from iamd.services.crypto import SecretBox
    from iamd.services.operations import OperationContext
    from iamd.services.runtime import Runtime

    context = OperationContext(
        caller=Caller(kind="Account", account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:root", user_id=ACCOUNT,
                      access_key_id=KEY),
        db=db, box=SecretBox(bytes(32)), runtime=Runtime(clock=lambda: NOW), request_id="test",
    )
    never = access_keys.get_access_key_last_used(context, {"AccessKeyId": KEY})
    assert never == {"AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}}
    record_key_use(db, KEY, NOW, "eu-central-1", "iam")
    used = access_keys.get_access_key_last_used(context, {"AccessKeyId": KEY})
    assert used == {"AccessKeyLastUsed": {"ServiceName": "iam", "Region": "eu-central-1", "LastUsedDate": NOW}}
