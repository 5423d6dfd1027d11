"""The four emergency scenarios, as data: what each one tightens.

Every action here makes the account safer, so it takes effect at once through the normal change path
(`locks.rules.changes.lock_change` decides it is a tightening and asks for no OTP) and needs nothing from
Redis: the database holds the change, and the policy is published after commit or by the sweep.

- lost_phone: ends every session except the caller's own device; on every account freezes card-not-present
  payments and switches quick pay and online transfers off. Card-present use (POS, ATM, contactless) keeps
  working: the customer abroad who lost the phone still pays with the card.
- lost_card: freezes every outgoing payment of the named card; the other accounts are untouched.
- suspected_fraud: ends every other session; on every account freezes card-not-present payments and switches
  quick pay, online transfers and cross-border payments off; opens an incident (high priority) for a call-back.
- being_scammed_now: freezes every outgoing payment of every account, cancels the customer's transfers still
  held in cooling-off, and opens an urgent incident so that a 95588 agent calls the customer back at once.
"""

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from locks.models import Case


class Scenario(StrEnum):
    LOST_PHONE = "lost_phone"
    LOST_CARD = "lost_card"
    SUSPECTED_FRAUD = "suspected_fraud"
    BEING_SCAMMED_NOW = "being_scammed_now"


@dataclass(frozen=True)
class ScenarioSpec:
    # A lock change in the shape of `locks.rules.documents` sections (freeze and channels merge switch by switch).
    changes: dict[str, Any]
    lesson: str
    one_card: bool = False  # applies to the named card only, not to every account
    end_other_sessions: bool = False
    cancel_holds: bool = False
    case_priority: int | None = None  # None: no case is opened
    channels_off: tuple[str, ...] = field(default=())


SCENARIOS: dict[Scenario, ScenarioSpec] = {
    Scenario.LOST_PHONE: ScenarioSpec(
        changes={"freeze": {"card_not_present": True}, "channels": {"quick_pay": False, "online_transfer": False}},
        channels_off=("quick_pay", "online_transfer"),
        end_other_sessions=True,
        lesson="lost_phone",
    ),
    Scenario.LOST_CARD: ScenarioSpec(changes={"freeze": {"all_outgoing": True}}, one_card=True, lesson="lost_card"),
    Scenario.SUSPECTED_FRAUD: ScenarioSpec(
        changes={
            "freeze": {"card_not_present": True},
            "channels": {"quick_pay": False, "online_transfer": False, "cross_border": False},
        },
        channels_off=("quick_pay", "online_transfer", "cross_border"),
        end_other_sessions=True,
        case_priority=Case.Priority.HIGH,
        lesson="sms_code_requests",
    ),
    Scenario.BEING_SCAMMED_NOW: ScenarioSpec(
        changes={"freeze": {"all_outgoing": True}},
        cancel_holds=True,
        case_priority=Case.Priority.URGENT,
        lesson="fake_police_safe_account",
    ),
}
