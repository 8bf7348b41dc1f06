"""NotPrincipal with Deny: an account ARN exempts only the account principal itself.

AWS's NotPrincipal guidance: a Deny that should spare one user lists both the user and its
account; every other principal of that account is still denied. Before, an account ARN in
NotPrincipal matched every principal of the account, so the Deny spared all of them.
"""

from __future__ import annotations

from typing import Any

import pytest

from iamd.policy import Request, evaluate
from tests.policy.helpers import ACCOUNT, BUCKET, ROOT, SESSION, USER

OTHER_USER_SAME_ACCOUNT = f"arn:aws:iam::{ACCOUNT}:user/mallory"


def _deny_all_but(*principals: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}, "Action": "s3:*", "Resource": "*"},
            {"Effect": "Deny", "NotPrincipal": {"AWS": list(principals)}, "Action": "s3:*", "Resource": "*"},
        ],
    }


def _effect(principal: str, resource_policy: dict[str, Any]) -> str:
    identity = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
    request = Request(action="s3:GetObject", resource=BUCKET, principal=principal, resource_account=ACCOUNT)
    return evaluate(request, identity_policies=[identity], resource_policy=resource_policy).effect


@pytest.mark.parametrize("principal,expected", [
    (USER, "Allow"),                       # listed by name
    (ROOT, "Allow"),                       # the account principal itself
    (OTHER_USER_SAME_ACCOUNT, "ExplicitDeny"),  # same account, not listed: still denied
    (SESSION, "ExplicitDeny"),
])
def test_account_in_not_principal_names_only_the_account(principal: str, expected: str) -> None:
    assert _effect(principal, _deny_all_but(USER, f"arn:aws:iam::{ACCOUNT}:root")) == expected


def test_bare_account_id_in_not_principal_names_only_the_account() -> None:
    assert _effect(OTHER_USER_SAME_ACCOUNT, _deny_all_but(USER, ACCOUNT)) == "ExplicitDeny"
    assert _effect(ROOT, _deny_all_but(USER, ACCOUNT)) == "Allow"


def test_role_in_not_principal_still_spares_its_sessions() -> None:
    role = f"arn:aws:iam::{ACCOUNT}:role/app"
    assert _effect(SESSION, _deny_all_but(role, SESSION, ACCOUNT)) == "Allow"
