"""Each kind of temporary credentials may call only what AWS documents for it.

- GetFederationToken: no IAM operation, and of STS only GetCallerIdentity — not
  AssumeRole, even when the federated user's session policy and the role's trust policy
  would both allow it.
- GetSessionToken: no IAM operation without MFA; of STS only AssumeRole and
  GetCallerIdentity.
- Role sessions: GetSessionToken and GetFederationToken need long-term credentials.
"""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import ACCOUNT_ID, RunningServer
from tests.e2e.test_enforcement import allow, denied, doc
from tests.e2e.test_sts import session_client, trust, user_sts

EVERYTHING = doc(allow("*"))


def _role_trusting_the_account(iam: Any) -> str:
    return str(iam.create_role(RoleName="target", AssumeRolePolicyDocument=trust(ACCOUNT_ID))["Role"]["Arn"])


def test_federated_user_cannot_assume_a_role(iam: Any, server: RunningServer) -> None:
    role_arn = _role_trusting_the_account(iam)
    sts = user_sts(server, iam, "bob")
    iam.put_user_policy(UserName="bob", PolicyName="p", PolicyDocument=EVERYTHING)
    # The session policy allows everything too: the limit is the session kind's.
    answer = sts.get_federation_token(Name="carol", Policy=EVERYTHING)
    federated_sts = session_client(server, answer["Credentials"], "sts")
    assert federated_sts.get_caller_identity()["Arn"].endswith(":federated-user/carol")
    denied(federated_sts.assume_role, RoleArn=role_arn, RoleSessionName="escape")
    denied(federated_sts.get_federation_token, Name="again", Policy=EVERYTHING)
    denied(federated_sts.get_session_token)
    denied(federated_sts.get_access_key_info, AccessKeyId=answer["Credentials"]["AccessKeyId"])
    denied(session_client(server, answer["Credentials"], "iam").list_users)


def test_session_token_credentials_may_assume_a_role_but_not_call_iam(iam: Any, server: RunningServer) -> None:
    role_arn = _role_trusting_the_account(iam)
    sts = user_sts(server, iam, "bob")
    iam.put_user_policy(UserName="bob", PolicyName="p", PolicyDocument=EVERYTHING)
    credentials = sts.get_session_token()["Credentials"]
    session_sts = session_client(server, credentials, "sts")
    assumed = session_sts.assume_role(RoleArn=role_arn, RoleSessionName="ok")
    assert assumed["AssumedRoleUser"]["Arn"].endswith(":assumed-role/target/ok")
    denied(session_client(server, credentials, "iam").list_users)
    denied(session_sts.get_federation_token, Name="xy", Policy=EVERYTHING)
    denied(session_sts.decode_authorization_message, EncodedMessage="x")


def test_role_sessions_cannot_get_session_or_federation_tokens(iam: Any, server: RunningServer) -> None:
    role_arn = _role_trusting_the_account(iam)
    iam.put_role_policy(RoleName="target", PolicyName="p", PolicyDocument=EVERYTHING)
    sts = user_sts(server, iam, "bob")
    iam.put_user_policy(UserName="bob", PolicyName="p", PolicyDocument=EVERYTHING)
    credentials = sts.assume_role(RoleArn=role_arn, RoleSessionName="first")["Credentials"]
    role_sts = session_client(server, credentials, "sts")
    denied(role_sts.get_session_token)
    denied(role_sts.get_federation_token, Name="xy", Policy=EVERYTHING)
    # The role session itself may chain into another role.
    assert role_sts.assume_role(RoleArn=role_arn, RoleSessionName="chained")["AssumedRoleUser"]
