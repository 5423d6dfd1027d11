"""Cases for the bank's people: incidents a customer reported, review cases, hold call-backs, fake-call reports.

A case is the unit of work of the 95588 call-back queue: it names the customer (and, when it is about
one, the account, authorization or hold) and waits, open, until somebody closes it. Services in
`locks.cases` open and close cases; every open and close is security-logged.
"""

from django.db import models


class Case(models.Model):
    class Kind(models.TextChoices):
        INCIDENT = "incident"  # the customer says something was not them, or is being scammed now
        REVIEW = "review"  # a rule flagged an authorization and a person must confirm it
        HOLD_CALLBACK = "hold_callback"  # a cooling-off hold the bank calls the customer back about
        FAKE_CALL = "fake_call"  # somebody claiming to be the bank called the customer

    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    class Priority(models.IntegerChoices):
        # Higher is more urgent: the call-back queue orders by priority descending, then by age.
        LOW = 10
        NORMAL = 20
        HIGH = 30
        URGENT = 40

    kind = models.CharField(max_length=16, choices=Kind.choices)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NORMAL)
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="cases")
    account = models.ForeignKey(
        "accounts.BankAccount", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    authorization = models.ForeignKey(
        "locks.Authorization", null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    hold = models.ForeignKey("locks.Hold", null=True, blank=True, on_delete=models.PROTECT, related_name="cases")
    source = models.CharField(
        max_length=48, help_text="What opened it: not_me, emergency:<scenario>, hold, agent, rule:<code>…"
    )
    reason = models.CharField(max_length=500, blank=True, help_text="Why, in a sentence for the bank's people")
    details = models.JSONField(default=dict, blank=True)
    # While a case with this key is open for the customer, opening another returns it (a double tap, a
    # retried request or a second emergency tap do not flood the queue).
    dedupe_key = models.CharField(max_length=80, blank=True)
    opened_at = models.DateTimeField()
    opened_by = models.CharField(max_length=80, help_text="actor type:id")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.CharField(max_length=80, blank=True)
    resolution = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "dedupe_key"],
                condition=models.Q(status="open") & ~models.Q(dedupe_key=""),
                name="case_open_once_per_dedupe_key",
            ),
            models.CheckConstraint(
                condition=models.Q(status="open", closed_at__isnull=True)
                | models.Q(status="closed", closed_at__isnull=False),
                name="case_closed_at_matches_status",
            ),
        ]
        indexes = [
            models.Index(fields=["customer", "-opened_at"]),
            models.Index(fields=["-priority", "opened_at"], name="case_queue_idx", condition=models.Q(status="open")),
        ]

    def __str__(self) -> str:
        return f"case {self.pk} {self.kind} {self.status}"

    @property
    def priority_name(self) -> str:
        return Case.Priority(self.priority).label.lower()
