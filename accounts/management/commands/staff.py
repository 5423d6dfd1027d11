"""Bank staff accounts, for administrators.

    manage.py staff create alice --role agent [--role supervisor] [--password-stdin]
    manage.py staff roles alice --role supervisor
    manage.py staff totp alice
    manage.py staff list
    manage.py staff deactivate alice

Roles: agent, supervisor, auditor (reads, never acts), administrator (the admin site). `create` and `totp`
print the authenticator's otpauth:// URI to stdout alone (everything else to stderr): it carries the secret
and is shown this once. Without --password-stdin the password is asked for twice at the terminal.
"""

import getpass
import sys
from argparse import ArgumentParser
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from accounts.roles import ROLES, staff_roles
from accounts.staff.services import (
    EnrolledAuthenticator,
    staff_authenticator_enroll,
    staff_create,
    staff_deactivate,
    staff_get,
    staff_roles_set,
)
from securitycenter.errors import DomainError, ValidationFailed
from securitycenter.securitylog.record import Actor

_ACTOR = Actor.system("staff_command")


class Command(BaseCommand):
    help = "Create staff users, set their roles, enrol their authenticators, list and deactivate them."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)

        def role_option(sub: ArgumentParser) -> None:
            sub.add_argument("--role", dest="roles", action="append", required=True, choices=ROLES)

        create = actions.add_parser("create", help="Create a staff user with roles and an authenticator.")
        create.add_argument("username")
        role_option(create)
        create.add_argument("--password-stdin", action="store_true", help="Read the password from stdin.")

        roles = actions.add_parser("roles", help="Replace a staff user's roles.")
        roles.add_argument("username")
        role_option(roles)

        totp = actions.add_parser("totp", help="Enrol a new authenticator (replaces the old one).")
        totp.add_argument("username")

        actions.add_parser("list", help="List staff users, their roles and whether they have an authenticator.")

        deactivate = actions.add_parser("deactivate", help="Stop a staff user from signing in, at once.")
        deactivate.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        handler = {
            "create": self._create,
            "roles": self._roles,
            "totp": self._totp,
            "list": self._list,
            "deactivate": self._deactivate,
        }[options["action"]]
        try:
            handler(options)
        except ValidationFailed as exc:
            raise CommandError("; ".join(e["message"] for e in exc.errors)) from None
        except DomainError as exc:
            raise CommandError(exc.detail) from None

    def _password(self, options: dict[str, Any]) -> str:
        if options["password_stdin"]:
            return sys.stdin.readline().rstrip("\n")
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password (again): "):
            raise CommandError("The passwords differ.")
        return first

    def _print_uri(self, username: str, enrolled: EnrolledAuthenticator) -> None:
        self.stderr.write(
            f"Authenticator for {username}: scan this otpauth URI now. It is shown only this once and cannot be "
            "retrieved again."
        )
        self.stdout.write(enrolled.otpauth_uri)

    def _create(self, options: dict[str, Any]) -> None:
        user = staff_create(
            username=options["username"], password=self._password(options), roles=options["roles"], actor=_ACTOR
        )
        self.stderr.write(f"Created staff user {user.username} with roles {', '.join(staff_roles(user))}.")
        self._print_uri(user.username, staff_authenticator_enroll(user=user, actor=_ACTOR))

    def _roles(self, options: dict[str, Any]) -> None:
        user = staff_get(username=options["username"])
        roles = staff_roles_set(user=user, roles=options["roles"], actor=_ACTOR)
        self.stderr.write(f"{user.username} now has roles {', '.join(roles)}.")

    def _totp(self, options: dict[str, Any]) -> None:
        user = staff_get(username=options["username"])
        self._print_uri(user.username, staff_authenticator_enroll(user=user, actor=_ACTOR))

    def _list(self, options: dict[str, Any]) -> None:
        users = get_user_model()._default_manager.filter(is_staff=True).order_by("username")
        for user in users:
            roles = ",".join(staff_roles(user)) or "-"
            has_totp = "totp" if hasattr(user, "staff_authenticator") else "no-totp"
            state = "active" if user.is_active else "inactive"
            superuser = " superuser(no staff role from it)" if user.is_superuser else ""
            self.stdout.write(f"{user.username}  {roles}  {has_totp}  {state}{superuser}")

    def _deactivate(self, options: dict[str, Any]) -> None:
        user = staff_get(username=options["username"])
        staff_deactivate(user=user, actor=_ACTOR)
        self.stderr.write(f"{user.username} can no longer sign in.")
