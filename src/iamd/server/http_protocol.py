"""The HTTP server's own error answer, made an AWS error document.

A request the HTTP parser cannot read (a URL over httptools' limit, a control character in
a header, a broken request line) never reaches the ASGI app: uvicorn answers it with a
plain-text 400 and closes the connection. This protocol class answers the same 400 with
the Query protocol's ``<ErrorResponse>`` (AWS's common ``MalformedHttpRequestException``),
so an SDK still reads an AWS error; nothing of the request is known, so the document is
IAM's.
"""

from __future__ import annotations

import logging

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from iamd.protocol.errors import MalformedHttpRequest
from iamd.server import limits

log = logging.getLogger("iamd.request")


class AwsHttpToolsProtocol(HttpToolsProtocol):
    def send_400_response(self, msg: str) -> None:
        client = self.client[0] if self.client else "unknown"
        status, body, headers = limits.refuse(
            MalformedHttpRequest("The request could not be parsed as HTTP."), "?", "", [], client)
        lines = [f"HTTP/1.1 {status} Bad Request\r\n".encode()]
        for name, value in self.server_state.default_headers:
            lines.extend([name, b": ", value, b"\r\n"])
        for name_text, value_text in headers:
            lines.append(f"{name_text.lower()}: {value_text}\r\n".encode("latin-1"))
        lines.append(f"content-length: {len(body)}\r\nconnection: close\r\n\r\n".encode())
        lines.append(body)
        self.transport.write(b"".join(lines))
        self.transport.close()
