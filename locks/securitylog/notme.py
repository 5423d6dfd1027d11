""" "This wasn't me": what the service does, at once, when a customer reports an entry or a payment.

By kind of entry:

- sign_in, new_device: revokes the device of the sign-in (unless it is the phone in the customer's hand);
  suspected_fraud; a high-priority case.
- authenticator: removes the authenticator app that was added; suspected_fraud; high.
- lock_change: puts each loosened section back to its earlier, stricter value and cancels travel windows it
  added; suspected_fraud; high.
- pending_loosening: cancels the waiting loosening (or, if it already applied, reverts what it loosened);
  suspected_fraud; high.
- declined_payment: nothing was paid; suspected_fraud, and lost_card when the account is a card; high.
- approved_payment: suspected_fraud, and lost_card when the account is a card; urgent.
- held_payment: being_scammed_now (every still-held transfer is cancelled); urgent.

Then one incident case names the entry for the agents' call-back queue, the customer is told on every
channel, and the answer lists each action with how to undo it. Everything is a tightening: no OTP, no
Redis. The same entry reported again returns the first answer and does nothing (a `NotMeReport` per entry).
"""

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from accounts.models import BankAccount, Customer, Device
from accounts.notifications.queue import notification_queue
from accounts.otp import otp_device_disown
from accounts.selectors import customer_accounts
from accounts.signin import device_revoke
from locks.cases.services import case_open
from locks.emergency.scenarios import Scenario
from locks.emergency.services import CARD_KINDS, EmergencyAction, emergency_apply
from locks.models import Authorization, Case, Hold, NotMeReport, PendingLoosening
from locks.rules.changes import Proposal, lock_change, pending_loosening_cancel, proposal_tightens
from locks.securitylog.entries import entry_kind
from locks.securitylog.selectors import customer_log_entry_get
from locks.securitylog.texts import ENTRY_KIND_NAMES, not_me_action_render
from securitycenter.errors import NotFound, Unprocessable
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Actor, Origin, security_log_record

_PAYMENT_KINDS = ("declined_payment", "approved_payment")


@dataclass(frozen=True)
class NotMeOutcome:
    report: NotMeReport
    already_reported: bool


def not_me_report_entry(
    *, customer: Customer, entry_id: int, origin: Origin, current_device: Device | None
) -> NotMeOutcome:
    """Report a security-log entry of the customer's as not theirs."""
    event = customer_log_entry_get(customer=customer, entry_id=entry_id)
    kind = entry_kind(event)
    if kind is None:
        raise Unprocessable(
            _("This kind of entry cannot be reported; call 95588 if something is wrong."), code="not_reportable"
        )
    authorization = None
    if kind == "declined_payment":
        authorization = Authorization.objects.filter(
            transaction_id=event.details.get("transaction_id"), account__customer=customer
        ).first()
    return _report(
        customer=customer,
        kind=kind,
        event=event,
        authorization=authorization,
        origin=origin,
        current_device=current_device,
    )


def not_me_report_payment(
    *, customer: Customer, transaction_id: str, origin: Origin, current_device: Device | None
) -> NotMeOutcome:
    """Report a payment (by the payment core's transaction id, as the app's statement shows it) as not theirs."""
    authorization = (
        Authorization.objects.select_related("account")
        .filter(transaction_id=transaction_id, account__customer=customer)
        .first()
    )
    if authorization is None:
        raise NotFound(_("No such payment."), code="payment_not_found", field="transaction_id")
    kind = {
        Authorization.Outcome.DECLINE: "declined_payment",
        Authorization.Outcome.HOLD: "held_payment",
    }.get(authorization.outcome, "approved_payment")  # type: ignore[call-overload]
    return _report(
        customer=customer,
        kind=kind,
        event=None,
        authorization=authorization,
        origin=origin,
        current_device=current_device,
    )


def _existing(event: SecurityEvent | None, authorization: Authorization | None) -> NotMeReport | None:
    reports = NotMeReport.objects.select_related("case")
    if event is not None:
        found = reports.filter(event=event).first()
        if found is not None:
            return found
    if authorization is not None:
        return reports.filter(authorization=authorization).first()
    return None


def _report(
    *,
    customer: Customer,
    kind: str,
    event: SecurityEvent | None,
    authorization: Authorization | None,
    origin: Origin,
    current_device: Device | None,
) -> NotMeOutcome:
    existing = _existing(event, authorization)
    if existing is not None:
        return NotMeOutcome(existing, already_reported=True)
    try:
        with transaction.atomic():
            # The row first: a second report of the same entry, even at the same moment, stops here.
            report = NotMeReport.objects.create(
                customer=customer, event=event, authorization=authorization, entry_kind=kind
            )
            _act(report, customer=customer, origin=origin, current_device=current_device)
    except IntegrityError:
        existing = _existing(event, authorization)
        if existing is None:
            raise
        return NotMeOutcome(existing, already_reported=True)
    return NotMeOutcome(report, already_reported=False)


def _act(report: NotMeReport, *, customer: Customer, origin: Origin, current_device: Device | None) -> None:
    actor = Actor.customer(customer)
    event, authorization, kind = report.event, report.authorization, report.entry_kind
    actions: list[dict[str, Any]] = []
    account = _account_of(customer, event, authorization)
    hold = Hold.objects.filter(authorization=authorization).first() if authorization is not None else None
    if event is not None and kind == "held_payment":
        hold = Hold.objects.filter(pk=event.details.get("hold_id"), account__customer=customer).first()

    if kind in ("sign_in", "new_device"):
        actions += _revoke_device(customer, event, actor=actor, origin=origin, current_device=current_device)
    elif kind == "authenticator":
        assert event is not None
        if otp_device_disown(customer=customer, device_id=event.details.get("device_id"), actor=actor, origin=origin):
            actions.append({"code": "authenticator_removed", "name": event.details.get("name", "")})
    elif kind == "lock_change":
        assert event is not None
        actions += _revert(customer, _change_event(event), actor=actor, origin=origin)
    elif kind == "pending_loosening":
        assert event is not None
        actions += _pending_undo(customer, event, actor=actor, origin=origin)

    scenario = Scenario.BEING_SCAMMED_NOW if kind == "held_payment" else Scenario.SUSPECTED_FRAUD
    outcomes = [
        emergency_apply(
            customer=customer,
            scenario=scenario,
            actor=actor,
            origin=origin,
            keep_device=current_device,
            open_case=False,
        )
    ]
    if kind in _PAYMENT_KINDS and account is not None and account.kind in CARD_KINDS:
        outcomes.append(
            emergency_apply(
                customer=customer, scenario=Scenario.LOST_CARD, actor=actor, origin=origin, card_id=account.pk
            )
        )
    for outcome in outcomes:
        actions += [_action_json(a) for a in outcome.actions]

    urgent = kind in ("held_payment", "approved_payment")
    case = case_open(
        kind=Case.Kind.INCIDENT,
        customer=customer,
        source="not_me",
        actor=actor,
        origin=origin,
        reason=f"The customer reports a {kind.replace('_', ' ')} as not theirs.",
        priority=Case.Priority.URGENT if urgent else Case.Priority.HIGH,
        account=account,
        authorization=authorization,
        hold=hold,
        details={"entry_id": event.pk if event else None, "entry_kind": kind, "report_id": report.pk},
    )
    actions.append({"code": "case_opened", "case_id": case.pk})
    report.case = case
    report.actions = actions
    report.scenario = scenario.value
    report.save(update_fields=["case", "actions", "scenario"])
    security_log_record(
        event_type=EventType.NOT_ME_REPORTED,
        actor=actor,
        customer=customer,
        origin=origin,
        details={
            "report_id": report.pk,
            "entry_id": event.pk if event else None,
            "transaction_id": authorization.transaction_id if authorization else None,
            "entry_kind": kind,
            "scenario": scenario.value,
            "case_id": case.pk,
            "actions": [a["code"] for a in actions],
        },
    )
    channels = ["push", "sms", *(["email"] if customer.email else [])]
    notification_queue(
        customer=customer,
        template="not_me_reported",
        params=_notice_params(customer, kind, actions),
        channels=channels,
    )


def _notice_params(customer: Customer, kind: str, actions: list[dict[str, Any]]) -> dict[str, str]:
    """The notification's texts, in the customer's own language (it is read later, on their phone)."""
    with override(customer.language):
        return {
            "entry": str(ENTRY_KIND_NAMES.get(kind, kind)),
            "summary": " ".join(not_me_action_render(a)["message"] for a in actions),
        }


def _account_of(
    customer: Customer, event: SecurityEvent | None, authorization: Authorization | None
) -> BankAccount | None:
    account_id = authorization.account_id if authorization is not None else None
    if account_id is None and event is not None:
        account_id = event.details.get("account_id")
    if account_id is None:
        return None
    return customer_accounts(customer=customer).select_related("customer").filter(pk=account_id).first()


def _action_json(action: EmergencyAction) -> dict[str, Any]:
    return {
        "code": action.code,
        "accounts": list(action.accounts),
        "count": action.count,
        "channels": list(action.channels),
        "case_id": action.case_id,
    }


def _revoke_device(
    customer: Customer, event: SecurityEvent | None, *, actor: Actor, origin: Origin, current_device: Device | None
) -> list[dict[str, Any]]:
    assert event is not None
    device = Device.objects.filter(customer=customer, pk=event.details.get("device_pk")).first()
    if device is None or (current_device is not None and device.pk == current_device.pk):
        # The phone in the customer's hand stays signed in; suspected_fraud still ends every other session.
        return []
    if device.revoked_at is None:
        device_revoke(device=device, actor=actor, origin=origin)
    return [{"code": "device_removed", "name": device.name or device.platform}]


def _change_event(event: SecurityEvent) -> SecurityEvent:
    """The entry holding old → new values: a loosening that applied after its delay is logged as the change
    itself and, right after it on the chain, as `loosening_applied`."""
    if event.event_type == EventType.LOOSENING_APPLIED:
        change = SecurityEvent.objects.filter(chain=event.chain, seq=event.seq - 1).first()
        if change is not None:
            return change
    return event


def _revert(customer: Customer, event: SecurityEvent, *, actor: Actor, origin: Origin) -> list[dict[str, Any]]:
    """Put back, section by section, whatever of the entry's old values is stricter than the locks now."""
    old, new = event.old_value, event.new_value
    account_id = event.details.get("account_id")
    account = customer_accounts(customer=customer).select_related("customer").filter(pk=account_id).first()
    if account is None or not isinstance(old, dict) or not isinstance(new, dict):
        return []
    candidates: list[Proposal] = []
    for section in ("region", "time", "cooling_off"):
        if old.get(section) != new.get(section):
            candidates.append(Proposal(changes={section: old[section]}))
    if old.get("limits") != new.get("limits"):
        limits = {k: v for k, v in old["limits"].items() if k != "currency"}
        candidates.append(Proposal(changes={"limits": limits}, limits_tighten_only=True))
    switched_on = {ch: False for ch, on in new.get("channels", {}).items() if on and not old["channels"].get(ch)}
    if switched_on:
        candidates.append(Proposal(changes={"channels": switched_on}))
    unfrozen = {k: True for k, on in old.get("freeze", {}).items() if on and not new["freeze"].get(k)}
    if unfrozen:
        candidates.append(Proposal(changes={"freeze": unfrozen}))
    old_ids = {w.get("id") for w in old.get("travel_windows", [])}
    added = tuple(w["id"] for w in new.get("travel_windows", []) if w.get("id") and w["id"] not in old_ids)
    if added:
        candidates.append(Proposal(travel_cancel=added))
    # Only what tightens the locks as they are now: a section the customer changed again since keeps its value.
    kept = [p for p in candidates if proposal_tightens(account=account, proposal=p)]
    if not kept:
        return []
    changes: dict[str, Any] = {}
    for proposal in kept:
        for section, value in proposal.changes.items():
            changes[section] = {**changes.get(section, {}), **value} if section in ("channels", "freeze") else value
    combined = Proposal(
        changes=changes,
        travel_cancel=tuple(i for p in kept for i in p.travel_cancel),
        limits_tighten_only=any(p.limits_tighten_only for p in kept),
    )
    lock_change(customer=customer, accounts=[account], proposal=combined, origin=origin, actor=actor)
    fields = sorted({*changes, *(["travel_windows"] if combined.travel_cancel else [])})
    return [{"code": "lock_reverted", "accounts": [account.pk], "fields": fields}]


def _pending_undo(customer: Customer, event: SecurityEvent, *, actor: Actor, origin: Origin) -> list[dict[str, Any]]:
    pending = PendingLoosening.objects.filter(pk=event.details.get("pending_id"), account__customer=customer).first()
    if pending is None:
        return []
    if pending.status == PendingLoosening.Status.PENDING:
        pending_loosening_cancel(customer=customer, pending_id=pending.pk, origin=origin)
        return [{"code": "loosening_cancelled", "accounts": [pending.account_id]}]
    if pending.status == PendingLoosening.Status.APPLIED:
        applied = SecurityEvent.objects.filter(
            chain=event.chain, event_type=EventType.LOOSENING_APPLIED, details__pending_id=pending.pk
        ).first()
        if applied is not None:
            return _revert(customer, _change_event(applied), actor=actor, origin=origin)
    return []
