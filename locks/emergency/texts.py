"""What each scenario and action says to the customer, and how to lift it (Django's gettext: zh-Hans, en)."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

from locks.emergency.scenarios import Scenario

SCENARIO_NAMES = {
    Scenario.LOST_PHONE: _("Lost phone"),
    Scenario.LOST_CARD: _("Lost card"),
    Scenario.SUSPECTED_FRAUD: _("Suspected fraud"),
    Scenario.BEING_SCAMMED_NOW: _("Being scammed right now"),
}

_ACTION_TEXTS = {
    "sessions_ended": _("Signed out %(count)s other session(s)."),
    "freeze_card_not_present": _("Froze card-not-present payments and quick pay."),
    "freeze_all_outgoing": _("Froze every outgoing payment."),
    "channels_off": _("Switched off: %(channels)s."),
    "holds_cancelled": _("Cancelled %(count)s transfer(s) waiting in cooling-off."),
    "case_opened": _("Asked a 95588 agent to call you back (case %(case_id)s)."),
}

_LIFT_TEXTS = {
    "sessions_ended": _("Sign in again on your device with your password."),
    "freeze_card_not_present": _(
        "Lift it in the app with a one-time password (Unfreeze, card-not-present), or through a 95588 agent."
    ),
    "freeze_all_outgoing": _(
        "Lift it in the app with a one-time password (Unfreeze, all outgoing), or through a 95588 agent."
    ),
    "channels_off": _("Switch them on again in the app with a one-time password, or through a 95588 agent."),
    "holds_cancelled": _("A cancelled transfer does not resume; if it was genuine, make it again later."),
    "case_opened": _("Nothing to do: the agent calls you from 95588. Tell them if it was you after all."),
}

# The request that lifts each action (for the app's buttons); None where nothing is to be lifted.
_LIFT_REQUESTS: dict[str, dict[str, Any] | None] = {
    "sessions_ended": {"method": "POST", "path": "/api/v1/auth/login", "otp": False},
    "freeze_card_not_present": {
        "method": "POST",
        "path": "/api/v1/locks/unfreeze",
        "body": {"scope": "card_not_present"},
        "otp": True,
    },
    "freeze_all_outgoing": {
        "method": "POST",
        "path": "/api/v1/locks/unfreeze",
        "body": {"scope": "all_outgoing"},
        "otp": True,
    },
    "channels_off": {
        "method": "POST",
        "path": "/api/v1/locks/apply",
        "body": {"changes": {"channels": {}}},
        "otp": True,
    },
    "holds_cancelled": None,
    "case_opened": None,
}


def action_text(code: str, **params: Any) -> str:
    return str(_ACTION_TEXTS[code]) % params


def lift_text(code: str) -> str:
    return str(_LIFT_TEXTS[code])


def lift_request(code: str, *, accounts: list[int], channels: list[str]) -> dict[str, Any] | None:
    template = _LIFT_REQUESTS[code]
    if template is None:
        return None
    request = {**template, "body": dict(template.get("body", {}))}
    if code.startswith("freeze_"):
        request["body"]["accounts"] = accounts
    elif code == "channels_off":
        request["body"] = {"accounts": accounts, "changes": {"channels": dict.fromkeys(channels, True)}}
    return request


def in_language(language: str, render: Any) -> str:
    """`render()` with `language` active: for texts stored now and read later (notification params)."""
    with override(language):
        return str(render())
