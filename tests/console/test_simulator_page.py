"""The simulator page cuts the deciding statement out of its policy by the positions the
simulator reports."""

from __future__ import annotations

from iamd.console.pages.simulator import statement_text

DOCUMENT = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
    {"Sid": "NoDeletes", "Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}
  ]
}"""


def test_statement_between_positions() -> None:
    # AWS's positions: the start is just after the token before the statement's "{".
    text = statement_text(DOCUMENT, {"Line": 4, "Column": 60}, {"Line": 5, "Column": 88})
    assert text == '{"Sid": "NoDeletes", "Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}'
    first = statement_text(DOCUMENT, {"Line": 3, "Column": 17}, {"Line": 4, "Column": 60})
    assert first == '{"Effect": "Allow", "Action": "iam:*", "Resource": "*"}'
