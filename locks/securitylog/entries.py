"""A security-log entry as the customer reads it: category, a sentence, who acted, from where, what changed.

Everything here renders in the active language (the request's). Nothing secret reaches the customer: the
log's details were scrubbed when written, account numbers are shown masked, IP addresses masked, and only
the customer's own chain is ever read (`selectors`).
"""

import ipaddress
from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.models import BankAccount, Device
from locks.decision.reasons import Reason, reason_message
from locks.emergency.scenarios import SCENARIOS
from locks.lessons.fit import lesson_for_reasons
from locks.models import NotMeReport
from locks.rules.display import (
    FREEZE_NAMES,
    LIMIT_NAMES,
    amount_for_people,
    channel_name,
    on_off,
    region_name,
    regions_display,
    time_windows_display,
)
from securitycenter.securitylog.models import ActorType, EventType, SecurityEvent

SCENARIO_LESSONS = {str(scenario): spec.lesson for scenario, spec in SCENARIOS.items()}

CATEGORIES: dict[str, Any] = {
    "sign_in": gettext_lazy("Sign-in"),
    "device": gettext_lazy("Devices"),
    "otp": gettext_lazy("One-time passwords"),
    "locks": gettext_lazy("Locks"),
    "freeze": gettext_lazy("Freezes and emergencies"),
    "payment": gettext_lazy("Payments"),
    "hold": gettext_lazy("Cooling-off holds"),
    "bank": gettext_lazy("The bank"),
    "profile": gettext_lazy("Profile"),
}

_CATEGORY_OF_PREFIX = {
    "login": "sign_in",
    "token": "sign_in",
    "device": "device",
    "otp": "otp",
    "lock": "locks",
    "travel_window": "locks",
    "freeze": "freeze",
    "emergency": "freeze",
    "authorization": "payment",
    "hold": "hold",
    "agent": "bank",
    "case": "bank",
    "not_me": "bank",
    "profile": "profile",
}


def category_of(event_type: str) -> str:
    return _CATEGORY_OF_PREFIX.get(event_type.split(".", 1)[0], "bank")


def event_types_of(category: str) -> list[str]:
    return [t.value for t in EventType if category_of(t.value) == category]


# The kinds of entry a customer can report as "this wasn't me", by event type.
_LOCK_CHANGE_EVENTS = {
    EventType.LOCK_CHANGED,
    EventType.FREEZE_LIFTED,
    EventType.FREEZE_PLACED,
    EventType.TRAVEL_WINDOW_ADDED,
    EventType.TRAVEL_WINDOW_REMOVED,
    EventType.LOOSENING_APPLIED,
}


def entry_kind(event: SecurityEvent) -> str | None:
    """What a report of `event` is about, or None when "this wasn't me" does not apply to it."""
    kind = event.event_type
    if kind == EventType.LOGIN_SUCCEEDED:
        return "new_device" if event.details.get("new_device") else "sign_in"
    if kind in (EventType.OTP_DEVICE_ENROLLED, EventType.OTP_DEVICE_CONFIRMED):
        return "authenticator"
    if kind in _LOCK_CHANGE_EVENTS:
        return "lock_change"
    if kind == EventType.LOOSENING_REQUESTED:
        return "pending_loosening"
    if kind == EventType.AUTHORIZATION_DECLINED:
        return "declined_payment"
    if kind == EventType.HOLD_PLACED:
        return "held_payment"
    return None


def mask_ip(value: str | None) -> str | None:
    """203.0.113.* for IPv4, the first three groups for IPv6: enough to recognise a place, not to find a home."""
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if address.version == 4:
        return ".".join(value.split(".")[:3]) + ".*"
    groups = address.exploded.split(":")[:3]
    return ":".join(g.lstrip("0") or "0" for g in groups) + ":*"


class EntryContext:
    """What rendering a page of entries needs besides the entries: looked up once per page, not per entry."""

    def __init__(self, events: Iterable[SecurityEvent], *, customer_id: int) -> None:
        events = list(events)
        self.customer_id = customer_id
        account_ids = {e.details.get("account_id") for e in events} - {None}
        self.accounts = dict(
            BankAccount.objects.filter(pk__in=account_ids, customer_id=customer_id).values_list("pk", "masked_number")
        )
        device_pks = {e.details.get("device_pk") for e in events} - {None}
        self.devices = {d.pk: d for d in Device.objects.filter(pk__in=device_pks, customer_id=customer_id)}
        self.device_names = {d.device_id: d.name or d.platform for d in Device.objects.filter(customer_id=customer_id)}
        staff_ids = {e.actor_id for e in events if e.actor_type == ActorType.AGENT and e.actor_id.isdigit()}
        user_model = get_user_model()
        self.staff = dict(
            user_model._default_manager.filter(pk__in=[int(i) for i in staff_ids]).values_list(
                "pk", user_model.USERNAME_FIELD
            )
        )
        self.reported = set(
            NotMeReport.objects.filter(event__in=[e.pk for e in events]).values_list("event_id", flat=True)
        )

    def account(self, event: SecurityEvent) -> str | None:
        return self.accounts.get(event.details.get("account_id"))


def actor_of(event: SecurityEvent, context: EntryContext) -> dict[str, str]:
    if event.actor_type == ActorType.CUSTOMER:
        if event.actor_id == str(context.customer_id):
            return {"type": "you", "name": _("You")}
        return {"type": "customer", "name": _("Somebody signing in as you")}
    if event.actor_type == ActorType.AGENT:
        staff = context.staff.get(int(event.actor_id)) if event.actor_id.isdigit() else None
        return {"type": "agent", "name": _("95588 agent %(staff)s") % {"staff": staff or event.actor_id}}
    if event.actor_type == ActorType.SERVICE:
        return {"type": "payment_core", "name": _("The payment core")}
    return {"type": "system", "name": _("The system")}


def _language() -> str:
    return "zh-Hans" if (get_language() or "").lower().startswith("zh") else "en"


def _reasons(codes: list[str]) -> str:
    messages = []
    for code in codes:
        try:
            messages.append(reason_message(Reason(code))[_language()])
        except ValueError:
            messages.append(code)
    return " ".join(messages)


def _device_label(event: SecurityEvent, context: EntryContext) -> str:
    device = context.devices.get(event.details.get("device_pk"))
    if device is not None:
        return device.name or device.platform or _("a device")
    return str(event.details.get("device_name") or _("a device"))


def sentence(event: SecurityEvent, context: EntryContext) -> str:
    """What happened, in one sentence for the customer."""
    d = event.details
    t = event.event_type
    account = context.account(event) or _("your account")
    amount = amount_for_people(d.get("amount"), d.get("currency") or "CNY") if "amount" in d else ""
    if t == EventType.LOGIN_SUCCEEDED:
        if d.get("new_device"):
            return _("Signed in on a new device, %(device)s.") % {"device": _device_label(event, context)}
        return _("Signed in on %(device)s.") % {"device": _device_label(event, context)}
    if t == EventType.LOGIN_FAILED:
        return _("A sign-in with your login failed.")
    if t == EventType.LOGIN_LOCKED_OUT:
        return _("Sign-in was locked for a while after several failed attempts.")
    if t == EventType.LOGOUT:
        return _("Signed out.")
    if t == EventType.TOKEN_REVOKED:
        return _("A signed-in session was ended.")
    if t == EventType.DEVICE_REVOKED:
        return _("The device %(device)s was removed from your account.") % {"device": _device_label(event, context)}
    if t in (EventType.OTP_DEVICE_ENROLLED, EventType.OTP_DEVICE_CONFIRMED):
        return _("An authenticator app was added: %(name)s.") % {"name": d.get("name", "")}
    if t == EventType.OTP_DEVICE_REMOVED:
        return _("An authenticator app was removed.")
    if t == EventType.OTP_VERIFIED:
        return _("A one-time password was accepted.")
    if t in (EventType.OTP_FAILED, EventType.OTP_REPLAYED):
        return _("A wrong or reused one-time password was refused.")
    if t == EventType.OTP_LOCKED_OUT:
        return _("One-time passwords were locked after several wrong codes.")
    if t == EventType.SMS_CODE_SENT:
        return _("A security code was sent to your phone by SMS.")
    if t == EventType.LOCK_CHANGED:
        return _("The locks of %(account)s were changed.") % {"account": account}
    if t == EventType.LOOSENING_REQUESTED:
        return _("A loosening of the locks of %(account)s was requested; it waits out the delay.") % {
            "account": account
        }
    if t == EventType.LOOSENING_APPLIED:
        return _("A requested loosening of the locks of %(account)s took effect.") % {"account": account}
    if t == EventType.LOOSENING_CANCELLED:
        return _("A waiting loosening of the locks of %(account)s was cancelled.") % {"account": account}
    if t == EventType.FREEZE_PLACED:
        return _("Payments of %(account)s were frozen.") % {"account": account}
    if t == EventType.FREEZE_LIFTED:
        return _("A freeze of %(account)s was lifted.") % {"account": account}
    if t == EventType.TRAVEL_WINDOW_ADDED:
        return _("A travel window was added to %(account)s.") % {"account": account}
    if t == EventType.TRAVEL_WINDOW_REMOVED:
        return _("A travel window of %(account)s was removed.") % {"account": account}
    if t == EventType.AUTHORIZATION_DECLINED:
        return _("A payment of %(amount)s (%(channel)s) on %(account)s was declined: %(reasons)s") % {
            "amount": amount,
            "channel": channel_name(d.get("channel", "")),
            "account": account,
            "reasons": _reasons(d.get("reasons", [])),
        }
    if t == EventType.DEGRADED_MODE:
        return _("A payment was decided while a bank system was slow; your locks still applied.")
    if t == EventType.HOLD_PLACED:
        return _("A transfer of %(amount)s is held in cooling-off before it leaves.") % {"amount": amount}
    if t == EventType.HOLD_RELEASED:
        return _("A held transfer of %(amount)s was released.") % {"amount": amount}
    if t == EventType.HOLD_CANCELLED:
        return _("A held transfer of %(amount)s was cancelled; the money did not leave.") % {"amount": amount}
    if t == EventType.HOLD_STOPPED:
        return _("The bank stopped a held transfer of %(amount)s; the money did not leave.") % {"amount": amount}
    if t == EventType.AGENT_LOOKUP:
        return _("A 95588 agent looked at your %(what)s.") % {"what": d.get("viewed", _("details"))}
    if t == EventType.CASE_OPENED:
        return _("A case was opened for the bank's staff to follow up (case %(id)s).") % {"id": d.get("case_id")}
    if t == EventType.CASE_CLOSED:
        return _("Case %(id)s was closed.") % {"id": d.get("case_id")}
    if t == EventType.EMERGENCY_APPLIED:
        return _("Emergency protection was applied (%(scenario)s).") % {"scenario": d.get("scenario", "")}
    if t == EventType.NOT_ME_REPORTED:
        return _("You reported an entry as not made by you.")
    if t == EventType.PROFILE_CHANGED:
        return _("Your profile was changed.")
    return _("Security event: %(type)s.") % {"type": t}


def _document_changes(old: dict[str, Any], new: dict[str, Any]) -> list[dict[str, str]]:
    """The sections of a lock-settings document that differ, one row per switch or limit, for people."""
    rows: list[dict[str, str]] = []
    currency = (new.get("limits") or {}).get("currency") or "CNY"
    if old.get("region") != new.get("region"):
        o, n = old.get("region") or {}, new.get("region") or {}
        rows.append(
            {
                "field": "region",
                "what": _("where payments may be made"),
                "old": regions_display(o.get("mode", "any"), o.get("regions", [])),
                "new": regions_display(n.get("mode", "any"), n.get("regions", [])),
            }
        )
    if old.get("time") != new.get("time"):
        rows.append(
            {
                "field": "time",
                "what": _("when payments may be made"),
                "old": time_windows_display((old.get("time") or {}).get("windows", [])),
                "new": time_windows_display((new.get("time") or {}).get("windows", [])),
            }
        )
    old_limits, new_limits = old.get("limits") or {}, new.get("limits") or {}
    for kind, label in LIMIT_NAMES.items():
        if old_limits.get(kind) != new_limits.get(kind):
            rows.append(
                {
                    "field": f"limits.{kind}",
                    "what": str(label),
                    "old": amount_for_people(old_limits.get(kind), currency),
                    "new": amount_for_people(new_limits.get(kind), currency),
                }
            )
    old_channels, new_channels = old_limits.get("channels") or {}, new_limits.get("channels") or {}
    for channel in sorted(set(old_channels) | set(new_channels)):
        for kind, label in LIMIT_NAMES.items():
            o, n = (old_channels.get(channel) or {}).get(kind), (new_channels.get(channel) or {}).get(kind)
            if o != n:
                rows.append(
                    {
                        "field": f"limits.channels.{channel}.{kind}",
                        "what": f"{channel_name(channel)}: {label}",
                        "old": amount_for_people(o, currency),
                        "new": amount_for_people(n, currency),
                    }
                )
    sections: tuple[tuple[str, dict[str, Any] | None], ...] = (("channels", None), ("freeze", FREEZE_NAMES))
    for section, names in sections:
        o, n = old.get(section) or {}, new.get(section) or {}
        for key in sorted(set(o) | set(n)):
            if o.get(key) != n.get(key):
                what = channel_name(key) if names is None else str(names.get(key, key))
                rows.append(
                    {
                        "field": f"{section}.{key}",
                        "what": what,
                        "old": on_off(bool(o.get(key))),
                        "new": on_off(bool(n.get(key))),
                    }
                )
    old_threshold = (old.get("cooling_off") or {}).get("threshold")
    new_threshold = (new.get("cooling_off") or {}).get("threshold")
    if old_threshold != new_threshold:
        rows.append(
            {
                "field": "cooling_off.threshold",
                "what": _("cooling-off from"),
                "old": amount_for_people(old_threshold, currency)
                if old_threshold is not None
                else _("the bank's default"),
                "new": amount_for_people(new_threshold, currency)
                if new_threshold is not None
                else _("the bank's default"),
            }
        )
    old_travel = {(*w["regions"], w["starts_at"], w["ends_at"]) for w in old.get("travel_windows", [])}
    new_travel = {(*w["regions"], w["starts_at"], w["ends_at"]) for w in new.get("travel_windows", [])}
    if old_travel != new_travel:
        rows.append(
            {
                "field": "travel_windows",
                "what": _("travel windows"),
                "old": _travel_text(old.get("travel_windows", [])),
                "new": _travel_text(new.get("travel_windows", [])),
            }
        )
    return rows


def _travel_text(windows: list[dict[str, Any]]) -> str:
    if not windows:
        return _("none")
    return "; ".join(
        f"{', '.join(region_name(r) for r in w['regions'])} {w['starts_at'][:10]}-{w['ends_at'][:10]}" for w in windows
    )


def changes(event: SecurityEvent) -> list[dict[str, str]]:
    """Old → new values for people; empty when the entry changed nothing a customer reads as a value."""
    old, new = event.old_value, event.new_value
    if isinstance(old, dict) and isinstance(new, dict) and ("limits" in old or "limits" in new):
        return _document_changes(old, new)
    if isinstance(old, dict) and isinstance(new, dict):
        return [
            {"field": key, "what": key.replace("_", " "), "old": str(old.get(key)), "new": str(new.get(key))}
            for key in sorted(set(old) | set(new))
            if old.get(key) != new.get(key)
        ]
    return []


def country_of(event: SecurityEvent) -> str | None:
    code = event.details.get("country")
    return region_name(code) if isinstance(code, str) and code else None


def entry_render(event: SecurityEvent, context: EntryContext) -> dict[str, Any]:
    device = context.device_names.get(event.device) if event.device else None
    return {
        "id": event.pk,
        "occurred_at": event.occurred_at,
        "category": category_of(event.event_type),
        "event_type": event.event_type,
        "message": sentence(event, context),
        "actor": actor_of(event, context),
        "device": device or (_("another device") if event.device else None),
        "ip": mask_ip(event.ip_address),
        "country": country_of(event),
        "account": context.account(event),
        "changes": changes(event),
        "reportable": entry_kind(event) is not None,
        "reported": event.pk in context.reported,
        "lesson_id": lesson_of(event),
    }


def lesson_of(event: SecurityEvent) -> str | None:
    """The lesson that fits a decline, a hold or an emergency."""
    if event.event_type in (EventType.AUTHORIZATION_DECLINED, EventType.HOLD_PLACED):
        return lesson_for_reasons(event.details.get("reasons") or [])
    if event.event_type == EventType.EMERGENCY_APPLIED:
        scenario = event.details.get("scenario")
        return SCENARIO_LESSONS.get(scenario) if isinstance(scenario, str) else None
    return None
