"""What a "this wasn't me" answer says for each action, and how to undo it, in the active language."""

from typing import Any

from django.utils.translation import gettext_lazy as _

from locks.emergency.texts import action_text, lift_request, lift_text
from locks.rules.display import channels_display

_TEXTS = {
    "device_removed": (
        _("Removed the device %(name)s from your account: it can no longer sign in."),
        _("If the device is yours after all, a 95588 agent can restore it once they have checked it is you."),
    ),
    "authenticator_removed": (
        _("Removed the authenticator app %(name)s."),
        _("If it was yours, add it again in the app (Security > Authenticator apps)."),
    ),
    "lock_reverted": (
        _("Put back your earlier, stricter settings: %(fields)s."),
        _("To loosen them again, change the locks in the app with a one-time password."),
    ),
    "loosening_cancelled": (
        _("Cancelled the loosening that was waiting to take effect."),
        _("If you want it after all, ask for it again in the app with a one-time password."),
    ),
}

ENTRY_KIND_NAMES = {
    "sign_in": _("a sign-in"),
    "new_device": _("a sign-in on a new device"),
    "authenticator": _("an authenticator app added"),
    "lock_change": _("a change of your locks"),
    "pending_loosening": _("a requested loosening of your locks"),
    "declined_payment": _("a declined payment"),
    "approved_payment": _("a payment"),
    "held_payment": _("a held transfer"),
}

_UNDO_REQUESTS: dict[str, dict[str, Any] | None] = {
    "device_removed": None,
    "authenticator_removed": {"method": "POST", "path": "/api/v1/otp/authenticators", "otp": True},
    "lock_reverted": {"method": "PATCH", "path": "/api/v1/accounts/{account_id}/locks", "otp": True},
    "loosening_cancelled": {"method": "PATCH", "path": "/api/v1/accounts/{account_id}/locks", "otp": True},
}


def not_me_action_render(action: dict[str, Any]) -> dict[str, Any]:
    """{code, message, accounts, undo: {message, request}} for one stored action."""
    code = action["code"]
    accounts = list(action.get("accounts") or [])
    if code in _TEXTS:
        what, undo = _TEXTS[code]
        message = str(what) % {"name": action.get("name", ""), "fields": ", ".join(action.get("fields", []))}
        request = _UNDO_REQUESTS[code]
        if request is not None and accounts:
            request = {**request, "path": request["path"].format(account_id=accounts[0])}
        return {
            "code": code,
            "message": message,
            "accounts": accounts,
            "undo": {"message": str(undo), "request": request},
        }
    message = action_text(
        code,
        count=action.get("count"),
        channels=channels_display(action.get("channels") or []),
        case_id=action.get("case_id"),
    )
    return {
        "code": code,
        "message": message,
        "accounts": accounts,
        "undo": {
            "message": lift_text(code),
            "request": lift_request(code, accounts=accounts, channels=list(action.get("channels") or [])),
        },
    }
