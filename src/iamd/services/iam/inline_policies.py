"""Inline policies of users, groups and roles."""
