"""Password sign-in, as the console will use it: who may sign in, and what they must do next.

``sign_in`` checks an account's root user or IAM user password and answers a
``SignInResult``; a refusal is a value, not an exception, and says nothing about why:
an unknown account, an unknown user, a user without a password, a wrong password, a wrong
MFA code and a locked profile all answer the same ``FAILED``, after the same work (a
password hash is verified in every case, against a dummy hash when there is no real one).

Brute-force protection (``iamd.services.lockout``): ``LOCKOUT_THRESHOLD`` consecutive
failures lock the profile for ``LOCKOUT_BASE``; each further failure after a lock ends
doubles the next lock, up to ``LOCKOUT_MAX``. A locked profile refuses even the right password. A successful sign-in or
a new password ends the series. The counters live in the login profile, so every iamd
process sharing the database sees them.

A correct password can still leave work to do: an enabled MFA device needs its code
(``MFA_REQUIRED``), a password marked for reset or past the policy's ``MaxPasswordAge``
must be changed first (``PASSWORD_CHANGE_REQUIRED``, then ``change_expired_password``), and
under ``HardExpiry`` an expired password needs an administrator (``PASSWORD_EXPIRED``).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from iamd.protocol.errors import ServiceError
from iamd.services import arns, audit
from iamd.services.crypto import SecretBox
from iamd.services.iam import mfa, password_policy, security_keys
from iamd.services.iam.login_profiles import previous_hashes, store_new_password
from iamd.services.lockout import burn, locked, record_failure
from iamd.services.passwords import hash_password, password_matches
from iamd.services.runtime import Runtime
from iamd.store import Database, UnitOfWork
from iamd.store.passwords import LoginProfileRecord, root_profile_id

log = logging.getLogger("iamd.signin")

_ACCOUNT_ID = re.compile(r"[0-9]{12}")

# Checks one MFA code of one device, inside the unit of work that records its use:
# (unit, box, account_id, user_id or None for root, serial_number, code, now) -> valid?
MfaVerifier = Callable[[UnitOfWork, SecretBox | None, str, str | None, str, str, datetime], bool]


class Outcome(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    MFA_REQUIRED = "mfa_required"
    PASSWORD_CHANGE_REQUIRED = "password_change_required"
    PASSWORD_EXPIRED = "password_expired"  # HardExpiry: only an administrator can reset it


@dataclass(frozen=True)
class SignInResult:
    outcome: Outcome
    account_id: str | None = None
    user_id: str | None = None  # None for the root user
    user_name: str | None = None
    reason: str | None = None  # why a change is required: "reset_required" or "expired"

    @property
    def signed_in(self) -> bool:
        return self.outcome is Outcome.SUCCESS


FAILED = SignInResult(Outcome.FAILED)


def _resolve_account(unit: UnitOfWork, account: str, *, root: bool) -> str | None:
    """The account an account id, alias or (root user only) e-mail address names."""
    account = account.strip()
    if _ACCOUNT_ID.fullmatch(account):
        return account if unit.accounts.get(account) is not None else None
    if root and "@" in account:
        found = unit.passwords.accounts_with_email(account)
        return found[0] if len(found) == 1 else None
    return unit.aliases.owner(account.lower())


@dataclass(frozen=True)
class _Subject:
    account_id: str
    user_id: str | None
    user_name: str | None
    user_path: str
    profile: LoginProfileRecord
    policy: password_policy.EffectivePolicy
    mfa_serials: tuple[str, ...]


def _load(unit: UnitOfWork, account: str, user_name: str | None) -> _Subject | None:
    account_id = _resolve_account(unit, account, root=user_name is None)
    if account_id is None:
        return None
    user_id = None
    name = None
    path = "/"
    if user_name is None:
        profile = unit.passwords.get_profile(root_profile_id(account_id))
    else:
        user = unit.users.get_by_name(account_id, user_name)
        if user is None:
            return None
        user_id, name, path = user.id, user.name, user.path
        profile = unit.passwords.get_profile(user.id)
    if profile is None:
        return None
    return _Subject(
        account_id=account_id,
        user_id=user_id,
        user_name=name,
        user_path=path,
        profile=profile,
        policy=password_policy.effective_policy(unit, account_id),
        mfa_serials=tuple(unit.passwords.enabled_mfa_serials(account_id, user_id)),
    )


def default_mfa_verifier(
    unit: UnitOfWork, box: SecretBox | None, account_id: str, user_id: str | None, serial_number: str, code: str,
    now: datetime,
) -> bool:
    """The MFA service's check (which also refuses a code used before)."""
    if box is None:
        log.warning("sign-in refused: MFA codes cannot be checked without the secret box")
        return False
    try:
        mfa.verify_code(
            unit, box, account_id=account_id, user_id=user_id, serial_number=serial_number, code=code, now=now
        )
    except ServiceError:
        return False
    return True


def security_key_ceremony(
    db: Database, runtime: Runtime, *, account: str, user_name: str | None, rp_id: str
) -> security_keys.Ceremony | None:
    """The WebAuthn ceremony for the second step of a sign-in whose password was checked
    (``MFA_REQUIRED``): a challenge for the user's security keys, or None without keys.
    Call it only for such a sign-in: it tells which kind of device the user has."""
    if user_name is None:
        return None
    with db.transaction() as unit:
        subject = _load(unit, account, user_name)
        if subject is None or subject.user_id is None:
            return None
        return security_keys.begin_authentication(
            unit, runtime, account_id=subject.account_id, user_id=subject.user_id, rp_id=rp_id
        )


def security_key_verifier(handle: str, rp_id: str, origin: str) -> MfaVerifier:
    """An ``MfaVerifier`` that takes a WebAuthn assertion (JSON) for a security key, and a
    one-time code for a virtual device as ``default_mfa_verifier`` does."""
    checker = security_keys.AssertionChecker(handle, rp_id, origin)

    def verify(
        unit: UnitOfWork, box: SecretBox | None, account_id: str, user_id: str | None, serial: str, answer: str,
        now: datetime,
    ) -> bool:
        if answer.lstrip().startswith("{"):
            return checker(unit, box, account_id, user_id, serial, answer, now)
        return default_mfa_verifier(unit, box, account_id, user_id, serial, answer, now)

    return verify


def sign_in(
    db: Database,
    runtime: Runtime,
    *,
    account: str,
    user_name: str | None,
    password: str,
    mfa_code: str | None = None,
    box: SecretBox | None = None,
    mfa_verifier: MfaVerifier | None = None,
    audit_sink: audit.AuditSink | None = None,
    source_ip: str = "",
    user_agent: str = "",
) -> SignInResult:
    """Check a console password; ``user_name`` None signs in the root user.

    ``account`` is the account's id or alias; the root user may also give its e-mail.
    Each attempt whose account is known becomes a ``ConsoleLogin`` event in
    ``audit_sink`` (the server's audit log), failed ones included.
    """
    now = runtime.now()

    def finish(subject: _Subject | None, outcome: Outcome, mfa_used: bool = False) -> None:
        _log(subject, outcome)
        if subject is not None:
            _record(audit_sink, subject, outcome, now, mfa_used, source_ip, user_agent)

    with db.reading() as unit:
        subject = _load(unit, account, user_name)
    if subject is None or locked(subject.profile, now):
        burn(password)
        finish(subject, Outcome.FAILED)
        return FAILED
    profile = subject.profile
    if not password_matches(profile.password_hash, password):
        record_failure(db, runtime, profile.id)
        finish(subject, Outcome.FAILED)
        return FAILED
    mfa_used = bool(subject.mfa_serials)
    if subject.mfa_serials:
        if mfa_code is None:
            return _result(subject, Outcome.MFA_REQUIRED)
        if not _mfa_ok(db, box, subject, mfa_code, now, mfa_verifier or default_mfa_verifier):
            record_failure(db, runtime, profile.id)
            finish(subject, Outcome.FAILED, mfa_used)
            return FAILED
    expired = subject.policy.expired(profile, now)
    if expired and subject.policy.hard_expiry:
        finish(subject, Outcome.PASSWORD_EXPIRED, mfa_used)
        return _result(subject, Outcome.PASSWORD_EXPIRED, "expired")
    with db.transaction() as unit:
        unit.passwords.record_success(profile.id, now)
        if subject.user_id is not None:
            unit.users.set_password_last_used(subject.user_id, now)
    if profile.password_reset_required:
        outcome, reason = Outcome.PASSWORD_CHANGE_REQUIRED, "reset_required"
    elif expired:
        outcome, reason = Outcome.PASSWORD_CHANGE_REQUIRED, "expired"
    else:
        outcome, reason = Outcome.SUCCESS, None
    finish(subject, outcome, mfa_used)
    return _result(subject, outcome, reason)


def change_expired_password(
    db: Database,
    runtime: Runtime,
    *,
    account: str,
    user_name: str | None,
    old_password: str,
    new_password: str,
    mfa_code: str | None = None,
    box: SecretBox | None = None,
    mfa_verifier: MfaVerifier | None = None,
    audit_sink: audit.AuditSink | None = None,
    source_ip: str = "",
    user_agent: str = "",
) -> SignInResult:
    """Sign in with a password that must be changed, and change it.

    The credentials are checked exactly as ``sign_in`` checks them (lockout included); a
    new password that breaks the account password policy raises
    ``PasswordPolicyViolation``. Answers the result of signing in with the new password.
    """
    result = sign_in(
        db, runtime, account=account, user_name=user_name, password=old_password,
        mfa_code=mfa_code, box=box, mfa_verifier=mfa_verifier,
        audit_sink=audit_sink, source_ip=source_ip, user_agent=user_agent,
    )
    if result.outcome not in (Outcome.PASSWORD_CHANGE_REQUIRED, Outcome.SUCCESS):
        return result
    account_id = result.account_id or ""
    with db.reading() as unit:
        profile_id = result.user_id or root_profile_id(account_id)
        profile = unit.passwords.get_profile(profile_id)
        if profile is None:
            return FAILED
        policy = password_policy.effective_policy(unit, account_id)
        identities = password_policy.account_identities(unit, account_id)
        previous = previous_hashes(unit, profile, policy) if not profile.is_root else []
    if not profile.is_root:
        password_policy.enforce(policy, new_password, identities)
        password_policy.enforce_no_reuse(policy, new_password, previous)
    password_hash = hash_password(new_password)
    with db.transaction() as unit:
        current = unit.passwords.get_profile(profile.id, for_update=True)
        if current is None:
            return FAILED
        store_new_password(unit, current, password_hash, runtime, policy, reset_required=False)
    return SignInResult(Outcome.SUCCESS, account_id, result.user_id, result.user_name)


def _mfa_ok(
    db: Database, box: SecretBox | None, subject: _Subject, code: str, now: datetime, verifier: MfaVerifier
) -> bool:
    # Any one of the user's enabled devices may answer (AWS allows up to eight per user).
    with db.transaction() as unit:
        for serial in subject.mfa_serials:
            if verifier(unit, box, subject.account_id, subject.user_id, serial, code, now):
                return True
    return False


def _result(subject: _Subject, outcome: Outcome, reason: str | None = None) -> SignInResult:
    return SignInResult(outcome, subject.account_id, subject.user_id, subject.user_name, reason)


def _record(
    sink: audit.AuditSink | None, subject: _Subject, outcome: Outcome, now: datetime, mfa_used: bool,
    source_ip: str, user_agent: str,
) -> None:
    """The attempt as a ConsoleLogin event: the password was right unless it FAILED."""
    if subject.user_id is None:
        arn, principal_id = arns.root_arn("aws", subject.account_id), subject.account_id
    else:
        arn = arns.iam_arn("aws", subject.account_id, "user", subject.user_path, subject.user_name or "")
        principal_id = subject.user_id
    success = outcome is not Outcome.FAILED
    audit.record_signin(
        sink, when=now, account_id=subject.account_id, arn=arn, principal_id=principal_id,
        user_name=subject.user_name, success=success, mfa_used=mfa_used, source_ip=source_ip,
        user_agent=user_agent, error_message=None if success else "Failed authentication",
    )


def _log(subject: _Subject | None, outcome: Outcome) -> None:
    # Never the password or the code; for a failure, not even which check failed.
    if log.isEnabledFor(logging.INFO):
        log.info(
            "sign-in",
            extra={
                "account_id": subject.account_id if subject else None,
                "user_name": subject.user_name if subject else None,
                "outcome": outcome.value,
            },
        )
