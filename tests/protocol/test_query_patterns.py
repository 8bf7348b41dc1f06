"""Java regular expressions from the models, as Python reads them."""

from __future__ import annotations

import pytest

from iamd.protocol._patterns import compile_pattern


@pytest.mark.parametrize(("pattern", "matches", "rejects"), [
    (r"[\w+=,.@-]+", ["bob", "a.b@c-d+e=f,g_h"], ["", "a b", "é", "中"]),
    (r"\d{12}", ["123456789012"], ["12345678901", "١٢٣٤٥٦٧٨٩٠١٢"]),
    (r"[\u0009\u000A\u000D\u0020-\u00FF]+", ["{\"a\": 1}\n\tÿ"], ["\x01", "ā"]),
    (r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)", ["/", "/a/b/"], ["/a", "a/"]),
    (r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+", ["Kostenstelle 1", "中文", "ü٣", "a\u00a0b"],
     ["", "a!", "a\tb", "😀"]),
    (r"\p{Lu}\P{Lu}", ["Ab"], ["AB", "aB"]),
    (r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+",
     ["arn:aws:iam::123456789012:role/r", "ü"], ["\x00"]),
])
def test_patterns(pattern: str, matches: list[str], rejects: list[str]) -> None:
    regex = compile_pattern(pattern)
    assert regex is not None
    for text in matches:
        assert regex.fullmatch(text), text
    for text in rejects:
        assert not regex.fullmatch(text), text


@pytest.mark.parametrize("pattern", [r"[\P{L}]", r"\p{NoSuchCategory}", r"\p{L", "(", r"\p"])
def test_patterns_python_cannot_read_are_skipped(pattern: str) -> None:
    assert compile_pattern(pattern) is None
