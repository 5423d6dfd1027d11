"""The security log (安全日志): append-only, one hash chain per customer."""

from typing import Any, NoReturn

from django.db import models


class AppendOnlyError(Exception):
    """Somebody tried to change or delete a security-log entry."""


class EventType(models.TextChoices):
    LOGIN_SUCCEEDED = "login.succeeded"
    LOGIN_FAILED = "login.failed"
    LOGIN_LOCKED_OUT = "login.locked_out"
    LOGOUT = "login.logout"
    TOKEN_REVOKED = "token.revoked"  # noqa: S105
    DEVICE_REVOKED = "device.revoked"
    OTP_DEVICE_ENROLLED = "otp.device_enrolled"
    OTP_DEVICE_CONFIRMED = "otp.device_confirmed"
    OTP_DEVICE_REMOVED = "otp.device_removed"
    OTP_VERIFIED = "otp.verified"
    OTP_FAILED = "otp.failed"
    OTP_REPLAYED = "otp.replayed"
    OTP_LOCKED_OUT = "otp.locked_out"
    SMS_CODE_SENT = "otp.sms_code_sent"
    SERVICE_CLIENT_CREATED = "service_client.created"
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    API_KEY_ROTATED = "api_key.rotated"
    WEBHOOK_SECRET_ROTATED = "service_client.webhook_secret_rotated"  # noqa: S105
    ENCRYPTION_KEYS_ROTATED = "encryption.keys_rotated"
    LOCK_CHANGED = "lock.changed"
    LOOSENING_REQUESTED = "lock.loosening_requested"
    LOOSENING_APPLIED = "lock.loosening_applied"
    LOOSENING_CANCELLED = "lock.loosening_cancelled"
    FREEZE_PLACED = "freeze.placed"
    FREEZE_LIFTED = "freeze.lifted"
    TRAVEL_WINDOW_ADDED = "travel_window.added"
    TRAVEL_WINDOW_REMOVED = "travel_window.removed"
    AUTHORIZATION_DECLINED = "authorization.declined"
    DEGRADED_MODE = "authorization.degraded_mode"
    HOLD_PLACED = "hold.placed"
    HOLD_RELEASED = "hold.released"
    HOLD_CANCELLED = "hold.cancelled"
    HOLD_STOPPED = "hold.stopped"
    AGENT_LOOKUP = "agent.lookup"
    RISK_LIST_CHANGED = "risk_list.changed"
    CASE_OPENED = "case.opened"
    CASE_CLOSED = "case.closed"
    EMERGENCY_APPLIED = "emergency.applied"
    NOT_ME_REPORTED = "not_me.reported"
    PROFILE_CHANGED = "profile.changed"
    # 95588 staff (i10)
    STAFF_CREATED = "staff.created"
    STAFF_ROLES_CHANGED = "staff.roles_changed"
    STAFF_TOTP_ENROLLED = "staff.totp_enrolled"
    STAFF_DEACTIVATED = "staff.deactivated"
    SERVICE_SESSION_OPENED = "agent.session_opened"
    SERVICE_SESSION_CLOSED = "agent.session_closed"
    AGENT_VIEWED = "agent.viewed"
    FREEZE_LIFT_REQUESTED = "freeze.lift_requested"
    FREEZE_LIFT_APPROVED = "freeze.lift_approved"
    FREEZE_LIFT_REJECTED = "freeze.lift_rejected"
    RISK_ENTRY_PROPOSED = "risk_list.proposed"
    RISK_ENTRY_APPROVED = "risk_list.approved"
    RISK_ENTRY_REJECTED = "risk_list.rejected"
    CALL_STARTED = "call.started"
    CALL_ENDED = "call.ended"
    FAKE_CALL_REPORTED = "call.fake_reported"
    CASE_CLAIMED = "case.claimed"
    CASE_OUTCOME_RECORDED = "case.outcome_recorded"
    CASE_ESCALATED = "case.escalated"
    TRUSTED_CONTACT_NAMED = "trusted_contact.named"
    TRUSTED_CONTACT_VERIFIED = "trusted_contact.verified"
    TRUSTED_CONTACT_REMOVED = "trusted_contact.removed"
    CONFIRMATION_REQUESTED = "trusted_contact.confirmation_requested"
    CONFIRMATION_DECIDED = "trusted_contact.confirmation_decided"


class ActorType(models.TextChoices):
    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"
    SERVICE = "service"


class SecurityEventQuerySet(models.QuerySet["SecurityEvent"]):
    def update(self, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("security-log entries cannot be changed")

    def delete(self) -> NoReturn:
        raise AppendOnlyError("security-log entries cannot be deleted")


class SecurityEvent(models.Model):
    chain = models.CharField(max_length=32, help_text="customer:<id>, or 'bank' for acts on no customer")
    seq = models.PositiveBigIntegerField()
    customer = models.ForeignKey(
        "accounts.Customer", null=True, blank=True, on_delete=models.PROTECT, related_name="security_events"
    )
    actor_type = models.CharField(max_length=16, choices=ActorType.choices)
    actor_id = models.CharField(max_length=64, blank=True)
    event_type = models.CharField(max_length=48, choices=EventType.choices)
    occurred_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    device = models.CharField(max_length=128, blank=True)
    details = models.JSONField(default=dict)
    old_value = models.JSONField(null=True, blank=True)
    new_value = models.JSONField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Which SECURITY_LOG_KEYS key computed `hash`; empty for entries from before the chain was keyed.
    key_id = models.CharField(max_length=16, blank=True, default="")

    objects = SecurityEventQuerySet.as_manager()

    class Meta:
        # The table was created when the log lived in the locks app; the name is kept (a state-only move).
        db_table = "locks_securityevent"
        ordering = ["chain", "seq"]
        constraints = [models.UniqueConstraint(fields=["chain", "seq"], name="security_event_chain_seq_unique")]
        indexes = [models.Index(fields=["customer", "-occurred_at"])]

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise AppendOnlyError("security-log entries cannot be changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise AppendOnlyError("security-log entries cannot be deleted")
