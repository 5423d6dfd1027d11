"""Tasks around authorization decisions: they take ids, re-fetch, and are safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from locks.authorizations.declines import authorization_decline_log
from locks.counters import degraded_counters_repair
from locks.models import Authorization
from securitycenter.redis import redis_client

logger = logging.getLogger(__name__)


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
