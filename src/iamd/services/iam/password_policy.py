"""The account password policy: set, read and delete it, and check passwords against it.

Without a custom policy AWS applies its default one: at least 8 characters, at least three
of the four character types (upper case, lower case, digits, symbols), and not identical
to the account's name or e-mail address; passwords never expire. A custom policy replaces
all of that: UpdateAccountPasswordPolicy sets every field, a field left out takes its
default (minimum length 6, every requirement off, no expiry, no reuse prevention).

The policy governs IAM users' passwords only; the root user's password is not subject to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from iamd.protocol.errors import NoSuchEntity, PasswordPolicyViolation
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.passwords import password_matches
from iamd.store import UnitOfWork
from iamd.store.passwords import LoginProfileRecord, PasswordPolicyRecord

# The characters AWS counts as symbols ("non-alphanumeric characters") in passwords.
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")

DEFAULT_MINIMUM_LENGTH = 8
DEFAULT_REQUIRED_TYPES = 3
CUSTOM_DEFAULT_MINIMUM_LENGTH = 6

UPPERCASE_RULE = "Password should have at least one uppercase letter"
LOWERCASE_RULE = "Password should have at least one lowercase letter"
NUMBER_RULE = "Password should have at least one number"
SYMBOL_RULE = "Password should have at least one symbol"
REUSE_RULE = "Password should not be reused"
IDENTITY_RULE = "Password should not be identical to the account name or email address"


def minimum_length_rule(length: int) -> str:
    return f"Password should have a minimum length of {length}"


def no_policy(account_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The Password Policy with domain name {account_id} cannot be found.")


@dataclass(frozen=True)
class EffectivePolicy:
    """The rules a new IAM user password must meet: the custom policy, or AWS's default."""

    custom: PasswordPolicyRecord | None

    @property
    def minimum_length(self) -> int:
        return self.custom.minimum_length if self.custom else DEFAULT_MINIMUM_LENGTH

    @property
    def reuse_prevention(self) -> int:
        return (self.custom.password_reuse_prevention or 0) if self.custom else 0

    @property
    def max_password_age(self) -> int | None:
        return self.custom.max_password_age if self.custom else None

    @property
    def hard_expiry(self) -> bool:
        return bool(self.custom and self.custom.hard_expiry)

    def violations(self, password: str, identities: tuple[str, ...] = ()) -> list[str]:
        """The rules ``password`` breaks, in the order AWS names them (empty: it passes)."""
        failed: list[str] = []
        if len(password) < self.minimum_length:
            failed.append(minimum_length_rule(self.minimum_length))
        types = [
            (any("A" <= c <= "Z" for c in password), UPPERCASE_RULE),
            (any("a" <= c <= "z" for c in password), LOWERCASE_RULE),
            (any("0" <= c <= "9" for c in password), NUMBER_RULE),
            (any(c in SYMBOLS for c in password), SYMBOL_RULE),
        ]
        if self.custom is None:
            missing = [rule for present, rule in types if not present]
            short = DEFAULT_REQUIRED_TYPES - (len(types) - len(missing))
            if short > 0:
                failed.append(f"Password should meet {short} more of the following requirements: " + ", ".join(missing))
            lowered = password.lower()
            if any(identity and lowered == identity.lower() for identity in identities):
                failed.append(IDENTITY_RULE)
            return failed
        wanted = (
            self.custom.require_uppercase,
            self.custom.require_lowercase,
            self.custom.require_numbers,
            self.custom.require_symbols,
        )
        failed.extend(rule for required, (present, rule) in zip(wanted, types, strict=True) if required and not present)
        return failed

    def expires_at(self, profile: LoginProfileRecord) -> datetime | None:
        """When the profile's password expires (never for the root user)."""
        if profile.is_root or not self.max_password_age:
            return None
        return profile.password_changed_at + timedelta(days=self.max_password_age)

    def expired(self, profile: LoginProfileRecord, now: datetime) -> bool:
        expiry = self.expires_at(profile)
        return expiry is not None and now >= expiry


def effective_policy(unit: UnitOfWork, account_id: str) -> EffectivePolicy:
    return EffectivePolicy(unit.passwords.get_policy(account_id))


def account_identities(unit: UnitOfWork, account_id: str) -> tuple[str, ...]:
    """What the default policy forbids a password to equal: the account's id, alias, e-mail."""
    account = unit.accounts.get(account_id)
    alias = unit.aliases.get(account_id)
    return tuple(x for x in (account_id, alias, account.email if account else None) if x)


def enforce(policy: EffectivePolicy, password: str, identities: tuple[str, ...] = ()) -> None:
    """Raise ``PasswordPolicyViolation`` naming every rule the password breaks."""
    failed = policy.violations(password, identities)
    if failed:
        raise PasswordPolicyViolation(", ".join(failed))


def enforce_no_reuse(policy: EffectivePolicy, password: str, previous_hashes: list[str]) -> None:
    """Refuse a password among the last ``PasswordReusePrevention`` ones (the current included)."""
    for previous in previous_hashes[: policy.reuse_prevention]:
        if password_matches(previous, password):
            raise PasswordPolicyViolation(REUSE_RULE)


def policy_shape(record: PasswordPolicyRecord) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "MinimumPasswordLength": record.minimum_length,
        "RequireSymbols": record.require_symbols,
        "RequireNumbers": record.require_numbers,
        "RequireUppercaseCharacters": record.require_uppercase,
        "RequireLowercaseCharacters": record.require_lowercase,
        "AllowUsersToChangePassword": record.allow_users_to_change,
        "ExpirePasswords": bool(record.max_password_age),
    }
    if record.max_password_age:
        shape["MaxPasswordAge"] = record.max_password_age
    if record.password_reuse_prevention:
        shape["PasswordReusePrevention"] = record.password_reuse_prevention
    if record.hard_expiry is not None:
        shape["HardExpiry"] = record.hard_expiry
    return shape


@operation("iam", "UpdateAccountPasswordPolicy")
def update_account_password_policy(context: OperationContext, params: Params) -> Output:
    record = PasswordPolicyRecord(
        account_id=context.caller.account_id,
        minimum_length=params.get("MinimumPasswordLength", CUSTOM_DEFAULT_MINIMUM_LENGTH),
        require_symbols=bool(params.get("RequireSymbols", False)),
        require_numbers=bool(params.get("RequireNumbers", False)),
        require_uppercase=bool(params.get("RequireUppercaseCharacters", False)),
        require_lowercase=bool(params.get("RequireLowercaseCharacters", False)),
        allow_users_to_change=bool(params.get("AllowUsersToChangePassword", False)),
        max_password_age=params.get("MaxPasswordAge"),
        password_reuse_prevention=params.get("PasswordReusePrevention"),
        hard_expiry=params.get("HardExpiry"),
    )
    with context.db.transaction() as unit:
        unit.passwords.put_policy(record)
    return None


@operation("iam", "GetAccountPasswordPolicy")
def get_account_password_policy(context: OperationContext, params: Params) -> Output:
    account_id = context.caller.account_id
    with context.db.reading() as unit:
        record = unit.passwords.get_policy(account_id)
    if record is None:
        raise no_policy(account_id)
    return {"PasswordPolicy": policy_shape(record)}


@operation("iam", "DeleteAccountPasswordPolicy")
def delete_account_password_policy(context: OperationContext, params: Params) -> Output:
    account_id = context.caller.account_id
    with context.db.transaction() as unit:
        if not unit.passwords.delete_policy(account_id):
            raise no_policy(account_id)
    return None
