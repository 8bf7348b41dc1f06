"""AWS Signature Version 4: verification of header-signed and presigned requests.

Implements the server side of AWS Signature Version 4 ("SigV4", algorithm
``AWS4-HMAC-SHA256``) as AWS IAM and STS apply it, canonicalising requests exactly as
botocore's ``SigV4Auth`` and ``SigV4QueryAuth`` sign them. Standard library only; the
clock is an argument.

    parts = RequestParts(method, raw_path, raw_query, headers, body)
    signed = parse_request(parts)          # who claims to sign, and how
    secret = <look up signed.access_key_id / signed.security_token>
    verify(signed, parts, secret, now, service="iam", regions={"us-east-1"})

Both calls raise a ``SigV4Error`` whose ``code``, ``status`` and ``message`` are what AWS
answers; neither returns a flag.

What AWS answers, and where that comes from
-------------------------------------------
* Neither an ``Authorization`` header nor ``X-Amz-Algorithm`` in the query:
  ``MissingAuthenticationToken`` (403) "Request is missing Authentication Token". A
  presigned query whose ``X-Amz-Algorithm`` is not ``AWS4-HMAC-SHA256`` is treated the
  same way (AWS's auth error ordering, as reproduced by scratchstack-aws-signature).
* Both a header and a presigned query: ``SignatureDoesNotMatch``.
* A malformed header or query: ``IncompleteSignature`` (400) with AWS's messages:
  "Unsupported AWS 'algorithm': 'X'.", "Authorization header requires 'Credential'
  parameter. ... Authorization=AWS4-HMAC-SHA256", "AWS query-string parameters must
  include 'X-Amz-Signature'. Re-examine the query-string parameters.", "Credential must
  have exactly 5 slash-delimited elements, ...", "Date must be in ISO-8601 'basic
  format'. ...". A bad ``X-Amz-Expires`` uses S3's wording under this code (IAM and STS
  publish none).
* ``host`` not among the signed headers: ``SignatureDoesNotMatch`` "'Host' or
  ':authority' must be a 'SignedHeader' in the AWS Authorization."
* The ``X-Amz-Date`` (or, without it, ``Date``) header of a header-signed request not among
  the signed headers: ``IncompleteSignature`` "'X-Amz-Date' must be a 'SignedHeader' in the
  AWS Authorization." (AWS's SigV4 guide: "If you include a date or x-amz-date header, you
  must also include that header in the list of signed headers"; the wording is ours, in the
  form of the ``host`` message). A presigned request's time is its ``X-Amz-Date``
  parameter, so it signs only ``host``, as STS's presigned URLs do.
* ``Credential``, ``SignedHeaders`` or ``Signature`` given twice in the header (or their
  ``X-Amz-`` parameters twice in a presigned query), or a header named twice in
  ``SignedHeaders``: ``IncompleteSignature``, so no two readings of one signature exist
  (our wording).
* A wrong region, service, terminator or scope date: ``SignatureDoesNotMatch`` (403)
  with AWS's messages joined, e.g. "Credential should be scoped to a valid region, not
  'eu-west-1'." and "Date in Credential scope does not match YYYYMMDD from ISO-8601
  version of date from HTTP: '20240102' != '20240101', from '20240101T000000Z'."
* The request time more than 15 minutes from the server's: ``SignatureDoesNotMatch``
  "Signature expired: 20240101T000000Z is now earlier than 20240101T001500Z
  (20240101T003000Z - 15 min.)" or "Signature not yet current: ... is still later than
  ... (... + 15 min.)"; STS answers exactly this (aws/aws-cli#6676, GetCallerIdentity).
* Presigned requests get the same 15-minute window around ``X-Amz-Date``, and
  ``X-Amz-Expires`` is parsed (0 to 604800) but otherwise ignored, as STS does: only S3
  honours it (aws/aws-sdk-go#2167 and the SDK's answer in #2224; aws-iam-authenticator
  relies on presigned GetCallerIdentity URLs living 15 minutes whatever X-Amz-Expires
  says). So an expired presigned URL answers "Signature expired: ...", not S3's
  ``AccessDenied`` "Request has expired".
* Any other mismatch, including an ``x-amz-content-sha256`` header that is not the
  body's SHA-256 (IAM and STS take no ``UNSIGNED-PAYLOAD``): ``SignatureDoesNotMatch``
  "The request signature we calculated does not match the signature you provided. ..."

Canonicalisation follows botocore: the raw path has its dot and empty segments removed
and is percent-encoded once more; query names and values are decoded (``+`` is a space)
and re-encoded to RFC 3986, sorted by name then value; header names are lowercased and
values trimmed with inner whitespace collapsed, repeats joined with commas. The payload
hash is the body's SHA-256 for header-signed and presigned requests alike (botocore's
``SigV4QueryAuth`` hashes the now empty body; only S3 presigns ``UNSIGNED-PAYLOAD``).
"""

from iamd.sigv4._errors import (
    IncompleteSignature,
    MissingAuthenticationToken,
    SignatureDoesNotMatch,
    SigV4Error,
)
from iamd.sigv4._request import RequestParts, SignedRequest, parse_request
from iamd.sigv4._signing import sign_request
from iamd.sigv4._verify import verify

__all__ = [
    "IncompleteSignature",
    "MissingAuthenticationToken",
    "RequestParts",
    "SigV4Error",
    "SignatureDoesNotMatch",
    "SignedRequest",
    "parse_request",
    "sign_request",
    "verify",
]
