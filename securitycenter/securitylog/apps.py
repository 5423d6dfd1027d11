from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db.models.signals import post_migrate


def _service_role_grants(sender: AppConfig, using: str, **kwargs: Any) -> None:
    # After every migrate (run as the owner role), so a table a migration adds is granted at once and the
    # log's tables never are beyond INSERT and SELECT.
    if not settings.DATABASE_SERVICE_ROLE:
        return
    from securitycenter.securitylog.grants import service_role_grants  # needs the models: after apps load

    service_role_grants(role=settings.DATABASE_SERVICE_ROLE)


class SecurityLogConfig(AppConfig):
    name = "securitycenter.securitylog"
    label = "securitylog"
    verbose_name = "Security log"

    def ready(self) -> None:
        post_migrate.connect(_service_role_grants, sender=self, dispatch_uid="securitylog-service-role-grants")
