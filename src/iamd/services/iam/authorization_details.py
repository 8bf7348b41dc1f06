"""GetAccountAuthorizationDetails: every entity with its policies."""
