"""The web console in a real browser: sign-in (root, TOTP, forced change, lockout), the IAM
pages, and the same authorization, errors and CSRF protection as the API."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

import boto3
import pyotp
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.e2e.conftest import RunningServer
from tests.e2e.console.conftest import screenshot, sign_in_root, sign_in_user

PASSWORD = "User-Passw0rd!"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def user_with_password(server: RunningServer, name: str, *, reset: bool = False, policy: str | None = None) -> None:
    iam = server.client("iam")
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=PASSWORD, PasswordResetRequired=reset)
    if policy:
        iam.attach_user_policy(UserName=name, PolicyArn=policy)


def test_root_signs_in_and_sees_recommendations(console_server: RunningServer, page: Any) -> None:
    page.goto(console_server.endpoint + "/console")
    screenshot(page, "signin")
    sign_in_root(page, console_server)
    assert page.text_content("#account-id") == console_server.account_id
    assert page.text_content("#identity") == f"root @ {console_server.account_id}"
    recommendations = page.text_content("#recommendations") or ""
    assert "Add MFA for the root user" in recommendations
    assert "Delete the root user's access keys" in recommendations
    assert "Set a password policy" in recommendations
    screenshot(page, "dashboard")
    page.click("text=Sign out")
    page.goto(console_server.endpoint + "/console/users")
    assert page.url.endswith("/console/signin")


def test_wrong_password_says_nothing_of_why(console_server: RunningServer, page: Any) -> None:
    page.goto(console_server.endpoint + "/console/signin")
    page.fill("input[name=email]", "root@example.com")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    wrong_password = page.text_content("#signin-error")
    page.fill("input[name=email]", "nobody@example.com")
    page.fill("input[name=password]", "wrong")
    page.click("button[type=submit]")
    assert page.text_content("#signin-error") == wrong_password == (
        "Your authentication information is incorrect. Please try again."
    )


def test_user_signs_in_with_totp(console_server: RunningServer, page: Any) -> None:
    name = unique("totp")
    user_with_password(console_server, name)
    iam = console_server.client("iam")
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=name)["VirtualMFADevice"]
    seed = device["Base32StringSeed"].decode()
    step = int(time.time()) // 30
    iam.enable_mfa_device(UserName=name, SerialNumber=device["SerialNumber"],
                          AuthenticationCode1=pyotp.TOTP(seed).at((step - 1) * 30),
                          AuthenticationCode2=pyotp.TOTP(seed).at(step * 30))
    sign_in_user(page, console_server, name, PASSWORD)
    page.wait_for_url("**/console/mfa")
    screenshot(page, "mfa")
    page.fill("input[name=code]", pyotp.TOTP(seed).at((step + 1) * 30))
    page.click("form[action='/console/mfa'] button")
    page.wait_for_url(console_server.endpoint + "/console")
    assert page.text_content("#identity") == f"{name} @ {console_server.account_id}"
    assert page.is_visible("text=MFA")


def test_forced_password_change_shows_the_policy(console_server: RunningServer, page: Any) -> None:
    name = unique("reset")
    user_with_password(console_server, name, reset=True)
    sign_in_user(page, console_server, name, PASSWORD)
    page.wait_for_url("**/console/change-password")
    assert "At least 8 characters" in (page.text_content("#password-policy") or "")
    page.fill("input[name=new_password]", "short")
    page.fill("input[name=confirm_password]", "short")
    page.click("form[action='/console/change-password'] button")
    assert "Password should have" in (page.text_content("#change-error") or "")
    screenshot(page, "change-password")
    page.fill("input[name=new_password]", "Brand-New-Passw0rd")
    page.fill("input[name=confirm_password]", "Brand-New-Passw0rd")
    page.click("form[action='/console/change-password'] button")
    page.wait_for_url(console_server.endpoint + "/console")
    # The new password is the one that works now.
    page.click("text=Sign out")
    sign_in_user(page, console_server, name, "Brand-New-Passw0rd")
    page.wait_for_url(console_server.endpoint + "/console")


def test_lockout_refuses_even_the_right_password(console_server: RunningServer, page: Any) -> None:
    name = unique("locked")
    user_with_password(console_server, name)
    for _ in range(5):
        sign_in_user(page, console_server, name, "not-the-password")
        assert page.is_visible("#signin-error")
    sign_in_user(page, console_server, name, PASSWORD)
    assert page.text_content("#signin-error") == "Your authentication information is incorrect. Please try again."
    assert "/console/signin/" in page.url


def test_create_user_group_policy_and_use_the_access_key(console_server: RunningServer, page: Any) -> None:
    user, group = unique("alice"), unique("devs")
    sign_in_root(page, console_server)
    page.goto(console_server.endpoint + "/console/users")
    page.click("#create-user")
    page.fill("input[name=user_name]", user)
    page.click("form[action='/console/users'] button")
    page.wait_for_url(f"**/console/users/{user}")
    page.goto(console_server.endpoint + "/console/groups")
    page.fill("input[name=group_name]", group)
    page.click("#create-group")
    page.wait_for_url(f"**/console/groups/{group}")
    page.fill("input[name=policy_arn]", "arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    page.click("#attach-group-policy")
    assert "IAMReadOnlyAccess" in (page.text_content("#group-policies") or "")
    page.goto(f"{console_server.endpoint}/console/users/{user}")
    page.select_option("select[name=group]", group)
    page.click("#add-to-group")
    assert group in (page.text_content("#user-groups") or "")
    page.click("#create-access-key")
    key_id = page.text_content("#access-key-id")
    secret = page.text_content("#secret-access-key")
    screenshot(page, "user")
    # The secret is shown once: the page reloaded does not hold it.
    page.goto(f"{console_server.endpoint}/console/users/{user}")
    assert not page.is_visible("#secret-access-key")
    page.goto(console_server.endpoint + "/console/users")
    screenshot(page, "users")

    iam = boto3.client("iam", endpoint_url=console_server.endpoint, region_name="us-east-1",
                       aws_access_key_id=key_id, aws_secret_access_key=secret,
                       config=Config(retries={"max_attempts": 1}))
    names = [u["UserName"] for u in iam.list_users()["Users"]]
    assert user in names
    with pytest.raises(ClientError) as denied:
        iam.create_user(UserName=unique("nope"))
    assert denied.value.response["Error"]["Code"] == "AccessDenied"


def test_simulator_shows_the_denying_statement(console_server: RunningServer, page: Any) -> None:
    user, policy_name = unique("sim"), unique("deny-delete")
    iam = console_server.client("iam")
    iam.create_user(UserName=user)
    document = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"},
    ]}
    arn = iam.create_policy(PolicyName=policy_name, PolicyDocument=json.dumps(document, indent=2))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=user, PolicyArn=arn)
    sign_in_root(page, console_server)
    page.goto(console_server.endpoint + "/console/simulator")
    page.select_option("#principal", f"arn:aws:iam::{console_server.account_id}:user/{user}")
    page.fill("#actions", "iam:DeleteUser\niam:GetUser")
    page.click("#simulate")
    rows = page.locator("#results tbody tr")
    denied = rows.filter(has_text="iam:DeleteUser")
    assert denied.locator(".decision").text_content() == "explicitDeny"
    assert policy_name in (denied.text_content() or "")
    assert '"Sid": "NoDeletes"' in (denied.locator("pre").text_content() or "")
    assert rows.filter(has_text="iam:GetUser").locator(".decision").text_content() == "allowed"
    screenshot(page, "simulator")


def test_policy_editor_shows_validation_errors(console_server: RunningServer, page: Any) -> None:
    sign_in_root(page, console_server)
    page.goto(console_server.endpoint + "/console/policies/new")
    page.fill("input[name=policy_name]", unique("broken"))
    page.fill("textarea[name=document]", '{\n  "Version": "2012-10-17",\n  "Statement": [\n}')
    page.click("#save-policy")
    assert "MalformedPolicyDocument" in (page.text_content("#policy-error") or "")
    assert "Line 4" in (page.text_content("#policy-syntax") or "")
    screenshot(page, "policy-editor")


def test_read_only_user_sees_no_edit_buttons_and_forged_posts_are_denied(
    console_server: RunningServer, page: Any
) -> None:
    reader, victim = unique("reader"), unique("victim")
    user_with_password(console_server, reader, policy="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    console_server.client("iam").create_user(UserName=victim)
    sign_in_user(page, console_server, reader, PASSWORD)
    page.wait_for_url(console_server.endpoint + "/console")
    page.goto(console_server.endpoint + "/console/users")
    assert victim in (page.text_content("#users") or "")
    assert page.locator("#create-user").count() == 0
    page.goto(f"{console_server.endpoint}/console/users/{victim}")
    assert page.locator("#delete-user").count() == 0
    assert page.locator("#create-access-key").count() == 0
    assert page.locator("#attach-policy").count() == 0
    assert page.locator("#assign-mfa").count() == 0
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    forged = page.request.post(f"{console_server.endpoint}/console/users/{victim}/delete", form={"csrf": csrf})
    assert forged.status == 403
    assert "AccessDenied" in forged.text()
    assert "iam:DeleteUser" in forged.text()
    created = page.request.post(f"{console_server.endpoint}/console/users", form={"csrf": csrf, "user_name": "x"})
    assert created.status == 403
    assert victim in [u["UserName"] for u in console_server.client("iam").list_users()["Users"]]


def test_post_without_csrf_token_is_refused(console_server: RunningServer, page: Any) -> None:
    name = unique("nocsrf")
    sign_in_root(page, console_server)
    refused = page.request.post(f"{console_server.endpoint}/console/users", form={"user_name": name})
    assert refused.status == 403
    assert "CSRF" in refused.text()
    wrong = page.request.post(f"{console_server.endpoint}/console/users", form={"user_name": name, "csrf": "guess"})
    assert wrong.status == 403
    names = [u["UserName"] for u in console_server.client("iam").list_users()["Users"]]
    assert name not in names


def test_pages_for_screenshots(console_server: RunningServer, page: Any) -> None:
    sign_in_root(page, console_server)
    for path, name in (("/console/roles/new", "role-new"), ("/console/policies?scope=AWS&q=ReadOnly", "policies")):
        page.goto(console_server.endpoint + path)
        assert page.locator("main h1").count() == 1
        screenshot(page, name)


def test_switch_role_acts_with_the_role_permissions(console_server: RunningServer, page: Any) -> None:
    user, role = unique("switcher"), unique("viewer")
    iam = console_server.client("iam")
    user_with_password(console_server, user, policy="arn:aws:iam::aws:policy/AdministratorAccess")
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{console_server.account_id}:root"},
        "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    iam.attach_role_policy(RoleName=role, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    sign_in_user(page, console_server, user, PASSWORD)
    page.wait_for_url(console_server.endpoint + "/console")
    page.goto(console_server.endpoint + "/console/users")
    assert page.locator("#create-user").count() == 1  # as the administrator
    page.click("#switch-role")
    page.fill("input[name=account]", console_server.account_id)
    page.fill("input[name=role]", role)
    page.fill("input[name=display]", "Read only")
    page.check("input[name=colour][value=green]")
    page.click("#do-switch")
    page.wait_for_url(console_server.endpoint + "/console")
    assert page.text_content("#identity") == "Read only"
    assert "role-green" in (page.get_attribute("#identity", "class") or "")
    screenshot(page, "switched-role")
    page.goto(console_server.endpoint + "/console/users")
    assert user in (page.text_content("#users") or "")
    assert page.locator("#create-user").count() == 0  # as the role
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    forged = page.request.post(f"{console_server.endpoint}/console/users", form={"csrf": csrf, "user_name": "x"})
    assert forged.status == 403
    assert f"assumed-role/{role}/{user}" in forged.text()
    page.click("#switch-back")
    page.goto(console_server.endpoint + "/console/switch-role")
    assert "Read only" in (page.text_content("#recent-roles") or "")


def test_switch_to_a_role_that_does_not_trust_you_is_refused(console_server: RunningServer, page: Any) -> None:
    user, role = unique("nobody"), unique("closed")
    iam = console_server.client("iam")
    user_with_password(console_server, user)
    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(trust))
    sign_in_user(page, console_server, user, PASSWORD)
    page.wait_for_url(console_server.endpoint + "/console")
    page.goto(console_server.endpoint + "/console/switch-role")
    page.fill("input[name=account]", console_server.account_id)
    page.fill("input[name=role]", role)
    page.click("#do-switch")
    assert "AccessDenied" in (page.text_content("#switch-error") or "")
    assert page.text_content("#identity") == f"{user} @ {console_server.account_id}"


def test_console_actions_and_sign_ins_are_in_the_audit_log(console_server: RunningServer, page: Any) -> None:
    group = unique("audited")
    sign_in_root(page, console_server)
    page.goto(console_server.endpoint + "/console/groups")
    page.fill("input[name=group_name]", group)
    page.click("#create-group")
    page.wait_for_url(f"**/console/groups/{group}")
    cloudtrail = console_server.client("cloudtrail")
    events = cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": group}]
    )["Events"]
    # The page that follows reads the group too: GetGroup, ListAttachedGroupPolicies.
    assert {"CreateGroup", "GetGroup"} <= {e["EventName"] for e in events}
    (event,) = [e for e in events if e["EventName"] == "CreateGroup"]
    record = json.loads(event["CloudTrailEvent"])
    assert record["userIdentity"]["arn"] == f"arn:aws:iam::{console_server.account_id}:root"
    assert "Chrome" in record["userAgent"]
    logins = cloudtrail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ConsoleLogin"}]
    )["Events"]
    assert logins


def test_assign_a_virtual_mfa_device_in_the_console_then_sign_in_with_it(
    console_server: RunningServer, page: Any
) -> None:
    name = unique("mfa")
    user_with_password(console_server, name)
    sign_in_root(page, console_server)
    page.goto(f"{console_server.endpoint}/console/users/{name}")
    page.click("#assign-mfa")
    seed = page.text_content("#mfa-seed") or ""
    assert page.locator("img[alt='QR code of the MFA device']").count() == 1
    screenshot(page, "mfa-assign")
    step = int(time.time()) // 30
    page.fill("input[name=code1]", pyotp.TOTP(seed).at((step - 1) * 30))
    page.fill("input[name=code2]", pyotp.TOTP(seed).at(step * 30))
    page.click("#enable-mfa")
    page.wait_for_url(f"**/console/users/{name}")
    assert "MFA device enabled." in (page.text_content(".flash") or "")
    assert f"mfa/{name}-" in (page.text_content("#mfa-devices") or "")
    page.click("text=Sign out")
    sign_in_user(page, console_server, name, PASSWORD)
    page.wait_for_url("**/console/mfa")
    page.fill("input[name=code]", pyotp.TOTP(seed).at((step + 1) * 30))
    page.click("form[action='/console/mfa'] button")
    page.wait_for_url(console_server.endpoint + "/console")
    assert page.text_content("#identity") == f"{name} @ {console_server.account_id}"
