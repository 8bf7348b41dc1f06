"""The console as an ASGI application mounted at ``/console``.

Every request opens (or starts) the sealed session, every POST passes the CSRF check,
every answer carries the security headers and the re-sealed session. Page handlers are
plain functions ``(page) -> Response`` run in a worker thread, since they use the store.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources

from jinja2 import Environment, PackageLoader, select_autoescape

from iamd.console import security
from iamd.console._http import (
    BodyTooLarge,
    Receive,
    Request,
    Response,
    Scope,
    Send,
    read_request,
    send_response,
)
from iamd.console.backend import Backend, OperationError
from iamd.console.page import Page, SignedOut
from iamd.console.sessions import COOKIE, SessionCodec, cookie_header, new_session

log = logging.getLogger("iamd.console")

Handler = Callable[[Page], Response]

PREFIX = "/console"
_STATIC = {"console.css": "text/css; charset=utf-8", "webauthn.js": "text/javascript; charset=utf-8"}


@dataclass(frozen=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler
    signed_in: bool = True


def route(method: str, path: str, handler: Handler, *, signed_in: bool = True) -> Route:
    """``path`` is relative to ``/console``; ``{name}`` matches one path segment."""
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(path).replace(r"\{", "{").replace(r"\}", "}"))
    return Route(method, re.compile(f"{re.escape(PREFIX)}{regex}/?"), handler, signed_in)


class ConsoleApp:
    def __init__(self, backend: Backend, routes: list[Route]) -> None:
        self.backend = backend
        self.routes = routes
        self.codec = SessionCodec(backend.box)
        self.templates = Environment(
            loader=PackageLoader("iamd.console", "templates"),
            autoescape=select_autoescape(default=True),
            trim_blocks=True,
            lstrip_blocks=True,
        )
        self.templates.filters["when"] = _when

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            request = await read_request(scope, receive)
        except BodyTooLarge:
            await send_response(send, Response(413, b"Request body too large.", "text/plain"))
            return
        response = await asyncio.to_thread(self.handle, request)
        await send_response(send, response)

    def handle(self, request: Request) -> Response:
        name = request.path.removeprefix(PREFIX + "/static/")
        if name != request.path:
            static = _static(name)
            static.headers.extend(h for h in security.HEADERS if h[0] != "cache-control")
            return static
        now = self.backend.runtime.now()
        session = self.codec.open(request.cookie(COOKIE), now) or new_session(now, self.backend.runtime.random_bytes)
        page = Page(request, session, self.backend, self.templates, now)
        response = self._route(page)
        session = page.session  # sign-in and sign-out replace it
        if session.signed_in:
            session.seen = now.timestamp()
        response.headers.append(("set-cookie", cookie_header(self.codec.seal(session), secure=request.secure)))
        response.headers.extend(security.HEADERS)
        return response

    def _route(self, page: Page) -> Response:
        request, session = page.request, page.session
        allowed_methods = set()
        for candidate in self.routes:
            match = candidate.pattern.fullmatch(request.path)
            if match is None:
                continue
            allowed_methods.add(candidate.method)
            if candidate.method != request.method:
                continue
            request.params = match.groupdict()
            if request.method == "POST" and not security.csrf_ok(request, session):
                return page.render(
                    "message.html", status=403, title="Forbidden",
                    message="The form was not sent by this console session (missing or wrong CSRF token). "
                    "Reload the page and try again.",
                )
            if candidate.signed_in and not session.signed_in:
                if session.expired:
                    page.flash("Your session has expired. Please sign in again.")
                return Response.redirect(PREFIX + "/signin")
            try:
                return candidate.handler(page)
            except SignedOut:
                page.session = new_session(page.now, self.backend.runtime.random_bytes)
                return Response.redirect(PREFIX + "/signin")
            except OperationError as exc:
                return page.error(exc)
        if allowed_methods:
            return Response(405, b"Method not allowed.", "text/plain", [("allow", ", ".join(sorted(allowed_methods)))])
        return page.render("message.html", status=404, title="Not found", message="There is no such console page.")


def _static(name: str) -> Response:
    content_type = _STATIC.get(name)
    if content_type is None:
        return Response(404, b"Not found.", "text/plain")
    body = resources.files("iamd.console").joinpath("static", name).read_bytes()
    return Response(200, body, content_type, [("cache-control", "public, max-age=3600")])


def _when(value: object) -> str:
    """A timestamp as the console shows it (UTC, to the second)."""
    from datetime import datetime

    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S UTC")
    return "" if value is None else str(value)
