"""The IAM policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy and the
GetContextKeysFor...Policy operations.

The simulator asks the same engine as real enforcement (``iamd.policy``), with the same
policies an entity's calls are authorized against (``policy_sources.entity_policies`` and
``effective_documents``), so a simulated decision is the decision a real call gets when
the request context matches. Unlike a real call, the simulator adds no context keys of
its own: conditions see only the ``ContextEntries`` the caller passes, and the keys they
wanted but did not get come back as ``MissingContextValues``.

What AWS shows, as its simulator does (checked against recorded responses):

* one ``EvaluationResult`` per action; with ``ResourceArns`` its decision is the most
  restrictive of the per-resource decisions in ``ResourceSpecificResults``;
* ``MatchedStatements`` name identity policies with ``SourcePolicyType`` ``IAM Policy``
  (``PolicyInputList.N``, ``user_<user>_<policy>`` for inline policies, the policy name
  for managed ones) and the resource policy as ``ResourcePolicy`` / ``Resource Policy``;
* statement positions are where AWS's streaming JSON parser stood: the start is the
  position just after the token before the statement's ``{`` (after ``[`` or after the
  previous statement's ``}``; after the ``{`` itself when ``Statement`` is an object),
  the end is just after the closing ``}``; lines and columns count from 1.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from iamd import policy
from iamd.policy.document import Position
from iamd.protocol.errors import InvalidInput
from iamd.services import policy_sources
from iamd.services.iam import common
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.paging import DEFAULT_MAX_ITEMS, decode_marker, encode_marker
from iamd.services.policy_sources import effective_documents
from iamd.store import UnitOfWork

IDENTITY_TYPE = "IAM Policy"
RESOURCE_TYPE = "Resource Policy"
BOUNDARY_KEY = "PermissionsBoundaryPolicy"
RESOURCE_POLICY_ID = "ResourcePolicy"

_DECISIONS = {"Allow": "allowed", "ExplicitDeny": "explicitDeny", "ImplicitDeny": "implicitDeny"}
_SEVERITY = {"allowed": 0, "implicitDeny": 1, "explicitDeny": 2}

_ENTITY_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):iam::(?P<account>[0-9]{12}):(?P<kind>user|group|role)"
    r"(?P<path>/(?:[\x21-\x7e]*/)?)(?P<name>[\w+=,.@-]+)"
)
_RESOURCE_ARN = re.compile(r"arn:[^:]+:[^:]+:[^:]*:[^:]*:.+", re.DOTALL)
_ACCOUNT_ID = re.compile(r"[0-9]{12}")
_ROOT_ARN = re.compile(r"arn:aws[a-z-]*:iam::(?P<account>[0-9]{12}):root")
_POLICY_ARN = re.compile(r"arn:(?:aws[a-z-]*|\*):iam::(?:[0-9]{12}|aws):policy/(?P<rest>.+)")

# The EC2 scenarios of ResourceHandlingOption and the resource types each needs.
_SCENARIOS = {
    "EC2-Classic-InstanceStore": ("instance", "image", "security-group"),
    "EC2-Classic-EBS": ("instance", "image", "security-group", "volume"),
    "EC2-VPC-InstanceStore": ("instance", "image", "security-group", "network-interface"),
    "EC2-VPC-InstanceStore-Subnet": ("instance", "image", "security-group", "network-interface", "subnet"),
    "EC2-VPC-EBS": ("instance", "image", "security-group", "network-interface", "volume"),
    "EC2-VPC-EBS-Subnet": ("instance", "image", "security-group", "network-interface", "subnet", "volume"),
}

_LIST_TYPES = {"stringList", "numericList", "booleanList", "ipList", "binaryList", "dateList"}


@dataclass(frozen=True)
class _Source:
    """One policy of the simulation, as the response names it."""

    source_id: str
    source_type: str
    text: str


@dataclass
class _Inputs:
    identity: list[tuple[_Source, policy.Policy]] = field(default_factory=list)
    boundary: tuple[_Source, policy.Policy] | None = None
    resource: tuple[_Source, policy.Policy] | None = None
    scps: list[list[policy.Policy]] = field(default_factory=list)


# -- the operations --------------------------------------------------------------------


@operation("iam", "SimulatePrincipalPolicy")
def simulate_principal_policy(context: OperationContext, params: Params) -> Output:
    source_arn = params["PolicySourceArn"]
    with context.db.reading() as unit:
        kind, info = _source_entity(context, unit, source_arn)
        exclusions = _Exclusions(params.get("PolicyExclusionList") or [])
        inputs = _Inputs()
        inputs.identity = _entity_identity(unit, context.caller.account_id, kind, info, exclusions)
        stored_boundary = policy_sources.entity_policies(unit, context.caller.account_id, kind, info.id).boundary
    inputs.identity += _input_list(params.get("PolicyInputList") or [], "PolicyInputList", "identity")
    boundaries = params.get("PermissionsBoundaryPolicyInputList") or []
    if boundaries:
        inputs.boundary = _single_boundary(boundaries)
    elif stored_boundary is not None and not exclusions.excludes_boundary:
        name, text = stored_boundary
        inputs.boundary = (_Source(name.rsplit("/", 1)[-1], "PermissionsBoundaryPolicy", text),
                           _parse(text, "boundary", stored=True))
    caller_arn = params.get("CallerArn")
    if caller_arn is not None:
        _check_caller_arn(caller_arn)
    principal = caller_arn or source_arn
    if params.get("ResourcePolicy") is not None:
        inputs.resource = _resource_policy(params["ResourcePolicy"])
        if _caller_kind(principal) != "user":
            raise InvalidInput("Invalid caller - Caller must be an IAM user in this context.")
    return _simulate(context, params, inputs, principal)


@operation("iam", "SimulateCustomPolicy")
def simulate_custom_policy(context: OperationContext, params: Params) -> Output:
    inputs = _Inputs()
    inputs.identity = _input_list(params["PolicyInputList"], "PolicyInputList", "identity")
    boundaries = params.get("PermissionsBoundaryPolicyInputList") or []
    if boundaries:
        inputs.boundary = _single_boundary(boundaries)
    for level in params.get("OrderedOrganizationPolicyInputList") or []:
        documents = level.get("ServiceControlPolicyInputList") or []
        inputs.scps.append([_checked(text, "scp") for text in documents])
    caller_arn = params.get("CallerArn")
    if caller_arn is not None:
        _check_caller_arn(caller_arn)
    if params.get("ResourcePolicy") is not None:
        inputs.resource = _resource_policy(params["ResourcePolicy"])
        if caller_arn is None or _caller_kind(caller_arn) != "user":
            raise InvalidInput("Invalid caller - Caller must be an IAM user in this context.")
    # Without a caller the simulated principal is an unnamed identity of the account.
    principal = caller_arn or (
        f"arn:{context.caller.partition}:iam::{context.caller.account_id}:simulated-principal"
    )
    return _simulate(context, params, inputs, principal)


@operation("iam", "GetContextKeysForPrincipalPolicy")
def get_context_keys_for_principal_policy(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        kind, info = _source_entity(context, unit, params["PolicySourceArn"])
        inputs = _entity_identity(unit, context.caller.account_id, kind, info, _Exclusions([]))
    policies = [p for _source, p in inputs]
    policies += [p for _s, p in _input_list(params.get("PolicyInputList") or [], "PolicyInputList", "identity")]
    return {"ContextKeyNames": policy.condition_keys(*policies)}


@operation("iam", "GetContextKeysForCustomPolicy")
def get_context_keys_for_custom_policy(context: OperationContext, params: Params) -> Output:
    policies = [p for _s, p in _input_list(params["PolicyInputList"], "PolicyInputList", "identity")]
    return {"ContextKeyNames": policy.condition_keys(*policies)}


# -- the simulation ----------------------------------------------------------------------


def _simulate(context: OperationContext, params: Params, inputs: _Inputs, principal: str) -> dict[str, Any]:
    actions = list(params["ActionNames"])
    for action in actions:
        _check_action(action)
    resources = list(params.get("ResourceArns") or [])
    for resource in resources:
        if resource != "*" and not _RESOURCE_ARN.fullmatch(resource):
            raise InvalidInput(f"ResourceNames are not in a valid ARN format: {resource}.")
    _check_scenario(params.get("ResourceHandlingOption"), resources)
    owner = _resource_owner(params.get("ResourceOwner"))
    request_context = context_values(params.get("ContextEntries") or [])

    start = 0
    if params.get("Marker"):
        try:
            start = int(decode_marker(params["Marker"]))
        except ValueError:
            raise InvalidInput("Invalid Marker.") from None
        if not 0 <= start <= len(actions):
            raise InvalidInput("Invalid Marker.")
    limit = int(params.get("MaxItems") or DEFAULT_MAX_ITEMS)
    page = actions[start:start + limit]

    sources: dict[str, _Source] = {}
    named: list[policy.Policy] = []
    for n, (source, parsed) in enumerate(inputs.identity):
        key = f"identity#{n}"
        sources[key] = source
        named.append(parsed.with_name(key))
    resource_policy = None
    if inputs.resource is not None:
        sources["resource"] = inputs.resource[0]
        resource_policy = inputs.resource[1].with_name("resource")
    boundary = inputs.boundary[1].with_name("boundary") if inputs.boundary is not None else None
    policy_set = policy.PolicySet(
        identity_policies=named,
        resource_policy=resource_policy,
        permissions_boundary=boundary,
        service_control_policies=inputs.scps,
    )
    positions: dict[str, list[tuple[Position, Position]] | None] = {}
    for key, source in sources.items():
        positions[key] = statement_positions(source.text)

    simulation = _Simulation(policy_set, sources, positions, principal, owner, request_context,
                             has_boundary=boundary is not None, has_scps=bool(inputs.scps))
    results = [simulation.result(action, resources) for action in page]
    output: dict[str, Any] = {"EvaluationResults": results, "IsTruncated": start + limit < len(actions)}
    if output["IsTruncated"]:
        output["Marker"] = encode_marker(str(start + limit))
    return output


class _Simulation:
    def __init__(self, policy_set: policy.PolicySet, sources: Mapping[str, _Source],
                 positions: Mapping[str, list[tuple[Position, Position]] | None], principal: str,
                 owner: str | None, request_context: dict[str, Any], *, has_boundary: bool,
                 has_scps: bool) -> None:
        self.policy_set = policy_set
        self.sources = sources
        self.positions = positions
        self.principal = principal
        self.principal_account = _account_of(principal)
        self.owner = owner
        self.context = request_context
        self.has_boundary = has_boundary
        self.has_scps = has_scps

    def result(self, action: str, resources: Sequence[str]) -> dict[str, Any]:
        specific = [r for r in resources if r != "*"]
        if not specific:
            one = self._evaluate(action, "*")
            result: dict[str, Any] = {
                "EvalActionName": action,
                "EvalResourceName": "*",
                "EvalDecision": one["EvalResourceDecision"],
                "MatchedStatements": one["MatchedStatements"],
                "MissingContextValues": one["MissingContextValues"],
            }
            for key in ("OrganizationsDecisionDetail", "PermissionsBoundaryDecisionDetail"):
                if key in one:
                    result[key] = one[key]
            if one["_cross_account"]:
                result["EvalDecisionDetails"] = one["EvalDecisionDetails"]
            return result
        per_resource = [self._evaluate(action, resource) for resource in specific]
        decision = max((r["EvalResourceDecision"] for r in per_resource), key=_SEVERITY.__getitem__)
        matched: list[dict[str, Any]] = []
        missing: list[str] = []
        details: dict[str, str] = {}
        for r in per_resource:
            for statement in r["MatchedStatements"]:
                if statement not in matched:
                    matched.append(statement)
            for key in r["MissingContextValues"]:
                if key not in missing:
                    missing.append(key)
            for kind, value in r["EvalDecisionDetails"].items():
                if kind not in details or _SEVERITY[value] > _SEVERITY[details[kind]]:
                    details[kind] = value
        result = {
            "EvalActionName": action,
            "EvalResourceName": specific[0] if len(specific) == 1 else "*",
            "EvalDecision": decision,
            "MatchedStatements": matched,
            "MissingContextValues": missing,
            "EvalDecisionDetails": details,
        }
        if self.has_scps:
            result["OrganizationsDecisionDetail"] = {"AllowedByOrganizations": all(
                r["OrganizationsDecisionDetail"]["AllowedByOrganizations"] for r in per_resource)}
        if self.has_boundary:
            result["PermissionsBoundaryDecisionDetail"] = {"AllowedByPermissionsBoundary": all(
                r["PermissionsBoundaryDecisionDetail"]["AllowedByPermissionsBoundary"] for r in per_resource)}
        result["ResourceSpecificResults"] = [
            {k: v for k, v in r.items() if not k.startswith("_") and k != "OrganizationsDecisionDetail"}
            for r in per_resource
        ]
        return result

    def _evaluate(self, action: str, resource: str) -> dict[str, Any]:
        resource_account = _account_of(resource) or self.owner or self.principal_account
        request = policy.Request(action=action, resource=resource, principal=self.principal,
                                 context=self.context, resource_account=resource_account)
        decision = self.policy_set.evaluate(request)
        trace = decision.trace
        verdict = _DECISIONS[decision.effect]
        matched: list[dict[str, Any]] = []
        if verdict != "implicitDeny":
            for st in trace.statements:
                if st.policy_type not in ("identity", "resource"):
                    continue
                applies = st.applies if verdict == "explicitDeny" else (
                    st.outcome == "matched" and st.effect == "Allow")
                if applies:
                    matched.append(self._statement(st))
        cross_account = resource_account is not None and resource_account != self.principal_account
        details: dict[str, str] = {}
        if cross_account:
            details[IDENTITY_TYPE] = _summary(trace, "identity")
            details[RESOURCE_TYPE] = _summary(trace, "resource")
            if self.has_boundary:
                details[BOUNDARY_KEY] = _summary(trace, "boundary")
        out: dict[str, Any] = {
            "EvalResourceName": resource,
            "EvalResourceDecision": verdict,
            "MatchedStatements": matched,
            "MissingContextValues": list(trace.missing_context_keys),
            "EvalDecisionDetails": details,
            "_cross_account": cross_account,
        }
        if self.has_boundary:
            out["PermissionsBoundaryDecisionDetail"] = {
                "AllowedByPermissionsBoundary": _summary(trace, "boundary") == "allowed"}
        if self.has_scps:
            out["OrganizationsDecisionDetail"] = {
                "AllowedByOrganizations": _summary(trace, "scp") == "allowed"}
        return out

    def _statement(self, st: policy.StatementResult) -> dict[str, Any]:
        source = self.sources[st.policy_name]
        shape: dict[str, Any] = {"SourcePolicyId": source.source_id, "SourcePolicyType": source.source_type}
        spans = self.positions.get(st.policy_name)
        if spans is not None and st.index < len(spans):
            start, end = spans[st.index]
            shape["StartPosition"] = {"Line": start.line, "Column": start.column}
            shape["EndPosition"] = {"Line": end.line, "Column": end.column}
        return shape


def _summary(trace: policy.Trace, kind: str) -> str:
    summary = trace.summaries.get(kind)
    if summary is None:
        return "implicitDeny"
    return _DECISIONS.get(summary.outcome, "implicitDeny")


# -- the policies -----------------------------------------------------------------------


def _parse(text: str, kind: str, *, stored: bool = False) -> policy.Policy:
    if stored:
        return policy.parse(text, kind, max_size=None, strict=False)
    return _checked(text, kind)


def _checked(text: str, kind: str) -> policy.Policy:
    """A submitted document, validated; AWS answers InvalidInput for a malformed one."""
    try:
        return policy.parse(text, kind, max_size=None)
    except policy.MalformedPolicyDocument as exc:
        raise InvalidInput(exc.message) from None


def _input_list(documents: Iterable[str], label: str, kind: str) -> list[tuple[_Source, policy.Policy]]:
    return [
        (_Source(f"{label}.{n}", IDENTITY_TYPE, text), _checked(text, kind))
        for n, text in enumerate(documents, 1)
    ]


def _single_boundary(documents: Sequence[str]) -> tuple[_Source, policy.Policy]:
    if len(documents) > 1:
        raise InvalidInput("Only one permissions boundary policy can be specified in PermissionsBoundaryPolicyInputList.")
    text = documents[0]
    return _Source("PermissionsBoundaryPolicyInputList.1", BOUNDARY_KEY, text), _checked(text, "boundary")


def _resource_policy(text: str) -> tuple[_Source, policy.Policy]:
    return _Source(RESOURCE_POLICY_ID, RESOURCE_TYPE, text), _checked(text, "resource")


def _entity_identity(unit: UnitOfWork, account_id: str, kind: str, info: Any,
                     exclusions: _Exclusions) -> list[tuple[_Source, policy.Policy]]:
    """The entity's identity policies, as enforcement loads them, named as AWS names them."""
    owners = [(kind, info.id, info.name)]
    if kind == "user":
        for group_id in unit.lookup.group_ids_of_user(info.id):
            group = unit.lookup.by_id("group", group_id)
            if group is not None:
                owners.append(("group", group.id, group.name))
    found: list[tuple[_Source, policy.Policy]] = []
    for owner_kind, owner_id, owner_name in owners:
        for name, text in effective_documents(unit, account_id, owner_kind, owner_id):
            if name.startswith("arn:"):
                if exclusions.excludes_managed(name):
                    continue
                source_id = name.rsplit("/", 1)[-1]
            else:
                if exclusions.excludes_inline(owner_kind, owner_name, name):
                    continue
                source_id = f"{owner_kind}_{owner_name}_{name}"
            found.append((_Source(source_id, IDENTITY_TYPE, text), _parse(text, "identity", stored=True)))
    return found


def _source_entity(context: OperationContext, unit: UnitOfWork, arn: str) -> tuple[str, Any]:
    match = _ENTITY_ARN.fullmatch(arn)
    if match is None:
        raise InvalidInput(f"Invalid Entity Arn: {arn}")
    kind, name = match["kind"], match["name"]
    info = None
    if match["account"] == context.caller.account_id:
        info = unit.lookup.by_name(context.caller.account_id, kind, name)
    if info is None:
        raise common.no_such_entity(kind, name)
    return kind, info


def _check_caller_arn(arn: str) -> None:
    if _ENTITY_ARN.fullmatch(arn) is None:
        raise InvalidInput(f"Invalid Entity Arn: {arn}")


def _caller_kind(arn: str) -> str | None:
    match = _ENTITY_ARN.fullmatch(arn)
    return match["kind"] if match else None


def _account_of(arn: str) -> str | None:
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and _ACCOUNT_ID.fullmatch(parts[4]):
        return parts[4]
    return None


def _resource_owner(value: str | None) -> str | None:
    if value is None:
        return None
    if _ACCOUNT_ID.fullmatch(value):
        return value
    root = _ROOT_ARN.fullmatch(value)
    if root is not None:
        return root["account"]
    raise InvalidInput(f"'{value}' is not a valid as a Resource Owner.")


def _check_action(action: str) -> None:
    service, sep, name = action.partition(":")
    if not sep or not service or not name or ":" in name:
        raise InvalidInput(f"Invalid action name: {action}. An action name has the form service:Action.")
    if "*" in action or "?" in action:
        raise InvalidInput(f"Wildcards are not supported in action names: {action}.")


def _check_scenario(option: str | None, resources: Sequence[str]) -> None:
    if option is None:
        return
    needed = _SCENARIOS.get(option)
    if needed is None:
        raise InvalidInput(f"Invalid ResourceHandlingOption: {option}.")
    present = set()
    for arn in resources:
        parts = arn.split(":", 5)
        if len(parts) == 6 and parts[2] == "ec2":
            present.add(parts[5].split("/", 1)[0])
    absent = [kind for kind in needed if kind not in present]
    if absent:
        raise InvalidInput(
            f"ResourceHandlingOption {option} requires resources of type: {', '.join(absent)}."
        )


# -- PolicyExclusionList ------------------------------------------------------------------


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile("".join(
        ".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern
    ), re.IGNORECASE | re.DOTALL)


class _Exclusions:
    """Which attached policies a simulation leaves out (``PolicyExclusionList``)."""

    def __init__(self, identifiers: Sequence[Mapping[str, Any]]) -> None:
        self.types: set[str] = set()
        self.arns: list[re.Pattern[str]] = []
        self.inline: list[tuple[str, str, re.Pattern[str]]] = []
        for identifier in identifiers:
            given = [k for k in ("PolicyType", "PolicyArn", "InlinePolicyIdentifier") if identifier.get(k) is not None]
            if len(given) != 1:
                raise InvalidInput(
                    "Each PolicyIdentifier must specify exactly one of PolicyType, PolicyArn or "
                    "InlinePolicyIdentifier."
                )
            if "PolicyType" in given:
                self.types.add(identifier["PolicyType"])
            elif "PolicyArn" in given:
                self.arns.append(self._arn_pattern(identifier["PolicyArn"]))
            else:
                inline = identifier["InlinePolicyIdentifier"]
                entity = inline["AttachmentName"]
                if entity.count("*") > 1:
                    raise InvalidInput(f"Invalid AttachmentName: {entity}. Use at most one * wildcard.")
                self.inline.append((inline["PolicyName"].lower(), inline["AttachmentType"], _wildcard(entity)))

    @staticmethod
    def _arn_pattern(arn: str) -> re.Pattern[str]:
        match = _POLICY_ARN.fullmatch(arn)
        prefix = arn[: len(arn) - len(match["rest"])] if match else arn
        if match is None or "*" in prefix.replace("arn:*:", "") or "?" in prefix or arn.count("*") > 1 + (
            1 if arn.startswith("arn:*:") else 0
        ):
            raise InvalidInput(f"Invalid PolicyArn: {arn}.")
        partition = r"[^:]+" if arn.startswith("arn:*:") else None
        body = _wildcard(match["rest"]).pattern
        head = re.escape(prefix) if partition is None else re.escape(prefix).replace(re.escape("arn:*:"), f"arn:{partition}:", 1)
        return re.compile(head + body, re.IGNORECASE | re.DOTALL)

    @property
    def excludes_boundary(self) -> bool:
        return "permission-boundary" in self.types

    def excludes_managed(self, arn: str) -> bool:
        aws_managed = arn.split(":")[4] == "aws"
        if ("aws-managed" if aws_managed else "user-managed") in self.types:
            return True
        return any(p.fullmatch(arn) for p in self.arns)

    def excludes_inline(self, kind: str, entity: str, name: str) -> bool:
        if "inline" in self.types:
            return True
        return any(
            name.lower() == policy_name and kind == attachment and pattern.fullmatch(entity)
            for policy_name, attachment, pattern in self.inline
        )


# -- ContextEntries -------------------------------------------------------------------------


def context_values(entries: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The request context a simulation sees: only the entries given, typed as declared."""
    values: dict[str, Any] = {}
    for entry in entries:
        name = entry.get("ContextKeyName")
        if not name:
            raise InvalidInput("ContextKeyName is required in each ContextEntry.")
        raw = list(entry.get("ContextKeyValues") or [])
        kind = entry.get("ContextKeyType") or "string"
        for value in raw:
            _check_value(name, kind, value)
        if kind in _LIST_TYPES or len(raw) > 1:
            values[name] = raw
        elif raw:
            values[name] = raw[0]
        else:
            values[name] = []
    return values


_NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:T[0-9:.]+(?:Z|[+-][0-9:]+)?)?|[0-9]+")


def _check_value(name: str, kind: str, value: str) -> None:
    base = kind.removesuffix("List")
    ok = True
    if base == "numeric":
        ok = bool(_NUMBER.fullmatch(value))
    elif base == "boolean":
        ok = value.lower() in ("true", "false")
    elif base == "ip":
        try:
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            ok = False
    elif base == "date":
        ok = bool(_DATE.fullmatch(value))
    elif base == "binary":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            ok = False
    if not ok:
        raise InvalidInput(f"Invalid value {value} for context key {name} of type {kind}.")


# -- statement positions --------------------------------------------------------------------

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)


def statement_positions(text: str) -> list[tuple[Position, Position]] | None:
    """Start and end of each statement as AWS's simulator reports them (see the module doc)."""
    lines = [0]
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\r":
            if i + 1 < len(text) and text[i + 1] == "\n":
                i += 1
            lines.append(i + 1)
        elif ch == "\n":
            lines.append(i + 1)
        i += 1

    def pos(offset: int) -> Position:
        lo, hi = 0, len(lines) - 1
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if lines[mid] <= offset:
                lo = mid
            else:
                hi = mid - 1
        return Position(lo + 1, offset - lines[lo] + 1)

    depth = 0
    key: str | None = None
    expect_value = False
    mode: str | None = None  # "object" | "array" while inside the Statement value
    mode_depth = 0
    prev_end = 0
    open_start = 0
    spans: list[tuple[int, int]] | None = None
    for m in _TOKEN.finditer(text):
        tok = m.group()
        c = tok[0]
        if expect_value:
            expect_value = False
            if c == "{":
                mode, mode_depth, open_start = "object", depth + 1, m.end()
                spans = []
            elif c == "[":
                mode, mode_depth, prev_end = "array", depth + 1, m.end()
                spans = []
            else:
                mode = None
        elif depth == 1 and c == '"':
            key = tok
            continue
        elif depth == 1 and c == ":" and key is not None:
            try:
                expect_value = json.loads(key) == "Statement"
            except ValueError:
                expect_value = False
            key = None
            continue
        if c in "{[":
            depth += 1
            if mode == "array" and c == "{" and depth == mode_depth + 1:
                open_start = prev_end
        elif c in "}]":
            if mode == "object" and c == "}" and depth == mode_depth:
                assert spans is not None
                spans.append((open_start, m.end()))
                mode = None
            elif mode == "array" and depth == mode_depth + 1 and c == "}":
                assert spans is not None
                spans.append((open_start, m.end()))
                prev_end = m.end()
            elif mode == "array" and depth == mode_depth and c == "]":
                mode = None
            depth -= 1
        elif mode == "array" and depth == mode_depth and c not in ",:":
            prev_end = m.end()
    if spans is None:
        return None
    return [(pos(a), pos(b)) for a, b in spans]


__all__ = ["context_values", "statement_positions"]
