"""Service clients (the payment core) and their API keys."""

from django.db import models

from securitycenter.fields import EncryptedTextField


class ServiceClient(models.Model):
    class Scope(models.TextChoices):
        AUTHORIZE = "authorizations:write", "Ask for and reverse authorization decisions"
        READ_AUTHORIZATIONS = "authorizations:read", "Read recorded decisions"
        HOLDS_READ = "holds:read", "Read hold states"

    name = models.CharField(max_length=100, unique=True)
    scopes = models.JSONField(default=list)
    is_active = models.BooleanField(default=True)
    webhook_url = models.URLField(blank=True)
    # Key of the HMAC-SHA256 signature on webhooks to this client; shown once, like an API key. After a
    # rotation the previous one also signs until `webhook_secret_previous_until`, so the client can switch.
    webhook_secret = EncryptedTextField(blank=True, default="")
    webhook_secret_previous = EncryptedTextField(blank=True, default="")
    webhook_secret_previous_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name

    @property
    def is_authenticated(self) -> bool:
        return True


class ApiKey(models.Model):
    """A key is `sc_<prefix>_<secret>`; the prefix finds the row, only the SHA-256 of the key is kept."""

    client = models.ForeignKey(ServiceClient, on_delete=models.CASCADE, related_name="api_keys")
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
