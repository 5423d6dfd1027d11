"""How the console writes money and times: yuan from integer fen, Asia/Shanghai wall-clock time, durations."""

from datetime import datetime, timedelta
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _

from accounts.roles import staff_number
from locks.decision.reasons import Reason, reason_message
from locks.rules.display import amount_for_people

register = template.Library()


@register.filter
def money(minor: int | None, currency: str = "CNY") -> str:
    """Integer minor units (fen) as people read them, the same words the customer's app uses: 1234567 →
    "12,345.67元" / "12,345.67 yuan"; None (no limit of the customer's own) → "no limit"."""
    return amount_for_people(minor, currency or "CNY")


@register.filter
def local_time(value: datetime | None) -> str:
    """A stored (UTC) time in the console's time zone, to the minute, with the zone named once in the layout."""
    if value is None:
        return "—"
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


def _span(delta: timedelta) -> str:
    minutes = max(0, int(delta.total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    if hours:
        return ngettext("%(hours)d hour", "%(hours)d hours", hours) % {"hours": hours}
    return ngettext("%(minutes)d minute", "%(minutes)d minutes", minutes) % {"minutes": minutes}


@register.filter
def waited(since: datetime | None) -> str:
    """How long ago `since` was, in hours and minutes."""
    return "—" if since is None else _span(timezone.now() - since)


@register.filter
def time_left(until: datetime | None) -> str:
    """How long until `until`; "due now" once it has passed."""
    if until is None:
        return "—"
    left = until - timezone.now()
    return _("due now") if left.total_seconds() <= 0 else _span(left)


@register.filter
def lookup(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template (labels keyed by a model's value)."""
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return key


@register.filter
def reason_words(codes: list[str]) -> str:
    """An authorization's reason codes as the sentences the customer was given, in the console's language."""
    language = "zh-Hans" if get_language() == "zh-hans" else "en"
    sentences = []
    for code in codes or []:
        try:
            sentences.append(reason_message(Reason(code))[language])
        except ValueError:
            sentences.append(code)
    return " ".join(sentences)


@register.filter
def actor_words(event: Any) -> str:
    """Who did what a security-log entry records, for staff: the customer, staff no. 0007, the system."""
    if event.actor_type == "agent":
        return _("staff no. %(number)s") % {"number": f"{int(event.actor_id or 0):04d}"}
    if event.actor_type == "customer":
        return _("the customer")
    if event.actor_type == "service":
        return _("the payment core")
    return _("the system")


@register.filter
def staff_no(user: Any) -> str:
    """The work number an agent gives on the phone (the one the customer's app shows)."""
    return staff_number(user)
