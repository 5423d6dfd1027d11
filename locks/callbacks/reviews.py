"""A payment waiting for review (智能规则+人工复核) ends approved or declined: by the agent's call, or by the
configured default at the review deadline. The payment core is told by signed webhook either way."""

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.notifications.queue import notification_queue
from accounts.notifications.templates import amount_display
from locks.authorizations.reversal import authorization_reverse
from locks.callbacks.claims import work_for_update
from locks.cases.services import case_close
from locks.holds.webhooks import review_webhook_queue
from locks.models import Authorization, Case, CaseWork
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record


def review_resolve(*, case: Case, approve: bool) -> None:
    """Tell the payment core how the review ended; a declined payment's reserved amount goes back to the
    customer's limits. Inside the caller's transaction, with the case locked."""
    authorization = case.authorization
    if authorization is None or authorization.outcome != Authorization.Outcome.REVIEW:
        return
    if not approve:
        authorization_reverse(transaction_id=authorization.transaction_id, client_id=authorization.client_id)
        notification_queue(
            customer=case.customer,
            template="review_declined",
            params={"amount": amount_display(authorization.amount, authorization.currency)},
            channels=["push", "sms"],
        )
    review_webhook_queue(authorization=authorization, approved=approve)


def reviews_past_deadline(*, limit: int = 500) -> list[int]:
    cutoff = timezone.now() - settings.REVIEW_DEADLINE
    return list(
        Case.objects.filter(
            kind=Case.Kind.REVIEW, status=Case.Status.OPEN, authorization__created_at__lte=cutoff
        ).values_list("pk", flat=True)[:limit]
    )


def review_default(*, case_id: int) -> bool:
    """End one review nobody worked by the configured default; idempotent (False if already ended)."""
    approve = settings.REVIEW_DEFAULT_OUTCOME == "approve"
    actor = Actor.system("review_deadline")
    with transaction.atomic():
        case = (
            Case.objects.select_for_update(of=("self",), skip_locked=True)
            .select_related("customer", "authorization")
            .filter(pk=case_id, status=Case.Status.OPEN, kind=Case.Kind.REVIEW)
            .first()
        )
        if case is None or case.authorization is None:
            return False
        if case.authorization.created_at + settings.REVIEW_DEADLINE > timezone.now():
            return False
        work = work_for_update(case)
        review_resolve(case=case, approve=approve)
        outcome_set(
            work, CaseWork.Outcome.DEFAULTED, by=actor, note=f"review deadline: {'approved' if approve else 'declined'}"
        )
        security_log_record(
            event_type=EventType.CASE_OUTCOME_RECORDED,
            actor=actor,
            customer=case.customer,
            origin=Origin(),
            details={"case_id": case.pk, "outcome": "defaulted", "approved": approve},
        )
        case_close(
            case_id=case.pk,
            actor=actor,
            resolution="review deadline passed: " + ("approved" if approve else "declined"),
        )
    return True


def outcome_set(work: CaseWork, outcome: str, *, by: Actor, note: str) -> None:
    work.outcome = outcome
    work.outcome_at = timezone.now()
    work.outcome_by = f"{by.type}:{by.id}"
    work.note = note[:500]
    work.claimed_by = None
    work.claim_expires_at = None
    work.save(update_fields=["outcome", "outcome_at", "outcome_by", "note", "claimed_by", "claim_expires_at"])
