"""The ``Bool`` condition operator.

The policy value and the request value compare as ``true``/``false``, case-insensitively
(a JSON ``true`` and the string ``"true"`` are the same). A request value that is neither
cannot match.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ._base import Matcher, Operator


def to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return None


@lru_cache(maxsize=1024)
def _make(values: tuple[str, ...]) -> Matcher:
    wanted = {to_bool(v) for v in values}
    wanted.discard(None)

    def match(value: Any) -> bool | None:
        got = to_bool(value)
        return None if got is None else got in wanted

    return match


OPERATORS = {"Bool": Operator("Bool", "Bool", False, _make)}
