"""The result of an authorization: a :class:`Decision` and its :class:`Trace`.

A denial is a value, not an exception. ``Decision.effect`` is cheap; the detailed
``trace`` (every statement considered, why it matched or not, a summary per policy
type, the context keys the conditions wanted but the request lacked) is computed on
first access by re-running the same evaluation with tracing on, so the hot path pays
nothing for it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .document import Position
    from .evaluation import Request

Effect = Literal["Allow", "ExplicitDeny", "ImplicitDeny"]
ALLOW: Effect = "Allow"
EXPLICIT_DENY: Effect = "ExplicitDeny"
IMPLICIT_DENY: Effect = "ImplicitDeny"

# The policy types, in the order traces list them.
POLICY_TYPES = ("scp", "rcp", "endpoint", "resource", "identity", "boundary", "session")
TYPE_NAMES = {
    "scp": "service control policies",
    "rcp": "resource control policies",
    "endpoint": "VPC endpoint policy",
    "resource": "resource-based policy",
    "identity": "identity policies",
    "boundary": "permissions boundary",
    "session": "session policy",
}


@dataclass(frozen=True, slots=True)
class StatementResult:
    """How one statement read the request.

    ``outcome`` is ``"matched"`` (the statement applies), ``"not-matched"`` or
    ``"unknown"`` (a condition could not be evaluated: an Allow then does not apply and
    a Deny does). ``policy_type`` is where the policy was passed to ``evaluate``
    (``identity``, ``resource``, ``scp`` ...); ``level`` is the organization level for
    SCPs and RCPs. ``grant`` says how a resource policy's ``Principal`` named the
    caller (``exact``, ``role``, ``account``, ``any``).
    """

    policy_name: str
    policy_type: str
    index: int
    sid: str | None
    effect: str
    outcome: str
    reason: str
    start: Position | None = None
    end: Position | None = None
    level: int | None = None
    grant: str | None = None

    @property
    def applies(self) -> bool:
        if self.outcome == "matched":
            return True
        return self.outcome == "unknown" and self.effect == "Deny"

    def describe(self) -> str:
        sid = f"`{self.sid}` " if self.sid else ""
        return f"statement {sid}(index {self.index}) of policy `{self.policy_name}`"


@dataclass(frozen=True, slots=True)
class PolicyTypeSummary:
    """One policy type's verdict: ``Allow``, ``ExplicitDeny``, ``ImplicitDeny`` or
    ``NotApplicable`` (no policy of this type takes part in the request)."""

    policy_type: str
    outcome: str
    statements: tuple[StatementResult, ...] = ()


@dataclass(frozen=True, slots=True)
class Trace:
    """Everything the evaluation looked at, for the simulator, the console and logs."""

    effect: Effect
    reason: str
    decisive: tuple[StatementResult, ...]
    summaries: dict[str, PolicyTypeSummary]
    statements: tuple[StatementResult, ...]
    missing_context_keys: tuple[str, ...]
    service_rule: str | None = None
    notes: tuple[str, ...] = field(default=())


class Decision:
    """The answer to one request: ``effect`` plus a lazily built :class:`Trace`."""

    __slots__ = ("_trace", "_tracer", "effect", "request")

    def __init__(self, effect: Effect, request: Request,
                 tracer: Callable[[], Trace] | None = None, trace: Trace | None = None):
        self.effect: Effect = effect
        self.request = request
        self._tracer = tracer
        self._trace = trace

    @property
    def allowed(self) -> bool:
        return self.effect == ALLOW

    @property
    def trace(self) -> Trace:
        if self._trace is None:
            assert self._tracer is not None
            self._trace = self._tracer()
            self._tracer = None
        return self._trace

    @property
    def matched_statements(self) -> tuple[StatementResult, ...]:
        """The statements that decided the request (denies for a deny, allows for an allow)."""
        return self.trace.decisive

    @property
    def missing_context_keys(self) -> tuple[str, ...]:
        return self.trace.missing_context_keys

    def explain(self) -> str:
        """Plain sentences: the verdict, then the deciding statements and missing keys."""
        trace = self.trace
        lines = [trace.reason]
        if trace.effect == ALLOW:
            for st in trace.decisive:
                lines.append(f"allowed by {st.describe()}")
        if trace.missing_context_keys:
            keys = ", ".join(f"`{k}`" for k in trace.missing_context_keys)
            lines.append(f"the request lacked context keys the conditions read: {keys}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Decision({self.effect!r})"
