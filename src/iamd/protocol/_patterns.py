"""The ``pattern`` constraints of AWS service models, which are Java regular expressions.

Python's ``re`` reads most of them unchanged: ``\\uXXXX`` escapes mean the same thing, and
``re.ASCII`` gives ``\\w``, ``\\d`` and ``\\s`` Java's ASCII-only meaning. What ``re`` lacks is
Unicode categories (``\\p{L}``, used by every tag key and value), so those are expanded into
explicit code point ranges from :mod:`unicodedata`. A pattern that still does not compile is
skipped (``compile_pattern`` returns ``None``) rather than failing the whole model.
"""

from __future__ import annotations

import functools
import re
import sys
import unicodedata


def compile_pattern(pattern: str) -> re.Pattern[str] | None:
    """Compile a model pattern for ``fullmatch``, or return ``None`` if Python cannot."""
    translated = _translate(pattern)
    if translated is None:
        return None
    try:
        return re.compile(translated, re.ASCII)
    except (re.error, OverflowError):
        return None


def _translate(pattern: str) -> str | None:
    if "\\p" not in pattern and "\\P" not in pattern:
        return pattern
    out: list[str] = []
    in_class = False
    i, n = 0, len(pattern)
    while i < n:
        char = pattern[i]
        if char == "\\" and i + 1 < n:
            kind = pattern[i + 1]
            if kind in "pP":
                if i + 2 < n and pattern[i + 2] == "{":
                    end = pattern.find("}", i + 3)
                    if end < 0:
                        return None
                    name, i = pattern[i + 3 : end], end + 1
                elif i + 2 < n:
                    name, i = pattern[i + 2], i + 3
                else:
                    return None
                ranges = _category_ranges(name.removeprefix("Is"))
                if ranges is None:
                    return None
                if in_class:
                    if kind == "P":
                        # A negated category inside a class has no Python spelling.
                        return None
                    out.append(ranges)
                else:
                    out.append(("[^" if kind == "P" else "[") + ranges + "]")
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


@functools.cache
def _category_ranges(name: str) -> str | None:
    """A character-class body matching the Unicode general category ``name`` (``L``, ``Lu``...)."""
    table = _category_table()
    if len(name) == 1:
        spans = sorted(span for category, ranges in table.items() if category[0] == name
                       for span in ranges)
    else:
        spans = list(table.get(name, ()))
    if not spans:
        return None
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and merged[-1][1] + 1 >= start:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return "".join(
        f"\\U{start:08x}" if start == end else f"\\U{start:08x}-\\U{end:08x}"
        for start, end in merged
    )


@functools.cache
def _category_table() -> dict[str, list[tuple[int, int]]]:
    # One pass over every code point (a quarter of a second, once per process); only models
    # whose patterns use \p{...} ever pay for it.
    category = unicodedata.category
    table: dict[str, list[tuple[int, int]]] = {}
    current, start = category("\x00"), 0
    for codepoint in range(1, sys.maxunicode + 1):
        this = category(chr(codepoint))
        if this != current:
            table.setdefault(current, []).append((start, codepoint - 1))
            current, start = this, codepoint
    table.setdefault(current, []).append((start, sys.maxunicode))
    return table
