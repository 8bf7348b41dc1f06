"""Service-linked roles: created for a service, protected from ordinary edits."""
