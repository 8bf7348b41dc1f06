"""Date condition operators: ``DateEquals``, ``DateNotEquals``, ``DateLessThan``,
``DateLessThanEquals``, ``DateGreaterThan``, ``DateGreaterThanEquals``.

Values are ISO 8601 dates or date-times (``2024-01-01``, ``2024-01-01T12:00:00Z``,
with an optional offset; no offset means UTC) or POSIX epoch seconds. AWS rejects a
policy whose date value is neither with ``The policy failed legacy parsing``.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from ._base import Matcher, Operator, ordered_family

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICRO = timedelta(microseconds=1)
_EPOCH_TEXT = re.compile(r"-?\d{1,19}")
# IAM reads dates leniently: a year of fewer than four digits, a lower-case ``t``, and a
# ``T`` with no time after it (``"01T"``) all pass its check.
_ISO = re.compile(
    r"(?P<date>[+-]?\d{1,9}(-\d{2}(-\d{2})?)?)"
    r"([Tt](?P<time>\d{2}(:\d{2}(:\d{2}(\.\d{1,9})?)?)?)?(?P<tz>[Zz]|[+-]\d{2}(:?\d{2})?)?)?"
)


def to_micros(value: Any) -> int | None:
    """A date value as microseconds since the epoch (UTC), or ``None`` when unreadable."""
    if isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        dt = value if value.tzinfo else value.replace(tzinfo=UTC)
        return (dt - _EPOCH) // _MICRO
    if isinstance(value, int):
        return value * 1_000_000
    if isinstance(value, float):
        return int(value * 1_000_000)
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _EPOCH_TEXT.fullmatch(text):
        seconds = int(text)
        return seconds * 1_000_000 if abs(seconds) < 10**14 else None
    m = _ISO.fullmatch(text)
    if m is None:
        return None
    return _iso_micros(m)


def _iso_micros(m: re.Match[str]) -> int | None:
    date = m.group("date")
    pieces = date.lstrip("+-").split("-")
    try:
        year = int(pieces[0]) * (-1 if date.startswith("-") else 1)
        month = int(pieces[1]) if len(pieces) > 1 else 1
        day = int(pieces[2]) if len(pieces) > 2 else 1
        hour = minute = second = micro = 0
        if m.group("time"):
            t = m.group("time").split(":")
            hour = int(t[0])
            minute = int(t[1]) if len(t) > 1 else 0
            if len(t) > 2:
                sec, _, frac = t[2].partition(".")
                second = int(sec)
                micro = int((frac + "000000")[:6]) if frac else 0
        if not 1 <= year <= 9999:
            return None
        dt = datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)
    except ValueError:
        return None
    tz = m.group("tz")
    offset = 0
    if tz and tz not in "Zz":
        sign = -1 if tz[0] == "-" else 1
        digits = tz[1:].replace(":", "")
        hours, minutes = int(digits[:2]), int(digits[2:] or 0)
        if hours > 23 or minutes > 59:
            return None
        offset = sign * (hours * 60 + minutes) * 60_000_000
    return (dt - _EPOCH) // _MICRO - offset


def check(value: str) -> str | None:
    if "${" in value or to_micros(value) is not None:
        return None
    return "The policy failed legacy parsing"


def _family(compare: Callable[[Any, Any], bool]) -> Callable[[tuple[str, ...]], Matcher]:
    return ordered_family(to_micros, compare)


_eq = _family(operator.eq)
OPERATORS = {
    op.name: op
    for op in (
        Operator("DateEquals", "Date", False, _eq, check=check),
        Operator("DateNotEquals", "Date", True, _eq, check=check),
        Operator("DateLessThan", "Date", False, _family(operator.lt), check=check),
        Operator("DateLessThanEquals", "Date", False, _family(operator.le), check=check),
        Operator("DateGreaterThan", "Date", False, _family(operator.gt), check=check),
        Operator("DateGreaterThanEquals", "Date", False, _family(operator.ge), check=check),
    )
}
