"""Reading an AWS Query request: form fields -> the operation's input, validated.

The Query protocol flattens the input structure into dotted form fields::

    UserName=bob
    Tags.member.1.Key=team        (a list: ``member.N``, or ``Name.N`` when flattened)
    Attributes.entry.1.key=a      (a map: ``entry.N.key`` / ``entry.N.value``)
    Attributes.entry.1.value=b
    Tags=                         (an empty list)

Each input shape is compiled once into a small tree of plans (``compile_input``); a request
is then one pass over its fields to nest them by dots and one walk of the plan, which
converts scalars and collects constraint violations on the way.

Values that cannot be read as their type (``abc`` for an integer, ``maybe`` for a boolean,
a timestamp that is neither ISO 8601 nor epoch seconds, invalid base64) raise
``MalformedInput`` at once, before constraints are checked, as AWS's Query front end does.
Constraint violations are all collected and raised together as one ``ValidationError``.
Fields the model does not know are ignored, as AWS ignores them.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from botocore.model import ListShape, MapShape, Shape, StructureShape

from . import _validation as msg
from ._patterns import compile_pattern
from .errors import MalformedInput, ValidationError

# A nested request: dotted field names split into dicts, leaves are the field values.
Tree = dict[str, Any]
_MISSING: Any = object()

_INTEGER = re.compile(r"[+-]?[0-9]+")
_NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER_BITS = {"integer": 32, "long": 64, "short": 16, "byte": 8}
# No integer of any model type has more digits than this; a longer one is out of range
# without being converted (Python refuses to convert more than 4,300 digits at all, and
# converting thousands costs quadratic time).
_MAX_INTEGER_DIGITS = 20
# Values echoed into an error message are cut to this many characters.
_ECHO = 256
_UTC = datetime.UTC


def build_tree(form: Mapping[str, Sequence[str] | str]) -> Tree:
    """Nest form fields by their dots: ``{"A.b.1": ["x"]}`` -> ``{"A": {"b": {"1": "x"}}}``.

    A field given twice counts once, by its first value. Where a name is both a value and a
    prefix (``Tags=`` next to ``Tags.member.1=x``) the nested fields win.
    """
    root: Tree = {}
    for key, values in form.items():
        if isinstance(values, str):
            value = values
        elif values:
            value = values[0]
        else:
            continue
        if "." not in key:
            if not isinstance(root.get(key), dict):
                root[key] = value
            continue
        parts = key.split(".")
        node = root
        for part in parts[:-1]:
            child = node.get(part)
            if not isinstance(child, dict):
                child = node[part] = {}
            node = child
        last = parts[-1]
        if not isinstance(node.get(last), dict):
            node[last] = value
    return root


class Plan(Protocol):
    def parse(self, raw: Any, path: str, problems: list[str]) -> Any: ...


# IAM's path parameters (``Path``, ``NewPath``) are checked by IAM itself, with its own
# message rather than the model's pattern, and refuse an empty segment (``//``) too.
_PATH_SHAPES = frozenset({"pathType"})
_PATH_MEMBERS = ("path", "newPath")
_PATH_MESSAGE = (
    "The specified value for {label} is invalid. It must begin and end with / and contain "
    "only alphanumeric characters and/or / characters."
)


class _String:
    __slots__ = ("checked", "enum", "is_path", "max", "min", "pattern", "regex", "sensitive")

    def __init__(self, shape: Shape) -> None:
        self.is_path = shape.name in _PATH_SHAPES
        meta = shape.metadata
        self.min: int | None = meta.get("min")
        self.max: int | None = meta.get("max")
        self.pattern: str | None = meta.get("pattern")
        self.regex = compile_pattern(self.pattern) if self.pattern is not None else None
        self.enum: list[str] = list(shape.enum) if shape.enum else []
        self.sensitive = bool(meta.get("sensitive"))
        self.checked = bool(
            self.min is not None or self.max is not None or self.regex or self.enum
        )

    def parse(self, raw: Any, path: str, problems: list[str]) -> Any:
        if not isinstance(raw, str):
            return _MISSING
        if self.is_path and path.endswith(_PATH_MEMBERS) and raw and (
            "//" in raw or (self.regex is not None and self.regex.fullmatch(raw) is None)
        ):
            label = path.rpartition(".")[2]
            raise ValidationError(_PATH_MESSAGE.format(label=label))
        if self.checked:
            length = len(raw)
            if self.min is not None and length < self.min:
                problems.append(msg.violation(raw, path, msg.min_length(self.min), self.sensitive))
            if self.max is not None and length > self.max:
                problems.append(msg.violation(raw, path, msg.max_length(self.max), self.sensitive))
            if self.regex is not None and self.pattern is not None and (
                self.regex.fullmatch(raw) is None
            ):
                problems.append(msg.violation(raw, path, msg.pattern(self.pattern), self.sensitive))
            if self.enum and raw not in self.enum:
                problems.append(msg.violation(raw, path, msg.enum(self.enum), self.sensitive))
        return raw


class _Number:
    __slots__ = ("high", "integral", "low", "max", "min", "sensitive")

    def __init__(self, shape: Shape) -> None:
        meta = shape.metadata
        self.min: int | float | None = meta.get("min")
        self.max: int | float | None = meta.get("max")
        self.sensitive = bool(meta.get("sensitive"))
        bits = _INTEGER_BITS.get(shape.type_name)
        self.integral = bits is not None
        self.low = -(2 ** (bits - 1)) if bits else 0
        self.high = 2 ** (bits - 1) - 1 if bits else 0

    def parse(self, raw: Any, path: str, problems: list[str]) -> Any:
        if not isinstance(raw, str):
            return _MISSING
        value: int | float
        if self.integral:
            if _INTEGER.fullmatch(raw) is None:
                raise MalformedInput(f"Value `{_clip(raw)}` at `{path}` is not a valid integer.")
            digits = raw.lstrip("+-").lstrip("0")
            if len(digits) > _MAX_INTEGER_DIGITS:
                raise MalformedInput(f"Value `{_clip(raw)}` at `{path}` is out of range.")
            value = -int(digits or "0") if raw.startswith("-") else int(digits or "0")
            if not self.low <= value <= self.high:
                raise MalformedInput(f"Value `{raw}` at `{path}` is out of range.")
        else:
            if _NUMBER.fullmatch(raw) is None and raw not in ("NaN", "Infinity", "-Infinity"):
                raise MalformedInput(f"Value `{_clip(raw)}` at `{path}` is not a valid number.")
            value = float(raw)
        if self.min is not None and value < self.min:
            problems.append(msg.violation(raw, path, msg.min_value(self.min), self.sensitive))
        if self.max is not None and value > self.max:
            problems.append(msg.violation(raw, path, msg.max_value(self.max), self.sensitive))
        return value


class _Boolean:
    __slots__ = ()

    def parse(self, raw: Any, path: str, problems: list[str]) -> Any:
        if not isinstance(raw, str):
            return _MISSING
        lowered = raw.lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
        raise MalformedInput(f"Value `{_clip(raw)}` at `{path}` is not a valid boolean.")


class _Timestamp:
    __slots__ = ()

    def parse(self, raw: Any, path: str, problems: list[str]) -> Any:
        if not isinstance(raw, str):
            return _MISSING
        return parse_timestamp(raw)


def parse_timestamp(raw: str) -> datetime.datetime:
    """Read an ISO 8601 date-time or epoch seconds as an aware UTC datetime."""
    try:
        if _NUMBER.fullmatch(raw):
            return datetime.datetime.fromtimestamp(float(raw), _UTC)
        value = datetime.datetime.fromisoformat(raw)
    except (ValueError, OverflowError, OSError):
        raise MalformedInput("timestamp must follow ISO8601") from None
    if value.tzinfo is None:
        return value.replace(tzinfo=_UTC)
    return value.astimezone(_UTC)


class _Blob:
    __slots__ = ("max", "min", "sensitive")

    def __init__(self, shape: Shape) -> None:
        self.min: int | None = shape.metadata.get("min")
        self.max: int | None = shape.metadata.get("max")
        self.sensitive = bool(shape.metadata.get("sensitive"))

    def parse(self, raw: Any, path: str, problems: list[str]) -> Any:
        if not isinstance(raw, str):
            return _MISSING
        try:
            value = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedInput(f"Value at `{path}` is not valid base64.") from None
        if self.min is not None and len(value) < self.min:
            problems.append(msg.violation(value, path, msg.min_length(self.min), self.sensitive))
        if self.max is not None and len(value) > self.max:
            problems.append(msg.violation(value, path, msg.max_length(self.max), self.sensitive))
        return value


class _Member:
    __slots__ = ("label", "name", "plan", "required", "wire")

    def __init__(self, name: str, wire: str, required: bool, plan: Plan) -> None:
        self.name = name
        self.wire = wire
        self.label = msg.member_label(name)
        self.required = required
        self.plan = plan


class _Structure:
    __slots__ = ("members",)

    def __init__(self) -> None:
        self.members: tuple[_Member, ...] = ()

    def parse(self, raw: Any, path: str, problems: list[str]) -> Any:
        if not isinstance(raw, dict):
            return _MISSING
        return self.parse_members(raw, path + ".", problems)

    def parse_members(self, node: Tree, prefix: str, problems: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for member in self.members:
            raw = node.get(member.wire)
            if raw is not None:
                value = member.plan.parse(raw, prefix + member.label, problems)
                if value is not _MISSING:
                    out[member.name] = value
                    continue
            if member.required:
                problems.append(msg.not_null(prefix + member.label))
        return out


def _clip(raw: str) -> str:
    return raw if len(raw) <= _ECHO else raw[:_ECHO] + "..."


def _indexed(node: Tree) -> list[Any]:
    """The children of ``node`` whose names are indexes, in index order.

    Indexes are ASCII digits compared as numbers without converting them, so an index of
    thousands of digits orders like any other instead of failing in ``int()``.
    """
    entries = []
    for key, child in node.items():
        if key.isascii() and key.isdigit():
            digits = key.lstrip("0")
            entries.append(((len(digits), digits), child))
    entries.sort(key=lambda entry: entry[0])
    return [child for _, child in entries]


class _List:
    __slots__ = ("flattened", "item", "item_wire", "max", "min")

    def __init__(self, shape: ListShape, item: Plan) -> None:
        self.item = item
        self.flattened = bool(shape.serialization.get("flattened"))
        self.item_wire: str = shape.member.serialization.get("name", "member")
        self.min: int | None = shape.metadata.get("min")
        self.max: int | None = shape.metadata.get("max")

    def parse(self, raw: Any, path: str, problems: list[str]) -> Any:
        items: list[Any] = []
        if isinstance(raw, str):
            # ``Tags=`` is how the protocol spells an empty list; anything else is not a list.
            if raw:
                return _MISSING
        else:
            node = raw if self.flattened else raw.get(self.item_wire)
            if isinstance(node, dict):
                prefix = path + "."
                for position, child in enumerate(_indexed(node), 1):
                    value = self.item.parse(child, f"{prefix}{position}.member", problems)
                    if value is not _MISSING:
                        items.append(value)
        if self.min is not None and len(items) < self.min:
            problems.append(msg.violation(items, path, msg.min_length(self.min)))
        if self.max is not None and len(items) > self.max:
            problems.append(msg.violation(items, path, msg.max_length(self.max)))
        return items


class _Map:
    __slots__ = ("flattened", "key", "key_wire", "max", "min", "value", "value_wire")

    def __init__(self, shape: MapShape, key: Plan, value: Plan) -> None:
        self.key = key
        self.value = value
        self.flattened = bool(shape.serialization.get("flattened"))
        self.key_wire: str = shape.key.serialization.get("name", "key")
        self.value_wire: str = shape.value.serialization.get("name", "value")
        self.min: int | None = shape.metadata.get("min")
        self.max: int | None = shape.metadata.get("max")

    def parse(self, raw: Any, path: str, problems: list[str]) -> Any:
        out: dict[Any, Any] = {}
        if isinstance(raw, str):
            if raw:
                return _MISSING
        else:
            node = raw if self.flattened else raw.get("entry")
            if isinstance(node, dict):
                for position, entry in enumerate(_indexed(node), 1):
                    if not isinstance(entry, dict):
                        continue
                    where = f"{path}.entry.{position}"
                    key = entry.get(self.key_wire)
                    if key is None:
                        problems.append(msg.not_null(where + ".key"))
                        continue
                    key = self.key.parse(key, where + ".key", problems)
                    raw_value = entry.get(self.value_wire)
                    value = (
                        _MISSING if raw_value is None
                        else self.value.parse(raw_value, where + ".value", problems)
                    )
                    if value is _MISSING:
                        problems.append(msg.not_null(where + ".value"))
                    elif key is not _MISSING:
                        out[key] = value
        if self.min is not None and len(out) < self.min:
            problems.append(msg.violation(out, path, msg.min_length(self.min)))
        if self.max is not None and len(out) > self.max:
            problems.append(msg.violation(out, path, msg.max_length(self.max)))
        return out


def member_wire_name(name: str, shape: Shape) -> str:
    """The field name of a structure member, as botocore's Query serializer writes it."""
    if shape.type_name == "list" and shape.serialization.get("flattened"):
        item_name = shape.member.serialization.get("name")
        if item_name:
            return str(item_name)
    return str(shape.serialization.get("name", name))


class InputCompiler:
    """Compiles input shapes into plans, sharing one plan per distinct shape."""

    def __init__(self) -> None:
        self._plans: dict[tuple[Any, ...], Plan] = {}

    def structure(self, shape: StructureShape) -> _Structure:
        plan = self.compile(shape)
        assert isinstance(plan, _Structure)
        return plan

    def compile(self, shape: Shape) -> Plan:
        key = (shape.name, shape.type_name, tuple(sorted(shape.serialization.items())))
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        kind = shape.type_name
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            structure = _Structure()
            # Registered before its members are compiled, so recursive shapes terminate.
            self._plans[key] = structure
            required = set(shape.required_members)
            structure.members = tuple(
                _Member(name, member_wire_name(name, member), name in required,
                        self.compile(member))
                for name, member in shape.members.items()
            )
            return structure
        if kind == "list":
            assert isinstance(shape, ListShape)
            plan = _List(shape, self.compile(shape.member))
        elif kind == "map":
            assert isinstance(shape, MapShape)
            plan = _Map(shape, self.compile(shape.key), self.compile(shape.value))
        elif kind == "string":
            plan = _String(shape)
        elif kind in _INTEGER_BITS or kind in ("float", "double"):
            plan = _Number(shape)
        elif kind == "boolean":
            plan = _Boolean()
        elif kind == "timestamp":
            plan = _Timestamp()
        elif kind == "blob":
            plan = _Blob(shape)
        else:
            raise ValueError(f"the Query protocol has no reading for shape type `{kind}`")
        self._plans[key] = plan
        return plan
