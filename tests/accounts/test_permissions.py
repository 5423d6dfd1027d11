"""Who may call what: each permission class against every kind of caller, and the staff groups."""

from typing import Any

import pytest
from django.apps import apps as global_apps
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.state import ProjectState
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from accounts.models import ServiceClient
from accounts.permissions import DenyAll, IsAgent, IsCustomer, IsServiceClient, agent_with, service_with
from accounts.roles import ROLE_PERMISSIONS, ROLES, staff_groups_after_migrate, staff_groups_ensure, staff_has
from accounts.service_clients import api_key_create
from accounts.tokens import auth_token_issue
from tests.factories import DeviceFactory, ServiceClientFactory, StaffUserFactory

pytestmark = pytest.mark.django_db

# The StaffRole permissions of migration 0002, before i10 added the rest.
FIRST_STAFF_PERMISSIONS = {
    "agent_access",
    "view_customer",
    "freeze_features",
    "unfreeze_features",
    "stop_hold",
    "manage_risk_list",
}


def role_permissions_are_current():
    for role in ROLES:
        assert group_permissions(role) == set(ROLE_PERMISSIONS[role]), role


def throwaway_view(*permission_classes):
    class View(APIView):
        def get(self, request):
            return Response({"ok": True})

    if permission_classes:
        View.permission_classes = list(permission_classes)
    return View.as_view()


def customer_headers():
    device = DeviceFactory()
    raw = auth_token_issue(customer=device.customer, device=device, ip_address=None).raw
    return {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_X_DEVICE_ID": device.device_id}


def staff_headers(*groups, **fields):
    user = StaffUserFactory(groups=list(groups), **fields)
    return {"HTTP_AUTHORIZATION": f"Bearer {auth_token_issue(staff_user=user, ip_address=None).raw}"}


def service_headers(*scopes):
    raw, _ = api_key_create(client=ServiceClientFactory(scopes=list(scopes)))
    return {"HTTP_AUTHORIZATION": f"ApiKey {raw}"}


def status_of(view, headers):
    return view(APIRequestFactory().get("/throwaway", **headers)).status_code


CALLERS = {
    "nobody": dict,
    "customer": customer_headers,
    "agent": lambda: staff_headers("agent"),
    "supervisor": lambda: staff_headers("supervisor"),
    "staff_without_agent_access": lambda: staff_headers(),
    "superuser": lambda: staff_headers(is_superuser=True),
    "auditor": lambda: staff_headers("auditor"),
    "administrator": lambda: staff_headers("administrator"),
    "service_authorize": lambda: service_headers(ServiceClient.Scope.AUTHORIZE),
    "service_read": lambda: service_headers(ServiceClient.Scope.READ_AUTHORIZATIONS),
}

EXPECTED: dict[str, tuple[list[Any], dict[str, int]]] = {
    # permission: {caller: status}
    "IsCustomer": (
        [IsCustomer],
        {
            "nobody": 401,
            "customer": 200,
            "agent": 403,
            "supervisor": 403,
            "staff_without_agent_access": 403,
            "superuser": 403,
            "service_authorize": 403,
            "service_read": 403,
        },
    ),
    "IsAgent": (
        [IsAgent],
        {
            "nobody": 401,
            "customer": 403,
            "agent": 200,
            "supervisor": 200,
            "staff_without_agent_access": 403,
            # createsuperuser grants every Django permission; the agent API looks at roles only.
            "superuser": 403,
            "auditor": 200,
            "administrator": 403,
            "service_authorize": 403,
            "service_read": 403,
        },
    ),
    "agent_with(stop_hold)": (
        [agent_with("accounts.stop_hold")],
        {
            "nobody": 401,
            "customer": 403,
            "agent": 200,
            "supervisor": 200,
            "staff_without_agent_access": 403,
            "superuser": 403,
            "auditor": 403,
            "administrator": 403,
            "service_authorize": 403,
        },
    ),
    "agent_with(manage_risk_list)": (
        [agent_with("accounts.manage_risk_list")],
        {
            "nobody": 401,
            "customer": 403,
            "agent": 403,
            "supervisor": 200,
            "superuser": 403,
            "auditor": 403,
            "service_authorize": 403,
        },
    ),
    "IsServiceClient": (
        [IsServiceClient],
        {"nobody": 401, "customer": 403, "agent": 403, "service_authorize": 200, "service_read": 200},
    ),
    "service_with(authorizations:write)": (
        [service_with(ServiceClient.Scope.AUTHORIZE)],
        {
            "nobody": 401,
            "customer": 403,
            "agent": 403,
            "supervisor": 403,
            "superuser": 403,
            "service_authorize": 200,
            "service_read": 403,
        },
    ),
    "DenyAll": (
        [DenyAll],
        {"nobody": 401, "customer": 403, "agent": 403, "superuser": 403, "service_authorize": 403},
    ),
}

CASES = [(name, caller) for name, (_, callers) in EXPECTED.items() for caller in callers]


@pytest.mark.parametrize(("permission", "caller"), CASES)
def test_permission_against_caller(permission, caller):
    permission_classes, expected = EXPECTED[permission]
    assert status_of(throwaway_view(*permission_classes), CALLERS[caller]()) == expected[caller]


def test_a_view_that_names_nobody_refuses_everybody():
    """Deny by default. Needs REST_FRAMEWORK["DEFAULT_PERMISSION_CLASSES"] = ["accounts.permissions.DenyAll"]:
    DRF's IsAdminUser lets any is_staff user in and fails with a 500 on customers and service clients."""
    view = throwaway_view()
    for caller in ("nobody", "customer", "agent", "superuser", "service_authorize"):
        assert status_of(view, CALLERS[caller]()) in {401, 403}, caller


def test_refusals_are_problem_documents():
    response = throwaway_view(IsAgent)(APIRequestFactory().get("/throwaway", **customer_headers()))
    response.render()
    assert response["Content-Type"] == "application/problem+json"
    assert response.data["code"] == "permission_denied"
    assert response.data["detail"] == IsAgent.message


# --- staff groups -----------------------------------------------------------------------------------


def group_permissions(name):
    return set(Group.objects.get(name=name).permissions.values_list("codename", flat=True))


def test_migrations_created_the_staff_groups():
    role_permissions_are_current()


def forget_staff_groups():
    Group.objects.filter(name__in=ROLES).delete()
    Permission.objects.filter(content_type__app_label="accounts", content_type__model="staffrole").delete()


def test_ensure_recreates_groups_and_permissions_and_is_idempotent():
    forget_staff_groups()
    staff_groups_ensure()
    staff_groups_ensure()
    role_permissions_are_current()
    assert Group.objects.filter(name__in=ROLES).count() == 4


def test_ensure_keeps_permissions_added_by_hand():
    extra = Permission.objects.get(codename="manage_risk_list")
    Group.objects.get(name="agent").permissions.add(extra)
    staff_groups_ensure()
    assert group_permissions("agent") == {*ROLE_PERMISSIONS["agent"], "manage_risk_list"}


def test_migration_works_before_the_permissions_exist():
    """At migration time Django has not created the permissions yet (that happens in post_migrate)."""
    forget_staff_groups()
    state = MigrationExecutor(connection).loader.project_state(("accounts", "0002_staff_groups"))
    staff_groups_ensure(apps=state.apps)
    # Only the permissions the model had then; post_migrate adds the later ones.
    assert group_permissions("agent") == set(ROLE_PERMISSIONS["agent"]) & FIRST_STAFF_PERMISSIONS
    assert group_permissions("supervisor") == FIRST_STAFF_PERMISSIONS


def test_post_migrate_receiver():
    forget_staff_groups()
    staff_groups_after_migrate(apps=global_apps, using="default")
    role_permissions_are_current()
    # Before the auth or accounts models are migrated there is nothing to do, and no error.
    forget_staff_groups()
    staff_groups_after_migrate(apps=ProjectState().apps, using="default")
    assert not Group.objects.filter(name="agent").exists()


def test_agent_group_member_passes_is_agent():
    agent = StaffUserFactory(groups=["agent"])
    assert staff_has(agent, "accounts.agent_access")
    assert not staff_has(agent, "accounts.manage_risk_list")


def test_a_superuser_holds_no_staff_permission_by_being_one():
    root = StaffUserFactory(is_superuser=True)
    assert root.has_perm("accounts.freeze_features")  # Django's view of a superuser
    assert not staff_has(root, "accounts.freeze_features")
    assert not staff_has(root, "accounts.agent_access")
