"""The JSON protocol (CloudTrail): hostile bodies are client errors with JSON answers."""

from __future__ import annotations

import json

import pytest

from iamd.protocol.errors import ValidationError
from iamd.protocol.json_protocol import JsonProtocolError, load_json_service


def lookup(body: bytes) -> JsonProtocolError:
    with pytest.raises(JsonProtocolError) as info:
        load_json_service("cloudtrail").parse_request("LookupEvents", body)
    return info.value


@pytest.mark.parametrize("depth", [1_000, 100_000])
def test_deeply_nested_json_is_a_serialization_error(depth: int) -> None:
    for body in ("[" * depth + "]" * depth, '{"a":' * depth + "1" + "}" * depth,
                 '{"LookupAttributes":' + "[" * depth + "]" * depth + "}"):
        error = lookup(body.encode())
        assert error.code == "SerializationException"
        assert error.status == 400


def test_numbers_with_thousands_of_digits_are_client_errors() -> None:
    assert lookup(b'{"MaxResults": ' + b"9" * 5000 + b"}").code == "SerializationException"
    assert lookup(b'{"MaxResults": ' + b"9" * 4000 + b"}").code == "ValidationException"
    assert lookup(b'{"StartTime": ' + b"9" * 4000 + b"}").code == "SerializationException"
    assert lookup(b'{"MaxResults": NaN}').code == "SerializationException"


def test_errors_are_json_whatever_the_message_holds() -> None:
    service = load_json_service("cloudtrail")
    body, status = service.serialize_error(ValidationError("bad \x00 \ud800 value"))
    assert status == 400
    assert json.loads(body) == {"__type": "ValidationException", "message": "bad \x00 \ud800 value"}
