"""Cooling-off holds (冷静期): held → released | cancelled | stopped, and nothing else.

Every transition is one conditional UPDATE from `held`, so whichever of the sweep, the customer and the
agent gets there first wins and the others change nothing: a hold is released at most once, never
before `release_at`, never while a call-back case of it is open (a person must talk to the customer
first: an unknown caller, elderly protection), and never after a cancel or stop. The sweep (beat) finds due holds with
SELECT … FOR UPDATE SKIP LOCKED, so several workers share the work without waiting on each other.

The held amount counts against the limits while held (its authorization is `counted`); a cancel or a
stop gives it back. The payment core hears of every transition by a signed webhook, delivered after
commit and retried until acknowledged.
"""

import logging
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from accounts.models import Customer
from accounts.notifications.queue import notification_queue
from accounts.notifications.templates import amount_display, time_display
from accounts.otp import otp_step_up_verify
from locks.cases.services import case_open
from locks.counters import counted_amount_give_back
from locks.decision.reasons import CALL_BACK_REASONS
from locks.holds.webhooks import webhook_queue
from locks.models import Authorization, Case, ContactConfirmation, Hold
from locks.trusted.services import confirmation_request, trusted_contact_verified
from securitycenter.errors import Conflict
from securitycenter.metrics import HOLDS_PLACED, HOLDS_RESOLVED
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record

logger = logging.getLogger(__name__)

_TRANSITION_EVENTS = {
    Hold.Status.RELEASED: (EventType.HOLD_RELEASED, "hold_released", "hold.released"),
    Hold.Status.CANCELLED: (EventType.HOLD_CANCELLED, "hold_cancelled", "hold.cancelled"),
    Hold.Status.STOPPED: (EventType.HOLD_STOPPED, "hold_stopped", "hold.stopped"),
}


def hold_place(*, authorization_id: int, release_at: datetime | None = None) -> Hold:
    """Create the hold for an authorization decided `hold` and announce it (idempotent: returns the existing
    one). The hot path does not call this: it writes the hold row with the record, and the outbox worker
    calls `hold_announce`."""
    with transaction.atomic():
        existing = Hold.objects.filter(authorization_id=authorization_id).first()
        if existing is not None:
            return existing
        auth = Authorization.objects.get(pk=authorization_id)
        hold = Hold.objects.create(
            authorization=auth,
            account_id=auth.account_id,
            client_id=auth.client_id,
            amount=auth.amount,
            currency=auth.currency,
            reasons=auth.reasons,
            release_at=release_at or timezone.now() + settings.COOLING_OFF_PERIOD,
        )
        hold_announce(hold_id=hold.pk)
        hold.refresh_from_db()
    return hold


def hold_announce(*, hold_id: int) -> bool:
    """Log a placed hold and tell the customer, once; False if it was announced already (or is being so by
    another worker: its row is skipped, not waited for)."""
    with transaction.atomic():
        hold = (
            Hold.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("account__customer", "authorization__account__customer")
            .filter(pk=hold_id, announced_at__isnull=True)
            .first()
        )
        if hold is None:
            return False
        auth = hold.authorization
        customer = hold.account.customer
        security_log_record(
            event_type=EventType.HOLD_PLACED,
            actor=Actor.system("authorization"),
            customer=customer,
            details={
                "hold_id": hold.pk,
                "account_id": hold.account_id,
                "transaction_id": hold.authorization.transaction_id,
                "amount": hold.amount,
                "currency": hold.currency,
                "reasons": hold.reasons,
                "release_at": hold.release_at,
                "device_signals": auth.device_signals,
            },
        )
        if CALL_BACK_REASONS.intersection(hold.reasons):
            _call_back_open(hold, auth)
        # Two channels: a fraudster coaching the victim may be holding the phone the push goes to.
        notification_queue(
            customer=customer,
            template="hold_placed",
            params={
                "amount": amount_display(hold.amount, hold.currency),
                "release_at": time_display(hold.release_at, customer.time_zone),
            },
            channels=["push", "sms"],
        )
        hold.announced_at = timezone.now()
        hold.save(update_fields=["announced_at"])
        # Counted when announced (once per hold): the hot path writes the row, the outbox worker announces it.
        transaction.on_commit(HOLDS_PLACED.inc)
    return True


def _call_back_open(hold: Hold, auth: Authorization) -> None:
    """Flag a held transfer for a call-back (拦截-外呼-止付): a case in the 95588 queue, so that a person
    talks to the customer before the money can leave."""
    reasons = [r for r in hold.reasons if r in CALL_BACK_REASONS]
    case_open(
        kind=Case.Kind.HOLD_CALLBACK,
        customer=auth.account.customer,
        source=f"rule:{reasons[0]}",
        actor=Actor.system("authorization"),
        reason="Held transfer to call the customer back about: " + ", ".join(reasons),
        priority=Case.Priority.HIGH,
        account=auth.account,
        authorization=auth,
        hold=hold,
        details={
            "reasons": hold.reasons,
            "device_signals": auth.device_signals,
            "release_at": hold.release_at.isoformat(),
        },
        dedupe_key=f"hold:{hold.pk}",
    )


def _call_back_open_for_hold() -> Exists:
    """An open call-back case for the hold (the outer row): while there is one, the hold is not released."""
    return Exists(Case.objects.filter(hold=OuterRef("pk"), kind=Case.Kind.HOLD_CALLBACK, status=Case.Status.OPEN))


def _transition(
    *,
    hold_id: int,
    to: Hold.Status,
    actor: Actor,
    origin: Origin,
    only_if: dict[str, Any],
    stop_reason: str = "",
    unless_call_back_open: bool = False,
) -> Hold | None:
    """Move one hold from `held` to `to` if `only_if` holds; None when another transition won.

    `only_if` names columns of the hold only, never a join (see hold_cancel): PostgreSQL re-checks the
    conditions on the hold's row after waiting for a concurrent transition, and only those."""
    now = timezone.now()
    with transaction.atomic():
        holds = Hold.objects.filter(pk=hold_id, status=Hold.Status.HELD, **only_if)
        if unless_call_back_open:
            # The case is opened when the hold is announced (hold_announce, in its transaction), and a hold
            # not yet announced is not released either, so the case is never missed; closing it only lets a
            # later sweep release the hold.
            holds = holds.filter(~_call_back_open_for_hold(), announced_at__isnull=False)
        changed = holds.update(
            status=to,
            resolved_at=now,
            resolved_by=f"{actor.type}:{actor.id}",
            stop_reason=stop_reason,
        )
        if not changed:
            return None
        hold = Hold.objects.select_related("account__customer", "authorization", "client").get(pk=hold_id)
        customer = hold.account.customer
        event_type, template, webhook_event = _TRANSITION_EVENTS[to]
        security_log_record(
            event_type=event_type,
            actor=actor,
            customer=customer,
            origin=origin,
            details={
                "hold_id": hold.pk,
                "account_id": hold.account_id,
                "transaction_id": hold.authorization.transaction_id,
                "amount": hold.amount,
                "reason": stop_reason,
            },
            old_value={"status": Hold.Status.HELD},
            new_value={"status": to},
        )
        notification_queue(
            customer=customer,
            template=template,
            params={"amount": amount_display(hold.amount, hold.currency), "reason": stop_reason},
            channels=["push", "sms"],
        )
        if to != Hold.Status.RELEASED:
            _give_back(hold, now)
        webhook_queue(hold=hold, event=webhook_event)
        transaction.on_commit(HOLDS_RESOLVED.labels(to).inc)
    return hold


def _give_back(hold: Hold, now: datetime) -> None:
    """A cancelled or stopped transfer never leaves: its amount no longer counts against the limits."""
    if Authorization.objects.filter(pk=hold.authorization_id, reversed_at__isnull=True).update(reversed_at=now):
        transaction.on_commit(partial(counted_amount_give_back, hold.authorization))


def hold_release(*, hold_id: int) -> bool:
    """Release one hold if it is due, still held and no call-back case of it is open. Safe to call any number
    of times, from anywhere."""
    released = _transition(
        hold_id=hold_id,
        to=Hold.Status.RELEASED,
        actor=Actor.system("cooling_off"),
        origin=Origin(),
        only_if={"release_at__lte": timezone.now()},
        unless_call_back_open=True,
    )
    return released is not None


def holds_release_due(*, limit: int = 500) -> int:
    """Release due holds, oldest first; workers running this at once skip each other's rows instead of waiting.

    One short transaction per hold: a release appends to the customer's security-log chain under its head
    lock, and one transaction for the whole batch kept every customer in it waiting (a hold placed by an
    authorization, a cancel) until the last hold was released; two overlapping sweeps could deadlock on two
    customers' heads, and a killed worker took the whole batch's work with it.
    """
    released = 0
    for _ in range(limit):
        with transaction.atomic():
            hold_id = (
                Hold.objects.select_for_update(skip_locked=True)
                .filter(status=Hold.Status.HELD, release_at__lte=timezone.now(), announced_at__isnull=False)
                .filter(~_call_back_open_for_hold())
                .order_by("release_at")
                .values_list("pk", flat=True)
                .first()
            )
            if hold_id is None:
                break
            released += hold_release(hold_id=hold_id)
    return released


def hold_cancel(*, customer: Customer, hold_id: int, origin: Origin) -> Hold:
    """The customer stops their own held transfer (a tightening: no one-time password)."""
    hold = Hold.objects.filter(pk=hold_id, account__customer=customer).first()
    if hold is None:
        raise Hold.DoesNotExist
    # Only columns of the hold itself in `only_if`: a condition through a join (account__customer) makes
    # Django write `WHERE id IN (SELECT … WHERE status = 'held')`, which PostgreSQL does not re-check
    # against a release committed while this UPDATE waited for the row, so the cancel overwrote it.
    changed = _transition(
        hold_id=hold_id,
        to=Hold.Status.CANCELLED,
        actor=Actor.customer(customer),
        origin=origin,
        only_if={"account_id": hold.account_id},
    )
    return changed or _not_held(hold_id)


def hold_release_early(
    *, customer: Customer, hold_id: int, origin: Origin, otp: str | None
) -> tuple[Hold, ContactConfirmation | None]:
    """The customer ends the cooling-off of their own transfer early: a loosening, so it needs their one-time
    password and, with a trusted contact, the contact's confirmation too (then the hold waits for it and
    the request is returned). Never while a call-back case of the hold is open: a person talks first."""
    hold = Hold.objects.filter(pk=hold_id, account__customer=customer).first()
    if hold is None:
        raise Hold.DoesNotExist
    if hold.status != Hold.Status.HELD:
        raise Conflict(f"This transfer is no longer held (it was {hold.status}).", code="not_held")
    if hold.announced_at is None or (
        Case.objects.filter(hold=hold, kind=Case.Kind.HOLD_CALLBACK, status=Case.Status.OPEN).exists()
    ):
        # Not yet announced: the outbox has not yet opened the call-back case it may need (about a second).
        raise Conflict("The bank will call you about this transfer first.", code="call_back_pending")
    otp_step_up_verify(customer=customer, code=otp, origin=origin)
    contact = trusted_contact_verified(customer)
    if contact is not None:
        with transaction.atomic():
            confirmation = confirmation_request(
                contact=contact,
                action=ContactConfirmation.Action.HOLD_RELEASE,
                summary=[f"{amount_display(hold.amount, hold.currency)} {hold.account.masked_number}"],
                hold=hold,
            )
        return hold, confirmation
    released = _transition(
        hold_id=hold_id,
        to=Hold.Status.RELEASED,
        actor=Actor.customer(customer),
        origin=origin,
        only_if={"account_id": hold.account_id},
        unless_call_back_open=True,
    )
    return released or _not_held(hold_id), None


def holds_cancel_all(*, customer: Customer, actor: Actor, origin: Origin, reason: str) -> list[Hold]:
    """Cancel every transfer of the customer's still held (an emergency: a scam in progress); each hold that
    another transition reached first is left as it is. A tightening: no one-time password, no Redis."""
    cancelled = []
    for hold_id, account_id in Hold.objects.filter(account__customer=customer, status=Hold.Status.HELD).values_list(
        "pk", "account_id"
    ):
        hold = _transition(
            hold_id=hold_id,
            to=Hold.Status.CANCELLED,
            actor=actor,
            origin=origin,
            only_if={"account_id": account_id},
            stop_reason=reason,
        )
        if hold is not None:
            cancelled.append(hold)
    return cancelled


def hold_stop(*, agent: Any, hold_id: int, reason: str, origin: Origin) -> Hold:
    """An agent stops a held transfer after calling the customer back (拦截-外呼-止付)."""
    if not Hold.objects.filter(pk=hold_id).exists():
        raise Hold.DoesNotExist
    changed = _transition(
        hold_id=hold_id, to=Hold.Status.STOPPED, actor=Actor.agent(agent), origin=origin, only_if={}, stop_reason=reason
    )
    return changed or _not_held(hold_id)


def hold_withdraw(*, hold_id: int, client_id: int) -> Hold | None:
    """The payment core reversed a held transfer: cancel the hold; None if it is no longer held."""
    return _transition(
        hold_id=hold_id,
        to=Hold.Status.CANCELLED,
        actor=Actor.service(client_id),
        origin=Origin(),
        only_if={"client_id": client_id},
        stop_reason="reversed by the payment core",
    )


def _not_held(hold_id: int) -> Hold:
    hold = Hold.objects.get(pk=hold_id)
    raise Conflict(f"This hold is already {hold.status}.", code="hold_not_held", extra={"hold_status": hold.status})


def holds_remind(*, limit: int = 500) -> int:
    """Tell customers an hour before their held transfer leaves; each hold once."""
    reminded = 0
    now = timezone.now()
    with transaction.atomic():
        holds = list(
            Hold.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("account__customer")
            .filter(
                status=Hold.Status.HELD,
                reminder_sent_at__isnull=True,
                release_at__lte=now + settings.HOLD_REMINDER_BEFORE,
                release_at__gt=now,
            )[:limit]
        )
        for hold in holds:
            customer = hold.account.customer
            notification_queue(
                customer=customer,
                template="hold_release_soon",
                params={
                    "amount": amount_display(hold.amount, hold.currency),
                    "release_at": time_display(hold.release_at, customer.time_zone),
                },
                channels=["push", "sms"],
            )
            hold.reminder_sent_at = now
            hold.save(update_fields=["reminder_sent_at"])
            reminded += 1
    return reminded
