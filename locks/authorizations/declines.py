"""A decline for a lock the customer set: written to the security log and announced to the customer, once."""

from django.db import transaction
from django.utils import timezone

from accounts.notifications.queue import notification_queue
from accounts.notifications.templates import amount_display
from locks.decision.reasons import CUSTOMER_LOCK_REASONS, SIGNAL_DECLINE_REASONS, Reason, reason_message
from locks.models import Authorization
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, security_log_record

HOW_TO_CHANGE = {
    "zh-Hans": "如需调整,请在手机银行“安全中心 > 账户安全锁”中修改。",
    "en": "To change this, open Security Center > Account locks in the app.",
}


_ANNOUNCED = CUSTOMER_LOCK_REASONS | SIGNAL_DECLINE_REASONS


def announced(reasons: list[str] | tuple[str, ...]) -> bool:
    """A decline for a lock the customer set, or for what their phone reported (a scam in progress: hang up),
    is logged and announced; one for a bank rule is not."""
    return any(r in _ANNOUNCED for r in reasons)


def authorization_decline_log(*, authorization_id: int) -> bool:
    """Write the security-log entry and queue the notification for one decline of a customer's lock; once
    only. A bank rule's decline is only marked done (`logged_at`), so the outbox does not find it again."""
    with transaction.atomic():
        row = (
            # Only the authorization's row: locking the joined customer row too (no `of`) deadlocked with a
            # customer's own request that locks the customer and then reads the authorization.
            Authorization.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("account__customer")
            .filter(pk=authorization_id, outcome=Authorization.Outcome.DECLINE, logged_at__isnull=True)
            .first()
        )
        if row is None:
            return False
        if not announced(row.reasons):
            row.logged_at = timezone.now()
            row.save(update_fields=["logged_at"])
            return False
        customer = row.account.customer
        language = customer.language if customer.language in ("zh-Hans", "en") else "zh-Hans"
        security_log_record(
            event_type=EventType.AUTHORIZATION_DECLINED,
            actor=Actor.system("authorization"),
            customer=customer,
            details={
                "transaction_id": row.transaction_id,
                "account_id": row.account_id,
                "amount": row.amount,
                "currency": row.currency,
                "channel": row.channel,
                "country": row.country,
                "reasons": row.reasons,
                "degraded": row.degraded,
                "device_signals": row.device_signals,
            },
        )
        notification_queue(
            customer=customer,
            template="authorization_declined",
            params={
                "account": row.account.masked_number,
                "amount": amount_display(row.amount, row.currency),
                "reasons": " ".join(reason_message(Reason(r))[language] for r in row.reasons),
                # Only a lock of the customer's own can be changed; "hang up" needs no settings page.
                "how_to_change": HOW_TO_CHANGE[language] if set(row.reasons) & CUSTOMER_LOCK_REASONS else "",
            },
        )
        row.logged_at = timezone.now()
        row.save(update_fields=["logged_at"])
    return True
