"""The condition keys a policy reads (for ``GetContextKeysFor...Policy``)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from .document import Policy, parse


def condition_keys(*policies: Policy | str | Any, kind: str = "identity") -> list[str]:
    """Every context key the policies reference, in condition blocks and in policy
    variables, each once (first spelling wins, compared case-insensitively), in order
    of appearance. Unparsed documents are parsed as ``kind``.
    """
    seen: dict[str, str] = {}
    flat: Iterable[Any] = policies
    for item in flat:
        policy = parse(item, kind, max_size=None)
        for st in policy.statements:
            for key in st.condition_keys:
                seen.setdefault(key.lower(), key)
    return list(seen.values())
