from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Customers, sign-in and one-time passwords"

    def ready(self) -> None:
        # Here, not at the top: an app's module is imported before the app registry is ready.
        from accounts.roles import staff_groups_after_migrate

        post_migrate.connect(staff_groups_after_migrate, sender=self, dispatch_uid="accounts.staff_groups")
