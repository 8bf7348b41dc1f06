from __future__ import annotations

import base64

from .helpers import check

K = "test:binarykey"
V = base64.b64encode(b"\x00\x01hello").decode()


def test_binary_equals() -> None:
    assert check("BinaryEquals", K, V, {K: V}) is True
    assert check("BinaryEquals", K, V, {K: b"\x00\x01hello"}) is True
    assert check("BinaryEquals", K, V, {K: base64.b64encode(b"other").decode()}) is False
    assert check("BinaryEquals", K, V, {K: "not base64!"}) is None
    assert check("BinaryEquals", K, V, {}) is False
    assert check("BinaryEqualsIfExists", K, V, {}) is True
