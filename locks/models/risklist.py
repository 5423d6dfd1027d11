"""The payee risk list (融安e信)."""

from django.db import models


class PayeeRiskEntry(models.Model):
    """A counterparty account on the fraud risk list (融安e信), stored only as a keyed hash."""

    class Severity(models.TextChoices):
        MEDIUM = "medium"
        HIGH = "high"

    counterparty = models.CharField(max_length=64, unique=True, help_text="blind_index(account, 'payee')")
    severity = models.CharField(max_length=8, choices=Severity.choices)
    source = models.CharField(max_length=64)
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
