"""Staff accounts: create, set roles, enrol the authenticator, deactivate. Every act is on the bank's log.

Called by `manage.py staff` (actor: system "staff_command") and by the admin site (actor: the administrator).
"""

from dataclasses import dataclass
from typing import Any

import pyotp
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import StaffAuthenticator
from accounts.otp import totp_provisioning_uri
from accounts.roles import ROLES, staff_groups_ensure, staff_roles
from securitycenter.errors import Conflict, NotFound, field_error
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record


@dataclass(frozen=True)
class EnrolledAuthenticator:
    authenticator: StaffAuthenticator
    # Carries the secret: shown once, to the administrator enrolling it, and never again.
    otpauth_uri: str


def _roles_checked(roles: list[str]) -> list[str]:
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise field_error("roles", f"Unknown role(s) {', '.join(unknown)}; roles are {', '.join(ROLES)}.", "unknown")
    return [role for role in ROLES if role in roles]


def staff_get(*, username: str) -> Any:
    user = get_user_model()._default_manager.filter(username=username).first()
    if user is None:
        raise NotFound(f"No staff user {username!r}.", code="unknown_staff")
    return user


@transaction.atomic
def staff_create(*, username: str, password: str, roles: list[str], actor: Actor, origin: Origin | None = None) -> Any:
    """A new staff user (is_staff, never is_superuser) with `roles`."""
    roles = _roles_checked(roles)
    user_model = get_user_model()
    if user_model._default_manager.filter(username=username).exists():
        raise Conflict(f"Staff user {username!r} exists already.", code="staff_exists")
    try:
        validate_password(password)
    except ValidationError as exc:
        raise field_error("password", " ".join(exc.messages), "weak_password") from None
    user = user_model._default_manager.create_user(username=username, password=password, is_staff=True)
    security_log_record(
        event_type=EventType.STAFF_CREATED,
        actor=actor,
        origin=origin,
        details={"staff_user": user.pk, "username": username},
    )
    staff_roles_set(user=user, roles=roles, actor=actor, origin=origin)
    return user


@transaction.atomic
def staff_roles_set(*, user: Any, roles: list[str], actor: Actor, origin: Origin | None = None) -> list[str]:
    """Replace the role groups of `user` with `roles` (other groups are kept)."""
    roles = _roles_checked(roles)
    staff_groups_ensure()
    old = staff_roles(user)
    if old == roles:
        return roles
    user.groups.remove(*Group.objects.filter(name__in=set(ROLES) - set(roles)))
    user.groups.add(*Group.objects.filter(name__in=roles))
    security_log_record(
        event_type=EventType.STAFF_ROLES_CHANGED,
        actor=actor,
        origin=origin,
        details={"staff_user": user.pk, "username": user.username},
        old_value={"roles": old},
        new_value={"roles": roles},
    )
    return roles


@transaction.atomic
def staff_authenticator_enroll(*, user: Any, actor: Actor, origin: Origin | None = None) -> EnrolledAuthenticator:
    """A fresh TOTP secret for `user`, replacing any earlier one (a lost phone): the old codes stop at once."""
    secret = pyotp.random_base32()
    authenticator, replaced = StaffAuthenticator.objects.select_for_update().get_or_create(
        user=user, defaults={"secret": secret}
    )
    replaced = not replaced
    if replaced:
        authenticator.secret = secret
        authenticator.last_accepted_step = None
        authenticator.last_used_at = None
        authenticator.save(update_fields=["secret", "last_accepted_step", "last_used_at"])
    security_log_record(
        event_type=EventType.STAFF_TOTP_ENROLLED,
        actor=actor,
        origin=origin,
        details={"staff_user": user.pk, "username": user.username, "replaced": replaced},
    )
    uri = totp_provisioning_uri(secret=secret, name=user.username, issuer="95588 staff")
    return EnrolledAuthenticator(authenticator=authenticator, otpauth_uri=uri)


@transaction.atomic
def staff_deactivate(*, user: Any, actor: Actor, origin: Origin | None = None) -> None:
    """The user can no longer sign in, and every token of theirs stops working at once (tokens check it)."""
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    security_log_record(
        event_type=EventType.STAFF_DEACTIVATED,
        actor=actor,
        origin=origin,
        details={"staff_user": user.pk, "username": user.username},
    )
