"""Reading Query requests: nesting, lists, maps, scalar types, lenient and strict edges."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from iamd.protocol import load_service
from iamd.protocol._request import build_tree, parse_timestamp
from iamd.protocol.errors import MalformedInput, ValidationError

UTC = datetime.UTC


def parse(service: str, action: str, **fields: str) -> dict[str, Any]:
    return load_service(service).parse_request(action, {k: [v] for k, v in fields.items()})


def test_build_tree_nests_fields_and_prefers_nested_over_scalar() -> None:
    tree = build_tree({
        "Action": ["TagUser"],
        "Tags": [""],
        "Tags.member.1.Key": ["a", "ignored second value"],
        "Tags.member.1.Value": ["b"],
        "Empty": [],
        "Plain": "a bare string counts as one value",
    })
    assert tree == {
        "Action": "TagUser",
        "Tags": {"member": {"1": {"Key": "a", "Value": "b"}}},
        "Plain": "a bare string counts as one value",
    }


def test_scalars_and_protocol_fields() -> None:
    params = load_service("iam").parse_request("CreateUser", {
        "Action": ["CreateUser"], "Version": ["2010-05-08"],
        "X-Amz-Algorithm": ["AWS4-HMAC-SHA256"], "X-Amz-Signature": ["abc"],
        "UserName": ["bob"], "Path": ["/eng/"], "NotInTheModel": ["ignored"],
    })
    assert params == {"UserName": "bob", "Path": "/eng/"}


def test_operation_without_input_members() -> None:
    assert parse("sts", "GetCallerIdentity") == {}
    assert parse("iam", "GetAccountSummary") == {}


def test_list_is_ordered_by_index_not_by_field_order() -> None:
    form = {
        "UserName": ["bob"],
        "Tags.member.10.Key": ["ten"], "Tags.member.10.Value": ["10"],
        "Tags.member.2.Key": ["two"], "Tags.member.2.Value": ["2"],
        "Tags.member.1.Key": ["one"], "Tags.member.1.Value": ["1"],
        "Tags.member.x.Key": ["not an index"],
    }
    params = load_service("iam").parse_request("TagUser", form)
    assert [tag["Key"] for tag in params["Tags"]] == ["one", "two", "ten"]


def test_list_of_strings_and_empty_list() -> None:
    params = parse("iam", "UntagUser", UserName="bob", **{"TagKeys.member.1": "a",
                                                           "TagKeys.member.2": "b"})
    assert params["TagKeys"] == ["a", "b"]
    assert parse("iam", "UntagUser", UserName="bob", TagKeys="")["TagKeys"] == []


def test_a_scalar_where_a_list_belongs_is_null() -> None:
    with pytest.raises(ValidationError, match="Value null at 'tagKeys'"):
        parse("iam", "UntagUser", UserName="bob", TagKeys="oops")


def test_map_entries() -> None:
    params = parse("iam", "PutAccountProperties", **{
        "Properties.entry.1.key": "k1", "Properties.entry.1.value": "v1",
        "Properties.entry.2.key": "k2", "Properties.entry.2.value": "v2",
    })
    assert params == {"Properties": {"k1": "v1", "k2": "v2"}}


def test_map_entry_without_value() -> None:
    with pytest.raises(ValidationError) as raised:
        parse("iam", "PutAccountProperties", **{"Properties.entry.1.key": "k1"})
    assert "Value null at 'properties.entry.1.value'" in raised.value.message


def test_nested_structures_in_lists() -> None:
    params = parse("iam", "SimulatePrincipalPolicy", **{
        "PolicySourceArn": "arn:aws:iam::123456789012:user/bob",
        "ActionNames.member.1": "s3:GetObject",
        "ContextEntries.member.1.ContextKeyName": "aws:SourceIp",
        "ContextEntries.member.1.ContextKeyType": "ip",
        "ContextEntries.member.1.ContextKeyValues.member.1": "10.0.0.1",
        "ContextEntries.member.1.ContextKeyValues.member.2": "10.0.0.2",
    })
    assert params == {
        "PolicySourceArn": "arn:aws:iam::123456789012:user/bob",
        "ActionNames": ["s3:GetObject"],
        "ContextEntries": [{
            "ContextKeyName": "aws:SourceIp", "ContextKeyType": "ip",
            "ContextKeyValues": ["10.0.0.1", "10.0.0.2"],
        }],
    }


def test_integers_and_booleans() -> None:
    assert parse("iam", "ListUsers", MaxItems="100") == {"MaxItems": 100}
    assert parse("iam", "ListUsers", MaxItems="+7") == {"MaxItems": 7}
    params = parse("iam", "UpdateAccountPasswordPolicy", RequireSymbols="true",
                   HardExpiry="FALSE", MinimumPasswordLength="12")
    assert params == {"RequireSymbols": True, "HardExpiry": False, "MinimumPasswordLength": 12}


@pytest.mark.parametrize("value", ["abc", "1.5", "", " 7", "1_000", "0x10", "١٢"])
def test_ill_typed_integers_are_malformed_input(value: str) -> None:
    with pytest.raises(MalformedInput):
        parse("iam", "ListUsers", MaxItems=value)


def test_ill_typed_boolean_is_malformed_input() -> None:
    with pytest.raises(MalformedInput, match="not a valid boolean"):
        parse("iam", "UpdateAccountPasswordPolicy", RequireSymbols="1")


def test_malformed_input_comes_before_validation() -> None:
    # AWS reads the whole request before it checks constraints.
    with pytest.raises(MalformedInput):
        parse("iam", "ListUsers", PathPrefix="no slash", MaxItems="many")


def test_list_length_limit() -> None:
    fields = {"UserName": "bob"}
    for i in range(1, 52):
        fields[f"Tags.member.{i}.Key"] = f"k{i}"
        fields[f"Tags.member.{i}.Value"] = "v"
    with pytest.raises(ValidationError) as raised:
        parse("iam", "TagUser", **fields)
    message = raised.value.message
    assert message.startswith("1 validation error detected: Value '[{Key=k1, Value=v}, ")
    assert message.endswith(
        "' at 'tags' failed to satisfy constraint: "
        "Member must have length less than or equal to 50"
    )


@pytest.mark.parametrize(("text", "expected"), [
    ("2024-01-02T03:04:05Z", datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("2024-01-02T03:04:05.123456Z",
     datetime.datetime(2024, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)),
    ("2024-01-02T05:04:05+02:00", datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("2024-01-02T03:04:05", datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("1704164645", datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC)),
    ("1704164645.5", datetime.datetime(2024, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)),
])
def test_timestamps(text: str, expected: datetime.datetime) -> None:
    parsed = parse_timestamp(text)
    assert parsed == expected
    assert parsed.tzinfo is UTC


@pytest.mark.parametrize("text", ["yesterday", "2024-13-01T00:00:00Z", "1e400", ""])
def test_bad_timestamps_are_malformed_input(text: str) -> None:
    with pytest.raises(MalformedInput, match="timestamp must follow ISO8601"):
        parse_timestamp(text)


def test_unicode_category_patterns() -> None:
    params = parse("iam", "TagUser", UserName="bob", **{
        "Tags.member.1.Key": "Kostenstelle ü 中文 ٣", "Tags.member.1.Value": "",
    })
    assert params["Tags"] == [{"Key": "Kostenstelle ü 中文 ٣", "Value": ""}]


# -- hostile input (issue 11) -------------------------------------------------------------

@pytest.mark.parametrize("digits", [21, 4301, 5000, 100_000])
def test_integers_with_thousands_of_digits_are_out_of_range(digits: int) -> None:
    # Python refuses int() of more than 4,300 digits; such a value must be a client error.
    with pytest.raises(MalformedInput, match="out of range") as info:
        parse("sts", "AssumeRole", RoleArn="arn:aws:iam::111122223333:role/r",
              RoleSessionName="s", DurationSeconds="9" * digits)
    assert len(info.value.message) < 400


def test_leading_zeros_do_not_count_as_digits() -> None:
    assert parse("iam", "ListUsers", MaxItems="0" * 5000 + "7") == {"MaxItems": 7}


def test_list_index_with_thousands_of_digits_orders_last() -> None:
    params = load_service("iam").parse_request("TagUser", {
        "UserName": ["bob"],
        "Tags.member." + "9" * 5000 + ".Key": ["late"], "Tags.member." + "9" * 5000 + ".Value": ["2"],
        "Tags.member.2.Key": ["early"], "Tags.member.2.Value": ["1"],
    })
    assert [t["Key"] for t in params["Tags"]] == ["early", "late"]


def test_non_ascii_digits_are_not_list_indexes() -> None:
    params = load_service("iam").parse_request("TagUser", {
        "UserName": ["bob"], "Tags.member.١.Key": ["x"], "Tags.member.١.Value": ["y"],
        "Tags.member.1.Key": ["k"], "Tags.member.1.Value": ["v"],
    })
    assert params["Tags"] == [{"Key": "k", "Value": "v"}]
