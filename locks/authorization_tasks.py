"""Tasks around authorization decisions: they take ids, re-fetch, and are safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from accounts.notifications import notification_queue
from locks.counters import degraded_counters_repair
from locks.models import Authorization
from locks.models.security_log import EventType
from locks.reasons import Reason, reason_message
from locks.securitylog import Actor, security_log_record
from securitycenter.redis import redis_client

logger = logging.getLogger(__name__)

HOW_TO_CHANGE = {
    "zh-Hans": "如需调整,请在手机银行“安全中心 > 账户安全锁”中修改。",
    "en": "To change this, open Security Center > Account locks in the app.",
}


def _amount(minor: int, currency: str) -> str:
    return f"{currency} {minor // 100:,}.{minor % 100:02d}"


def authorization_decline_log(*, authorization_id: int) -> bool:
    """Write the security-log entry and queue the notification for one decline; once only."""
    with transaction.atomic():
        row = (
            Authorization.objects.select_for_update(skip_locked=True)
            .select_related("account__customer")
            .filter(pk=authorization_id, outcome=Authorization.Outcome.DECLINE, logged_at__isnull=True)
            .first()
        )
        if row is None:
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
            },
        )
        notification_queue(
            customer=customer,
            template="authorization_declined",
            params={
                "account": row.account.masked_number,
                "amount": _amount(row.amount, row.currency),
                "reasons": " ".join(reason_message(Reason(r))[language] for r in row.reasons),
                "how_to_change": HOW_TO_CHANGE[language],
            },
        )
        row.logged_at = timezone.now()
        row.save(update_fields=["logged_at"])
    return True


@shared_task(ignore_result=True)
def authorization_decline_record(authorization_id: int) -> None:
    authorization_decline_log(authorization_id=authorization_id)


@shared_task(ignore_result=True)
def authorization_declines_sweep() -> int:
    """Log the declines whose task was lost (broker down, worker killed)."""
    cutoff = timezone.now() - timedelta(minutes=1)
    ids = list(
        Authorization.objects.filter(
            outcome=Authorization.Outcome.DECLINE, logged_at__isnull=True, created_at__lt=cutoff
        ).values_list("pk", flat=True)[:1000]
    )
    return sum(authorization_decline_log(authorization_id=pk) for pk in ids)


@shared_task(ignore_result=True)
def degraded_counters_sweep() -> int:
    """Drop the Redis counters of accounts decided in degraded mode lately, so they are rebuilt."""
    return degraded_counters_repair(redis_client(), since=timezone.now() - timedelta(days=2))
