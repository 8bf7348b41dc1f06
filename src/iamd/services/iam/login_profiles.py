"""Console passwords of IAM users: login profiles, and ChangePassword.

A login profile holds a user's argon2id password hash. New passwords must meet the account
password policy (or AWS's default policy) and, when the policy says so, must not repeat one
of the user's last few passwords. Hashing is slow on purpose, so it runs outside the write
transaction; the write re-checks what it relies on.

The root user's password is a login profile too (``root-ACCOUNT``); with long-term root
credentials AWS requires a ``UserName`` on these operations (only an AssumeRoot session may
omit it), so the root user's password is managed by ``set_root_password`` and sign-in.
"""

from __future__ import annotations

from typing import Any

from iamd.protocol.errors import (
    AccessDenied,
    EntityAlreadyExists,
    InvalidInput,
    InvalidUserType,
    NoSuchEntity,
    ValidationError,
)
from iamd.services import lockout
from iamd.services.iam import common, password_policy, users
from iamd.services.iam.password_policy import EffectivePolicy
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.passwords import hash_password, password_matches
from iamd.services.runtime import Runtime
from iamd.store import Database, DuplicateKey, UnitOfWork, UserRecord
from iamd.store.passwords import LoginProfileRecord, root_profile_id

MISSING_PASSWORD = "1 validation error detected: Value null at 'password' failed to satisfy constraint: Member must not be null"
WRONG_OLD_PASSWORD = "The old password was incorrect."
NOT_AN_IAM_USER = "Only an IAM user can change its own password with ChangePassword."
HARD_EXPIRED = "The password has expired and only an administrator can reset it."


def no_login_profile(user_name: str) -> NoSuchEntity:
    """``Login Profile for User bob cannot be found.``"""
    return NoSuchEntity(f"Login Profile for User {user_name} cannot be found.")


def login_profile_exists(user_name: str) -> EntityAlreadyExists:
    """``Login Profile for user bob already exists.`` (AWS writes "user" in lower case here.)"""
    return EntityAlreadyExists(f"Login Profile for user {user_name} already exists.")


def profile_shape(user: UserRecord, profile: LoginProfileRecord) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "UserName": user.name,
        "CreateDate": profile.created_at,
        "PasswordResetRequired": profile.password_reset_required,
    }
    # AWS omits the member when the setting is unset.
    if profile.max_signin_session_duration is not None:
        shape["MaxSigninSessionDuration"] = profile.max_signin_session_duration
    return shape


def _user(context: OperationContext, unit: UnitOfWork, name: str | None) -> UserRecord:
    """The user a ``UserName`` names, else the calling IAM user; root must name one."""
    user = users.target_user(context, unit, name)
    if user is None:
        raise ValidationError(users.NON_USER_MESSAGE)
    return user


def previous_hashes(unit: UnitOfWork, profile: LoginProfileRecord, policy: EffectivePolicy) -> list[str]:
    """The hashes a new password must not match: the current one and the remembered ones."""
    if policy.reuse_prevention <= 0:
        return []
    remembered = unit.passwords.history(profile.id, policy.reuse_prevention)
    if not remembered or remembered[0] != profile.password_hash:
        remembered = [profile.password_hash, *remembered][: policy.reuse_prevention]
    return remembered


def store_new_password(
    unit: UnitOfWork, profile: LoginProfileRecord, password_hash: str, runtime: Runtime, policy: EffectivePolicy,
    *, reset_required: bool,
) -> None:
    now = runtime.now()
    keep = policy.reuse_prevention
    if keep > 0 and unit.passwords.history(profile.id, 1) != [profile.password_hash]:
        # A password set while no policy asked to remember passwords is not in the history
        # yet: remember the outgoing one before the new one.
        unit.passwords.remember(profile.id, profile.password_hash, profile.password_changed_at, keep)
    unit.passwords.set_password(profile.id, password_hash, now, reset_required=reset_required)
    unit.passwords.remember(profile.id, password_hash, now, keep)


@operation("iam", "CreateLoginProfile")
def create_login_profile(context: OperationContext, params: Params) -> Output:
    account_id = context.caller.account_id
    with context.db.reading() as unit:
        user = _user(context, unit, params.get("UserName"))
        if unit.passwords.get_profile(user.id) is not None:
            raise login_profile_exists(user.name)
        if "Password" not in params:
            raise ValidationError(MISSING_PASSWORD)
        policy = password_policy.effective_policy(unit, account_id)
        identities = password_policy.account_identities(unit, account_id)
    password = params["Password"]
    password_policy.enforce(policy, password, identities)
    password_hash = hash_password(password)
    now = context.runtime.now()
    profile = LoginProfileRecord(
        id=user.id,
        account_id=account_id,
        user_id=user.id,
        password_hash=password_hash,
        password_reset_required=bool(params.get("PasswordResetRequired", False)),
        created_at=now,
        password_changed_at=now,
        max_signin_session_duration=params.get("MaxSigninSessionDuration"),
    )
    with context.db.transaction() as unit:
        if unit.users.get(user.id) is None:
            raise common.no_such_entity("user", user.name)
        try:
            unit.passwords.add_profile(profile)
        except DuplicateKey:
            raise login_profile_exists(user.name) from None
        unit.passwords.remember(profile.id, password_hash, now, policy.reuse_prevention)
    return {"LoginProfile": profile_shape(user, profile)}


@operation("iam", "GetLoginProfile")
def get_login_profile(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        user = _user(context, unit, params.get("UserName"))
        profile = unit.passwords.get_profile(user.id)
    if profile is None:
        raise no_login_profile(user.name)
    return {"LoginProfile": profile_shape(user, profile)}


@operation("iam", "UpdateLoginProfile")
def update_login_profile(context: OperationContext, params: Params) -> Output:
    if params.get("MaxSigninSessionDuration") is not None and params.get("ResetMaxSigninSessionDuration"):
        raise InvalidInput("MaxSigninSessionDuration and ResetMaxSigninSessionDuration cannot both be specified.")
    account_id = context.caller.account_id
    with context.db.reading() as unit:
        user = users.find_user(context, unit, params["UserName"])
        profile = unit.passwords.get_profile(user.id)
        if profile is None:
            raise no_login_profile(user.name)
        policy = password_policy.effective_policy(unit, account_id)
        identities = password_policy.account_identities(unit, account_id)
        previous = previous_hashes(unit, profile, policy) if "Password" in params else []
    password_hash = None
    if "Password" in params:
        password = params["Password"]
        password_policy.enforce(policy, password, identities)
        password_policy.enforce_no_reuse(policy, password, previous)
        password_hash = hash_password(password)
    with context.db.transaction() as unit:
        current = unit.passwords.get_profile(user.id, for_update=True)
        if current is None:
            raise no_login_profile(user.name)
        reset_required = params.get("PasswordResetRequired")
        if password_hash is not None:
            keep = current.password_reset_required if reset_required is None else bool(reset_required)
            store_new_password(unit, current, password_hash, context.runtime, policy, reset_required=keep)
        elif reset_required is not None:
            unit.passwords.set_reset_required(current.id, bool(reset_required))
        if params.get("MaxSigninSessionDuration") is not None:
            unit.passwords.set_signin_session_duration(current.id, params["MaxSigninSessionDuration"])
        elif params.get("ResetMaxSigninSessionDuration"):
            unit.passwords.set_signin_session_duration(current.id, None)
    return None


@operation("iam", "DeleteLoginProfile")
def delete_login_profile(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        user = _user(context, unit, params.get("UserName"))
        if not unit.passwords.delete_profile(user.id):
            raise no_login_profile(user.name)
    return None


@operation("iam", "ChangePassword")
def change_password(context: OperationContext, params: Params) -> Output:
    caller = context.caller
    if caller.kind != "User" or not caller.entity_id:
        raise InvalidUserType(NOT_AN_IAM_USER)
    with context.db.reading() as unit:
        user = unit.users.get(caller.entity_id)
        if user is None:
            raise common.no_such_entity("user", caller.user_name or "")
    change_user_password(
        context.db, context.runtime, user, params["OldPassword"], params["NewPassword"], wrong_old=AccessDenied
    )
    return None


def change_user_password(
    db: Database, runtime: Runtime, user: UserRecord, old_password: str, new_password: str,
    *, wrong_old: type[Exception] = AccessDenied, allow_expired: bool = True,
) -> None:
    """Replace a user's own password after checking its current one.

    A wrong current password counts as a failed sign-in for the lockout (it is as good a
    guessing oracle as the sign-in page). Under a policy with ``HardExpiry`` an expired
    password can only be reset by an administrator.
    """
    with db.reading() as unit:
        profile = unit.passwords.get_profile(user.id)
        if profile is None:
            raise no_login_profile(user.name)
        policy = password_policy.effective_policy(unit, user.account_id)
        identities = password_policy.account_identities(unit, user.account_id)
        previous = previous_hashes(unit, profile, policy)
    now = runtime.now()
    if lockout.locked(profile, now):
        lockout.burn(old_password)
        raise wrong_old(WRONG_OLD_PASSWORD)
    if not password_matches(profile.password_hash, old_password):
        lockout.record_failure(db, runtime, profile.id)
        raise wrong_old(WRONG_OLD_PASSWORD)
    if policy.hard_expiry and policy.expired(profile, now) and not allow_expired:
        raise AccessDenied(HARD_EXPIRED)
    password_policy.enforce(policy, new_password, identities)
    password_policy.enforce_no_reuse(policy, new_password, previous)
    password_hash = hash_password(new_password)
    with db.transaction() as unit:
        current = unit.passwords.get_profile(profile.id, for_update=True)
        if current is None:
            raise no_login_profile(user.name)
        store_new_password(unit, current, password_hash, runtime, policy, reset_required=False)


def set_root_password(db: Database, runtime: Runtime, account_id: str, password: str | None) -> None:
    """Give the account's root user a console password (None removes it).

    The account password policy does not govern the root user's password.
    """
    password_hash = hash_password(password) if password else None
    with db.transaction() as unit:
        put_root_password(unit, account_id, password_hash, runtime)


def put_root_password(unit: UnitOfWork, account_id: str, password_hash: str | None, runtime: Runtime) -> None:
    """Within a unit of work: set (or with None, remove) the root user's password hash."""
    profile_id = root_profile_id(account_id)
    if password_hash is None:
        unit.passwords.delete_profile(profile_id)
        return
    now = runtime.now()
    if unit.passwords.get_profile(profile_id, for_update=True) is None:
        unit.passwords.add_profile(
            LoginProfileRecord(
                id=profile_id,
                account_id=account_id,
                user_id=None,
                password_hash=password_hash,
                password_reset_required=False,
                created_at=now,
                password_changed_at=now,
            )
        )
    else:
        unit.passwords.set_password(profile_id, password_hash, now, reset_required=False)
