"""Permissions boundaries of users and roles: shown on their pages, set with
PutUserPermissionsBoundary/PutRolePermissionsBoundary and removed with
DeleteUserPermissionsBoundary/DeleteRolePermissionsBoundary (the API's checks and errors)."""

from __future__ import annotations

from collections.abc import Callable

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page

# The policy ARN the pages ask the authorizer about before showing the controls.
EXAMPLE = "arn:aws:iam::aws:policy/ReadOnlyAccess"

# (the kind in the path, the operations' noun, the name parameter)
KINDS = {"users": ("User", "UserName"), "roles": ("Role", "RoleName")}


def put(page: Page) -> Response:
    kind, name = page.request.params["kind"], page.request.params["name"]
    noun, param = KINDS[kind]
    arn = page.request.field("policy_arn").strip()
    try:
        page.iam(f"Put{noun}PermissionsBoundary", {param: name, "PermissionsBoundary": arn})
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        page.flash(f"The permissions boundary was not set ({exc.code}: {exc.message})")
        return Response.redirect(f"/console/{kind}/{name}")
    page.flash(f"Permissions boundary set to {arn}.")
    return Response.redirect(f"/console/{kind}/{name}")


def delete(page: Page) -> Response:
    kind, name = page.request.params["kind"], page.request.params["name"]
    noun, param = KINDS[kind]
    page.iam(f"Delete{noun}PermissionsBoundary", {param: name})
    page.flash("Permissions boundary removed.")
    return Response.redirect(f"/console/{kind}/{name}")


def _kind(handler: Callable[[Page], Response]) -> Callable[[Page], Response]:
    def checked(page: Page) -> Response:
        if page.request.params["kind"] not in KINDS:
            return page.render("message.html", status=404, title="Not found", message="There is no such console page.")
        return handler(page)

    return checked


ROUTES: list[Route] = [
    route("POST", "/{kind}/{name}/boundary", _kind(put)),
    route("POST", "/{kind}/{name}/boundary/delete", _kind(delete)),
]
