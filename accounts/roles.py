"""The staff roles of the 95588 call centre, the permissions each carries, and the one check of them.

Roles are Django groups holding `StaffRole` permissions: agent, supervisor, auditor (reads, never acts)
and administrator (the admin site only). `staff_groups_ensure` is idempotent. It runs from a data
migration with the historical models (the permissions do not exist yet then: Django creates them in
post_migrate, after every migration ran) and again after every `migrate` and test flush (accounts/apps.py),
so the groups come back if deleted and a permission added to a role later reaches its holders.

`staff_has` is the only check of a staff permission. It reads the user's groups and own permissions and
ignores `is_superuser`: Django's `has_perm` grants a superuser everything, and an account made with
`createsuperuser` must not pass as a 95588 agent (nor freeze a customer's money) by accident.
"""

from typing import Any

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS
from django.db.models import Q

from securitycenter.errors import NotPermitted

AGENT_GROUP = "agent"
SUPERVISOR_GROUP = "supervisor"
AUDITOR_GROUP = "auditor"
ADMINISTRATOR_GROUP = "administrator"

# Codenames of StaffRole permissions (app label "accounts").
AGENT_PERMISSIONS = (
    "agent_access",
    "view_customer",
    "freeze_features",
    "unfreeze_features",
    "stop_hold",
    "propose_risk_entry",
    "work_callbacks",
)
SUPERVISOR_PERMISSIONS = (*AGENT_PERMISSIONS, "approve_unfreeze", "manage_risk_list", "supervise_callbacks")
AUDITOR_PERMISSIONS = ("agent_access", "view_customer", "view_queue")
ADMINISTRATOR_PERMISSIONS = ("admin_site",)
ROLE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    AGENT_GROUP: (*AGENT_PERMISSIONS, "view_queue"),
    SUPERVISOR_GROUP: (*SUPERVISOR_PERMISSIONS, "view_queue"),
    AUDITOR_GROUP: AUDITOR_PERMISSIONS,
    ADMINISTRATOR_GROUP: ADMINISTRATOR_PERMISSIONS,
}
ROLES = tuple(ROLE_PERMISSIONS)
_CACHE_ATTRIBUTE = "_staff_permissions_cache"


def staff_groups_ensure(*, apps: Any = None, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the StaffRole permissions if missing, and one group per role.

    `apps` is the migration state's registry inside a migration, the project's registry otherwise.
    A group keeps any permission an administrator added by hand; only missing ones are added. A
    permission the historical model does not know yet is skipped (post_migrate adds it later).
    """
    registry = apps or global_apps
    content_type_model = registry.get_model("contenttypes", "ContentType")
    permission_model = registry.get_model("auth", "Permission")
    group_model = registry.get_model("auth", "Group")
    staff_role = registry.get_model("accounts", "StaffRole")

    content_type, _ = content_type_model.objects.using(using).get_or_create(app_label="accounts", model="staffrole")
    permissions = {}
    for codename, name in staff_role._meta.permissions:
        permission, _ = permission_model.objects.using(using).get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        permissions[codename] = permission

    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.using(using).get_or_create(name=role)
        group.permissions.add(*(permissions[codename] for codename in codenames if codename in permissions))


def staff_groups_after_migrate(*, apps: Any = None, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate receiver: skipped when the auth or accounts models are not migrated (yet, or any more)."""
    registry = apps or global_apps
    try:
        for app_label, model in (("contenttypes", "ContentType"), ("auth", "Group"), ("accounts", "StaffRole")):
            registry.get_model(app_label, model)
    except LookupError:
        return
    staff_groups_ensure(apps=registry, using=using)


def staff_permissions(user: Any) -> frozenset[str]:
    """The StaffRole codenames `user` holds through groups or directly; none for an inactive user.

    Cached on the user object for the request (a permission change applies from the next request).
    """
    cached = getattr(user, _CACHE_ATTRIBUTE, None)
    if cached is not None:
        return frozenset(cached)
    codenames: frozenset[str] = frozenset()
    if getattr(user, "pk", None) is not None and getattr(user, "is_active", False):
        permission_model = global_apps.get_model("auth", "Permission")
        codenames = frozenset(
            permission_model.objects.filter(
                Q(group__user=user) | Q(user=user),
                content_type__app_label="accounts",
                content_type__model="staffrole",
            ).values_list("codename", flat=True)
        )
    setattr(user, _CACHE_ATTRIBUTE, codenames)
    return codenames


def staff_has(user: Any, permission: str) -> bool:
    """Does staff `user` hold `permission` ("accounts.<codename>" or "<codename>")? Superuser grants nothing."""
    return permission.removeprefix("accounts.") in staff_permissions(user)


def staff_roles(user: Any) -> list[str]:
    """The role groups `user` is in, in the order of ROLES."""
    names = set(user.groups.filter(name__in=ROLES).values_list("name", flat=True))
    return [role for role in ROLES if role in names]


def staff_require(user: Any, permission: str) -> None:
    """NotPermitted unless staff `user` holds `permission`: services check it too, whoever calls them."""
    if not staff_has(user, permission):
        codename = permission.removeprefix("accounts.")
        raise NotPermitted(f"Your role does not include {codename}.", code="missing_role")


def staff_number(user: Any) -> str:
    """The work number a 95588 agent gives the customer on the phone (and the app shows)."""
    return f"{user.pk:04d}"
