"""AWS wire protocols, driven by botocore's service models.

``iamd.protocol.query`` implements the AWS Query protocol that IAM and STS speak: it reads a
request's form fields into the operation's input (validated as AWS validates it) and writes
the XML response or error document. ``iamd.protocol.errors`` holds one class per AWS error
code; services raise them and only this package renders them.
"""

from ._response import OutputShapeError
from .query import API_VERSIONS, QueryService, find_service_for_action, load_service

__all__ = [
    "API_VERSIONS",
    "OutputShapeError",
    "QueryService",
    "find_service_for_action",
    "load_service",
]
