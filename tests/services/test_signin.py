"""Password sign-in: lockout, expiry, forced changes, MFA, last-used tracking."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher

from iamd.protocol.errors import PasswordPolicyViolation
from iamd.services import accounts, passwords, signin, totp
from iamd.services.crypto import SecretBox
from iamd.services.iam import login_profiles, mfa
from iamd.services.runtime import Runtime
from iamd.services.signin import Outcome, sign_in
from iamd.store import Database, UserRecord
from iamd.store.mfa import MfaDeviceRecord
from iamd.store.passwords import LoginProfileRecord, PasswordPolicyRecord

START = datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC)
ACCOUNT = "111122223333"
PASSWORD = "Correct-Horse-1"


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> None:
        self.now += timedelta(**kwargs)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    # argon2id at its production cost takes ~0.2 s a hash; the logic is the same cheaper.
    monkeypatch.setattr(passwords, "_hasher", PasswordHasher(time_cost=1, memory_cost=8, parallelism=1))
    monkeypatch.setattr(passwords, "_dummy_hash", [])




@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def runtime(clock: Clock) -> Runtime:
    return Runtime(clock=clock)


@pytest.fixture
def box() -> SecretBox:
    return SecretBox(bytes(32))


@pytest.fixture
def account(db: Database, box: SecretBox, runtime: Runtime) -> str:
    created = accounts.create_account(
        db, box, runtime, account_id=ACCOUNT, email="Root@Example.com", root_password="root-Secret-9"
    )
    with db.transaction() as unit:
        unit.aliases.put(ACCOUNT, "acme")
    return created.account_id


def add_user(db: Database, runtime: Runtime, name: str = "alice", password: str = PASSWORD, *,
             reset_required: bool = False) -> str:
    user_id = "AIDA" + name.upper().ljust(17, "X")
    now = runtime.now()
    with db.transaction() as unit:
        unit.users.add(UserRecord(id=user_id, account_id=ACCOUNT, name=name, path="/", created_at=now))
        unit.passwords.add_profile(
            LoginProfileRecord(
                id=user_id, account_id=ACCOUNT, user_id=user_id, password_hash=passwords.hash_password(password),
                password_reset_required=reset_required, created_at=now, password_changed_at=now,
            )
        )
    return user_id


def set_policy(db: Database, **fields: object) -> None:
    values: dict[str, object] = {
        "account_id": ACCOUNT, "minimum_length": 6, "require_symbols": False, "require_numbers": False,
        "require_uppercase": False, "require_lowercase": False, "allow_users_to_change": True,
    }
    values.update(fields)
    with db.transaction() as unit:
        unit.passwords.put_policy(PasswordPolicyRecord(**values))  # type: ignore[arg-type]


def test_user_signs_in_and_last_use_is_recorded(db: Database, runtime: Runtime, account: str) -> None:
    user_id = add_user(db, runtime)
    result = sign_in(db, runtime, account=ACCOUNT, user_name="ALICE", password=PASSWORD)
    assert result.outcome is Outcome.SUCCESS and result.signed_in
    assert (result.account_id, result.user_id, result.user_name) == (ACCOUNT, user_id, "alice")
    with db.reading() as unit:
        user = unit.users.get(user_id)
        profile = unit.passwords.get_profile(user_id)
    assert user is not None and user.password_last_used == START
    assert profile is not None and profile.last_used_at == START
    # The alias names the account as well as its id does.
    assert sign_in(db, runtime, account="acme", user_name="alice", password=PASSWORD).signed_in


def test_root_signs_in_by_account_id_or_email(db: Database, runtime: Runtime, account: str) -> None:
    by_id = sign_in(db, runtime, account=ACCOUNT, user_name=None, password="root-Secret-9")
    assert by_id.outcome is Outcome.SUCCESS and by_id.user_id is None and by_id.account_id == ACCOUNT
    assert sign_in(db, runtime, account="root@example.com", user_name=None, password="root-Secret-9").signed_in
    assert not sign_in(db, runtime, account=ACCOUNT, user_name=None, password="wrong").signed_in
    with db.reading() as unit:
        # The root password lives in login_profiles now, never in accounts.root_password_hash.
        assert unit.connection.execute(sa.text("select root_password_hash from accounts")).scalar_one() is None


def test_failures_look_alike(db: Database, runtime: Runtime, account: str) -> None:
    add_user(db, runtime)
    add_user(db, runtime, "nopassword")
    with db.transaction() as unit:
        unit.passwords.delete_profile("AIDA" + "NOPASSWORD".ljust(17, "X"))
    cases = [
        (ACCOUNT, "alice", "wrong"),
        (ACCOUNT, "nobody", PASSWORD),
        (ACCOUNT, "nopassword", PASSWORD),
        ("999999999999", "alice", PASSWORD),
        ("no-such-alias", "alice", PASSWORD),
    ]
    for account_name, user_name, password in cases:
        assert sign_in(db, runtime, account=account_name, user_name=user_name, password=password) == signin.FAILED


def counting_verifications(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []
    real = passwords.password_matches

    def counted(password_hash: str, password: str) -> bool:
        calls.append(password_hash)
        return real(password_hash, password)

    monkeypatch.setattr(passwords, "password_matches", counted)
    return calls


def test_unknown_users_cost_a_hash_verification(
    db: Database, runtime: Runtime, account: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = counting_verifications(monkeypatch)
    sign_in(db, runtime, account=ACCOUNT, user_name="nobody", password="x")
    assert len(calls) == 1


def test_lockout_after_five_failures_grows_exponentially(db: Database, runtime: Runtime, clock: Clock,
                                                         account: str) -> None:
    user_id = add_user(db, runtime)
    for _ in range(5):
        assert not sign_in(db, runtime, account=ACCOUNT, user_name="alice", password="bad").signed_in
    with db.reading() as unit:
        profile = unit.passwords.get_profile(user_id)
    assert profile is not None and profile.failed_attempts == 5
    assert profile.locked_until == START + timedelta(minutes=15)
    # Locked: the right password fails too, and the answer is the same as for a wrong one.
    assert sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD) == signin.FAILED
    clock.advance(minutes=15)
    # The lock is over; one more failure locks again, for twice as long.
    assert not sign_in(db, runtime, account=ACCOUNT, user_name="alice", password="bad").signed_in
    with db.reading() as unit:
        profile = unit.passwords.get_profile(user_id)
    assert profile is not None and profile.locked_until == clock.now + timedelta(minutes=30)
    clock.advance(minutes=30)
    assert sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD).signed_in
    with db.reading() as unit:
        profile = unit.passwords.get_profile(user_id)
    assert profile is not None and profile.failed_attempts == 0 and profile.locked_until is None


def test_an_administrator_reset_ends_a_lockout(db: Database, runtime: Runtime, account: str) -> None:
    user_id = add_user(db, runtime)
    for _ in range(5):
        sign_in(db, runtime, account=ACCOUNT, user_name="alice", password="bad")
    with db.transaction() as unit:
        unit.passwords.set_password(user_id, passwords.hash_password("New-pass-22"), runtime.now(), reset_required=False)
    assert sign_in(db, runtime, account=ACCOUNT, user_name="alice", password="New-pass-22").signed_in


def test_reset_required_until_changed(db: Database, runtime: Runtime, account: str) -> None:
    add_user(db, runtime, reset_required=True)
    result = sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD)
    assert result.outcome is Outcome.PASSWORD_CHANGE_REQUIRED and result.reason == "reset_required"
    changed = signin.change_expired_password(
        db, runtime, account=ACCOUNT, user_name="alice", old_password=PASSWORD, new_password="Brand-new-2"
    )
    assert changed.outcome is Outcome.SUCCESS
    assert sign_in(db, runtime, account=ACCOUNT, user_name="alice", password="Brand-new-2").signed_in
    assert not sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD).signed_in


def test_expired_password_blocks_sign_in_until_changed(db: Database, runtime: Runtime, clock: Clock,
                                                       account: str) -> None:
    set_policy(db, max_password_age=30, password_reuse_prevention=1, minimum_length=10)
    add_user(db, runtime)
    clock.advance(days=29, hours=23)
    assert sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD).signed_in
    clock.advance(hours=1)
    result = sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD)
    assert result.outcome is Outcome.PASSWORD_CHANGE_REQUIRED and result.reason == "expired"
    with pytest.raises(PasswordPolicyViolation, match="Password should not be reused"):
        signin.change_expired_password(
            db, runtime, account=ACCOUNT, user_name="alice", old_password=PASSWORD, new_password=PASSWORD
        )
    with pytest.raises(PasswordPolicyViolation, match="Password should have a minimum length of 10"):
        signin.change_expired_password(
            db, runtime, account=ACCOUNT, user_name="alice", old_password=PASSWORD, new_password="short"
        )
    # Still blocked, and a wrong old password changes nothing.
    assert not sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD).signed_in
    assert signin.change_expired_password(
        db, runtime, account=ACCOUNT, user_name="alice", old_password="wrong", new_password="Another-one-3"
    ) == signin.FAILED
    assert signin.change_expired_password(
        db, runtime, account=ACCOUNT, user_name="alice", old_password=PASSWORD, new_password="Another-one-3"
    ).signed_in
    assert sign_in(db, runtime, account=ACCOUNT, user_name="alice", password="Another-one-3").signed_in


def test_hard_expiry_needs_an_administrator(db: Database, runtime: Runtime, clock: Clock, account: str) -> None:
    set_policy(db, max_password_age=1, hard_expiry=True)
    add_user(db, runtime)
    clock.advance(days=2)
    result = sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD)
    assert result.outcome is Outcome.PASSWORD_EXPIRED
    assert signin.change_expired_password(
        db, runtime, account=ACCOUNT, user_name="alice", old_password=PASSWORD, new_password="Another-one-3"
    ).outcome is Outcome.PASSWORD_EXPIRED


def test_root_password_never_expires(db: Database, runtime: Runtime, clock: Clock, account: str) -> None:
    set_policy(db, max_password_age=1, hard_expiry=True)
    clock.advance(days=400)
    assert sign_in(db, runtime, account=ACCOUNT, user_name=None, password="root-Secret-9").signed_in
    login_profiles.set_root_password(db, runtime, ACCOUNT, "other-Root-8")
    assert sign_in(db, runtime, account=ACCOUNT, user_name=None, password="other-Root-8").signed_in


def add_mfa_device(db: Database, box: SecretBox, runtime: Runtime, user_id: str) -> str:
    serial = f"arn:aws:iam::{ACCOUNT}:mfa/alice-phone"
    seed = totp.new_seed(runtime.random_bytes)
    with db.transaction() as unit:
        unit.mfa.add(
            MfaDeviceRecord(
                serial_number=serial, account_id=ACCOUNT, name="alice-phone", path="/", kind=mfa.VIRTUAL,
                seed_sealed=mfa.seal_seed(box, serial, seed), created_at=runtime.now(), user_id=user_id,
                enabled_at=runtime.now(),
            )
        )
    return seed


def test_mfa_code_is_required_and_checked(db: Database, box: SecretBox, runtime: Runtime, clock: Clock,
                                          account: str) -> None:
    user_id = add_user(db, runtime)
    seed = add_mfa_device(db, box, runtime, user_id)
    first = sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD, box=box)
    assert first.outcome is Outcome.MFA_REQUIRED
    code = totp.code_at(seed, totp.time_step(clock.now))
    wrong = next(c for c in ("123456", "654321") if c != code)
    assert sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD, mfa_code=wrong,
                   box=box) == signin.FAILED
    assert sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD, mfa_code=code,
                   box=box).signed_in
    # A code is accepted once only.
    assert not sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD, mfa_code=code,
                       box=box).signed_in
    # A wrong password with a good code still fails.
    clock.advance(seconds=30)
    code = totp.code_at(seed, totp.time_step(clock.now))
    assert not sign_in(db, runtime, account=ACCOUNT, user_name="alice", password="bad", mfa_code=code,
                       box=box).signed_in


def test_locked_profiles_cost_a_hash_verification(
    db: Database, runtime: Runtime, account: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_user(db, runtime)
    for _ in range(5):
        sign_in(db, runtime, account=ACCOUNT, user_name="alice", password="bad")
    calls = counting_verifications(monkeypatch)
    assert sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD) == signin.FAILED
    assert len(calls) == 1


def test_reuse_prevention_remembers_the_last_n_passwords(db: Database, runtime: Runtime, clock: Clock,
                                                         account: str) -> None:
    set_policy(db, password_reuse_prevention=2)
    user_id = add_user(db, runtime, password="first-1")
    with db.reading() as unit:
        user = unit.users.get(user_id)
    assert user is not None

    def change(old: str, new: str) -> None:
        clock.advance(minutes=1)
        login_profiles.change_user_password(db, runtime, user, old, new)

    # The profile was created before the policy: its current password still counts.
    with pytest.raises(PasswordPolicyViolation, match="not be reused"):
        change("first-1", "first-1")
    change("first-1", "second-2")
    with pytest.raises(PasswordPolicyViolation, match="not be reused"):
        change("second-2", "first-1")
    change("second-2", "third-3")
    change("third-3", "first-1")  # two passwords later, the first is allowed again
    with db.reading() as unit:
        assert len(unit.passwords.history(user_id, 24)) == 2  # only the last two hashes are kept
        assert all(h.startswith("$argon2id$") for h in unit.passwords.history(user_id, 24))


def test_wrong_old_password_counts_towards_the_lockout(db: Database, runtime: Runtime, account: str) -> None:
    from iamd.protocol.errors import AccessDenied

    user_id = add_user(db, runtime)
    with db.reading() as unit:
        user = unit.users.get(user_id)
    assert user is not None
    for _ in range(5):
        with pytest.raises(AccessDenied, match="The old password was incorrect."):
            login_profiles.change_user_password(db, runtime, user, "bad", "Whatever-new-1")
    # Locked: even the right old password is refused, with the same answer.
    with pytest.raises(AccessDenied, match="The old password was incorrect."):
        login_profiles.change_user_password(db, runtime, user, PASSWORD, "Whatever-new-1")
    assert not sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD).signed_in


def test_get_user_shows_when_the_password_was_last_used(db: Database, box: SecretBox, runtime: Runtime,
                                                        account: str) -> None:
    from iamd.services.caller import Caller
    from iamd.services.iam import users
    from iamd.services.operations import OperationContext

    add_user(db, runtime)
    root = Caller(kind="Account", account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:root", user_id=ACCOUNT,
                  access_key_id="AKIAEXAMPLE")
    context = OperationContext(caller=root, db=db, box=box, runtime=runtime, request_id="r")
    output = users.get_user(context, {"UserName": "alice"})
    assert output is not None and "PasswordLastUsed" not in output["User"]
    sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD)
    output = users.get_user(context, {"UserName": "alice"})
    assert output is not None and output["User"]["PasswordLastUsed"] == START


class _Sink:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def submit(self, item: Any) -> None:
        self.events.append(item)


def test_every_attempt_with_a_known_account_is_a_console_login_event(
    db: Database, runtime: Runtime, account: str
) -> None:
    add_user(db, runtime)
    sink = _Sink()
    ok = signin.sign_in(db, runtime, account=ACCOUNT, user_name="alice", password=PASSWORD,
                        audit_sink=sink, source_ip="198.51.100.7", user_agent="browser")
    assert ok.outcome is signin.Outcome.SUCCESS
    signin.sign_in(db, runtime, account=ACCOUNT, user_name="alice", password="wrong-Passw0rd!", audit_sink=sink)
    signin.sign_in(db, runtime, account="acme", user_name=None, password="root-Secret-9", audit_sink=sink)
    signin.sign_in(db, runtime, account="000000000000", user_name="alice", password=PASSWORD, audit_sink=sink)
    assert [(e.user_name, e.success) for e in sink.events] == [("alice", True), ("alice", False), (None, True)]
    first, failed, root = sink.events
    assert first.arn == f"arn:aws:iam::{ACCOUNT}:user/alice" and first.source_ip == "198.51.100.7"
    assert failed.error_message == "Failed authentication"
    assert root.arn == f"arn:aws:iam::{ACCOUNT}:root"
    for event in sink.events:
        assert PASSWORD not in repr(vars(event) if hasattr(event, "__dict__") else event)
