"""What the call found, and what follows from it.

- confirmed by the customer: the case closes; a payment waiting for review is approved (signed webhook to the
  payment core); a cooling-off hold keeps its release time, because coached victims confirm too;
- fraud confirmed: the payment is stopped, outgoing transfers are frozen (the being_scammed_now emergency
  scenario, i9's one service), the payee is proposed for the risk list, the customer is sent the lesson;
- unreachable: the case comes back for a retry after CALLBACK_RETRY_AFTER; one still unreached within
  CALLBACK_ESCALATE_BEFORE of its deadline goes to a supervisor.
"""

from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.notifications.queue import notification_queue
from accounts.roles import staff_require
from locks.callbacks.claims import case_locked, claim_check, work_for_update
from locks.callbacks.queue import case_deadline
from locks.callbacks.reviews import outcome_set, review_resolve
from locks.cases.services import case_close
from locks.emergency.scenarios import SCENARIOS, Scenario
from locks.emergency.services import emergency_apply
from locks.holds.services import hold_stop
from locks.models import Case, CaseWork, Hold
from locks.risklist.proposals import risk_entry_propose_counterparty
from securitycenter.errors import Conflict, field_error
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record

OUTCOMES = (CaseWork.Outcome.CONFIRMED, CaseWork.Outcome.FRAUD_CONFIRMED, CaseWork.Outcome.UNREACHABLE)
FRAUD_SCENARIO = Scenario.BEING_SCAMMED_NOW


def escalate(*, case: Case, work: CaseWork, actor: Actor, origin: Origin, why: str) -> bool:
    """Give the (locked) case to a supervisor, once."""
    if work.escalated_at is not None:
        return False
    work.escalated_at = timezone.now()
    work.claimed_by = None
    work.claim_expires_at = None
    work.save(update_fields=["escalated_at", "claimed_by", "claim_expires_at"])
    security_log_record(
        event_type=EventType.CASE_ESCALATED,
        actor=actor,
        customer=case.customer,
        origin=origin,
        details={"case_id": case.pk, "why": why, "attempts": work.attempts},
    )
    return True


def callback_outcome_record(*, agent: Any, case_id: int, outcome: str, note: str, origin: Origin) -> CaseWork:
    """Record the call's outcome on a case the agent holds a live claim on, and carry out its effects."""
    staff_require(agent, "accounts.work_callbacks")
    if outcome not in OUTCOMES:
        raise field_error("outcome", f"One of {', '.join(OUTCOMES)}.", "invalid_choice")
    actor = Actor.agent(agent)
    with transaction.atomic():
        case = case_locked(case_id)
        work = work_for_update(case)
        claim_check(work, agent)
        effects: list[str] = []
        if outcome == CaseWork.Outcome.CONFIRMED:
            review_resolve(case=case, approve=True)
            if case.kind == Case.Kind.REVIEW:
                effects.append("review_approved")
            elif case.hold is not None:
                # Coached victims confirm too: the cooling-off runs its course.
                effects.append("hold_keeps_release_time")
            outcome_set(work, outcome, by=actor, note=note)
            case_close(case_id=case.pk, actor=actor, origin=origin, resolution=f"confirmed by the customer. {note}")
        elif outcome == CaseWork.Outcome.FRAUD_CONFIRMED:
            effects += _fraud(case, agent, note, origin)
            outcome_set(work, outcome, by=actor, note=note)
            case_close(case_id=case.pk, actor=actor, origin=origin, resolution=f"fraud confirmed. {note}")
        else:
            now = timezone.now()
            work.attempts += 1
            work.next_attempt_at = now + settings.CALLBACK_RETRY_AFTER
            work.claimed_by = None
            work.claim_expires_at = None
            work.note = note[:500]
            work.save(update_fields=["attempts", "next_attempt_at", "claimed_by", "claim_expires_at", "note"])
            effects.append("retry")
            deadline = case_deadline(case)
            if deadline is not None and deadline - now <= settings.CALLBACK_ESCALATE_BEFORE:
                escalate(case=case, work=work, actor=actor, origin=origin, why="unreached close to its deadline")
                effects.append("escalated")
        security_log_record(
            event_type=EventType.CASE_OUTCOME_RECORDED,
            actor=actor,
            customer=case.customer,
            origin=origin,
            details={"case_id": case.pk, "kind": case.kind, "outcome": outcome, "effects": effects, "note": note},
        )
    work.case = case
    return work


def _fraud(case: Case, agent: Any, note: str, origin: Origin) -> list[str]:
    effects = []
    reason = f"fraud confirmed on the call-back (case {case.pk})"
    if case.hold is not None and case.hold.status == Hold.Status.HELD:
        hold_stop(agent=agent, hold_id=case.hold.pk, reason=reason, origin=origin)
        effects.append("payment_stopped")
    if case.kind == Case.Kind.REVIEW:
        review_resolve(case=case, approve=False)
        effects.append("review_declined")
    emergency_apply(
        customer=case.customer,
        scenario=FRAUD_SCENARIO,
        actor=Actor.agent(agent),
        origin=origin,
        source=f"callback:{case.pk}",
    )
    effects.append("outgoing_frozen")
    authorization = case.authorization
    if authorization is not None and authorization.counterparty:
        try:
            risk_entry_propose_counterparty(
                agent=agent,
                counterparty=authorization.counterparty,
                masked_account="(from transaction " + authorization.transaction_id[:24] + ")",
                severity="high",
                source="95588 call-back",
                note=note,
                origin=origin,
                case=case,
            )
            effects.append("payee_proposed")
        except Conflict:
            effects.append("payee_already_proposed")
    lesson = SCENARIOS[FRAUD_SCENARIO].lesson
    notification_queue(
        customer=case.customer,
        template="fraud_confirmed_lesson",
        params={"lesson_id": lesson},
        channels=["push", "sms"],
    )
    effects.append(f"lesson:{lesson}")
    return effects
