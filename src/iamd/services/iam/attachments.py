"""Attaching managed policies to users, groups and roles."""
