"""Authorization decisions: the durable record behind the Redis counters."""

from django.db import models


class Authorization(models.Model):
    """One decision for one payment, keyed by the calling client and its transaction id: two payment cores
    may use the same ids, and one must never be answered with the other's decision.

    `counted` rows (approved, held, sent to review) are what the daily and monthly counters are rebuilt
    from when Redis loses them; a reversal gives the amount back once (`reversed_at`).
    """

    class Outcome(models.TextChoices):
        APPROVE = "approve"
        DECLINE = "decline"
        HOLD = "hold"
        REVIEW = "review"

    transaction_id = models.CharField(max_length=64)
    client = models.ForeignKey("accounts.ServiceClient", on_delete=models.PROTECT, related_name="authorizations")
    account = models.ForeignKey("accounts.BankAccount", on_delete=models.PROTECT, related_name="authorizations")
    request_hash = models.CharField(max_length=32, help_text="Hash of the request body, for idempotency")
    outcome = models.CharField(max_length=8, choices=Outcome.choices)
    reasons = models.JSONField(default=list)
    policy_version = models.PositiveIntegerField()
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    channel = models.CharField(max_length=20)
    country = models.CharField(max_length=2)
    subdivision = models.CharField(max_length=6, blank=True)
    mcc = models.CharField(max_length=4, blank=True)
    counterparty = models.CharField(max_length=64, blank=True, help_text="Keyed hash of the payee account")
    initiated_at = models.DateTimeField()
    local_day = models.DateField(help_text="The customer's day whose counter this counts against")
    counted = models.BooleanField(help_text="Counts against the daily and monthly limits")
    degraded = models.BooleanField(default=False, help_text="Decided from the database while Redis was down")
    device_signals = models.JSONField(
        null=True, blank=True, help_text="What the app reported of the phone (on a call, screen sharing…), if anything"
    )
    reversed_at = models.DateTimeField(null=True, blank=True)
    logged_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="The outbox's work done: decline logged and announced, or review case opened",
    )
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "transaction_id"], name="authorization_unique_per_client")
        ]
        indexes = [
            models.Index(fields=["account", "local_day"], name="authorization_usage_idx"),
            models.Index(
                fields=["logged_at"],
                name="authorization_unlogged_idx",
                condition=models.Q(logged_at__isnull=True, outcome="decline"),
            ),
            # The reviews whose call-back case the outbox has still to open (few: it stays small).
            models.Index(
                fields=["logged_at"],
                name="authorization_unreviewed_idx",
                condition=models.Q(logged_at__isnull=True, outcome="review"),
            ),
        ]
