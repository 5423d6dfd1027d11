import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from securitycenter.securitylog.grants import RoleRefusedError, service_role_grants


class Command(BaseCommand):
    help = (
        "Create the service's PostgreSQL role if missing and (re)apply its grants: read and write on the "
        "application's tables, only INSERT and SELECT on the security log, no ownership. Run as the owner role "
        "(the one migrations run as) after every migrate; idempotent."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--role", help="the service role (default: DATABASE_SERVICE_ROLE)")
        parser.add_argument(
            "--password-env",
            metavar="VARIABLE",
            help="set the role's password from this environment variable (never from the command line)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        role = options["role"] or settings.DATABASE_SERVICE_ROLE
        if not role:
            raise CommandError("name the service role: --role or DATABASE_SERVICE_ROLE")
        password = None
        if options["password_env"]:
            password = os.environ.get(options["password_env"])
            if not password:
                raise CommandError(f"{options['password_env']} is not set")
        try:
            statements = service_role_grants(role=role, password=password)
        except RoleRefusedError as exc:
            raise CommandError(str(exc)) from exc
        for statement in statements:
            self.stdout.write(statement)
        self.stdout.write(self.style.SUCCESS(f"grants of service role {role} applied"))
