"""`emergency_apply`: run one emergency scenario for a customer, all of it or nothing.

Called by the customer's app (actor: the customer, keeping the device in their hand signed in) and by a
95588 agent for a caller (actor: the agent; every session ends, since the caller's phone may be the lost
one). Applying a scenario again changes nothing that is already in place and opens no second case.
"""

from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import BankAccount, Customer, Device
from accounts.notifications.queue import notification_queue
from accounts.selectors import customer_accounts
from accounts.signin import customer_sessions_revoke
from locks.cases.services import case_open
from locks.emergency.scenarios import SCENARIOS, Scenario
from locks.emergency.texts import SCENARIO_NAMES, action_text, in_language
from locks.holds.services import holds_cancel_all
from locks.models import Case
from locks.rules.changes import Proposal, lock_change
from locks.rules.display import channels_display
from securitycenter.errors import NotFound, field_error
from securitycenter.securitylog.models import EventType
from securitycenter.securitylog.record import Actor, Origin, security_log_record

CARD_KINDS = (BankAccount.Kind.DEBIT_CARD, BankAccount.Kind.CREDIT_CARD)


@dataclass(frozen=True)
class EmergencyAction:
    """One thing a scenario did. `code` names it (see `locks.emergency.texts` for what it says and how to
    lift it); `accounts` are the account ids it touched; `count` how many sessions or holds it ended."""

    code: str
    accounts: tuple[int, ...] = ()
    count: int | None = None
    channels: tuple[str, ...] = ()
    case_id: int | None = None


@dataclass
class EmergencyOutcome:
    scenario: Scenario
    lesson: str
    actions: list[EmergencyAction] = field(default_factory=list)
    case: Case | None = None


def scenario_parse(value: Any, *, field_name: str = "scenario") -> Scenario:
    """The scenario `value` names, or a 400 naming the field."""
    try:
        return Scenario(value)
    except ValueError:
        choices = ", ".join(s.value for s in Scenario)
        raise field_error(
            field_name, _("Unknown scenario; one of %(choices)s.") % {"choices": choices}, "invalid_choice"
        ) from None


def _card(customer: Customer, card_id: int | None) -> BankAccount:
    if card_id is None:
        raise field_error("card_id", _("Name the lost card."), "required")
    card = customer_accounts(customer=customer).select_related("customer").filter(pk=card_id, kind__in=CARD_KINDS)
    found = card.first()
    if found is None:
        # Another customer's card is indistinguishable from a missing one.
        raise NotFound(_("No such card."), code="card_not_found", field="card_id")
    return found


def emergency_apply(
    *,
    customer: Customer,
    scenario: Scenario,
    actor: Actor,
    origin: Origin,
    card_id: int | None = None,
    keep_device: Device | None = None,
    source: str = "",
    open_case: bool = True,
) -> EmergencyOutcome:
    """Apply `scenario` to the customer's accounts at once (no OTP, no Redis needed), log and announce it.

    `keep_device` is the device whose session survives (the customer's own app); None ends every session.
    `source` is recorded on the case. `open_case=False` leaves the case to the caller (a "this wasn't me"
    report opens one incident of its own that names the entry).
    """
    spec = SCENARIOS[scenario]
    accounts = [_card(customer, card_id)] if spec.one_card else list(customer_accounts(customer=customer))
    outcome = EmergencyOutcome(scenario=scenario, lesson=spec.lesson)
    with transaction.atomic():
        if spec.end_other_sessions:
            ended = customer_sessions_revoke(
                customer=customer, actor=actor, origin=origin, reason=f"emergency:{scenario}", keep_device=keep_device
            )
            outcome.actions.append(EmergencyAction("sessions_ended", count=len(ended)))
        if accounts:
            lock_change(
                customer=customer,
                accounts=accounts,
                proposal=Proposal(changes=spec.changes, event_type=EventType.FREEZE_PLACED),
                origin=origin,
                actor=actor,
            )
            ids = tuple(a.pk for a in accounts)
            for scope, on in spec.changes.get("freeze", {}).items():
                if on:
                    outcome.actions.append(EmergencyAction(f"freeze_{scope}", accounts=ids))
            if spec.channels_off:
                outcome.actions.append(EmergencyAction("channels_off", accounts=ids, channels=spec.channels_off))
        if spec.cancel_holds:
            cancelled = holds_cancel_all(customer=customer, actor=actor, origin=origin, reason=f"emergency:{scenario}")
            outcome.actions.append(EmergencyAction("holds_cancelled", count=len(cancelled)))
        if spec.case_priority is not None and open_case:
            outcome.case = case_open(
                kind=Case.Kind.INCIDENT,
                customer=customer,
                source=source or f"emergency:{scenario}",
                actor=actor,
                origin=origin,
                reason=f"Emergency scenario {scenario}: call the customer back.",
                priority=spec.case_priority,
                details={"scenario": str(scenario)},
                dedupe_key=f"emergency:{scenario}",
            )
            outcome.actions.append(EmergencyAction("case_opened", case_id=outcome.case.pk))
        security_log_record(
            event_type=EventType.EMERGENCY_APPLIED,
            actor=actor,
            customer=customer,
            origin=origin,
            details={
                "scenario": str(scenario),
                "account_ids": [a.pk for a in accounts],
                "actions": [a.code for a in outcome.actions],
                "case_id": outcome.case.pk if outcome.case else None,
            },
        )
        # Every channel: whoever holds the lost phone must not be the only one who hears of it.
        channels = ["push", "sms", *(["email"] if customer.email else [])]
        notification_queue(
            customer=customer,
            template="emergency_applied",
            params={
                "scenario": in_language(customer.language, lambda: SCENARIO_NAMES[scenario]),
                "summary": in_language(
                    customer.language, lambda: " ".join(action_sentence(a) for a in outcome.actions)
                ),
            },
            channels=channels,
        )
    return outcome


def action_sentence(action: EmergencyAction) -> str:
    """What `action` did, in the active language."""
    return action_text(
        action.code, count=action.count, channels=channels_display(action.channels), case_id=action.case_id
    )
