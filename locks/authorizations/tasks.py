"""Tasks around authorization decisions: they take ids, re-fetch, and are safe to run twice."""

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from locks.authorizations.declines import authorization_decline_log
from locks.authorizations.outbox import outbox_drain
from locks.cases.services import case_open
from locks.counters import degraded_counters_repair
from locks.models import Authorization, Case
from securitycenter.redis import redis_client
from securitycenter.securitylog.record import Actor

logger = logging.getLogger(__name__)


@shared_task(ignore_result=True)
def authorization_decline_record(authorization_id: int) -> None:
    # No longer sent by the hot path; kept so that messages queued before the outbox are still consumed.
    if authorization_decline_log(authorization_id=authorization_id):
        logger.info("decline of authorization %s logged and announced", authorization_id)


@shared_task(ignore_result=True)
def authorization_outbox_sweep() -> int:
    """Log and announce the holds and customer-lock declines that committed decisions left (beat, every
    AUTHORIZATION_OUTBOX_SECONDS): the hot path publishes nothing."""
    return outbox_drain()


@shared_task(ignore_result=True)
def authorization_review_case_open(authorization_id: int) -> bool:
    """Open the call-back case of a payment sent to review (once; the sweep repairs a lost message)."""
    return review_case_open(authorization_id=authorization_id) is not None


@shared_task(ignore_result=True)
def review_cases_sweep() -> int:
    """Open the cases of recent review decisions whose task was lost."""
    cutoff = timezone.now() - timedelta(minutes=1)
    ids = list(
        Authorization.objects.filter(
            outcome=Authorization.Outcome.REVIEW, created_at__lt=cutoff, created_at__gte=cutoff - timedelta(days=2)
        )
        .exclude(cases__kind=Case.Kind.REVIEW)
        .values_list("pk", flat=True)[:1000]
    )
    return sum(review_case_open(authorization_id=pk) is not None for pk in ids)


def review_case_open(*, authorization_id: int) -> Case | None:
    """The review case of `authorization_id`, opened if it has none; None if it is gone or not a review."""
    authorization = Authorization.objects.select_related("account__customer").filter(pk=authorization_id).first()
    if authorization is None or authorization.outcome != Authorization.Outcome.REVIEW:
        return None
    existing = Case.objects.filter(authorization=authorization, kind=Case.Kind.REVIEW).first()
    if existing is not None:
        return existing
    large = authorization.amount >= settings.COOLING_OFF_NEW_PAYEE_THRESHOLD
    return case_open(
        kind=Case.Kind.REVIEW,
        customer=authorization.account.customer,
        account=authorization.account,
        authorization=authorization,
        source="rule:" + ",".join(authorization.reasons)[:40],
        actor=Actor.system("review"),
        reason="A rule sent this payment to review: call the customer before it is approved.",
        priority=Case.Priority.HIGH if large else Case.Priority.NORMAL,
        dedupe_key=f"review:{authorization.pk}",
    )


@shared_task(ignore_result=True)
def degraded_counters_sweep() -> int:
    """Drop the Redis counters of accounts decided in degraded mode lately, so they are rebuilt."""
    return degraded_counters_repair(redis_client(), since=timezone.now() - timedelta(days=2))
