"""Beat sweeps of the call-back queue, each idempotent: reviews past their deadline end by the configured
default, and cases still unreached close to their deadline go to a supervisor."""

import logging

from celery import shared_task
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from locks.callbacks.claims import work_for_update
from locks.callbacks.outcomes import escalate
from locks.callbacks.reviews import review_default, reviews_past_deadline
from locks.models import Case, Hold
from securitycenter.securitylog.record import Actor, Origin

logger = logging.getLogger(__name__)


@shared_task
def reviews_default_sweep() -> int:
    """End every review past its deadline by the default; a second run ends none."""
    ended = 0
    for case_id in reviews_past_deadline():
        try:
            if review_default(case_id=case_id):
                ended += 1
        except Exception:
            logger.exception("review case %s could not be ended by its default; the next run tries again", case_id)
    return ended


@shared_task
def callbacks_escalate_sweep() -> int:
    """Give a supervisor every open hold call-back or review still unresolved within the last
    CALLBACK_ESCALATE_BEFORE of its deadline."""
    now = timezone.now()
    soon = now + settings.CALLBACK_ESCALATE_BEFORE
    candidates = list(
        Case.objects.filter(
            status=Case.Status.OPEN,
            kind=Case.Kind.HOLD_CALLBACK,
            hold__status=Hold.Status.HELD,
            hold__release_at__lte=soon,
        )
        .exclude(work__escalated_at__isnull=False)
        .values_list("pk", flat=True)[:500]
    ) + list(
        Case.objects.filter(
            status=Case.Status.OPEN,
            kind=Case.Kind.REVIEW,
            authorization__created_at__lte=soon - settings.REVIEW_DEADLINE,
        )
        .exclude(work__escalated_at__isnull=False)
        .values_list("pk", flat=True)[:500]
    )
    escalated = 0
    for case_id in candidates:
        with transaction.atomic():
            case = (
                Case.objects.select_for_update(of=("self",))
                .select_related("customer")
                .filter(pk=case_id, status=Case.Status.OPEN)
                .first()
            )
            if case is None:
                continue
            if escalate(
                case=case,
                work=work_for_update(case),
                actor=Actor.system("callback_escalation"),
                origin=Origin(),
                why="its deadline is less than the escalation margin away",
            ):
                escalated += 1
    return escalated
