"""Who may call what. Every view names one of these; the default (settings) refuses everybody.

`schema_caller` names the kind of caller a permission lets in; the OpenAPI schema reads it to declare each
operation's one security scheme and its tag (`securitycenter.openapi.CallerAutoSchema`).
"""

from typing import Any, ClassVar

from django.contrib.auth import get_user_model
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from accounts.models import Customer, ServiceClient
from accounts.roles import staff_has


class DenyAll(BasePermission):
    """The default for a view that names nobody. DRF's IsAdminUser is not a safe default here: it lets every
    staff user (is_staff) in, and fails with a 500 on a customer or service client, who have no is_staff."""

    message = "This endpoint does not say who may call it, so nobody may."

    def has_permission(self, request: Request, view: Any) -> bool:
        return False


class IsCustomer(BasePermission):
    message = "This endpoint is for customers."
    schema_caller: ClassVar[str] = "customer"

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, Customer)


class IsAgent(BasePermission):
    """A staff user of the 95588 call centre (agent, supervisor or auditor), by role: never by is_superuser."""

    message = "This endpoint is for call-centre agents."
    schema_caller: ClassVar[str] = "agent"
    required_permission = "accounts.agent_access"

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        return (
            isinstance(user, get_user_model())
            and user.is_active
            and staff_has(user, "accounts.agent_access")
            and staff_has(user, self.required_permission)
        )


def agent_with(permission: str) -> type[IsAgent]:
    """An agent who also holds `permission`, e.g. agent_with("accounts.stop_hold")."""
    return type(f"AgentWith_{permission.replace('.', '_')}", (IsAgent,), {"required_permission": permission})


class IsServiceClient(BasePermission):
    message = "This endpoint is for service clients."
    schema_caller: ClassVar[str] = "payment core"
    required_scope: str | None = None

    def has_permission(self, request: Request, view: Any) -> bool:
        client = request.user
        if not isinstance(client, ServiceClient):
            return False
        return self.required_scope is None or self.required_scope in client.scopes


def service_with(scope: str) -> type[IsServiceClient]:
    """A service client whose key carries `scope`, e.g. service_with("authorizations:write")."""
    return type(f"ServiceWith_{scope.replace(':', '_')}", (IsServiceClient,), {"required_scope": scope})
