"""List pages: a page at a time through the API's Marker/MaxItems, the name filter reading
on until a page is full and ending the page exactly at its last match."""

from __future__ import annotations

from typing import Any

import pytest

from iamd.console.backend import OperationError
from iamd.console.pages import common
from iamd.console.pages.common import list_page, page_in_memory

NAMES = [f"user-{i:03d}" for i in range(120)] + [f"zeta-{i:03d}" for i in range(7)]


class FakeRequest:
    def __init__(self, **args: str) -> None:
        self.args = args

    def arg(self, name: str, default: str = "") -> str:
        return self.args.get(name, default)


class FakePage:
    """ListUsers over ``NAMES`` with the API's paging: the marker is the last name given."""

    def __init__(self, **args: str) -> None:
        self.request = FakeRequest(**args)
        self.calls: list[dict[str, Any]] = []

    def iam(self, action: str, params: dict[str, str]) -> dict[str, Any]:
        self.calls.append(params)
        start = NAMES.index(params["Marker"]) + 1 if "Marker" in params else 0
        limit = int(params["MaxItems"])
        shown = NAMES[start : start + limit]
        truncated = start + limit < len(NAMES)
        return {"Users": [{"UserName": n} for n in shown], "IsTruncated": truncated,
                **({"Marker": shown[-1]} if truncated else {})}


def names(listing: common.Listing) -> list[str]:
    return [item["UserName"] for item in listing.items]


def test_a_page_asks_the_api_for_one_page_only() -> None:
    page = FakePage(size="10")
    listing = list_page(page, "ListUsers", "Users", "UserName")  # type: ignore[arg-type]
    assert names(listing) == NAMES[:10]
    assert page.calls == [{"MaxItems": "10"}]
    assert listing.first_href is None
    assert listing.next_href == "?size=10&marker=user-009"
    following = list_page(FakePage(size="10", marker="user-009"), "ListUsers", "Users", "UserName")  # type: ignore[arg-type]
    assert names(following) == NAMES[10:20]
    assert following.first_href == "?size=10"


def test_the_filter_ends_a_page_at_its_last_match() -> None:
    page = FakePage(q="-05", size="4")
    listing = list_page(page, "ListUsers", "Users", "UserName")  # type: ignore[arg-type]
    assert names(listing) == ["user-050", "user-051", "user-052", "user-053"]
    assert listing.next_marker == "user-053"
    rest = list_page(FakePage(q="-05", size="4", marker="user-053"), "ListUsers", "Users", "UserName")  # type: ignore[arg-type]
    assert names(rest) == ["user-054", "user-055", "user-056", "user-057"]
    last = list_page(FakePage(q="-05", size="4", marker="user-057"), "ListUsers", "Users", "UserName")  # type: ignore[arg-type]
    assert names(last) == ["user-058", "user-059"] and last.next_href is None


def test_the_filter_reads_on_through_several_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "SCAN_BATCH", 50)
    listing = list_page(FakePage(q="ZETA"), "ListUsers", "Users", "UserName")  # type: ignore[arg-type]
    assert names(listing) == [f"zeta-{i:03d}" for i in range(7)] and listing.next_href is None


def test_the_filter_stops_reading_at_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(common, "SCAN_BATCH", 20)
    monkeypatch.setattr(common, "SCAN_LIMIT", 40)
    listing = list_page(FakePage(q="zeta"), "ListUsers", "Users", "UserName")  # type: ignore[arg-type]
    assert listing.items == [] and listing.incomplete and listing.next_marker == "user-039"


@pytest.mark.parametrize("size", ["0", "x", "1001", "-1"])
def test_a_bad_page_size_is_a_validation_error(size: str) -> None:
    with pytest.raises(OperationError) as refused:
        list_page(FakePage(size=size), "ListUsers", "Users", "UserName")  # type: ignore[arg-type]
    assert refused.value.status == 400 and f"`{size}`" in refused.value.message


def test_a_list_the_api_does_not_page_is_paged_by_name() -> None:
    items = [{"Arn": f"arn:{n}"} for n in reversed(NAMES)]
    first = page_in_memory(FakePage(q="zeta", size="5"), items, "Arn")  # type: ignore[arg-type]
    assert [i["Arn"] for i in first.items] == [f"arn:zeta-{i:03d}" for i in range(5)]
    second = page_in_memory(FakePage(q="zeta", size="5", marker=first.next_marker or ""), items, "Arn")  # type: ignore[arg-type]
    assert [i["Arn"] for i in second.items] == ["arn:zeta-005", "arn:zeta-006"] and second.next_marker is None
