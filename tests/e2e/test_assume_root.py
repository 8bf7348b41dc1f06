"""STS AssumeRoot for an account outside any organization: validated, authorized as
sts:AssumeRoot on the target's root ARN, and then refused, since iamd has no organization
with centralized root access."""

from __future__ import annotations

import json
from typing import Any

from tests.e2e.conftest import RunningServer, error_of

ACCOUNT = "111122223333"
TASK = {"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"}


def user_sts(server: RunningServer, iam: Any, name: str, policy: dict[str, Any] | None = None) -> Any:
    iam.create_user(UserName=name)
    if policy is not None:
        iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [policy]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return server.client("sts", access_key_id=key["AccessKeyId"], secret_access_key=key["SecretAccessKey"])


def test_assume_root_outside_an_organization(server: RunningServer, iam: Any, sts: Any) -> None:
    code, status, message = error_of(sts.assume_root, TargetPrincipal="444455556666", TaskPolicyArn=TASK)
    assert (code, status) == ("AccessDenied", 403)
    assert "Root users" in message

    nobody = user_sts(server, iam, "nobody")
    code, status, message = error_of(nobody.assume_root, TargetPrincipal="444455556666", TaskPolicyArn=TASK)
    assert (code, status) == ("AccessDenied", 403)
    assert message == (f"User: arn:aws:iam::{ACCOUNT}:user/nobody is not authorized to perform: sts:AssumeRoot "
                       "on resource: arn:aws:iam::444455556666:root because no identity-based policy allows the "
                       "sts:AssumeRoot action")

    # Allowed for one task policy only (sts:TaskPolicyArn): another is denied by the policy.
    admin = user_sts(server, iam, "admin", {
        "Effect": "Allow", "Action": "sts:AssumeRoot", "Resource": "arn:aws:iam::*:root",
        "Condition": {"StringEquals": {"sts:TaskPolicyArn": TASK["arn"]}},
    })
    code, _, message = error_of(admin.assume_root, TargetPrincipal="arn:aws:iam::444455556666:root",
                                TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"})
    assert code == "AccessDenied" and "no identity-based policy allows" in message
    code, status, message = error_of(admin.assume_root, TargetPrincipal="444455556666", TaskPolicyArn=TASK,
                                     DurationSeconds=900)
    assert (code, status) == ("AccessDenied", 403)
    assert message.endswith("because no organization with centralized root access is associated with the account")

    for target in ("4444", "arn:aws:iam::444455556666:user/x", "arn:aws-cn:iam::444455556666:root"):
        code, status, _ = error_of(admin.assume_root, TargetPrincipal=target + " " * (12 - len(target)),
                                   TaskPolicyArn=TASK)
        assert (code, status) == ("ValidationError", 400), target
    wide = user_sts(server, iam, "wide", {"Effect": "Allow", "Action": "sts:AssumeRoot", "Resource": "*"})
    code, status, _ = error_of(wide.assume_root, TargetPrincipal="444455556666",
                               TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/AdministratorAccess"})
    assert (code, status) == ("ValidationError", 400)
