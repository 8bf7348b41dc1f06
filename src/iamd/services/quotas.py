"""IAM quotas: AWS's defaults, each overridable in configuration.

Set ``IAMD_QUOTA_<NAME>`` (for example ``IAMD_QUOTA_USERS_PER_ACCOUNT=10``) to change one.
Exceeding a quota answers ``LimitExceeded`` (HTTP 409) as AWS does.

A quota is checked by counting, then inserting. Two transactions of different processes
(nodes on one PostgreSQL database) could both count room for one more and both insert, so
every count against a quota runs after taking the account's quota lock, which the
transaction holds until it ends: through ``quota_reached`` or ``hold_quotas`` here, or, for
the quotas of the write path's hottest calls (users per account, access keys per user,
policies per entity), inside the INSERT itself: the repository's ``add``/``attach`` with a
``limit`` takes the lock, counts and inserts in one statement, and raises ``QuotaReached``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace

from iamd.store import UnitOfWork


@dataclass(frozen=True)
class Quotas:
    users_per_account: int = 5000
    groups_per_account: int = 300
    roles_per_account: int = 1000
    policies_per_account: int = 1500
    instance_profiles_per_account: int = 1000
    server_certificates_per_account: int = 20
    groups_per_user: int = 10
    managed_policies_per_user: int = 10
    managed_policies_per_group: int = 10
    managed_policies_per_role: int = 10
    access_keys_per_user: int = 2
    versions_per_policy: int = 5
    ssh_public_keys_per_user: int = 5
    signing_certificates_per_user: int = 2
    service_specific_credentials_per_user_per_service: int = 2
    mfa_devices_per_user: int = 8
    roles_per_instance_profile: int = 1
    tags_per_entity: int = 50
    user_inline_policy_size: int = 2048
    group_inline_policy_size: int = 5120
    role_inline_policy_size: int = 10240
    managed_policy_size: int = 6144
    trust_policy_size: int = 2048
    account_aliases_per_account: int = 1

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Quotas:
        overrides: dict[str, int] = {}
        for field in fields(cls):
            raw = environ.get("IAMD_QUOTA_" + field.name.upper())
            if raw:
                value = int(raw)
                if value < 0:
                    raise ValueError(f"IAMD_QUOTA_{field.name.upper()} must not be negative")
                overrides[field.name] = value
        return replace(cls(), **overrides)


def hold_quotas(unit: UnitOfWork, account_id: str) -> None:
    """Take the account's quota lock: until ``unit`` ends, no other transaction counts
    against a quota of this account or of one of its entities."""
    unit.accounts.lock(account_id)


def quota_reached(unit: UnitOfWork, account_id: str, limit: int, used: Callable[[], int]) -> bool:
    """Whether ``used()`` (what the account, or one of its entities, holds of a quota) has
    reached ``limit``, counted under the account's quota lock."""
    hold_quotas(unit, account_id)
    return used() >= limit
