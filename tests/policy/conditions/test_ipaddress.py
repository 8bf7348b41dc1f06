from __future__ import annotations

import pytest

from .helpers import check

K = "aws:SourceIp"


@pytest.mark.parametrize(
    ("operator", "values", "ip", "expected"),
    [
        ("IpAddress", "203.0.113.0/24", "203.0.113.9", True),
        ("IpAddress", "203.0.113.0/24", "203.0.114.9", False),
        ("IpAddress", "203.0.113.9", "203.0.113.9", True),  # a bare address is a /32
        ("IpAddress", "203.0.113.1/24", "203.0.113.200", True),  # host bits ignored
        ("IpAddress", ["10.0.0.0/8", "192.168.0.0/16"], "192.168.1.1", True),
        ("IpAddress", "2001:db8::/32", "2001:db8:1::1", True),
        ("IpAddress", "2001:db8::/32", "2001:db9::1", False),
        ("IpAddress", "2001:db8::/32", "203.0.113.9", False),  # family mismatch
        ("NotIpAddress", "203.0.113.0/24", "198.51.100.1", True),
        ("NotIpAddress", "203.0.113.0/24", "203.0.113.1", False),
        ("NotIpAddress", "2001:db8::/32", "203.0.113.9", True),
        ("IpAddress", "203.0.113.0/24", "not-an-ip", None),
        ("NotIpAddress", "203.0.113.0/24", "not-an-ip", None),
        ("IpAddress", "bogus", "203.0.113.9", None),
    ],
)
def test_ip(operator: str, values: object, ip: str, expected: bool | None) -> None:
    assert check(operator, K, values, {K: ip}) is expected


def test_absent() -> None:
    assert check("IpAddress", K, "10.0.0.0/8", {}) is False
    assert check("NotIpAddress", K, "10.0.0.0/8", {}) is True
