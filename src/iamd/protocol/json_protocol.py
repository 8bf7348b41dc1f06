"""The AWS JSON protocol (1.0 and 1.1), driven by botocore's service models.

A JSON-protocol request is a POST whose ``X-Amz-Target`` header names the operation
(``<targetPrefix>.<Operation>``) and whose body is the input structure as JSON; the answer
is the output structure as JSON (``Content-Type: application/x-amz-json-1.1``), timestamps
as epoch seconds, blobs in base64. An error is HTTP 400 (500 for a server fault) with the
body ``{"__type": "<code>", "message": "<text>"}``.

Input is validated against the model as AWS validates it (types, required members,
lengths, ranges, patterns, enums) and a broken constraint answers ``ValidationException``
worded as for the Query protocol. Errors raised by services carry Query-protocol codes
where the two protocols differ (``InvalidClientTokenId``, ``AccessDenied``...); this
module renders them with the JSON protocol's names.

iamd speaks it for CloudTrail (2013-11-01).
"""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import json
import math
import threading
from collections.abc import Mapping
from typing import Any

from botocore.loaders import Loader
from botocore.model import ServiceModel, Shape

from . import _validation as msg
from ._patterns import compile_pattern
from .errors import ServiceError

_UTC = datetime.UTC

#: The services iamd speaks with the JSON protocol, and the model version of each.
API_VERSIONS: Mapping[str, str] = {"cloudtrail": "2013-11-01"}

# Query-protocol error codes and what the JSON protocol calls the same error.
_JSON_CODES: Mapping[str, str] = {
    "InvalidClientTokenId": "UnrecognizedClientException",
    "SignatureDoesNotMatch": "InvalidSignatureException",
    "IncompleteSignature": "IncompleteSignatureException",
    "MissingAuthenticationToken": "MissingAuthenticationTokenException",
    "RequestExpired": "InvalidSignatureException",
    "ExpiredToken": "ExpiredTokenException",
    "AccessDenied": "AccessDeniedException",
    "ValidationError": "ValidationException",
    "MalformedInput": "SerializationException",
    "InvalidAction": "UnknownOperationException",
    "NotImplemented": "UnknownOperationException",
    "Throttling": "ThrottlingException",
}


class JsonProtocolError(ServiceError):
    """An error the JSON protocol front end answers by itself (its code is given)."""

    def __init__(self, code: str, message: str = "", status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


def error_code(error: ServiceError) -> str:
    """The JSON protocol's name for ``error``."""
    return _JSON_CODES.get(error.code, error.code)


class JsonService:
    """One service's JSON protocol: operation lookup, input parsing, output and errors."""

    def __init__(self, model: ServiceModel) -> None:
        self.model = model
        self.name: str = model.service_name
        self.api_version: str = model.api_version
        self.target_prefix: str = model.metadata.get("targetPrefix", "")
        # Old SDKs send the short prefix (``CloudTrail_20131101``), new ones the full one.
        self._prefixes = {self.target_prefix, self.target_prefix.rsplit(".", 1)[-1]}
        self.content_type = f"application/x-amz-json-{model.metadata.get('jsonVersion', '1.0')}"
        self._known = frozenset(model.operation_names)

    def __repr__(self) -> str:
        return f"<JsonService {self.name} {self.api_version}>"

    def accepts_target(self, target: str | None) -> bool:
        return bool(target) and target.rpartition(".")[0] in self._prefixes  # type: ignore[union-attr]

    def operation_for(self, target: str | None) -> str:
        """The operation an ``X-Amz-Target`` names; ``UnknownOperationException`` otherwise."""
        prefix, _, name = (target or "").rpartition(".")
        if prefix not in self._prefixes or name not in self._known:
            raise JsonProtocolError("UnknownOperationException")
        return name

    def has_operation(self, name: str) -> bool:
        return name in self._known

    # -- requests ---------------------------------------------------------------------

    def parse_request(self, operation: str, body: bytes) -> dict[str, Any]:
        """The operation's input from the JSON body, validated against the model."""
        shape = self.model.operation_model(operation).input_shape
        try:
            raw = json.loads(body.decode("utf-8")) if body.strip() else {}
        except (UnicodeDecodeError, ValueError, RecursionError):
            # RecursionError: JSON nested deeper than the parser's stack (``[[[[...``); no
            # model shape is nested anywhere near that deep, so it is malformed input.
            raise JsonProtocolError("SerializationException", "Start of structure or map found where not expected.") from None
        if shape is None:
            return {}
        if not isinstance(raw, dict):
            raise JsonProtocolError("SerializationException", "Start of structure or map found where not expected.")
        problems: list[str] = []
        parsed = _parse_structure(shape, raw, "", problems)
        if problems:
            count = len(problems)
            noun = "error" if count == 1 else "errors"
            raise JsonProtocolError(
                "ValidationException", f"{count} validation {noun} detected: " + "; ".join(problems)
            )
        return parsed

    # -- responses --------------------------------------------------------------------

    def serialize_response(self, operation: str, output: Mapping[str, Any] | None) -> bytes:
        shape = self.model.operation_model(operation).output_shape
        if shape is None or output is None:
            return b"{}"
        return json.dumps(_write(shape, output), separators=(",", ":")).encode("utf-8")

    def serialize_error(self, error: ServiceError) -> tuple[bytes, int]:
        code = error_code(error)
        body: dict[str, str] = {"__type": code}
        if error.message:
            body["message"] = error.message
        # JSON-protocol services answer 400 for client errors, but for the HTTP-level
        # refusals that have their own status (AWS's common RequestEntityTooLargeException
        # is 413).
        status = error.status if error.status >= 500 or error.status in (405, 413) else 400
        return json.dumps(body, separators=(",", ":")).encode("utf-8"), status


# -- reading ------------------------------------------------------------------------------

def _serialization_error(path: str, expected: str) -> JsonProtocolError:
    return JsonProtocolError("SerializationException", f"Value at '{path}' is not a valid {expected}.")


def _parse(shape: Shape, raw: Any, path: str, problems: list[str]) -> Any:
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(raw, dict):
            raise _serialization_error(path, "structure")
        return _parse_structure(shape, raw, path + ".", problems)
    if kind == "list":
        if not isinstance(raw, list):
            raise _serialization_error(path, "list")
        items = [_parse(shape.member, item, f"{path}.{i}.member", problems) for i, item in enumerate(raw, 1)
                 if item is not None]
        _check_length(items, len(items), meta, path, problems)
        return items
    if kind == "map":
        if not isinstance(raw, dict):
            raise _serialization_error(path, "map")
        out = {_parse(shape.key, key, f"{path}.key", problems): _parse(shape.value, value, f"{path}.value", problems)
               for key, value in raw.items() if value is not None}
        _check_length(out, len(out), meta, path, problems)
        return out
    if kind == "string":
        if not isinstance(raw, str):
            raise _serialization_error(path, "string")
        sensitive = bool(meta.get("sensitive"))
        _check_length(raw, len(raw), meta, path, problems, sensitive)
        pattern = meta.get("pattern")
        regex = compile_pattern(pattern) if pattern is not None else None
        if regex is not None and regex.fullmatch(raw) is None:
            problems.append(msg.violation(raw, path, msg.pattern(pattern), sensitive))
        if shape.enum and raw not in shape.enum:
            problems.append(msg.violation(raw, path, msg.enum(list(shape.enum)), sensitive))
        return raw
    if kind in ("integer", "long", "short", "byte"):
        if isinstance(raw, bool) or not isinstance(raw, int | float) or (isinstance(raw, float) and not raw.is_integer()):
            raise _serialization_error(path, "integer")
        value = int(raw)
        _check_range(value, meta, path, problems)
        return value
    if kind in ("float", "double"):
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            raise _serialization_error(path, "number")
        _check_range(raw, meta, path, problems)
        return float(raw)
    if kind == "boolean":
        if not isinstance(raw, bool):
            raise _serialization_error(path, "boolean")
        return raw
    if kind == "timestamp":
        return _parse_timestamp(raw, path)
    if kind == "blob":
        if not isinstance(raw, str):
            raise _serialization_error(path, "blob")
        try:
            return base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise _serialization_error(path, "blob") from None
    raise _serialization_error(path, kind)


def _parse_structure(shape: Any, raw: dict[str, Any], prefix: str, problems: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    required = set(shape.required_members)
    for name, member in shape.members.items():
        value = raw.get(name)
        label = prefix + msg.member_label(name)
        if value is None:
            if name in required:
                problems.append(msg.not_null(label))
            continue
        out[name] = _parse(member, value, label, problems)
    return out


def _parse_timestamp(raw: Any, path: str) -> datetime.datetime:
    if isinstance(raw, bool):
        raise _serialization_error(path, "timestamp")
    try:
        if isinstance(raw, int | float):
            if not math.isfinite(raw):
                raise ValueError
            return datetime.datetime.fromtimestamp(raw, _UTC)
        if isinstance(raw, str):
            value = datetime.datetime.fromisoformat(raw)
            return value.astimezone(_UTC) if value.tzinfo is not None else value.replace(tzinfo=_UTC)
    except (ValueError, OverflowError, OSError):
        pass
    raise _serialization_error(path, "timestamp")


def _check_length(value: Any, length: int, meta: Mapping[str, Any], path: str, problems: list[str],
                  sensitive: bool = False) -> None:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and length < low:
        problems.append(msg.violation(value, path, msg.min_length(low), sensitive))
    if high is not None and length > high:
        problems.append(msg.violation(value, path, msg.max_length(high), sensitive))


def _check_range(value: float, meta: Mapping[str, Any], path: str, problems: list[str]) -> None:
    low, high = meta.get("min"), meta.get("max")
    if low is not None and value < low:
        problems.append(msg.violation(value, path, msg.min_value(low)))
    if high is not None and value > high:
        problems.append(msg.violation(value, path, msg.max_value(high)))


# -- writing ------------------------------------------------------------------------------

def _write(shape: Any, value: Any) -> Any:
    kind = shape.type_name
    if kind == "structure":
        return {name: _write(shape.members[name], item) for name, item in value.items()
                if item is not None and name in shape.members}
    if kind == "list":
        return [_write(shape.member, item) for item in value]
    if kind == "map":
        return {str(key): _write(shape.value, item) for key, item in value.items()}
    if kind == "timestamp":
        moment = value if value.tzinfo else value.replace(tzinfo=_UTC)
        seconds = moment.timestamp()
        return int(seconds) if seconds.is_integer() else round(seconds, 3)
    if kind == "blob":
        return base64.b64encode(value).decode("ascii")
    return value


@functools.cache
def _loader() -> Loader:
    return Loader(extra_search_paths=[Loader.BUILTIN_DATA_PATH], include_default_search_paths=False)


_services: dict[str, JsonService] = {}
_lock = threading.Lock()


def load_json_service(name: str) -> JsonService:
    """The JSON protocol of service ``name`` (``cloudtrail``), loaded once per process."""
    service = _services.get(name)
    if service is not None:
        return service
    if name not in API_VERSIONS:
        raise LookupError(f"iamd does not speak the JSON protocol for `{name}`")
    with _lock:
        service = _services.get(name)
        if service is None:
            raw = _loader().load_service_model(name, "service-2", API_VERSIONS[name])
            service = JsonService(ServiceModel(raw, service_name=name))
            _services[name] = service
        return service
