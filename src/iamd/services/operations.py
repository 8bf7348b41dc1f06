"""What every operation handler receives and returns, and how it names its operation.

A handler is a plain function ``(context, params) -> output``: ``params`` is the input
shape parsed by the protocol layer (a dict keyed by member name) and ``output`` is the
output shape as a dict, or None for operations without output. A handler says which AWS
operations it serves with ``@operation("iam", "CreateUser")``; the decorator only labels
the function. The table of implemented operations is built at the edge
(``iamd.server.operations``) from the API modules it lists, so no module of
``iamd.services`` imports all the others. An operation of the service model with no
handler is not implemented, and the server answers so.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from iamd.services.caller import Caller, CallerPolicies
from iamd.services.crypto import SecretBox
from iamd.services.quotas import Quotas
from iamd.services.runtime import Runtime
from iamd.store import Database, UnitOfWork

Params = Mapping[str, Any]
Output = dict[str, Any] | None


class PolicyLoader(Protocol):
    """What a handler that decides authorization itself needs of the server's authorizer."""

    def caller_policies(self, unit: UnitOfWork, caller: Caller) -> CallerPolicies: ...


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
    authorizer: PolicyLoader | None = None
    extras: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[OperationContext, Params], Output]

# The attribute under which ``operation`` records what a handler serves.
_SERVES = "__iamd_operations__"


def operation(service: str, name: str) -> Callable[[Handler], Handler]:
    """Label a handler as serving ``service:name`` (a handler may serve several)."""

    def label(handler: Handler) -> Handler:
        served: tuple[tuple[str, str], ...] = getattr(handler, _SERVES, ())
        setattr(handler, _SERVES, (*served, (service, name)))
        return handler

    return label


def served_by(handler: object) -> tuple[tuple[str, str], ...]:
    """The ``(service, operation)`` pairs a handler was labelled with, if any."""
    if not callable(handler):
        return ()
    served: tuple[tuple[str, str], ...] = getattr(handler, _SERVES, ())
    return served
