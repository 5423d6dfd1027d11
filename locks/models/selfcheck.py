"""Self-check scans (安全检测): every run is kept with its score and findings, so the customer sees the score
over time; a high finding the weekly scan told the customer about is remembered so it is told once."""

from django.db import models


class SelfCheckRun(models.Model):
    class Trigger(models.TextChoices):
        CUSTOMER = "customer"
        WEEKLY = "weekly"

    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="self_check_runs")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    # The ISO week of a weekly scan ("2026-W49"): one weekly scan per customer and week, however often it runs.
    week = models.CharField(max_length=8, blank=True)
    score = models.PositiveSmallIntegerField()
    findings = models.JSONField(default=list, help_text="[{id, check, severity, params, evidence, fix, lesson_id}]")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "week"], condition=models.Q(trigger="weekly"), name="self_check_weekly_once"
            )
        ]
        indexes = [models.Index(fields=["customer", "-created_at"])]


class SelfCheckNotice(models.Model):
    """A high-severity finding the customer was told about (by its finding id, e.g. "no_daily_limit:account:7")."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.CASCADE, related_name="self_check_notices")
    finding_id = models.CharField(max_length=80)
    notified_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["customer", "finding_id"], name="self_check_notice_once_per_finding")
        ]
