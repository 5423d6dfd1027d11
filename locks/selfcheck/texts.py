# ruff: noqa: E501 - each text is one gettext message on one line, as translators read it
"""What each finding says to the customer, and what its fix does, in the active language."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from locks.rules.display import amount_for_people, channel_name

_TEXTS: dict[str, tuple[Any, Any]] = {
    "sms_only": (
        _("Only SMS codes protect your changes"),
        _(
            "Whoever gets hold of your SMS codes can loosen your locks. Add an authenticator app as a second way to prove it is you."
        ),
    ),
    "stale_devices": (
        _("Devices signed in but unused for 90 days"),
        _(
            "%(count)s device(s) are still signed in but have not been used for 90 days: %(devices)s. Remove the ones you no longer use."
        ),
    ),
    "recent_new_device": (
        _("A new device signed in recently"),
        _(
            "The device %(device)s first signed in during the last 7 days. If it is not yours, remove it and report the sign-in."
        ),
    ),
    "no_daily_limit": (
        _("No daily limit on %(account)s"),
        _(
            "Without a daily limit a fraudster can empty the account in one day. A daily limit of %(suggested)s covers your spending of the last 90 days."
        ),
    ),
    "daily_limit_far_above_spending": (
        _("The daily limit of %(account)s is far above your spending"),
        _(
            "Your daily limit is %(daily)s but your busiest day of the last 90 days was %(busiest)s. A limit of %(suggested)s would still cover it."
        ),
    ),
    "channel_unused.card_not_present": (
        _("Card-not-present payments on %(account)s are on but unused"),
        _(
            "You have not paid online with this card for 90 days. Switching it off stops stolen card details being used online."
        ),
    ),
    "channel_unused.cross_border": (
        _("Cross-border payments on %(account)s are on but unused"),
        _(
            "You have not paid abroad with this card for 90 days. Switch it off and use a travel window when you travel."
        ),
    ),
    "channel_unused.atm": (
        _("ATM withdrawals on %(account)s are on but unused"),
        _("You have not used an ATM with this card for 90 days. Switching it off protects a lost or copied card."),
    ),
    "channel_unused.contactless": (
        _("Contactless payments on %(account)s are on but unused"),
        _("You have not paid contactless with this card for 90 days. Switching it off protects a lost card."),
    ),
    "elderly_without_protection": (
        _("Elderly protection is not on for %(account)s"),
        _(
            "Fraudsters often target people aged 65 or more. Elderly protection sets small limits, blocks online and cross-border payments and holds large transfers for a while."
        ),
    ),
    "no_night_protection": (
        _("No night protection on %(account)s"),
        _(
            "Payments are allowed at any hour. Night protection blocks them between 00:00 and 06:00, when you would not see an alert."
        ),
    ),
    "cooling_off_raised": (
        _("Large transfers from %(account)s skip the cooling-off"),
        _(
            "Transfers are held for a cooling-off only from %(threshold)s, above the bank's %(default)s. Going back to the default gives you time to stop a transfer you were talked into."
        ),
    ),
    "loosening_waiting": (
        _("A loosening of %(account)s is waiting to take effect"),
        _("Somebody asked to loosen the locks of this account. If it was not you, cancel it now."),
    ),
    "recent_lock_declines": (
        _("Payments on %(account)s were declined by your locks"),
        _(
            "%(count)s payment(s) in the last 30 days were stopped by your own locks. If they were not yours, your card details may be known to somebody else."
        ),
    ),
    "risky_recent_payee": (
        _("You paid an account that is now on the fraud risk list"),
        _(
            "A payment of %(amount)s from %(account)s went to an account reported in fraud cases since. If somebody asked you to pay it, call 95588."
        ),
    ),
}

_FIX_TEXTS: dict[str, Any] = {
    "revoke_devices": _("Remove the device(s)"),
    "set_daily_limit": _("Set a daily limit of %(daily)s"),
    "channel_off": _("Switch %(channel)s off"),
    "preset": _("Turn it on"),
    "cooling_off_default": _("Go back to the bank's cooling-off threshold"),
    "cancel_pending": _("Cancel the loosening"),
}

_AMOUNT_PARAMS = ("suggested", "daily", "busiest", "threshold", "default", "amount")


def _params(params: dict[str, Any]) -> dict[str, Any]:
    shown = dict(params)
    for key in _AMOUNT_PARAMS:
        if key in shown:
            shown[key] = amount_for_people(shown[key], params.get("currency") or "CNY")
    if "channel" in shown:
        shown["channel"] = channel_name(shown["channel"])
    return shown


def finding_render(finding: dict[str, Any]) -> dict[str, Any]:
    title, explanation = _TEXTS[finding["check"]]
    params = _params(finding.get("params") or {})
    fix = finding.get("fix")
    return {
        "id": finding["id"],
        "check": finding["check"],
        "severity": finding["severity"],
        "title": str(title) % params,
        "explanation": str(explanation) % params,
        "evidence": finding.get("evidence") or {},
        "fix": {"code": fix["code"], "description": str(_FIX_TEXTS[fix["code"]]) % _params(fix)} if fix else None,
        "lesson_id": finding.get("lesson_id"),
    }


def finding_title(finding: dict[str, Any]) -> str:
    return str(_TEXTS[finding["check"]][0]) % _params(finding.get("params") or {})
