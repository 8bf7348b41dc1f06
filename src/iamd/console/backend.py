"""What the console needs from the server that mounts it, as plain interfaces.

The console never imports the server: the server hands it a ``Backend`` whose
``operations`` run IAM operations exactly as the API does (the same validation, the same
authorizer, the same audit log). A refusal arrives as ``OperationError`` carrying the
operation's AWS error code and message.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from iamd.services.audit import AuditSink
from iamd.services.caller import Caller
from iamd.services.crypto import SecretBox
from iamd.services.operations import OperationContext
from iamd.services.runtime import Runtime
from iamd.store import Database

Params = Mapping[str, str | Sequence[str]]


class OperationError(Exception):
    """An operation answered an AWS error."""

    def __init__(self, code: str, message: str, status: int) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.status = status


@dataclass(frozen=True)
class Client:
    """The browser behind a console request, for the audit log."""

    source_ip: str
    user_agent: str
    secure: bool = False


class Operations(Protocol):
    def call(self, caller: Caller, service: str, action: str, params: Params, client: Client) -> dict[str, Any]:
        """Run one operation for ``caller``; raises ``OperationError``. ``params`` are the
        operation's Query-protocol fields (``PolicyArns.member.1`` and so on)."""
        ...

    def call_json(self, caller: Caller, service: str, action: str, body: Mapping[str, Any], client: Client) -> dict[str, Any]:
        """Run one operation of a JSON-protocol API (CloudTrail's LookupEvents) with its
        request document ``body``; raises ``OperationError``."""
        ...

    def allowed(self, caller: Caller, service: str, action: str, params: Params) -> bool:
        """Whether the authorizer would allow the call (to hide controls that would fail)."""
        ...

    def authorize(self, caller: Caller, service: str, action: str, params: Params) -> None:
        """Raise the ``OperationError`` the authorizer's refusal of the call would answer."""
        ...

    def run(
        self, caller: Caller, service: str, action: str, params: Params, client: Client,
        work: Callable[[OperationContext], dict[str, Any] | None],
    ) -> dict[str, Any]:
        """A console-only step that AWS authorizes and logs as operation ``action`` (a
        security key's registration is EnableMFADevice): authorized as ``action`` for
        ``params``, then ``work`` runs in the place of the operation's handler, and the
        call is audited as ``action``."""
        ...


@dataclass(frozen=True)
class Backend:
    db: Database
    box: SecretBox
    runtime: Runtime
    audit: AuditSink
    operations: Operations
