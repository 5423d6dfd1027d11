""" "This wasn't me" (非本人操作): one report per security-log entry or approved payment, kept with its answer."""

from django.db import models


class NotMeReport(models.Model):
    """What the customer reported and what the service did about it. The same entry reported again returns
    this row's answer and does nothing a second time (the unique constraints make that hold under a race)."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="not_me_reports")
    event = models.OneToOneField(
        "securitylog.SecurityEvent", null=True, blank=True, on_delete=models.PROTECT, related_name="not_me_report"
    )
    authorization = models.OneToOneField(
        "locks.Authorization", null=True, blank=True, on_delete=models.PROTECT, related_name="not_me_report"
    )
    entry_kind = models.CharField(max_length=24)
    case = models.ForeignKey("locks.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    actions = models.JSONField(default=list, help_text="What was done: [{code, …}], rendered for people on read")
    scenario = models.CharField(max_length=24, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(event__isnull=False) | models.Q(authorization__isnull=False),
                name="not_me_report_names_what",
            )
        ]
