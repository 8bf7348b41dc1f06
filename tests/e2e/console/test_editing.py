"""The console's list pages (a name filter, a page at a time) and its edits: renaming users
and groups, a role's description, session duration and trust policy (a document that is not
JSON shown with the line it breaks at), permissions boundaries, identity providers. Each
edit is the API's operation, so a read-only user sees no edit controls and is refused a
forged form."""

from __future__ import annotations

import json
import uuid
from typing import Any

from tests.e2e.conftest import RunningServer
from tests.e2e.console.conftest import screenshot, sign_in_root, sign_in_user

PASSWORD = "Editor-Passw0rd!"
BOUNDARY = "arn:aws:iam::aws:policy/PowerUserAccess"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]}


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def rows(page: Any, table: str) -> list[str]:
    return [text.strip() for text in page.locator(f"#{table} tbody tr td:first-child").all_text_contents()]


def test_users_list_filters_and_pages(console_server: RunningServer, page: Any) -> None:
    prefix = unique("paged")
    iam = console_server.client("iam")
    names = [f"{prefix}-{i:02d}" for i in range(60)]
    for name in names:
        iam.create_user(UserName=name)
    sign_in_root(page, console_server)
    page.goto(console_server.endpoint + "/console/users")
    assert len(rows(page, "users")) == 50 and page.locator("#next-page").count() == 1
    page.fill("#filter-q", prefix.upper())  # the filter ignores letter case, as AWS's does
    page.click("#filter-button")
    assert rows(page, "users") == names[:50]
    assert page.locator("#first-page").count() == 0
    screenshot(page, "users-filtered")
    page.click("#next-page")
    assert rows(page, "users") == names[50:]
    assert page.locator("#next-page").count() == 0
    assert page.input_value("#filter-q") == prefix.upper()
    page.click("#first-page")
    assert rows(page, "users") == names[:50]
    page.goto(console_server.endpoint + f"/console/users?q={prefix}&size=7")
    assert rows(page, "users") == names[:7]
    page.click("#next-page")
    assert rows(page, "users") == names[7:14]
    page.goto(console_server.endpoint + "/console/users?size=lots")
    assert "is not a number" in (page.text_content("#error-message") or "")
    bad_marker = page.request.get(console_server.endpoint + "/console/users?marker=x")
    assert bad_marker.status == 400 and "Marker" in bad_marker.text()


def test_rename_a_user_and_a_group(console_server: RunningServer, page: Any) -> None:
    user, group = unique("renamed"), unique("regrouped")
    iam = console_server.client("iam")
    iam.create_user(UserName=user)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(UserName=user, GroupName=group)
    sign_in_root(page, console_server)
    page.goto(f"{console_server.endpoint}/console/users/{user}")
    page.fill("#edit-user-name", user + "-new")
    page.fill("#edit-user-path", "/team/")
    page.click("#save-user")
    page.wait_for_url(f"**/console/users/{user}-new")
    assert page.text_content("#user-name") == user + "-new"
    renamed = iam.get_user(UserName=user + "-new")["User"]
    assert renamed["Path"] == "/team/"
    page.fill("#edit-user-path", "no-slashes")
    page.click("#save-user")
    assert "was not changed" in (page.text_content(".flash") or "")
    page.goto(f"{console_server.endpoint}/console/groups?q={group}")
    assert rows(page, "groups") == [group]
    page.goto(f"{console_server.endpoint}/console/groups/{group}")
    page.fill("#edit-group-name", group + "-new")
    page.click("#save-group")
    page.wait_for_url(f"**/console/groups/{group}-new")
    assert [u["UserName"] for u in iam.get_group(GroupName=group + "-new")["Users"]] == [user + "-new"]


def test_edit_a_role_and_its_trust_policy(console_server: RunningServer, page: Any) -> None:
    role = unique("edited-role")
    iam = console_server.client("iam")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    sign_in_root(page, console_server)
    page.goto(f"{console_server.endpoint}/console/roles?q={role}")
    assert rows(page, "roles") == [role]
    page.locator("#roles a", has_text=role).click()
    page.fill("#edit-role-description", "Runs the nightly jobs")
    page.fill("#edit-role-max-session", "7200")
    page.click("#save-role")
    page.wait_for_url(f"**/console/roles/{role}")
    assert page.text_content("#role-description") == "Runs the nightly jobs"
    stored = iam.get_role(RoleName=role)["Role"]
    assert stored["Description"] == "Runs the nightly jobs" and stored["MaxSessionDuration"] == 7200
    broken = '{\n  "Version": "2012-10-17",\n  "Statement": [\n}'
    page.fill("#trust-policy", broken)
    page.click("#update-trust")
    assert "MalformedPolicyDocument" in (page.text_content("#trust-error") or "")
    assert "Line 4" in (page.text_content("#trust-syntax") or "")
    assert page.input_value("#trust-policy") == broken  # the document as sent, to fix
    screenshot(page, "role-trust-error")
    trust = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]}
    page.fill("#trust-policy", json.dumps(trust, indent=2))
    page.click("#update-trust")
    page.wait_for_url(f"**/console/roles/{role}")
    assert "Trust policy updated." in (page.text_content(".flash") or "")
    assert iam.get_role(RoleName=role)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"}


def test_set_and_remove_a_permissions_boundary(console_server: RunningServer, page: Any) -> None:
    user, role = unique("bounded"), unique("bounded-role")
    iam = console_server.client("iam")
    iam.create_user(UserName=user)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    sign_in_root(page, console_server)
    for kind, name in (("users", user), ("roles", role)):
        page.goto(f"{console_server.endpoint}/console/{kind}/{name}")
        assert page.locator("#no-boundary").count() == 1
        page.fill("#boundary-policy", BOUNDARY)
        page.click("#set-boundary")
        page.wait_for_url(f"**/console/{kind}/{name}")
        assert page.text_content("#boundary-arn") == BOUNDARY
    assert iam.get_user(UserName=user)["User"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    assert iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"] == BOUNDARY
    page.fill("#boundary-policy", "arn:aws:iam::aws:policy/NoSuchPolicy")
    page.click("#set-boundary")
    assert "was not set" in (page.text_content(".flash") or "")
    page.click("#remove-boundary")
    page.wait_for_url(f"**/console/roles/{role}")
    assert page.locator("#no-boundary").count() == 1
    assert "PermissionsBoundary" not in iam.get_role(RoleName=role)["Role"]
    assert "PermissionsBoundary" in iam.get_user(UserName=user)["User"]


def test_edit_an_openid_connect_provider(console_server: RunningServer, page: Any) -> None:
    host = unique("edited") + ".example.com"
    iam = console_server.client("iam")
    arn = iam.create_open_id_connect_provider(Url=f"https://{host}", ClientIDList=["first"])["OpenIDConnectProviderArn"]
    sign_in_root(page, console_server)
    page.goto(f"{console_server.endpoint}/console/identity-providers?q={host}")
    assert len(rows(page, "providers")) == 1
    page.locator("#providers a", has_text=arn).click()
    page.fill("#new-client-id", "second")
    page.click("#add-client-id")
    page.locator("#client-ids li", has_text="first").locator("button", has_text="Remove").click()
    page.fill("#thumbprints", "a" * 40)
    page.click("#update-thumbprints")
    assert "Thumbprints updated." in (page.text_content(".flash") or "")
    provider = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=arn)
    assert provider["ClientIDList"] == ["second"] and provider["ThumbprintList"] == ["a" * 40]
    page.fill("#thumbprints", "not-a-thumbprint")
    page.click("#update-thumbprints")
    assert "was not changed" in (page.text_content(".flash") or "")


def test_read_only_user_has_no_edit_controls_and_forged_edits_are_denied(
    console_server: RunningServer, page: Any
) -> None:
    reader, victim, role, group = unique("reader"), unique("victim"), unique("kept-role"), unique("kept-group")
    iam = console_server.client("iam")
    iam.create_user(UserName=reader)
    iam.create_login_profile(UserName=reader, Password=PASSWORD)
    iam.attach_user_policy(UserName=reader, PolicyArn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    iam.create_user(UserName=victim)
    iam.create_group(GroupName=group)
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=json.dumps(TRUST))
    sign_in_user(page, console_server, reader, PASSWORD)
    page.wait_for_url(console_server.endpoint + "/console")
    page.goto(f"{console_server.endpoint}/console/users/{victim}")
    assert page.locator("#save-user").count() == 0 and page.locator("#set-boundary").count() == 0
    page.goto(f"{console_server.endpoint}/console/roles/{role}")
    for control in ("#save-role", "#update-trust", "#set-boundary", "textarea#trust-policy"):
        assert page.locator(control).count() == 0, control
    page.goto(f"{console_server.endpoint}/console/groups/{group}")
    assert page.locator("#save-group").count() == 0
    csrf = page.locator("input[name=csrf]").first.get_attribute("value")
    for path, form in (
        (f"/console/users/{victim}/edit", {"user_name": victim + "-x", "path": "/"}),
        (f"/console/users/{victim}/boundary", {"policy_arn": BOUNDARY}),
        (f"/console/roles/{role}/edit", {"description": "forged", "max_session_duration": "7200"}),
        (f"/console/roles/{role}/trust", {"trust": json.dumps(TRUST)}),
        (f"/console/roles/{role}/boundary/delete", {}),
        (f"/console/groups/{group}/edit", {"group_name": group + "-x", "path": "/"}),
    ):
        forged = page.request.post(console_server.endpoint + path, form={"csrf": csrf, **form})
        assert forged.status == 403, path
        assert "AccessDenied" in forged.text(), path
    assert iam.get_user(UserName=victim)["User"]["UserName"] == victim
    assert "PermissionsBoundary" not in iam.get_user(UserName=victim)["User"]
    assert "Description" not in iam.get_role(RoleName=role)["Role"]
    assert iam.get_group(GroupName=group)["Group"]["GroupName"] == group
