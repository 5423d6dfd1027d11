"""The TOTP authenticator a staff user signs in with (staff can freeze a customer's money)."""

from django.conf import settings
from django.db import models

from securitycenter.fields import EncryptedTextField


class StaffAuthenticator(models.Model):
    """One TOTP authenticator per staff user, enrolled by `manage.py staff totp`; re-enrolling replaces it."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="staff_authenticator")
    secret = EncryptedTextField()
    # Replay guard: the highest time step ever accepted; codes at or below it are refused.
    last_accepted_step = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"authenticator of staff user {self.user_id}"
