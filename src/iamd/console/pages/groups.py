"""IAM groups: list (filtered, a page at a time), create, rename, delete; members and
attached policies."""

from __future__ import annotations

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page
from iamd.console.pages.common import list_page, rename_or_move


def index(page: Page) -> Response:
    """A page of groups, filtered by name (``common.list_page``)."""
    return page.render("groups.html", listing=list_page(page, "ListGroups", "Groups", "GroupName"), error=None,
                       can_create=page.can("CreateGroup", GroupName="example-group"))


def create(page: Page) -> Response:
    name = page.request.field("group_name").strip()
    try:
        page.iam("CreateGroup", GroupName=name)
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        return page.render("groups.html", status=exc.status, listing=list_page(page, "ListGroups", "Groups", "GroupName"),
                           error=exc, can_create=True)
    page.flash(f"Group {name} created.")
    return Response.redirect(f"/console/groups/{name}")


def detail(page: Page) -> Response:
    name = page.request.params["name"]
    group = page.iam("GetGroup", GroupName=name)
    attached = page.iam("ListAttachedGroupPolicies", GroupName=name).get("AttachedPolicies") or []
    caps = {
        "delete": page.can("DeleteGroup", GroupName=name),
        "attach": page.can("AttachGroupPolicy", GroupName=name, PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess"),
        "edit": page.can("UpdateGroup", GroupName=name),
    }
    return page.render("group.html", group=group["Group"], users=group.get("Users") or [], attached=attached, caps=caps)


def delete(page: Page) -> Response:
    name = page.request.params["name"]
    if not page.can("DeleteGroup", GroupName=name):
        page.iam("DeleteGroup", GroupName=name)  # refused: AccessDenied, as the API says it
    for user in page.iam("GetGroup", GroupName=name).get("Users") or []:
        page.iam("RemoveUserFromGroup", GroupName=name, UserName=user["UserName"])
    for policy in page.iam("ListAttachedGroupPolicies", GroupName=name).get("AttachedPolicies") or []:
        page.iam("DetachGroupPolicy", GroupName=name, PolicyArn=policy["PolicyArn"])
    for policy_name in page.iam("ListGroupPolicies", GroupName=name).get("PolicyNames") or []:
        page.iam("DeleteGroupPolicy", GroupName=name, PolicyName=policy_name)
    page.iam("DeleteGroup", GroupName=name)
    page.flash(f"Group {name} deleted.")
    return Response.redirect("/console/groups")


def edit(page: Page) -> Response:
    """Rename the group or move it to another path (UpdateGroup)."""
    name = page.request.params["name"]
    group = page.iam("GetGroup", GroupName=name, MaxItems="1")["Group"]
    done = rename_or_move(page, "group", group)
    if done is None:
        return Response.redirect(f"/console/groups/{name}")
    page.flash(done.message)
    return Response.redirect(f"/console/groups/{done.name}")


def attach(page: Page) -> Response:
    name = page.request.params["name"]
    page.iam("AttachGroupPolicy", GroupName=name, PolicyArn=page.request.field("policy_arn").strip())
    page.flash("Policy attached.")
    return Response.redirect(f"/console/groups/{name}")


def detach(page: Page) -> Response:
    name = page.request.params["name"]
    page.iam("DetachGroupPolicy", GroupName=name, PolicyArn=page.request.field("policy_arn"))
    return Response.redirect(f"/console/groups/{name}")


ROUTES: list[Route] = [
    route("GET", "/groups", index),
    route("POST", "/groups", create),
    route("GET", "/groups/{name}", detail),
    route("POST", "/groups/{name}/delete", delete),
    route("POST", "/groups/{name}/edit", edit),
    route("POST", "/groups/{name}/policies", attach),
    route("POST", "/groups/{name}/policies/detach", detach),
]
