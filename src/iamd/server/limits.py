"""What the API takes before dispatch: methods and sizes, and AWS's answer to the rest.

A request refused here never reaches the dispatcher, but it still gets an AWS error
document, never an empty body: XML in the Query protocol's ``<ErrorResponse>`` shape, or
JSON when the request names a JSON-protocol operation in ``X-Amz-Target``. Each refusal is
logged (at WARNING on ``iamd.request``) with the reason and the client's address.

The limits are iamd's own: AWS publishes none for the Query API's HTTP layer. They sit
far above what any AWS SDK sends (the largest IAM input, a 131,072-character policy
document, URL-encodes to well under the body limit) and well below what would let one
request hold much memory.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from urllib.parse import parse_qs

from iamd.protocol import QueryService, find_service_for_action, load_service
from iamd.protocol.errors import (
    InternalFailure,
    MethodNotAllowed,
    RequestEntityTooLarge,
    ServiceError,
)
from iamd.protocol.json_protocol import load_json_service

log = logging.getLogger("iamd.request")

METHODS = ("GET", "POST")
MAX_BODY_BYTES = 1024 * 1024
MAX_HEADER_VALUE_BYTES = 16 * 1024
MAX_HEADER_SECTION_BYTES = 64 * 1024
MAX_HEADERS = 128

# (status, body, headers), what the app sends.
Answer = tuple[int, bytes, list[tuple[str, str]]]
RawHeaders = Iterable[tuple[bytes, bytes]]


def check_head(method: str, headers: RawHeaders) -> ServiceError | None:
    """The error for a request refused on its method or headers alone, else None."""
    if method not in METHODS:
        return MethodNotAllowed("The specified method is not allowed against this resource.")
    count = 0
    total = 0
    for name, value in headers:
        count += 1
        total += len(name) + len(value)
        if len(value) > MAX_HEADER_VALUE_BYTES:
            return RequestEntityTooLarge(
                f"Header `{name.decode('latin-1')[:64]}` exceeds the limit of "
                f"{MAX_HEADER_VALUE_BYTES} bytes."
            )
        if name.lower() == b"content-length" and value.isdigit() and (
            len(value) > 12 or int(value) > MAX_BODY_BYTES
        ):
            return body_too_large()
    if count > MAX_HEADERS or total > MAX_HEADER_SECTION_BYTES:
        return RequestEntityTooLarge(
            f"Request headers exceed the limit of {MAX_HEADERS} headers or "
            f"{MAX_HEADER_SECTION_BYTES} bytes."
        )
    return None


def body_too_large() -> RequestEntityTooLarge:
    return RequestEntityTooLarge(f"Request body exceeds the limit of {MAX_BODY_BYTES} bytes.")


def refuse(error: ServiceError, method: str, query_string: str, headers: RawHeaders,
           client_ip: str) -> Answer:
    """The AWS error answer for a request refused before dispatch, logged."""
    log.warning("request refused", extra={
        "error_code": error.code, "status": error.status, "reason": error.message,
        "method": method[:16], "source_ip": client_ip,
    })
    return answer(error, query_string, headers)


def answer(error: ServiceError, query_string: str, headers: RawHeaders) -> Answer:
    """``error`` as the document the request's protocol expects."""
    extra: list[tuple[str, str]] = []
    if isinstance(error, MethodNotAllowed):
        extra.append(("Allow", ", ".join(METHODS)))
    if any(name.lower() == b"x-amz-target" for name, _ in headers):
        service = load_json_service("cloudtrail")
        body, status = service.serialize_error(error)
        return status, body, [("Content-Type", service.content_type), *extra]
    body, status = _query_service(query_string).serialize_error(error, str(uuid.uuid4()))
    return status, body, [("Content-Type", "text/xml"), *extra]


def internal_failure() -> InternalFailure:
    return InternalFailure("We encountered an internal error. Please try again.")


def _query_service(query_string: str) -> QueryService:
    # The error document names the service's XML namespace; a refused request's body is
    # unread, so only an Action in the query string can tell STS from IAM.
    actions = parse_qs(query_string[:4096]).get("Action") if query_string else None
    found = find_service_for_action(actions[0]) if actions else None
    return found or load_service("iam")
