"""Delivered role credentials: kept while fresh, replaced before they expire."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from iamd.imds.credentials import LIFETIME, REFRESH_BEFORE, Refused, RoleCredentials, RoleDelivery
from iamd.services import sessions
from iamd.services.service_sessions import RoleNotTrusted, ServiceRoleSession

START = datetime(2025, 3, 1, 12, tzinfo=UTC)


class FakeStarts:
    def __init__(self) -> None:
        self.now = START
        self.calls: list[tuple[str, int]] = []
        self.trusted = True

    def __call__(self, role_name: str, seconds: int) -> ServiceRoleSession:
        self.calls.append((role_name, seconds))
        if not self.trusted:
            raise RoleNotTrusted(f"not trusted: {role_name}")
        issued = int(self.now.timestamp())
        session = sessions.Session(
            kind="AssumedRole", account_id="111122223333", access_key_id=f"ASIA{len(self.calls):016d}",
            secret_access_key="s", issued_at=issued, expires_at=issued + seconds, role_name=role_name,
        )
        return ServiceRoleSession(role_arn=f"arn:aws:iam::111122223333:role/{role_name}",
                                  assumed_role_arn="", session=session, session_token="t")


def test_credentials_are_kept_then_refreshed_before_they_expire() -> None:
    starts = FakeStarts()
    delivery = RoleDelivery(starts)
    first = delivery.credentials("AROA1", "web", START)
    assert isinstance(first, RoleCredentials)
    assert starts.calls == [("web", int(LIFETIME.total_seconds()))]
    assert first.expiration == START + LIFETIME and first.last_updated == START
    almost = START + LIFETIME - REFRESH_BEFORE - timedelta(seconds=1)
    assert delivery.credentials("AROA1", "web", almost) == first
    starts.now = START + LIFETIME - REFRESH_BEFORE
    second = delivery.credentials("AROA1", "web", starts.now)
    assert isinstance(second, RoleCredentials)
    assert second.access_key_id != first.access_key_id
    # The new credentials outlive the old ones by the refresh window at least.
    assert second.expiration - first.expiration >= LIFETIME - REFRESH_BEFORE
    assert len(starts.calls) == 2


def test_another_role_gets_its_own_session() -> None:
    starts = FakeStarts()
    delivery = RoleDelivery(starts)
    web = delivery.credentials("AROA1", "web", START)
    other = delivery.credentials("AROA2", "web", START)  # deleted and made again: a new role
    assert isinstance(web, RoleCredentials) and isinstance(other, RoleCredentials)
    assert web.access_key_id != other.access_key_id


def test_a_refusal_is_a_value_and_is_not_kept() -> None:
    starts = FakeStarts()
    starts.trusted = False
    delivery = RoleDelivery(starts)
    refused = delivery.credentials("AROA1", "web", START)
    assert refused == Refused(role_name="web", reason="not trusted: web", last_updated=START)
    starts.trusted = True
    assert isinstance(delivery.credentials("AROA1", "web", START), RoleCredentials)


def test_refresh_window_must_be_shorter_than_the_lifetime() -> None:
    with pytest.raises(ValueError, match="refreshed before they expire"):
        RoleDelivery(FakeStarts(), lifetime=timedelta(minutes=30), refresh_before=timedelta(hours=1))
