"""Outbound web identity federation: whether the account's principals may get JWTs from STS.

EnableOutboundWebIdentityFederation turns the feature on and answers the account's issuer
identifier, the URL that serves the OpenID Connect discovery documents external services
use to verify the tokens (AWS's form: ``https://<uuid>.tokens.sts.global.api.aws``). The
identifier is generated at the first enablement, from the deployment's random source, and
kept: disabling and enabling again gives the same one. Enabling twice is
``FeatureEnabled`` (409), disabling what is not enabled ``FeatureDisabled`` (404).

GetOutboundWebIdentityFederationInfo answers the identifier and ``JwtVendingEnabled``; for
an account that never enabled the feature there is no identifier yet, and it answers
``FeatureDisabled``. STS's GetWebIdentityToken reads the state through ``federation_state``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from iamd.protocol.errors import FeatureDisabled, FeatureEnabled
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.store import UnitOfWork

STATE_SETTING = "iam:OutboundWebIdentityFederation"
ISSUER_DOMAIN = "tokens.sts.global.api.aws"

ALREADY_ENABLED = (
    "Outbound web identity federation is already enabled for this account. "
    "Use GetOutboundWebIdentityFederationInfo to fetch the current configuration."
)
DISABLED = "Outbound web identity federation is disabled for this account."


@dataclass(frozen=True, slots=True)
class FederationState:
    issuer_identifier: str
    enabled: bool


def federation_state(unit: UnitOfWork, account_id: str) -> FederationState | None:
    """The account's outbound federation state, or None if it never enabled the feature."""
    stored = unit.settings.get(account_id, STATE_SETTING)
    if not stored:
        return None
    return FederationState(stored["IssuerIdentifier"], bool(stored["Enabled"]))


def _put(unit: UnitOfWork, account_id: str, state: FederationState) -> None:
    unit.settings.put(
        account_id, STATE_SETTING, {"IssuerIdentifier": state.issuer_identifier, "Enabled": state.enabled}
    )


@operation("iam", "EnableOutboundWebIdentityFederation")
def enable_outbound_web_identity_federation(context: OperationContext, params: Params) -> Output:
    account_id = context.caller.account_id
    with context.db.transaction() as unit:
        state = federation_state(unit, account_id)
        if state is not None and state.enabled:
            raise FeatureEnabled(ALREADY_ENABLED)
        if state is None:
            token = uuid.UUID(bytes=context.runtime.random_bytes(16), version=4)
            issuer = f"https://{token}.{ISSUER_DOMAIN}"
        else:
            issuer = state.issuer_identifier
        _put(unit, account_id, FederationState(issuer, True))
    return {"IssuerIdentifier": issuer}


@operation("iam", "DisableOutboundWebIdentityFederation")
def disable_outbound_web_identity_federation(context: OperationContext, params: Params) -> Output:
    account_id = context.caller.account_id
    with context.db.transaction() as unit:
        state = federation_state(unit, account_id)
        if state is None or not state.enabled:
            raise FeatureDisabled(DISABLED)
        _put(unit, account_id, FederationState(state.issuer_identifier, False))
    return None


@operation("iam", "GetOutboundWebIdentityFederationInfo")
def get_outbound_web_identity_federation_info(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        state = federation_state(unit, context.caller.account_id)
    if state is None:
        raise FeatureDisabled(DISABLED)
    return {"IssuerIdentifier": state.issuer_identifier, "JwtVendingEnabled": state.enabled}
