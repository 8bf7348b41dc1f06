"""``iamd idp ...``: run the test IdP and mint tokens and assertions from the shell."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from iamd.idp import keys, oidc

app = typer.Typer(help="A test identity provider (OpenID Connect and SAML) on loopback.", no_args_is_help=True)

StateDir = Annotated[Path, typer.Option("--state-dir", help="Where the IdP keeps its keys and issuer URL.")]


@app.command()
def serve(
    state_dir: StateDir = keys.DEFAULT_DIR,
    host: Annotated[str, typer.Option(help="Loopback address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0 picks a free one).")] = keys.DEFAULT_PORT,
) -> None:
    """Serve the discovery document, JWK set and SAML metadata over HTTPS until stopped."""
    from iamd.idp.server import make_server

    state = keys.load(state_dir)
    server = make_server(state, host, port)
    print(f"IAMD_IDP_ISSUER={state.issuer}")
    print(f"IAMD_IDP_THUMBPRINT={state.thumbprint}")
    print(f"IAMD_IDP_SAML_METADATA={state.issuer}/saml/metadata", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@app.command()
def info(state_dir: StateDir = keys.DEFAULT_DIR) -> None:
    """Print the issuer URL, the TLS thumbprint and the JWK set (as JSON)."""
    state = keys.load(state_dir)
    print(json.dumps({"issuer": state.issuer, "thumbprint": state.thumbprint, "jwks": oidc.jwks(state)}, indent=2))


def _claim(text: str) -> tuple[str, Any]:
    name, sep, value = text.partition("=")
    if not sep:
        raise typer.BadParameter(f"`{text}` is not NAME=VALUE")
    try:
        return name, json.loads(value)
    except ValueError:
        return name, value


@app.command()
def token(
    sub: Annotated[str, typer.Option("--sub", help="The subject (sub claim).")],
    aud: Annotated[list[str], typer.Option("--aud", help="The audience; repeat for several.")],
    state_dir: StateDir = keys.DEFAULT_DIR,
    ttl: Annotated[int, typer.Option(help="Lifetime in seconds (negative: already expired).")] = 3600,
    alg: Annotated[str, typer.Option(help="RS256 or ES256.")] = "RS256",
    claim: Annotated[list[str] | None, typer.Option("--claim", help="Extra claim NAME=VALUE (JSON values allowed).")] = None,
    issuer: Annotated[str | None, typer.Option(help="Override the iss claim.")] = None,
) -> None:
    """Print a signed ID token (a JWT) for AssumeRoleWithWebIdentity."""
    state = keys.load(state_dir)
    extra = dict(_claim(item) for item in claim or [])
    if issuer:
        extra["iss"] = issuer
    now = int(time.time())
    print(oidc.mint(state, subject=sub, audience=aud[0] if len(aud) == 1 else aud, now=now, ttl=ttl, alg=alg,
                    extra=extra))


@app.command("saml-metadata")
def saml_metadata(state_dir: StateDir = keys.DEFAULT_DIR) -> None:
    """Print the SAML IdP's metadata document (for CreateSAMLProvider)."""
    from iamd.idp import saml

    print(saml.metadata(keys.load(state_dir)))


@app.command("saml")
def saml_response(
    role: Annotated[list[str], typer.Option("--role", help="ROLE_ARN,PROVIDER_ARN; repeat for several.")],
    subject: Annotated[str, typer.Option("--subject", help="The NameID (persistent).")] = "alice",
    session_name: Annotated[str | None, typer.Option("--session-name", help="RoleSessionName (default: the subject).")] = None,
    state_dir: StateDir = keys.DEFAULT_DIR,
    ttl: Annotated[int, typer.Option(help="Lifetime of the assertion in seconds (negative: expired).")] = 300,
    session_duration: Annotated[int | None, typer.Option("--session-duration", help="SessionDuration attribute.")] = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="PrincipalTag KEY=VALUE.")] = None,
    transitive: Annotated[list[str] | None, typer.Option("--transitive", help="A transitive tag key.")] = None,
    source_identity: Annotated[str | None, typer.Option("--source-identity")] = None,
    sign_response: Annotated[bool, typer.Option("--sign-response", help="Sign the Response as well.")] = False,
) -> None:
    """Print a signed, base64 SAMLResponse for AssumeRoleWithSAML."""
    import datetime

    from iamd.idp import saml

    tags = dict(item.split("=", 1) for item in tag or [])
    print(saml.response(
        keys.load(state_dir), roles=role, subject=subject, session_name=session_name or subject,
        now=datetime.datetime.now(datetime.UTC), ttl=ttl, session_duration=session_duration, tags=tags,
        transitive=transitive or [], source_identity=source_identity, sign_response=sign_response,
    ))
