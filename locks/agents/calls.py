""" "Is the bank really calling me?": the calls 95588 agents are making, as the customer's app sees them.

An agent starts a call from a service session or a call-back case; for the length of the call (until the
agent ends it, or CALL_STATUS_MAX_MINUTES at the latest) the app shows the agent's work number and a
four-digit code the agent will say. Any other call claiming to be the bank is not: the customer can report
it, which opens a fake-call case.
"""

import secrets
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Customer
from accounts.notifications.queue import notification_queue
from accounts.roles import staff_require
from locks.agents.sessions import service_session_live, session_log_details
from locks.cases.services import case_open
from locks.models import BankCall, Case
from securitycenter.errors import NotFound, field_error
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record


@transaction.atomic
def bank_call_start(*, agent: Any, origin: Origin, session_id: int | None = None, case: Case | None = None) -> BankCall:
    """Mark that `agent` is calling the customer of the session (or of the case) now."""
    if session_id is None and case is None:
        raise field_error("session_id", "Start a call from a service session or a case.", "required")
    staff_require(agent, "accounts.work_callbacks")
    session = service_session_live(agent=agent, session_id=session_id) if session_id is not None else None
    customer = session.customer if session is not None else case.customer  # type: ignore[union-attr]
    now = timezone.now()
    # A call still showing from before is over: one live call per customer at a time.
    BankCall.objects.filter(customer=customer, ended_at__isnull=True, ends_at__gt=now).update(ended_at=now)
    call = BankCall.objects.create(
        customer=customer,
        agent=agent,
        session=session,
        case=case,
        spoken_code=f"{secrets.randbelow(10_000):04d}",
        started_at=now,
        ends_at=now + settings.CALL_STATUS_MAX,
    )
    security_log_record(
        event_type=EventType.CALL_STARTED,
        actor=Actor.agent(agent),
        customer=customer,
        origin=origin,
        details={
            "call_id": call.pk,
            "case_id": case.pk if case is not None else None,
            **(session_log_details(session) if session is not None else {}),
        },
    )
    return call


@transaction.atomic
def bank_call_end(*, agent: Any, call_id: int, origin: Origin) -> BankCall:
    call = BankCall.objects.select_for_update().select_related("customer").filter(pk=call_id, agent=agent).first()
    if call is None:
        raise NotFound("No such call.", code="unknown_call")
    if call.ended_at is None:
        call.ended_at = timezone.now()
        call.save(update_fields=["ended_at"])
        security_log_record(
            event_type=EventType.CALL_ENDED,
            actor=Actor.agent(agent),
            customer=call.customer,
            origin=origin,
            details={"call_id": call.pk},
        )
    return call


def call_status(*, customer: Customer) -> BankCall | None:
    """The call the bank is making to `customer` right now, if any."""
    now = timezone.now()
    return (
        BankCall.objects.filter(customer=customer, ended_at__isnull=True, ends_at__gt=now)
        .select_related("agent")
        .order_by("-started_at", "-pk")
        .first()
    )


def fake_call_report(*, customer: Customer, caller_number: str, note: str, origin: Origin) -> Case:
    """The customer reports a call that claimed to be the bank: a fake-call case for the call-back queue."""
    with transaction.atomic():
        live = call_status(customer=customer)
        case = case_open(
            kind=Case.Kind.FAKE_CALL,
            customer=customer,
            source="fake_call_report",
            actor=Actor.customer(customer),
            origin=origin,
            reason="The customer reports a call pretending to be the bank.",
            priority=Case.Priority.HIGH,
            details={
                "caller_number": caller_number,
                "note": note,
                # If the bank was calling at that moment, the report may be about that call: the agent's lead.
                "bank_call_id": live.pk if live is not None else None,
            },
        )
        security_log_record(
            event_type=EventType.FAKE_CALL_REPORTED,
            actor=Actor.customer(customer),
            customer=customer,
            origin=origin,
            details={"case_id": case.pk, "caller_number": caller_number},
        )
        notification_queue(
            customer=customer, template="fake_call_reported", params={"case_id": case.pk}, channels=["push"]
        )
    return case
