"""A store with two accounts, roles and instance profiles, and a clock the tests move (the
``world`` fixture, shared with tests/services/test_service_sessions.py)."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iamd.services import accounts
from iamd.services.crypto import SecretBox
from iamd.services.runtime import Runtime
from iamd.store import Database
from iamd.store.instance_profiles import InstanceProfileRecord
from iamd.store.roles import RoleRecord

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"
START = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


def trust(service: str, **extra: Any) -> str:
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole", **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@dataclass
class Clock:
    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@dataclass
class World:
    db: Database
    box: SecretBox
    runtime: Runtime
    clock: Clock
    counter: list[int] = field(default_factory=lambda: [0])

    def _id(self, prefix: str) -> str:
        self.counter[0] += 1
        return f"{prefix}{self.counter[0]:017d}"

    def role(self, name: str, trust_policy: str, account_id: str = ACCOUNT) -> RoleRecord:
        record = RoleRecord(
            id=self._id("AROA"), account_id=account_id, name=name, path="/", trust_policy=trust_policy,
            max_session_duration=3600, created_at=self.clock.now,
        )
        with self.db.transaction() as unit:
            unit.roles.add(record)
        return record

    def set_trust(self, role: RoleRecord, trust_policy: str) -> None:
        with self.db.transaction() as unit:
            unit.roles.update(role.id, trust_policy=trust_policy)

    def profile(self, name: str, role: RoleRecord | None = None, account_id: str = ACCOUNT) -> InstanceProfileRecord:
        record = InstanceProfileRecord(
            id=self._id("AIPA"), account_id=account_id, name=name, path="/", created_at=self.clock.now,
        )
        with self.db.transaction() as unit:
            unit.instance_profiles.add(record)
            if role is not None:
                unit.instance_profiles.add_role(record.id, role.id)
        return record

    def events(self, name: str = "AssumeRole") -> list[dict[str, Any]]:
        with self.db.reading() as unit:
            rows = unit.audit.export(None, None, after_sequence=0, limit=1000)
        return [json.loads(row.record) for row in rows if row.event_name == name]


@pytest.fixture
def world(db: Database) -> World:
    rng = random.Random(7)
    clock = Clock()
    runtime = Runtime(clock=clock, random_bytes=rng.randbytes)
    box = SecretBox(b"m" * 32, rng.randbytes)
    for account_id in (ACCOUNT, OTHER_ACCOUNT):
        accounts.create_account(db, box, runtime, account_id=account_id)
    return World(db=db, box=box, runtime=runtime, clock=clock)
