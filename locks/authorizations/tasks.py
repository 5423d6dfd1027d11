"""Tasks around authorization decisions: they take ids, re-fetch, and are safe to run twice."""

import logging
from datetime import timedelta

import redis
from celery import shared_task
from django.utils import timezone

from locks.authorizations.declines import authorization_decline_log
from locks.authorizations.outbox import KICK_KEY, outbox_drain
from locks.authorizations.reviews import review_case_open
from locks.counters import degraded_counters_repair
from locks.models import Authorization, Case
from securitycenter.redis import redis_client

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def authorization_decline_record(authorization_id: int) -> None:
    # No longer sent by the hot path; kept so that messages queued before the outbox are still consumed.
    if authorization_decline_log(authorization_id=authorization_id):
        logger.info("decline of authorization %s logged and announced", authorization_id)


@shared_task(ignore_result=True)
def authorization_outbox_sweep() -> int:
    """Log and announce the holds and customer-lock declines that committed decisions left (beat, every
    AUTHORIZATION_OUTBOX_SECONDS, and when `outbox_kick` asks): the hot path publishes nothing."""
    # Before the look-ups: a group committed from now on sends a new kick instead of relying on this run.
    try:
        redis_client().delete(KICK_KEY)
    except redis.RedisError:  # the sweep works without Redis; only a kick is coalesced a little longer
        logger.warning("could not clear the outbox kick")
    return outbox_drain()


@shared_task(ignore_result=True)
def authorization_review_case_open(authorization_id: int) -> bool:
    """Open the call-back case of a payment sent to review (once). No longer sent by the hot path (the outbox
    opens it); kept so that messages queued before the outbox are still consumed."""
    return review_case_open(authorization_id=authorization_id) is not None


@shared_task(ignore_result=True)
def review_cases_sweep() -> int:
    """Open the cases of recent review decisions that have none (those decided before the outbox opened them,
    or a case closed by hand in error): a second safety net behind the outbox."""
    cutoff = timezone.now() - timedelta(minutes=1)
    ids = list(
        Authorization.objects.filter(
            outcome=Authorization.Outcome.REVIEW, created_at__lt=cutoff, created_at__gte=cutoff - timedelta(days=2)
        )
        .exclude(cases__kind=Case.Kind.REVIEW)
        .values_list("pk", flat=True)[:1000]
    )
    return sum(review_case_open(authorization_id=pk) is not None for pk in ids)


@shared_task(ignore_result=True)
def degraded_counters_sweep() -> int:
    """Drop the Redis counters of accounts decided in degraded mode lately, so they are rebuilt."""
    return degraded_counters_repair(redis_client(), since=timezone.now() - timedelta(days=2))
