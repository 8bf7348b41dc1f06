"""Validation of policy documents with AWS's ``MalformedPolicyDocument`` messages.

Checks run in the order IAM reports them, so a document with several faults gets the
message AWS would give:

1. syntax: top-level elements (``Version``, ``Id``, ``Statement``), element types,
   statement elements, ``Effect``, condition operators (``Syntax errors in policy.``);
2. ``Version`` values other than ``2012-10-17`` and ``2008-10-17`` (syntax error);
3. legacy parsing: ``Effect`` spelled other than ``Allow``/``Deny``, unreadable dates
   in ``Date...`` conditions (``The policy failed legacy parsing``);
4. duplicate ``Sid`` values; 5. missing actions; 6. resource format;
7. vendor prefixes of actions and condition keys; 8. missing resources;
9. what the policy type requires or forbids (``Principal``, ``Resource`` in trust
   policies, STS actions in trust policies, the ``Sid`` charset of IAM policies).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .arn import PARTITIONS
from .conditions import parse_operator, value_text
from .errors import MalformedPolicyDocument
from .principals import PRINCIPAL_TYPES, valid_aws_principal

KINDS = ("identity", "resource", "trust", "boundary", "session", "scp", "rcp", "endpoint")
VERSIONS = ("2012-10-17", "2008-10-17")
TOP_ELEMENTS = frozenset({"Version", "Id", "Statement"})
STATEMENT_ELEMENTS = frozenset(
    {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Principal",
     "NotPrincipal", "Condition"}
)
# Policy types whose statements must name a principal, and those that must not. VPC
# endpoint policies may leave it out, which means every principal.
PRINCIPAL_REQUIRED = frozenset({"resource", "trust", "rcp"})
PRINCIPAL_FORBIDDEN = frozenset({"identity", "boundary", "session", "scp"})
# IAM-managed documents restrict Sid to [0-9A-Za-z]*.
IAM_KINDS = frozenset({"identity", "boundary", "session", "trust"})

SYNTAX = "Syntax errors in policy."
LEGACY = "The policy failed legacy parsing"
SID_UNIQUE = "Statement IDs (SID) in a single policy must be unique."
SID_CHARSET = (
    "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the "
    "regular expression [0-9A-Za-z]*"
)
NO_ACTIONS = "Policy statement must contain actions."
NO_RESOURCES = "Policy statement must contain resources."
VENDOR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON = "Actions/Condition can contain only one colon."
NO_PRINCIPAL_ALLOWED = "Policy document should not specify a principal."
PROHIBITED_PRINCIPAL = "Has prohibited field {field}"
MISSING_PRINCIPAL = "Missing required field Principal"
PROHIBITED_RESOURCE = "Has prohibited field Resource."
TRUST_ACTIONS = (
    "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  "
    "and sts:AssumeRoleWithWebIdentity"
)
INVALID_PRINCIPAL = "Invalid principal in policy"

_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR = re.compile(r"[a-zA-Z0-9\-.]+")


@dataclass
class RawStatement:
    """One statement with every element normalised to lists of strings."""

    index: int
    sid: str | None
    effect: str
    actions: list[str] | None = None
    not_actions: list[str] | None = None
    resources: list[str] | None = None
    not_resources: list[str] | None = None
    principal: str | dict[str, list[str]] | None = None
    not_principal: str | dict[str, list[str]] | None = None
    conditions: list[tuple[str, str, tuple[str, ...]]] = field(default_factory=list)


@dataclass
class RawDocument:
    version: str | None
    id: str | None
    statements: list[RawStatement]


def _fail(message: str) -> MalformedPolicyDocument:
    return MalformedPolicyDocument(message)


def _strings(value: Any) -> list[str]:
    """A string or list of strings element; anything else is a syntax error."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    raise _fail(SYNTAX)


def _principal(value: Any, strict: bool) -> str | dict[str, list[str]]:
    if isinstance(value, str):
        if value == "*":
            return "*"
        if not strict and value:
            # Lenient reading of stored documents: a bare ARN names an AWS principal.
            return {"AWS": [value]}
        raise _fail(INVALID_PRINCIPAL)
    if not isinstance(value, dict) or not value:
        raise _fail(SYNTAX)
    out: dict[str, list[str]] = {}
    for ptype, pvalue in value.items():
        if ptype not in PRINCIPAL_TYPES:
            raise _fail(INVALID_PRINCIPAL)
        values = _strings(pvalue)
        if not values:
            raise _fail(SYNTAX)
        out[ptype] = values
    return out


def _condition_values(value: Any) -> tuple[str, ...]:
    if isinstance(value, (str, bool, int, float)) and value is not None:
        return (value_text(value),)
    if isinstance(value, list) and all(
        isinstance(v, (str, bool, int, float)) and v is not None for v in value
    ):
        return tuple(value_text(v) for v in value)
    raise _fail(SYNTAX)


def validate(document: Any, kind: str, strict: bool = True) -> RawDocument:
    """Validate a decoded JSON document as a policy of ``kind``; raise on the first fault.

    ``strict=False`` is for documents that were accepted earlier (stored policies, the
    simulator's inputs): the JSON shape, element types, operators and dates are still
    checked, but not what the policy type requires (``Principal``, ``Resource``,
    ``Sid`` charset, non-empty lists, ARN shapes). The evaluator then reads a missing
    ``Resource`` as "this resource" and a resource-based statement without
    ``Principal`` as naming nobody.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown policy kind `{kind}`")
    # 1-2. Syntax and Version.
    if not isinstance(document, dict):
        raise _fail(SYNTAX)
    if any(k not in TOP_ELEMENTS for k in document):
        raise _fail(SYNTAX)
    version = document.get("Version")
    if "Version" in document and version not in VERSIONS:
        raise _fail(SYNTAX)
    pid = document.get("Id")
    if "Id" in document and not isinstance(pid, str):
        raise _fail(SYNTAX)
    if "Statement" not in document:
        raise _fail(SYNTAX)
    body = document["Statement"]
    if isinstance(body, dict):
        raw_statements = [body]
    elif isinstance(body, list) and (body or not strict):
        raw_statements = body
    else:
        raise _fail(SYNTAX)
    statements = [_statement_syntax(i, s, strict) for i, s in enumerate(raw_statements)]
    # 3. Legacy parsing.
    for st, raw in zip(statements, raw_statements, strict=True):
        if raw["Effect"] not in ("Allow", "Deny"):
            raise _fail(LEGACY)
        for op_text, _key, values in st.conditions:
            op = parse_operator(op_text)
            if op is not None and op.base.check is not None:
                for v in values:
                    message = op.base.check(v)
                    if message:
                        raise _fail(message)
        for res in (st.resources or []) + (st.not_resources or []):
            if _fails_legacy_parsing(res):
                raise _fail(LEGACY)
    if not strict:
        return RawDocument(version, pid, statements)
    # 4. Sid uniqueness.
    seen: set[str] = set()
    for st in statements:
        if st.sid:
            if st.sid in seen:
                raise _fail(SID_UNIQUE)
            seen.add(st.sid)
    # 5. Actions present.
    for st in statements:
        if not (st.actions or st.not_actions):
            raise _fail(NO_ACTIONS)
    # 6. Resource format.
    if kind == "trust":
        for st in statements:
            if st.resources is not None or st.not_resources is not None:
                raise _fail(PROHIBITED_RESOURCE)
    for st in statements:
        for res in (st.resources or []) + (st.not_resources or []):
            _check_resource(res)
    # 7. Vendors.
    for st in statements:
        for action in (st.actions or []) + (st.not_actions or []):
            _check_action(action)
        # Condition keys need no vendor prefix: IAM accepts a bare ``foo`` key (it can
        # never be in a request context, so the condition simply never matches).
    # 8. Resources present.
    if kind != "trust":
        for st in statements:
            if not (st.resources or st.not_resources):
                raise _fail(NO_RESOURCES)
    # 9. What the policy type requires.
    for st in statements:
        has_principal = st.principal is not None or st.not_principal is not None
        if kind in PRINCIPAL_FORBIDDEN and has_principal:
            if kind in ("identity", "boundary"):
                raise _fail(NO_PRINCIPAL_ALLOWED)
            field_name = "Principal" if st.principal is not None else "NotPrincipal"
            raise _fail(PROHIBITED_PRINCIPAL.format(field=field_name))
        if kind in PRINCIPAL_REQUIRED and not has_principal:
            raise _fail(MISSING_PRINCIPAL)
        for spec in (st.principal, st.not_principal):
            if isinstance(spec, dict):
                _check_principal_values(spec)
        if kind in IAM_KINDS and st.sid is not None and not _SID.fullmatch(st.sid):
            raise _fail(SID_CHARSET)
        if kind == "trust":
            for action in (st.actions or []) + (st.not_actions or []):
                if action != "*" and not action.lower().startswith("sts:"):
                    raise _fail(TRUST_ACTIONS)
        if kind == "rcp" and st.principal is not None and st.principal != "*":
            raise _fail(INVALID_PRINCIPAL)
    return RawDocument(version, pid, statements)


def _statement_syntax(index: int, raw: Any, strict: bool) -> RawStatement:
    if not isinstance(raw, dict):
        raise _fail(SYNTAX)
    if any(k not in STATEMENT_ELEMENTS for k in raw):
        raise _fail(SYNTAX)
    for a, b in (("Action", "NotAction"), ("Resource", "NotResource"),
                 ("Principal", "NotPrincipal")):
        if a in raw and b in raw:
            raise _fail(SYNTAX)
    effect = raw.get("Effect")
    if not isinstance(effect, str) or effect.lower() not in ("allow", "deny"):
        raise _fail(SYNTAX)
    sid = raw.get("Sid")
    if "Sid" in raw and not isinstance(sid, str):
        raise _fail(SYNTAX)
    st = RawStatement(index=index, sid=sid, effect=effect)
    if "Action" in raw:
        st.actions = _strings(raw["Action"])
    if "NotAction" in raw:
        st.not_actions = _strings(raw["NotAction"])
    if "Resource" in raw:
        st.resources = _strings(raw["Resource"])
    if "NotResource" in raw:
        st.not_resources = _strings(raw["NotResource"])
    if "Principal" in raw:
        st.principal = _principal(raw["Principal"], strict)
    if "NotPrincipal" in raw:
        st.not_principal = _principal(raw["NotPrincipal"], strict)
    if "Condition" in raw:
        block = raw["Condition"]
        if not isinstance(block, dict):
            raise _fail(SYNTAX)
        for op_text, entries in block.items():
            if not isinstance(entries, dict):
                raise _fail(SYNTAX)
            if parse_operator(op_text) is None:
                # AWS ignores an unknown operator only when its block is empty.
                if entries:
                    raise _fail(SYNTAX)
                continue
            for key, value in entries.items():
                st.conditions.append((op_text, key, _condition_values(value)))
    return st


def _check_action(action: str) -> None:
    if action == "*":
        return
    parts = action.split(":")
    if len(parts) == 1:
        raise _fail(VENDOR)
    if len(parts) > 2:
        raise _fail(ONE_COLON)
    if parts[0] != "*" and not _VENDOR.fullmatch(parts[0]):
        raise _fail(f"Vendor {parts[0]} is not valid")


def _arn_parts(res: str) -> list[str]:
    """A resource as IAM reads it: URL-encoded colons decoded, split into its six ARN
    parts, missing trailing parts filled with ``*`` (``a:b:c`` is ``arn:b:c:*:*:*``)."""
    if "%3a" in res.lower():
        res = unquote(res)
    parts = res.split(":", 5)
    return parts + ["*"] * (6 - len(parts))


def _fails_legacy_parsing(res: str) -> bool:
    """IAM's legacy ARN parser refuses an ARN with an empty service (``arn:aws::...``) and
    one of exactly five parts, whose resource part is missing (``arn:aws:s3::bucket``)."""
    if res == "*" or ":" not in res or not res.startswith("arn:"):
        return False
    count = len(res.split(":", 5))
    parts = _arn_parts(res)
    return count == 5 or (count > 2 and parts[2] == "")


# What an IAM resource's last part may start with (AWS's message lists them).
_IAM_RESOURCE_TYPES = (
    "user/", "federated-user/", "role/", "group/", "instance-profile/", "mfa/",
    "server-certificate/", "policy/", "sms-mfa/", "saml-provider/", "oidc-provider/",
    "report/", "access-report/",
)
# Resource types IAM gained since, which iamd serves too.
_IAM_RESOURCE_TYPES_SINCE = ("root", "delegation-request/", "role-template/")
IAM_RESOURCE_PATH = (
    'IAM resource path must either be "*" or start with '
    + ", ".join(_IAM_RESOURCE_TYPES) + "."
)


def _check_resource(res: str) -> None:
    if res == "*":
        return
    if ":" not in res and "%3a" not in res.lower():
        raise _fail(f'Resource {res} must be in ARN format or "*".')
    parts = _arn_parts(res)
    partition, service, region = parts[1], parts[2], parts[3]
    if "${" not in partition and not any(c in partition for c in "*?") and (
        partition not in PARTITIONS
    ):
        raise _fail(
            f'Partition "{partition}" is not valid for resource "arn:{partition}:'
            f'{service}:{region}:{parts[4]}:{parts[5]}".'
        )
    if not service or any(c in service for c in "*?"):
        raise _fail("Resource vendor must be fully qualified and cannot contain regexes.")
    if service == "iam" and region not in ("", "*"):
        raise _fail(f"IAM resource {res} cannot contain region information.")
    if service == "iam" and not _iam_resource_path_ok(parts[5]):
        raise _fail(IAM_RESOURCE_PATH)
    if service == "s3" and region not in ("", "*") and not parts[5].startswith(
        ("accesspoint/", "*")
    ) and parts[4] == "":
        raise _fail(f"Resource {res} can not contain region information.")


def _iam_resource_path_ok(path: str) -> bool:
    # Only the literal text before the first wildcard or variable is known: it must be
    # able to begin one of the resource types.
    literal = re.split(r"[*?]|\$\{", path, maxsplit=1)[0]
    if literal != path:
        return any(t.startswith(literal) or literal.startswith(t)
                   for t in _IAM_RESOURCE_TYPES + _IAM_RESOURCE_TYPES_SINCE)
    return path.startswith(_IAM_RESOURCE_TYPES + _IAM_RESOURCE_TYPES_SINCE)


def _check_principal_values(spec: dict[str, list[str]]) -> None:
    for ptype, values in spec.items():
        for v in values:
            ok = bool(v) and (
                valid_aws_principal(v) if ptype == "AWS" else ("*" not in v or v == "*")
            )
            if not ok:
                raise _fail(f'{INVALID_PRINCIPAL}: "{ptype}":"{v}"')
