"""AWS policy evaluation logic (IAM User Guide, "Policy evaluation logic").

For one request the engine decides ``Allow``, ``ExplicitDeny`` or ``ImplicitDeny``:

1. An explicit ``Deny`` in any applicable policy wins: SCPs, RCPs, VPC endpoint
   policies, the resource-based policy, identity policies, the permissions boundary,
   session policies.
2. Organizations: when SCPs are given, every level (root first) must allow the action;
   likewise for RCPs. SCPs govern principals of member accounts, so they do not apply
   to anonymous callers or service principals; RCPs apply to every caller.
3. A VPC endpoint policy the request passed through must allow it.
4. The resource-based policy and the identity side:

   * the *identity side* allows when an identity policy allows, and the permissions
     boundary (if any) allows, and the session policies (if any) allow; the root user
     needs no identity policy in its own account;
   * same account: a resource-based policy that names the caller (its user ARN, its
     role session ARN, ``*``, a service) allows on its own, unlimited by identity
     policies, boundary or session policies; one that names the *role* is still limited
     by the boundary and session policies; one that names the account delegates to the
     identity side; otherwise the identity side decides;
   * cross-account: both the identity side and the resource-based policy must allow;
   * anonymous callers and service principals have no identity side: only a
     resource-based policy can allow them.

5. Service rules AWS applies on top (see :mod:`.service_rules`).

``evaluate`` reads nothing beyond its arguments: the caller supplies every context key,
and passes only the policies that apply (no SCPs for the management account or for
service-linked roles, no RCPs for AWS managed keys, no boundary for the root user).
"""

from __future__ import annotations

import contextlib
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from . import service_rules
from .arn import try_parse_arn
from .decision import (
    ALLOW,
    EXPLICIT_DENY,
    IMPLICIT_DENY,
    POLICY_TYPES,
    TYPE_NAMES,
    Decision,
    Effect,
    PolicyTypeSummary,
    StatementResult,
    Trace,
)
from .document import Policy, Statement, parse
from .matching import glob_tokens, has_wildcard
from .principals import ACCOUNT, ANY, EXACT, ROLE, Caller, parse_caller

PolicyInput = Any  # str | Mapping | Policy | tuple[str, str | Mapping | Policy]


@dataclass(frozen=True, slots=True)
class Request:
    """One request to authorize.

    ``context`` holds every condition key of the request (the caller builds them; keys
    are matched case-insensitively). ``resource_account`` defaults to the resource
    ARN's account, else the principal's.
    """

    action: str
    resource: str = "*"
    principal: str = "anonymous"
    context: Mapping[str, Any] = field(default_factory=dict)
    resource_account: str | None = None


class _Req:
    """Per-evaluation view of a request: lower-cased action and context, the caller."""

    __slots__ = ("_ctx", "action_l", "caller", "has_boundary", "request", "resource")

    def __init__(self, request: Request, has_boundary: bool) -> None:
        self.request = request
        self.action_l = request.action.lower()
        self.resource = request.resource
        self.caller: Caller = parse_caller(request.principal)
        self._ctx: dict[str, Any] | None = None
        self.has_boundary = has_boundary

    @property
    def ctx(self) -> dict[str, Any]:
        ctx = self._ctx
        if ctx is None:
            ctx = self._ctx = {k.lower(): v for k, v in self.request.context.items()}
        return ctx


# --------------------------------------------------------------------------- indexing


_INDEX_CACHE: OrderedDict[tuple[Policy, ...], _Index] = OrderedDict()
_INDEX_CACHE_SIZE = 1024


def _index(policies: Sequence[Policy]) -> _Index:
    """The index of these policies, shared while the same parsed objects are passed.

    ``parse`` returns one cached :class:`Policy` per document text, so repeated calls to
    :func:`evaluate` with the same documents reuse the compiled index.
    """
    key = tuple(policies)
    found = _INDEX_CACHE.get(key)
    if found is None:
        found = _INDEX_CACHE[key] = _Index(key)
        if len(_INDEX_CACHE) > _INDEX_CACHE_SIZE:
            with contextlib.suppress(KeyError):  # evicted by another thread already
                _INDEX_CACHE.popitem(last=False)
    return found


class _Index:
    """The statements of some policies, indexed by exact action and by service.

    ``candidates(action)`` answers, in document order, the statements whose ``Action``
    or ``NotAction`` admit the action; the answer is memoised per action.
    """

    __slots__ = ("_exact", "_memo", "_scan", "_service", "policies", "statements")

    def __init__(self, policies: Sequence[Policy]) -> None:
        self.policies = tuple(policies)
        self.statements: tuple[Statement, ...] = tuple(
            st for p in self.policies for st in p.statements
        )
        self._exact: dict[str, list[int]] = {}
        self._service: dict[str, list[int]] = {}
        self._scan: list[int] = []
        self._memo: dict[str, tuple[Statement, ...]] = {}
        for order, st in enumerate(self.statements):
            if st.actions is None:
                self._scan.append(order)
                continue
            for pattern in st.actions:
                p = pattern.lower()
                service, sep, _rest = p.partition(":")
                if not has_wildcard(glob_tokens(p)):
                    self._exact.setdefault(p, []).append(order)
                elif sep and not has_wildcard(glob_tokens(service)):
                    self._service.setdefault(service, []).append(order)
                else:
                    self._scan.append(order)

    def candidates(self, action_l: str) -> tuple[Statement, ...]:
        found = self._memo.get(action_l)
        if found is not None:
            return found
        orders = set(self._exact.get(action_l, ()))
        service = action_l.partition(":")[0]
        statements = self.statements
        for order in self._service.get(service, ()):
            if statements[order].action_matches(action_l):
                orders.add(order)
        for order in self._scan:
            if statements[order].action_matches(action_l):
                orders.add(order)
        found = tuple(statements[o] for o in sorted(orders))
        if len(self._memo) > 4096:
            self._memo.clear()
        self._memo[action_l] = found
        return found


# ------------------------------------------------------------------------ statements


def _principal_grant(st: Statement, req: _Req) -> str | None:
    """How the statement's Principal/NotPrincipal names the caller, or None."""
    if st.principal is not None:
        return st.principal.match(req.caller)
    if st.not_principal is not None:
        # AWS: with a permissions boundary attached, Deny + NotPrincipal always applies.
        if not st.is_allow and req.has_boundary:
            return ANY
        return None if st.not_principal.exempts(req.caller) else ANY
    return ANY


_EMPTY: dict[str, Any] = {}
_DENY = -1
_GRANT_RANK = {ANY: 3, EXACT: 3, ROLE: 2, ACCOUNT: 1}


def _scan(index: _Index, req: _Req) -> int:
    """One policy type's verdict: ``_DENY`` if a Deny applies, else the strongest grant.

    Grants rank 3 (the caller itself, or anyone), 2 (the caller's role), 1 (the caller's
    account), 0 (nothing allows). Identity-type statements have no Principal and rank 3.
    A Deny whose condition cannot be evaluated applies; such an Allow does not. Scanning
    stops at the first Deny, which decides the request, and skips Allow statements once
    the strongest grant is found.
    """
    best = 0
    resource = req.resource
    for st in index.candidates(req.action_l):
        allow = st.is_allow
        if allow and best == 3:
            continue
        if st.resource_simple:
            test = st._resource_test
            if not (test if test is not None else st.resource_test)(resource):
                continue
        elif not st.resource_matches(resource, req.ctx):
            continue
        rank = 3
        if st.principal is not None or st.not_principal is not None:
            grant = _principal_grant(st, req)
            if grant is None:
                continue
            rank = _GRANT_RANK[grant]
            if rank == 3 and grant == EXACT and req.caller.kind == "role":
                rank = 2  # the role's own ARN limits like a grant to the role
        if st.conditions:
            ctx = req.ctx
            unknown = False
            failed = False
            for cond in st.conditions:
                r = cond.test(ctx)
                if r is False:
                    failed = True
                    break
                if r is None:
                    unknown = True
            if failed or (unknown and allow):
                continue
        if not allow:
            return _DENY
        best = max(best, rank)
    return best


# --------------------------------------------------------------------- policy sets


def _as_policy(item: PolicyInput, kind: str) -> Policy:
    if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str):
        name, doc = item
        return parse(doc, kind, name=name, max_size=None, strict=False)
    return parse(item, kind, max_size=None, strict=False)


def _levels(levels: Iterable[Any], kind: str) -> list[tuple[str | None, _Index]]:
    out: list[tuple[str | None, _Index]] = []
    for level in levels:
        target: str | None = None
        docs: Any = level
        if isinstance(level, Mapping) and "policies" in level:
            target = level.get("target")
            docs = level["policies"]
        elif isinstance(level, tuple) and len(level) == 2 and isinstance(level[0], str) and (
            isinstance(level[1], (list, tuple))
        ):
            target, docs = level
        if isinstance(docs, (str, Mapping, Policy)):
            docs = [docs]
        out.append((target, _index([_as_policy(d, kind) for d in docs])))
    return out


class PolicySet:
    """A principal's policies compiled once, evaluated for many requests.

    ``evaluate(request)`` decides without caching; ``evaluate(request, memo=True)``
    answers a repeated request (same action, resource, principal, resource account and
    context) from a small LRU cache of decisions. The set is immutable: build a new one
    when any policy changes.
    """

    def __init__(
        self,
        identity_policies: Iterable[PolicyInput] = (),
        resource_policy: PolicyInput | None = None,
        permissions_boundary: PolicyInput | None = None,
        session_policies: Iterable[PolicyInput] = (),
        service_control_policies: Iterable[Any] = (),
        resource_control_policies: Iterable[Any] = (),
        endpoint_policies: Iterable[PolicyInput] = (),
        *,
        service_rules: bool = True,
        memo_size: int = 4096,
    ) -> None:
        self.identity = _index([_as_policy(p, "identity") for p in identity_policies])
        self.resource = (
            _index([_as_policy(resource_policy, "resource")])
            if resource_policy is not None else None
        )
        self.boundary = (
            _index([_as_policy(permissions_boundary, "boundary")])
            if permissions_boundary is not None else None
        )
        sessions = [_as_policy(p, "session") for p in session_policies]
        self.session = _index(sessions) if sessions else None
        self.scps = _levels(service_control_policies, "scp")
        self.rcps = _levels(resource_control_policies, "rcp")
        self.endpoints = [_index([_as_policy(p, "endpoint")]) for p in endpoint_policies]
        self.service_rules = service_rules
        self._memo: OrderedDict[Any, Decision] = OrderedDict()
        self._memo_size = memo_size

    def evaluate(self, request: Request, *, memo: bool = False) -> Decision:
        """Decide ``request``; with ``memo``, reuse the decision of an identical request."""
        if not memo:
            return _decide(self, request)
        key = _memo_key(request)
        cached = self._memo.get(key)
        if cached is not None:
            return cached
        decision = _decide(self, request)
        self._memo[key] = decision
        if len(self._memo) > self._memo_size:
            with contextlib.suppress(KeyError):
                self._memo.popitem(last=False)
        return decision


def _freeze(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, (set, frozenset)):
        return frozenset(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple((k, _freeze(v)) for k, v in value.items())
    return value


def _memo_key(request: Request) -> Any:
    items = tuple(request.context.items())
    try:
        hash(items)
    except TypeError:
        items = tuple((k, _freeze(v)) for k, v in items)
    return (request.action, request.resource, request.principal, request.resource_account,
            items)


def evaluate(
    request: Request,
    identity_policies: Iterable[PolicyInput] = (),
    resource_policy: PolicyInput | None = None,
    permissions_boundary: PolicyInput | None = None,
    session_policies: Iterable[PolicyInput] = (),
    service_control_policies: Iterable[Any] = (),
    resource_control_policies: Iterable[Any] = (),
    endpoint_policies: Iterable[PolicyInput] = (),
    *,
    service_rules: bool = True,
) -> Decision:
    """Decide one request against the given policies (see the module docstring).

    Policies may be JSON text, mappings, parsed :class:`Policy` objects, or
    ``(name, document)`` pairs naming them for the trace. SCP and RCP arguments are one
    entry per organization level, root first: a list of documents, a
    ``(target, [documents])`` pair, or ``{"target": ..., "policies": [...]}``.

    Calls with the same parsed policies (the same :class:`Policy` objects, or the same
    texts) reuse the :class:`PolicySet` compiled for them, from a small bounded cache, so
    a caller that keeps its parsed policies pays for the statement index once. Calls with
    mappings, SCPs or RCPs compile afresh.
    """
    identity = tuple(identity_policies)
    sessions = tuple(session_policies)
    endpoints = tuple(endpoint_policies)
    scps = tuple(service_control_policies)
    rcps = tuple(resource_control_policies)
    key = _compiled_key(identity, resource_policy, permissions_boundary, sessions, endpoints,
                        service_rules) if not scps and not rcps else None
    pset = _COMPILED.get(key) if key is not None else None
    if pset is None:
        pset = PolicySet(
            identity, resource_policy, permissions_boundary, sessions, scps, rcps, endpoints,
            service_rules=service_rules,
        )
        if key is not None:
            _COMPILED.put(key, pset)
    return _decide(pset, request)


class _CompiledSets:
    """A bounded LRU of :class:`PolicySet` by the policies it was built from.

    Keys hold the :class:`Policy` objects (or texts) themselves, so an entry can never
    answer for a different policy that happens to reuse a freed object's address.
    """

    def __init__(self, size: int) -> None:
        self._sets: OrderedDict[tuple[Any, ...], PolicySet] = OrderedDict()
        self._size = size

    def get(self, key: tuple[Any, ...]) -> PolicySet | None:
        pset = self._sets.get(key)
        if pset is not None:
            try:
                self._sets.move_to_end(key)
            except KeyError:  # evicted by another thread just now
                pass
        return pset

    def put(self, key: tuple[Any, ...], pset: PolicySet) -> None:
        self._sets[key] = pset
        while len(self._sets) > self._size:
            with contextlib.suppress(KeyError):
                self._sets.popitem(last=False)


_COMPILED = _CompiledSets(256)


def _compiled_key(
    identity: tuple[PolicyInput, ...], resource: PolicyInput | None, boundary: PolicyInput | None,
    sessions: tuple[PolicyInput, ...], endpoints: tuple[PolicyInput, ...], service_rules: bool,
) -> tuple[Any, ...] | None:
    """The cache key for these policies, or None when one of them is not immutable.

    One flat tuple (the group lengths first), since hashing it is part of every call.
    """
    key = (len(identity), len(sessions), service_rules, resource, boundary,
           *identity, *sessions, *endpoints)
    if _KEY_TYPES.issuperset(map(type, key)):
        return key
    if all(_named_input(item) for item in key):
        return key
    return None


_KEY_TYPES = frozenset({int, bool, str, Policy, type(None)})


def _named_input(item: Any) -> bool:
    if type(item) in _KEY_TYPES:
        return True
    return (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)
            and isinstance(item[1], (str, Policy)))


# ------------------------------------------------------------------------ deciding


def _resource_account(request: Request, caller: Caller) -> str | None:
    if request.resource_account:
        return request.resource_account
    return _arn_account(request.resource) or caller.account


@lru_cache(maxsize=8192)
def _arn_account(resource: str) -> str | None:
    arn = try_parse_arn(resource)
    if arn is not None and len(arn.account) == 12 and arn.account.isdigit():
        return arn.account
    return None


_NONE: list[tuple[str | None, int]] = []


def _decide(pset: PolicySet, request: Request) -> Decision:
    effect = _core(pset, _Req(request, pset.boundary is not None), None)
    return Decision(effect, request, tracer=lambda: _trace(pset, request))


def _core(pset: PolicySet, req: _Req, notes: list[str] | None) -> Effect:
    """The evaluation; with ``notes`` it also records the reason sentence first."""
    action_l = req.action_l
    rules = pset.service_rules
    if rules:
        why = service_rules.always_allowed(action_l)
        if why is not None:
            if notes is not None:
                notes.append(f"allowed: {why}")
            return ALLOW
    caller = req.caller
    principal_kind = caller.kind
    has_identity = caller.account is not None and principal_kind not in ("service", "anonymous")

    # Explicit denies first: every applicable policy type is scanned, and any Deny wins.
    scp_verdicts = [(t, _scan(ix, req)) for t, ix in pset.scps] if has_identity else _NONE
    rcp_verdicts = [(t, _scan(ix, req)) for t, ix in pset.rcps] if pset.rcps else _NONE
    endpoint_verdicts = [_scan(ix, req) for ix in pset.endpoints] if pset.endpoints else []
    resource_v = _scan(pset.resource, req) if pset.resource is not None else 0
    identity_v = _scan(pset.identity, req) if has_identity else 0
    boundary_v = _scan(pset.boundary, req) if pset.boundary is not None and has_identity else 3
    session_v = _scan(pset.session, req) if pset.session is not None and has_identity else 3
    if (
        resource_v == _DENY or identity_v == _DENY or boundary_v == _DENY
        or session_v == _DENY or _DENY in endpoint_verdicts
        or any(v == _DENY for _t, v in scp_verdicts)
        or any(v == _DENY for _t, v in rcp_verdicts)
    ):
        return EXPLICIT_DENY

    for level, (target, v) in enumerate(scp_verdicts, 1):
        if not v:
            if notes is not None:
                where = f"`{target}`" if target else f"level {level}"
                notes.append(
                    f"implicitly denied: the service control policies at {where} do not allow it"
                )
            return IMPLICIT_DENY
    for level, (target, v) in enumerate(rcp_verdicts, 1):
        if not v:
            if notes is not None:
                where = f"`{target}`" if target else f"level {level}"
                notes.append(
                    f"implicitly denied: the resource control policies at {where} do not allow it"
                )
            return IMPLICIT_DENY
    for v in endpoint_verdicts:
        if not v:
            if notes is not None:
                notes.append("implicitly denied: the VPC endpoint policy does not allow it")
            return IMPLICIT_DENY

    if rules:
        why = service_rules.never_allowed(action_l, req.resource)
        if why is not None:
            if notes is not None:
                notes.append(f"implicitly denied: {why}")
            return IMPLICIT_DENY

    grant = resource_v

    if not has_identity:
        if grant:
            return ALLOW
        if notes is not None:
            who = "anonymous callers" if principal_kind == "anonymous" else "this principal"
            notes.append(
                f"implicitly denied: {who} can only be allowed by a resource-based policy, "
                "and none allows it"
            )
        return IMPLICIT_DENY

    identity_ok = identity_v > 0 or principal_kind == "root"
    boundary_ok = boundary_v > 0
    session_ok = session_v > 0
    identity_side = identity_ok and boundary_ok and session_ok
    same_account = caller.account == _resource_account(req.request, caller)

    if same_account:
        needs_rp = service_rules.requires_resource_policy(action_l, req.resource) if rules else None
        if grant == 3:
            return ALLOW
        if grant == 2 and boundary_ok and session_ok:
            return ALLOW
        if identity_side and (needs_rp is None or grant == 1):
            return ALLOW
        if notes is not None:
            notes.append(_same_account_reason(identity_ok, boundary_ok, session_ok, grant,
                                              needs_rp, pset))
        return IMPLICIT_DENY

    if grant and identity_side:
        return ALLOW
    if notes is not None:
        if not grant:
            side = "the resource-based policy does not" if pset.resource else (
                "there is no resource-based policy")
        else:
            side = _identity_gap(identity_ok, boundary_ok, session_ok)
        notes.append(
            "implicitly denied: cross-account access needs both the identity side and the "
            f"resource-based policy to allow it; {side}"
        )
    return IMPLICIT_DENY


def _identity_gap(identity_ok: bool, boundary_ok: bool, session_ok: bool) -> str:
    if not identity_ok:
        return "no identity policy allows it"
    if not boundary_ok:
        return "the identity policies allow it but the permissions boundary does not"
    if not session_ok:
        return "the identity policies allow it but the session policy does not"
    return "the identity side allows it"


def _same_account_reason(identity_ok: bool, boundary_ok: bool, session_ok: bool, grant: int,
                         needs_rp: str | None, pset: PolicySet) -> str:
    if grant == 2:
        limit = "permissions boundary" if not boundary_ok else "session policy"
        return (
            "implicitly denied: the resource-based policy allows the role, but the "
            f"{limit} does not allow it"
        )
    if needs_rp is not None and identity_ok and boundary_ok and session_ok:
        return f"implicitly denied: {needs_rp}, and it does not allow this principal"
    if not identity_ok and not pset.identity.statements and pset.resource is None:
        return "implicitly denied: no policy allows it"
    return "implicitly denied: " + _identity_gap(identity_ok, boundary_ok, session_ok)


# -------------------------------------------------------------------------- tracing


def _explain_statement(st: Statement, req: _Req, ptype: str, level: int | None,
                       missing: dict[str, None]) -> StatementResult:
    """Evaluate one statement verbosely, saying why it does or does not apply."""
    name = st.policy.label if st.policy is not None else ptype
    base: dict[str, Any] = {
        "policy_name": name, "policy_type": ptype, "index": st.index, "sid": st.sid,
        "effect": st.effect, "start": st.start, "end": st.end, "level": level,
    }
    if not st.action_matches(req.action_l):
        element = "Action" if st.actions is not None else "NotAction"
        verb = "is not matched by" if st.actions is not None else "is excluded by"
        return StatementResult(outcome="not-matched",
                               reason=f"action `{req.request.action}` {verb} {element}", **base)
    ctx = req.ctx
    if not st.resource_matches(req.resource, ctx):
        element = "Resource" if st.not_resources is None else "NotResource"
        return StatementResult(
            outcome="not-matched",
            reason=f"resource `{req.resource}` does not satisfy {element}", **base)
    grant = _principal_grant(st, req)
    if grant is None:
        element = "Principal" if st.principal is not None else "NotPrincipal"
        return StatementResult(
            outcome="not-matched",
            reason=f"principal `{req.request.principal}` does not satisfy {element}", **base)
    unknown: list[str] = []
    held: list[str] = []
    for cond in st.conditions:
        if cond.key_l not in ctx:
            missing.setdefault(cond.key, None)
        for k in cond.variable_keys:
            if k.lower() not in ctx:
                missing.setdefault(k, None)
        r = cond.test(ctx)
        if r is False:
            return StatementResult(outcome="not-matched",
                                   reason=f"condition failed: {cond.describe(ctx)}", **base)
        if r is None:
            unknown.append(cond.describe(ctx))
        else:
            held.append(cond.describe(ctx))
    if unknown:
        return StatementResult(outcome="unknown",
                               reason="condition could not be evaluated: " + "; ".join(unknown),
                               grant=grant, **base)
    reason = "; ".join(held) if held else "action and resource match and it has no condition"
    return StatementResult(outcome="matched", reason=reason, grant=grant, **base)


def _trace(pset: PolicySet, request: Request) -> Trace:
    req = _Req(request, pset.boundary is not None)
    notes: list[str] = []
    effect = _core(pset, req, notes)
    missing: dict[str, None] = {}
    caller = req.caller
    has_identity = caller.account is not None and caller.kind not in ("service", "anonymous")

    groups: list[tuple[str, int | None, _Index | None, bool]] = []
    for n, (_t, scp) in enumerate(pset.scps, 1):
        groups.append(("scp", n, scp, has_identity))
    for n, (_t, rcp) in enumerate(pset.rcps, 1):
        groups.append(("rcp", n, rcp, True))
    for endpoint in pset.endpoints:
        groups.append(("endpoint", None, endpoint, True))
    groups.append(("resource", None, pset.resource, True))
    groups.append(("identity", None, pset.identity, has_identity))
    groups.append(("boundary", None, pset.boundary, has_identity))
    groups.append(("session", None, pset.session, has_identity))

    results: list[StatementResult] = []
    per_type: dict[str, list[tuple[int | None, list[StatementResult], bool]]] = {}
    for ptype, level, ix, applicable in groups:
        if ix is None:
            continue
        rs = [_explain_statement(st, req, ptype, level, missing) for st in ix.statements]
        results.extend(rs)
        per_type.setdefault(ptype, []).append((level, rs, applicable))

    summaries: dict[str, PolicyTypeSummary] = {}
    for ptype in POLICY_TYPES:
        entries = per_type.get(ptype)
        if not entries or not any(app for _l, _rs, app in entries):
            summaries[ptype] = PolicyTypeSummary(ptype, "NotApplicable")
            continue
        applying = tuple(r for _l, rs, _a in entries for r in rs if r.applies)
        if any(r.effect == "Deny" for r in applying):
            outcome = EXPLICIT_DENY
        elif all(any(r.applies and r.effect == "Allow" for r in rs) for _l, rs, _a in entries):
            outcome = ALLOW
        else:
            outcome = IMPLICIT_DENY
        summaries[ptype] = PolicyTypeSummary(ptype, outcome, applying)

    service_rule: str | None = None
    if effect == EXPLICIT_DENY:
        decisive = tuple(r for r in results if r.applies and r.effect == "Deny")
        first = decisive[0]
        where = TYPE_NAMES[first.policy_type]
        reason = (f"denied because {first.describe()} ({where}) matched: {first.reason}")
    else:
        reason = notes[0] if notes else ""
        if effect == ALLOW:
            decisive = tuple(r for r in results if r.outcome == "matched" and r.effect == "Allow")
            if not reason:
                kinds = sorted({TYPE_NAMES[r.policy_type] for r in decisive})
                reason = "allowed by the " + ", ".join(kinds) if kinds else "allowed"
            if reason.startswith("allowed: "):
                service_rule = reason[len("allowed: "):]
            if caller.kind == "root" and not decisive:
                reason = "allowed: the root user needs no identity policy in its own account"
        else:
            decisive = ()
            if reason.startswith("implicitly denied: ") and any(
                s in reason for s in ("cannot be modified",)
            ):
                service_rule = reason[len("implicitly denied: "):]
    return Trace(effect=effect, reason=reason, decisive=decisive, summaries=summaries,
                 statements=tuple(results), missing_context_keys=tuple(missing),
                 service_rule=service_rule)
