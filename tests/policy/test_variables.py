from __future__ import annotations

from iamd.policy.matching import glob_tokens, literal_tokens
from iamd.policy.variables import Variable, parse_template, resolve_glob, resolve_text

CTX = {"aws:username": "alice", "aws:principaltag/team": "blue", "aws:tagkeys": ["a", "b"],
       "aws:securetransport": True}


def test_no_variables() -> None:
    assert parse_template("arn:aws:s3:::b/*") is None
    assert parse_template("${unterminated") is None


def test_parse_parts() -> None:
    t = parse_template("home/${aws:username}/${aws:PrincipalTag/team, 'none'}")
    assert t == ("home/", Variable("aws:username", "aws:username", None), "/",
                 Variable("aws:principaltag/team", "aws:PrincipalTag/team", "none"))


def test_resolve_text() -> None:
    t = parse_template("${aws:username}-${AWS:PrincipalTag/Team}")
    assert t is not None
    assert resolve_text(t, CTX) == "alice-blue"
    assert resolve_text(t, {}) is None
    b = parse_template("${aws:SecureTransport}")
    assert b is not None and resolve_text(b, CTX) == "true"


def test_multivalued_keys_do_not_substitute() -> None:
    t = parse_template("${aws:TagKeys}")
    assert t is not None and resolve_text(t, CTX) is None


def test_defaults() -> None:
    t = parse_template("${aws:PrincipalTag/missing, 'fallback'}")
    assert t is not None and resolve_text(t, CTX) == "fallback"
    t = parse_template("${aws:PrincipalTag/missing,''}")
    assert t is not None and resolve_text(t, CTX) == ""


def test_special_characters_are_literal() -> None:
    t = parse_template("a${*}b${?}c${$}")
    assert t is not None
    assert resolve_text(t, {}) == "a*b?c$"
    assert resolve_glob(t, {}) == glob_tokens("a") + literal_tokens("*") + glob_tokens(
        "b") + literal_tokens("?") + glob_tokens("c") + literal_tokens("$")


def test_glob_keeps_policy_wildcards_but_not_substituted_ones() -> None:
    t = parse_template("arn:aws:s3:::b/${aws:username}/*")
    assert t is not None
    g = resolve_glob(t, {"aws:username": "a*"})
    assert g is not None
    from iamd.policy.matching import match_glob

    assert match_glob(g, "arn:aws:s3:::b/a*/x", arn=True)
    assert not match_glob(g, "arn:aws:s3:::b/abc/x", arn=True)
