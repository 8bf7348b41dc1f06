"""The instance metadata endpoint over HTTP: IMDSv1 and IMDSv2, EC2's way.

* ``PUT /latest/api/token`` with ``X-aws-ec2-metadata-token-ttl-seconds`` (1 to 21,600)
  answers a session token and repeats the TTL in that header; without the header, or
  out of range, ``400``. EC2 refuses to issue a token to a request that carries
  ``X-Forwarded-For`` (the mark of a request relayed by a proxy): ``403``. Any other
  method on that path is ``405``.
* ``GET`` (and ``HEAD``) of the metadata paths: a request with ``X-aws-ec2-metadata-token``
  is IMDSv2 and the token must be valid (else ``401``); one without is IMDSv1, answered
  unless the instance requires tokens (``--v2-only``, EC2's ``HttpTokens=required``),
  which answers ``401``. Other methods are ``405``.

Errors carry the small XHTML page EC2 sends (``<title>404 - Not Found</title>``);
every answer names the server ``EC2ws``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from iamd.imds import _asgi
from iamd.imds.metadata import InstanceMetadata, Reply
from iamd.imds.tokens import (
    TOKEN_HEADER,
    TTL_HEADER,
    InvalidMetadataToken,
    InvalidTtl,
    TokenIssuer,
    parse_ttl,
)

TOKEN_PATH = "/latest/api/token"
_TITLES = {
    400: "400 - Missing or Invalid Parameters",
    401: "401 - Unauthorized",
    403: "403 - Forbidden",
    404: "404 - Not Found",
    405: "405 - Method Not Allowed",
}


def error_page(status: int) -> bytes:
    title = _TITLES[status]
    return (
        '<?xml version="1.0" encoding="iso-8859-1"?>\n'
        '<!DOCTYPE html PUBLIC "-//W3C//DTD XHTML 1.0 Transitional//EN"\n'
        '\t"http://www.w3.org/TR/xhtml1/DTD/xhtml1-transitional.dtd">\n'
        '<html xmlns="http://www.w3.org/1999/xhtml" xml:lang="en" lang="en">\n'
        f" <head>\n  <title>{title}</title>\n </head>\n"
        f" <body>\n  <h1>{title}</h1>\n </body>\n</html>\n"
    ).encode()


class Answer:
    """A reply with the headers it goes out with."""

    __slots__ = ("body", "headers", "status")

    def __init__(self, status: int, body: bytes, headers: list[tuple[str, str]]) -> None:
        self.status = status
        self.body = body
        self.headers = headers


def _error(status: int) -> Answer:
    return Answer(status, error_page(status), [("Content-Type", "text/html"), ("Server", "EC2ws")])


class MetadataApp:
    """The ASGI application of one instance's metadata endpoint."""

    def __init__(
        self,
        metadata: InstanceMetadata,
        tokens: TokenIssuer,
        clock: Callable[[], datetime],
        *,
        v2_only: bool = False,
    ) -> None:
        self.metadata = metadata
        self.tokens = tokens
        self.clock = clock
        self.v2_only = v2_only

    def handle(self, method: str, path: str, headers: dict[str, str]) -> Answer:
        """Answer one request; ``headers`` are keyed by lower-case name."""
        now = self.clock()
        if path == TOKEN_PATH:
            if method != "PUT":
                return _error(405)
            if "x-forwarded-for" in headers:
                return _error(403)
            try:
                ttl = parse_ttl(headers.get(TTL_HEADER))
            except InvalidTtl:
                return _error(400)
            issued = self.tokens.issue(ttl, now)
            return Answer(200, issued.encode(), [
                ("Content-Type", "text/plain"), ("Server", "EC2ws"), (TTL_HEADER, str(ttl)),
            ])
        if method not in ("GET", "HEAD"):
            return _error(405)
        extra: list[tuple[str, str]] = []
        token = headers.get(TOKEN_HEADER)
        if token is not None:
            try:
                remaining = self.tokens.verify(token, now)
            except InvalidMetadataToken:
                return _error(401)
            extra.append((TTL_HEADER, str(remaining)))
        elif self.v2_only:
            return _error(401)
        found: Reply = self.metadata.get(path, now)
        if found.status != 200:
            return _error(found.status)
        return Answer(200, found.body, [("Content-Type", found.content_type), ("Server", "EC2ws"), *extra])

    async def __call__(self, scope: _asgi.Scope, receive: _asgi.Receive, send: _asgi.Send) -> None:
        if scope["type"] == "lifespan":
            await _asgi.lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        await _asgi.drain(receive)
        method = scope["method"]
        # Reading the profile and issuing a session touch the database: off the event loop.
        answer = await asyncio.to_thread(self.handle, method, scope["path"], _asgi.headers_of(scope))
        await _asgi.reply(send, answer.status, answer.body, answer.headers, head=method == "HEAD")
