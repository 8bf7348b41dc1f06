"""Which URLs count as AWS's SAML sign-in endpoint (Recipient, Destination, Audience)."""

from __future__ import annotations

import pytest

from iamd.services.federation.saml import _SIGNIN


@pytest.mark.parametrize("url", [
    "https://signin.aws.amazon.com/saml",
    "https://us-east-1.signin.aws.amazon.com/saml",
    "https://signin.aws.amazon.com/saml/acs/SAMLSPD0EXAMPLE",
    "https://signin.amazonaws.cn/saml",
    "https://signin.amazonaws-us-gov.com/saml",
])
def test_aws_sign_in_endpoints_of_every_partition(url: str) -> None:
    assert _SIGNIN.fullmatch(url)


@pytest.mark.parametrize("url", [
    "http://signin.aws.amazon.com/saml",
    "https://signin.amazonaws.cn.example.com/saml",
    "https://signin.example.com/saml",
    "https://signin.aws.amazon.com/other",
])
def test_other_urls_are_not_sign_in_endpoints(url: str) -> None:
    assert not _SIGNIN.fullmatch(url)
