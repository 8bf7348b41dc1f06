"""Encoded authorization failure messages and STS DecodeAuthorizationMessage.

Some AWS services answer a denial with an opaque encoded message that only
``sts:DecodeAuthorizationMessage`` reveals: the decision, the statements that matched,
and the request's context, as JSON. iamd seals that JSON under the master key, bound to
the account, so a message decodes only for callers of the same account, and only for
those whose policies allow ``sts:DecodeAuthorizationMessage`` (an ordinary authorized
operation). IAM and STS themselves answer denials in plain text, as AWS's do.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any

from iamd import policy
from iamd.protocol.errors import InvalidAuthorizationMessage
from iamd.services.crypto import SealError, SecretBox
from iamd.services.operations import OperationContext, Output, Params, operation

PURPOSE = "authorization-message"


def encode(box: SecretBox, account_id: str, decision: policy.Decision) -> str:
    """The encoded message for a decision, in the shape AWS's decoded messages have."""
    request = decision.request
    trace = decision.trace
    body: dict[str, Any] = {
        "allowed": decision.allowed,
        "explicitDeny": decision.effect == "ExplicitDeny",
        "matchedStatements": {
            "items": [
                {
                    "statementId": st.sid or "",
                    "effect": st.effect.upper(),
                    "principals": {"items": [{"value": request.principal}]},
                    "actions": {"items": [{"value": request.action}]},
                    "resources": {"items": [{"value": request.resource}]},
                    "source": st.policy_name,
                }
                for st in trace.decisive
            ]
        },
        "failures": {"items": []},
        "context": {
            "principal": {"arn": request.principal},
            "action": request.action,
            "resource": request.resource,
            "conditions": {
                "items": [
                    {"key": key, "values": {"items": [{"value": str(v)} for v in (value if isinstance(value, list) else [value])]}}
                    for key, value in request.context.items()
                ]
            },
        },
        "reason": trace.reason,
    }
    sealed = box.seal(PURPOSE, zlib.compress(json.dumps(body).encode(), 9), context=account_id.encode())
    return base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def decode(box: SecretBox, account_id: str, message: str) -> dict[str, Any]:
    try:
        sealed = base64.urlsafe_b64decode(message + "=" * (-len(message) % 4))
        decoded: dict[str, Any] = json.loads(zlib.decompress(box.open(PURPOSE, sealed, context=account_id.encode())))
    except (SealError, binascii.Error, ValueError, zlib.error):
        raise InvalidAuthorizationMessage("The encoded message is not valid.") from None
    return decoded


@operation("sts", "DecodeAuthorizationMessage")
def decode_authorization_message(context: OperationContext, params: Params) -> Output:
    decoded = decode(context.box, context.caller.account_id, params["EncodedMessage"])
    return {"DecodedMessage": json.dumps(decoded, separators=(",", ":"))}
