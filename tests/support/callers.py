"""Credentials of the wrong callers, for the "who may call this" tests of every endpoint."""

from accounts.service_clients import api_key_create
from accounts.tokens import auth_token_issue
from tests.factories import ServiceClientFactory, StaffUserFactory


def staff_headers(*groups: str) -> dict[str, str]:
    user = StaffUserFactory(groups=list(groups))
    return {"HTTP_AUTHORIZATION": f"Bearer {auth_token_issue(staff_user=user, ip_address=None).raw}"}


def service_headers(*scopes: str) -> dict[str, str]:
    raw, _ = api_key_create(client=ServiceClientFactory(scopes=list(scopes) or ["authorizations:write"]))
    return {"HTTP_AUTHORIZATION": f"ApiKey {raw}"}


def wrong_callers() -> dict[str, dict[str, str]]:
    """Nobody, an agent, a supervisor and the payment core: none of them is a customer."""
    return {
        "anonymous": {},
        "agent": staff_headers("agent"),
        "supervisor": staff_headers("supervisor"),
        "service": service_headers("authorizations:write", "authorizations:read", "holds:read"),
    }
