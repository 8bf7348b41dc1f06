"""Helpers the IAM pages share: list pages (a name filter, a page at a time), paging
through whole lists, Query-protocol list fields.

A list page asks the API for one page (``MaxItems``) after the ``Marker`` the previous page
ended with, so a large account is never read whole. The API filters by path only, so the
name filter (case-insensitive substring, as AWS's console does) reads the list in
``SCAN_BATCH`` items a call and keeps the matches until a page is full; the page then ends
exactly at its last match (the batch it ended in is asked again, cut there, for the
marker to carry on from), and reading stops after ``SCAN_LIMIT`` items even when the page
is not full, with a "Next" link that carries on the search.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urlencode

from iamd.console.backend import OperationError
from iamd.console.page import Page

MAX_LISTED = 1000
PAGE_SIZE = 50
MAX_PAGE_SIZE = 1000  # the API's own MaxItems limit
SCAN_BATCH = 1000
SCAN_LIMIT = 5000

Item = dict[str, Any]


@dataclass(frozen=True)
class Listing:
    """One page of a list as a list page shows it, with its links to the first and next pages."""

    items: list[Item]
    q: str
    size: int
    marker: str | None  # where this page starts: None on the first page
    next_marker: str | None
    incomplete: bool = False  # the filter stopped reading before the page was full
    extra: dict[str, str] = field(default_factory=dict)  # other arguments the links keep (a scope)

    def _href(self, marker: str | None) -> str:
        args = dict(self.extra)
        if self.q:
            args["q"] = self.q
        if self.size != PAGE_SIZE:
            args["size"] = str(self.size)
        if marker:
            args["marker"] = marker
        return "?" + urlencode(args) if args else "?"

    @property
    def first_href(self) -> str | None:
        return self._href(None) if self.marker else None

    @property
    def next_href(self) -> str | None:
        return self._href(self.next_marker) if self.next_marker else None


def page_size(page: Page) -> int:
    text = page.request.arg("size").strip()
    if not text:
        return PAGE_SIZE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise OperationError("ValidationError", f"The page size `{text}` is not a number from 1 to {MAX_PAGE_SIZE}.", 400)
    return int(text)


def list_page(page: Page, action: str, key: str, name: str, extra: dict[str, str] | None = None,
              **fields: str) -> Listing:
    """The page of IAM list ``action`` the request asks for (``q``, ``size``, ``marker``),
    items filtered by the substring ``q`` of their field ``name``."""
    q = page.request.arg("q").strip()
    size = page_size(page)
    start = page.request.arg("marker") or None
    extra = extra or {}

    def ask(marker: str | None, limit: int) -> tuple[list[Item], str | None]:
        params = dict(fields, MaxItems=str(limit))
        if marker:
            params["Marker"] = marker
        output = page.iam(action, params)
        return list(output.get(key) or []), output.get("Marker") if output.get("IsTruncated") else None

    if not q:
        items, following = ask(start, size)
        return Listing(items, q, size, start, following, extra=extra)
    wanted = q.lower()
    matches: list[Item] = []
    cursor, scanned = start, 0
    while True:
        batch, following = ask(cursor, SCAN_BATCH)
        for index, item in enumerate(batch):
            if wanted not in str(item.get(name, "")).lower():
                continue
            matches.append(item)
            if len(matches) == size:
                if index + 1 < len(batch):
                    _, following = ask(cursor, index + 1)  # the marker right after this match
                return Listing(matches, q, size, start, following, extra=extra)
        scanned += len(batch)
        cursor = following
        if cursor is None:
            return Listing(matches, q, size, start, None, extra=extra)
        if scanned >= SCAN_LIMIT:
            return Listing(matches, q, size, start, cursor, incomplete=True, extra=extra)


def page_in_memory(page: Page, items: list[Item], name: str, extra: dict[str, str] | None = None) -> Listing:
    """The page the request asks for of a list the API does not page (identity providers):
    sorted by ``name``, whose value is the marker, so a page stays put as items come and go."""
    q = page.request.arg("q").strip().lower()
    size = page_size(page)
    start = page.request.arg("marker") or None
    ordered = sorted((item for item in items if q in str(item.get(name, "")).lower()), key=lambda i: str(i[name]))
    if start is not None:
        ordered = [item for item in ordered if str(item[name]) > start]
    shown = ordered[:size]
    following = str(shown[-1][name]) if len(ordered) > size else None
    return Listing(shown, page.request.arg("q").strip(), size, start, following, extra=extra or {})


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


@dataclass(frozen=True)
class Renamed:
    """What ``rename_or_move`` did: the entity's name afterwards, and its message."""

    name: str
    message: str


def rename_or_move(page: Page, kind: str, current: dict[str, Any]) -> Renamed | None:
    """Apply the edit form's new name and path to a user or a group (UpdateUser,
    UpdateGroup) as one call; None, with the reason flashed, when nothing changed or the
    API refused (AccessDenied is raised, as for any forbidden action)."""
    title = kind.capitalize()
    name = page.request.params["name"]
    new_name = page.request.field(f"{kind}_name").strip()
    new_path = page.request.field("path").strip()
    fields = {f"{title}Name": name}
    if new_name and new_name != current[f"{title}Name"]:
        fields[f"New{title}Name"] = new_name
    if new_path and new_path != current["Path"]:
        fields["NewPath"] = new_path
    if len(fields) == 1:
        page.flash("Nothing to change.")
        return None
    try:
        page.iam(f"Update{title}", fields)
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        page.flash(f"The {kind} was not changed ({exc.code}: {exc.message})")
        return None
    renamed = fields.get(f"New{title}Name", name)
    message = f"{title} {name} renamed to {renamed}." if renamed != name else f"{title} {name} moved to {new_path}."
    return Renamed(renamed, message)

