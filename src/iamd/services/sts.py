"""AWS Security Token Service operations."""

from __future__ import annotations

from iamd.services.operations import OperationContext, Output, Params, operation


@operation("sts", "GetCallerIdentity")
def get_caller_identity(context: OperationContext, params: Params) -> Output:
    """Who the caller is. AWS never denies this call, whatever the policies say."""
    caller = context.caller
    return {"UserId": caller.user_id, "Account": caller.account_id, "Arn": caller.arn}
