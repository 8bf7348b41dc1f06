"""The console pages for identity providers, access advisor, audit events, tags, revoking
a role's sessions, the access key CSV and the policy summary, in a real browser; each
action is the API's operation, so a read-only user sees no buttons and is refused a
forged form."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.conftest import RunningServer
from tests.e2e.console.conftest import screenshot, sign_in_root, sign_in_user

PASSWORD = "Pages-Passw0rd!"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def client_with(server: RunningServer, service: str, key_id: str, secret: str, token: str | None = None) -> Any:
    return boto3.client(service, endpoint_url=server.endpoint, region_name="us-east-1", aws_access_key_id=key_id,
                        aws_secret_access_key=secret, aws_session_token=token,
                        config=Config(retries={"max_attempts": 1}))


def test_identity_providers_list_create_delete(console_server: RunningServer, page: Any) -> None:
    sign_in_root(page, console_server)
    page.goto(console_server.endpoint + "/console/identity-providers")
    page.fill("input[name=url]", "https://token.example.com")
    page.fill("textarea[name=client_ids]", "sts.amazonaws.com")
    page.click("#create-oidc")
    page.wait_for_url("**/console/identity-providers")
    arn = f"arn:aws:iam::{console_server.account_id}:oidc-provider/token.example.com"
    assert arn in (page.text_content("#providers") or "")
    assert "sts.amazonaws.com" in (page.text_content("#providers") or "")
    iam = console_server.client("iam")
    assert arn in [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]]
    # A SAML metadata document that is not one: the API's error, on the page, not a crash.
    page.fill("input[name=name]", "corp")
    page.fill("textarea[name=metadata]", "<not-metadata/>" * 80)
    page.click("#create-saml")
    assert "InvalidInput" in (page.text_content("#provider-error") or "")
    screenshot(page, "identity-providers")
    page.locator("#providers tr", has_text=arn).locator("button", has_text="Delete").click()
    page.wait_for_url("**/console/identity-providers")
    assert arn not in (page.text_content("#providers") or "")
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []


def test_access_advisor_shows_when_a_user_last_used_iam(console_server: RunningServer, page: Any) -> None:
    name = unique("advised")
    iam = console_server.client("iam")
    iam.create_user(UserName=name)
    iam.attach_user_policy(UserName=name, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    key = iam.create_access_key(UserName=name)["AccessKey"]
    client_with(console_server, "iam", key["AccessKeyId"], key["SecretAccessKey"]).list_users()
    sign_in_root(page, console_server)
    page.goto(f"{console_server.endpoint}/console/users/{name}")
    page.click("#access-advisor-link")
    row = page.locator("#access-advisor tr", has_text="AWS Identity and Access Management")
    assert "Not accessed" not in (row.locator(".last-accessed").text_content() or "")
    assert name in (row.text_content() or "")
    screenshot(page, "access-advisor")
    page.goto(console_server.endpoint + "/console/access-advisor?arn=arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    assert page.locator("#access-advisor tr", has_text="AWS Identity and Access Management").count() == 1
    page.goto(console_server.endpoint + "/console/access-advisor?arn=not-an-arn")
    assert page.locator("main h1").text_content() != "Access advisor"  # the API's error page


def test_audit_events_filtered_by_event_name(console_server: RunningServer, page: Any) -> None:
    group = unique("evented")
    sign_in_root(page, console_server)
    page.goto(console_server.endpoint + "/console/groups")
    page.fill("input[name=group_name]", group)
    page.click("#create-group")
    page.wait_for_url(f"**/console/groups/{group}")
    page.goto(console_server.endpoint + "/console/events")
    page.select_option("#attribute", "EventName")
    page.fill("#value", "CreateGroup")
    page.click("#filter-events")
    names = page.locator("#events .event-name").all_text_contents()
    assert names and set(names) == {"CreateGroup"}
    assert group in (page.text_content("#events") or "")
    screenshot(page, "events")
    page.goto(console_server.endpoint + "/console/events?attribute=ResourceName&value=" + group)
    assert "CreateGroup" in (page.text_content("#events") or "")
    page.goto(console_server.endpoint + "/console/events?start=yesterday")
    assert "is not a date and time" in (page.text_content("main") or "")


def test_tags_of_users_and_roles(console_server: RunningServer, page: Any) -> None:
    user, role = unique("tagged"), unique("tagged-role")
    iam = console_server.client("iam")
    iam.create_user(UserName=user)
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    sign_in_root(page, console_server)
    for kind, name in (("users", user), ("roles", role)):
        page.goto(f"{console_server.endpoint}/console/{kind}/{name}")
        page.fill("#tag-key", "team")
        page.fill("#tag-value", "blue")
        page.click("#add-tag")
        page.wait_for_url(f"**/console/{kind}/{name}")
        assert "team" in (page.text_content("#tags") or "") and "blue" in (page.text_content("#tags") or "")
    assert iam.list_user_tags(UserName=user)["Tags"] == [{"Key": "team", "Value": "blue"}]
    assert iam.list_role_tags(RoleName=role)["Tags"] == [{"Key": "team", "Value": "blue"}]
    page.fill("#tag-key", "aws:reserved")
    page.click("#add-tag")
    assert "was not added" in (page.text_content(".flash") or "")
    page.locator("#tags tr", has_text="team").locator("button", has_text="Remove").click()
    page.wait_for_url(f"**/console/roles/{role}")
    assert "No tags." in (page.text_content("#tags") or "")
    assert iam.list_role_tags(RoleName=role)["Tags"] == []


def test_revoke_a_role_sessions(console_server: RunningServer, page: Any) -> None:
    role = unique("revocable")
    iam = console_server.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{console_server.account_id}:root"},
        "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    # Root may not assume roles: an administrator user does.
    admin = unique("admin")
    iam.create_user(UserName=admin)
    iam.attach_user_policy(UserName=admin, PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    key = iam.create_access_key(UserName=admin)["AccessKey"]
    sts = client_with(console_server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    credentials = sts.assume_role(
        RoleArn=f"arn:aws:iam::{console_server.account_id}:role/{role}", RoleSessionName="old")["Credentials"]
    session = client_with(console_server, "iam", credentials["AccessKeyId"], credentials["SecretAccessKey"],
                          credentials["SessionToken"])
    session.get_role(RoleName=role)
    time.sleep(1.1)  # aws:TokenIssueTime and the revocation time are compared to the second
    sign_in_root(page, console_server)
    page.goto(f"{console_server.endpoint}/console/roles/{role}")
    page.click("#revoke-sessions")
    page.wait_for_url(f"**/console/roles/{role}")
    assert "AWSRevokeOlderSessions" in (page.text_content(".flash") or "")
    assert "AWSRevokeOlderSessions" in iam.list_role_policies(RoleName=role)["PolicyNames"]
    with pytest.raises(ClientError) as denied:
        session.get_role(RoleName=role)
    assert denied.value.response["Error"]["Code"] == "AccessDenied"
    fresh = sts.assume_role(
        RoleArn=f"arn:aws:iam::{console_server.account_id}:role/{role}", RoleSessionName="new")["Credentials"]
    client_with(console_server, "iam", fresh["AccessKeyId"], fresh["SecretAccessKey"],
                fresh["SessionToken"]).get_role(RoleName=role)


def test_new_access_key_downloads_as_csv(console_server: RunningServer, page: Any, tmp_path: Path) -> None:
    name = unique("csv")
    console_server.client("iam").create_user(UserName=name)
    sign_in_root(page, console_server)
    page.goto(f"{console_server.endpoint}/console/users/{name}")
    page.click("#create-access-key")
    key_id = page.text_content("#access-key-id")
    secret = page.text_content("#secret-access-key")
    with page.expect_download() as download:
        page.click("#download-key-csv")
    assert download.value.suggested_filename == f"{name}_accessKeys.csv"
    saved = tmp_path / "keys.csv"
    download.value.save_as(saved)
    assert saved.read_text().splitlines() == ["Access key ID,Secret access key", f"{key_id},{secret}"]


def test_policy_page_summarizes_each_service(console_server: RunningServer, page: Any) -> None:
    name = unique("summarized")
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"], "Resource": "arn:aws:s3:::bucket/*",
         "Condition": {"Bool": {"aws:SecureTransport": "true"}}},
        {"Effect": "Allow", "Action": "ec2:*", "Resource": "*"},
        {"Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"},
    ]}
    arn = console_server.client("iam").create_policy(PolicyName=name, PolicyDocument=json.dumps(document))["Policy"]["Arn"]
    sign_in_root(page, console_server)
    page.goto(f"{console_server.endpoint}/console/policies/view?arn={arn}")
    rows = page.locator("#policy-summary tbody tr")
    s3 = rows.filter(has_text="Amazon S3").text_content() or ""
    assert "Limited" in s3 and "GetObject" in s3 and "arn:aws:s3:::bucket/*" in s3 and "aws:SecureTransport" in s3
    ec2 = rows.filter(has_text="Amazon EC2").text_content() or ""
    assert "Full access" in ec2 and "All resources" in ec2
    assert "Deny" in (rows.first.text_content() or "")  # denials first
    screenshot(page, "policy-summary")


def test_read_only_user_sees_no_new_buttons_and_forged_posts_are_denied(
    console_server: RunningServer, page: Any
) -> None:
    reader, role = unique("reader"), unique("kept")
    iam = console_server.client("iam")
    iam.create_user(UserName=reader)
    iam.create_login_profile(UserName=reader, Password=PASSWORD)
    iam.attach_user_policy(UserName=reader, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                     "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    sign_in_user(page, console_server, reader, PASSWORD)
    page.wait_for_url(console_server.endpoint + "/console")
    page.goto(f"{console_server.endpoint}/console/roles/{role}")
    assert page.locator("#add-tag").count() == 0 and page.locator("#revoke-sessions").count() == 0
    page.goto(console_server.endpoint + "/console/identity-providers")
    assert page.locator("#create-oidc").count() == 0 and page.locator("#create-saml").count() == 0
    page.goto(console_server.endpoint + "/console/events")  # IAMReadOnlyAccess has no cloudtrail:LookupEvents
    assert "cloudtrail:LookupEvents" in (page.text_content("main") or "")
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    for path, form in (
        (f"/console/roles/{role}/revoke-sessions", {}),
        (f"/console/roles/{role}/tags", {"key": "k", "value": "v"}),
        ("/console/identity-providers", {"kind": "oidc", "url": "https://evil.example.com", "client_ids": "x"}),
    ):
        forged = page.request.post(console_server.endpoint + path, form={"csrf": csrf, **form})
        assert forged.status == 403, path
        assert "AccessDenied" in forged.text()
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []
    assert iam.list_role_tags(RoleName=role)["Tags"] == []
