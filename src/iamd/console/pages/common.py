"""Helpers the IAM pages share: paging through lists, Query-protocol list fields."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote

from iamd.console.page import Page

MAX_LISTED = 1000


def list_all(page: Page, action: str, key: str, **fields: str) -> list[dict[str, Any]]:
    """Every item of a paged IAM list (up to ``MAX_LISTED``), page after page."""
    items: list[dict[str, Any]] = []
    marker: str | None = None
    while len(items) < MAX_LISTED:
        params = dict(fields, MaxItems="1000")
        if marker:
            params["Marker"] = marker
        output = page.iam(action, params)
        items.extend(output.get(key) or [])
        marker = output.get("Marker") if output.get("IsTruncated") else None
        if not marker:
            break
    return items


def members(name: str, values: Sequence[str]) -> dict[str, str]:
    """A list parameter as the Query protocol spells it: ``Name.member.1`` ..."""
    return {f"{name}.member.{i}": value for i, value in enumerate(values, start=1)}


def lines(text: str) -> list[str]:
    return [line.strip() for line in text.replace(",", "\n").splitlines() if line.strip()]


def pretty(document: str) -> str:
    """A policy document as stored (maybe URL-encoded), indented for reading."""
    text = document
    if text.lstrip().startswith("%7B") or text.lstrip().startswith("%7b"):
        text = unquote(text)
    try:
        return json.dumps(json.loads(text), indent=2)
    except ValueError:
        return text


def syntax_error(document: str) -> str | None:
    """Where a document stops being JSON, with its line and column, or None."""
    try:
        json.loads(document)
    except json.JSONDecodeError as exc:
        return f"Line {exc.lineno}, column {exc.colno}: {exc.msg}."
    return None
