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

# A pattern's first five colons end the ARN parts (``arn``, partition, service, region,
# account) inside which a wildcard stays; the sixth part, the resource, is free.
_ARN_PARTS = 6


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


def compile_globs(
    globs: Iterable[Glob], *, arn: bool = False, ignore_case: bool = False
) -> Callable[[str], bool]:
    """One predicate that is truthy when a value matches any of ``globs``.

    Matching takes time linear in the value's length, whatever the patterns:

    * patterns without a wildcard are one set lookup, ``prefix*`` and ``*suffix`` one
      ``startswith``/``endswith`` call;
    * patterns with at most one ``*`` in each ARN part (or in all, for a plain glob) are
      one compiled regular expression, so a match costs one C call: with a single star per
      part the regex engine tries each end of that star once, never a combination of them;
    * patterns with more stars, where a regular expression would try every way of
      splitting the value among them (``*a*a*a*a*b``: polynomial in the value's length, of
      the degree of the number of stars), are matched piece by piece (``_Segment``).

    Predicates are shared between documents that use the same patterns.
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
    risky: list[Glob] = []
    for g in globs:
        if STAR not in g and QMARK not in g:
            exact.add(glob_text(g))
            continue
        if all(t == STAR for t in g):
            return _always
        if not _one_star_per_part(g, arn):
            risky.append(g)
        elif ignore_case or len(g) != 2 or QMARK in g:
            regex = True
        elif g[1] == STAR and (not arn or g[0].count(":") >= 5):
            # "s3:get*", "arn:aws:s3:::bucket/*": a prefix test, no regex to build.
            prefixes.append(g[0][1:])
        elif g[0] == STAR and not arn:
            suffixes.append(g[1][1:])
        else:
            regex = True
    linear = tuple(g for g in globs if g not in risky)
    if regex or (ignore_case and linear):
        # Everything but the risky patterns in one alternation: one C call.
        simple = _compiled_alternation(linear, arn, ignore_case)
    elif not linear:
        simple = _never
    else:
        simple = _simple(frozenset(exact), tuple(prefixes), tuple(suffixes))
    if not risky:
        return simple
    if arn:
        patterns = tuple(_arn_segments(g, ignore_case) for g in risky)
        return _arn_predicate(simple, patterns, ignore_case)
    segments = tuple(_Segment(g, ignore_case) for g in risky)
    return _plain_predicate(simple, segments, ignore_case)


def _one_star_per_part(glob: Glob, arn: bool) -> bool:
    """At most one ``*`` in each of the first five ARN parts and in the rest (``arn``),
    or in the whole glob: then a regular expression matches it in linear time."""
    stars = 0
    colons = 0
    for tok in glob:
        if tok == STAR:
            stars += 1
            if stars > 1:
                return False
        elif tok != QMARK and arn and colons < 5 and ":" in tok:
            colons += tok.count(":")
            stars = 0
    return True


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
            if in_segment:
                colons += text.count(":")
            parts.append(re.escape(text))
    return "".join(parts)


@lru_cache(maxsize=8192)
def _compiled_alternation(
    globs: tuple[Glob, ...], arn: bool, ignore_case: bool
) -> Callable[[str], bool]:
    source = "|".join(f"(?:{glob_regex(g, arn=arn)})" for g in globs)
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    # The bound fullmatch itself: its result is truthy exactly when the value matches,
    # and skipping a wrapper saves a Python call on every match.
    return re.compile(source, flags).fullmatch  # type: ignore[return-value]


def _plain_predicate(simple: Callable[[str], bool], segments: tuple[_Segment, ...],
                     ignore_case: bool) -> Callable[[str], bool]:
    def test(value: str) -> bool:
        if simple(value):
            return True
        if ignore_case:
            value = value.lower()
        return any(segment.matches(value) for segment in segments)

    return test


def _arn_predicate(simple: Callable[[str], bool], patterns: tuple[tuple[_Segment, ...], ...],
                   ignore_case: bool) -> Callable[[str], bool]:
    def test(value: str) -> bool:
        if simple(value):
            return True
        if ignore_case:
            value = value.lower()
        parts = value.split(":", _ARN_PARTS - 1)
        count = len(parts)
        for segments in patterns:
            if len(segments) == count and all(
                segment.matches(part) for segment, part in zip(segments, parts, strict=True)
            ):
                return True
        return False

    return test


def _arn_segments(glob: Glob, ignore_case: bool) -> tuple[_Segment, ...]:
    """Split a glob at its first five literal colons: one segment per ARN part."""
    segments: list[_Segment] = []
    current: list[str] = []
    for tok in glob:
        if tok == STAR or tok == QMARK or len(segments) == _ARN_PARTS - 1:
            current.append(tok)
            continue
        pieces = tok[1:].split(":", _ARN_PARTS - 1 - len(segments))
        for piece in pieces[:-1]:
            if piece:
                current.append("L" + piece)
            segments.append(_Segment(tuple(current), ignore_case))
            current = []
        if pieces[-1]:
            current.append("L" + pieces[-1])
    segments.append(_Segment(tuple(current), ignore_case))
    return tuple(segments)


class _Piece:
    """A run of literal characters and ``?`` between two ``*``: it has a fixed length.

    Pure text is found with ``str.find``; text with ``?`` by a regular expression of
    literals and ``.`` only, which has no quantifier and so cannot backtrack.
    """

    __slots__ = ("length", "regex", "text")

    def __init__(self, tokens: list[str], ignore_case: bool) -> None:
        texts = [QMARK if t == QMARK else t[1:] for t in tokens]
        self.length = sum(1 if t == QMARK else len(t[1:]) for t in tokens)
        if QMARK in tokens:
            source = "".join("." if t == QMARK else re.escape(t[1:]) for t in tokens)
            self.regex: re.Pattern[str] | None = re.compile(
                source.lower() if ignore_case else source, re.DOTALL
            )
            self.text = ""
        else:
            self.regex = None
            text = "".join(texts)
            self.text = text.lower() if ignore_case else text

    def at(self, value: str, start: int) -> bool:
        """Does the piece occur in ``value`` at ``start``?"""
        if self.regex is None:
            return value.startswith(self.text, start)
        return self.regex.match(value, start) is not None

    def find(self, value: str, start: int, end: int) -> int:
        """The leftmost place at or after ``start`` where the piece ends by ``end``, or -1."""
        if self.regex is None:
            return value.find(self.text, start, end)
        found = self.regex.search(value, start, end)
        return -1 if found is None else found.start()


class _Segment:
    """A glob matched greedily, piece by piece: ``p0*p1*...*pn``.

    ``p0`` must start the value and ``pn`` end it; each middle piece is taken at its
    leftmost occurrence after the one before. Taking the leftmost occurrence never loses a
    match (anything a later piece could use, it still can), so no choice is ever revisited
    and a match costs time linear in the value's length for a given pattern. A backtracking
    regular expression instead tries every split of the value among the stars.
    """

    __slots__ = ("first", "last", "middle", "starred")

    def __init__(self, glob: Glob, ignore_case: bool) -> None:
        runs: list[list[str]] = [[]]
        for tok in glob:
            if tok == STAR:
                runs.append([])
            else:
                runs[-1].append(tok)
        pieces = [_Piece(run, ignore_case) for run in runs]
        self.starred = len(pieces) > 1
        self.first = pieces[0]
        self.last = pieces[-1]
        self.middle = tuple(p for p in pieces[1:-1] if p.length)

    def matches(self, value: str) -> bool:
        first, last = self.first, self.last
        if not self.starred:
            return len(value) == first.length and first.at(value, 0)
        end = len(value) - last.length
        if end < first.length or not first.at(value, 0) or not last.at(value, end):
            return False
        position = first.length
        for piece in self.middle:
            found = piece.find(value, position, end)
            if found < 0:
                return False
            position = found + piece.length
        return True


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
