"""What the console needs from the server that mounts it, as plain interfaces.

The console never imports the server: the server hands it a ``Backend`` whose
``operations`` run IAM operations exactly as the API does (the same validation, the same
authorizer, the same audit log). A refusal arrives as ``OperationError`` carrying the
operation's AWS error code and message.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from iamd.services.audit import AuditSink
from iamd.services.caller import Caller
from iamd.services.crypto import SecretBox
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

    def allowed(self, caller: Caller, service: str, action: str, params: Params) -> bool:
        """Whether the authorizer would allow the call (to hide controls that would fail)."""
        ...


@dataclass(frozen=True)
class Backend:
    db: Database
    box: SecretBox
    runtime: Runtime
    audit: AuditSink
    operations: Operations
