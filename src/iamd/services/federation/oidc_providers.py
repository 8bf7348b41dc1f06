"""IAM OpenID Connect identity providers: Create/Get/List/Delete, client ids, thumbprints
and tags.

A provider is named by its URL without ``https://``
(``arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com``) and
GetOpenIDConnectProvider answers the URL in that form. The URL must be https, without a
query or fragment; an account holds at most 100 providers, a provider 100 client ids and
5 thumbprints. Deleting a provider that does not exist, adding a client id already there
and removing one that is not are no-ops, as AWS documents them to be.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from iamd.protocol.errors import EntityAlreadyExists, InvalidInput, NoSuchEntity
from iamd.services.iam import tagging
from iamd.services.iam.common import quota_exceeded
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.services.quotas import hold_quotas, quota_reached
from iamd.store import DuplicateKey, UnitOfWork
from iamd.store.identity_providers import IdentityProviderRepository, OidcProviderRecord

KIND = "oidc-provider"
PROVIDERS_PER_ACCOUNT = 100
CLIENT_IDS_PER_PROVIDER = 100
THUMBPRINTS_PER_PROVIDER = 5
_THUMBPRINT = re.compile(r"[0-9A-Fa-f]{40}")


def provider_arn(partition: str, account_id: str, url: str) -> str:
    return f"arn:{partition}:iam::{account_id}:{KIND}/{url}"


def stored_url(url: str) -> str:
    """The provider URL as the ARN carries it; InvalidInput when it is not one AWS takes."""
    parts = urlsplit(url)
    if (
        parts.scheme != "https" or not parts.hostname or parts.query or parts.fragment
        or "@" in parts.netloc or url != url.strip() or not url.lower().startswith("https://")
    ):
        raise InvalidInput("Invalid Open ID Connect Provider URL")
    return url[len("https://"):].rstrip("/")


def not_found(arn: str) -> NoSuchEntity:
    return NoSuchEntity(f"OpenIDConnect Provider not found for arn {arn}")


def _repo(unit: UnitOfWork) -> IdentityProviderRepository:
    return unit.identity_providers


def _get(unit: UnitOfWork, context: OperationContext, arn: str) -> OidcProviderRecord:
    record = _repo(unit).get_oidc(arn)
    if record is None or record.account_id != context.caller.account_id:
        raise not_found(arn)
    return record


def _thumbprints(values: list[str]) -> list[str]:
    if len(values) > THUMBPRINTS_PER_PROVIDER:
        raise InvalidInput("Thumbprint list must contain fewer than 5 entries.")
    for value in values:
        if not _THUMBPRINT.fullmatch(value):
            raise InvalidInput(f"Invalid thumbprint {value}: a thumbprint is 40 hexadecimal characters.")
    return list(dict.fromkeys(values))


def _client_ids(values: list[str]) -> list[str]:
    unique = list(dict.fromkeys(values))
    if len(unique) > CLIENT_IDS_PER_PROVIDER:
        raise quota_exceeded("ClientIdsPerOpenIdConnectProvider", CLIENT_IDS_PER_PROVIDER)
    return unique


@operation("iam", "CreateOpenIDConnectProvider")
def create_open_id_connect_provider(context: OperationContext, params: Params) -> Output:
    caller = context.caller
    url = stored_url(params["Url"])
    client_ids = _client_ids(list(params.get("ClientIDList") or []))
    thumbprints = _thumbprints(list(params.get("ThumbprintList") or []))
    tags = tagging.validate(params.get("Tags") or [])
    if len(tags) > context.quotas.tags_per_entity:
        raise InvalidInput("The number of tags has reached the maximum limit.")
    arn = provider_arn(caller.partition, caller.account_id, url)
    with context.db.transaction() as unit:
        repo = _repo(unit)
        if quota_reached(unit, caller.account_id, PROVIDERS_PER_ACCOUNT, lambda: len(repo.list_oidc(caller.account_id))):
            raise quota_exceeded("OpenIdConnectProvidersPerAccount", PROVIDERS_PER_ACCOUNT)
        try:
            repo.add_oidc(OidcProviderRecord(arn, caller.account_id, url, client_ids, thumbprints,
                                             context.runtime.now()))
        except DuplicateKey:
            raise EntityAlreadyExists(f"Provider with url https://{url} already exists.") from None
        if tags:
            unit.tags.put(caller.account_id, KIND, arn, tags)
    output: dict[str, Any] = {"OpenIDConnectProviderArn": arn}
    if tags:
        output["Tags"] = [{"Key": k, "Value": v} for k, v in tags]
    return output


@operation("iam", "GetOpenIDConnectProvider")
def get_open_id_connect_provider(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        record = _get(unit, context, params["OpenIDConnectProviderArn"])
        tags = tagging.tags_shape(unit, KIND, record.arn)
    output: dict[str, Any] = {
        "Url": record.url,
        "ClientIDList": record.client_ids,
        "ThumbprintList": record.thumbprints,
        "CreateDate": record.created_at,
    }
    if tags:
        output["Tags"] = tags
    return output


@operation("iam", "ListOpenIDConnectProviders")
def list_open_id_connect_providers(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        records = _repo(unit).list_oidc(context.caller.account_id)
    return {"OpenIDConnectProviderList": [{"Arn": record.arn} for record in records]}


@operation("iam", "DeleteOpenIDConnectProvider")
def delete_open_id_connect_provider(context: OperationContext, params: Params) -> Output:
    arn = params["OpenIDConnectProviderArn"]
    with context.db.transaction() as unit:
        record = _repo(unit).get_oidc(arn)
        if record is not None and record.account_id == context.caller.account_id:
            _repo(unit).delete_oidc(arn)
            unit.tags.remove_all(KIND, arn)
    return None


@operation("iam", "AddClientIDToOpenIDConnectProvider")
def add_client_id(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        hold_quotas(unit, context.caller.account_id)
        record = _get(unit, context, params["OpenIDConnectProviderArn"])
        if params["ClientID"] not in record.client_ids:
            client_ids = _client_ids([*record.client_ids, params["ClientID"]])
            _repo(unit).update_oidc(record.arn, client_ids=client_ids)
    return None


@operation("iam", "RemoveClientIDFromOpenIDConnectProvider")
def remove_client_id(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = _get(unit, context, params["OpenIDConnectProviderArn"])
        if params["ClientID"] in record.client_ids:
            remaining = [cid for cid in record.client_ids if cid != params["ClientID"]]
            _repo(unit).update_oidc(record.arn, client_ids=remaining)
    return None


@operation("iam", "UpdateOpenIDConnectProviderThumbprint")
def update_thumbprint(context: OperationContext, params: Params) -> Output:
    thumbprints = _thumbprints(list(params.get("ThumbprintList") or []))
    with context.db.transaction() as unit:
        record = _get(unit, context, params["OpenIDConnectProviderArn"])
        _repo(unit).update_oidc(record.arn, thumbprints=thumbprints)
    return None


@operation("iam", "TagOpenIDConnectProvider")
def tag_open_id_connect_provider(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = _get(unit, context, params["OpenIDConnectProviderArn"])
        tagging.tag(context, unit, KIND, record.arn, params["Tags"])
    return None


@operation("iam", "UntagOpenIDConnectProvider")
def untag_open_id_connect_provider(context: OperationContext, params: Params) -> Output:
    with context.db.transaction() as unit:
        record = _get(unit, context, params["OpenIDConnectProviderArn"])
        tagging.untag(unit, KIND, record.arn, params["TagKeys"])
    return None


@operation("iam", "ListOpenIDConnectProviderTags")
def list_open_id_connect_provider_tags(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        record = _get(unit, context, params["OpenIDConnectProviderArn"])
        return tagging.list_tags_output(params, unit, KIND, record.arn)
