"""Writing an AWS Query response: the operation's output -> the XML document AWS sends.

    <CreateUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
      <CreateUserResult><User>...</User></CreateUserResult>
      <ResponseMetadata><RequestId>...</RequestId></ResponseMetadata>
    </CreateUserResponse>

Members are written in model order; ``None`` and absent members are left out. Lists are
``<Name><member>..</member></Name>`` (or repeated ``<Item>`` elements when flattened), maps
``<Name><entry><key>..</key><value>..</value></entry></Name>``. Timestamps are ISO 8601 in
UTC, ``2024-01-02T03:04:05Z``, with milliseconds only when the value has a fraction of a
second (STS writes ``Expiration`` that way). IAM URL-encodes policy documents in its
responses (botocore undoes it in ``json_decode_policies``), and so does this writer for every
structure member whose shape is named ``policyDocumentType``.

An output that does not fit its shape (a key the shape lacks, a value of the wrong type) is a
bug in the caller and raises ``OutputShapeError``; it is never sent half-written.
"""

from __future__ import annotations

import base64
import datetime
import math
import re
from collections.abc import Collection, Mapping
from typing import Any, Protocol
from urllib.parse import quote

from botocore.model import ListShape, MapShape, Shape, StructureShape

_UTC = datetime.UTC


class OutputShapeError(TypeError):
    """An operation's output does not fit the model's output shape (a programming error)."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.path: list[str] = []

    def __str__(self) -> str:
        where = ".".join(self.path)
        return f"{self.problem} at `{where}`" if where else self.problem


# Characters XML 1.0 cannot carry at all, not even as a character reference: the C0
# controls but tab, newline and carriage return, lone surrogates, U+FFFE and U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def escape(text: str) -> str:
    """Escape text for an XML element; ``\\r`` too, which XML parsers would otherwise drop.

    A character XML 1.0 cannot carry (NUL, other control characters, a lone surrogate)
    becomes U+FFFD, so an error message that echoes hostile input is still a document
    every client can parse.
    """
    if _NOT_XML.search(text) is not None:
        text = _NOT_XML.sub("\ufffd", text)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#xD;")
    return text


def format_timestamp(value: datetime.datetime) -> str:
    """ISO 8601 in UTC as AWS writes it; a naive datetime is taken to be UTC already."""
    if value.tzinfo is not None and value.utcoffset():
        value = value.astimezone(_UTC)
    text = value.isoformat(timespec="seconds")[:19]
    if value.microsecond:
        return f"{text}.{value.microsecond // 1000:03d}Z"
    return text + "Z"


class Writer(Protocol):
    def write(self, value: Any, open_tag: str, close_tag: str, out: list[str]) -> None: ...


def _wrong_type(value: object, expected: str) -> OutputShapeError:
    return OutputShapeError(f"expected {expected}, got {type(value).__name__} {value!r:.80}")


class _String:
    __slots__ = ("url_encode",)

    def __init__(self, url_encode: bool = False) -> None:
        self.url_encode = url_encode

    def write(self, value: Any, open_tag: str, close_tag: str, out: list[str]) -> None:
        if not isinstance(value, str):
            raise _wrong_type(value, "a string")
        if self.url_encode:
            value = quote(value, safe="")
        out.append(open_tag)
        out.append(escape(value))
        out.append(close_tag)


class _Integer:
    __slots__ = ()

    def write(self, value: Any, open_tag: str, close_tag: str, out: list[str]) -> None:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _wrong_type(value, "an integer")
        out.append(f"{open_tag}{value}{close_tag}")


class _Float:
    __slots__ = ()

    def write(self, value: Any, open_tag: str, close_tag: str, out: list[str]) -> None:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            raise _wrong_type(value, "a number")
        number = float(value)
        if math.isnan(number):
            text = "NaN"
        elif math.isinf(number):
            text = "Infinity" if number > 0 else "-Infinity"
        else:
            text = repr(number)
        out.append(f"{open_tag}{text}{close_tag}")


class _Boolean:
    __slots__ = ()

    def write(self, value: Any, open_tag: str, close_tag: str, out: list[str]) -> None:
        if not isinstance(value, bool):
            raise _wrong_type(value, "a boolean")
        out.append(f"{open_tag}{'true' if value else 'false'}{close_tag}")


class _Timestamp:
    __slots__ = ()

    def write(self, value: Any, open_tag: str, close_tag: str, out: list[str]) -> None:
        if not isinstance(value, datetime.datetime):
            raise _wrong_type(value, "a datetime")
        out.append(f"{open_tag}{format_timestamp(value)}{close_tag}")


class _Blob:
    __slots__ = ()

    def write(self, value: Any, open_tag: str, close_tag: str, out: list[str]) -> None:
        if not isinstance(value, (bytes, bytearray, memoryview)):
            raise _wrong_type(value, "bytes")
        out.append(f"{open_tag}{base64.b64encode(value).decode('ascii')}{close_tag}")


class _Structure:
    __slots__ = ("members", "names")

    def __init__(self) -> None:
        # (member name, its open tag, its close tag, its writer), in model order.
        self.members: tuple[tuple[str, str, str, Writer], ...] = ()
        self.names: frozenset[str] = frozenset()

    def write(self, value: Any, open_tag: str, close_tag: str, out: list[str]) -> None:
        out.append(open_tag)
        self.write_members(value, out)
        out.append(close_tag)

    def write_members(self, value: Any, out: list[str]) -> None:
        if not isinstance(value, Mapping):
            raise _wrong_type(value, "a mapping")
        if not self.names.issuperset(value.keys()):
            unknown = sorted(str(key) for key in value.keys() - self.names)
            raise OutputShapeError(f"the shape has no member {', '.join(unknown)}")
        for name, member_open, member_close, writer in self.members:
            member = value.get(name)
            if member is None:
                continue
            try:
                writer.write(member, member_open, member_close, out)
            except OutputShapeError as error:
                error.path.insert(0, name)
                raise


def _items(value: Any) -> Collection[Any]:
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, (list, tuple)):
        raise _wrong_type(value, "a list")
    return value


class _List:
    __slots__ = ("flattened", "item", "item_close", "item_open")

    def __init__(self, shape: ListShape, item: Writer, member_name: str) -> None:
        self.item = item
        self.flattened = bool(shape.serialization.get("flattened"))
        default = member_name if self.flattened else "member"
        name = shape.member.serialization.get("name", default)
        self.item_open, self.item_close = f"<{name}>", f"</{name}>"

    def write(self, value: Any, open_tag: str, close_tag: str, out: list[str]) -> None:
        items = _items(value)
        if not self.flattened:
            out.append(open_tag)
        for index, item in enumerate(items):
            try:
                self.item.write(item, self.item_open, self.item_close, out)
            except OutputShapeError as error:
                error.path.insert(0, str(index))
                raise
        if not self.flattened:
            out.append(close_tag)


class _Map:
    __slots__ = ("flattened", "key", "key_tags", "value", "value_tags")

    def __init__(self, shape: MapShape, key: Writer, value: Writer) -> None:
        self.key = key
        self.value = value
        self.flattened = bool(shape.serialization.get("flattened"))
        key_name = shape.key.serialization.get("name", "key")
        value_name = shape.value.serialization.get("name", "value")
        self.key_tags = (f"<{key_name}>", f"</{key_name}>")
        self.value_tags = (f"<{value_name}>", f"</{value_name}>")

    def write(self, value: Any, open_tag: str, close_tag: str, out: list[str]) -> None:
        if not isinstance(value, Mapping):
            raise _wrong_type(value, "a mapping")
        if self.flattened:
            entry_open, entry_close = open_tag, close_tag
        else:
            out.append(open_tag)
            entry_open, entry_close = "<entry>", "</entry>"
        for key, item in value.items():
            try:
                out.append(entry_open)
                self.key.write(key, *self.key_tags, out)
                self.value.write(item, *self.value_tags, out)
                out.append(entry_close)
            except OutputShapeError as error:
                error.path.insert(0, str(key))
                raise
        if not self.flattened:
            out.append(close_tag)


def _member_tag(name: str, shape: Shape) -> str:
    if shape.type_name == "list" and shape.serialization.get("flattened"):
        item_name = shape.member.serialization.get("name")
        if item_name:
            return str(item_name)
    return str(shape.serialization.get("name", name))


class OutputCompiler:
    """Compiles output shapes into writers, sharing one writer per distinct shape."""

    def __init__(self, url_encoded_shapes: Collection[str] = ()) -> None:
        self._url_encoded = frozenset(url_encoded_shapes)
        self._writers: dict[tuple[Any, ...], Writer] = {}

    def structure(self, shape: StructureShape) -> _Structure:
        writer = self.compile(shape)
        assert isinstance(writer, _Structure)
        return writer

    def compile(self, shape: Shape, member_name: str = "", in_structure: bool = False) -> Writer:
        kind = shape.type_name
        url_encode = in_structure and kind == "string" and shape.name in self._url_encoded
        key = (shape.name, kind, tuple(sorted(shape.serialization.items())), url_encode,
               member_name if kind == "list" else "")
        writer = self._writers.get(key)
        if writer is not None:
            return writer
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            structure = _Structure()
            # Registered before its members are compiled, so recursive shapes terminate.
            self._writers[key] = structure
            members = []
            for name, member in shape.members.items():
                tag = _member_tag(name, member)
                members.append(
                    (name, f"<{tag}>", f"</{tag}>", self.compile(member, name, True))
                )
            structure.members = tuple(members)
            structure.names = frozenset(shape.members)
            return structure
        if kind == "list":
            assert isinstance(shape, ListShape)
            writer = _List(shape, self.compile(shape.member), member_name)
        elif kind == "map":
            assert isinstance(shape, MapShape)
            writer = _Map(shape, self.compile(shape.key), self.compile(shape.value))
        elif kind == "string":
            writer = _String(url_encode)
        elif kind in ("integer", "long", "short", "byte"):
            writer = _Integer()
        elif kind in ("float", "double"):
            writer = _Float()
        elif kind == "boolean":
            writer = _Boolean()
        elif kind == "timestamp":
            writer = _Timestamp()
        elif kind == "blob":
            writer = _Blob()
        else:
            raise ValueError(f"the Query protocol has no writing for shape type `{kind}`")
        self._writers[key] = writer
        return writer
