"""IAM groups: create, read, rename, delete, and their members (users only)."""
