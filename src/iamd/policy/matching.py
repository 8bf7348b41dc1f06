"""Wildcard matching as AWS applies it to actions, resources and ``...Like`` conditions.

``*`` matches any run of characters (including none) and ``?`` exactly one. Actions
match case-insensitively. Resource ARNs match segment by segment: a wildcard in one of
the first five colon-separated parts (``arn``, partition, service, region, account) stays
inside that part, while a wildcard in the resource part may span further colons and
slashes. A pattern of ``*`` alone matches every resource, including the ``*`` that
actions without resource-level permissions are requested on.

A *glob* here is a tuple of tokens: ``"*"`` and ``"?"`` are wildcards, and a literal
chunk is a string starting with ``"L"`` (so a literal asterisk that came from a policy
variable such as ``${*}`` cannot be mistaken for a wildcard).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache

Glob = tuple[str, ...]
STAR = "*"
QMARK = "?"

_WILDCARDS = re.compile(r"([*?])")


@lru_cache(maxsize=16384)
def glob_tokens(text: str) -> Glob:
    """Tokenise policy text in which every ``*`` and ``?`` is a wildcard."""
    if "*" not in text and "?" not in text:
        return ("L" + text,) if text else ()
    out: list[str] = []
    for piece in _WILDCARDS.split(text):
        if piece == "*" or piece == "?":
            out.append(piece)
        elif piece:
            out.append("L" + piece)
    return tuple(out)


def literal_tokens(text: str) -> Glob:
    """Tokenise text that matches only itself (a substituted variable value)."""
    return ("L" + text,) if text else ()


def has_wildcard(glob: Glob) -> bool:
    return any(t == STAR or t == QMARK for t in glob)


def glob_text(glob: Glob) -> str:
    """The glob as a plain string (for messages and exact-match fast paths)."""
    return "".join(t if t in ("*", "?") else t[1:] for t in glob)


def glob_regex(glob: Glob, *, arn: bool = False) -> str:
    """Translate a glob into a regular expression source (no anchors)."""
    parts: list[str] = []
    colons = 0
    for tok in glob:
        in_segment = arn and colons < 5
        if tok == STAR:
            parts.append("[^:]*" if in_segment else ".*")
        elif tok == QMARK:
            parts.append("[^:]" if in_segment else ".")
        else:
            text = tok[1:]
            if arn and colons < 5:
                colons += text.count(":")
            parts.append(re.escape(text))
    return "".join(parts)


def compile_globs(
    globs: Iterable[Glob], *, arn: bool = False, ignore_case: bool = False
) -> Callable[[str], bool]:
    """One predicate that is truthy when a value matches any of ``globs``.

    The result is the bound ``fullmatch`` of one compiled alternation, or a constant /
    set lookup where no wildcard is involved, so a match costs one C call. Predicates
    are shared between documents that use the same patterns.
    """
    return _compile(tuple(globs), arn, ignore_case)


@lru_cache(maxsize=16384)
def _compile(globs: tuple[Glob, ...], arn: bool, ignore_case: bool) -> Callable[[str], bool]:
    if not globs:
        return _never
    exact: set[str] = set()
    prefixes: list[str] = []
    suffixes: list[str] = []
    regex = False
    for g in globs:
        if STAR not in g and QMARK not in g:
            exact.add(glob_text(g))
            continue
        if all(t == STAR for t in g):
            return _always
        if ignore_case or len(g) != 2 or QMARK in g:
            regex = True
        elif g[1] == STAR and (not arn or g[0].count(":") >= 5):
            # "s3:get*", "arn:aws:s3:::bucket/*": a prefix test, no regex to build.
            prefixes.append(g[0][1:])
        elif g[0] == STAR and not arn:
            suffixes.append(g[1][1:])
        else:
            regex = True
    if regex:
        return _compiled_alternation(globs, arn, ignore_case)
    if ignore_case:
        folded = frozenset(e.casefold() for e in exact)
        return lambda value: value.casefold() in folded
    return _simple(frozenset(exact), tuple(prefixes), tuple(suffixes))


def _simple(exact: frozenset[str], prefixes: tuple[str, ...],
            suffixes: tuple[str, ...]) -> Callable[[str], bool]:
    """Set lookups and ``startswith``/``endswith`` over tuples: one C call each."""
    if not prefixes and not suffixes:
        return exact.__contains__
    if not exact and not suffixes:
        return lambda value: value.startswith(prefixes)
    if not exact and not prefixes:
        return lambda value: value.endswith(suffixes)
    return lambda value: (value in exact or value.startswith(prefixes)
                          or value.endswith(suffixes))


@lru_cache(maxsize=8192)
def _compiled_alternation(
    globs: tuple[Glob, ...], arn: bool, ignore_case: bool
) -> Callable[[str], bool]:
    source = "|".join(f"(?:{glob_regex(g, arn=arn)})" for g in globs)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    # The bound fullmatch itself: its result is truthy exactly when the value matches,
    # and skipping a wrapper saves a Python call on every match.
    return re.compile(source, flags).fullmatch  # type: ignore[return-value]


def _always(value: str) -> bool:
    return True


def _never(value: str) -> bool:
    return False


def match_glob(glob: Glob, value: str, *, arn: bool = False, ignore_case: bool = False) -> bool:
    """Match one value against one glob (cached compilation)."""
    return bool(compile_globs((glob,), arn=arn, ignore_case=ignore_case)(value))


def arn_like(pattern: str, value: str) -> bool:
    """AWS's ARN match for policy text ``pattern`` (``*`` and ``?`` are wildcards)."""
    return bool(compile_globs((glob_tokens(pattern),), arn=True)(value))


def action_like(pattern: str, action: str) -> bool:
    """AWS's action match: case-insensitive, ``*`` and ``?`` wildcards."""
    return bool(compile_globs((glob_tokens(pattern.lower()),))(action.lower()))
