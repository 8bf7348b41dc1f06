"""The ``Null`` condition operator: does the request carry the key at all?

``"Null": {"k": "true"}`` is true when ``k`` is absent from the request context,
``"false"`` when it is present (an empty multi-valued key counts as absent). Other values
never match.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ._base import Matcher, Operator
from .boolean import to_bool


@lru_cache(maxsize=64)
def _make(values: tuple[str, ...]) -> Matcher:
    wanted = {to_bool(v) for v in values}

    # The compiler passes the presence flag in place of a value for Null.
    def match(absent: Any) -> bool | None:
        return bool(absent) in wanted

    return match


OPERATORS = {"Null": Operator("Null", "Null", False, _make)}
