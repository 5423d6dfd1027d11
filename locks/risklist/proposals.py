"""Payee risk-list entries proposed by agents and approved by supervisors (four eyes), both logged.

An approved entry is written to the list and mirrored to Redis on commit, so the hot path sees it within
the time of one publish; if Redis is away then, the hot path rebuilds the mirror when it finds it missing.
"""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.roles import staff_require
from locks.models import Case, PayeeRiskEntry, RiskEntryProposal
from locks.risklist.services import risk_list_publish_quietly
from securitycenter.account_numbers import account_number_normalize, account_number_valid, payee_index
from securitycenter.errors import Conflict, NotFound, NotPermitted, field_error
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record


class OwnProposal(NotPermitted):
    default_code = "own_proposal"
    default_detail = "Four eyes: somebody else must decide on your own proposal."


def risk_entry_propose(
    *,
    agent: Any,
    account_number: str,
    severity: str,
    source: str,
    note: str,
    origin: Origin,
    case: Case | None = None,
) -> RiskEntryProposal:
    staff_require(agent, "accounts.propose_risk_entry")
    number = account_number_normalize(account_number)
    if not account_number_valid(number):
        raise field_error("account", "8 to 34 digits or capital letters.", "invalid_account")
    if severity not in PayeeRiskEntry.Severity.values:
        raise field_error("severity", "medium or high.", "invalid_choice")
    return risk_entry_propose_counterparty(
        agent=agent,
        counterparty=payee_index(number),
        masked_account=f"****{number[-4:]}",
        severity=severity,
        source=source,
        note=note,
        origin=origin,
        case=case,
    )


def risk_entry_propose_counterparty(
    *,
    agent: Any,
    counterparty: str,
    masked_account: str,
    severity: str,
    source: str,
    note: str,
    origin: Origin,
    case: Case | None = None,
) -> RiskEntryProposal:
    """Propose a payee known only by its keyed hash (a transaction's counterparty, after a fraud call-back)."""
    staff_require(agent, "accounts.propose_risk_entry")
    try:
        with transaction.atomic():
            proposal = RiskEntryProposal.objects.create(
                counterparty=counterparty,
                masked_account=masked_account[:40],
                severity=severity,
                source=source,
                note=note,
                case=case,
                proposed_by=agent,
                proposed_at=timezone.now(),
            )
            security_log_record(
                event_type=EventType.RISK_ENTRY_PROPOSED,
                actor=Actor.agent(agent),
                customer=case.customer if case is not None else None,
                origin=origin,
                details={
                    "proposal_id": proposal.pk,
                    "counterparty": counterparty,
                    "masked_account": proposal.masked_account,
                    "severity": severity,
                    "source": source,
                    "case_id": case.pk if case is not None else None,
                },
            )
    except IntegrityError:
        raise Conflict("This payee is already proposed and waiting for a decision.", code="already_proposed") from None
    return proposal


def _pending_locked(proposal_id: int) -> RiskEntryProposal:
    proposal = RiskEntryProposal.objects.select_for_update().filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound("No such proposal.", code="unknown_proposal")
    if proposal.status != RiskEntryProposal.Status.PENDING:
        raise Conflict(f"This proposal is already {proposal.status}.", code="proposal_decided")
    return proposal


def risk_entry_decide(
    *, supervisor: Any, proposal_id: int, approve: bool, note: str, origin: Origin
) -> RiskEntryProposal:
    """Approve (the entry goes on the list and to the hot path) or reject a proposal of somebody else's."""
    staff_require(supervisor, "accounts.manage_risk_list")
    with transaction.atomic():
        proposal = _pending_locked(proposal_id)
        if proposal.proposed_by_id == supervisor.pk:
            raise OwnProposal()
        proposal.status = RiskEntryProposal.Status.APPROVED if approve else RiskEntryProposal.Status.REJECTED
        proposal.decided_by = supervisor
        proposal.decided_at = timezone.now()
        proposal.decision_note = note
        proposal.save(update_fields=["status", "decided_by", "decided_at", "decision_note"])
        old = None
        if approve:
            entry = PayeeRiskEntry.objects.select_for_update().filter(counterparty=proposal.counterparty).first()
            old = {"severity": entry.severity, "source": entry.source} if entry is not None else None
            PayeeRiskEntry.objects.update_or_create(
                counterparty=proposal.counterparty,
                defaults={"severity": proposal.severity, "source": proposal.source, "note": proposal.note[:200]},
            )
            transaction.on_commit(risk_list_publish_quietly)
        security_log_record(
            event_type=EventType.RISK_ENTRY_APPROVED if approve else EventType.RISK_ENTRY_REJECTED,
            actor=Actor.agent(supervisor),
            origin=origin,
            details={
                "proposal_id": proposal.pk,
                "counterparty": proposal.counterparty,
                "proposed_by": proposal.proposed_by_id,
                "note": note,
            },
            old_value=old,
            new_value={"severity": proposal.severity, "source": proposal.source} if approve else None,
        )
    return proposal


def risk_entry_proposals(*, status: str | None = None) -> Any:
    proposals = RiskEntryProposal.objects.select_related("proposed_by", "decided_by").order_by("proposed_at", "pk")
    return proposals.filter(status=status) if status else proposals
