"""Who is calling: the authenticated principal behind a request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from iamd import policy

if TYPE_CHECKING:
    from iamd.services.sessions import Session


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated principal.

    ``kind`` is what ``aws:PrincipalType`` says: ``Account`` for the root user, ``User``
    for an IAM user, ``AssumedRole``, ``FederatedUser``.
    """

    kind: str
    account_id: str
    arn: str
    user_id: str  # GetCallerIdentity's UserId: the account id for root, AIDA... for users
    access_key_id: str
    partition: str = "aws"
    region: str = "us-east-1"
    user_name: str | None = None
    entity_id: str | None = None  # the users/roles row behind the caller, None for root
    session_token: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    mfa_authenticated: bool = False
    # Temporary credentials: the session their token describes.
    session: Session | None = None
    # What aws:PrincipalArn says: the role's ARN for a role session, else ``arn``.
    principal_arn: str | None = None

    @property
    def is_root(self) -> bool:
        return self.kind == "Account"


@dataclass(frozen=True)
class CallerPolicies:
    """A caller's compiled policies, cached until the stored state changes."""

    policies: policy.PolicySet
    principal_tags: dict[str, str]
    identity: tuple[policy.Policy, ...] = ()
    boundary: policy.Policy | None = None
    session: tuple[policy.Policy, ...] = ()
