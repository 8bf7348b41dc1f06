"""ARN condition operators: ``ArnEquals``, ``ArnLike``, ``ArnNotEquals``, ``ArnNotLike``.

AWS gives ``ArnEquals`` and ``ArnLike`` the same meaning: the value is matched segment
by segment against each policy ARN, with ``*`` and ``?`` wildcards that stay inside the
first five colon-separated segments.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from ..matching import Glob, compile_globs
from ._base import Matcher, Operator


@lru_cache(maxsize=4096)
def _make(values: tuple[Glob, ...]) -> Matcher:
    test = compile_globs(values, arn=True)

    def match(value: Any) -> bool | None:
        return bool(test(value)) if isinstance(value, str) else None

    return match


OPERATORS = {
    op.name: op
    for op in (
        Operator("ArnEquals", "Arn", False, _make, glob=True, arn=True),
        Operator("ArnLike", "Arn", False, _make, glob=True, arn=True),
        Operator("ArnNotEquals", "Arn", True, _make, glob=True, arn=True),
        Operator("ArnNotLike", "Arn", True, _make, glob=True, arn=True),
    )
}
