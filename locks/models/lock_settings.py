"""Account safety locks (账户安全锁): one versioned settings document per account or card.

The document is stored as plain columns of JSON rather than a row per lock so that one version number
covers the whole of an account's locks: the app reads it, edits it and writes it back with that version,
and a stale write is a 409 instead of a silent overwrite.
"""

from django.db import models

from accounts.models import BankAccount


class LockSettings(models.Model):
    class RegionMode(models.TextChoices):
        ANY = "any"
        ALLOW = "allow"
        BLOCK = "block"

    account = models.OneToOneField(BankAccount, on_delete=models.CASCADE, primary_key=True, related_name="locks")
    version = models.PositiveIntegerField(default=1)
    region_mode = models.CharField(max_length=8, choices=RegionMode.choices, default=RegionMode.ANY)
    regions = models.JSONField(default=list, help_text="ISO 3166-1 alpha-2 or ISO 3166-2 codes")
    time_windows = models.JSONField(default=list, help_text='[{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}]')
    limits = models.JSONField(default=dict, help_text="per_transaction/daily/monthly and per channel, minor units")
    channels_off = models.JSONField(default=list)
    freeze_card_not_present = models.BooleanField(default=False)
    freeze_all_outgoing = models.BooleanField(default=False)
    cooling_off_threshold = models.BigIntegerField(null=True, blank=True)
    # 老年人保护 (智能规则+人工复核): a large transfer to a new payee is held and the bank calls the customer back.
    # Set by the elderly-protection preset; switching it off is a loosening. Customers over
    # settings.ELDERLY_PROTECTION_AGE are protected whatever it says.
    elderly_protection = models.BooleanField(default=False)
    updated_at = models.DateTimeField(auto_now=True)
    # The version last written to Redis; a sweep republishes rows where it lags `version`.
    published_version = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"locks of account {self.account_id} v{self.version}"


class TravelWindow(models.Model):
    """A temporary region allowance. It lapses by itself: the compiled policy carries its bounds."""

    account = models.ForeignKey(BankAccount, on_delete=models.CASCADE, related_name="travel_windows")
    regions = models.JSONField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["ends_at"])]


class PendingLoosening(models.Model):
    """A loosening proven with an OTP, waiting out the loosening delay; the customer may cancel it."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPLIED = "applied"
        CANCELLED = "cancelled"
        SUPERSEDED = "superseded"

    account = models.ForeignKey(BankAccount, on_delete=models.CASCADE, related_name="pending_loosenings")
    document = models.JSONField(help_text="The full settings document to apply")
    summary = models.JSONField(default=list, help_text="What loosens, for the customer and the log")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    effective_at = models.DateTimeField()
    # The customer named a trusted contact: it is applied only once the contact has confirmed it too.
    awaiting_contact = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["effective_at", "id"]
        indexes = [models.Index(fields=["status", "effective_at"])]
