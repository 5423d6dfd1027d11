"""The call-back queue's work on a case (拦截-外呼-止付): who holds it, how often the customer was tried,
and the outcome."""

from django.conf import settings
from django.db import models


class CaseWork(models.Model):
    """One row per case an agent has touched. A claim is one agent's for CALLBACK_CLAIM_LIFETIME; an outcome
    is recorded once. The case itself (open, closed) stays the `locks.Case` row's."""

    class Outcome(models.TextChoices):
        CONFIRMED = "confirmed"  # the customer confirmed the payment is theirs
        FRAUD_CONFIRMED = "fraud_confirmed"
        UNREACHABLE = "unreachable"
        DEFAULTED = "defaulted"  # nobody worked a review before its deadline: the configured default applied

    case = models.OneToOneField("locks.Case", on_delete=models.CASCADE, primary_key=True, related_name="work")
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_expires_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0, help_text="Calls that did not reach the customer")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="Given to a supervisor")
    outcome = models.CharField(max_length=16, choices=Outcome.choices, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    outcome_by = models.CharField(max_length=80, blank=True)
    note = models.CharField(max_length=500, blank=True)
