"""Role sessions that an AWS service starts for a workload: EC2 instances, ECS tasks.

EC2 delivers the role of an instance's instance profile to the instance, and ECS
delivers a task's role to the task, by assuming the role *as the service*: the principal
is the service principal (``ec2.amazonaws.com``, ``ecs-tasks.amazonaws.com``) and the
session name is the instance id or the task id, so that every call made with the
credentials shows ``arn:aws:sts::ACCOUNT:assumed-role/ROLE/i-...``.

The role's trust policy must allow that service principal ``sts:AssumeRole`` (an
explicit deny in it wins); a role that does not trust the service is never delivered.
For ECS the request carries ``aws:SourceAccount`` and ``aws:SourceArn`` (the task's
ARN), which AWS recommends task-role trust policies check against the confused-deputy
problem.

CloudTrail records each delivery as an ``AssumeRole`` event of the role's account whose
``userIdentity`` is ``{"type": "AWSService", "invokedBy": SERVICE}`` and whose source IP
address and user agent are the service's name; a refused delivery is recorded with
``errorCode`` ``AccessDenied``. Secrets are hidden as in every other STS event.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from iamd import policy
from iamd.protocol import load_service
from iamd.protocol.errors import AccessDenied, NoSuchEntity
from iamd.services import arns, audit, sessions
from iamd.services.crypto import SecretBox
from iamd.services.partitions import partition_for_region
from iamd.services.runtime import Runtime
from iamd.store import Database
from iamd.store.audit import AuditRow
from iamd.store.instance_profiles import InstanceProfileRecord
from iamd.store.roles import RoleRecord

EC2 = "ec2.amazonaws.com"
ECS_TASKS = "ecs-tasks.amazonaws.com"


class RoleNotTrusted(AccessDenied):
    """The role's trust policy does not let the service assume it."""


@dataclass(frozen=True)
class InstanceProfile:
    """An instance profile as EC2 sees it: its identity and the role it holds, if any."""

    record: InstanceProfileRecord
    arn: str
    role: RoleRecord | None


@dataclass(frozen=True)
class ServiceRoleSession:
    """Temporary credentials for a role, issued to a workload by a service."""

    role_arn: str
    assumed_role_arn: str
    session: sessions.Session
    session_token: str

    @property
    def access_key_id(self) -> str:
        return self.session.access_key_id

    @property
    def secret_access_key(self) -> str:
        return self.session.secret_access_key

    @property
    def expiration(self) -> datetime:
        return self.session.expiration

    @property
    def issued_at(self) -> datetime:
        return self.session.issue_time


def profile_reference(reference: str, account_id: str | None) -> tuple[str | None, str]:
    """(account, name) of an instance profile given by name or by ARN (whose account wins)."""
    if not reference.startswith("arn:"):
        return account_id, reference
    try:
        parsed = policy.parse_arn(reference)
    except ValueError:
        parsed = None
    if parsed is None or parsed.service != "iam" or not parsed.resource.startswith("instance-profile/"):
        raise NoSuchEntity(f"`{reference}` is not an instance profile ARN.")
    return parsed.account, parsed.resource.rsplit("/", 1)[-1]


def find_instance_profile(
    db: Database, reference: str, account_id: str | None, region: str = "us-east-1"
) -> InstanceProfile:
    """The instance profile named ``reference`` (a name or an instance-profile ARN).

    Without an account (given, or in the ARN), the profile is looked for in every account
    of the store and must exist in exactly one of them."""
    account_id, name = profile_reference(reference, account_id)
    with db.reading() as unit:
        if account_id is not None:
            candidates = [account_id]
        else:
            candidates = [account.id for account in unit.accounts.list()]
        found = [
            record for record in (unit.instance_profiles.get_by_name(acct, name) for acct in candidates)
            if record is not None
        ]
        if not found:
            where = f" in account `{account_id}`" if account_id else ""
            raise NoSuchEntity(f"Instance Profile {name} cannot be found{where}.")
        if len(found) > 1:
            raise NoSuchEntity(
                f"Instance Profile {name} exists in several accounts; name one with --account."
            )
        return _with_role(unit, found[0], region)


def instance_profile(db: Database, account_id: str, name: str, region: str = "us-east-1") -> InstanceProfile | None:
    """The account's instance profile of that name as it is now (None while there is none),
    with its role."""
    with db.reading() as unit:
        record = unit.instance_profiles.get_by_name(account_id, name)
        return _with_role(unit, record, region) if record is not None else None


def sole_account(db: Database) -> str:
    """The store's one account; raises ``NoSuchEntity`` when it has none or several."""
    with db.reading() as unit:
        found = unit.accounts.list()
    if len(found) != 1:
        raise NoSuchEntity("The store has several accounts (or none); name one with --account.")
    return found[0].id


def _with_role(unit: Any, record: InstanceProfileRecord, region: str) -> InstanceProfile:
    role_ids = unit.instance_profiles.role_ids([record.id])[record.id]
    role = unit.roles.get(role_ids[0]) if role_ids else None
    arn = arns.iam_arn(partition_for_region(region), record.account_id, "instance-profile", record.path, record.name)
    return InstanceProfile(record=record, arn=arn, role=role)


def start_session(
    db: Database,
    box: SecretBox,
    runtime: Runtime,
    *,
    account_id: str,
    role_name: str,
    service: str,
    session_name: str,
    seconds: int,
    region: str = "us-east-1",
    source_arn: str | None = None,
    record: bool = True,
) -> ServiceRoleSession:
    """Assume ``role_name`` as ``service`` for ``seconds``; raises ``RoleNotTrusted`` when the
    trust policy does not allow it, ``NoSuchEntity`` when the role is gone.

    With ``record``, the attempt is written to the audit trail (see the module docstring).
    """
    partition = partition_for_region(region)
    now = runtime.now()
    with db.reading() as unit:
        role = unit.roles.get_by_name(account_id, role_name)
    if role is None:
        raise NoSuchEntity(f"The role with name {role_name} cannot be found.")
    role_arn = arns.iam_arn(partition, account_id, "role", role.path, role.name)
    keys: dict[str, Any] = {
        "aws:CurrentTime": now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "aws:EpochTime": str(int(now.timestamp())),
        "aws:PrincipalServiceName": service,
        "aws:RequestedRegion": region,
        "aws:SecureTransport": True,
        "aws:ViaAWSService": False,
        "sts:RoleSessionName": session_name,
    }
    if source_arn is not None:
        keys["aws:SourceArn"] = source_arn
        keys["aws:SourceAccount"] = account_id
    trust = policy.parse(role.trust_policy, kind="trust", name=f"trust policy of {role.name}", max_size=None, strict=False)
    decision = policy.evaluate(
        policy.Request(action="sts:AssumeRole", resource=role_arn, principal=service, context=keys,
                       resource_account=account_id),
        resource_policy=trust,
    )
    params = {"RoleArn": role_arn, "RoleSessionName": session_name, "DurationSeconds": seconds}
    if not decision.allowed:
        refused = RoleNotTrusted(
            f"User: {service} is not authorized to perform: sts:AssumeRole on resource: {role_arn}"
        )
        if record:
            _record(db, runtime, now, account_id, service, region, params, None, refused)
        raise refused
    session = sessions.new_role_session(
        runtime, account_id, role.id, role.name, role.path, session_name,
        now, int((now + timedelta(seconds=seconds)).timestamp()),
    )
    issued = ServiceRoleSession(
        role_arn=role_arn,
        assumed_role_arn=arns.assumed_role_arn(partition, account_id, role.name, session_name),
        session=session,
        session_token=sessions.issue(box, session),
    )
    if record:
        output = {
            "Credentials": {
                "AccessKeyId": session.access_key_id, "SecretAccessKey": session.secret_access_key,
                "SessionToken": issued.session_token,
                "Expiration": session.expiration,
            },
            "AssumedRoleUser": {"AssumedRoleId": f"{role.id}:{session_name}", "Arn": issued.assumed_role_arn},
        }
        _record(db, runtime, now, account_id, service, region, params, output, None)
    return issued


def audit_record(
    *, event_id: str, request_id: str, when: datetime, account_id: str, service: str, region: str,
    params: dict[str, Any], output: dict[str, Any] | None, error: AccessDenied | None,
) -> dict[str, Any]:
    """The CloudTrail record of a service's AssumeRole call."""
    model = load_service("sts").model
    operation = model.operation_model("AssumeRole")
    record: dict[str, Any] = {
        "eventVersion": audit.EVENT_VERSION,
        "userIdentity": {"type": "AWSService", "invokedBy": service},
        "eventTime": audit.iso(when),
        "eventSource": audit.EVENT_SOURCES["sts"],
        "eventName": "AssumeRole",
        "awsRegion": region,
        "sourceIPAddress": service,
        "userAgent": service,
    }
    if error is not None:
        record["errorCode"] = error.code
        record["errorMessage"] = error.message
    record["requestParameters"] = audit.redact(params, operation.input_shape, "sts")
    record["responseElements"] = (
        audit.redact(output, operation.output_shape, "sts") if output is not None else None
    )
    record.update({
        "requestID": request_id,
        "eventID": event_id,
        "readOnly": True,
        "resources": [{"accountId": account_id, "type": "AWS::IAM::Role", "ARN": params["RoleArn"]}],
        "eventType": "AwsApiCall",
        "managementEvent": True,
        "recipientAccountId": account_id,
        "eventCategory": "Management",
    })
    return record


def _uuid(runtime: Runtime) -> str:
    h = runtime.random_bytes(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:32]}"


def _record(
    db: Database, runtime: Runtime, when: datetime, account_id: str, service: str, region: str,
    params: dict[str, Any], output: dict[str, Any] | None, error: AccessDenied | None,
) -> None:
    event_id = _uuid(runtime)
    record = audit_record(
        event_id=event_id, request_id=_uuid(runtime), when=when, account_id=account_id, service=service,
        region=region, params=params, output=output, error=error,
    )
    row = AuditRow(
        event_id=event_id,
        account_id=account_id,
        event_time=when,
        event_source=record["eventSource"],
        event_name="AssumeRole",
        user_name=None,
        principal_arn=service,
        access_key_id=None,
        read_only=True,
        error_code=error.code if error is not None else None,
        record=json.dumps(record, separators=(",", ":")),
    )
    with db.transaction() as unit:
        unit.audit.append([row])


def find_role_account(db: Database, role_name: str, account_id: str | None) -> str:
    """The account holding the role named ``role_name``: ``account_id`` when given, else
    the one account of the store that has such a role."""
    with db.reading() as unit:
        candidates = [account_id] if account_id is not None else [a.id for a in unit.accounts.list()]
        found = [acct for acct in candidates if unit.roles.get_by_name(acct, role_name) is not None]
    if not found:
        where = f" in account `{account_id}`" if account_id else ""
        raise NoSuchEntity(f"The role with name {role_name} cannot be found{where}.")
    if len(found) > 1:
        raise NoSuchEntity(f"A role named {role_name} exists in several accounts; name one with --account.")
    return found[0]
