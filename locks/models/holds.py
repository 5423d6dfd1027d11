"""Cooling-off holds (冷静期) on large transfers, and the webhooks that tell the payment core about them."""

from django.db import models


class Hold(models.Model):
    """The database row is the truth: status changes only by conditional UPDATEs from `held`."""

    class Status(models.TextChoices):
        HELD = "held"
        RELEASED = "released"
        CANCELLED = "cancelled"
        STOPPED = "stopped"

    authorization = models.OneToOneField("locks.Authorization", on_delete=models.PROTECT, related_name="hold")
    account = models.ForeignKey("accounts.BankAccount", on_delete=models.PROTECT, related_name="holds")
    client = models.ForeignKey("accounts.ServiceClient", on_delete=models.PROTECT, related_name="holds")
    amount = models.BigIntegerField()
    currency = models.CharField(max_length=3)
    reasons = models.JSONField(default=list)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    release_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.CharField(max_length=80, blank=True, help_text="actor type:id of a cancel or stop")
    stop_reason = models.CharField(max_length=500, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    # The hot path writes the hold row with its authorization's record in one statement and nothing else;
    # the outbox worker (locks.authorizations.outbox) logs and announces it and sets this, once.
    announced_at = models.DateTimeField(null=True, blank=True, help_text="Placement logged and announced")

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["release_at"], name="hold_due_idx", condition=models.Q(status="held")),
            models.Index(fields=["account", "-created_at"]),
            models.Index(fields=["created_at"], name="hold_unannounced_idx", condition=models.Q(announced_at=None)),
        ]


class WebhookDelivery(models.Model):
    """One event for the payment core, delivered until acknowledged (a 2xx answer)."""

    class Status(models.TextChoices):
        PENDING = "pending"
        DELIVERED = "delivered"
        FAILED = "failed"

    client = models.ForeignKey("accounts.ServiceClient", on_delete=models.CASCADE, related_name="webhook_deliveries")
    # One of the two: a hold's transition, or how a payment sent to review ended (the call-back queue).
    hold = models.ForeignKey(Hold, null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_deliveries")
    authorization = models.ForeignKey(
        "locks.Authorization", null=True, blank=True, on_delete=models.CASCADE, related_name="webhook_deliveries"
    )
    event = models.CharField(max_length=32)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["hold", "event"], name="webhook_once_per_transition"),
            models.UniqueConstraint(
                fields=["authorization", "event"],
                condition=models.Q(authorization__isnull=False),
                name="webhook_once_per_review_outcome",
            ),
            models.CheckConstraint(
                condition=models.Q(hold__isnull=False, authorization__isnull=True)
                | models.Q(hold__isnull=True, authorization__isnull=False),
                name="webhook_about_a_hold_or_a_review",
            ),
        ]
        indexes = [models.Index(fields=["status", "next_attempt_at"])]


class WebhookAttempt(models.Model):
    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="attempt_records")
    attempted_at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=200, blank=True)
    duration_ms = models.PositiveIntegerField()
