"""Bearer tokens and sign-in throttling."""

from django.conf import settings
from django.db import models

from accounts.models.customers import Customer, Device


class AuthToken(models.Model):
    """An expiring bearer token. Only its SHA-256 is stored.

    A customer token is bound to the device it was issued to; a staff token belongs to a staff user.
    """

    key_hash = models.CharField(max_length=64, unique=True)
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens")
    device = models.ForeignKey(Device, null=True, blank=True, on_delete=models.CASCADE, related_name="tokens")
    staff_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="security_tokens"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField()
    expires_at = models.DateTimeField(help_text="Absolute end of life, whatever the activity")
    revoked_at = models.DateTimeField(null=True, blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(customer__isnull=False, device__isnull=False, staff_user__isnull=True)
                    | models.Q(customer__isnull=True, device__isnull=True, staff_user__isnull=False)
                ),
                name="token_has_exactly_one_owner",
            )
        ]


class LoginThrottle(models.Model):
    """Consecutive failed sign-ins for one customer or one address, and the lock-out they caused."""

    class Scope(models.TextChoices):
        CUSTOMER = "customer"
        ADDRESS = "address"
        STAFF = "staff"

    scope = models.CharField(max_length=16, choices=Scope.choices)
    key = models.CharField(max_length=128)
    failures = models.PositiveIntegerField(default=0)
    # Attempts from this address whose password is being checked right now (see accounts.signin).
    in_flight = models.PositiveIntegerField(default=0)
    lockouts = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["scope", "key"], name="login_throttle_unique")]
