"""The queue across customers, most urgent first, with the time each case has waited."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.utils import timezone

from accounts.roles import staff_has
from locks.models import Case, CaseWork

QUEUE_KINDS = (Case.Kind.REVIEW, Case.Kind.HOLD_CALLBACK, Case.Kind.INCIDENT, Case.Kind.FAKE_CALL)
ELDERLY_AGE = 65


@dataclass(frozen=True)
class QueueEntry:
    case: Case
    work: CaseWork | None
    amount: int | None
    currency: str | None
    deadline: datetime | None
    waited_seconds: int
    seconds_left: int | None
    customer_age: int | None

    @property
    def claimed_by(self) -> Any:
        work = self.work
        if work is None or work.claimed_by_id is None or work.claim_expires_at is None:
            return None
        return work.claimed_by if work.claim_expires_at > timezone.now() else None


def _age(born: date | None, today: date) -> int | None:
    if born is None:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def case_deadline(case: Case) -> datetime | None:
    """When the payment is released (a hold) or the review ends by its default: what the call must beat."""
    if case.hold is not None:
        return case.hold.release_at
    if case.kind == Case.Kind.REVIEW and case.authorization is not None:
        return case.authorization.created_at + settings.REVIEW_DEADLINE
    return None


def _entry(case: Case, now: datetime) -> QueueEntry:
    work = getattr(case, "work", None)
    deadline = case_deadline(case)
    authorization = case.authorization
    amount = case.hold.amount if case.hold is not None else authorization.amount if authorization else None
    currency = case.hold.currency if case.hold is not None else authorization.currency if authorization else None
    return QueueEntry(
        case=case,
        work=work,
        amount=amount,
        currency=currency,
        deadline=deadline,
        waited_seconds=int((now - case.opened_at).total_seconds()),
        seconds_left=int((deadline - now).total_seconds()) if deadline is not None else None,
        customer_age=_age(case.customer.date_of_birth, timezone.localdate(now)),
    )


def _urgency(entry: QueueEntry) -> tuple[Any, ...]:
    """Escalated first, then priority (the risk), an elderly customer, the least time left, the larger amount,
    the longest wait."""
    work = entry.work
    return (
        0 if work is not None and work.escalated_at is not None else 1,
        -entry.case.priority,
        0 if (entry.customer_age or 0) >= ELDERLY_AGE else 1,
        entry.seconds_left if entry.seconds_left is not None else float("inf"),
        -(entry.amount or 0),
        -entry.waited_seconds,
    )


def callback_queue(*, agent: Any, limit: int = 200) -> list[QueueEntry]:
    """Open cases across customers in the order to call them. Cases waiting for a retry after an
    unreachable call come back when their retry is due; escalated cases only for supervisors."""
    now = timezone.now()
    cases = (
        Case.objects.filter(status=Case.Status.OPEN, kind__in=QUEUE_KINDS)
        .select_related("customer", "account", "hold", "authorization", "work", "work__claimed_by")
        .order_by("-priority", "opened_at", "id")[: limit * 5]
    )
    supervisor = staff_has(agent, "accounts.supervise_callbacks")
    entries = []
    for case in cases:
        work = getattr(case, "work", None)
        if work is not None and work.next_attempt_at is not None and work.next_attempt_at > now:
            continue
        if work is not None and work.escalated_at is not None and not supervisor:
            continue
        entries.append(_entry(case, now))
    entries.sort(key=_urgency)
    return entries[:limit]
