"""Imports the federation modules that register operation handlers."""

from iamd.services.federation import oidc_providers, saml, saml_providers, web_identity  # noqa: F401

# STS operations a caller makes without credentials: the token or assertion authenticates.
UNSIGNED_ACTIONS = frozenset({"AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"})
PRINCIPAL_TYPES = {"AssumeRoleWithWebIdentity": "WebIdentityUser", "AssumeRoleWithSAML": "SAMLUser"}
