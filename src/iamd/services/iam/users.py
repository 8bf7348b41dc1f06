"""IAM users."""

from __future__ import annotations

from typing import Any

from iamd.services import arns
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import page
from iamd.store import UserRecord


def user_shape(context: OperationContext, user: UserRecord) -> dict[str, Any]:
    shape: dict[str, Any] = {
        "Path": user.path,
        "UserName": user.name,
        "UserId": user.id,
        "Arn": arns.iam_arn(context.caller.partition, user.account_id, "user", user.path, user.name),
        "CreateDate": user.created_at,
    }
    if user.password_last_used is not None:
        shape["PasswordLastUsed"] = user.password_last_used
    return shape


@operation("iam", "ListUsers")
def list_users(context: OperationContext, params: Params) -> Output:
    prefix = params.get("PathPrefix", "/")
    with context.db.reading() as unit:
        found, marker = page(
            params,
            lambda after, limit: unit.users.list(context.caller.account_id, prefix, after, limit),
            key=lambda user: user.name.lower(),
        )
        output: dict[str, Any] = {"Users": [user_shape(context, u) for u in found]}
    output["IsTruncated"] = marker is not None
    if marker is not None:
        output["Marker"] = marker
    return output
