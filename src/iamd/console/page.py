"""One console request as the page handlers see it: who is signed in, their IAM calls,
and rendering."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from jinja2 import Environment

from iamd.console._http import Request, Response
from iamd.console.backend import Backend, Client, OperationError, Params
from iamd.console.sessions import Session
from iamd.protocol.errors import ServiceError
from iamd.services import arns, sessions
from iamd.services.authentication import caller_for_session
from iamd.services.caller import Caller
from iamd.services.operations import OperationContext


class SignedOut(Exception):
    """The session's principal no longer exists: the session ends."""


@dataclass
class Page:
    request: Request
    session: Session
    backend: Backend
    templates: Environment
    now: datetime
    _caller: Caller | None = field(default=None, init=False)

    @property
    def client(self) -> Client:
        return Client(self.request.client_ip, self.request.headers.get("user-agent", ""), self.request.secure)

    @property
    def caller(self) -> Caller:
        """Who the console acts as: the role session switched to, else the signed-in
        principal, as the authorizer knows it."""
        if self._caller is None:
            self._caller = self._role_caller() or principal(self.backend, self.session)
        return self._caller

    def _role_caller(self) -> Caller | None:
        role = self.session.role
        if role is None:
            return None
        try:
            opened = sessions.open_token(self.backend.box, role["access_key_id"], role["token"], self.now)
            with self.backend.db.reading() as unit:
                account = unit.accounts.get(opened.account_id)
            if account is None:
                raise ValueError("the role's account is gone")
            return caller_for_session(opened, "us-east-1", role["token"], account.partition)
        except (ServiceError, ValueError):
            # An expired (or no longer valid) role session ends the switch, not the sign-in.
            self.session.role = None
            self.flash("The role session has ended; you are back to your own identity.")
            return None

    def iam(self, action: str, params: Params | None = None, **fields: str) -> dict[str, Any]:
        """Call an IAM operation as the signed-in principal (``OperationError`` on refusal)."""
        merged: dict[str, Any] = dict(params or {})
        merged.update(fields)
        return self.backend.operations.call(self.caller, "iam", action, merged, self.client)

    def try_iam(self, action: str, params: Params | None = None, **fields: str) -> dict[str, Any] | OperationError:
        try:
            return self.iam(action, params, **fields)
        except OperationError as exc:
            return exc

    def can(self, action: str, **fields: str) -> bool:
        return self.backend.operations.allowed(self.caller, "iam", action, fields)

    def authorize(self, action: str, **fields: str) -> None:
        """Refuse (``OperationError``, AccessDenied) unless the IAM call would be allowed."""
        self.backend.operations.authorize(self.caller, "iam", action, fields)

    def run_as(
        self, action: str, fields: dict[str, str], work: Callable[[OperationContext], dict[str, Any] | None]
    ) -> dict[str, Any]:
        """Run a console-only step authorized and audited as IAM operation ``action``."""
        return self.backend.operations.run(self.caller, "iam", action, fields, self.client, work)

    def cloudtrail(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        """Call a CloudTrail operation (JSON protocol) as the signed-in principal."""
        return self.backend.operations.call_json(self.caller, "cloudtrail", action, body, self.client)

    @property
    def rp_id(self) -> str:
        """The WebAuthn relying party: the host name this console is served on."""
        host = self.request.headers.get("host", "")
        if host.startswith("["):
            return host[: host.find("]") + 1]
        return host.rsplit(":", 1)[0] if ":" in host else host

    @property
    def origin(self) -> str:
        return ("https://" if self.request.secure else "http://") + self.request.headers.get("host", "")

    def flash(self, message: str) -> None:
        self.session.flash = message

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        flash, self.session.flash = self.session.flash, None
        body = self.templates.get_template(template).render(
            session=self.session, csrf=self.session.csrf, flash=flash, page=self,
            identity=self.identity() if self.session.signed_in else None, **values,
        )
        return Response(status, body.encode())

    def identity(self) -> str:
        session = self.session
        if session.role is not None:
            return session.role["display"]
        if session.user_id is None:
            return f"root @ {session.account_id}"
        return f"{session.user_name} @ {session.account_id}"

    def error(self, exc: OperationError) -> Response:
        return self.render("error.html", status=max(exc.status, 400), error=exc)


def principal(backend: Backend, session: Session) -> Caller:
    """The caller a signed-in session stands for, looked up afresh: a deleted or renamed
    user's session ends."""
    account_id = session.account_id
    if account_id is None:
        raise SignedOut()
    with backend.db.reading() as unit:
        account = unit.accounts.get(account_id)
        if account is None:
            raise SignedOut()
        partition = account.partition
        if session.user_id is None:
            return Caller(
                kind="Account", account_id=account_id, arn=arns.root_arn(partition, account_id),
                user_id=account_id, access_key_id="", partition=partition, mfa_authenticated=session.mfa,
            )
        user = unit.users.get(session.user_id)
        if user is None or user.name != session.user_name:
            raise SignedOut()
        return Caller(
            kind="User", account_id=account_id, arn=arns.iam_arn(partition, account_id, "user", user.path, user.name),
            user_id=user.id, access_key_id="", partition=partition, user_name=user.name, entity_id=user.id,
            mfa_authenticated=session.mfa,
        )
