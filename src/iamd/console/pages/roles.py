"""IAM roles: list (filtered, a page at a time), create with a trust policy, edit (the
description, the maximum session duration, the trust policy with its validation errors and,
for a document that is not JSON, the line it breaks at), delete; permissions policies and
the permissions boundary."""

from __future__ import annotations

import json
from datetime import UTC

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page
from iamd.console.pages import boundaries, tags
from iamd.console.pages.common import list_page, pretty, syntax_error

REVOKE_POLICY = "AWSRevokeOlderSessions"

DEFAULT_TRUST = """{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Principal": {"AWS": "arn:aws:iam::%s:root"},
      "Action": "sts:AssumeRole"
    }
  ]
}"""


def index(page: Page) -> Response:
    """A page of roles, filtered by name (``common.list_page``)."""
    listing = list_page(page, "ListRoles", "Roles", "RoleName")
    return page.render("roles.html", listing=listing, can_create=page.can("CreateRole", RoleName="example-role"))


def new(page: Page) -> Response:
    return page.render("role_new.html", error=None, syntax=None,
                       values={"trust": DEFAULT_TRUST % page.session.account_id})


def create(page: Page) -> Response:
    name = page.request.field("role_name").strip()
    trust = page.request.field("trust")
    description = page.request.field("description")
    fields = {"RoleName": name, "AssumeRolePolicyDocument": trust}
    if description:
        fields["Description"] = description
    try:
        page.iam("CreateRole", fields)
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        return page.render("role_new.html", status=exc.status, error=exc, syntax=syntax_error(trust),
                           values={"role_name": name, "trust": trust, "description": description})
    page.flash(f"Role {name} created.")
    return Response.redirect(f"/console/roles/{name}")


def detail(page: Page, trust: str | None = None, error: OperationError | None = None, status: int = 200) -> Response:
    """The role's page; after a refused trust policy, with the document as sent and why."""
    name = page.request.params["name"]
    role = page.iam("GetRole", RoleName=name)["Role"]
    attached = page.iam("ListAttachedRolePolicies", RoleName=name).get("AttachedPolicies") or []
    inline = page.iam("ListRolePolicies", RoleName=name).get("PolicyNames") or []
    caps = {
        "delete": page.can("DeleteRole", RoleName=name),
        "attach": page.can("AttachRolePolicy", RoleName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
        "trust": page.can("UpdateAssumeRolePolicy", RoleName=name, PolicyDocument="{}"),
        "edit": page.can("UpdateRole", RoleName=name),
        "boundary": page.can("PutRolePermissionsBoundary", RoleName=name, PermissionsBoundary=boundaries.EXAMPLE),
        "remove_boundary": page.can("DeleteRolePermissionsBoundary", RoleName=name),
    }
    caps["revoke"] = page.can("PutRolePolicy", RoleName=name, PolicyName=REVOKE_POLICY, PolicyDocument="{}")
    return page.render(
        "role.html", status=status, role=role,
        trust=pretty(role.get("AssumeRolePolicyDocument") or "") if trust is None else trust,
        attached=attached, inline=inline, caps=caps, error=error,
        syntax=syntax_error(trust) if error is not None and trust is not None else None,
        tags=tags.tags_of(page, "roles", name), can_tag=tags.can_tag(page, "roles", name),
        tag_kind="roles", tag_name=name,
        boundary=(role.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn"),
        can_set_boundary=caps["boundary"], can_remove_boundary=caps["remove_boundary"],
        boundary_kind="roles", boundary_name=name,
    )


def edit(page: Page) -> Response:
    """Change the role's description and maximum session duration (UpdateRole)."""
    name = page.request.params["name"]
    fields = {"RoleName": name, "Description": page.request.field("description").strip()}
    duration = page.request.field("max_session_duration").strip()
    if duration:
        fields["MaxSessionDuration"] = duration
    try:
        page.iam("UpdateRole", fields)
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        page.flash(f"The role was not changed ({exc.code}: {exc.message})")
        return Response.redirect(f"/console/roles/{name}")
    page.flash(f"Role {name} updated.")
    return Response.redirect(f"/console/roles/{name}")


def revoke_sessions(page: Page) -> Response:
    """Revoke the role's active sessions as AWS's console does: an inline policy denying
    everything to sessions whose credentials were issued before now."""
    name = page.request.params["name"]
    issued_before = page.now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Deny", "Action": ["*"], "Resource": ["*"],
            "Condition": {"DateLessThan": {"aws:TokenIssueTime": issued_before}},
        }],
    }
    page.iam("PutRolePolicy", RoleName=name, PolicyName=REVOKE_POLICY, PolicyDocument=json.dumps(document))
    page.flash(f"Sessions issued before {issued_before} are revoked ({REVOKE_POLICY}).")
    return Response.redirect(f"/console/roles/{name}")


def delete(page: Page) -> Response:
    name = page.request.params["name"]
    if not page.can("DeleteRole", RoleName=name):
        page.iam("DeleteRole", RoleName=name)  # refused: AccessDenied, as the API says it
    for policy in page.iam("ListAttachedRolePolicies", RoleName=name).get("AttachedPolicies") or []:
        page.iam("DetachRolePolicy", RoleName=name, PolicyArn=policy["PolicyArn"])
    for policy_name in page.iam("ListRolePolicies", RoleName=name).get("PolicyNames") or []:
        page.iam("DeleteRolePolicy", RoleName=name, PolicyName=policy_name)
    for profile in page.iam("ListInstanceProfilesForRole", RoleName=name).get("InstanceProfiles") or []:
        page.iam("RemoveRoleFromInstanceProfile", RoleName=name, InstanceProfileName=profile["InstanceProfileName"])
    page.iam("DeleteRole", RoleName=name)
    page.flash(f"Role {name} deleted.")
    return Response.redirect("/console/roles")


def update_trust(page: Page) -> Response:
    name = page.request.params["name"]
    document = page.request.field("trust")
    try:
        page.iam("UpdateAssumeRolePolicy", RoleName=name, PolicyDocument=document)
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        return detail(page, trust=document, error=exc, status=exc.status)
    page.flash("Trust policy updated.")
    return Response.redirect(f"/console/roles/{name}")


def attach(page: Page) -> Response:
    name = page.request.params["name"]
    page.iam("AttachRolePolicy", RoleName=name, PolicyArn=page.request.field("policy_arn").strip())
    page.flash("Policy attached.")
    return Response.redirect(f"/console/roles/{name}")


def detach(page: Page) -> Response:
    name = page.request.params["name"]
    page.iam("DetachRolePolicy", RoleName=name, PolicyArn=page.request.field("policy_arn"))
    return Response.redirect(f"/console/roles/{name}")


ROUTES: list[Route] = [
    route("GET", "/roles", index),
    route("GET", "/roles/new", new),
    route("POST", "/roles", create),
    route("GET", "/roles/{name}", detail),
    route("POST", "/roles/{name}/delete", delete),
    route("POST", "/roles/{name}/edit", edit),
    route("POST", "/roles/{name}/trust", update_trust),
    route("POST", "/roles/{name}/policies", attach),
    route("POST", "/roles/{name}/policies/detach", detach),
    route("POST", "/roles/{name}/revoke-sessions", revoke_sessions),
]
