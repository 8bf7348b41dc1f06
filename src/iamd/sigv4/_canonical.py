"""The SigV4 canonical request and string to sign, byte for byte as botocore builds them.

Each function mirrors one step of botocore's ``SigV4Auth`` (``botocore/auth.py``) for the
services that normalise their paths (every service but S3), so a request signed by an AWS
SDK canonicalises here to exactly what the SDK hashed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import quote, unquote_to_bytes

ALGORITHM = "AWS4-HMAC-SHA256"
TERMINATOR = "aws4_request"
UNRESERVED = "-_.~"


def canonical_path(raw_path: str) -> str:
    """Return the canonical URI of a path as it came on the wire (still percent-encoded).

    Dot segments and empty segments are removed (RFC 3986 5.2.4, plus AWS's collapsing of
    repeated slashes) and the result is percent-encoded once more, which is the "encode
    each segment twice" rule of non-S3 services: botocore does the same to the already
    encoded path of its URL.
    """
    return quote(_remove_dot_segments(raw_path) if raw_path else "/", safe="/~")


def _remove_dot_segments(path: str) -> str:
    output: list[str] = []
    for segment in path.split("/"):
        if segment == "..":
            if output:
                output.pop()
        elif segment and segment != ".":
            output.append(segment)
    first = "/" if path.startswith("/") else ""
    last = "/" if path.endswith("/") and output else ""
    return first + "/".join(output) + last


def parse_query(query_string: str) -> list[tuple[str, str]]:
    """Split a raw query string into raw ``(name, value)`` pairs, in order.

    Empty fields (``a=1&&b=2``) carry no parameter and are dropped.
    """
    pairs: list[tuple[str, str]] = []
    for field in query_string.split("&"):
        if field:
            name, _, value = field.partition("=")
            pairs.append((name, value))
    return pairs


def decode_component(raw: str) -> str:
    """Decode one raw query name or value (``+`` is a space, as in a form)."""
    return unquote_to_bytes(raw.replace("+", " ")).decode("utf-8", "replace")


def _encode_component(raw: str) -> str:
    # Decoding to bytes and encoding them again gives the one RFC 3986 spelling of the
    # value, whatever escaping the client chose (lowercase hex, escaped unreserved
    # characters, ``+`` for a space), and leaves bytes that are not UTF-8 as they came.
    return quote(unquote_to_bytes(raw.replace("+", " ")), safe=UNRESERVED)


def canonical_query(pairs: Iterable[tuple[str, str]], *, exclude: str | None = None) -> str:
    """Return the canonical query string of raw pairs.

    Names and values are re-encoded to RFC 3986 and sorted by encoded name, then value.
    ``exclude`` names a parameter (decoded) left out, the presigned ``X-Amz-Signature``.
    """
    encoded = sorted(
        (_encode_component(name), _encode_component(value))
        for name, value in pairs
        if exclude is None or decode_component(name) != exclude
    )
    return "&".join(f"{name}={value}" for name, value in encoded)


def header_map(headers: Iterable[tuple[str, str]]) -> dict[str, list[str]]:
    """Group raw headers by lowercase name, keeping each name's values in order."""
    grouped: dict[str, list[str]] = {}
    for name, value in headers:
        grouped.setdefault(name.strip().lower(), []).append(value)
    return grouped


def canonical_headers(headers: Mapping[str, Sequence[str]], signed_headers: Sequence[str]) -> str:
    """Return the canonical headers block (each line ending in a newline).

    A header's values are trimmed, their inner whitespace runs collapsed to one space, and
    repeated headers joined with commas. A signed header absent from the request gives no
    line; the signature then fails to match, which is the right answer.
    """
    lines = []
    for name in signed_headers:
        values = headers.get(name)
        if values is not None:
            lines.append(name + ":" + ",".join(" ".join(value.split()) for value in values))
    return "".join(line + "\n" for line in lines)


def canonical_request(
    *,
    method: str,
    path: str,
    query: str,
    headers: str,
    signed_headers: Sequence[str],
    payload_hash: str,
) -> str:
    """Join the six parts of the canonical request."""
    return "\n".join([method.upper(), path, query, headers, ";".join(signed_headers), payload_hash])


def string_to_sign(amz_date: str, scope: str, canonical: str) -> str:
    """Return the string to sign for a canonical request."""
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"
