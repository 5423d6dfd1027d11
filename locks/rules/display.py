"""Lock settings as people read them, in the active language: channel names, amounts in yuan, regions, times.

Used wherever a customer reads a lock: the security log's old → new values, emergency answers, self-check
findings. Region names come from pycountry's ISO 3166 translations, so they follow the language too.
"""

import gettext
from functools import lru_cache
from typing import Any

import pycountry
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from accounts.notifications.templates import amount_display

CHANNEL_NAMES = {
    "card_not_present": gettext_lazy("card-not-present payments"),
    "atm": gettext_lazy("ATM"),
    "pos": gettext_lazy("card payments in shops (POS)"),
    "contactless": gettext_lazy("contactless payments"),
    "cross_border": gettext_lazy("cross-border payments"),
    "online_transfer": gettext_lazy("online transfers"),
    "quick_pay": gettext_lazy("third-party quick pay"),
}

LIMIT_NAMES = {
    "per_transaction": gettext_lazy("per-payment limit"),
    "daily": gettext_lazy("daily limit"),
    "monthly": gettext_lazy("monthly limit"),
}

FREEZE_NAMES = {
    "card_not_present": gettext_lazy("freeze of card-not-present payments"),
    "all_outgoing": gettext_lazy("freeze of every outgoing payment"),
}

DAY_NAMES = [
    gettext_lazy("Mon"),
    gettext_lazy("Tue"),
    gettext_lazy("Wed"),
    gettext_lazy("Thu"),
    gettext_lazy("Fri"),
    gettext_lazy("Sat"),
    gettext_lazy("Sun"),
]


def channel_name(channel: str) -> str:
    return str(CHANNEL_NAMES.get(channel, channel))


def channels_display(channels: Any) -> str:
    return ", ".join(channel_name(ch) for ch in channels)


def amount_for_people(amount: int | None, currency: str = "CNY") -> str:
    """An amount in minor units as a customer reads it: "5,000.00 yuan" / "5,000.00元"; None is no limit."""
    if amount is None:
        return _("no limit")
    if currency.upper() == "CNY":
        major, minor = divmod(abs(amount), 100)
        return _("%(amount)s yuan") % {"amount": f"{'-' if amount < 0 else ''}{major:,}.{minor:02d}"}
    return amount_display(amount, currency)


@lru_cache(maxsize=8)
def _iso_translation(domain: str, language: str) -> gettext.NullTranslations:
    languages = ["zh_CN"] if language.lower().startswith("zh") else [language]
    return gettext.translation(domain, pycountry.LOCALES_DIR, languages=languages, fallback=True)


def region_name(code: str) -> str:
    """ "Japan" / "日本" for JP, "Anhui Sheng" / "安徽省" for CN-AH; the code itself when unknown."""
    language = get_language() or "en"
    if "-" in code:
        subdivision = pycountry.subdivisions.get(code=code)
        if subdivision is None:
            return code
        return _iso_translation("iso3166-2", language).gettext(subdivision.name)
    country = pycountry.countries.get(alpha_2=code)
    if country is None:
        return code
    return _iso_translation("iso3166-1", language).gettext(country.name)


def regions_display(mode: str, regions: list[str]) -> str:
    names = ", ".join(region_name(r) for r in regions)
    if mode == "allow":
        return _("only %(regions)s") % {"regions": names}
    if mode == "block":
        return _("anywhere but %(regions)s") % {"regions": names}
    return _("anywhere")


def time_windows_display(windows: list[dict[str, Any]]) -> str:
    if not windows:
        return _("any time")
    parts = []
    for window in windows:
        days = window.get("days", [])
        if sorted(days) == list(range(7)):
            day_text = _("every day")
        else:
            day_text = ", ".join(str(DAY_NAMES[d]) for d in days if 0 <= d < 7)
        parts.append(f"{day_text} {window.get('start')}-{window.get('end')}")
    return "; ".join(parts)


def on_off(value: bool) -> str:
    return _("on") if value else _("off")
