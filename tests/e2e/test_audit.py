"""The audit trail end to end: what every call leaves behind, and what it must never hold.

Most tests use the shared ephemeral server and read the trail back with LookupEvents. The
secrets sweep and ``iamd audit export`` need the store itself, so they run on a server of
their own with a known store: a SQLite data directory, or a PostgreSQL schema.
"""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa
from botocore.exceptions import ClientError
from typer.testing import CliRunner

from iamd import cli
from tests.conftest import POSTGRES_URL, require_postgres
from tests.e2e.conftest import ACCOUNT_ID, RunningServer, start_server, stop_server
from tests.e2e.iam.test_server_certificates import ec_pair

ADMIN_TOKEN = "audit-test-admin-token"
TRUST = json.dumps({
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"},
                   "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"]}],
})


def allow(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17",
                       "Statement": [{"Effect": "Allow", "Action": list(actions), "Resource": "*"}]})


def lookup(server: RunningServer, key: str, value: str, **extra: Any) -> list[dict[str, Any]]:
    cloudtrail = server.client("cloudtrail")
    events = cloudtrail.lookup_events(LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}], **extra)
    return [dict(event, Record=json.loads(event["CloudTrailEvent"])) for event in events["Events"]]


def user_with_key(iam: Any, name: str, *actions: str) -> dict[str, Any]:
    iam.create_user(UserName=name)
    if actions:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=allow(*actions))
    key: dict[str, Any] = iam.create_access_key(UserName=name)["AccessKey"]
    return key


# -- the records ---------------------------------------------------------------------------

def test_allowed_call_is_recorded_in_cloudtrail_format(server: RunningServer, iam: Any) -> None:
    key = user_with_key(iam, "alice", "iam:GetUser")
    alice = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    alice.get_user(UserName="alice")
    (event,) = lookup(server, "Username", "alice")
    record = event["Record"]
    assert event["EventName"] == "GetUser" and event["ReadOnly"] == "true"
    assert event["AccessKeyId"] == key["AccessKeyId"] and event["EventSource"] == "iam.amazonaws.com"
    assert record["eventVersion"] == "1.08"
    assert record["userIdentity"] == {
        "type": "IAMUser", "principalId": record["userIdentity"]["principalId"],
        "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/alice", "accountId": ACCOUNT_ID,
        "accessKeyId": key["AccessKeyId"], "userName": "alice",
    }
    assert record["userIdentity"]["principalId"].startswith("AIDA")
    assert record["eventName"] == "GetUser" and record["eventSource"] == "iam.amazonaws.com"
    assert record["requestParameters"] == {"userName": "alice"}
    assert record["responseElements"] is None  # reads record no response
    assert record["readOnly"] is True and record["eventType"] == "AwsApiCall"
    assert record["managementEvent"] is True and record["eventCategory"] == "Management"
    assert record["recipientAccountId"] == ACCOUNT_ID and record["awsRegion"] == "us-east-1"
    assert record["sourceIPAddress"] == "127.0.0.1" and "Boto3" in record["userAgent"]
    assert record["eventID"] == event["EventId"] and len(record["requestID"]) == 36
    assert "errorCode" not in record
    assert datetime.strptime(record["eventTime"], "%Y-%m-%dT%H:%M:%SZ")


def test_write_records_request_and_response_elements(server: RunningServer, iam: Any) -> None:
    iam.create_user(UserName="carol", Path="/team/", Tags=[{"Key": "k", "Value": "v"}])
    (event,) = lookup(server, "EventName", "CreateUser")
    record = event["Record"]
    assert event["Username"] == "root" and record["userIdentity"]["type"] == "Root"
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:root"
    assert record["readOnly"] is False
    assert record["requestParameters"] == {"userName": "carol", "path": "/team/",
                                           "tags": [{"key": "k", "value": "v"}]}
    user = record["responseElements"]["user"]
    assert user["userName"] == "carol" and user["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/team/carol"
    assert user["createDate"].endswith(("AM", "PM"))
    assert {"ResourceType": "AWS::IAM::User", "ResourceName": "carol"} in event["Resources"]


def test_denied_call_is_recorded_with_access_denied(server: RunningServer, iam: Any) -> None:
    key = user_with_key(iam, "dave")
    dave = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    with pytest.raises(ClientError):
        dave.list_roles()
    (event,) = lookup(server, "Username", "dave")
    record = event["Record"]
    assert record["eventName"] == "ListRoles"
    assert record["errorCode"] == "AccessDenied"
    assert "is not authorized to perform: iam:ListRoles" in record["errorMessage"]


def test_authentication_failure_is_recorded_in_the_keys_account(server: RunningServer, iam: Any) -> None:
    key = user_with_key(iam, "erin")
    wrong = server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key="x" * 40)
    with pytest.raises(ClientError) as info:
        wrong.get_caller_identity()
    assert info.value.response["Error"]["Code"] == "SignatureDoesNotMatch"
    (event,) = lookup(server, "AccessKeyId", key["AccessKeyId"])
    record = event["Record"]
    assert record["eventName"] == "GetCallerIdentity" and record["eventSource"] == "sts.amazonaws.com"
    assert record["errorCode"] == "SignatureDoesNotMatch"
    assert record["userIdentity"]["userName"] == "erin"
    # No use is recorded for a request that did not authenticate.
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert "LastUsedDate" not in last


def test_unknown_key_is_not_recorded_anywhere(server: RunningServer) -> None:
    unknown = server.client("sts", access_key_id="AKIAUNKNOWNKEY000000", secret_access_key="x" * 40)
    with pytest.raises(ClientError):
        unknown.get_caller_identity()
    assert lookup(server, "AccessKeyId", "AKIAUNKNOWNKEY000000") == []


def test_role_session_identity_and_role_last_used(server: RunningServer, iam: Any) -> None:
    iam.create_role(RoleName="ops", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="ops", PolicyName="p", PolicyDocument=allow("iam:ListUsers"))
    key = user_with_key(iam, "assumer", "sts:AssumeRole", "sts:SetSourceIdentity")
    assumer = server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    credentials = assumer.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/ops", RoleSessionName="s1",
                                      SourceIdentity="admin-x")["Credentials"]
    session = server.client("iam", access_key_id=credentials["AccessKeyId"],
                            secret_access_key=credentials["SecretAccessKey"],
                            session_token=credentials["SessionToken"])
    session.list_users()
    (event,) = lookup(server, "Username", "s1")
    identity = event["Record"]["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/ops/s1"
    assert identity["principalId"].startswith("AROA") and identity["principalId"].endswith(":s1")
    assert identity["accessKeyId"] == credentials["AccessKeyId"]
    context = identity["sessionContext"]
    assert context["sessionIssuer"]["type"] == "Role"
    assert context["sessionIssuer"]["arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/ops"
    assert context["sessionIssuer"]["userName"] == "ops"
    assert context["attributes"]["mfaAuthenticated"] == "false"
    assert context["attributes"]["creationDate"].endswith("Z")
    assert context["sourceIdentity"] == "admin-x"
    (assume,) = lookup(server, "EventName", "AssumeRole")
    credentials_element = assume["Record"]["responseElements"]["credentials"]
    assert credentials_element["accessKeyId"] == credentials["AccessKeyId"]
    assert credentials_element["sessionToken"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    role = iam.get_role(RoleName="ops")["Role"]
    assert role["RoleLastUsed"]["Region"] == "us-east-1"
    assert role["RoleLastUsed"]["LastUsedDate"] >= datetime.now(UTC) - timedelta(minutes=5)


def test_access_key_last_used_comes_from_the_trail(server: RunningServer, iam: Any) -> None:
    key = user_with_key(iam, "frank")
    frank = server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"],
                          region="eu-west-1")
    frank.get_caller_identity()
    server.client("cloudtrail").lookup_events(MaxResults=1)  # flushes the writer
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert last["ServiceName"] == "sts" and last["Region"] == "eu-west-1"
    assert last["LastUsedDate"] >= datetime.now(UTC) - timedelta(minutes=5)


# -- a server whose store the tests can read -------------------------------------------------

class StoredServer:
    def __init__(self, server: RunningServer, store_args: list[str], engine: sa.Engine) -> None:
        self.server = server
        self.store_args = store_args
        self.engine = engine

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            return [dict(row) for row in connection.execute(sa.text(f"SELECT * FROM {table}")).mappings()]

    def export(self, *args: str) -> tuple[int, str, str]:
        """``iamd audit export`` run in this process (exit code, stdout, stderr)."""
        result = CliRunner().invoke(cli.app, ["audit", "export", *self.store_args, *args])
        return result.exit_code, result.stdout, result.stderr

    def create_account(self) -> dict[str, Any]:
        request = urllib.request.Request(
            self.server.endpoint + "/_iamd/accounts", data=b"{}", method="POST",
            headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            created: dict[str, Any] = json.loads(response.read())
        return created


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def stored(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoredServer]:
    if request.param == "sqlite":
        data_dir: Path = tmp_path_factory.mktemp("audit-store")
        args = ["--data-dir", str(data_dir)]
        engine = sa.create_engine(f"sqlite:///{data_dir / 'iamd.sqlite3'}")
        server = start_server(args, {"IAMD_ADMIN_TOKEN": ADMIN_TOKEN})
        yield StoredServer(server, args, engine)
        stop_server(server)
        engine.dispose()
        return
    require_postgres()
    schema = "iamd_audit_" + uuid.uuid4().hex[:10]
    conninfo = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    # The master key goes to a data directory of the test's own, not ./iamd-data.
    args = ["--database-url", url, "--data-dir", str(tmp_path_factory.mktemp("audit-pg"))]
    server = start_server(args, {"IAMD_ADMIN_TOKEN": ADMIN_TOKEN}, backend="postgres")
    engine = sa.create_engine(url)
    try:
        yield StoredServer(server, args, engine)
    finally:
        stop_server(server)
        engine.dispose()
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_no_secret_is_ever_stored_in_the_trail(stored: StoredServer) -> None:
    server = stored.server
    iam = server.client("iam")
    name = "sec-" + uuid.uuid4().hex[:8]
    secrets: list[str] = []
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=allow("iam:*", "sts:*"))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    secrets.append(key["SecretAccessKey"])
    user = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    user.list_users()
    session = server.client("sts", access_key_id=key["AccessKeyId"],
                            secret_access_key=key["SecretAccessKey"]).get_session_token()["Credentials"]
    secrets += [session["SecretAccessKey"], session["SessionToken"]]
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName=name, PolicyName="p", PolicyDocument=allow("iam:*"))
    user_sts = server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])
    role = user_sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{name}", RoleSessionName="sess")["Credentials"]
    secrets += [role["SecretAccessKey"], role["SessionToken"]]
    server.client("iam", access_key_id=role["AccessKeyId"], secret_access_key=role["SecretAccessKey"],
                  session_token=role["SessionToken"]).list_roles()
    credential = iam.create_service_specific_credential(UserName=name, ServiceName="codecommit.amazonaws.com")
    secrets.append(credential["ServiceSpecificCredential"]["ServicePassword"])
    body, private_key = ec_pair()
    iam.upload_server_certificate(ServerCertificateName=name, CertificateBody=body, PrivateKey=private_key)
    secrets += [private_key, private_key.splitlines()[1]]
    password = "Pw-" + uuid.uuid4().hex + "!aA1"
    try:
        iam.create_login_profile(UserName=name, Password=password)
        secrets.append(password)
        new_password = "Pw-" + uuid.uuid4().hex + "!bB2"
        iam.update_login_profile(UserName=name, Password=new_password)
        secrets.append(new_password)
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NotImplemented":
            raise
    try:
        device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
        secrets.append(device["Base32StringSeed"].decode())
    except ClientError as exc:
        if exc.response["Error"]["Code"] != "NotImplemented":
            raise
    # A denied and a failed call that carry secrets in their input.
    wrong = server.client("iam", access_key_id=key["AccessKeyId"], secret_access_key="y" * 40)
    with pytest.raises(ClientError):
        wrong.create_login_profile(UserName=name, Password=password)
    events = server.client("cloudtrail").lookup_events(MaxResults=50)["Events"]  # flushes the writer
    assert len(events) >= 10
    rows = stored.rows("audit_events")
    assert len(rows) >= 12
    stored_text = "\n".join(json.dumps(row, default=str) for row in rows)
    # The real command, once, as an operator runs it.
    exported = subprocess.run(
        [sys.executable, "-m", "iamd.cli", "audit", "export", *stored.store_args],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert exported.returncode == 0, exported.stderr
    exported_ids = {json.loads(line)["eventID"] for line in exported.stdout.splitlines()}
    assert {row["event_id"] for row in rows} <= exported_ids
    for secret in secrets:
        assert secret not in stored_text
        assert secret not in exported.stdout
        assert not any(secret in event["CloudTrailEvent"] for event in events)
    assert "HIDDEN_DUE_TO_SECURITY_REASONS" in stored_text
    # Access advisor: the user's and the role's attempts, per service and per action.
    advisor = stored.rows("service_last_accessed")
    user_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{name}"
    mine = {(row["entity_arn"], row["service_namespace"], row["action_name"]) for row in advisor}
    assert {(user_arn, "iam", ""), (user_arn, "iam", "ListUsers"), (user_arn, "sts", ""),
            (user_arn, "sts", "GetSessionToken"), (role_arn, "iam", ""), (role_arn, "iam", "ListRoles")} <= mine
    role_row = next(row for row in advisor if row["entity_arn"] == role_arn and row["action_name"] == "ListRoles")
    assert role_row["authenticated_entity"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{name}/sess"
    assert role_row["region"] == "us-east-1"


def test_audit_export_filters_by_account_and_time(stored: StoredServer) -> None:
    server = stored.server
    other = stored.create_account()
    server.client("iam").list_roles()
    server.client("cloudtrail").lookup_events(MaxResults=1)
    before = datetime.now(UTC)
    server.client("iam").list_users()
    server.client("iam", access_key_id=other["access_key_id"],
                  secret_access_key=other["secret_access_key"]).list_groups()
    server.client("cloudtrail").lookup_events(MaxResults=1)
    code, everything, _ = stored.export()
    assert code == 0
    records = [json.loads(line) for line in everything.splitlines()]
    accounts = {record["recipientAccountId"] for record in records}
    assert {ACCOUNT_ID, other["account_id"]} <= accounts
    sequence = [record["eventTime"] for record in records]
    assert sequence == sorted(sequence)  # oldest first
    _, only_other, _ = stored.export("--account", other["account_id"])
    assert [json.loads(line)["eventName"] for line in only_other.splitlines()] == ["ListGroups"]
    _, recent, _ = stored.export("--account", ACCOUNT_ID, "--since", before.isoformat())
    names = [json.loads(line)["eventName"] for line in recent.splitlines()]
    assert names[:2] == ["ListUsers", "LookupEvents"] or names[:1] == ["ListUsers"]
    assert "ListRoles" not in names
    code, _, error = stored.export("--since", "yesterday")
    assert code == 2 and "ISO 8601" in error


def test_audit_export_without_a_store_fails_clearly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        cli.main(["audit", "export", "--data-dir", str(tmp_path / "none")])
    assert exited.value.code == 1 and "no iamd store" in capsys.readouterr().err
    assert not (tmp_path / "none").exists()


def test_last_used_data_is_visible_right_after_the_call(server: RunningServer, iam: Any) -> None:
    # No LookupEvents in between: the reads themselves wait for the audit writer (issue 11).
    iam.create_role(RoleName="fresh", AssumeRolePolicyDocument=TRUST)
    iam.put_role_policy(RoleName="fresh", PolicyName="p", PolicyDocument=allow("iam:ListUsers"))
    key = user_with_key(iam, "gina", "sts:AssumeRole")
    gina = server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"],
                         region="eu-west-1")
    credentials = gina.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/fresh",
                                   RoleSessionName="s1")["Credentials"]
    last = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
    assert (last["ServiceName"], last["Region"]) == ("sts", "eu-west-1")
    assert "LastUsedDate" in last
    session = server.client("iam", access_key_id=credentials["AccessKeyId"],
                            secret_access_key=credentials["SecretAccessKey"],
                            session_token=credentials["SessionToken"])
    session.list_users()
    role = iam.get_role(RoleName="fresh")["Role"]
    assert role["RoleLastUsed"]["Region"] == "us-east-1"
    assert "LastUsedDate" in role["RoleLastUsed"]
