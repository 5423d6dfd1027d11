"""Claims: one agent works a case at a time; a claim lapses after CALLBACK_CLAIM_LIFETIME.

The case row is locked FOR UPDATE while a claim is taken, so of agents claiming at once exactly one wins;
the others get a 409 naming who holds it and until when.
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.roles import staff_has, staff_number, staff_require
from locks.agents.calls import bank_call_start
from locks.models import BankCall, Case, CaseWork
from securitycenter.errors import Conflict, NotFound, NotPermitted
from securitycenter.rows import row_for_update
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record


class ClaimedByAnother(Conflict):
    default_code = "claimed_by_another"
    default_detail = "Another agent is working this case."


class ClaimExpired(Conflict):
    default_code = "claim_expired"
    default_detail = "Your claim on this case lapsed: claim it again."


class EscalatedToSupervisor(NotPermitted):
    default_code = "escalated_to_supervisor"
    default_detail = "This case went to a supervisor: the payment is released within the hour."


def case_locked(case_id: int) -> Case:
    case = (
        Case.objects.select_for_update(of=("self",))
        .select_related("customer", "hold", "authorization", "account")
        .filter(pk=case_id)
        .first()
    )
    if case is None:
        raise NotFound("No such case.", code="unknown_case")
    if case.status != Case.Status.OPEN:
        raise Conflict("This case is already closed.", code="case_closed")
    return case


def work_for_update(case: Case) -> CaseWork:
    return row_for_update(CaseWork, case=case)


def callback_claim(*, agent: Any, case_id: int, origin: Origin) -> CaseWork:
    staff_require(agent, "accounts.work_callbacks")
    with transaction.atomic():
        case = case_locked(case_id)
        work = work_for_update(case)
        now = timezone.now()
        if work.escalated_at is not None and not staff_has(agent, "accounts.supervise_callbacks"):
            raise EscalatedToSupervisor()
        until = work.claim_expires_at
        if work.claimed_by_id is not None and until is not None and until > now and work.claimed_by_id != agent.pk:
            raise ClaimedByAnother(
                extra={
                    "claimed_by": staff_number(work.claimed_by),
                    "claim_expires_at": until.isoformat(),
                }
            )
        work.claimed_by = agent
        work.claimed_at = now
        work.claim_expires_at = now + settings.CALLBACK_CLAIM_LIFETIME
        work.save(update_fields=["claimed_by", "claimed_at", "claim_expires_at"])
        security_log_record(
            event_type=EventType.CASE_CLAIMED,
            actor=Actor.agent(agent),
            customer=case.customer,
            origin=origin,
            details={"case_id": case.pk, "kind": case.kind, "claim_expires_at": work.claim_expires_at},
        )
    work.case = case
    return work


def claim_check(work: CaseWork, agent: Any) -> None:
    """The agent's own live claim on the (locked) case, or a 409 saying whose it is or that it lapsed."""
    now = timezone.now()
    if work.claimed_by_id != agent.pk:
        if work.claimed_by_id is not None and work.claim_expires_at is not None and work.claim_expires_at > now:
            raise ClaimedByAnother()
        raise Conflict("Claim the case before recording its outcome.", code="not_claimed")
    if work.claim_expires_at is None or work.claim_expires_at <= now:
        raise ClaimExpired()


def case_call_start(*, agent: Any, case_id: int, origin: Origin) -> BankCall:
    """Start calling the customer of a case the agent holds a live claim on (the app shows the call)."""
    with transaction.atomic():
        case = case_locked(case_id)
        claim_check(work_for_update(case), agent)
        return bank_call_start(agent=agent, case=case, origin=origin)
