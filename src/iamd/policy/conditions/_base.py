"""What every condition operator family provides to the condition compiler."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

# A matcher answers, for one context value, whether it equals/matches any of the
# operator's policy values: True, False, or None when the context value (or a policy
# value) cannot be read as the operator's type. None is evaluated fail-closed.
Matcher = Callable[[Any], "bool | None"]


@dataclass(frozen=True, slots=True)
class Operator:
    """One base condition operator (``StringEquals``), before ``IfExists`` and set qualifiers.

    ``make`` compiles the policy values (strings, or globs when ``glob``) into a
    :data:`Matcher`. ``negated`` operators (``StringNotEquals``) are true when the
    positive match is false. ``check`` returns AWS's error message for a policy value
    the policy language rejects at parse time, else ``None``.
    """

    name: str
    family: str
    negated: bool
    make: Callable[[tuple[Any, ...]], Matcher]
    glob: bool = False
    arn: bool = False
    check: Callable[[str], str | None] | None = None


def as_text(value: Any) -> str | None:
    """A context value as the string AWS compares: booleans are ``true``/``false``."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return str(value)
    return None


def combine(results: list[bool | None]) -> bool | None:
    """OR over several policy values, where an unreadable value poisons a non-match."""
    if True in results:
        return True
    if None in results:
        return None
    return False


def ordered_family(
    parse: Callable[[Any], Any], compare: Callable[[Any, Any], bool]
) -> Callable[[tuple[str, ...]], Matcher]:
    """Matchers for an ordered operator family (Numeric*, Date*): the request's value and
    each policy value are parsed alike and compared; a value that does not parse makes
    that comparison unknown, so it can never turn a deny into an allow."""

    @lru_cache(maxsize=4096)
    def make(values: tuple[str, ...]) -> Matcher:
        wanted = [parse(v) for v in values]

        def match(value: Any) -> bool | None:
            got = parse(value)
            if got is None:
                return None
            return combine([None if w is None else compare(got, w) for w in wanted])

        return match

    return make
