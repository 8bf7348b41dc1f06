"""Who made the request, and whether a policy's ``Principal``/``NotPrincipal`` names them.

Request principals are given as strings: an IAM user, role or root ARN
(``arn:aws:iam::111122223333:user/alice``), a role session
(``arn:aws:sts::111122223333:assumed-role/Role/session``), a federated user
(``arn:aws:sts::111122223333:federated-user/bob``), a service principal
(``s3.amazonaws.com``), a web identity or SAML provider, a canonical user id, or
``"anonymous"``.

Matching follows the IAM User Guide ("AWS JSON policy elements: Principal"):

* ``"*"`` and ``{"AWS": "*"}`` name everyone, anonymous callers included;
* an account id or ``arn:...:iam::ACCOUNT:root`` names the account: it matches every
  principal of the account, but grants nothing on its own in a resource-based policy
  (it delegates to the account's identity-based policies);
* a user, role session or federated-user ARN names exactly that principal;
* a role ARN names the role and every session of the role (matched by account and role
  name, since a session ARN carries no path);
* ``Service``, ``Federated`` and ``CanonicalUser`` values name exactly those principals.

In ``NotPrincipal`` an account names only the account principal (:meth:`PrincipalSpec.exempts`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from .arn import PARTITIONS, try_parse_arn

# How a matched Principal element names the caller; the evaluation logic treats them
# differently (see evaluation.py).
ANY = "any"  # "*"
ACCOUNT = "account"  # an account id or root ARN (other than the root user itself)
ROLE = "role"  # a role ARN matching the role or one of its sessions
EXACT = "exact"  # the exact user, session, root, service, federated or canonical id

_ACCOUNT_ID = re.compile(r"\d{12}")
_UNIQUE_ID = re.compile(r"A[A-Z0-9]{3}[A-Z0-9]{12,124}")
PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")


@dataclass(frozen=True, slots=True)
class Caller:
    """A parsed request principal."""

    text: str
    kind: str  # user | role | assumed-role | root | federated-user | service | anonymous | other
    account: str | None
    role_name: str | None = None

    @property
    def is_session(self) -> bool:
        return self.kind in ("assumed-role", "federated-user")


@lru_cache(maxsize=4096)
def parse_caller(principal: str) -> Caller:
    """Classify a request principal string."""
    if principal == "anonymous" or principal == "":
        return Caller(principal, "anonymous", None)
    arn = try_parse_arn(principal)
    if arn is not None and _ACCOUNT_ID.fullmatch(arn.account):
        rtype = arn.resource_type
        if arn.service == "iam":
            if arn.resource == "root":
                return Caller(principal, "root", arn.account)
            if rtype == "user":
                return Caller(principal, "user", arn.account)
            if rtype == "role":
                return Caller(principal, "role", arn.account, arn.resource.rsplit("/", 1)[-1])
        elif arn.service == "sts":
            if rtype == "assumed-role":
                parts = arn.resource.split("/")
                name = parts[1] if len(parts) >= 3 else None
                return Caller(principal, "assumed-role", arn.account, name)
            if rtype == "federated-user":
                return Caller(principal, "federated-user", arn.account)
        return Caller(principal, "other", arn.account)
    if arn is None and "." in principal and principal.lower().endswith(
        (".amazonaws.com", ".amazonaws.com.cn", ".amazon.com")
    ) and "/" not in principal:
        return Caller(principal, "service", None)
    return Caller(principal, "other", None)


def valid_aws_principal(value: str) -> bool:
    """Whether AWS accepts ``value`` in ``"AWS"`` (shape only; existence is the server's)."""
    if value == "*" or _ACCOUNT_ID.fullmatch(value) or _UNIQUE_ID.fullmatch(value):
        return True
    arn = try_parse_arn(value)
    if arn is None or "*" in value or "?" in value:
        return False
    if arn.partition not in PARTITIONS or arn.service not in ("iam", "sts") or arn.region:
        return False
    return bool(_ACCOUNT_ID.fullmatch(arn.account)) and bool(arn.resource)


class PrincipalSpec:
    """A compiled ``Principal`` (or ``NotPrincipal``) element."""

    __slots__ = ("accounts", "any", "exact", "others", "raw", "roles", "services")

    def __init__(self, raw: str | dict[str, list[str]]):
        self.raw = raw
        self.any = False
        self.accounts: set[str] = set()
        self.exact: set[str] = set()
        self.roles: set[tuple[str, str]] = set()
        self.services: set[str] = set()
        self.others: set[str] = set()
        if raw == "*":
            self.any = True
            return
        assert isinstance(raw, dict)
        for ptype, values in raw.items():
            for v in values:
                if ptype == "AWS":
                    self._add_aws(v)
                elif ptype == "Service":
                    if v == "*":
                        self.any = True
                    self.services.add(v.lower())
                else:
                    self.others.add(v)

    def _add_aws(self, v: str) -> None:
        if v == "*":
            self.any = True
            return
        if _ACCOUNT_ID.fullmatch(v):
            self.accounts.add(v)
            return
        arn = try_parse_arn(v)
        if arn is None:
            self.exact.add(v)  # a unique id: it names no request ARN we are given
            return
        if arn.service == "iam" and arn.resource == "root":
            self.accounts.add(arn.account)
        elif arn.service == "iam" and arn.resource_type == "role":
            self.roles.add((arn.account, arn.resource.rsplit("/", 1)[-1]))
            self.exact.add(v)
        else:
            self.exact.add(v)

    def exempts(self, caller: Caller) -> bool:
        """Whether a ``NotPrincipal`` element names ``caller``, so the statement does not
        apply to it. Unlike ``Principal``, an account ARN here names only the account
        principal itself: AWS's NotPrincipal guidance has a Deny list both a user and its
        account, and every other principal of that account is still denied."""
        how = self.match(caller)
        return how is not None and how != ACCOUNT

    def match(self, caller: Caller) -> str | None:
        """How this element names ``caller`` (:data:`EXACT`, :data:`ROLE`, ...), or ``None``."""
        if self.any:
            return ANY
        kind = caller.kind
        if kind == "service":
            return EXACT if caller.text.lower() in self.services else None
        if caller.text in self.exact:
            if kind == "role":
                return ROLE
            return EXACT
        if caller.text in self.others:
            return EXACT
        if caller.role_name is not None and caller.account is not None and (
            (caller.account, caller.role_name) in self.roles
        ):
            return ROLE
        if caller.account is not None and caller.account in self.accounts:
            return EXACT if kind == "root" else ACCOUNT
        return None
