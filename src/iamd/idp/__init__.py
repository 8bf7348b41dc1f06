"""``iamd idp``: a test identity provider for development and CI.

It plays the external side of federation on loopback so trust policies can be tested end
to end offline: an OpenID Connect issuer (discovery document and JWK set over HTTPS with a
self-signed certificate, whose thumbprint the IAM provider pins) that mints ID tokens for
the subjects and audiences you name, and a SAML 2.0 identity provider (metadata, signed
responses with AWS's Role/RoleSessionName/SessionDuration/PrincipalTag attributes).

Its keys and settings live in a state directory, so ``iamd idp serve`` and ``iamd idp
token`` / ``iamd idp saml`` (run from other shells, or CI steps) agree. It signs with its
own small code, not iamd's verifier, and is never part of the server.
"""
