"""iamd: a self-hosted identity and access management service speaking AWS IAM and STS."""

__version__ = "0.1.0"
