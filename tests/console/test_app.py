"""The console application in-process, over a fake ``Operations``: headers, CSRF, routing,
and how operation errors are shown."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from iamd.console import Backend, Client, OperationError, create_app
from iamd.console._http import Request
from iamd.console.app import ConsoleApp
from iamd.console.sessions import COOKIE, new_session
from iamd.services.caller import Caller
from iamd.services.crypto import SecretBox
from iamd.services.runtime import Runtime
from iamd.store import Database

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class FakeOperations:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def call(self, caller: Caller, service: str, action: str, params: Any, client: Client) -> dict[str, Any]:
        self.calls.append((action, dict(params)))
        if action == "DeleteUser":
            raise OperationError("AccessDenied", "User: x is not authorized to perform: iam:DeleteUser", 403)
        return {"Users": [], "IsTruncated": False}

    def allowed(self, caller: Caller, service: str, action: str, params: Any) -> bool:
        return False


@pytest.fixture
def app(tmp_path: Any) -> Iterator[ConsoleApp]:
    db = Database(f"sqlite:///{tmp_path}/console.sqlite3")
    db.migrate()
    with db.transaction() as unit:
        unit.accounts.add("111122223333", "root@example.com", NOW)
    yield create_app(Backend(db=db, box=SecretBox(os.urandom(32)), runtime=Runtime(clock=lambda: NOW),
                             audit=None, operations=FakeOperations()))  # type: ignore[arg-type]
    db.dispose()


def request(method: str, path: str, *, cookie: str | None = None, form: str = "", **headers: str) -> Request:
    all_headers = {"host": "testserver", **headers}
    if cookie:
        all_headers["cookie"] = f"{COOKIE}={cookie}"
    if form:
        all_headers["content-type"] = "application/x-www-form-urlencoded"
    return Request(method, path, {}, all_headers, form.encode(), "127.0.0.1", False)


def root_cookie(app: ConsoleApp) -> tuple[str, str]:
    session = new_session(NOW, os.urandom)
    session.account_id = "111122223333"
    return app.codec.seal(session), session.csrf


def header(response: Any, name: str) -> str:
    return next(value for key, value in response.headers if key == name)


def test_every_answer_carries_the_security_headers(app: ConsoleApp) -> None:
    response = app.handle(request("GET", "/console/signin"))
    assert response.status == 200
    # Scripts only from the console's own files (the WebAuthn ceremony): none inline.
    assert "script-src 'self';" in header(response, "content-security-policy")
    assert "unsafe-inline" not in header(response, "content-security-policy")
    assert "default-src 'none'" in header(response, "content-security-policy")
    assert header(response, "x-frame-options") == "DENY"
    cookie = header(response, "set-cookie")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Secure" not in cookie


def test_signed_out_visitors_are_sent_to_sign_in(app: ConsoleApp) -> None:
    response = app.handle(request("GET", "/console/users"))
    assert response.status == 303 and header(response, "location") == "/console/signin"


def test_posts_need_the_csrf_token_and_the_same_origin(app: ConsoleApp) -> None:
    cookie, csrf = root_cookie(app)
    assert app.handle(request("POST", "/console/users", cookie=cookie, form="user_name=x")).status == 403
    assert app.handle(request("POST", "/console/users", cookie=cookie, form="user_name=x&csrf=nope")).status == 403
    cross = request("POST", "/console/users", cookie=cookie, form=f"user_name=x&csrf={csrf}",
                    origin="https://evil.example")
    assert app.handle(cross).status == 403
    assert app.backend.operations.calls == []  # type: ignore[attr-defined]


def test_an_operation_refused_by_the_authorizer_is_a_403_with_its_message(app: ConsoleApp) -> None:
    cookie, csrf = root_cookie(app)
    response = app.handle(request("POST", "/console/users/bob/delete", cookie=cookie, form=f"csrf={csrf}"))
    assert response.status == 403
    assert b"not authorized to perform: iam:DeleteUser" in response.body


def test_read_only_pages_hide_the_edit_buttons(app: ConsoleApp) -> None:
    cookie, _ = root_cookie(app)
    response = app.handle(request("GET", "/console/users", cookie=cookie))
    assert response.status == 200 and b'id="create-user"' not in response.body


def test_the_account_sign_in_url(app: ConsoleApp) -> None:
    response = app.handle(request("GET", "/console/111122223333"))
    assert header(response, "location") == "/console/signin/111122223333"
    page = app.handle(request("GET", "/console/signin/111122223333"))
    assert b"111122223333" in page.body and b'name="user_name"' in page.body
