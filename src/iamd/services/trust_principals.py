"""Principals of trust policies are kept by unique id, as AWS keeps them.

When a trust policy names an IAM user or role (``arn:aws:iam::111122223333:user/alice``),
AWS resolves it to the entity's unique id (``AIDA...``/``AROA...``) and stores that. While
the entity exists, GetRole shows its ARN again; once it is deleted, GetRole shows the bare
unique id, and a new user named ``alice`` is a different principal that the policy does
not name. A principal that does not exist when the policy is written is refused with
``MalformedPolicyDocument`` "Invalid principal in policy".

``bind`` turns a document as written into the stored form; ``render`` turns the stored
form back into what AWS shows and evaluates: ARNs for entities that still exist, unique
ids (which match no caller) for those that do not. The document's own formatting is kept:
only the quoted principal strings change.
"""

from __future__ import annotations

import json
import re
from typing import Any

from iamd.policy.document import statement_objects
from iamd.protocol.errors import MalformedPolicyDocument
from iamd.services import arns
from iamd.store import UnitOfWork

# An IAM user or role ARN with no wildcard: the principals AWS binds to unique ids.
_ENTITY_ARN = re.compile(r"arn:([a-z-]+):iam::(\d{12}):(user|role)(/(?:[^*?\"]*/)?)([\w+=,.@-]+)")
_UNIQUE_ID = re.compile(r'"(A(?:IDA|ROA)[A-Z0-9]{12,124})"')
_KIND = {"AIDA": "user", "AROA": "role"}


def bind(unit: UnitOfWork, document: str) -> str:
    """The stored form of a trust policy: every user or role principal replaced by the
    unique id of the entity it names; a principal that names nothing is refused."""
    named = _entity_principals(document)
    if not named:
        return document
    bound = document
    for arn in named:
        match = _ENTITY_ARN.fullmatch(arn)
        assert match is not None
        partition, account, kind, path, name = match.groups()
        info = unit.lookup.by_name(account, kind, name)
        if info is None or info.path != path or _partition_of(unit, account) != partition:
            raise MalformedPolicyDocument(f'Invalid principal in policy: "AWS":"{arn}"')
        quoted = json.dumps(arn)
        if quoted not in bound:
            # The ARN was written with JSON escapes: re-serialise so it can be replaced.
            bound = json.dumps(json.loads(bound))
        bound = bound.replace(quoted, json.dumps(info.id))
    return bound


def render(unit: UnitOfWork, document: str, partition: str) -> str:
    """A stored trust policy as AWS shows and evaluates it: the unique ids of entities that
    still exist back as their ARNs, the others left as ids."""
    if not names_unique_ids(document):
        return document

    def as_arn(match: re.Match[str]) -> str:
        unique_id = match.group(1)
        info = unit.lookup.by_id(_KIND[unique_id[:4]], unique_id)
        if info is None:
            return match.group(0)
        return json.dumps(arns.iam_arn(partition, info.account_id, info.kind, info.path, info.name))

    return _UNIQUE_ID.sub(as_arn, document)


def names_unique_ids(document: str) -> bool:
    """Whether a stored document may hold unique ids to render (a cheap test first)."""
    return '"AIDA' in document or '"AROA' in document


def _entity_principals(document: str) -> list[str]:
    found: list[str] = []
    for statement in statement_objects(document):
        for element in ("Principal", "NotPrincipal"):
            value: Any = statement.get(element)
            aws = value.get("AWS") if isinstance(value, dict) else None
            for entry in [aws] if isinstance(aws, str) else aws if isinstance(aws, list) else []:
                if isinstance(entry, str) and _ENTITY_ARN.fullmatch(entry) and entry not in found:
                    found.append(entry)
    return found


def _partition_of(unit: UnitOfWork, account_id: str) -> str | None:
    account = unit.accounts.get(account_id)
    return account.partition if account is not None else None
