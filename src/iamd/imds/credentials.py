"""Delivering a role's credentials to a workload, fresh ones before the old expire.

EC2 "automatically rotates" instance role credentials and "makes new credentials
available at least five minutes before the expiration of the old credentials" (EC2 User
Guide, "Retrieve security credentials from instance metadata"); ECS does the same for
task roles. Here a delivered session lasts ``LIFETIME`` (six hours) and is replaced by a
new one as soon as less than ``REFRESH_BEFORE`` (one hour) of it is left, so a client
never receives credentials that expire before its own refresh window (botocore refreshes
up to 15 minutes ahead) and a long-running client keeps getting valid ones.

A refusal (the trust policy does not allow the service) is a value, not an exception;
it is not kept, so a corrected trust policy takes effect on the next request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from iamd.services.service_sessions import RoleNotTrusted, ServiceRoleSession

LIFETIME = timedelta(hours=6)
REFRESH_BEFORE = timedelta(hours=1)


@dataclass(frozen=True)
class RoleCredentials:
    """A role session as the workload receives it."""

    role_name: str
    role_arn: str
    access_key_id: str
    secret_access_key: str
    token: str
    expiration: datetime
    last_updated: datetime


@dataclass(frozen=True)
class Refused:
    """The service could not assume the role; ``reason`` says why."""

    role_name: str
    reason: str
    last_updated: datetime


# Starts a session of the role of that name for ``LIFETIME`` seconds.
StartSession = Callable[[str, int], ServiceRoleSession]


class RoleDelivery:
    """Keeps one workload's current role session, refreshed before it expires."""

    def __init__(self, start: StartSession, lifetime: timedelta = LIFETIME,
                 refresh_before: timedelta = REFRESH_BEFORE) -> None:
        if refresh_before >= lifetime:
            raise ValueError("credentials must be refreshed before they expire")
        self._start = start
        self.lifetime = lifetime
        self.refresh_before = refresh_before
        self._current: dict[str, RoleCredentials] = {}
        self._lock = threading.Lock()

    def credentials(self, role_key: str, role_name: str, now: datetime) -> RoleCredentials | Refused:
        """The credentials to hand out now for the role (``role_key`` tells one role from
        a later one of the same name). Raises ``NoSuchEntity`` when the role is gone."""
        with self._lock:
            current = self._current.get(role_key)
            if current is not None and current.expiration - now > self.refresh_before:
                return current
            try:
                issued = self._start(role_name, int(self.lifetime.total_seconds()))
            except RoleNotTrusted as refused:
                self._current.pop(role_key, None)
                return Refused(role_name=role_name, reason=refused.message, last_updated=now)
            fresh = RoleCredentials(
                role_name=role_name,
                role_arn=issued.role_arn,
                access_key_id=issued.access_key_id,
                secret_access_key=issued.secret_access_key,
                token=issued.session_token,
                expiration=issued.expiration,
                last_updated=issued.issued_at,
            )
            # Only the workload's current role is worth keeping.
            self._current = {role_key: fresh}
            return fresh
