"""Condition operators of the AWS policy language, one module per family.

``compile_condition`` turns one ``"Operator": {"key": values}`` entry into a
:class:`Condition` whose ``test(context)`` answers ``True``, ``False`` or ``None``
(the request value could not be read as the operator's type; the statement evaluator
treats that fail-closed: an Allow does not apply, a Deny does).

Semantics implemented (IAM User Guide, "Condition operators" and "Single-valued vs.
multivalued context keys"):

* several values for one key are ORed; negated operators (``StringNotEquals`` ...) are
  true when no value matches;
* ``...IfExists``: true when the key is absent, otherwise the base operator;
* an absent key makes positive operators false and negated operators true;
* ``ForAnyValue:``: true when at least one request value satisfies the operator; false
  for an absent key or an empty set;
* ``ForAllValues:``: true when every request value satisfies the operator; true for an
  absent key or an empty set;
* a multivalued request value under a plain operator matches when any of its values
  matches (negated: when none does);
* policy variables in values are substituted (Version 2012-10-17 only); a value whose
  variable cannot be resolved makes the condition false.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from ..matching import Glob, glob_text, glob_tokens
from ..variables import Template, parse_template, resolve_glob, resolve_text, template_keys
from . import arn, binary, boolean, date, ipaddress, null, numeric, string
from ._base import Matcher, Operator

OPERATORS: dict[str, Operator] = {
    **string.OPERATORS,
    **numeric.OPERATORS,
    **date.OPERATORS,
    **boolean.OPERATORS,
    **binary.OPERATORS,
    **ipaddress.OPERATORS,
    **arn.OPERATORS,
    **null.OPERATORS,
}

QUALIFIERS = ("ForAnyValue:", "ForAllValues:")

__all__ = ["OPERATORS", "Condition", "Operator", "ParsedOperator", "compile_condition",
           "parse_operator"]


@dataclass(frozen=True, slots=True)
class ParsedOperator:
    """An operator as written: base operator plus ``ForAnyValue:``/``ForAllValues:``/``IfExists``."""

    text: str
    base: Operator
    qualifier: str | None  # "ForAnyValue" | "ForAllValues" | None
    if_exists: bool


@lru_cache(maxsize=512)
def parse_operator(text: str) -> ParsedOperator | None:
    """Parse an operator name (case-sensitive, as AWS reads it); ``None`` if unknown."""
    name = text
    qualifier = None
    for q in QUALIFIERS:
        if name.startswith(q):
            qualifier = q[:-1]
            name = name[len(q) :]
            break
    if_exists = False
    if name.endswith("IfExists") and name != "IfExists":
        if_exists = True
        name = name[: -len("IfExists")]
    base = OPERATORS.get(name)
    if base is None:
        return None
    if base.name == "Null" and if_exists:
        return None
    return ParsedOperator(text, base, qualifier, if_exists)


def value_text(value: Any) -> str:
    """A JSON condition value as the string AWS reads (``true``, ``10``, ``1.5``)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


_MISSING: Any = object()
_EMPTY_CTX: dict[str, Any] = {}


class Condition:
    """One compiled ``operator / key / values`` test; ``test(ctx)`` reads a lower-cased context."""

    __slots__ = ("key", "key_l", "operator", "test", "values", "variable_keys")

    def __init__(self, op: ParsedOperator, key: str, values: tuple[str, ...], substitute: bool):
        self.operator = op
        self.key = key
        self.key_l = key.lower()
        self.values = values
        templates: list[Template | None] = [
            parse_template(v) if substitute else None for v in values
        ]
        self.variable_keys: list[str] = [k for t in templates if t for k in template_keys(t)]
        self.test = _build_test(op, self.key_l, values, templates)

    def compile(self) -> None:
        """Build the value matcher now instead of on first use."""
        warm = getattr(self.test, "warm", None)
        if warm is not None:
            warm()

    def describe(self, ctx: Mapping[str, Any]) -> str:
        """One sentence on how this condition read the request (for traces)."""
        shown = ", ".join(f"`{v}`" for v in self.values)
        if self.key_l not in ctx:
            state = f"`{self.key}` is absent from the request"
        else:
            state = f"`{self.key}` is `{_show(ctx[self.key_l])}`"
        verdict = self.test(ctx)
        word = {True: "holds", False: "does not hold", None: "cannot be evaluated"}[verdict]
        return f"{self.operator.text} {shown} {word}: {state}"


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return value_text(value) if isinstance(value, (str, bool, int, float)) else repr(value)


def compile_condition(op: ParsedOperator, key: str, values: tuple[str, ...],
                      substitute: bool) -> Condition:
    return Condition(op, key, values, substitute)


def _build_test(op: ParsedOperator, key_l: str, values: tuple[str, ...],
                templates: list[Template | None]) -> Any:
    base = op.base
    negated = base.negated
    qualifier = op.qualifier
    if_exists = op.if_exists
    dynamic = any(t is not None for t in templates)

    if base.glob:
        static: tuple[Any, ...] = tuple(glob_tokens(v) for v in values)
    else:
        static = values

    fixed: Matcher | None = None

    def matcher_for(ctx: Mapping[str, Any]) -> Matcher | None:
        nonlocal fixed
        if not dynamic:
            # Built on first use: a Like pattern compiles to a regular expression.
            if fixed is None:
                fixed = base.make(static)
            return fixed
        resolved: list[Any] = []
        for v, t in zip(values, templates, strict=True):
            if t is None:
                resolved.append(glob_tokens(v) if base.glob else v)
                continue
            r: Glob | str | None = resolve_glob(t, ctx) if base.glob else resolve_text(t, ctx)
            if r is None:
                return None
            resolved.append(r)
        return base.make(tuple(resolved))

    if base.name == "Null":
        null_match = base.make(values)

        def test_null(ctx: Mapping[str, Any]) -> bool | None:
            value = ctx.get(key_l, _MISSING)
            absent = value is _MISSING or value is None or (
                isinstance(value, (list, tuple)) and len(value) == 0)
            return null_match(absent)

        return test_null

    def test(ctx: Mapping[str, Any]) -> bool | None:
        value = ctx.get(key_l, _MISSING)
        absent = value is _MISSING or value is None or (
            isinstance(value, (list, tuple)) and len(value) == 0)
        if absent and if_exists:
            return True
        match = matcher_for(ctx)
        if match is None:
            return False
        if absent:
            if qualifier == "ForAllValues":
                return True
            if qualifier == "ForAnyValue":
                return False
            return negated
        if isinstance(value, (list, tuple)):
            items = value
        else:
            if qualifier is None:
                r = match(value)
                if r is None:
                    return None
                return (not r) if negated else r
            items = (value,)
        raw = [match(v) for v in items]
        if qualifier is None:
            # A plain operator over several values: any of them matching counts.
            any_r = True if True in raw else (None if None in raw else False)
            if any_r is None:
                return None
            return (not any_r) if negated else any_r
        per = [None if r is None else ((not r) if negated else r) for r in raw]
        if qualifier == "ForAllValues":
            if False in per:
                return False
            return None if None in per else True
        if True in per:
            return True
        return None if None in per else False

    test.warm = lambda: matcher_for(_EMPTY_CTX)  # type: ignore[attr-defined]
    return test


def describe_value(value: Any) -> str:
    return _show(value)


def glob_display(g: Glob) -> str:
    return glob_text(g)
