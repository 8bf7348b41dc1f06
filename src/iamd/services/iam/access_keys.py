"""Access keys of users and of the root user."""
