"""Account settings: the account alias and the password policy."""

from __future__ import annotations

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page

FLAGS = (
    ("RequireUppercaseCharacters", "Require at least one uppercase letter"),
    ("RequireLowercaseCharacters", "Require at least one lowercase letter"),
    ("RequireNumbers", "Require at least one number"),
    ("RequireSymbols", "Require at least one symbol"),
    ("AllowUsersToChangePassword", "Allow users to change their own password"),
    ("HardExpiry", "Prevent password reuse after expiry (administrator reset)"),
)


def settings(page: Page, error: OperationError | None = None) -> Response:
    aliases = page.try_iam("ListAccountAliases")
    alias = None if isinstance(aliases, OperationError) else next(iter(aliases.get("AccountAliases") or []), None)
    policy = page.try_iam("GetAccountPasswordPolicy")
    current = policy.get("PasswordPolicy") if isinstance(policy, dict) else None
    caps = {
        "alias": page.can("CreateAccountAlias", AccountAlias="example-alias"),
        "policy": page.can("UpdateAccountPasswordPolicy"),
    }
    return page.render("account.html", status=error.status if error else 200, alias=alias, policy=current,
                       flags=FLAGS, caps=caps, error=error)


def set_alias(page: Page) -> Response:
    alias = page.request.field("alias").strip().lower()
    current = page.iam("ListAccountAliases").get("AccountAliases") or []
    try:
        for old in current:
            page.iam("DeleteAccountAlias", AccountAlias=old)
        if alias:
            page.iam("CreateAccountAlias", AccountAlias=alias)
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        return settings(page, exc)
    page.flash(f"Account alias set to {alias}." if alias else "Account alias removed.")
    return Response.redirect("/console/account")


def set_policy(page: Page) -> Response:
    request = page.request
    if request.field("action") == "delete":
        page.iam("DeleteAccountPasswordPolicy")
        page.flash("Password policy removed: AWS's default rules apply.")
        return Response.redirect("/console/account")
    fields = {name: "true" if request.field(name) else "false" for name, _ in FLAGS}
    for name, key in (("MinimumPasswordLength", "minimum_length"), ("MaxPasswordAge", "max_age"),
                      ("PasswordReusePrevention", "reuse")):
        value = request.field(key).strip()
        if value:
            fields[name] = value
    try:
        page.iam("UpdateAccountPasswordPolicy", fields)
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        return settings(page, exc)
    page.flash("Password policy saved.")
    return Response.redirect("/console/account")


ROUTES: list[Route] = [
    route("GET", "/account", settings),
    route("POST", "/account/alias", set_alias),
    route("POST", "/account/password-policy", set_policy),
]
