"""Every input and output shape of the IAM and STS models survives a trip through botocore.

Inputs: generated params -> botocore's own Query serializer -> form body -> ``parse_request``
must give back the params. Outputs: generated output -> ``serialize_response`` -> botocore's
own Query parser (plus the IAM policy-document handler every boto3 client runs) must give
back the output. The generator respects the model's constraints, so ``parse_request`` also
proves that valid input passes validation.
"""

from __future__ import annotations

import datetime
import json
import random
import string
import zlib
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
from botocore.handlers import json_decode_policies
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.parsers import create_parser
from botocore.serialize import create_serializer

from iamd.protocol import QueryService, load_service
from iamd.protocol._patterns import compile_pattern

# A made-up Query service with what IAM and STS never use: locationName, flattened lists
# and maps, custom map key/value names, doubles, longs, timestamps and blobs in inputs, and a
# recursive structure.
EXAMPLE_MODEL: dict[str, Any] = {
    "metadata": {
        "apiVersion": "2020-01-01", "endpointPrefix": "example", "protocol": "query",
        "serviceId": "Example", "signatureVersion": "v4",
        "xmlNamespace": "https://example.amazonaws.com/doc/2020-01-01/",
    },
    "operations": {
        "Echo": {
            "name": "Echo", "http": {"method": "POST", "requestUri": "/"},
            "input": {"shape": "Everything"},
            "output": {"shape": "Everything", "resultWrapper": "EchoResult"},
        },
        "Ping": {"name": "Ping", "http": {"method": "POST", "requestUri": "/"}},
    },
    "shapes": {
        "Everything": {"type": "structure", "required": ["Name"], "members": {
            "Name": {"shape": "Str", "locationName": "name_on_wire"},
            "Items": {"shape": "FlatNamedList"},
            "Plain": {"shape": "FlatList"},
            "Named": {"shape": "NamedList"},
            "Attrs": {"shape": "NamedMap"},
            "FlatAttrs": {"shape": "FlatMap"},
            "When": {"shape": "Time"},
            "Ratio": {"shape": "Double"},
            "Count": {"shape": "Long"},
            "Data": {"shape": "Bytes"},
            "Flag": {"shape": "Bool"},
            "Tree": {"shape": "Node"},
            "Structs": {"shape": "NodeList"},
        }},
        "Node": {"type": "structure", "required": ["Value"], "members": {
            "Value": {"shape": "Str"},
            "Children": {"shape": "NodeList"},
        }},
        "NodeList": {"type": "list", "member": {"shape": "Node"}, "max": 2},
        "FlatNamedList": {"type": "list", "member": {"shape": "Str", "locationName": "Item"},
                          "flattened": True},
        "FlatList": {"type": "list", "member": {"shape": "Str"}, "flattened": True},
        "NamedList": {"type": "list", "member": {"shape": "Str", "locationName": "Thing"}},
        "NamedMap": {"type": "map", "key": {"shape": "Str", "locationName": "Name"},
                     "value": {"shape": "Str", "locationName": "Val"}},
        "FlatMap": {"type": "map", "key": {"shape": "Str"}, "value": {"shape": "Long"},
                    "flattened": True},
        "Str": {"type": "string", "min": 1, "max": 30},
        "Time": {"type": "timestamp"},
        "Double": {"type": "double"},
        "Long": {"type": "long"},
        "Bytes": {"type": "blob"},
        "Bool": {"type": "boolean"},
    },
}
EXAMPLE = QueryService(ServiceModel(EXAMPLE_MODEL, service_name="example"))
SERVICES = ("iam", "sts", "example")


def _service(name: str) -> QueryService:
    return EXAMPLE if name == "example" else load_service(name)
# Characters that stress escaping on both wires: XML specials, form specials, whitespace
# (XML parsers drop a bare \r), and non-ASCII up to the astral planes.
TRICKY = "&<>\"'%+=;?# \t\r\n/\\é中😀"
POLICY_SHAPE = "policyDocumentType"
UTC = datetime.UTC


class Generator:
    """Valid values for any botocore shape, from a seeded random source."""

    _candidates = (
        "/", "/a/", "/path/to/", "a", "abc", "Abc1", "123456789012", "o-abcdefghij",
        "o-abcdefghij/r-abcd/", "p-abcdefgh", "v1", "v2.abc", "https://example.com/x",
        "http://example.com", "arn:aws:iam::123456789012:role/x", "AKIAIOSFODNN7EXAMPLE",
        "bob@example.com", "a-b", "ab--cd", "x" * 20,
        "arn:aws:iam::123456789012:workload-identity-template/x", "{tenant}/app",
    )

    def __init__(self, seed: int, mode: str) -> None:
        # "full" sets every optional member, "minimal" only required ones, "random" some.
        self.rng = random.Random(seed)
        self.full = mode == "full"
        self.optional = {"full": 1.0, "random": 0.4, "minimal": 0.0}[mode]
        self._alphabets: dict[str, str] = {}

    def value(self, shape: Shape, *, url_encoded: bool = False, depth: int = 0) -> Any:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            return self.structure(shape, depth)
        if kind == "list":
            count = self._count(meta)
            return [self.value(shape.member, depth=depth + 1) for _ in range(count)]
        if kind == "map":
            # At least one entry: the Query protocol cannot spell an empty map.
            count = max(self._count(meta), 1)
            out: dict[Any, Any] = {}
            for _ in range(count * 3):
                if len(out) == count:
                    break
                out[self.value(shape.key)] = self.value(shape.value, depth=depth + 1)
            return out
        if kind == "string":
            if shape.name == POLICY_SHAPE:
                return self.policy()
            return self.string(shape)
        if kind in ("integer", "long"):
            low = meta.get("min", -1000 if kind == "integer" else -(2**40))
            high = meta.get("max", 100_000 if kind == "integer" else 2**40)
            return self.rng.randint(low, high)
        if kind in ("double", "float"):
            return self.rng.uniform(-1e6, 1e6)
        if kind == "boolean":
            return self.rng.random() < 0.5
        if kind == "timestamp":
            seconds = self.rng.randint(0, 4_000_000_000)
            millis = self.rng.choice((0, self.rng.randint(1, 999)))
            return datetime.datetime.fromtimestamp(seconds, UTC).replace(microsecond=millis * 1000)
        if kind == "blob":
            return self.rng.randbytes(self.rng.randint(max(meta.get("min", 0), 1), 48))
        raise AssertionError(f"no generator for {kind}")

    def structure(self, shape: Any, depth: int) -> dict[str, Any]:
        members = shape.members
        if shape.is_tagged_union:
            name = self.rng.choice(list(members))
            return {name: self.value(members[name], depth=depth + 1)}
        required = set(shape.required_members)
        out = {}
        for name, member in members.items():
            if name in required or (depth < 6 and self.rng.random() < self.optional):
                out[name] = self.value(member, depth=depth + 1)
        if not out and members:
            # An empty structure has no Query spelling at all; give it one member.
            name = self.rng.choice(list(members))
            out[name] = self.value(members[name], depth=depth + 1)
        return out

    def _count(self, meta: dict[str, Any]) -> int:
        low = int(meta.get("min", 0))
        high = min(int(meta.get("max", 3)), 3)
        if self.full:
            return max(low, min(high, 2))
        return self.rng.randint(low, max(low, high))

    def policy(self) -> str:
        statement = {"Effect": "Allow", "Action": "s3:GetObject",
                     "Resource": f"arn:aws:s3:::b{self.rng.randint(0, 99)}/*",
                     "Sid": self.rng.choice(("a b", "x&y<z>", "c+d=e%25", "é"))}
        return json.dumps({"Version": "2012-10-17", "Statement": [statement]})

    def string(self, shape: Shape) -> str:
        meta = shape.metadata
        if shape.enum:
            return str(self.rng.choice(shape.enum))
        low = meta.get("min", 0)
        high = min(meta.get("max", 24), max(low, 24))
        pattern = meta.get("pattern")
        regex = compile_pattern(pattern) if pattern else None
        alphabet = self._alphabet(pattern, regex)
        for _ in range(20):
            if alphabet:
                length = self.rng.randint(max(low, 1 if regex else 0), max(low, high))
                text = "".join(self.rng.choice(alphabet) for _ in range(length))
            else:
                text = self._fit(self.rng.choice(self._candidates), low, high)
            if (regex is None or regex.fullmatch(text)) and low <= len(text) <= meta.get(
                "max", len(text)
            ) and _iam_accepts(shape, text):
                return text
        for candidate in self._candidates:
            for text in (candidate, self._fit(candidate, low, high), "1" * max(low, 12)):
                if (regex is None or regex.fullmatch(text)) and low <= len(text) <= meta.get(
                    "max", len(text)
                ) and _iam_accepts(shape, text):
                    return text
        raise AssertionError(f"cannot generate a value for {shape.name}: {pattern!r}")

    def _alphabet(self, pattern: str | None, regex: Any) -> str:
        if regex is None:
            return string.ascii_letters + string.digits + TRICKY
        assert pattern is not None
        cached = self._alphabets.get(pattern)
        if cached is None:
            # Patterns that are one repeated character class accept strings of any of
            # the characters they accept alone; other patterns use the candidate list.
            pool = string.printable + TRICKY + "ÿ¡ü"
            accepted = "".join(sorted({c for c in pool if regex.fullmatch(c)}))
            repeated = bool(accepted) and all(
                regex.fullmatch(c * 3) for c in accepted
            )
            cached = self._alphabets[pattern] = accepted if repeated else ""
        return cached

    @staticmethod
    def _fit(text: str, low: int, high: int) -> str:
        while len(text) < low:
            text += text
        return text[: max(low, min(len(text), high))]


def _iam_accepts(shape: Shape, text: str) -> bool:
    """IAM's own checks beyond the model: a path has no empty segment (``//``)."""
    return shape.name != "pathType" or "//" not in text


def _operations() -> Iterator[tuple[str, str]]:
    for name in SERVICES:
        for action in _service(name).operation_names:
            yield name, action


OPERATIONS = list(_operations())
VARIANTS = [("full", 0), ("random", 1), ("random", 2), ("minimal", 3)]


def _generator(variant: str, seed: int, action: str) -> Generator:
    return Generator(zlib.crc32(f"{action}/{seed}".encode()), variant)


def _without_empty_maps(value: Any, shape: Shape) -> Any:
    """botocore writes an empty map as nothing at all, so it reads back as absent."""
    if shape.type_name == "structure":
        members = shape.members
        return {
            key: _without_empty_maps(item, members[key])
            for key, item in value.items()
            if not (members[key].type_name == "map" and not item)
        }
    if shape.type_name == "list":
        return [_without_empty_maps(item, shape.member) for item in value]
    if shape.type_name == "map":
        return {k: _without_empty_maps(v, shape.value) for k, v in value.items()}
    return value


def _policies_decoded(value: Any, shape: Shape) -> Any:
    """What boto3 users see of an IAM output: policy documents as JSON objects."""
    if shape.type_name == "structure":
        members = shape.members
        out = {}
        for key, item in value.items():
            member = members[key]
            if member.type_name == "string" and member.name == POLICY_SHAPE:
                out[key] = json.loads(item)
            else:
                out[key] = _policies_decoded(item, member)
        return out
    if shape.type_name == "list":
        return [_policies_decoded(item, shape.member) for item in value]
    return value


def _form(params: dict[str, Any], operation: OperationModel) -> dict[str, list[str]]:
    request = create_serializer("query").serialize_to_request(params, operation)
    # Encoded the way botocore's AWSRequest prepares a dict body.
    body = urlencode(list(request["body"].items()), doseq=True)
    return parse_qs(body, keep_blank_values=True, strict_parsing=True)


def test_every_operation_is_covered() -> None:
    counts = {name: len(_service(name).operation_names) for name in SERVICES}
    assert len(OPERATIONS) == sum(counts.values())
    assert counts["iam"] > 150 and counts["sts"] > 10


@pytest.mark.parametrize(("service_name", "action"), OPERATIONS)
def test_input_round_trips_from_botocore_serializer(service_name: str, action: str) -> None:
    service = _service(service_name)
    operation = service.model.operation_model(action)
    shape = operation.input_shape
    for variant, seed in VARIANTS:
        gen = _generator(variant, seed, action)
        params = gen.structure(shape, 0) if shape is not None else {}
        parsed = service.parse_request(action, _form(params, operation))
        expected = _without_empty_maps(params, shape) if shape is not None else {}
        assert parsed == expected, (variant, params)


@pytest.mark.parametrize(("service_name", "action"), OPERATIONS)
def test_output_round_trips_to_botocore_parser(service_name: str, action: str) -> None:
    service = _service(service_name)
    operation = service.model.operation_model(action)
    shape = operation.output_shape
    for variant, seed in VARIANTS:
        gen = _generator(variant, seed, action)
        output = gen.structure(shape, 0) if shape is not None else None
        request_id = f"req-{variant}-{seed}"
        body = service.serialize_response(action, output, request_id)
        parsed = create_parser("query").parse(
            {"body": body, "headers": {}, "status_code": 200}, shape
        )
        if service_name == "iam":
            json_decode_policies(parsed, operation)
        metadata = parsed.pop("ResponseMetadata")
        assert metadata["RequestId"] == request_id
        if shape is None:
            assert parsed == {}
        else:
            assert parsed == _policies_decoded(output, shape), (variant, body)
