"""Customers, their bank accounts and cards, and the devices they sign in from."""

import zoneinfo

from django.core.exceptions import ValidationError
from django.db import models

from securitycenter.fields import EncryptedTextField


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone.", code="invalid_time_zone")


class Customer(models.Model):
    class Language(models.TextChoices):
        ZH_HANS = "zh-Hans", "简体中文"
        EN = "en", "English"

    customer_number = models.CharField(max_length=20, unique=True)
    name = models.CharField(max_length=100)
    phone = models.CharField(max_length=16, unique=True, help_text="E.164, e.g. +8613800138000")
    email = models.EmailField(blank=True)
    time_zone = models.CharField(max_length=64, default="Asia/Shanghai", validators=[validate_time_zone])
    language = models.CharField(max_length=8, choices=Language.choices, default=Language.ZH_HANS)
    date_of_birth = models.DateField(null=True, blank=True)
    password = models.CharField(max_length=256)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.customer_number} {self.name}"

    # The request principal protocol shared with staff users and service clients.
    @property
    def is_authenticated(self) -> bool:
        return True


class BankAccount(models.Model):
    """A bank account or card. The full number is encrypted; `number_index` finds it exactly."""

    class Kind(models.TextChoices):
        DEBIT_CARD = "debit_card", "Debit card"
        CREDIT_CARD = "credit_card", "Credit card"
        ACCOUNT = "account", "Account"

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        DORMANT = "dormant", "Dormant"
        CLOSED = "closed", "Closed"

    class Holder(models.TextChoices):
        """The account kind the bank's ceilings and cooling-off thresholds depend on (settings.py)."""

        PERSONAL = "personal", "Personal"
        CORPORATE = "corporate", "Corporate"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="bank_accounts")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    holder = models.CharField(max_length=16, choices=Holder.choices, default=Holder.PERSONAL)
    currency = models.CharField(max_length=3, default="CNY", help_text="ISO 4217")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    nickname = models.CharField(max_length=50, blank=True)
    number = EncryptedTextField()
    number_index = models.CharField(max_length=64, unique=True)
    masked_number = models.CharField(max_length=32)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.masked_number}"


class Device(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="devices")
    device_id = models.CharField(max_length=128, help_text="Identifier the app generates at install time")
    name = models.CharField(max_length=100, blank=True)
    platform = models.CharField(max_length=16, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    last_seen_at = models.DateTimeField(auto_now=True)
    trusted = models.BooleanField(default=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["customer", "device_id"], name="device_unique_per_customer")]

    def __str__(self) -> str:
        return f"{self.name or self.device_id} ({self.platform})"


class StaffRole(models.Model):
    """Holder of the staff permissions; each role (accounts/roles.py) gets them through its group."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("agent_access", "Use the 95588 agent API"),
            ("view_customer", "Look a customer up"),
            ("freeze_features", "Freeze a customer's features"),
            ("unfreeze_features", "Ask for a freeze placed by the bank to be lifted"),
            ("approve_unfreeze", "Approve another staff member's request to lift a freeze (four eyes)"),
            ("stop_hold", "Stop a held payment after a call-back"),
            ("manage_risk_list", "Approve payee risk-list entries"),
            ("propose_risk_entry", "Propose a payee risk-list entry"),
            ("view_queue", "See the call-back queue"),
            ("work_callbacks", "Claim call-back cases and record their outcome"),
            ("supervise_callbacks", "Work call-back cases escalated to a supervisor"),
            ("admin_site", "Use the staff admin site"),
        ]
