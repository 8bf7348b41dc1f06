"""IAM users: list (filtered, a page at a time), create, rename, delete; the detail page
with groups, policies and the permissions boundary, keys, MFA."""

from __future__ import annotations

import base64

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page
from iamd.console.pages import boundaries, tags
from iamd.console.pages.common import list_page, rename_or_move

EXAMPLE = "example-user"
EXAMPLE_SERIAL = "arn:aws:iam::000000000000:mfa/example-device"


def index(page: Page) -> Response:
    """A page of users, filtered by name (``common.list_page``: the filter reads on through
    the list until the page is full)."""
    listing = list_page(page, "ListUsers", "Users", "UserName")
    return page.render("users.html", listing=listing, can_create=page.can("CreateUser", UserName=EXAMPLE))


def new(page: Page) -> Response:
    return page.render("user_new.html", error=None, values={})


def create(page: Page) -> Response:
    form = page.request
    name = form.field("user_name").strip()
    password = form.field("password")
    try:
        page.iam("CreateUser", UserName=name)
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        return page.render("user_new.html", status=exc.status, error=exc, values={"user_name": name})
    page.flash(f"User {name} created.")
    if password:
        try:
            page.iam(
                "CreateLoginProfile", UserName=name, Password=password,
                PasswordResetRequired="true" if form.field("reset_required") else "false",
            )
        except OperationError as exc:
            # The user exists now: say why it has no password, on its own page.
            page.flash(f"User {name} created without a console password: {exc.code}: {exc.message}")
    return Response.redirect(f"/console/users/{name}")


def detail(page: Page, created_key: dict[str, str] | None = None) -> Response:
    name = page.request.params["name"]
    user = page.iam("GetUser", UserName=name)["User"]
    profile = page.try_iam("GetLoginProfile", UserName=name)
    groups = page.iam("ListGroupsForUser", UserName=name).get("Groups") or []
    attached = page.iam("ListAttachedUserPolicies", UserName=name).get("AttachedPolicies") or []
    inline = page.iam("ListUserPolicies", UserName=name).get("PolicyNames") or []
    keys = page.iam("ListAccessKeys", UserName=name).get("AccessKeyMetadata") or []
    devices = page.iam("ListMFADevices", UserName=name).get("MFADevices") or []
    all_groups = page.try_iam("ListGroups")
    caps = {
        "delete": page.can("DeleteUser", UserName=name),
        "attach": page.can("AttachUserPolicy", UserName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
        "groups": page.can("AddUserToGroup", UserName=name, GroupName="example-group"),
        "access_keys": page.can("CreateAccessKey", UserName=name),
        "password": page.can("CreateLoginProfile", UserName=name),
        "mfa": page.can("CreateVirtualMFADevice", VirtualMFADeviceName="example-device")
        and page.can("EnableMFADevice", UserName=name, SerialNumber="arn:aws:iam::000000000000:mfa/example-device",
                     AuthenticationCode1="000000", AuthenticationCode2="000000"),
        "security_key": page.can("EnableMFADevice", UserName=name, SerialNumber=EXAMPLE_SERIAL,
                                 AuthenticationCode1="000000", AuthenticationCode2="000000"),
        "remove_mfa": page.can("DeactivateMFADevice", UserName=name, SerialNumber=EXAMPLE_SERIAL),
        "edit": page.can("UpdateUser", UserName=name),
        "boundary": page.can("PutUserPermissionsBoundary", UserName=name, PermissionsBoundary=boundaries.EXAMPLE),
        "remove_boundary": page.can("DeleteUserPermissionsBoundary", UserName=name),
    }
    return page.render(
        "user.html", user=user, profile=None if isinstance(profile, OperationError) else profile.get("LoginProfile"),
        groups=groups, attached=attached, inline=inline, keys=keys, devices=devices, caps=caps,
        other_groups=[] if isinstance(all_groups, OperationError)
        else [g for g in all_groups.get("Groups") or [] if g["GroupName"] not in {x["GroupName"] for x in groups}],
        created_key=created_key, created_key_csv=_key_csv(created_key) if created_key else None,
        tags=tags.tags_of(page, "users", name), can_tag=tags.can_tag(page, "users", name),
        tag_kind="users", tag_name=name,
        boundary=(user.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
        can_set_boundary=caps["boundary"], can_remove_boundary=caps["remove_boundary"],
        boundary_kind="users", boundary_name=name,
    )


def _key_csv(key: dict[str, str]) -> str:
    """The new key as AWS's console downloads it (``Access key ID,Secret access key``), as a
    data: URL: the secret goes to the browser in this one answer and is stored nowhere."""
    text = f"Access key ID,Secret access key\r\n{key['AccessKeyId']},{key['SecretAccessKey']}\r\n"
    return "data:text/csv;base64," + base64.b64encode(text.encode()).decode("ascii")


def delete(page: Page) -> Response:
    """Delete the user and what AWS refuses to delete it with, as the AWS console does."""
    name = page.request.params["name"]
    if not page.can("DeleteUser", UserName=name):
        page.iam("DeleteUser", UserName=name)  # refused: AccessDenied, as the API says it
    profile = page.try_iam("GetLoginProfile", UserName=name)
    if not isinstance(profile, OperationError):
        page.iam("DeleteLoginProfile", UserName=name)
    for key in page.iam("ListAccessKeys", UserName=name).get("AccessKeyMetadata") or []:
        page.iam("DeleteAccessKey", UserName=name, AccessKeyId=key["AccessKeyId"])
    for group in page.iam("ListGroupsForUser", UserName=name).get("Groups") or []:
        page.iam("RemoveUserFromGroup", UserName=name, GroupName=group["GroupName"])
    for policy in page.iam("ListAttachedUserPolicies", UserName=name).get("AttachedPolicies") or []:
        page.iam("DetachUserPolicy", UserName=name, PolicyArn=policy["PolicyArn"])
    for policy_name in page.iam("ListUserPolicies", UserName=name).get("PolicyNames") or []:
        page.iam("DeleteUserPolicy", UserName=name, PolicyName=policy_name)
    for device in page.iam("ListMFADevices", UserName=name).get("MFADevices") or []:
        page.iam("DeactivateMFADevice", UserName=name, SerialNumber=device["SerialNumber"])
    page.iam("DeleteUser", UserName=name)
    page.flash(f"User {name} deleted.")
    return Response.redirect("/console/users")


def edit(page: Page) -> Response:
    """Rename the user or move it to another path (UpdateUser)."""
    name = page.request.params["name"]
    user = page.iam("GetUser", UserName=name)["User"]
    done = rename_or_move(page, "user", user)
    if done is None:
        return Response.redirect(f"/console/users/{name}")
    session = page.session
    if session.role is None and session.user_id == user["UserId"]:
        session.user_name = done.name  # a user renaming itself stays signed in, as in AWS
    page.flash(done.message)
    return Response.redirect(f"/console/users/{done.name}")


def add_to_group(page: Page) -> Response:
    name = page.request.params["name"]
    page.iam("AddUserToGroup", UserName=name, GroupName=page.request.field("group"))
    return Response.redirect(f"/console/users/{name}")


def remove_from_group(page: Page) -> Response:
    name = page.request.params["name"]
    page.iam("RemoveUserFromGroup", UserName=name, GroupName=page.request.field("group"))
    return Response.redirect(f"/console/users/{name}")


def attach(page: Page) -> Response:
    name = page.request.params["name"]
    page.iam("AttachUserPolicy", UserName=name, PolicyArn=page.request.field("policy_arn").strip())
    page.flash("Policy attached.")
    return Response.redirect(f"/console/users/{name}")


def detach(page: Page) -> Response:
    name = page.request.params["name"]
    page.iam("DetachUserPolicy", UserName=name, PolicyArn=page.request.field("policy_arn"))
    return Response.redirect(f"/console/users/{name}")


def create_key(page: Page) -> Response:
    # The secret is rendered in this answer and kept nowhere: it is shown once.
    key = page.iam("CreateAccessKey", UserName=page.request.params["name"])["AccessKey"]
    return detail(page, created_key=key)


def update_key(page: Page) -> Response:
    name = page.request.params["name"]
    key_id = page.request.field("access_key_id")
    action = page.request.field("action")
    if action == "delete":
        page.iam("DeleteAccessKey", UserName=name, AccessKeyId=key_id)
    else:
        page.iam("UpdateAccessKey", UserName=name, AccessKeyId=key_id,
                 Status="Active" if action == "activate" else "Inactive")
    return Response.redirect(f"/console/users/{name}")


def set_password(page: Page) -> Response:
    name = page.request.params["name"]
    fields = {
        "UserName": name, "Password": page.request.field("password"),
        "PasswordResetRequired": "true" if page.request.field("reset_required") else "false",
    }
    exists = not isinstance(page.try_iam("GetLoginProfile", UserName=name), OperationError)
    page.iam("UpdateLoginProfile" if exists else "CreateLoginProfile", fields)
    page.flash("Console password set.")
    return Response.redirect(f"/console/users/{name}")


ROUTES: list[Route] = [
    route("GET", "/users", index),
    route("GET", "/users/new", new),
    route("POST", "/users", create),
    route("GET", "/users/{name}", detail),
    route("POST", "/users/{name}/delete", delete),
    route("POST", "/users/{name}/edit", edit),
    route("POST", "/users/{name}/groups", add_to_group),
    route("POST", "/users/{name}/groups/remove", remove_from_group),
    route("POST", "/users/{name}/policies", attach),
    route("POST", "/users/{name}/policies/detach", detach),
    route("POST", "/users/{name}/access-keys", create_key),
    route("POST", "/users/{name}/access-keys/update", update_key),
    route("POST", "/users/{name}/password", set_password),
]
