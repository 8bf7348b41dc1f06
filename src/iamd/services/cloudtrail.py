"""CloudTrail's LookupEvents over the audit trail (CloudTrail 2013-11-01, JSON protocol).

Only management events exist here; a lookup sees its caller's account only, newest event
first, at most 50 per page. One lookup attribute at most, as AWS allows. ``NextToken``
continues after the last event of the previous page (the store's sequence number) and is
bound to the lookup's other parameters.

Events still queued by the audit writer are flushed first (the dispatcher passes the flush
as ``context.extras["audit_flush"]``), so a call is found right after it was made.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime
from typing import Any

from iamd.protocol.errors import (
    InvalidLookupAttributesException,
    InvalidNextTokenException,
    InvalidTimeRangeException,
)
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.store.audit import AuditRow, EventFilter

DEFAULT_MAX_RESULTS = 50

_COLUMNS = {
    "EventId": "event_id",
    "EventName": "event_name",
    "ReadOnly": "read_only",
    "Username": "user_name",
    "EventSource": "event_source",
    "AccessKeyId": "access_key_id",
}

# Request and response members that name a resource, and the resource type LookupEvents
# reports for each.
_RESOURCE_MEMBERS = {
    "userName": "AWS::IAM::User",
    "groupName": "AWS::IAM::Group",
    "roleName": "AWS::IAM::Role",
    "roleArn": "AWS::IAM::Role",
    "policyArn": "AWS::IAM::Policy",
    "instanceProfileName": "AWS::IAM::InstanceProfile",
    "accessKeyId": "AWS::IAM::AccessKey",
    "serverCertificateName": "AWS::IAM::ServerCertificate",
    "serialNumber": "AWS::IAM::MFADevice",
    "sAMLProviderArn": "AWS::IAM::SAMLProvider",
    "openIDConnectProviderArn": "AWS::IAM::OIDCProvider",
}


@operation("cloudtrail", "LookupEvents")
def lookup_events(context: OperationContext, params: Params) -> Output:
    flush = context.extras.get("audit_flush")
    if flush is not None:
        flush()
    attributes = params.get("LookupAttributes") or []
    if len(attributes) > 1:
        raise InvalidLookupAttributesException("You cannot specify more than one lookup attribute.")
    start: datetime | None = params.get("StartTime")
    end: datetime | None = params.get("EndTime")
    if start is not None and end is not None and start > end:
        raise InvalidTimeRangeException("Start time must be before end time.")
    limit = int(params.get("MaxResults") or DEFAULT_MAX_RESULTS)
    if params.get("EventCategory") == "insight":
        return {"Events": []}  # iamd records no Insights events.
    where = EventFilter(account_id=context.caller.account_id, start=start, end=end)
    resource_key: str | None = None
    resource_value: str | None = None
    if attributes:
        key, value = attributes[0]["AttributeKey"], attributes[0]["AttributeValue"]
        if key in _COLUMNS:
            column_value: str | int = value
            if key == "ReadOnly":
                if value not in ("true", "false"):
                    raise InvalidLookupAttributesException(
                        f"Invalid value {value} for lookup attribute ReadOnly. Valid values are true and false."
                    )
                column_value = 1 if value == "true" else 0
            where = EventFilter(account_id=where.account_id, column=_COLUMNS[key], value=column_value,
                                start=start, end=end)
        else:
            resource_key, resource_value = key, value
            contains = json.dumps(value) if key == "ResourceName" else None
            where = EventFilter(account_id=where.account_id, start=start, end=end, record_contains=contains)
    fingerprint = _fingerprint(params)
    before = _read_token(params.get("NextToken"), fingerprint)
    found: list[AuditRow] = []
    more = False
    chunk = limit + 1 if resource_key is None else max(100, limit * 4)
    with context.db.reading() as unit:
        while True:
            rows = unit.audit.find(where, before_sequence=before, limit=chunk)
            for row in rows:
                if resource_key is not None and not _has_resource(row, resource_key, resource_value or ""):
                    continue
                if len(found) == limit:
                    more = True
                    break
                found.append(row)
            if more or len(rows) < chunk:
                break
            before = rows[-1].sequence
    output: dict[str, Any] = {"Events": [_event(row) for row in found]}
    if more:
        output["NextToken"] = _token(found[-1].sequence, fingerprint)
    return output


def _event(row: AuditRow) -> dict[str, Any]:
    event: dict[str, Any] = {
        "EventId": row.event_id,
        "EventName": row.event_name,
        "ReadOnly": "true" if row.read_only else "false",
    }
    if row.access_key_id:
        event["AccessKeyId"] = row.access_key_id
    event["EventTime"] = row.event_time.replace(microsecond=0)
    event["EventSource"] = row.event_source
    if row.user_name:
        event["Username"] = row.user_name
    event["Resources"] = [{"ResourceType": kind, "ResourceName": name} for kind, name in resources(row.record)]
    event["CloudTrailEvent"] = row.record
    return event


def resources(record_text: str) -> list[tuple[str, str]]:
    """The resources an event names, as (type, name), from its request and response."""
    record = json.loads(record_text)
    found: list[tuple[str, str]] = []
    for part in (record.get("requestParameters"), record.get("responseElements")):
        _collect(part, found, 0)
    return found


def _collect(value: Any, found: list[tuple[str, str]], depth: int) -> None:
    if depth > 3 or not isinstance(value, dict):
        return
    for key, item in value.items():
        kind = _RESOURCE_MEMBERS.get(key)
        if kind is not None and isinstance(item, str) and (kind, item) not in found:
            found.append((kind, item))
        elif isinstance(item, dict):
            _collect(item, found, depth + 1)


def _has_resource(row: AuditRow, key: str, value: str) -> bool:
    index = 0 if key == "ResourceType" else 1
    return any(resource[index] == value for resource in resources(row.record))


def _fingerprint(params: Params) -> str:
    relevant = {k: v for k, v in params.items() if k not in ("NextToken", "MaxResults")}
    return hashlib.sha256(json.dumps(relevant, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _token(sequence: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(f"{sequence}:{fingerprint}".encode()).decode().rstrip("=")


def _read_token(token: str | None, fingerprint: str) -> int | None:
    if token is None:
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        sequence, _, bound = text.partition(":")
        if bound != fingerprint:
            raise ValueError
        return int(sequence)
    except ValueError:
        raise InvalidNextTokenException("Invalid NextToken.") from None
