"""The credential report through boto3 and the AWS CLI."""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import json
import subprocess
import sys
import time
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.e2e.conftest import ACCOUNT_ID, RunningServer, error_of

HEADER = [
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
    "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
    "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active", "cert_1_last_rotated",
    "cert_2_active", "cert_2_last_rotated",
]


def report_rows(iam: Any) -> list[dict[str, str]]:
    report = iam.get_credential_report()
    assert report["ReportFormat"] == "text/csv"
    text = report["Content"].decode("utf-8")
    reader = csv.reader(io.StringIO(text))
    header = next(reader)
    assert header == HEADER
    return [dict(zip(header, row, strict=True)) for row in reader]


def parse_time(value: str) -> dt.datetime:
    assert value.endswith("+00:00") and "." not in value, value
    return dt.datetime.fromisoformat(value)


def test_get_before_any_report_is_report_not_present(iam: Any) -> None:
    code, status, _ = error_of(iam.get_credential_report)
    assert (code, status) == ("ReportNotPresent", 410)
    with pytest.raises(iam.exceptions.CredentialReportNotPresentException):
        iam.get_credential_report()


def test_generate_starts_then_completes(iam: Any) -> None:
    first = iam.generate_credential_report()
    assert first["State"] == "STARTED"
    assert first["Description"] == "No report exists. Starting a new report generation task"
    again = iam.generate_credential_report()
    assert again["State"] == "COMPLETE"
    assert "Description" not in again


def test_report_has_aws_columns_root_first_and_one_row_per_user(iam: Any) -> None:
    before = dt.datetime.now(dt.UTC).replace(microsecond=0)
    iam.create_user(UserName="bob", Path="/team/")
    iam.create_user(UserName="alice")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    second = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.update_access_key(UserName="alice", AccessKeyId=second["AccessKeyId"], Status="Inactive")
    iam.generate_credential_report()
    report = iam.get_credential_report()
    assert before - dt.timedelta(seconds=1) <= report["GeneratedTime"] <= dt.datetime.now(dt.UTC)
    rows = report_rows(iam)
    assert [row["user"] for row in rows] == ["<root_account>", "alice", "bob"]
    root, alice, bob = rows
    assert root["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert root["password_enabled"] == "not_supported"
    assert root["password_last_changed"] == "not_supported"
    assert root["password_next_rotation"] == "not_supported"
    # The test server's root user signs with a long-term access key.
    assert root["access_key_1_active"] == "true"
    parse_time(root["user_creation_time"])

    assert alice["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/alice"
    assert alice["password_enabled"] == "false"
    assert [alice[c] for c in ("password_last_used", "password_last_changed", "password_next_rotation")] == ["N/A"] * 3
    assert alice["mfa_active"] == "false"
    assert alice["access_key_1_active"] == "true"
    assert parse_time(alice["access_key_1_last_rotated"]) == key["CreateDate"].replace(microsecond=0)
    assert alice["access_key_2_active"] == "false"
    parse_time(alice["access_key_2_last_rotated"])
    assert [alice["cert_1_active"], alice["cert_1_last_rotated"]] == ["false", "N/A"]

    assert bob["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/team/bob"
    assert parse_time(bob["user_creation_time"]) >= before
    assert bob["access_key_1_active"] == "false"
    assert [bob[c] for c in HEADER[9:13]] == ["N/A"] * 4


def test_access_key_last_use_is_in_the_report(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="carol")
    iam.put_user_policy(
        UserName="carol", PolicyName="read",
        PolicyDocument=json.dumps({"Version": "2012-10-17",
                                   "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}),
    )
    key = iam.create_access_key(UserName="carol")["AccessKey"]
    carol = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"],
                          region="eu-west-1")
    carol.get_user()
    # The use is recorded in the background; a report generated before it lands misses it.
    deadline = time.monotonic() + 10
    while iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"].get(
            "LastUsedDate") is None and time.monotonic() < deadline:
        time.sleep(0.1)
    iam.generate_credential_report()
    row = next(r for r in report_rows(iam) if r["user"] == "carol")
    parse_time(row["access_key_1_last_used_date"])
    assert row["access_key_1_last_used_region"] == "eu-west-1"
    assert row["access_key_1_last_used_service"] == "iam"


def test_a_recent_report_is_reused(iam: Any) -> None:
    iam.generate_credential_report()
    iam.create_user(UserName="late")
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    assert [row["user"] for row in report_rows(iam)] == ["<root_account>"]


def certificate() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "iamd credential report")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name).public_key(key.public_key()).serial_number(4242)
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def test_signing_certificates_are_in_the_report(iam: Any) -> None:
    iam.create_user(UserName="dave")
    iam.upload_signing_certificate(UserName="dave", CertificateBody=certificate())
    iam.generate_credential_report()
    row = next(r for r in report_rows(iam) if r["user"] == "dave")
    assert row["cert_1_active"] == "true"
    parse_time(row["cert_1_last_rotated"])
    assert [row["cert_2_active"], row["cert_2_last_rotated"]] == ["false", "N/A"]


def test_an_account_sees_only_its_own_report(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="alice")
    iam.generate_credential_report()
    status, other = server.admin("POST", "/_iamd/accounts", {})
    assert status in (200, 201)
    other_iam = server.client("iam", access_key_id=other["access_key_id"],
                              secret_access_key=other["secret_access_key"])
    code, _, _ = error_of(other_iam.get_credential_report)
    assert code == "ReportNotPresent"
    assert other_iam.generate_credential_report()["State"] == "STARTED"
    rows = report_rows(other_iam)
    assert [row["user"] for row in rows] == ["<root_account>"]
    assert rows[0]["arn"] == f"arn:aws:iam::{other['account_id']}:root"


def test_iam_users_need_permission(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="auditor")
    key = iam.create_access_key(UserName="auditor")["AccessKey"]
    auditor = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    code, status, _ = error_of(auditor.generate_credential_report)
    assert (code, status) == ("AccessDenied", 403)
    iam.put_user_policy(
        UserName="auditor", PolicyName="report",
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": ["iam:GenerateCredentialReport", "iam:GetCredentialReport"],
             "Resource": "*"}]}),
    )
    assert auditor.generate_credential_report()["State"] == "STARTED"
    assert [row["user"] for row in report_rows(auditor)] == ["<root_account>", "auditor"]


def test_aws_cli(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="erin")

    def cli(*args: str) -> Any:
        done = subprocess.run([sys.executable, "-m", "awscli", "iam", *args, "--output", "json"],
                              capture_output=True, text=True, env=server.cli_env(), timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert cli("generate-credential-report")["State"] == "STARTED"
    fetched = cli("get-credential-report")
    assert fetched["ReportFormat"] == "text/csv"
    text = base64.b64decode(fetched["Content"]).decode()
    assert text.splitlines()[0] == ",".join(HEADER)
    assert text.splitlines()[2].startswith(f"erin,arn:aws:iam::{ACCOUNT_ID}:user/erin,")
