"""The credential report's values and lifetime, at the service level, on both backends.

The stored state is written straight into the tables, so every column's value (passwords,
rotation, MFA, keys, certificates, their last use) is checked without the operations that
normally write them.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from iamd.protocol.errors import CredentialReportExpired, CredentialReportNotPresent
from iamd.services.caller import Caller
from iamd.services.crypto import SecretBox
from iamd.services.iam import credential_report
from iamd.services.operations import OperationContext
from iamd.services.runtime import Runtime
from iamd.store import Database, schema

ACCOUNT = "111122223333"
CREATED = datetime(2025, 6, 1, 8, 0, 0, tzinfo=UTC)
NOW = datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def db(db: Database) -> Database:
    """The shared empty store, with this module's accounts."""
    with db.transaction() as unit:
        unit.accounts.add(ACCOUNT, None, CREATED)
    return db


@pytest.fixture
def clock() -> Clock:
    return Clock()


def context_for(db: Database, clock: Clock, partition: str = "aws") -> OperationContext:
    return OperationContext(
        caller=Caller(kind="Account", account_id=ACCOUNT, arn=f"arn:{partition}:iam::{ACCOUNT}:root",
                      user_id=ACCOUNT, access_key_id="AKIAROOTKEY000000001", partition=partition),
        db=db, box=SecretBox(bytes(32)), runtime=Runtime(clock=clock), request_id="test",
    )


def insert(db: Database, table: Any, **values: Any) -> None:
    with db.transaction() as unit:
        unit.connection.execute(table.insert().values(**values))


def add_user(db: Database, user_id: str, name: str, created: datetime, path: str = "/",
             password_last_used: datetime | None = None) -> None:
    insert(db, schema.users, id=user_id, account_id=ACCOUNT, name=name, name_lower=name.lower(), path=path,
           created_at=created, password_last_used=password_last_used)


def add_key(db: Database, key_id: str, user_id: str | None, created: datetime, status: str = "Active",
            used: tuple[datetime, str, str] | None = None) -> None:
    insert(db, schema.access_keys, access_key_id=key_id, account_id=ACCOUNT, user_id=user_id,
           secret_sealed=b"sealed", status=status, created_at=created,
           last_used_at=used[0] if used else None, last_used_region=used[1] if used else None,
           last_used_service=used[2] if used else None)


def add_login_profile(db: Database, profile_id: str, user_id: str | None, changed: datetime,
                      last_used: datetime | None = None) -> None:
    insert(db, schema.login_profiles, id=profile_id, account_id=ACCOUNT, user_id=user_id, password_hash="x",
           password_reset_required=0, created_at=changed, password_changed_at=changed, failed_attempts=0,
           last_used_at=last_used)


def rows_of(output: dict[str, Any] | None) -> list[dict[str, str]]:
    assert output is not None
    reader = csv.reader(io.StringIO(output["Content"].decode("utf-8")))
    header = next(reader)
    assert tuple(header) == credential_report.HEADER
    return [dict(zip(header, row, strict=True)) for row in reader]


def generate_and_get(db: Database, clock: Clock) -> list[dict[str, str]]:
    context = context_for(db, clock)
    credential_report.generate_credential_report(context, {})
    return rows_of(credential_report.get_credential_report(context, {}))


def test_header_is_aws_exact() -> None:
    assert ",".join(credential_report.HEADER) == (
        "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,"
        "password_next_rotation,mfa_active,access_key_1_active,access_key_1_last_rotated,"
        "access_key_1_last_used_date,access_key_1_last_used_region,access_key_1_last_used_service,"
        "access_key_2_active,access_key_2_last_rotated,access_key_2_last_used_date,"
        "access_key_2_last_used_region,access_key_2_last_used_service,cert_1_active,cert_1_last_rotated,"
        "cert_2_active,cert_2_last_rotated"
    )


def test_root_row_of_a_bare_account(db: Database, clock: Clock) -> None:
    [root] = generate_and_get(db, clock)
    assert list(root.values()) == [
        "<root_account>", f"arn:aws:iam::{ACCOUNT}:root", "2025-06-01T08:00:00+00:00",
        "not_supported", "N/A", "not_supported", "not_supported", "false",
        "false", "N/A", "N/A", "N/A", "N/A",
        "false", "N/A", "N/A", "N/A", "N/A",
        "false", "N/A", "false", "N/A",
    ]


def test_root_credentials(db: Database, clock: Clock) -> None:
    add_login_profile(db, f"root-{ACCOUNT}", None, CREATED, last_used=datetime(2025, 12, 1, 1, 2, 3, tzinfo=UTC))
    insert(db, schema.mfa_devices, serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/root", account_id=ACCOUNT,
           name="root", path="/", kind="virtual", assigned_root=1, enabled_at=CREATED, created_at=CREATED)
    add_key(db, "AKIAROOTKEY000000001", None, CREATED, used=(datetime(2025, 12, 2, tzinfo=UTC), "us-east-1", "sts"))
    [root] = generate_and_get(db, clock)
    assert root["password_enabled"] == "not_supported"
    assert root["password_last_used"] == "2025-12-01T01:02:03+00:00"
    assert root["mfa_active"] == "true"
    assert [root[c] for c in credential_report.HEADER[8:13]] == [
        "true", "2025-06-01T08:00:00+00:00", "2025-12-02T00:00:00+00:00", "us-east-1", "sts",
    ]


def test_root_password_never_used_is_no_information(db: Database, clock: Clock) -> None:
    add_login_profile(db, f"root-{ACCOUNT}", None, CREATED)
    [root] = generate_and_get(db, clock)
    assert root["password_last_used"] == "no_information"


def test_user_rows(db: Database, clock: Clock) -> None:
    created = datetime(2025, 7, 1, 12, 30, 45, 999999, tzinfo=UTC)
    add_user(db, "AIDAALICE00000000001", "alice", created, password_last_used=datetime(2025, 11, 5, tzinfo=UTC))
    add_user(db, "AIDABOB0000000000001", "Bob", created, path="/eng/")
    add_user(db, "AIDACAROL00000000001", "carol", created)
    insert(db, schema.password_policies, account_id=ACCOUNT, minimum_length=8, require_symbols=0,
           require_numbers=0, require_uppercase=0, require_lowercase=0, allow_users_to_change=1,
           max_password_age=90)
    add_login_profile(db, "AIDAALICE00000000001", "AIDAALICE00000000001", datetime(2025, 10, 1, tzinfo=UTC),
                      last_used=datetime(2025, 11, 1, tzinfo=UTC))
    add_login_profile(db, "AIDACAROL00000000001", "AIDACAROL00000000001", datetime(2025, 10, 2, tzinfo=UTC))
    insert(db, schema.mfa_devices, serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/alice", account_id=ACCOUNT,
           name="alice", path="/", kind="virtual", user_id="AIDAALICE00000000001", assigned_root=0,
           enabled_at=CREATED, created_at=CREATED)
    # An unassigned virtual device makes no one's MFA active.
    insert(db, schema.mfa_devices, serial_number=f"arn:aws:iam::{ACCOUNT}:mfa/spare", account_id=ACCOUNT,
           name="spare", path="/", kind="virtual", assigned_root=0, created_at=CREATED)
    add_key(db, "AKIAALICE00000000002", "AIDAALICE00000000001", datetime(2025, 8, 2, tzinfo=UTC), status="Inactive")
    add_key(db, "AKIAALICE00000000001", "AIDAALICE00000000001", datetime(2025, 8, 1, tzinfo=UTC),
            used=(datetime(2025, 12, 24, 18, 0, 1, tzinfo=UTC), "eu-west-1", "s3"))
    for index, status in enumerate(("Active", "Inactive")):
        insert(db, schema.signing_certificates, id=f"CERT{index}", account_id=ACCOUNT, user_id="AIDABOB0000000000001",
               body="pem", status=status, uploaded_at=datetime(2025, 9, 1 + index, tzinfo=UTC))

    root, alice, bob, carol = generate_and_get(db, clock)
    assert root["user"] == "<root_account>"
    assert list(alice.values()) == [
        "alice", f"arn:aws:iam::{ACCOUNT}:user/alice", "2025-07-01T12:30:45+00:00",
        # The later of the two recorded sign-ins; rotation is due max_password_age days after the change.
        "true", "2025-11-05T00:00:00+00:00", "2025-10-01T00:00:00+00:00", "2025-12-30T00:00:00+00:00", "true",
        "true", "2025-08-01T00:00:00+00:00", "2025-12-24T18:00:01+00:00", "eu-west-1", "s3",
        "false", "2025-08-02T00:00:00+00:00", "N/A", "N/A", "N/A",
        "false", "N/A", "false", "N/A",
    ]
    assert list(bob.values()) == [
        "Bob", f"arn:aws:iam::{ACCOUNT}:user/eng/Bob", "2025-07-01T12:30:45+00:00",
        "false", "N/A", "N/A", "N/A", "false",
        "false", "N/A", "N/A", "N/A", "N/A",
        "false", "N/A", "N/A", "N/A", "N/A",
        "true", "2025-09-01T00:00:00+00:00", "false", "2025-09-02T00:00:00+00:00",
    ]
    assert [carol[c] for c in credential_report.HEADER[3:8]] == [
        "true", "no_information", "2025-10-02T00:00:00+00:00", "2025-12-31T00:00:00+00:00", "false",
    ]


def test_no_rotation_policy_means_no_next_rotation(db: Database, clock: Clock) -> None:
    add_user(db, "AIDAALICE00000000001", "alice", CREATED)
    add_login_profile(db, "AIDAALICE00000000001", "AIDAALICE00000000001", CREATED)
    _, alice = generate_and_get(db, clock)
    assert alice["password_next_rotation"] == "N/A"


def test_get_before_generate_is_report_not_present(db: Database, clock: Clock) -> None:
    with pytest.raises(CredentialReportNotPresent) as info:
        credential_report.get_credential_report(context_for(db, clock), {})
    assert (info.value.code, info.value.status) == ("ReportNotPresent", 410)


def test_lifetime_of_a_report(db: Database, clock: Clock) -> None:
    context = context_for(db, clock)
    assert credential_report.generate_credential_report(context, {}) == {
        "State": "STARTED", "Description": "No report exists. Starting a new report generation task",
    }
    generated = credential_report.get_credential_report(context, {})
    assert generated is not None and generated["GeneratedTime"] == NOW.replace(microsecond=0)
    add_user(db, "AIDAALICE00000000001", "alice", CREATED)
    clock.now = NOW + timedelta(hours=3, minutes=59)
    assert credential_report.generate_credential_report(context, {}) == {"State": "COMPLETE"}
    assert len(rows_of(credential_report.get_credential_report(context, {}))) == 1
    clock.now = NOW + timedelta(hours=4)
    with pytest.raises(CredentialReportExpired) as info:
        credential_report.get_credential_report(context, {})
    assert (info.value.code, info.value.status) == ("ReportExpired", 410)
    assert credential_report.generate_credential_report(context, {}) == {
        "State": "STARTED", "Description": "No report exists. Starting a new report generation task",
    }
    fresh = credential_report.get_credential_report(context, {})
    assert fresh is not None and fresh["GeneratedTime"] == clock.now.replace(microsecond=0)
    assert [row["user"] for row in rows_of(fresh)] == ["<root_account>", "alice"]


def test_arns_follow_the_callers_partition(db: Database, clock: Clock) -> None:
    add_user(db, "AIDAALICE00000000001", "alice", CREATED)
    credential_report.generate_credential_report(context_for(db, clock), {})
    root, alice = rows_of(credential_report.get_credential_report(context_for(db, clock, "aws-cn"), {}))
    assert root["arn"] == f"arn:aws-cn:iam::{ACCOUNT}:root"
    assert alice["arn"] == f"arn:aws-cn:iam::{ACCOUNT}:user/alice"


def test_names_that_need_quoting_still_parse(db: Database, clock: Clock) -> None:
    add_user(db, "AIDAALICE00000000001", "a,b", CREATED)
    _, user = generate_and_get(db, clock)
    assert user["user"] == "a,b"
    assert user["arn"] == f"arn:aws:iam::{ACCOUNT}:user/a,b"
    _, user = rows_of(credential_report.get_credential_report(context_for(db, clock, "aws-us-gov"), {}))
    assert user["arn"] == f"arn:aws-us-gov:iam::{ACCOUNT}:user/a,b"
