"""Service-specific credentials (CodeCommit, Keyspaces, Bedrock)."""
