"""The AWS Query protocol, driven by botocore's service models.

A Query request is a form (``Action=CreateUser&Version=2010-05-08&UserName=bob``, in a POST
body or a query string); its response is an XML document in the service's namespace. One
generic reader and one generic writer cover every operation of a model: each operation's
input and output shapes are compiled into plans the first time the operation is used (or all
at once by ``QueryService.prepare``), so a request never walks botocore's shape objects.

IAM (2010-05-08) and STS (2011-06-15) are the services iamd speaks this way.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.loaders import Loader
from botocore.model import ServiceModel

from ._request import InputCompiler, build_tree
from ._request import _Structure as _InputStructure
from ._response import OutputCompiler, OutputShapeError, escape
from ._response import _Structure as _OutputStructure
from ._validation import validation_error
from .errors import InvalidAction, ServiceError

#: The services iamd speaks with the Query protocol, and the model version of each.
API_VERSIONS: Mapping[str, str] = {"iam": "2010-05-08", "sts": "2011-06-15"}

# IAM returns policy documents URL-encoded; botocore's ``json_decode_policies`` undoes it
# for every member of this shape.
_URL_ENCODED_SHAPES: Mapping[str, tuple[str, ...]] = {"iam": ("policyDocumentType",)}

_NO_INPUT = _InputStructure()


class _ResponsePlan:
    __slots__ = ("head", "result", "tail")

    def __init__(self, head: str, result: tuple[str, str, _OutputStructure] | None,
                 tail: str) -> None:
        self.head = head
        self.result = result
        self.tail = tail


class QueryService:
    """One service's Query protocol: request parsing, response and error documents."""

    def __init__(self, model: ServiceModel, url_encoded_shapes: Sequence[str] = ()) -> None:
        self.model = model
        self.name: str = model.service_name
        self.api_version: str = model.api_version
        self.xml_namespace: str = model.metadata["xmlNamespace"]
        self._names: tuple[str, ...] = tuple(model.operation_names)
        self._known = frozenset(self._names)
        self._inputs: dict[str, _InputStructure] = {}
        self._outputs: dict[str, _ResponsePlan] = {}
        self._input_compiler = InputCompiler()
        self._output_compiler = OutputCompiler(url_encoded_shapes)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<QueryService {self.name} {self.api_version}>"

    @property
    def operation_names(self) -> list[str]:
        return list(self._names)

    def has_operation(self, action: str) -> bool:
        return action in self._known

    def prepare(self) -> None:
        """Compile every operation's plans now instead of at its first request."""
        for name in self._names:
            self._input_plan(name)
            self._response_plan(name)

    # -- requests ---------------------------------------------------------------------

    def parse_request(self, action: str, form: Mapping[str, Sequence[str] | str]) -> dict[str, Any]:
        """Read the operation's input from the request's form fields, and validate it.

        ``form`` holds every decoded field of the request (parse it with
        ``keep_blank_values=True``: ``Tags=`` is an empty list and ``Path=`` must fail
        validation, not vanish); ``Action``, ``Version``, the ``X-Amz-*`` fields and any
        field the model does not know are ignored. A ``Version`` other than the model's is
        an unknown operation, as it is for AWS.

        Returns the input keyed by member name, as boto3 takes it: lists from ``member.N``
        in index order, maps from ``entry.N.key``/``entry.N.value``, integers as ``int``,
        booleans as ``bool``, timestamps as aware UTC datetimes (from ISO 8601 or epoch
        seconds), blobs as ``bytes``.

        Raises ``InvalidAction`` for an operation the model lacks, ``MalformedInput`` for a
        value that cannot be read as its type, and ``ValidationError`` for broken
        constraints (required, length, range, pattern, enum), worded as AWS words them.
        """
        version = form.get("Version")
        if version is not None and not isinstance(version, str):
            version = version[0] if version else None
        if action not in self._known or (version is not None and version != self.api_version):
            raise InvalidAction(
                f"Could not find operation {action} for version {version or self.api_version}"
            )
        plan = self._inputs.get(action) or self._input_plan(action)
        if plan is _NO_INPUT:
            return {}
        problems: list[str] = []
        params = plan.parse_members(build_tree(form), "", problems)
        if problems:
            raise validation_error(problems)
        return params

    def _input_plan(self, action: str) -> _InputStructure:
        with self._lock:
            plan = self._inputs.get(action)
            if plan is None:
                shape = self.model.operation_model(action).input_shape
                plan = _NO_INPUT if shape is None else self._input_compiler.structure(shape)
                self._inputs[action] = plan
            return plan

    # -- responses --------------------------------------------------------------------

    def serialize_response(
        self, action: str, output: Mapping[str, Any] | None, request_id: str
    ) -> bytes:
        """The XML document of a successful call.

        Raises ``OutputShapeError`` when ``output`` does not fit the operation's output
        shape (an unknown key, a value of the wrong type), and for an unknown operation.
        """
        if action not in self._known:
            raise OutputShapeError(f"{self.name} has no operation {action}")
        plan = self._outputs.get(action) or self._response_plan(action)
        out = [plan.head]
        if plan.result is not None:
            result_open, result_close, writer = plan.result
            out.append(result_open)
            if output is not None:
                writer.write_members(output, out)
            out.append(result_close)
        elif output:
            raise OutputShapeError(f"{action} has no output, got {sorted(output)}")
        out.append("<ResponseMetadata><RequestId>")
        out.append(escape(request_id))
        out.append(plan.tail)
        return "".join(out).encode("utf-8")

    def _response_plan(self, action: str) -> _ResponsePlan:
        with self._lock:
            plan = self._outputs.get(action)
            if plan is None:
                shape = self.model.operation_model(action).output_shape
                result = None
                if shape is not None:
                    wrapper = shape.serialization.get("resultWrapper", f"{action}Result")
                    writer = self._output_compiler.structure(shape)
                    result = (f"<{wrapper}>", f"</{wrapper}>", writer)
                plan = _ResponsePlan(
                    f'<{action}Response xmlns="{self.xml_namespace}">',
                    result,
                    f"</RequestId></ResponseMetadata></{action}Response>",
                )
                self._outputs[action] = plan
            return plan

    def serialize_error(self, error: ServiceError, request_id: str) -> tuple[bytes, int]:
        """The ``<ErrorResponse>`` document of a failed call, and its HTTP status."""
        message = (
            f"<Message>{escape(error.message)}</Message>" if error.message else ""
        )
        body = (
            f'<ErrorResponse xmlns="{self.xml_namespace}">'
            f"<Error><Type>{error.fault_type}</Type><Code>{escape(error.code)}</Code>"
            f"{message}</Error>"
            f"<RequestId>{escape(request_id)}</RequestId>"
            "</ErrorResponse>"
        )
        return body.encode("utf-8"), error.status


@functools.cache
def _loader() -> Loader:
    # Only botocore's bundled models: a model in ~/.aws/models must not change the wire.
    return Loader(extra_search_paths=[Loader.BUILTIN_DATA_PATH],
                  include_default_search_paths=False)


_services: dict[str, QueryService] = {}
_services_lock = threading.Lock()


def load_service(name: str) -> QueryService:
    """The Query protocol of service ``name`` (``iam`` or ``sts``), loaded once per process."""
    service = _services.get(name)
    if service is not None:
        return service
    if name not in API_VERSIONS:
        raise LookupError(f"iamd does not speak the Query protocol for `{name}`")
    with _services_lock:
        service = _services.get(name)
        if service is None:
            raw = _loader().load_service_model(name, "service-2", API_VERSIONS[name])
            model = ServiceModel(raw, service_name=name)
            service = QueryService(model, _URL_ENCODED_SHAPES.get(name, ()))
            _services[name] = service
        return service


def find_service_for_action(action: str) -> QueryService | None:
    """The service whose model has operation ``action``, for requests whose SigV4 scope
    does not name one. IAM's and STS's operation names do not overlap."""
    for name in API_VERSIONS:
        service = load_service(name)
        if service.has_operation(action):
            return service
    return None
