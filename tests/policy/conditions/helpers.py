from __future__ import annotations

from typing import Any

from iamd.policy.conditions import Condition, compile_condition, parse_operator


def cond(operator: str, key: str, values: Any, substitute: bool = True) -> Condition:
    op = parse_operator(operator)
    assert op is not None, operator
    if not isinstance(values, list):
        values = [values]
    from iamd.policy.conditions import value_text

    return compile_condition(op, key, tuple(value_text(v) for v in values), substitute)


def check(operator: str, key: str, values: Any, context: dict[str, Any],
          substitute: bool = True) -> bool | None:
    c = cond(operator, key, values, substitute)
    return c.test({k.lower(): v for k, v in context.items()})
