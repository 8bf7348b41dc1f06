"""AWS partitions: which ARN prefix a region belongs to.

A request is accepted for any region; the ARNs iamd answers with use the partition of
the region the request was signed for, as AWS's own endpoints do.
"""

from __future__ import annotations

_PREFIXES = (
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("cn-", "aws-cn"),
    ("us-gov-", "aws-us-gov"),
)

DEFAULT_REGION = "us-east-1"


def partition_for_region(region: str) -> str:
    for prefix, partition in _PREFIXES:
        if region.startswith(prefix):
            return partition
    return "aws"
