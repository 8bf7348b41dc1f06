"""AWS Identity and Access Management operations, one module per API area."""
