"""Federation: identities from outside iamd, verified for real.

* ``jwt`` — JSON Web Tokens (RFC 7519) signed with JWS (RFC 7515) and the keys of a JWK
  set (RFC 7517): RS256/384/512 and ES256/384/512;
* ``jwks`` — where an issuer's keys come from: its OpenID Connect discovery document
  (cached, with timeouts, TLS checked against the provider's thumbprints when no trusted
  CA signed the certificate) or a JWK set configured for offline use;
* ``oidc_providers`` and ``saml_providers`` — IAM's OpenIDConnectProvider and
  SAMLProvider operations;
* ``web_identity`` and ``saml`` — STS's AssumeRoleWithWebIdentity and AssumeRoleWithSAML,
  unsigned calls that authenticate with the token or assertion itself;
* ``role_session`` — what both share: the role's trust policy, the session they issue.
"""
