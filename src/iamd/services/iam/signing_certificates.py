"""X.509 signing certificates of IAM users."""
