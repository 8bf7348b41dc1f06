"""Time and randomness, passed in so that services never read the clock themselves."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime


def _system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Runtime:
    """The clock and the random source a service call uses."""

    clock: Callable[[], datetime] = field(default=_system_clock)
    random_bytes: Callable[[int], bytes] = field(default=secrets.token_bytes)

    def now(self) -> datetime:
        return self.clock()
