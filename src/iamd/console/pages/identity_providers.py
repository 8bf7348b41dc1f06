"""Identity providers: the account's SAML and OpenID Connect providers, listed, created
and deleted with the API's operations (and its validation errors)."""

from __future__ import annotations

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page
from iamd.console.pages.common import lines, members

EXAMPLE_SAML = "arn:aws:iam::000000000000:saml-provider/example"
EXAMPLE_OIDC = "arn:aws:iam::000000000000:oidc-provider/example.com"


def index(page: Page, error: OperationError | None = None, values: dict[str, str] | None = None,
          status: int = 200) -> Response:
    saml = page.iam("ListSAMLProviders").get("SAMLProviderList") or []
    oidc = page.iam("ListOpenIDConnectProviders").get("OpenIDConnectProviderList") or []
    details = []
    for provider in oidc:
        found = page.try_iam("GetOpenIDConnectProvider", OpenIDConnectProviderArn=provider["Arn"])
        details.append({"Arn": provider["Arn"], **({} if isinstance(found, OperationError) else found)})
    caps = {
        "create_saml": page.can("CreateSAMLProvider", Name="example", SAMLMetadataDocument="x" * 1000),
        "create_oidc": page.can("CreateOpenIDConnectProvider", Url="https://example.com"),
        "delete_saml": page.can("DeleteSAMLProvider", SAMLProviderArn=EXAMPLE_SAML),
        "delete_oidc": page.can("DeleteOpenIDConnectProvider", OpenIDConnectProviderArn=EXAMPLE_OIDC),
    }
    return page.render("identity_providers.html", status=status, saml=saml, oidc=details, caps=caps, error=error,
                       values=values or {})


def show(page: Page) -> Response:
    return index(page)


def create(page: Page) -> Response:
    form = page.request
    kind = form.field("kind")
    try:
        if kind == "saml":
            name = form.field("name").strip()
            page.iam("CreateSAMLProvider", Name=name, SAMLMetadataDocument=form.field("metadata"))
            page.flash(f"SAML provider {name} created.")
        elif kind == "oidc":
            url = form.field("url").strip()
            fields = {"Url": url, **members("ClientIDList", lines(form.field("client_ids"))),
                      **members("ThumbprintList", lines(form.field("thumbprints")))}
            page.iam("CreateOpenIDConnectProvider", fields)
            page.flash(f"OpenID Connect provider {url} created.")
        else:
            raise OperationError("ValidationError", f"`{kind}` is not a kind of identity provider: saml or oidc.", 400)
    except OperationError as exc:
        if exc.code == "AccessDenied":
            raise
        values = {key: form.field(key) for key in ("kind", "name", "metadata", "url", "client_ids", "thumbprints")}
        return index(page, exc, values, exc.status)
    return Response.redirect("/console/identity-providers")


def delete(page: Page) -> Response:
    arn = page.request.field("arn")
    if ":saml-provider/" in arn:
        page.iam("DeleteSAMLProvider", SAMLProviderArn=arn)
    else:
        page.iam("DeleteOpenIDConnectProvider", OpenIDConnectProviderArn=arn)
    page.flash("Identity provider deleted.")
    return Response.redirect("/console/identity-providers")


ROUTES: list[Route] = [
    route("GET", "/identity-providers", show),
    route("POST", "/identity-providers", create),
    route("POST", "/identity-providers/delete", delete),
]
