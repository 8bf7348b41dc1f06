"""String condition operators: ``StringEquals``, ``StringNotEquals``, the ``IgnoreCase``
variants, ``StringLike`` and ``StringNotLike``.

``StringEquals`` is exact and case-sensitive with no wildcards; ``IgnoreCase`` compares
case-insensitively; ``StringLike`` matches the whole value with ``*`` and ``?``
(case-sensitive). Booleans and numbers in the request context compare as their JSON
text (``true``, ``10``).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..matching import Glob, compile_globs
from ._base import Matcher, Operator, as_text


@lru_cache(maxsize=4096)
def _equals(values: tuple[str, ...]) -> Matcher:
    wanted = frozenset(values)

    def match(value: Any) -> bool | None:
        text = as_text(value)
        return None if text is None else text in wanted

    return match


@lru_cache(maxsize=4096)
def _equals_ignore_case(values: tuple[str, ...]) -> Matcher:
    wanted = frozenset(v.casefold() for v in values)

    def match(value: Any) -> bool | None:
        text = as_text(value)
        return None if text is None else text.casefold() in wanted

    return match


@lru_cache(maxsize=4096)
def _like(values: tuple[Glob, ...]) -> Matcher:
    test = compile_globs(values)

    def match(value: Any) -> bool | None:
        text = as_text(value)
        return None if text is None else bool(test(text))

    return match


OPERATORS = {
    op.name: op
    for op in (
        Operator("StringEquals", "String", False, _equals),
        Operator("StringNotEquals", "String", True, _equals),
        Operator("StringEqualsIgnoreCase", "String", False, _equals_ignore_case),
        Operator("StringNotEqualsIgnoreCase", "String", True, _equals_ignore_case),
        Operator("StringLike", "String", False, _like, glob=True),
        Operator("StringNotLike", "String", True, _like, glob=True),
    )
}
