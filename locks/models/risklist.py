"""The payee risk list (融安e信)."""

from django.conf import settings
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


class RiskEntryProposal(models.Model):
    """An agent's proposal to put a payee on the risk list; a supervisor other than the proposer decides."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"

    counterparty = models.CharField(max_length=64, help_text="blind_index(account, 'payee')")
    masked_account = models.CharField(max_length=40, help_text="For the people deciding: the last four digits")
    severity = models.CharField(max_length=8, choices=PayeeRiskEntry.Severity.choices)
    source = models.CharField(max_length=64)
    note = models.CharField(max_length=500, blank=True)
    case = models.ForeignKey("locks.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    proposed_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["proposed_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["counterparty"], condition=models.Q(status="pending"), name="one_pending_proposal_per_payee"
            )
        ]
