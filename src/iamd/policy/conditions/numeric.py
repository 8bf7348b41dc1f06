"""Numeric condition operators: ``NumericEquals``, ``NumericNotEquals``,
``NumericLessThan``, ``NumericLessThanEquals``, ``NumericGreaterThan``,
``NumericGreaterThanEquals``.

Values are integers or decimals, given as JSON numbers or strings. A context value that
is not a number cannot match, and is evaluated fail-closed.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from ._base import Matcher, Operator, ordered_family

_NUMBER = re.compile(r"\s*[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\s*")


def to_number(value: Any) -> Decimal | None:
    """A value as an exact decimal, or ``None`` when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, str) and _NUMBER.fullmatch(value):
        try:
            return Decimal(value.strip())
        except InvalidOperation:  # pragma: no cover - the regex admits only numbers
            return None
    return None


def _family(compare: Callable[[Any, Any], bool]) -> Callable[[tuple[str, ...]], Matcher]:
    return ordered_family(to_number, compare)


_eq = _family(operator.eq)
OPERATORS = {
    op.name: op
    for op in (
        Operator("NumericEquals", "Numeric", False, _eq),
        Operator("NumericNotEquals", "Numeric", True, _eq),
        Operator("NumericLessThan", "Numeric", False, _family(operator.lt)),
        Operator("NumericLessThanEquals", "Numeric", False, _family(operator.le)),
        Operator("NumericGreaterThan", "Numeric", False, _family(operator.gt)),
        Operator("NumericGreaterThanEquals", "Numeric", False, _family(operator.ge)),
    )
}
