"""Trusted contacts (beyond what any anchor does): a person a customer names, whose confirmation a
loosening of the customer's protection needs as well as the customer's own one-time password."""

from django.db import models

from accounts.models import Customer


class TrustedContact(models.Model):
    """The customer's trusted person: another customer of the bank, or a phone number. Verified once, by the
    code sent to the contact; only a verified contact is asked to confirm anything."""

    customer = models.OneToOneField(Customer, on_delete=models.CASCADE, related_name="trusted_contact")
    contact_customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="trusted_by"
    )
    phone = models.CharField(max_length=16, blank=True, help_text="E.164, when the contact is not a customer")
    name = models.CharField(max_length=100)
    code_hash = models.CharField(max_length=64, blank=True, help_text="Hash of the verification code sent")
    code_expires_at = models.DateTimeField(null=True, blank=True)
    failed_attempts = models.PositiveSmallIntegerField(default=0)
    verified_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(contact_customer__isnull=False) & models.Q(phone=""))
                | (models.Q(contact_customer__isnull=True) & ~models.Q(phone="")),
                name="trusted_contact_is_a_customer_or_a_phone",
            )
        ]

    def __str__(self) -> str:
        return f"trusted contact of customer {self.customer_id}"


class ContactConfirmation(models.Model):
    """One request to the trusted contact: confirm or refuse what the customer asked for, before it expires.
    The token (sent to the contact only) is the contact's credential for this one request and nothing else."""

    class Action(models.TextChoices):
        LOOSENING = "loosening"  # a lock loosened (its PendingLoosening waits for this)
        HOLD_RELEASE = "hold_release"  # a cooling-off ended early
        CONTACT_REMOVAL = "contact_removal"  # the trusted contact removed

    class Status(models.TextChoices):
        PENDING = "pending"
        CONFIRMED = "confirmed"
        REFUSED = "refused"
        EXPIRED = "expired"

    contact = models.ForeignKey(TrustedContact, on_delete=models.CASCADE, related_name="confirmations")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contact_confirmations")
    action = models.CharField(max_length=20, choices=Action.choices)
    pending_loosening = models.ForeignKey(
        "locks.PendingLoosening", null=True, blank=True, on_delete=models.CASCADE, related_name="confirmations"
    )
    hold = models.ForeignKey(
        "locks.Hold", null=True, blank=True, on_delete=models.CASCADE, related_name="confirmations"
    )
    summary = models.JSONField(default=list, help_text="What the customer asked for, for the contact")
    token_hash = models.CharField(max_length=64, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["expires_at"], name="confirmation_due_idx", condition=models.Q(status="pending"))
        ]
