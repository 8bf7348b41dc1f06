"""The iamd web console: server-rendered pages at ``/console``.

Sign-in goes through ``services.signin``; every page action is an IAM operation run
through the ``Backend`` the server supplies, so the console is authorized by the same
engine, refused with the same AccessDenied and recorded in the same audit log as the API.
Plain HTML forms and one stylesheet; the only script is the console's own file for the
WebAuthn ceremonies of security keys, so a strict Content-Security-Policy holds.
"""

from iamd.console.app import ConsoleApp, Route
from iamd.console.backend import Backend, Client, OperationError, Operations
from iamd.console.pages import (
    access_advisor,
    account,
    boundaries,
    dashboard,
    events,
    groups,
    identity_providers,
    mfa,
    policies,
    reports,
    roles,
    signin,
    simulator,
    switch_role,
    tags,
    users,
)

__all__ = ["Backend", "Client", "ConsoleApp", "OperationError", "Operations", "Route", "create_app"]


def create_app(backend: Backend) -> ConsoleApp:
    routes: list[Route] = [
        *signin.ROUTES,
        *dashboard.ROUTES,
        *users.ROUTES,
        *mfa.ROUTES,
        *groups.ROUTES,
        *roles.ROUTES,
        *policies.ROUTES,
        *simulator.ROUTES,
        *reports.ROUTES,
        *account.ROUTES,
        *switch_role.ROUTES,
        *identity_providers.ROUTES,
        *access_advisor.ROUTES,
        *events.ROUTES,
        *tags.ROUTES,
        *boundaries.ROUTES,
        signin.ACCOUNT_ROUTE,
    ]
    return ConsoleApp(backend, routes)
