"""The staff groups of the 95588 call centre and the permissions they carry.

`staff_groups_ensure` is idempotent. It runs from a data migration with the historical models (the
permissions do not exist yet then: Django creates them in post_migrate, after every migration ran) and
again after every `migrate` and test flush (accounts/apps.py), so the groups come back if deleted and
a permission added to StaffRole later reaches the supervisors.
"""

from typing import Any

from django.apps import apps as global_apps
from django.db import DEFAULT_DB_ALIAS

# Codenames of StaffRole permissions (app label "accounts").
AGENT_PERMISSIONS = ("agent_access", "view_customer", "freeze_features", "stop_hold")
AGENT_GROUP = "agent"
SUPERVISOR_GROUP = "supervisor"


def staff_groups_ensure(*, apps: Any = None, using: str = DEFAULT_DB_ALIAS) -> None:
    """Create the StaffRole permissions if missing, and the groups "agent" and "supervisor".

    `apps` is the migration state's registry inside a migration, the project's registry otherwise.
    A group keeps any permission an administrator added by hand; only missing ones are added.
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

    agent, _ = group_model.objects.using(using).get_or_create(name=AGENT_GROUP)
    agent.permissions.add(*(permissions[codename] for codename in AGENT_PERMISSIONS))
    supervisor, _ = group_model.objects.using(using).get_or_create(name=SUPERVISOR_GROUP)
    supervisor.permissions.add(*permissions.values())


def staff_groups_after_migrate(*, apps: Any = None, using: str = DEFAULT_DB_ALIAS, **kwargs: Any) -> None:
    """post_migrate receiver: skipped when the auth or accounts models are not migrated (yet, or any more)."""
    registry = apps or global_apps
    try:
        for app_label, model in (("contenttypes", "ContentType"), ("auth", "Group"), ("accounts", "StaffRole")):
            registry.get_model(app_label, model)
    except LookupError:
        return
    staff_groups_ensure(apps=registry, using=using)
