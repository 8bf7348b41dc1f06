"""Switch role: the signed-in principal assumes a role (STS AssumeRole, through the same
path as the API, so the role's trust policy and the caller's own policies decide), and the
console then acts with the role session's credentials until it switches back or they
expire. The five most recent roles are offered again."""

from __future__ import annotations

import re

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page

COLOURS = ("red", "orange", "yellow", "green", "blue")
RECENT = 5
_ACCOUNT = re.compile(r"[0-9]{12}")


def form(page: Page) -> Response:
    values = {
        "account": page.request.arg("account"), "role": page.request.arg("role"),
        "display": page.request.arg("display"), "colour": page.request.arg("colour") or "blue",
    }
    return page.render("switch_role.html", error=None, values=values, colours=COLOURS,
                       recent=page.session.recent_roles)


def switch(page: Page) -> Response:
    request = page.request
    account = request.field("account").strip()
    role_name = request.field("role").strip()
    colour = request.field("colour") if request.field("colour") in COLOURS else "blue"
    display = request.field("display").strip() or f"{role_name} @ {account}"
    values = {"account": account, "role": role_name, "display": display, "colour": colour}
    account_id = _account_id(page, account)
    if account_id is None or not role_name:
        return page.render("switch_role.html", status=400, values=values, colours=COLOURS,
                           recent=page.session.recent_roles,
                           error=OperationError("ValidationError", "Enter an account id or alias and a role name.", 400))
    base = page.caller
    if page.session.role is not None:
        return page.render("switch_role.html", status=400, values=values, colours=COLOURS,
                           recent=page.session.recent_roles,
                           error=OperationError("ValidationError", "Switch back before switching to another role.", 400))
    arn = f"arn:{base.partition}:iam::{account_id}:role/{role_name}"
    session_name = (base.user_name or "root")[:64]
    try:
        output = page.backend.operations.call(
            base, "sts", "AssumeRole", {"RoleArn": arn, "RoleSessionName": session_name}, page.client
        )
    except OperationError as exc:
        return page.render("switch_role.html", status=exc.status, values=values, colours=COLOURS,
                           recent=page.session.recent_roles, error=exc)
    credentials = output["Credentials"]
    page.session.role = {
        "access_key_id": credentials["AccessKeyId"], "token": credentials["SessionToken"],
        "display": display, "colour": colour, "arn": output["AssumedRoleUser"]["Arn"],
    }
    recent = [r for r in page.session.recent_roles if (r["account"], r["role"]) != (account, role_name)]
    page.session.recent_roles = [values, *recent][:RECENT]
    page.flash(f"You are now acting as {display}.")
    return Response.redirect("/console")


def switch_back(page: Page) -> Response:
    page.session.role = None
    page.flash("Switched back to your own identity.")
    return Response.redirect("/console")


def _account_id(page: Page, account: str) -> str | None:
    if _ACCOUNT.fullmatch(account):
        return account
    if not account:
        return None
    with page.backend.db.reading() as unit:
        return unit.aliases.owner(account.lower())


ROUTES: list[Route] = [
    route("GET", "/switch-role", form),
    route("POST", "/switch-role", switch),
    route("POST", "/switch-back", switch_back),
]
