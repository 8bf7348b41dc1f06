"""The ``BinaryEquals`` condition operator.

Policy values are base64 text; the request value (base64 text or raw bytes) matches when
the decoded bytes are equal.
"""

from __future__ import annotations

import base64
import binascii
from functools import lru_cache
from typing import Any

from ._base import Matcher, Operator, combine


def to_bytes(value: Any) -> bytes | None:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        try:
            return base64.b64decode(value.strip(), validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


@lru_cache(maxsize=1024)
def _make(values: tuple[str, ...]) -> Matcher:
    wanted = [to_bytes(v) for v in values]

    def match(value: Any) -> bool | None:
        got = to_bytes(value)
        if got is None:
            return None
        return combine([None if w is None else got == w for w in wanted])

    return match


OPERATORS = {"BinaryEquals": Operator("BinaryEquals", "Binary", False, _make)}
