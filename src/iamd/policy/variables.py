"""Policy variables: ``${aws:username}``, ``${aws:PrincipalTag/team}``, ``${*}``, defaults.

AWS substitutes ``${key}`` in ``Resource``/``NotResource`` and in condition values with
the request's value for ``key`` (key names are case-insensitive), only in documents whose
``Version`` is ``2012-10-17``; under ``2008-10-17`` (or no ``Version``) the text stays
literal. ``${*}``, ``${?}`` and ``${$}`` stand for a literal ``*``, ``?`` and ``$``.
``${key, 'fallback'}`` uses ``fallback`` when the key is absent. A key that is absent
without a fallback, or that holds several values, cannot be substituted, and the element
it appears in then matches nothing (so an Allow does not apply and neither does a Deny).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .matching import Glob, glob_tokens, literal_tokens

_SPECIAL = {"*": "*", "?": "?", "$": "$"}


@dataclass(frozen=True, slots=True)
class Variable:
    key: str  # lower-cased condition key
    name: str  # as written, for messages
    default: str | None


Part = str | Variable
Template = tuple[Part, ...]


def parse_template(text: str) -> Template | None:
    """Split ``text`` into literal strings and variables; ``None`` when it has none."""
    if "${" not in text:
        return None
    parts: list[Part] = []
    buf: list[str] = []
    i = 0
    n = len(text)
    found = False
    while i < n:
        start = text.find("${", i)
        if start < 0:
            buf.append(text[i:])
            break
        end = text.find("}", start + 2)
        if end < 0:
            buf.append(text[i:])
            break
        buf.append(text[i:start])
        inner = text[start + 2 : end]
        var = _parse_inner(inner)
        if var is None:
            buf.append(text[start : end + 1])
        elif isinstance(var, str):
            # ${*} and friends are literal characters, kept apart from wildcards.
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(Variable(key="", name=var, default=var))
            found = True
        else:
            if buf:
                parts.append("".join(buf))
                buf = []
            parts.append(var)
            found = True
        i = end + 1
    if buf and "".join(buf):
        parts.append("".join(buf))
    return tuple(parts) if found else None


def _parse_inner(inner: str) -> Variable | str | None:
    stripped = inner.strip()
    if stripped in _SPECIAL:
        return _SPECIAL[stripped]
    default: str | None = None
    key = stripped
    if "," in inner:
        key_part, _, default_part = inner.partition(",")
        key = key_part.strip()
        default_part = default_part.strip()
        if len(default_part) < 2 or default_part[0] != "'" or default_part[-1] != "'":
            return None
        default = default_part[1:-1]
    if not key:
        return None
    return Variable(key=key.lower(), name=key, default=default)


def variable_value(value: Any) -> str | None:
    """The text a context value substitutes as, or ``None`` when it cannot."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return None


def _lookup(var: Variable, ctx: Mapping[str, Any]) -> str | None:
    if not var.key:
        return var.default
    if var.key in ctx:
        return variable_value(ctx[var.key])
    return var.default


def resolve_text(template: Template, ctx: Mapping[str, Any]) -> str | None:
    """Substitute into a plain value (``StringEquals`` and the like)."""
    out: list[str] = []
    for part in template:
        if isinstance(part, str):
            out.append(part)
        else:
            value = _lookup(part, ctx)
            if value is None:
                return None
            out.append(value)
    return "".join(out)


def resolve_glob(template: Template, ctx: Mapping[str, Any]) -> Glob | None:
    """Substitute into a wildcard pattern: substituted text matches only itself."""
    out: list[str] = []
    for part in template:
        if isinstance(part, str):
            out.extend(glob_tokens(part))
        else:
            value = _lookup(part, ctx)
            if value is None:
                return None
            out.extend(literal_tokens(value))
    return tuple(out)


def template_keys(template: Template) -> list[str]:
    """The condition keys (as written) a template reads."""
    return [p.name for p in template if isinstance(p, Variable) and p.key]
