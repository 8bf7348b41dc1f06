"""Account-wide settings: the STS global endpoint token version and the account properties.

SetSecurityTokenServicePreferences chooses the version of the session tokens STS's global
endpoint issues for the account (``v1Token``: valid only in the regions enabled by
default; ``v2Token``: valid in every region); GetAccountSummary reports it as
``GlobalEndpointTokenVersion`` 1 or 2. iamd's tokens are valid wherever iamd answers, so
the setting is recorded and reported, and changes nothing else.

GetAccountProperties and PutAccountProperties read and write the account properties,
``Namespace/PropertyName`` keys with string values. AWS defines one so far,
``RoleManager/Enabled`` (a boolean, ``false`` unless set): whether the consoles create
the roles their workflows need from role templates. GetAccountProperties answers every
known property with its current value; PutAccountProperties takes keys of one namespace
only, refuses unknown keys and coerces each value to its property's type (``True`` is
stored as ``true``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from iamd.protocol.errors import InvalidInput
from iamd.services.operations import OperationContext, Output, Params, operation
from iamd.store import UnitOfWork

TOKEN_VERSION_SETTING = "sts:GlobalEndpointTokenVersion"
PROPERTIES_SETTING = "iam:AccountProperties"

_TOKEN_VERSIONS = {"v1Token": 1, "v2Token": 2}
DEFAULT_TOKEN_VERSION = 1


def _boolean(key: str, value: str) -> str:
    lowered = value.strip().lower()
    if lowered not in ("true", "false"):
        raise InvalidInput(f"Invalid value for property {key}: {value}. Expected true or false.")
    return lowered


# Every property AWS defines: its default and the function that validates and coerces a
# value to its type.
_PROPERTIES: dict[str, tuple[str, Callable[[str, str], str]]] = {
    "RoleManager/Enabled": ("false", _boolean),
}


def global_endpoint_token_version(unit: UnitOfWork, account_id: str) -> int:
    """The version (1 or 2) of the tokens the global STS endpoint issues for the account."""
    stored = unit.settings.get(account_id, TOKEN_VERSION_SETTING)
    return int(stored) if stored in (1, 2) else DEFAULT_TOKEN_VERSION


def account_properties(unit: UnitOfWork, account_id: str) -> dict[str, str]:
    """Every known account property with its current value."""
    stored = unit.settings.get(account_id, PROPERTIES_SETTING) or {}
    return {key: str(stored.get(key, default)) for key, (default, _) in _PROPERTIES.items()}


@operation("iam", "SetSecurityTokenServicePreferences")
def set_security_token_service_preferences(context: OperationContext, params: Params) -> Output:
    version = _TOKEN_VERSIONS[params["GlobalEndpointTokenVersion"]]
    with context.db.transaction() as unit:
        unit.settings.put(context.caller.account_id, TOKEN_VERSION_SETTING, version)
    return None


@operation("iam", "GetAccountProperties")
def get_account_properties(context: OperationContext, params: Params) -> Output:
    with context.db.reading() as unit:
        properties = account_properties(unit, context.caller.account_id)
    return {"Properties": properties}


def _validated(properties: Mapping[str, str]) -> dict[str, str]:
    """The properties to write, coerced, after AWS's checks on keys and values."""
    if not properties:
        raise InvalidInput("Properties must contain at least one property.")
    namespaces = set()
    for key in properties:
        if key.count("/") != 1 or key.startswith("/") or key.endswith("/"):
            raise InvalidInput(
                f"Invalid property key: {key}. Property keys must be in the format Namespace/PropertyName."
            )
        namespaces.add(key.split("/", 1)[0])
    if len(namespaces) > 1:
        raise InvalidInput("All properties in a request must belong to the same namespace.")
    coerced = {}
    for key, value in properties.items():
        known = _PROPERTIES.get(key)
        if known is None:
            raise InvalidInput(f"Unknown property key: {key}.")
        coerced[key] = known[1](key, value)
    return coerced


@operation("iam", "PutAccountProperties")
def put_account_properties(context: OperationContext, params: Params) -> Output:
    updates = _validated(params["Properties"])
    account_id = context.caller.account_id
    with context.db.transaction() as unit:
        stored: dict[str, Any] = unit.settings.get(account_id, PROPERTIES_SETTING) or {}
        stored.update(updates)
        unit.settings.put(account_id, PROPERTIES_SETTING, stored)
    return None
