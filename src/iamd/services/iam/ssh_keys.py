"""SSH public keys of IAM users (for CodeCommit)."""
