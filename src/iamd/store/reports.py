"""The reports IAM computes from stored state: the credential report and access advisor.

Credential reports are kept one per account in ``credential_reports``. What a report
is made of (users, console passwords, the password policy, MFA devices, access keys and
signing certificates) is read here in one query per table for the whole account, so a
report of thousands of users costs a handful of queries. ``service_last_accessed`` is
written by the audit trail; the access advisor only reads it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa

from iamd.store import schema
from iamd.store.base import DuplicateKey, Repository

# The owner of a root credential in the maps below: the root user has no users row.
ROOT = ""


@dataclass(frozen=True, slots=True)
class StoredReport:
    generated_at: datetime
    content: str


@dataclass(frozen=True, slots=True)
class ReportUser:
    id: str
    name: str
    path: str
    created_at: datetime
    password_last_used: datetime | None


@dataclass(frozen=True, slots=True)
class LoginProfileFacts:
    changed_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True, slots=True)
class KeyFacts:
    """An access key or a signing certificate, as the credential report shows it."""

    id: str
    active: bool
    created_at: datetime
    last_used_at: datetime | None = None
    last_used_region: str | None = None
    last_used_service: str | None = None


@dataclass
class CredentialFacts:
    """Everything a credential report of one account is made of.

    The maps are keyed by user id, ``ROOT`` for the root user's credentials; keys and
    certificates are in the order they were created.
    """

    account_created_at: datetime | None
    root_has_password: bool
    max_password_age: int | None
    users: list[ReportUser]
    login_profiles: dict[str, LoginProfileFacts] = field(default_factory=dict)
    mfa_active: set[str] = field(default_factory=set)
    access_keys: dict[str, list[KeyFacts]] = field(default_factory=dict)
    certificates: dict[str, list[KeyFacts]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LastAccess:
    """One row of ``service_last_accessed``: an entity's last use of a service or action."""

    entity_arn: str
    service_namespace: str
    action_name: str  # "" for the service as a whole
    last_authenticated: datetime
    region: str | None
    authenticated_entity: str | None


class ReportRepository(Repository):
    # -- access advisor jobs ----------------------------------------------------------

    def add_job(self, job_id: str, account_id: str, created_at: datetime, report: str, keep: int) -> None:
        """Store a finished job, keeping the account's newest ``keep`` jobs."""
        t = schema.access_advisor_jobs
        self.connection.execute(
            t.insert().values(job_id=job_id, account_id=account_id, created_at=created_at, report=report)
        )
        stale = (
            sa.select(t.c.job_id)
            .where(t.c.account_id == account_id)
            .order_by(t.c.created_at.desc(), t.c.job_id)
            .offset(keep)
        )
        old = [row.job_id for row in self.connection.execute(stale)]
        if old:
            self.connection.execute(t.delete().where(t.c.job_id.in_(old)))

    def job(self, job_id: str) -> tuple[str, str] | None:
        """(account id, report JSON) of a job."""
        t = schema.access_advisor_jobs
        row = self.connection.execute(sa.select(t.c.account_id, t.c.report).where(t.c.job_id == job_id)).first()
        return (row.account_id, row.report) if row else None

    # -- credential reports -----------------------------------------------------------

    def credential_report(self, account_id: str) -> StoredReport | None:
        t = schema.credential_reports
        row = self.connection.execute(
            sa.select(t.c.generated_at, t.c.content).where(t.c.account_id == account_id)
        ).first()
        return StoredReport(row.generated_at, row.content) if row else None

    def save_credential_report(self, account_id: str, generated_at: datetime, content: str) -> None:
        """Store an account's report in place of the one it had."""
        t = schema.credential_reports
        updated = self.connection.execute(
            t.update().where(t.c.account_id == account_id).values(generated_at=generated_at, content=content)
        )
        if updated.rowcount:
            return
        try:
            self._insert(t, account_id=account_id, generated_at=generated_at, content=content)
        except DuplicateKey:
            # Another node stored one in between: ours is as recent, keep it.
            self.connection.execute(
                t.update().where(t.c.account_id == account_id).values(generated_at=generated_at, content=content)
            )

    def credential_facts(self, account_id: str) -> CredentialFacts:
        c = self.connection
        accounts = schema.accounts
        account = c.execute(
            sa.select(accounts.c.created_at, accounts.c.root_password_hash).where(accounts.c.id == account_id)
        ).first()
        policies = schema.password_policies
        max_age = c.execute(
            sa.select(policies.c.max_password_age).where(policies.c.account_id == account_id)
        ).scalar_one_or_none()
        u = schema.users
        users = [
            ReportUser(row.id, row.name, row.path, row.created_at, row.password_last_used)
            for row in c.execute(
                sa.select(u.c.id, u.c.name, u.c.path, u.c.created_at, u.c.password_last_used)
                .where(u.c.account_id == account_id)
                .order_by(u.c.name_lower)
            )
        ]
        facts = CredentialFacts(
            account_created_at=account.created_at if account else None,
            root_has_password=bool(account and account.root_password_hash),
            max_password_age=max_age,
            users=users,
        )
        lp = schema.login_profiles
        for profile in c.execute(
            sa.select(lp.c.user_id, lp.c.password_changed_at, lp.c.last_used_at).where(lp.c.account_id == account_id)
        ):
            owner = profile.user_id if profile.user_id is not None else ROOT
            facts.login_profiles[owner] = LoginProfileFacts(profile.password_changed_at, profile.last_used_at)
        m = schema.mfa_devices
        for device in c.execute(
            sa.select(m.c.user_id, m.c.assigned_root).where(
                m.c.account_id == account_id, sa.or_(m.c.user_id.is_not(None), m.c.assigned_root != 0)
            )
        ):
            facts.mfa_active.add(device.user_id if device.user_id is not None else ROOT)
        k = schema.access_keys
        for key in c.execute(
            sa.select(k).where(k.c.account_id == account_id).order_by(k.c.created_at, k.c.access_key_id)
        ):
            facts.access_keys.setdefault(key.user_id or ROOT, []).append(
                KeyFacts(key.access_key_id, key.status == "Active", key.created_at, key.last_used_at,
                         key.last_used_region, key.last_used_service)
            )
        s = schema.signing_certificates
        for certificate in c.execute(
            sa.select(s.c.id, s.c.user_id, s.c.status, s.c.uploaded_at)
            .where(s.c.account_id == account_id)
            .order_by(s.c.uploaded_at, s.c.id)
        ):
            facts.certificates.setdefault(certificate.user_id or ROOT, []).append(
                KeyFacts(certificate.id, certificate.status == "Active", certificate.uploaded_at)
            )
        return facts

    # -- service last accessed ----------------------------------------------------------

    def last_accesses(self, account_id: str, entity_arns: Iterable[str]) -> list[LastAccess]:
        """The recorded accesses of these entities (ARNs in the ``aws`` partition)."""
        wanted = sorted(set(entity_arns))
        if not wanted:
            return []
        t = schema.service_last_accessed
        found: list[LastAccess] = []
        # Bounded IN lists: a policy may be attached to many entities.
        for start in range(0, len(wanted), 500):
            rows = self.connection.execute(
                sa.select(t).where(t.c.account_id == account_id, t.c.entity_arn.in_(wanted[start : start + 500]))
            )
            found.extend(
                LastAccess(row.entity_arn, row.service_namespace, row.action_name or "", row.last_authenticated,
                           row.region, row.authenticated_entity)
                for row in rows
            )
        return found
