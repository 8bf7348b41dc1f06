"""Versions of customer managed policies (at most five, one default)."""
