"""AWS's wording for input validation failures.

AWS validates every request against the model's constraints and answers ``ValidationError``
with one sentence per broken constraint, joined by ``"; "``::

    2 validation errors detected: Value null at 'userName' failed to satisfy constraint:
    Member must not be null; Value '5' at 'maxItems' failed to satisfy constraint: ...

The location is the member's name in lowerCamelCase; inside lists it reads
``tags.1.member.key``. Values print the way Java prints them (``[a, b]`` for a list).
"""

from __future__ import annotations

import base64
import datetime
from collections.abc import Mapping, Sequence

from .errors import ValidationError


def member_label(name: str) -> str:
    """The name AWS uses for a member in validation messages: lowerCamelCase."""
    return name[:1].lower() + name[1:]


def not_null(path: str) -> str:
    return f"Value null at '{path}' failed to satisfy constraint: Member must not be null"


def violation(value: object, path: str, constraint: str, sensitive: bool = False) -> str:
    # Sensitive members (passwords, private keys) never echo their value back.
    shown = "Value" if sensitive else f"Value '{render(value)}'"
    return f"{shown} at '{path}' failed to satisfy constraint: {constraint}"


def min_length(bound: int) -> str:
    return f"Member must have length greater than or equal to {bound}"


def max_length(bound: int) -> str:
    return f"Member must have length less than or equal to {bound}"


def min_value(bound: float) -> str:
    return f"Member must have value greater than or equal to {bound}"


def max_value(bound: float) -> str:
    return f"Member must have value less than or equal to {bound}"


def pattern(regex: str) -> str:
    return f"Member must satisfy regular expression pattern: {regex}"


def enum(values: Sequence[str]) -> str:
    return f"Member must satisfy enum value set: [{', '.join(values)}]"


def render(value: object) -> str:
    """Print a parsed value the way a Java service prints it in a message."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{render(k)}={render(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(render(item) for item in value) + "]"
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def validation_error(problems: Sequence[str]) -> ValidationError:
    count = len(problems)
    noun = "error" if count == 1 else "errors"
    return ValidationError(f"{count} validation {noun} detected: " + "; ".join(problems))
