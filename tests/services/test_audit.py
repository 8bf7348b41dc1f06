"""CloudTrail records, redaction, last-used data and the batching writer."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from iamd.server.audit_writer import AuditWriter, DisabledAudit
from iamd.server.state import service_model
from iamd.services import audit
from iamd.services.caller import Caller
from iamd.services.sessions import Session
from iamd.store import Database
from iamd.store.audit import EventFilter, ServiceAccess

NOW = datetime(2026, 3, 4, 15, 6, 7, 123456, tzinfo=UTC)
ACCOUNT = "111122223333"
ROOT = Caller(kind="Account", account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:root", user_id=ACCOUNT,
              access_key_id="AKIAROOT000000000001")
BOB = Caller(kind="User", account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:user/eng/bob", user_id="AIDABOB",
             access_key_id="AKIABOB0000000000001", user_name="bob", entity_id="AIDABOB")


def role_session(**extra: Any) -> Caller:
    session = Session(kind="AssumedRole", account_id=ACCOUNT, access_key_id="ASIAROLE000000000001",
                      secret_access_key="secret", issued_at=int(NOW.timestamp()), expires_at=int(NOW.timestamp()) + 900,
                      role_id="AROAOPS", role_name="ops", role_path="/", session_name="s1",
                      source_identity="who", mfa_authenticated=True, **extra)
    return Caller(kind="AssumedRole", account_id=ACCOUNT, arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/s1",
                  user_id="AROAOPS:s1", access_key_id="ASIAROLE000000000001", entity_id="AROAOPS",
                  session_token="token", session=session, principal_arn=f"arn:aws:iam::{ACCOUNT}:role/ops")


def federated() -> Caller:
    session = Session(kind="FederatedUser", account_id=ACCOUNT, access_key_id="ASIAFED0000000000001",
                      secret_access_key="secret", issued_at=int(NOW.timestamp()), expires_at=int(NOW.timestamp()) + 900,
                      user_id="AIDABOB", user_name="bob", user_path="/eng/", federated_name="fed")
    return Caller(kind="FederatedUser", account_id=ACCOUNT, arn=f"arn:aws:sts::{ACCOUNT}:federated-user/fed",
                  user_id=f"{ACCOUNT}:fed", access_key_id="ASIAFED0000000000001", entity_id="AIDABOB",
                  session=session)


def call(action: str = "GetUser", service: str = "iam", caller: Caller | None = BOB, *,
         params: dict[str, Any] | None = None, output: dict[str, Any] | None = None,
         error: tuple[str, str] | None = None, claimed: Caller | None = None, when: datetime = NOW) -> audit.ApiCall:
    return audit.ApiCall(when, "req-1", service, action, "eu-west-1", "10.0.0.1", "agent/1", caller, claimed,
                         caller.access_key_id if caller else None, params, output,
                         error[0] if error else None, error[1] if error else None)


def record(item: audit.ApiCall) -> dict[str, Any]:
    built = audit.api_record(item, "event-1", service_model)
    assert built is not None
    return built


# -- records ----------------------------------------------------------------------------------

def test_iam_user_read() -> None:
    built = record(call(params={"UserName": "bob"}, output={"User": {"UserName": "bob"}}))
    assert built["userIdentity"] == {
        "type": "IAMUser", "principalId": "AIDABOB", "arn": BOB.arn, "accountId": ACCOUNT,
        "accessKeyId": "AKIABOB0000000000001", "userName": "bob",
    }
    assert built["eventTime"] == "2026-03-04T15:06:07Z"
    assert built["eventSource"] == "iam.amazonaws.com" and built["awsRegion"] == "eu-west-1"
    assert built["requestParameters"] == {"userName": "bob"}
    assert built["responseElements"] is None
    assert built["readOnly"] is True and built["eventVersion"] == "1.08"
    assert list(built)[-7:] == ["requestID", "eventID", "readOnly", "eventType", "managementEvent",
                                "recipientAccountId", "eventCategory"]


def test_secrets_are_hidden_by_model_and_by_name() -> None:
    created = record(call("CreateAccessKey", caller=ROOT, params={"UserName": "bob"}, output={
        "AccessKey": {"UserName": "bob", "AccessKeyId": "AKIANEW", "Status": "Active",
                      "SecretAccessKey": "s3cr3t", "CreateDate": NOW},
    }))
    assert created["responseElements"] == {"accessKey": {
        "userName": "bob", "accessKeyId": "AKIANEW", "status": "Active",
        "secretAccessKey": audit.HIDDEN, "createDate": "Mar 4, 2026 3:06:07 PM",
    }}
    login = record(call("CreateLoginProfile", caller=ROOT, params={"UserName": "bob", "Password": "pw!"}))
    assert login["requestParameters"] == {"userName": "bob", "password": audit.HIDDEN}
    mfa = record(call("EnableMFADevice", caller=ROOT, params={
        "UserName": "bob", "SerialNumber": "arn:mfa", "AuthenticationCode1": "123456", "AuthenticationCode2": "654321",
    }))
    assert mfa["requestParameters"]["authenticationCode1"] == audit.HIDDEN
    assert mfa["requestParameters"]["authenticationCode2"] == audit.HIDDEN
    assumed = record(call("AssumeRole", "sts", BOB, params={"RoleArn": "arn:r", "RoleSessionName": "s"}, output={
        "Credentials": {"AccessKeyId": "ASIAX", "SecretAccessKey": "k", "SessionToken": "tok", "Expiration": NOW},
    }))
    assert assumed["readOnly"] is True
    assert assumed["responseElements"]["credentials"] == {
        "accessKeyId": "ASIAX", "secretAccessKey": audit.HIDDEN, "sessionToken": audit.HIDDEN,
        "expiration": "Mar 4, 2026, 3:06:07 PM",
    }
    text = json.dumps([created, login, mfa, assumed])
    for secret in ("s3cr3t", "pw!", "123456", "654321", '"tok"', '"k"'):
        assert secret not in text


def test_members_the_model_does_not_know_are_dropped() -> None:
    built = record(call(params={"UserName": "bob", "Sneaky": "x"}))
    assert built["requestParameters"] == {"userName": "bob"}


def test_denied_and_failed_authentication() -> None:
    denied = record(call("ListRoles", error=("AccessDenied", "User: bob is not authorized")))
    assert denied["errorCode"] == "AccessDenied" and denied["errorMessage"] == "User: bob is not authorized"
    failed = record(call("ListRoles", caller=None, claimed=BOB, error=("SignatureDoesNotMatch", "bad")))
    assert failed["userIdentity"]["userName"] == "bob" and failed["errorCode"] == "SignatureDoesNotMatch"
    assert audit.api_record(call(caller=None), "e", service_model) is None
    assert audit.api_record(call(action=""), "e", service_model) is None


def test_role_session_identity() -> None:
    identity = record(call("ListUsers", caller=role_session()))["userIdentity"]
    assert identity == {
        "type": "AssumedRole", "principalId": "AROAOPS:s1", "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/s1",
        "accountId": ACCOUNT, "accessKeyId": "ASIAROLE000000000001",
        "sessionContext": {
            "sessionIssuer": {"type": "Role", "principalId": "AROAOPS", "arn": f"arn:aws:iam::{ACCOUNT}:role/ops",
                              "accountId": ACCOUNT, "userName": "ops"},
            "attributes": {"creationDate": "2026-03-04T15:06:07Z", "mfaAuthenticated": "true"},
            "sourceIdentity": "who",
        },
    }
    assert audit.lookup_user_name(role_session()) == "s1"


def test_federated_user_identity() -> None:
    identity = record(call("GetCallerIdentity", "sts", federated()))["userIdentity"]
    assert identity["type"] == "FederatedUser" and identity["principalId"] == f"{ACCOUNT}:fed"
    assert identity["sessionContext"]["sessionIssuer"] == {
        "type": "IAMUser", "principalId": "AIDABOB", "arn": f"arn:aws:iam::{ACCOUNT}:user/eng/bob",
        "accountId": ACCOUNT, "userName": "bob",
    }
    assert audit.lookup_user_name(federated()) == "fed"


def test_console_sign_in_records() -> None:
    event = audit.SignIn(when=NOW, account_id=ACCOUNT, arn=BOB.arn, principal_id="AIDABOB", user_name="bob",
                         success=False, mfa_used=False, source_ip="10.0.0.2", user_agent="browser",
                         login_to="https://console")
    built = audit.signin_record(event, "e1")
    assert built["eventName"] == "ConsoleLogin" and built["eventSource"] == "signin.amazonaws.com"
    assert built["eventType"] == "AwsConsoleSignIn" and built["errorMessage"] == "Failed authentication"
    assert built["responseElements"] == {"ConsoleLogin": "Failure"}
    assert built["additionalEventData"] == {"MobileVersion": "No", "MFAUsed": "No", "LoginTo": "https://console"}
    assert built["userIdentity"]["type"] == "IAMUser" and "accessKeyId" not in built["userIdentity"]
    root = audit.signin_row(audit.SignIn(when=NOW, account_id=ACCOUNT, arn=ROOT.arn, principal_id=ACCOUNT,
                                         user_name=None, success=True, mfa_used=True, source_ip="1.2.3.4",
                                         user_agent="b"), "e2")
    assert root.user_name == "root" and root.error_code is None
    assert json.loads(root.record)["responseElements"] == {"ConsoleLogin": "Success"}


def test_record_signin_submits_to_the_sink() -> None:
    got: list[Any] = []

    class Sink:
        def submit(self, item: Any) -> None:
            got.append(item)

    audit.record_signin(Sink(), when=NOW, account_id=ACCOUNT, arn=BOB.arn, principal_id="AIDABOB",
                        user_name="bob", success=True, mfa_used=False, source_ip="1.1.1.1", user_agent="b",
                        error_message="ignored on success")
    audit.record_signin(None, when=NOW, account_id=ACCOUNT, arn=BOB.arn, principal_id="AIDABOB",
                        user_name="bob", success=True, mfa_used=False, source_ip="1.1.1.1", user_agent="b")
    assert len(got) == 1 and got[0].error_message is None


def test_read_only_classification() -> None:
    assert audit.is_read_only("iam", "ListUsers") and audit.is_read_only("iam", "GetUser")
    assert not audit.is_read_only("iam", "CreateUser") and not audit.is_read_only("iam", "GenerateCredentialReport")
    assert audit.is_read_only("sts", "AssumeRole") and audit.is_read_only("cloudtrail", "LookupEvents")


def test_usage_from_calls() -> None:
    usage = audit.Usage()
    usage.add(call("ListUsers"), known_operation=True)
    usage.add(call("ListUsers", caller=role_session()), known_operation=True)
    usage.add(call("ListUsers", caller=ROOT), known_operation=True)
    usage.add(call("ListUsers", caller=None, claimed=BOB), known_operation=True)
    usage.add(call("GetCallerIdentity", "sts", federated()), known_operation=True)
    assert set(usage.keys) == {"AKIABOB0000000000001", "AKIAROOT000000000001"}
    assert usage.keys["AKIABOB0000000000001"] == (NOW, "eu-west-1", "iam")
    assert usage.roles == {"AROAOPS": (NOW, "eu-west-1")}
    entities = {(key[1], key[2], key[3]) for key in usage.services}
    bob_arn, role_arn = f"arn:aws:iam::{ACCOUNT}:user/eng/bob", f"arn:aws:iam::{ACCOUNT}:role/ops"
    assert entities == {(bob_arn, "iam", ""), (bob_arn, "iam", "ListUsers"), (role_arn, "iam", ""),
                        (role_arn, "iam", "ListUsers"), (bob_arn, "sts", ""), (bob_arn, "sts", "GetCallerIdentity")}
    role_row = usage.services[(ACCOUNT, role_arn, "iam", "ListUsers")]
    assert role_row.authenticated_entity == f"arn:aws:sts::{ACCOUNT}:assumed-role/ops/s1"


def test_advisor_arns_are_stored_in_the_aws_partition() -> None:
    china = Caller(kind="User", account_id=ACCOUNT, arn=f"arn:aws-cn:iam::{ACCOUNT}:user/bob", user_id="AIDABOB",
                   access_key_id="AKIABOB0000000000001", partition="aws-cn", user_name="bob")
    assert audit.advisor_entity(china) == f"arn:aws:iam::{ACCOUNT}:user/bob"
    assert audit.advisor_entity(ROOT) is None


# -- the writer, against both backends ----------------------------------------------------------



def counting_bytes() -> Any:
    counter = count(1)
    return lambda size: next(counter).to_bytes(size, "big")


def test_writer_batches_flushes_and_closes(db: Database) -> None:
    writer = AuditWriter(db, counting_bytes(), service_model, batch_size=50, flush_interval=0.01)
    for number in range(120):
        writer.submit(call("GetUser", params={"UserName": f"u{number}"}, when=NOW + timedelta(seconds=number)))
    writer.submit(audit.SignIn(when=NOW, account_id=ACCOUNT, arn=BOB.arn, principal_id="AIDABOB", user_name="bob",
                               success=True, mfa_used=False, source_ip="1.1.1.1", user_agent="b"))
    writer.submit(call(caller=None))  # no account: not stored
    assert writer.flush()
    with db.reading() as unit:
        rows = unit.audit.find(EventFilter(account_id=ACCOUNT), limit=500)
        assert len(rows) == 121
        assert rows[0].event_name == "ConsoleLogin"
        newest_call = rows[1]
        assert json.loads(newest_call.record)["requestParameters"] == {"userName": "u119"}
        assert unit.audit.find(EventFilter(account_id=ACCOUNT, column="user_name", value="bob"), limit=500)
        accesses = unit.audit.service_accesses(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/eng/bob")
    # Within one batch the newest use wins; later batches within the grain write nothing.
    assert {(a.service_namespace, a.action_name) for a in accesses} == {("iam", ""), ("iam", "GetUser")}
    writer.submit(call("ListUsers", when=NOW + timedelta(hours=1)))
    writer.close()
    writer.submit(call("ListUsers"))  # after close: ignored, never raises
    with db.reading() as unit:
        assert len(unit.audit.find(EventFilter(account_id=ACCOUNT), limit=500)) == 122
        latest = {a.action_name: a for a in unit.audit.service_accesses(ACCOUNT, f"arn:aws:iam::{ACCOUNT}:user/eng/bob")}
    assert latest[""].last_authenticated == NOW + timedelta(hours=1)
    assert latest["ListUsers"].region == "eu-west-1"
    assert writer.flush() is False


def test_advisor_upsert_never_goes_back_in_time(db: Database) -> None:
    arn = f"arn:aws:iam::{ACCOUNT}:user/bob"
    newer = ServiceAccess(ACCOUNT, arn, "iam", "", NOW, "us-east-1", arn)
    older = ServiceAccess(ACCOUNT, arn, "iam", "", NOW - timedelta(days=1), "eu-west-1", arn)
    with db.transaction() as unit:
        unit.audit.record_service_access([newer])
    with db.transaction() as unit:
        unit.audit.record_service_access([older])
    with db.reading() as unit:
        (row,) = unit.audit.service_accesses(ACCOUNT, arn)
    assert row.last_authenticated == NOW and row.region == "us-east-1"


def test_a_bad_event_costs_only_itself(db: Database) -> None:
    same = lambda size: b"\x01" * size
    writer = AuditWriter(db, same, service_model, flush_interval=0.01)
    writer.submit(call("GetUser"))
    writer.submit(call("ListUsers"))
    assert writer.flush()
    writer.close()
    with db.reading() as unit:
        assert [row.event_name for row in unit.audit.find(EventFilter(account_id=ACCOUNT))] == ["GetUser"]
    assert writer.dropped == 1


def test_full_queue_drops_after_waiting(db: Database) -> None:
    writer = AuditWriter(db, counting_bytes(), service_model, max_pending=0, block_seconds=0.01)
    writer.submit(call("GetUser"))
    assert writer.dropped == 1
    writer.close()


def test_concurrent_submitters(db: Database) -> None:
    writer = AuditWriter(db, counting_bytes(), service_model, flush_interval=0.005)

    def work() -> None:
        for _ in range(50):
            writer.submit(call("GetUser"))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    writer.close()
    with db.reading() as unit:
        assert len(unit.audit.export(ACCOUNT, None, limit=1000)) == 200


def test_disabled_audit_accepts_and_discards() -> None:
    disabled = DisabledAudit()
    disabled.submit(call())
    assert disabled.flush() is True
    disabled.forget_recent()
    disabled.close()
