"""The AWS IAM policy language: parsing, validation and evaluation.

``parse`` turns a JSON policy document into a compiled :class:`Policy` (raising
:class:`MalformedPolicyDocument` with AWS's messages); ``evaluate`` decides a
:class:`Request` against a principal's policies with AWS's policy evaluation logic and
returns a :class:`Decision` whose trace names the statements that decided it.
Pure Python, standard library only: no I/O, no clock.
"""

from .arn import Arn, parse_arn
from .decision import Decision, PolicyTypeSummary, StatementResult, Trace
from .document import Policy, Position, Statement, parse
from .errors import MalformedPolicyDocument, PolicySizeExceeded
from .evaluation import PolicySet, Request, evaluate
from .keys import condition_keys

__all__ = [
    "Arn",
    "Decision",
    "MalformedPolicyDocument",
    "Policy",
    "PolicySet",
    "PolicySizeExceeded",
    "PolicyTypeSummary",
    "Position",
    "Request",
    "Statement",
    "StatementResult",
    "Trace",
    "condition_keys",
    "evaluate",
    "parse",
    "parse_arn",
]
