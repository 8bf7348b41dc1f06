"""Raw HTTP against a running iamd, for requests no SDK would send (issue 11)."""

from __future__ import annotations

import http.client
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit
from xml.etree import ElementTree

from iamd.sigv4 import RequestParts, sign_request
from tests.e2e.conftest import RunningServer

FORM = "application/x-www-form-urlencoded; charset=utf-8"
JSON_11 = "application/x-amz-json-1.1"
LOOKUP_EVENTS = "CloudTrail_20131101.LookupEvents"


@dataclass
class Answer:
    status: int
    body: bytes
    headers: dict[str, str]

    def xml_error(self) -> tuple[str, str]:
        """(code, message) of a Query error document; fails if the body is not one."""
        root = ElementTree.fromstring(self.body)
        namespace = root.tag.partition("}")[0] + "}"
        assert root.tag == namespace + "ErrorResponse", self.body[:300]
        code = root.findtext(f"{namespace}Error/{namespace}Code")
        message = root.findtext(f"{namespace}Error/{namespace}Message") or ""
        assert code, self.body[:300]
        return code, message

    def json_error(self) -> tuple[str, str]:
        document = json.loads(self.body)
        return document["__type"], document.get("message", "")


def send(server: RunningServer, body: bytes | str = b"", *, method: str = "POST", path: str = "/",
         query: str = "", headers: list[tuple[str, str]] | None = None, sign: bool = True,
         service: str = "iam", after_signing: list[tuple[str, str]] | None = None,
         timeout: float = 30) -> Answer:
    """Send one request as given; ``sign`` signs it with the server's root key first."""
    url = urlsplit(server.endpoint)
    data = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else body
    all_headers = [("Host", url.netloc), *(headers or [])]
    if not any(name.lower() == "content-type" for name, _ in all_headers):
        all_headers.append(("Content-Type", FORM))
    if sign:
        all_headers = sign_request(
            RequestParts(method, path, query, all_headers, data),
            access_key_id=server.access_key_id, secret_access_key=server.secret_access_key,
            region="us-east-1", service=service, now=datetime.now(UTC),
        )
    all_headers += after_signing or []
    connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    try:
        connection.putrequest(method, path + ("?" + query if query else ""), skip_host=True,
                              skip_accept_encoding=True)
        for name, value in all_headers:
            connection.putheader(name, value)
        connection.putheader("Content-Length", str(len(data)))
        connection.endheaders(data)
        response = connection.getresponse()
        return Answer(response.status, response.read(), dict(response.getheaders()))
    finally:
        connection.close()


def send_json(server: RunningServer, body: bytes | str, **kwargs: object) -> Answer:
    headers = [("X-Amz-Target", LOOKUP_EVENTS), ("Content-Type", JSON_11)]
    return send(server, body, headers=headers, service="cloudtrail", **kwargs)  # type: ignore[arg-type]
