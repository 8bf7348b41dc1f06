"""Identity providers: the account's SAML and OpenID Connect providers, listed, created,
edited (a SAML provider's metadata; an OpenID Connect provider's audiences and thumbprints)
and deleted with the API's operations (and its validation errors).

The API does not page these lists (nor does AWS's), so the page filters (a substring of
the ARN) and pages them in memory, a page ending at the ARN the next one starts after.
"""

from __future__ import annotations

from urllib.parse import urlencode

from iamd.console._http import Response
from iamd.console.app import Route, route
from iamd.console.backend import OperationError
from iamd.console.page import Page
from iamd.console.pages.common import lines, members, page_in_memory

EXAMPLE_SAML = "arn:aws:iam::000000000000:saml-provider/example"
EXAMPLE_OIDC = "arn:aws:iam::000000000000:oidc-provider/example.com"
ACTIONS = ("metadata", "add-client", "remove-client", "thumbprints")


def index(page: Page, error: OperationError | None = None, values: dict[str, str] | None = None,
          status: int = 200) -> Response:
    saml = page.iam("ListSAMLProviders").get("SAMLProviderList") or []
    oidc = page.iam("ListOpenIDConnectProviders").get("OpenIDConnectProviderList") or []
    providers = [{**p, "kind": "SAML"} for p in saml] + [{**p, "kind": "OpenID Connect"} for p in oidc]
    listing = page_in_memory(page, providers, "Arn")
    shown = []
    for provider in listing.items:
        if provider["kind"] == "OpenID Connect":
            found = page.try_iam("GetOpenIDConnectProvider", OpenIDConnectProviderArn=provider["Arn"])
            provider = {**provider, **({} if isinstance(found, OperationError) else found)}
        shown.append(provider)
    caps = {
        "create_saml": page.can("CreateSAMLProvider", Name="example", SAMLMetadataDocument="x" * 1000),
        "create_oidc": page.can("CreateOpenIDConnectProvider", Url="https://example.com"),
        "delete_saml": page.can("DeleteSAMLProvider", SAMLProviderArn=EXAMPLE_SAML),
        "delete_oidc": page.can("DeleteOpenIDConnectProvider", OpenIDConnectProviderArn=EXAMPLE_OIDC),
    }
    return page.render("identity_providers.html", status=status, providers=shown, listing=listing, caps=caps,
                       error=error, values=values or {})


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


def view(page: Page) -> Response:
    """One provider: a SAML provider's metadata, an OpenID Connect provider's audiences and
    thumbprints, each editable when the caller may."""
    arn = page.request.arg("arn")
    if ":saml-provider/" in arn:
        provider = page.iam("GetSAMLProvider", SAMLProviderArn=arn)
        caps = {"edit": page.can("UpdateSAMLProvider", SAMLProviderArn=arn)}
        return page.render("identity_provider.html", arn=arn, kind="saml", provider=provider, caps=caps)
    provider = page.iam("GetOpenIDConnectProvider", OpenIDConnectProviderArn=arn)
    caps = {
        "add_client": page.can("AddClientIDToOpenIDConnectProvider", OpenIDConnectProviderArn=arn, ClientID="x"),
        "remove_client": page.can("RemoveClientIDFromOpenIDConnectProvider", OpenIDConnectProviderArn=arn,
                                  ClientID="x"),
        "thumbprints": page.can("UpdateOpenIDConnectProviderThumbprint", OpenIDConnectProviderArn=arn,
                                **members("ThumbprintList", ["0" * 40])),
    }
    return page.render("identity_provider.html", arn=arn, kind="oidc", provider=provider, caps=caps)


def update(page: Page) -> Response:
    """One change to a provider: ``action`` names which, and the operation that makes it."""
    form = page.request
    arn, action = form.field("arn"), form.field("action")
    try:
        if action == "metadata":
            page.iam("UpdateSAMLProvider", SAMLProviderArn=arn, SAMLMetadataDocument=form.field("metadata"))
            page.flash("SAML metadata updated.")
        elif action == "add-client":
            client_id = form.field("client_id").strip()
            page.iam("AddClientIDToOpenIDConnectProvider", OpenIDConnectProviderArn=arn, ClientID=client_id)
            page.flash(f"Audience {client_id} added.")
        elif action == "remove-client":
            client_id = form.field("client_id")
            page.iam("RemoveClientIDFromOpenIDConnectProvider", OpenIDConnectProviderArn=arn, ClientID=client_id)
            page.flash(f"Audience {client_id} removed.")
        elif action == "thumbprints":
            page.iam("UpdateOpenIDConnectProviderThumbprint",
                     {"OpenIDConnectProviderArn": arn, **members("ThumbprintList", lines(form.field("thumbprints")))})
            page.flash("Thumbprints updated.")
        else:
            raise OperationError("ValidationError", f"`{action}` is not a change to an identity provider.", 400)
    except OperationError as exc:
        if exc.code in ("AccessDenied", "NoSuchEntity") or action not in ACTIONS:
            raise
        page.flash(f"The provider was not changed ({exc.code}: {exc.message})")
    return Response.redirect("/console/identity-providers/view?" + urlencode({"arn": arn}))


ROUTES: list[Route] = [
    route("GET", "/identity-providers", show),
    route("POST", "/identity-providers", create),
    route("POST", "/identity-providers/delete", delete),
    route("GET", "/identity-providers/view", view),
    route("POST", "/identity-providers/update", update),
]
