"""What 95588 staff do with a caller: service sessions, remote freezes and the four-eyes lifting of them,
and the calls the bank makes (so the customer's app can tell a real call from a fake one)."""

from django.conf import settings
from django.db import models


class ServiceSession(models.Model):
    """An agent's permission to see one customer: opened after verifying the caller, for a bounded time.

    Every read inside it is security-logged with the session's reason, verification method and call reference.
    """

    class Verification(models.TextChoices):
        SMS_CODE = "sms_code", "A code texted to the registered phone, read back"
        SECURITY_QUESTIONS = "security_questions", "Security questions"
        VOICEPRINT = "voiceprint", "Voiceprint"
        OUTBOUND_CALL = "outbound_call", "The bank called the registered number"
        VIDEO = "video", "Video identification"
        BRANCH = "branch", "In person, with an identity document"

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_sessions")
    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="service_sessions")
    verification_method = models.CharField(max_length=24, choices=Verification.choices)
    call_reference = models.CharField(max_length=64, help_text="The telephony system's id of the call")
    reason = models.CharField(max_length=200)
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["agent", "-opened_at"])]


class RemoteFreeze(models.Model):
    """A freeze staff placed for a customer. `applied` records, per account, what this freeze switched on
    that was not on before, so lifting it gives back exactly that and never a freeze the customer set."""

    class Scope(models.TextChoices):
        ALL_OUTGOING = "all_outgoing"
        CARD_NOT_PRESENT = "card_not_present"
        CHANNELS = "channels"

    class ReasonCode(models.TextChoices):
        LOST_PHONE = "lost_phone"
        LOST_CARD = "lost_card"
        SUSPECTED_FRAUD = "suspected_fraud"
        SCAM_IN_PROGRESS = "scam_in_progress"
        CUSTOMER_REQUEST = "customer_request"
        FRAUD_CONFIRMED = "fraud_confirmed"
        OTHER = "other"

    class Status(models.TextChoices):
        ACTIVE = "active"
        LIFTED = "lifted"
        EXPIRED = "expired"

    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="remote_freezes")
    session = models.ForeignKey(ServiceSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scope = models.CharField(max_length=20, choices=Scope.choices)
    channels = models.JSONField(default=list, blank=True)
    account_ids = models.JSONField(default=list)
    applied = models.JSONField(default=dict, help_text='{"<account id>": {"freeze": [...], "channels_off": [...]}}')
    reason_code = models.CharField(max_length=20, choices=ReasonCode.choices)
    note = models.CharField(max_length=500, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.ACTIVE)
    placed_at = models.DateTimeField()
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_by = models.CharField(max_length=80, blank=True)
    end_reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-placed_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "status"]),
            models.Index(fields=["expires_at"], name="remote_freeze_expiry_idx", condition=models.Q(status="active")),
        ]


class FreezeLiftRequest(models.Model):
    """An agent's request to lift a remote freeze; a different staff member with approve_unfreeze decides."""

    class Status(models.TextChoices):
        PENDING = "pending"
        APPROVED = "approved"
        REJECTED = "rejected"
        WITHDRAWN = "withdrawn"

    freeze = models.ForeignKey(RemoteFreeze, on_delete=models.PROTECT, related_name="lift_requests")
    session = models.ForeignKey(ServiceSession, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.CharField(max_length=500)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["requested_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["freeze"], condition=models.Q(status="pending"), name="one_pending_lift_request_per_freeze"
            )
        ]


class BankCall(models.Model):
    """A call a 95588 agent is making to a customer right now: the app shows it, with the code the agent says."""

    customer = models.ForeignKey("accounts.Customer", on_delete=models.PROTECT, related_name="bank_calls")
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    session = models.ForeignKey(ServiceSession, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("locks.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    spoken_code = models.CharField(max_length=4, help_text="Said by the agent, shown in the app")
    started_at = models.DateTimeField()
    ends_at = models.DateTimeField(help_text="The call shows as live until then at the latest")
    ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["customer", "-started_at"])]
