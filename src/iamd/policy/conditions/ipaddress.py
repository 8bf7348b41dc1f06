"""IP address condition operators: ``IpAddress`` and ``NotIpAddress``.

Policy values are IPv4 or IPv6 addresses or CIDR blocks (``203.0.113.0/24``,
``2001:db8::/32``); a request address matches a block of its own family.
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache
from typing import Any

from ._base import Matcher, Operator, combine

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def to_network(value: str) -> Network | None:
    try:
        return ipaddress.ip_network(value.strip(), strict=False)
    except ValueError:
        return None


@lru_cache(maxsize=8192)
def to_address(value: Any) -> Address | None:
    if not isinstance(value, str):
        return None
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        net = to_network(value)
        # A single-address CIDR ("10.0.0.1/32") names one address.
        if net is not None and net.num_addresses == 1:
            return net.network_address
        return None


@lru_cache(maxsize=4096)
def _make(values: tuple[str, ...]) -> Matcher:
    wanted = [to_network(v) for v in values]

    def match(value: Any) -> bool | None:
        got = to_address(value) if isinstance(value, str) else None
        if got is None:
            return None
        return combine(
            [None if w is None else (w.version == got.version and got in w) for w in wanted]
        )

    return match


OPERATORS = {
    "IpAddress": Operator("IpAddress", "IpAddress", False, _make),
    "NotIpAddress": Operator("NotIpAddress", "IpAddress", True, _make),
}
