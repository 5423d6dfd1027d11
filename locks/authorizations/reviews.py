"""A payment sent to review gets a case in the call-back queue, so that a person confirms it with the
customer. The outbox worker opens it from the committed record (`review_outbox_open`); nothing is
published on the request."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from locks.cases.services import case_open
from locks.models import Authorization, Case
from securitycenter.securitylog.record import Actor


def review_outbox_open(*, authorization_id: int) -> bool:
    """Open the review case a committed review decision left to do, once: the row is locked SKIP LOCKED
    (another worker on it is not waited for) and marked done (`logged_at`) with the case, in one transaction."""
    with transaction.atomic():
        row = (
            Authorization.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=authorization_id, outcome=Authorization.Outcome.REVIEW, logged_at__isnull=True)
            .only("pk")
            .first()
        )
        if row is None:
            return False
        review_case_open(authorization_id=row.pk)
        row.logged_at = timezone.now()
        row.save(update_fields=["logged_at"])
    return True


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
