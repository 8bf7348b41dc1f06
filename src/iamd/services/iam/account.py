"""The account: aliases and the summary of its entities and quotas."""
