"""Amazon Resource Names: ``arn:partition:service:region:account-id:resource``."""

from __future__ import annotations

from dataclasses import dataclass

PARTITIONS = frozenset(
    {"aws", "aws-cn", "aws-us-gov", "aws-iso", "aws-iso-b", "aws-iso-e", "aws-iso-f", "aws-eusc"}
)


@dataclass(frozen=True, slots=True)
class Arn:
    """The six colon-separated parts of an ARN; ``resource`` keeps any further colons."""

    partition: str
    service: str
    region: str
    account: str
    resource: str

    def __str__(self) -> str:
        return f"arn:{self.partition}:{self.service}:{self.region}:{self.account}:{self.resource}"

    @property
    def resource_type(self) -> str:
        """The part of ``resource`` before the first ``/`` or ``:`` (``user``, ``key``, ...)."""
        for i, ch in enumerate(self.resource):
            if ch in "/:":
                return self.resource[:i]
        return self.resource


def parse_arn(text: str) -> Arn:
    """Split ``text`` into its ARN parts; raise ``ValueError`` when it is not an ARN.

    Like AWS, the resource part may itself contain colons and slashes
    (``arn:aws:sns:us-east-1:1:topic:sub``), and region and account may be empty
    (``arn:aws:s3:::bucket``, ``arn:aws:iam::1:user/x``).
    """
    parts = text.split(":", 5)
    if len(parts) != 6 or parts[0] != "arn" or not parts[1] or not parts[2]:
        raise ValueError(f"`{text}` is not an ARN")
    return Arn(parts[1], parts[2], parts[3], parts[4], parts[5])


def try_parse_arn(text: str) -> Arn | None:
    """Like :func:`parse_arn`, but answer ``None`` for a string that is not an ARN."""
    try:
        return parse_arn(text)
    except ValueError:
        return None
