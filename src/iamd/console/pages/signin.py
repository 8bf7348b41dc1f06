"""Sign-in, MFA, forced password change and sign-out, over ``services.signin``.

Every refusal shows one message whatever failed (unknown account or user, wrong password,
wrong code, locked profile): the service already answers them alike, after the same work,
and counts them for the lockout.
"""

from __future__ import annotations

from datetime import datetime

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.page import Page
from iamd.console.sessions import PENDING_TIMEOUT, Pending, Session, new_session
from iamd.protocol.errors import ServiceError
from iamd.services import signin
from iamd.services.crypto import SecretBox
from iamd.services.iam import password_policy
from iamd.store import UnitOfWork

FAILED_MESSAGE = "Your authentication information is incorrect. Please try again."
EXPIRED_MESSAGE = "Your password has expired. Ask your administrator to reset it."


def root_form(page: Page) -> Response:
    if page.session.signed_in:
        return Response.redirect("/console")
    return page.render("signin_root.html", error=None, email="")


def root_submit(page: Page) -> Response:
    email = page.request.field("email").strip()
    return _attempt(page, email, None, page.request.field("password"), form=("signin_root.html", {"email": email}))


def user_form(page: Page) -> Response:
    account = page.request.params.get("account") or page.request.arg("account").strip()
    if not account:
        return page.render("signin_user.html", error=None, account="", user_name="")
    return page.render("signin_user.html", error=None, account=account, user_name="")


def user_lookup(page: Page) -> Response:
    account = page.request.arg("account").strip()
    return Response.redirect(f"/console/signin/{account}" if account else "/console/signin/account")


def user_submit(page: Page) -> Response:
    account = page.request.params["account"]
    user_name = page.request.field("user_name").strip()
    return _attempt(
        page, account, user_name, page.request.field("password"),
        form=("signin_user.html", {"account": account, "user_name": user_name}),
    )


def mfa_form(page: Page) -> Response:
    """The second step: a code, or (for a user with a security key) the WebAuthn ceremony,
    against a new single-use challenge."""
    pending = page.session.pending
    if pending is None or pending.needs != "mfa":
        return Response.redirect("/console/signin")
    ceremony = signin.security_key_ceremony(
        page.backend.db, page.backend.runtime, account=pending.account, user_name=pending.user_name,
        rp_id=page.rp_id,
    )
    pending.challenge = ceremony.handle if ceremony else None
    return page.render("signin_mfa.html", error=None, ceremony=ceremony)


def mfa_submit(page: Page) -> Response:
    pending = page.session.pending
    if pending is None or pending.needs != "mfa":
        return Response.redirect("/console/signin")
    assertion = page.request.field("credential").strip()
    if assertion:
        verifier = signin.security_key_verifier(pending.challenge or "", page.rp_id, page.origin)
        return _attempt(page, pending.account, pending.user_name, pending.password, mfa_code=assertion,
                        form=("signin_mfa.html", {}), mfa_verifier=verifier)
    code = page.request.field("code").strip()
    return _attempt(page, pending.account, pending.user_name, pending.password, mfa_code=code,
                    form=("signin_mfa.html", {}))


def change_form(page: Page) -> Response:
    pending = page.session.pending
    if pending is None or pending.needs != "password":
        return Response.redirect("/console/signin")
    return _change_page(page, pending, None)


def change_submit(page: Page) -> Response:
    pending = page.session.pending
    if pending is None or pending.needs != "password":
        return Response.redirect("/console/signin")
    new, confirm = page.request.field("new_password"), page.request.field("confirm_password")
    if new != confirm:
        return _change_page(page, pending, "The new passwords do not match.")
    backend = page.backend
    try:
        result = signin.change_expired_password(
            backend.db, backend.runtime, account=pending.account, user_name=pending.user_name,
            old_password=pending.password, new_password=new,
            # The code was checked (and spent) moments ago in this same sign-in; the sealed
            # session vouches for it, so the change does not ask for a second one.
            mfa_code="verified" if pending.mfa_verified else None,
            mfa_verifier=_already_verified if pending.mfa_verified else None,
            box=backend.box, audit_sink=backend.audit, source_ip=page.request.client_ip,
            user_agent=page.request.headers.get("user-agent", ""),
        )
    except ServiceError as exc:
        return _change_page(page, pending, exc.message)
    if not result.signed_in:
        page.session.pending = None
        return page.render("signin_root.html" if pending.user_name is None else "signin_user.html",
                           error=FAILED_MESSAGE, email="", account=pending.account, user_name=pending.user_name)
    return _establish(page, result, pending.mfa_verified)


def sign_out(page: Page) -> Response:
    account = page.session.account_id if page.session.user_id is not None else None
    page.session = _fresh(page)
    page.flash("You have signed out.")
    return Response.redirect(f"/console/signin/{account}" if account else "/console/signin")


def _attempt(
    page: Page, account: str, user_name: str | None, password: str, *, form: tuple[str, dict[str, str]],
    mfa_code: str | None = None, mfa_verifier: signin.MfaVerifier | None = None,
) -> Response:
    backend = page.backend
    result = signin.sign_in(
        backend.db, backend.runtime, account=account, user_name=user_name, password=password, mfa_code=mfa_code,
        mfa_verifier=mfa_verifier, box=backend.box, audit_sink=backend.audit, source_ip=page.request.client_ip,
        user_agent=page.request.headers.get("user-agent", ""),
    )
    outcome = result.outcome
    until = page.now.timestamp() + PENDING_TIMEOUT
    if outcome is signin.Outcome.SUCCESS:
        return _establish(page, result, mfa_code is not None)
    if outcome is signin.Outcome.MFA_REQUIRED:
        page.session.pending = Pending(account, user_name, password, until, needs="mfa")
        return Response.redirect("/console/mfa")
    if outcome is signin.Outcome.PASSWORD_CHANGE_REQUIRED:
        page.session.pending = Pending(
            account, user_name, password, until, mfa_verified=mfa_code is not None, needs="password",
            reason=result.reason, account_id=result.account_id,
        )
        return Response.redirect("/console/change-password")
    page.session.pending = None
    template, values = form
    if template == "signin_mfa.html":
        template = "signin_root.html" if user_name is None else "signin_user.html"
        values = {"email": "", "account": account, "user_name": user_name or ""}
    message = EXPIRED_MESSAGE if outcome is signin.Outcome.PASSWORD_EXPIRED else FAILED_MESSAGE
    return page.render(template, status=401, error=message, **values)


def _establish(page: Page, result: signin.SignInResult, mfa: bool) -> Response:
    # A new session (and CSRF token) at sign-in: nothing chosen before it carries over.
    session = page.session = _fresh(page)
    session.account_id = result.account_id
    session.user_id = result.user_id
    session.user_name = result.user_name
    session.mfa = mfa
    return Response.redirect("/console")


def _fresh(page: Page) -> Session:
    return new_session(page.now, page.backend.runtime.random_bytes)


def _already_verified(
    unit: UnitOfWork, box: SecretBox | None, account_id: str, user_id: str | None, serial: str, code: str,
    now: datetime,
) -> bool:
    return code == "verified"


def _change_page(page: Page, pending: Pending, error: str | None) -> Response:
    with page.backend.db.reading() as unit:
        effective = password_policy.effective_policy(unit, pending.account_id or "")
    return page.render(
        "change_password.html", status=400 if error else 200, error=error, rules=policy_rules(effective),
        reason=pending.reason, root=pending.user_name is None,
    )


def policy_rules(effective: password_policy.EffectivePolicy) -> list[str]:
    """The account's password policy in words, for the page that asks for a new password."""
    custom = effective.custom
    if custom is None:
        return [
            f"At least {password_policy.DEFAULT_MINIMUM_LENGTH} characters",
            (f"At least {password_policy.DEFAULT_REQUIRED_TYPES} of: uppercase letters, lowercase letters, "
            "numbers, symbols"),
            "Not your account id, alias or e-mail address",
        ]
    rules = [f"At least {custom.minimum_length} characters"]
    for required, text in (
        (custom.require_uppercase, "At least one uppercase letter"),
        (custom.require_lowercase, "At least one lowercase letter"),
        (custom.require_numbers, "At least one number"),
        (custom.require_symbols, "At least one symbol"),
    ):
        if required:
            rules.append(text)
    if custom.password_reuse_prevention:
        rules.append(f"Not one of your last {custom.password_reuse_prevention} passwords")
    if custom.max_password_age:
        rules.append(f"Expires after {custom.max_password_age} days")
    return rules


def _account_redirect(page: Page) -> Response:
    return Response.redirect(f"/console/signin/{page.request.params['account']}")


ROUTES: list[Route] = [
    route("GET", "/signin", root_form, signed_in=False),
    route("POST", "/signin", root_submit, signed_in=False),
    route("GET", "/signin/account", user_form, signed_in=False),
    route("GET", "/signin/lookup", user_lookup, signed_in=False),
    route("GET", "/mfa", mfa_form, signed_in=False),
    route("POST", "/mfa", mfa_submit, signed_in=False),
    route("GET", "/change-password", change_form, signed_in=False),
    route("POST", "/change-password", change_submit, signed_in=False),
    route("POST", "/signout", sign_out, signed_in=False),
    route("GET", "/signin/{account}", user_form, signed_in=False),
    route("POST", "/signin/{account}", user_submit, signed_in=False),
]

# Last of all routes: ``/console/<account id or alias>``, AWS's sign-in URL for IAM users.
ACCOUNT_ROUTE = route("GET", "/{account}", _account_redirect, signed_in=False)
