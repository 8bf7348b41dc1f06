"""Finding a SigV4 signature in a request: the Authorization header or a presigned query."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from iamd.sigv4 import _canonical
from iamd.sigv4._errors import (
    IncompleteSignature,
    MissingAuthenticationToken,
    SignatureDoesNotMatch,
)

MAX_EXPIRES = 604800

_AMZ_DATE = re.compile(r"\d{8}T\d{6}Z", re.ASCII)
_INTEGER = re.compile(r"-?\d{1,10}", re.ASCII)
# The parts of a signature that must each be given once.
_COMPONENTS = frozenset({"Credential", "SignedHeaders", "Signature"})
_QUERY_COMPONENTS = frozenset({"X-Amz-Credential", "X-Amz-SignedHeaders", "X-Amz-Signature"})
_HOST_NOT_SIGNED = "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization."


@dataclass(frozen=True, slots=True)
class RequestParts:
    """An HTTP request as it came on the wire, which is what a signature covers.

    ``path`` is the raw, still percent-encoded path (ASGI's ``raw_path``), ``query_string``
    the raw query without ``?``, ``headers`` every header in order, names in any case and
    values decoded as Latin-1 (what ASGI servers hand over), repeats allowed.
    """

    method: str
    path: str
    query_string: str = ""
    headers: Sequence[tuple[str, str]] = ()
    body: bytes = b""


@dataclass(frozen=True, slots=True)
class SignedRequest:
    """What a request claims about its signature, before any of it is checked."""

    access_key_id: str
    date: str
    region: str
    service: str
    terminator: str
    signed_headers: tuple[str, ...]
    signature: str
    request_time: datetime
    presigned: bool
    expires: int | None
    security_token: str | None

    @property
    def scope(self) -> str:
        """The credential scope, ``date/region/service/aws4_request``."""
        return f"{self.date}/{self.region}/{self.service}/{self.terminator}"

    @property
    def amz_date(self) -> str:
        """The request time in the ISO 8601 basic format the string to sign holds (built
        field by field: ``strftime`` costs twice as much)."""
        t = self.request_time
        return f"{t.year:04d}{t.month:02d}{t.day:02d}T{t.hour:02d}{t.minute:02d}{t.second:02d}Z"


def parse_request(parts: RequestParts) -> SignedRequest:
    """Find and parse the request's signature; raise a ``SigV4Error`` if it is unusable.

    This checks the form of the signature only; ``verify`` checks its time, scope and
    value.
    """
    headers = _canonical.header_map(parts.headers)
    query: dict[str, str] = {}
    repeated: list[str] = []
    for raw_name, raw_value in _canonical.parse_query(parts.query_string):
        name = _canonical.decode_component(raw_name)
        if name in query:
            repeated.append(name)
        # The first value of a repeated parameter wins, as in AWS's own parser.
        query.setdefault(name, _canonical.decode_component(raw_value))
    authorization = headers.get("authorization")
    algorithm = query.get("X-Amz-Algorithm")
    if authorization is not None and algorithm is not None:
        raise SignatureDoesNotMatch()
    if authorization is not None:
        return _from_header(authorization[0], headers)
    if algorithm is not None:
        signed = _from_query(algorithm, query, headers)
        for name in repeated:
            if name in _QUERY_COMPONENTS:
                raise IncompleteSignature(
                    f"AWS query-string parameters must include '{name}' only once. "
                    "Re-examine the query-string parameters."
                )
        return signed
    raise MissingAuthenticationToken()


def _from_header(authorization: str, headers: Mapping[str, Sequence[str]]) -> SignedRequest:
    authorization = authorization.strip()
    algorithm, _, rest = authorization.partition(" ")
    if algorithm != _canonical.ALGORITHM:
        raise IncompleteSignature(f"Unsupported AWS 'algorithm': '{algorithm}'.")
    fields: dict[str, str] = {}
    for item in rest.split(","):
        item = item.strip()
        if not item:
            continue
        name, equals, value = item.partition("=")
        if not equals:
            raise IncompleteSignature(
                f"'{item}' not a valid key=value pair (missing equal-sign) in "
                f"Authorization header: '{authorization}'"
            )
        if name in fields and name in _COMPONENTS:
            # Two values for one component leave it open which one was signed.
            raise IncompleteSignature(
                f"'{name}' appears more than once in Authorization header: '{authorization}'"
            )
        fields[name] = value
    missing = []
    if "Credential" not in fields:
        missing.append("Authorization header requires 'Credential' parameter.")
    if "Signature" not in fields:
        missing.append("Authorization header requires 'Signature' parameter.")
    if "SignedHeaders" not in fields:
        missing.append("Authorization header requires 'SignedHeaders' parameter.")
    dates = headers.get("x-amz-date") or headers.get("date")
    if not dates:
        missing.append(
            "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header."
        )
    if missing:
        raise IncompleteSignature(" ".join(missing) + f" Authorization={algorithm}")
    assert dates is not None
    tokens = headers.get("x-amz-security-token")
    signed = _signed_request(
        credential=fields["Credential"],
        signed_headers=fields["SignedHeaders"],
        signature=fields["Signature"],
        request_time=_parse_time(dates[0], http_date=True),
        presigned=False,
        expires=None,
        security_token=tokens[0] if tokens else None,
    )
    # AWS's SigV4 documentation: "If you include a date or x-amz-date header, you must also
    # include that header in the list of signed headers." The header the request time was
    # read from is the one that must be signed.
    date_header = "x-amz-date" if "x-amz-date" in headers else "date"
    if date_header not in signed.signed_headers:
        shown = "X-Amz-Date" if date_header == "x-amz-date" else "Date"
        raise IncompleteSignature(f"'{shown}' must be a 'SignedHeader' in the AWS Authorization.")
    return signed


def _from_query(
    algorithm: str, query: Mapping[str, str], headers: Mapping[str, Sequence[str]]
) -> SignedRequest:
    if algorithm != _canonical.ALGORITHM:
        # AWS reads a query signed with another algorithm as no signature at all.
        raise MissingAuthenticationToken()
    missing = [
        f"AWS query-string parameters must include '{name}'."
        for name in ("X-Amz-Credential", "X-Amz-Signature", "X-Amz-SignedHeaders", "X-Amz-Date")
        if name not in query
    ]
    if missing:
        raise IncompleteSignature(" ".join(missing) + " Re-examine the query-string parameters.")
    tokens = headers.get("x-amz-security-token")
    token = query.get("X-Amz-Security-Token", tokens[0] if tokens else None)
    return _signed_request(
        credential=query["X-Amz-Credential"],
        signed_headers=query["X-Amz-SignedHeaders"],
        signature=query["X-Amz-Signature"],
        request_time=_parse_time(query["X-Amz-Date"], http_date=False),
        presigned=True,
        expires=_parse_expires(query.get("X-Amz-Expires")),
        security_token=token,
    )


def _signed_request(
    *,
    credential: str,
    signed_headers: str,
    signature: str,
    request_time: datetime,
    presigned: bool,
    expires: int | None,
    security_token: str | None,
) -> SignedRequest:
    scope = credential.split("/")
    if len(scope) != 5:
        raise IncompleteSignature(
            "Credential must have exactly 5 slash-delimited elements, "
            f"e.g. keyid/date/region/service/term, got '{credential}'"
        )
    names = tuple(sorted(name.strip().lower() for name in signed_headers.split(";")))
    if len(set(names)) != len(names):
        twice = sorted({name for name in names if names.count(name) > 1})
        raise IncompleteSignature(
            f"SignedHeaders names '{twice[0]}' more than once: '{signed_headers}'"
        )
    if "host" not in names and ":authority" not in names:
        raise SignatureDoesNotMatch(_HOST_NOT_SIGNED)
    access_key_id, date, region, service, terminator = scope
    return SignedRequest(
        access_key_id=access_key_id,
        date=date,
        region=region,
        service=service,
        terminator=terminator,
        signed_headers=names,
        signature=signature,
        request_time=request_time,
        presigned=presigned,
        expires=expires,
        security_token=security_token,
    )


def _parse_time(value: str, *, http_date: bool) -> datetime:
    value = value.strip()
    if _AMZ_DATE.fullmatch(value):
        try:  # the pattern guarantees the digits: strptime would cost more than the rest of parsing
            return datetime(int(value[0:4]), int(value[4:6]), int(value[6:8]),
                            int(value[9:11]), int(value[11:13]), int(value[13:15]), tzinfo=UTC)
        except ValueError:
            pass
    elif http_date:
        # botocore sends a ``Date`` header in the RFC 7231 (RFC 2822) form when the caller
        # set one; AWS accepts that form in ``Date`` but only the basic format elsewhere.
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            try:
                return parsed.astimezone(UTC)
            except OverflowError:
                # ``Fri, 31 Dec 9999 23:59:59 -2359`` is past the last representable
                # moment once moved to UTC: no real request carries such a date.
                pass
    raise IncompleteSignature(
        f"Date must be in ISO-8601 'basic format'. Got '{value}'. "
        "See http://en.wikipedia.org/wiki/ISO_8601"
    )


def _parse_expires(value: str | None) -> int | None:
    if value is None:
        return None
    text = value.strip()
    if not _INTEGER.fullmatch(text):
        raise IncompleteSignature("X-Amz-Expires should be a number")
    expires = int(text)
    if expires < 0:
        raise IncompleteSignature("X-Amz-Expires must be non-negative")
    if expires > MAX_EXPIRES:
        raise IncompleteSignature(
            f"X-Amz-Expires must be less than a week (in seconds) that is {MAX_EXPIRES}"
        )
    return expires
