"""Permissions boundaries of users and roles."""
