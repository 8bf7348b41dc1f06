"""IAM temporary delegation requests: a partner asks a customer account for temporary access.

The lifecycle (AWS's "Understanding the Request Lifecycle"): a partner account creates a
request (``UNASSIGNED``), optionally aimed at one customer account; an identity of the
customer account associates it with itself (``ASSIGNED``, the caller becomes its owner);
the owner may forward it for approval with notes (``PENDING_APPROVAL``); the customer
accepts (``ACCEPTED``) or rejects it (``REJECTED``, kept 7 days); accepting records the
approver, and SendDelegationToken releases the exchange token to the partner
(``FINALIZED``, the delegation period of ``SessionDuration`` seconds starts). A request not
carried to its end in time becomes ``EXPIRED``.

A request is visible to its requestor account and, once aimed at or associated with one,
to its owner account; before that, any account may look it up by id (the id is the
capability the partner hands to the customer). Another account gets NoSuchEntity.

Delegation requests are cached nowhere, so writing one does not move the state version
that tells other processes to drop their caches.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from iamd.protocol.errors import (
    ConcurrentModification,
    EntityAlreadyExists,
    InvalidInput,
    NoSuchEntity,
)
from iamd.services import arns
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page
from iamd.store import DuplicateKey
from iamd.store.delegations import DelegationRequestRecord, DelegationRequestRepository

UNASSIGNED = "UNASSIGNED"
ASSIGNED = "ASSIGNED"
PENDING_APPROVAL = "PENDING_APPROVAL"
ACCEPTED = "ACCEPTED"
FINALIZED = "FINALIZED"
REJECTED = "REJECTED"
EXPIRED = "EXPIRED"

# How long a request stays open for review, and how long AWS keeps a rejected one. AWS
# documents the 7 days of a rejected request; it does not publish the review window, so
# an open request gets the same 7 days from its creation.
OPEN_LIFETIME = timedelta(days=7)
REJECTED_LIFETIME = timedelta(days=7)

# States that end a request: nothing can change it any more.
_TERMINAL = {FINALIZED, REJECTED, EXPIRED}


def _not_found(request_id: str) -> NoSuchEntity:
    return NoSuchEntity(f"The delegation request with id {request_id} cannot be found.")


def _state(record: DelegationRequestRecord, now: datetime) -> str:
    """The state as of now: an open request past its expiry time has expired."""
    if record.state not in _TERMINAL and now >= record.expires_at:
        return EXPIRED
    if record.state == REJECTED and now >= record.expires_at:
        return EXPIRED
    return record.state


def _visible(context: OperationContext, record: DelegationRequestRecord) -> bool:
    account = context.caller.account_id
    if account == record.requestor_account_id:
        return True
    if record.owner_account_id is None:
        return True
    return account == record.owner_account_id


def _load(context: OperationContext, repo: DelegationRequestRepository, request_id: str) -> DelegationRequestRecord:
    record = repo.get(request_id)
    if record is None or not _visible(context, record):
        raise _not_found(request_id)
    return record


def _load_owned(
    context: OperationContext, repo: DelegationRequestRepository, request_id: str
) -> DelegationRequestRecord:
    """A request the caller's account owns: the customer side's operations act only on those."""
    record = _load(context, repo, request_id)
    if record.owner_account_id != context.caller.account_id or record.owner_id is None:
        if record.owner_account_id in (None, context.caller.account_id):
            raise InvalidInput(
                f"Delegation request {request_id} must be associated with an identity before this operation."
            )
        raise _not_found(request_id)
    return record


def _require_state(record: DelegationRequestRecord, now: datetime, allowed: set[str], action: str) -> None:
    state = _state(record, now)
    if state not in allowed:
        raise InvalidInput(f"Cannot {action} delegation request {record.id} in state {state}.")


def _caller_arn(context: OperationContext) -> str:
    return arns.arn_for_storage(context.caller.arn)


def _change(repo: DelegationRequestRepository, record: DelegationRequestRecord, **values: Any) -> None:
    if not repo.update(record.id, record.state, **values):
        raise ConcurrentModification(
            f"Delegation request {record.id} was modified by another request; try again."
        )


def request_shape(context: OperationContext, record: DelegationRequestRecord) -> dict[str, Any]:
    partition = context.caller.partition
    now = context.runtime.now()
    shape: dict[str, Any] = {
        "DelegationRequestId": record.id,
        "Description": record.description,
        "Permissions": json.loads(record.permissions),
        "State": _state(record, now),
        "ExpirationTime": record.expires_at,
        "RequestorId": record.requestor_account_id,
        "CreateDate": record.created_at,
        "SessionDuration": record.session_duration,
        "OnlySendByOwner": record.only_send_by_owner,
        "UpdatedTime": record.updated_at,
    }
    optional = {
        "OwnerAccountId": record.owner_account_id,
        "RequestMessage": record.request_message,
        "OwnerId": arns.arn_in_partition(record.owner_id, partition) if record.owner_id else None,
        "ApproverId": arns.arn_in_partition(record.approver_id, partition) if record.approver_id else None,
        "RedirectUrl": record.redirect_url,
        "Notes": record.notes,
        "RejectionReason": record.rejection_reason,
    }
    shape.update({key: value for key, value in optional.items() if value is not None})
    return shape


def _permissions(params: Params) -> str:
    given = params["Permissions"]
    permissions: dict[str, Any] = {}
    if given.get("PolicyTemplateArn") is not None:
        permissions["PolicyTemplateArn"] = arns.arn_for_storage(given["PolicyTemplateArn"])
    if given.get("Parameters") is not None:
        permissions["Parameters"] = [dict(parameter) for parameter in given["Parameters"]]
    return json.dumps(permissions, sort_keys=True)


@operation("iam", "CreateDelegationRequest")
def create_delegation_request(context: OperationContext, params: Params) -> Output:
    if "PolicyTemplateArn" not in params["Permissions"]:
        raise InvalidInput("Permissions must specify a PolicyTemplateArn.")
    if not str(params["NotificationChannel"]).startswith("arn:"):
        raise InvalidInput("NotificationChannel must be the ARN of an Amazon SNS topic.")
    owner = params.get("OwnerAccountId")
    now = context.runtime.now()
    request_id = str(uuid.UUID(bytes=context.runtime.random_bytes(16), version=4))
    record = DelegationRequestRecord(
        id=request_id,
        requestor_account_id=context.caller.account_id,
        requestor_workflow_id=params["RequestorWorkflowId"],
        owner_account_id=owner,
        owner_id=None,
        approver_id=None,
        description=params["Description"],
        request_message=params.get("RequestMessage"),
        permissions=_permissions(params),
        redirect_url=params.get("RedirectUrl"),
        notification_channel=params["NotificationChannel"],
        session_duration=int(params["SessionDuration"]),
        only_send_by_owner=bool(params.get("OnlySendByOwner", False)),
        state=UNASSIGNED,
        notes=None,
        rejection_reason=None,
        created_at=now,
        updated_at=now,
        expires_at=now + OPEN_LIFETIME,
    )
    with context.db.transaction() as unit:
        try:
            unit.delegations.add(record)
        except DuplicateKey:
            raise EntityAlreadyExists(
                f"A delegation request with requestor workflow id {params['RequestorWorkflowId']} already exists."
            ) from None
    return {
        "DelegationRequestId": request_id,
        "ConsoleDeepLink": f"https://console.aws.amazon.com/iam/home#/temporary-delegation/requests/{request_id}",
    }


@operation("iam", "GetDelegationRequest")
def get_delegation_request(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        record = _load(context, unit.delegations, params["DelegationRequestId"])
    output: dict[str, Any] = {"DelegationRequest": request_shape(context, record)}
    if params.get("DelegationPermissionCheck"):
        # The policy template behind PolicyTemplateArn is partner content registered with
        # AWS that iamd does not hold, so only the root user, who may do anything, gets a
        # definite answer.
        output["PermissionCheckStatus"] = "COMPLETE"
        output["PermissionCheckResult"] = "ALLOWED" if context.caller.is_root else "UNSURE"
    return output


@operation("iam", "ListDelegationRequests")
def list_delegation_requests(context: OperationContext, params: Params) -> Output:
    owner_id = params.get("OwnerId")
    stored_owner = arns.arn_for_storage(owner_id) if owner_id else None
    with context.db.reading() as unit:
        repo = unit.delegations
        items, marker = page(
            params,
            lambda after, limit: repo.list_owned(context.caller.account_id, stored_owner, after, limit),
            lambda record: record.id,
        )
    output: dict[str, Any] = {
        "DelegationRequests": [request_shape(context, record) for record in items],
        "isTruncated": marker is not None,
    }
    if marker is not None:
        output["Marker"] = marker
    return output


@operation("iam", "AssociateDelegationRequest")
def associate_delegation_request(context: OperationContext, params: Params) -> Output:
    request_id = params["DelegationRequestId"]
    now = context.runtime.now()
    with context.db.transaction() as unit:
        repo = unit.delegations
        record = _load(context, repo, request_id)
        if record.owner_account_id not in (None, context.caller.account_id):
            raise _not_found(request_id)
        if record.owner_id is not None:
            raise InvalidInput(f"Delegation request {request_id} is already associated with an identity.")
        _require_state(record, now, {UNASSIGNED}, "associate")
        _change(
            repo,
            record,
            owner_account_id=context.caller.account_id,
            owner_id=_caller_arn(context),
            state=ASSIGNED,
            updated_at=now,
        )
    return None


@operation("iam", "UpdateDelegationRequest")
def update_delegation_request(context: OperationContext, params: Params) -> Output:
    now = context.runtime.now()
    with context.db.transaction() as unit:
        repo = unit.delegations
        record = _load_owned(context, repo, params["DelegationRequestId"])
        _require_state(record, now, {ASSIGNED, PENDING_APPROVAL}, "update")
        values: dict[str, Any] = {"state": PENDING_APPROVAL, "updated_at": now}
        if params.get("Notes") is not None:
            values["notes"] = params["Notes"]
        _change(repo, record, **values)
    return None


@operation("iam", "AcceptDelegationRequest")
def accept_delegation_request(context: OperationContext, params: Params) -> Output:
    now = context.runtime.now()
    with context.db.transaction() as unit:
        repo = unit.delegations
        record = _load_owned(context, repo, params["DelegationRequestId"])
        _require_state(record, now, {ASSIGNED, PENDING_APPROVAL}, "accept")
        _change(repo, record, state=ACCEPTED, approver_id=_caller_arn(context), updated_at=now)
    return None


@operation("iam", "RejectDelegationRequest")
def reject_delegation_request(context: OperationContext, params: Params) -> Output:
    now = context.runtime.now()
    with context.db.transaction() as unit:
        repo = unit.delegations
        record = _load_owned(context, repo, params["DelegationRequestId"])
        _require_state(record, now, {ASSIGNED, PENDING_APPROVAL, ACCEPTED}, "reject")
        values: dict[str, Any] = {"state": REJECTED, "updated_at": now, "expires_at": now + REJECTED_LIFETIME}
        if params.get("Notes") is not None:
            values["rejection_reason"] = params["Notes"]
        _change(repo, record, **values)
    return None


@operation("iam", "SendDelegationToken")
def send_delegation_token(context: OperationContext, params: Params) -> Output:
    now = context.runtime.now()
    with context.db.transaction() as unit:
        repo = unit.delegations
        record = _load_owned(context, repo, params["DelegationRequestId"])
        _require_state(record, now, {ACCEPTED}, "send the token of")
        if record.only_send_by_owner and record.owner_id != _caller_arn(context):
            raise InvalidInput(f"Only the owner of delegation request {record.id} can send its token.")
        # The delegation period starts now and lasts SessionDuration seconds. The token
        # itself goes to the partner's SNS topic, which iamd has no way to publish to.
        _change(
            repo,
            record,
            state=FINALIZED,
            updated_at=now,
            expires_at=now + timedelta(seconds=record.session_duration),
        )
    return None
