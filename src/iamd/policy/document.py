"""Policy documents: JSON text -> validated, compiled :class:`Policy`.

``parse`` decodes the JSON, checks the size quota (whitespace is not counted, as IAM
counts it), validates with AWS's messages (see :mod:`.validation`), records where each
statement starts and ends in the text, and compiles every matcher once. The result for
a given ``(text, kind, name, max_size)`` is cached, so parsing the same document twice
returns the same :class:`Policy` object.
"""

from __future__ import annotations

import bisect
import contextlib
import json
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .conditions import Condition, compile_condition, parse_operator
from .errors import MalformedPolicyDocument, PolicySizeExceeded
from .matching import Glob, compile_globs, glob_tokens
from .principals import PrincipalSpec
from .validation import PRINCIPAL_REQUIRED, SYNTAX, RawDocument, RawStatement, validate
from .variables import Template, parse_template, resolve_glob, template_keys

# Default size quotas (characters, whitespace excluded) per policy type: managed and
# boundary policies 6,144; role trust policies 2,048; session policies 2,048; SCPs and
# RCPs 5,120; VPC endpoint policies 20,480. Resource-based policies depend on the
# service, so the caller passes ``max_size`` for them (and for inline policies: users
# 2,048, groups 5,120, roles 10,240).
SIZE_LIMITS: dict[str, int | None] = {
    "identity": 6144,
    "boundary": 6144,
    "trust": 2048,
    "session": 2048,
    "scp": 5120,
    "rcp": 5120,
    "endpoint": 20480,
    "resource": None,
}

_DEFAULT: Any = object()
_WHITESPACE = re.compile(r"\s+")


@dataclass(frozen=True, slots=True)
class Position:
    """A place in the policy text: 1-based line and 1-based column."""

    line: int
    column: int


class Statement:
    """One compiled statement. ``index`` is its 0-based place in the ``Statement`` list."""

    __slots__ = (
        "_action_globs",
        "_action_test",
        "_resource_globs",
        "_resource_parts",
        "_resource_test",
        "actions",
        "conditions",
        "effect",
        "index",
        "is_allow",
        "not_actions",
        "not_principal",
        "not_resources",
        "policy",
        "principal",
        "resource_dynamic",
        "resource_simple",
        "resources",
        "sid",
    )

    def __init__(self, raw: RawStatement, substitute: bool, kind: str = "identity") -> None:
        self.index = raw.index
        self.sid = raw.sid
        self.effect = raw.effect
        self.is_allow = raw.effect == "Allow"
        self.actions = tuple(raw.actions) if raw.actions is not None else None
        self.not_actions = tuple(raw.not_actions) if raw.not_actions is not None else None
        self.resources = tuple(raw.resources) if raw.resources is not None else None
        self.not_resources = (
            tuple(raw.not_resources) if raw.not_resources is not None else None
        )
        self.principal = PrincipalSpec(raw.principal) if raw.principal is not None else None
        self.not_principal = (
            PrincipalSpec(raw.not_principal) if raw.not_principal is not None else None
        )
        if self.principal is None and self.not_principal is None and kind in PRINCIPAL_REQUIRED:
            # A resource-based statement that names no principal applies to nobody.
            self.principal = PrincipalSpec({})
        conditions: list[Condition] = []
        for op_text, key, values in raw.conditions:
            op = parse_operator(op_text)
            assert op is not None  # validation dropped unknown, empty operators
            conditions.append(compile_condition(op, key, values, substitute))
        self.conditions = tuple(conditions)
        self.policy: Policy | None = None
        patterns = self.actions if self.actions is not None else self.not_actions or ()
        self._action_globs = tuple(glob_tokens(a.lower()) for a in patterns)
        self._action_test: Callable[[str], bool] | None = None
        self._compile_resources(substitute)

    def _compile_resources(self, substitute: bool) -> None:
        patterns = self.resources if self.resources is not None else self.not_resources
        self.resource_dynamic = False
        self._resource_parts: list[Glob | Template] = []
        self._resource_test: Callable[[str], bool] | None = None
        self.resource_simple = True
        if patterns is None:  # trust policies: the resource is the role itself
            self._resource_globs: tuple[Glob, ...] = (("*",),)
            return
        static: list[Glob] = []
        for p in patterns:
            template = parse_template(p) if substitute else None
            if template is None:
                static.append(glob_tokens(p))
            else:
                self.resource_dynamic = True
                self._resource_parts.append(template)
        self._resource_globs = tuple(static)
        self.resource_simple = not self.resource_dynamic and self.not_resources is None

    # Matchers are compiled on first use: a regular expression costs far more to build
    # than to run, and many statements of a large policy are never consulted.
    @property
    def action_test(self) -> Callable[[str], bool]:
        test = self._action_test
        if test is None:
            test = self._action_test = compile_globs(self._action_globs)
        return test

    @property
    def resource_test(self) -> Callable[[str], bool]:
        test = self._resource_test
        if test is None:
            test = self._resource_test = compile_globs(self._resource_globs, arn=True)
        return test

    def compile(self) -> None:
        """Build every matcher now instead of on first use."""
        self.action_test  # noqa: B018
        self.resource_test  # noqa: B018
        for cond in self.conditions:
            cond.compile()

    @property
    def start(self) -> Position | None:
        """Where the statement's ``{`` is in the policy text (``None`` for a mapping)."""
        span = self.policy.span(self.index) if self.policy is not None else None
        return span[0] if span else None

    @property
    def end(self) -> Position | None:
        """Where the statement's closing ``}`` is in the policy text."""
        span = self.policy.span(self.index) if self.policy is not None else None
        return span[1] if span else None

    @property
    def condition_keys(self) -> list[str]:
        keys: list[str] = []
        for c in self.conditions:
            keys.append(c.key)
            keys.extend(c.variable_keys)
        for part in self._resource_parts:
            keys.extend(template_keys(part))
        return keys

    def resource_matches(self, resource: str, ctx: Mapping[str, Any]) -> bool:
        """``Resource`` (or ``NotResource``) against the request's resource.

        A ``Resource`` value whose variable cannot be resolved matches nothing; a
        ``NotResource`` list with such a value makes the statement not apply at all.
        """
        test = self._resource_test
        hit = bool((test if test is not None else self.resource_test)(resource))
        if not hit and self.resource_dynamic:
            for template in self._resource_parts:
                glob = resolve_glob(template, ctx)
                if glob is None:
                    if self.not_resources is not None:
                        return False
                    continue
                if compile_globs((glob,), arn=True)(resource):
                    hit = True
                    break
        elif hit and self.resource_dynamic and self.not_resources is not None:
            return False
        return hit if self.not_resources is None else not hit

    def action_matches(self, action_l: str) -> bool:
        if self.actions is None and self.not_actions is None:
            return False
        test = self._action_test
        hit = bool((test if test is not None else self.action_test)(action_l))
        return hit if self.not_actions is None else not hit


class Policy:
    """A parsed, validated and compiled policy document.

    ``kind`` is the policy type it was validated as; ``name`` (optional) is how traces
    name it (a policy ARN, ``user/alice/inline-name`` ...); ``statements`` keep their
    index, ``Sid`` and start/end :class:`Position` in the original text (``None`` when
    parsed from a mapping).
    """

    __slots__ = ("__weakref__", "_spans", "id", "kind", "name", "size", "statements", "text",
                 "version")

    def __init__(self, kind: str, name: str | None, version: str | None, pid: str | None,
                 statements: tuple[Statement, ...], text: str | None, size: int) -> None:
        self.kind = kind
        self.name = name
        self.version = version
        self.id = pid
        self.statements = statements
        self.text = text  # the original text; None when parsed from a mapping
        self.size = size
        self._spans: Any = False  # not scanned yet

    def span(self, index: int) -> tuple[Position, Position] | None:
        """Start and end of statement ``index`` in the text, found on first use.

        Only the simulator and traces need positions, so parsing does not pay for the scan.
        """
        if self._spans is False:
            spans = statement_spans(self.text) if self.text is not None else None
            if spans is not None and len(spans) != len(self.statements):
                spans = None
            self._spans = spans
        spans = self._spans
        return spans[index] if spans else None

    def compile(self) -> Policy:
        """Build every matcher of every statement now (they are otherwise built on first use)."""
        for st in self.statements:
            st.compile()
        return self

    @property
    def label(self) -> str:
        """The name used in traces: the given name, else the document ``Id``, else the kind."""
        return self.name or self.id or f"{self.kind} policy"

    def with_name(self, name: str | None) -> Policy:
        """The same compiled statements under another name."""
        if name == self.name:
            return self
        clone = Policy(self.kind, name, self.version, self.id, (), self.text, self.size)
        clone._spans = self._spans
        clone.statements = tuple(_rebind(s, clone) for s in self.statements)
        return clone

    def __repr__(self) -> str:
        return f"Policy(kind={self.kind!r}, name={self.name!r}, statements={len(self.statements)})"


def _rebind(st: Statement, policy: Policy) -> Statement:
    clone = object.__new__(Statement)
    for slot in Statement.__slots__:
        object.__setattr__(clone, slot, getattr(st, slot))
    clone.policy = policy
    return clone


def policy_size(text: str) -> int:
    """The size IAM counts: characters other than whitespace."""
    return len(_WHITESPACE.sub("", text))


_CACHE: OrderedDict[tuple[Any, ...], Policy] = OrderedDict()
_CACHE_SIZE = 4096


def parse(document: str | bytes | Mapping[str, Any] | Policy, kind: str = "identity", *,
          name: str | None = None, max_size: int | None = _DEFAULT,
          strict: bool = True) -> Policy:
    """Parse and validate a policy document of type ``kind``; raise :class:`MalformedPolicyDocument`.

    ``kind`` is one of ``identity``, ``resource``, ``trust`` (a role trust policy),
    ``boundary``, ``session``, ``scp``, ``rcp`` or ``endpoint``. ``max_size`` overrides
    the policy type's default quota (``None``: no quota). ``strict=False`` accepts
    documents stored before (see :func:`.validation.validate`). Parsing the same text
    again returns the cached :class:`Policy`.
    """
    if isinstance(document, Policy):
        return document.with_name(name) if name is not None else document
    if max_size is _DEFAULT:
        max_size = SIZE_LIMITS.get(kind)
    if isinstance(document, bytes):
        try:
            document = document.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedPolicyDocument(SYNTAX) from None
    if isinstance(document, str):
        key: tuple[Any, ...] = (document, kind, name, max_size, strict)
        hit = _CACHE.get(key)
        if hit is not None:
            # Another thread may have evicted it meanwhile; the hit is still good.
            with contextlib.suppress(KeyError):
                _CACHE.move_to_end(key)
            return hit
        policy = _parse_text(document, kind, name, max_size, strict)
        _CACHE[key] = policy
        if len(_CACHE) > _CACHE_SIZE:
            with contextlib.suppress(KeyError):
                _CACHE.popitem(last=False)
        return policy
    if not isinstance(document, Mapping):
        raise MalformedPolicyDocument(SYNTAX)
    try:
        text = json.dumps(document, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        raise MalformedPolicyDocument(SYNTAX) from None
    policy = _build(dict(document), kind, name, max_size, text, strict)
    policy.text = None
    return policy


def _reject_constant(value: str) -> Any:
    raise ValueError(value)


def _parse_text(text: str, kind: str, name: str | None, max_size: int | None,
                strict: bool) -> Policy:
    try:
        decoded = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise MalformedPolicyDocument(SYNTAX) from None
    return _build(decoded, kind, name, max_size, text, strict)


def _build(decoded: Any, kind: str, name: str | None, max_size: int | None, text: str,
           strict: bool) -> Policy:
    size = policy_size(text)
    if max_size is not None and size > max_size:
        raise PolicySizeExceeded(f"Cannot exceed quota for PolicySize: {max_size}")
    raw: RawDocument = validate(decoded, kind, strict)
    substitute = raw.version == "2012-10-17"
    statements = tuple(Statement(st, substitute, kind) for st in raw.statements)
    policy = Policy(kind, name, raw.version, raw.id, statements, text, size)
    for st in statements:
        st.policy = policy
    return policy


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:]')
_NEWLINE = re.compile("\n")


def statement_objects(text: str) -> list[dict[str, Any]]:
    """The statement objects of a policy's JSON text, read without validating it: one
    ``Statement`` object or a list of them; [] for text that is not a JSON policy. For
    readers of stored documents that only look (summaries, principals to render)."""
    try:
        decoded = json.loads(text)
    except ValueError:
        return []
    statements = decoded.get("Statement") if isinstance(decoded, dict) else None
    if isinstance(statements, dict):
        statements = [statements]
    return [st for st in statements if isinstance(st, dict)] if isinstance(statements, list) else []


def statement_spans(text: str) -> list[tuple[Position, Position]] | None:
    """Where each statement object starts and ends (its braces) in valid JSON ``text``.

    A token scan over strings and brackets is enough because the text already decoded;
    like ``json.loads``, the last ``Statement`` key of the top-level object wins.
    """
    newlines = [m.start() for m in _NEWLINE.finditer(text)]

    def pos(offset: int) -> Position:
        line = bisect.bisect_left(newlines, offset)
        start = newlines[line - 1] + 1 if line else 0
        return Position(line + 1, offset - start + 1)

    stack: list[str] = []
    last_string: str | None = None
    mode: str | None = None  # None | "await" | "single" | "array"
    result: list[tuple[int, int]] | None = None
    open_at = 0
    for m in _TOKEN.finditer(text):
        tok = m.group()
        c = tok[0]
        if c == '"':
            last_string = tok
            continue
        if c == ":":
            if len(stack) == 1 and last_string is not None:
                if json.loads(last_string) == "Statement":
                    mode = "await"
                    result = []
                else:
                    mode = None
            last_string = None
            continue
        last_string = None
        if c == "{" or c == "[":
            if mode == "await":
                mode = "single" if c == "{" else "array"
                open_at = m.start()
            elif mode == "array" and c == "{" and len(stack) == 2:
                open_at = m.start()
            stack.append(c)
            continue
        stack.pop()
        if mode == "single" and len(stack) == 1:
            assert result is not None
            result.append((open_at, m.start()))
            mode = None
        elif mode == "array":
            assert result is not None
            if c == "}" and len(stack) == 2:
                result.append((open_at, m.start()))
            elif c == "]" and len(stack) == 1:
                mode = None
    if result is None:
        return None
    return [(pos(a), pos(b)) for a, b in result]
