"""The tags of users and roles: listed on their pages, added and removed with
TagUser/UntagUser and TagRole/UntagRole (the API's own limits and errors)."""

from __future__ import annotations

from typing import Any

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page
from iamd.console.pages.common import members

# (the kind in the path, the operations' noun, the name parameter)
KINDS = {"users": ("User", "UserName"), "roles": ("Role", "RoleName")}


def tags_of(page: Page, kind: str, name: str) -> list[dict[str, Any]]:
    noun, param = KINDS[kind]
    return page.iam(f"List{noun}Tags", {param: name, "MaxItems": "1000"}).get("Tags") or []


def can_tag(page: Page, kind: str, name: str) -> bool:
    noun, param = KINDS[kind]
    return page.can(f"Tag{noun}", **{param: name, "Tags.member.1.Key": "example", "Tags.member.1.Value": ""})


def add(page: Page) -> Response:
    kind, name = page.request.params["kind"], page.request.params["name"]
    noun, param = KINDS[kind]
    key, value = page.request.field("key").strip(), page.request.field("value")
    try:
        page.iam(f"Tag{noun}", {param: name, "Tags.member.1.Key": key, "Tags.member.1.Value": value})
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        page.flash(f"The tag was not added ({exc.code}: {exc.message})")
        return Response.redirect(f"/console/{kind}/{name}")
    page.flash(f"Tag {key} saved.")
    return Response.redirect(f"/console/{kind}/{name}")


def remove(page: Page) -> Response:
    kind, name = page.request.params["kind"], page.request.params["name"]
    noun, param = KINDS[kind]
    key = page.request.field("key")
    page.iam(f"Untag{noun}", {param: name, **members("TagKeys", [key])})
    page.flash(f"Tag {key} removed.")
    return Response.redirect(f"/console/{kind}/{name}")


def _kind(handler: Any) -> Any:
    def checked(page: Page) -> Response:
        if page.request.params["kind"] not in KINDS:
            return page.render("message.html", status=404, title="Not found", message="There is no such console page.")
        return handler(page)  # type: ignore[no-any-return]

    return checked


ROUTES: list[Route] = [
    route("POST", "/{kind}/{name}/tags", _kind(add)),
    route("POST", "/{kind}/{name}/tags/remove", _kind(remove)),
]
