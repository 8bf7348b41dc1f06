"""The table of implemented operations and what every handler receives.

A handler is a plain function ``(context, params) -> output``: ``params`` is the input
shape parsed by the protocol layer (a dict keyed by member name) and ``output`` is the
output shape as a dict, or None for operations without output. Handlers register with
``@operation("iam", "CreateUser")``; an operation of the service model with no handler is
not implemented, and the server answers so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from iamd.services.caller import Caller
from iamd.services.crypto import SecretBox
from iamd.services.iam.quotas import Quotas
from iamd.services.runtime import Runtime
from iamd.store import Database

if TYPE_CHECKING:
    from iamd.services.authz import Authorizer

Params = Mapping[str, Any]
Output = dict[str, Any] | None


@dataclass
class OperationContext:
    """Everything a handler may use: the caller, the store, secrets, time and randomness."""

    caller: Caller
    db: Database
    box: SecretBox
    runtime: Runtime
    request_id: str
    source_ip: str = "127.0.0.1"
    user_agent: str = ""
    secure_transport: bool = False
    quotas: Quotas = field(default_factory=Quotas)
    # The server's authorizer, for operations that decide authorization themselves
    # (AssumeRole evaluates the role's trust policy with the caller's own policies).
    authorizer: Authorizer | None = None
    extras: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[OperationContext, Params], Output]

_HANDLERS: dict[tuple[str, str], Handler] = {}


def operation(service: str, name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        key = (service, name)
        if key in _HANDLERS:
            raise RuntimeError(f"operation {service}:{name} registered twice")
        _HANDLERS[key] = handler
        return handler

    return register


def handler_for(service: str, name: str) -> Handler | None:
    _load_all()
    return _HANDLERS.get((service, name))


def implemented(service: str) -> set[str]:
    _load_all()
    return {name for (svc, name) in _HANDLERS if svc == service}


def _load_all() -> None:
    # The API modules register their handlers when imported.
    from iamd.services import api  # noqa: F401
