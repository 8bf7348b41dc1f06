"""Writing Query responses and error documents."""

from __future__ import annotations

import datetime
import inspect
from typing import Any

import pytest
from botocore.parsers import create_parser

from iamd.protocol import OutputShapeError, errors, load_service
from iamd.protocol._response import escape, format_timestamp

UTC = datetime.UTC
IAM_NS = "https://iam.amazonaws.com/doc/2010-05-08/"
USER = {
    "Path": "/", "UserName": "bob", "UserId": "AIDAEXAMPLE",
    "Arn": "arn:aws:iam::123456789012:user/bob",
    "CreateDate": datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
}


def test_document_layout() -> None:
    body = load_service("iam").serialize_response("GetUser", {"User": USER}, "req-1")
    assert body == (
        f'<GetUserResponse xmlns="{IAM_NS}"><GetUserResult><User><Path>/</Path>'
        "<UserName>bob</UserName><UserId>AIDAEXAMPLE</UserId>"
        "<Arn>arn:aws:iam::123456789012:user/bob</Arn>"
        "<CreateDate>2024-01-02T03:04:05Z</CreateDate></User></GetUserResult>"
        "<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata>"
        "</GetUserResponse>"
    ).encode()


def test_members_in_model_order_whatever_the_dict_order() -> None:
    shuffled = dict(reversed(list(USER.items())))
    iam = load_service("iam")
    assert iam.serialize_response("GetUser", {"User": shuffled}, "r") == iam.serialize_response(
        "GetUser", {"User": USER}, "r"
    )


def test_operation_without_output_shape_has_no_result_element() -> None:
    body = load_service("iam").serialize_response("DeleteUser", None, "r")
    assert body == (
        f'<DeleteUserResponse xmlns="{IAM_NS}"><ResponseMetadata><RequestId>r</RequestId>'
        "</ResponseMetadata></DeleteUserResponse>"
    ).encode()
    assert load_service("iam").serialize_response("DeleteUser", {}, "r") == body


def test_empty_output_still_has_its_result_element() -> None:
    body = load_service("iam").serialize_response("ListUsers", None, "r")
    assert b"<ListUsersResult></ListUsersResult>" in body


def test_lists_none_and_empty() -> None:
    iam = load_service("iam")
    body = iam.serialize_response(
        "ListUsers", {"Users": [], "IsTruncated": False, "Marker": None}, "r"
    )
    assert b"<Users></Users><IsTruncated>false</IsTruncated></ListUsersResult>" in body
    parsed = create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": 200},
        iam.model.operation_model("ListUsers").output_shape,
    )
    assert parsed["Users"] == [] and parsed["IsTruncated"] is False


def test_maps_and_empty_maps() -> None:
    iam = load_service("iam")
    body = iam.serialize_response("GetAccountSummary", {"SummaryMap": {"Users": 3}}, "r")
    assert b"<SummaryMap><entry><key>Users</key><value>3</value></entry></SummaryMap>" in body
    body = iam.serialize_response("GetAccountSummary", {"SummaryMap": {}}, "r")
    parsed = create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": 200},
        iam.model.operation_model("GetAccountSummary").output_shape,
    )
    assert parsed["SummaryMap"] == {}


def test_policy_documents_are_url_encoded_like_iam() -> None:
    body = load_service("iam").serialize_response("GetUserPolicy", {
        "UserName": "bob", "PolicyName": "p", "PolicyDocument": '{"Version": "2012-10-17"}',
    }, "r")
    assert b"<PolicyDocument>%7B%22Version%22%3A%20%222012-10-17%22%7D</PolicyDocument>" in body


@pytest.mark.parametrize(("value", "text"), [
    (datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC), "2024-01-02T03:04:05Z"),
    (datetime.datetime(2024, 1, 2, 3, 4, 5, 359000, tzinfo=UTC), "2024-01-02T03:04:05.359Z"),
    (datetime.datetime(2024, 1, 2, 3, 4, 5, 999), "2024-01-02T03:04:05.000Z"),
    (datetime.datetime(2024, 1, 2, 5, 4, 5, tzinfo=datetime.timezone(datetime.timedelta(hours=2))),
     "2024-01-02T03:04:05Z"),
])
def test_timestamps_are_utc_iso8601(value: datetime.datetime, text: str) -> None:
    assert format_timestamp(value) == text


def test_escaping() -> None:
    assert escape("a&b<c>d\r\ne\"f'") == "a&amp;b&lt;c&gt;d&#xD;\ne\"f'"
    body = load_service("iam").serialize_response("GetUser", {"User": USER}, "<&>")
    assert b"<RequestId>&lt;&amp;&gt;</RequestId>" in body


@pytest.mark.parametrize(("output", "problem"), [
    ({"User": USER, "Extra": 1}, "the shape has no member Extra"),
    ({"User": {**USER, "Nickname": "b"}}, "the shape has no member Nickname at `User`"),
    ({"User": {**USER, "UserName": 7}}, "expected a string, got int 7 at `User.UserName`"),
    ({"User": {**USER, "CreateDate": "2024-01-02"}}, "expected a datetime"),
    ({"User": {**USER, "Tags": [{"Key": "k", "Value": None, "Colour": "red"}]}},
     "the shape has no member Colour at `User.Tags.0`"),
    ({"User": {**USER, "Tags": {"Key": "k"}}}, "expected a list"),
    ({"User": "bob"}, "expected a mapping"),
])
def test_output_that_does_not_fit_the_shape_raises(output: dict[str, Any], problem: str) -> None:
    with pytest.raises(OutputShapeError) as raised:
        load_service("iam").serialize_response("GetUser", output, "r")
    assert problem in str(raised.value)


def test_wrong_scalar_types_raise() -> None:
    iam = load_service("iam")
    with pytest.raises(OutputShapeError, match="expected a boolean"):
        iam.serialize_response("ListUsers", {"Users": [], "IsTruncated": "false"}, "r")
    with pytest.raises(OutputShapeError, match="expected an integer"):
        iam.serialize_response("GetAccountSummary", {"SummaryMap": {"Users": True}}, "r")
    with pytest.raises(OutputShapeError, match="expected bytes"):
        iam.serialize_response("GetCredentialReport", {"Content": "text"}, "r")


def test_output_for_an_operation_without_output_raises() -> None:
    with pytest.raises(OutputShapeError):
        load_service("iam").serialize_response("DeleteUser", {"Deleted": True}, "r")


def test_unknown_operation_raises() -> None:
    with pytest.raises(OutputShapeError):
        load_service("iam").serialize_response("CreateUsers", None, "r")


def test_error_document_layout() -> None:
    body, status = load_service("iam").serialize_error(
        errors.NoSuchEntity("The user with name <bob> cannot be found."), "req-9"
    )
    assert status == 404
    assert body == (
        f'<ErrorResponse xmlns="{IAM_NS}"><Error><Type>Sender</Type><Code>NoSuchEntity</Code>'
        "<Message>The user with name &lt;bob&gt; cannot be found.</Message></Error>"
        "<RequestId>req-9</RequestId></ErrorResponse>"
    ).encode()


ERROR_CLASSES = sorted(
    (cls for cls in vars(errors).values()
     if inspect.isclass(cls) and issubclass(cls, errors.ServiceError)),
    key=lambda cls: cls.__name__,
)


@pytest.mark.parametrize("service_name", ["iam", "sts"])
@pytest.mark.parametrize("error_class", ERROR_CLASSES, ids=lambda cls: cls.__name__)
def test_botocore_reads_every_error_back(service_name: str, error_class: type) -> None:
    error = error_class("Something & <something> else.")
    body, status = load_service(service_name).serialize_error(error, "req-e")
    parsed = create_parser("query").parse(
        {"body": body, "headers": {}, "status_code": status}, None
    )
    assert parsed["Error"] == {
        "Type": error.fault_type, "Code": error.code, "Message": "Something & <something> else.",
    }
    assert parsed["ResponseMetadata"]["RequestId"] == "req-e"
    assert parsed["ResponseMetadata"]["HTTPStatusCode"] == error.status


def test_error_without_message() -> None:
    body, status = load_service("sts").serialize_error(errors.InternalFailure(), "r")
    assert status == 500
    parsed = create_parser("query").parse({"body": body, "headers": {}, "status_code": 500}, None)
    assert parsed["Error"] == {"Type": "Receiver", "Code": "InternalFailure"}


@pytest.mark.parametrize("service_name", ["iam", "sts"])
def test_every_modelled_error_has_a_class_with_its_status(service_name: str) -> None:
    by_code = {cls.code: cls for cls in ERROR_CLASSES}
    for shape in load_service(service_name).model.error_shapes:
        wire = shape.metadata.get("error", {})
        code = wire.get("code", shape.name)
        assert code in by_code, f"no error class for {code}"
        assert by_code[code].status == wire.get("httpStatusCode", 400), code
        assert by_code[code].sender_fault == bool(wire.get("senderFault", "error" not in
                                                                 shape.metadata)), code


# -- characters XML cannot carry (issue 11) -----------------------------------------------

@pytest.mark.parametrize("text", ["a\x00b", "\x01\x08\x0b\x0c\x1f", "lone \ud800 surrogate",
                                  "\udfff", "\ufffe\uffff", "ok \t\n and \U0001f600"])
def test_error_messages_stay_well_formed_xml(text: str) -> None:
    from xml.etree import ElementTree

    error = errors.ValidationError(f"Value '{text}' at 'userName' failed")
    body, _ = load_service("iam").serialize_error(error, "r")
    root = ElementTree.fromstring(body)  # raises on a document that is not well-formed
    message = root.find(f"{{{IAM_NS}}}Error/{{{IAM_NS}}}Message")
    assert message is not None and message.text is not None
    parsed = create_parser("query").parse({"body": body, "headers": {}, "status_code": 400}, None)
    assert parsed["Error"]["Code"] == "ValidationError"
    allowed = {"\t", "\n", "\U0001f600", "\ufffd"}
    assert all(c >= " " and not "\ud800" <= c <= "\udfff" or c in allowed
               for c in message.text)


def test_response_values_stay_well_formed_xml() -> None:
    from xml.etree import ElementTree

    body = load_service("iam").serialize_response(
        "GetUser", {"User": {**USER, "UserName": "b\x00o\ud800b"}}, "r")
    assert ElementTree.fromstring(body) is not None
    assert "b\ufffdo\ufffdb".encode() in body
