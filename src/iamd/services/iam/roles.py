"""IAM roles and their trust policies."""
