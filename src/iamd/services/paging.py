"""Marker/MaxItems pagination, as every IAM List* operation does it.

The marker is the sort key of the last item returned, so a page boundary stays put when
rows are inserted or deleted between calls (a marker names a position, not an offset).
It is opaque to clients: base64 of the key.
"""

from __future__ import annotations

import base64
import binascii
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from iamd.protocol.errors import InvalidInput

T = TypeVar("T")

DEFAULT_MAX_ITEMS = 100


def encode_marker(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_marker(marker: str) -> str:
    """The key a marker names; a marker this server did not make is ``InvalidInput``
    (characters outside the alphabet are refused, not skipped: ``%%`` is no marker)."""
    try:
        key = base64.b64decode(marker.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidInput("Invalid Marker.") from None
    if not key:
        raise InvalidInput("Invalid Marker.")
    return key


def page(
    params: Mapping[str, Any],
    fetch: Callable[[str | None, int], Sequence[T]],
    key: Callable[[T], str],
) -> tuple[Sequence[T], str | None]:
    """One page of items and the marker for the next page (None on the last page)."""
    limit = int(params.get("MaxItems") or DEFAULT_MAX_ITEMS)
    after = decode_marker(params["Marker"]) if params.get("Marker") else None
    items = fetch(after, limit + 1)
    if len(items) > limit:
        return items[:limit], encode_marker(key(items[limit - 1]))
    return items, None


def page_sorted(params: Mapping[str, Any], items: Sequence[T], key: Callable[[T], str]) -> tuple[Sequence[T], str | None]:
    """Marker/MaxItems paging over items already sorted by ``key``."""
    keys = [key(item) for item in items]

    def fetch(after: str | None, limit: int) -> Sequence[T]:
        start = 0 if after is None else bisect_right(keys, after)
        return items[start : start + limit]

    return page(params, fetch, key)
