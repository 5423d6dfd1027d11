"""Opening and closing cases. Each is security-logged in the same transaction as the act."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import BankAccount, Customer
from locks.models import Authorization, Case, Hold
from securitycenter.errors import Conflict, NotFound
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record


def _actor_label(actor: Actor) -> str:
    return f"{actor.type}:{actor.id}" if actor.id else str(actor.type)


def case_open(
    *,
    kind: Case.Kind | str,
    customer: Customer,
    source: str,
    actor: Actor,
    origin: Origin | None = None,
    reason: str = "",
    priority: int = Case.Priority.NORMAL,
    account: BankAccount | None = None,
    authorization: Authorization | None = None,
    hold: Hold | None = None,
    details: dict[str, Any] | None = None,
    dedupe_key: str = "",
) -> Case:
    """Open a case for the bank's people; with `dedupe_key`, the customer's open case of that key if there is one.

    A deduplicated open keeps the existing case but raises its priority to the higher of the two, so a
    second, more urgent signal (a scam in progress after a suspected fraud) moves it up the queue.
    """
    kind = Case.Kind(kind)
    if dedupe_key:
        existing = _open_by_key(customer, dedupe_key)
        if existing is not None:
            return _raise_priority(existing, priority)
    try:
        with transaction.atomic():
            case = Case.objects.create(
                kind=kind,
                customer=customer,
                account=account,
                authorization=authorization,
                hold=hold,
                source=source,
                reason=reason,
                priority=priority,
                details=dict(details or {}),
                dedupe_key=dedupe_key,
                opened_at=timezone.now(),
                opened_by=_actor_label(actor),
            )
            security_log_record(
                event_type=EventType.CASE_OPENED,
                actor=actor,
                customer=customer,
                origin=origin,
                details={
                    "case_id": case.pk,
                    "kind": kind,
                    "source": source,
                    "priority": case.priority,
                    "account_id": account.pk if account else None,
                    "authorization_id": authorization.pk if authorization else None,
                    "hold_id": hold.pk if hold else None,
                    "reason": reason,
                },
            )
    except IntegrityError:
        # A concurrent open with the same key won the partial unique index: that case is the one.
        existing = _open_by_key(customer, dedupe_key) if dedupe_key else None
        if existing is None:
            raise
        return _raise_priority(existing, priority)
    return case


def _open_by_key(customer: Customer, dedupe_key: str) -> Case | None:
    return Case.objects.filter(customer=customer, dedupe_key=dedupe_key, status=Case.Status.OPEN).first()


def _raise_priority(case: Case, priority: int) -> Case:
    if priority > case.priority:
        Case.objects.filter(pk=case.pk, priority__lt=priority).update(priority=priority)
        case.refresh_from_db(fields=["priority"])
    return case


def case_close(
    *, case_id: int, actor: Actor, resolution: str, origin: Origin | None = None, customer: Customer | None = None
) -> Case:
    """Close an open case; with `customer`, only one of theirs (another's is a 404). Closing twice is a 409."""
    with transaction.atomic():
        cases = Case.objects.select_for_update().select_related("customer")
        if customer is not None:
            cases = cases.filter(customer=customer)
        case = cases.filter(pk=case_id).first()
        if case is None:
            raise NotFound(_("No such case."))
        if case.status != Case.Status.OPEN:
            raise Conflict(_("This case is already closed."), code="case_closed")
        case.status = Case.Status.CLOSED
        case.closed_at = timezone.now()
        case.closed_by = _actor_label(actor)
        case.resolution = resolution
        case.save(update_fields=["status", "closed_at", "closed_by", "resolution"])
        security_log_record(
            event_type=EventType.CASE_CLOSED,
            actor=actor,
            customer=case.customer,
            origin=origin,
            details={"case_id": case.pk, "kind": case.kind, "resolution": resolution},
            old_value={"status": Case.Status.OPEN},
            new_value={"status": Case.Status.CLOSED},
        )
    return case
