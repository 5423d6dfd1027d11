"""A service's refusal said in words for the person at the desk: never a code, never a status number.

The services raise domain errors with a stable code and an English detail. Codes the console's readers meet
have a sentence of their own in the catalogue (so zh-Hans reads Chinese); any other refusal shows the
service's own sentence rather than nothing.
"""

from django.utils.translation import gettext_lazy as _

from securitycenter.errors import DomainError, ValidationFailed

_WORDS = {
    "invalid_credentials": _("The username, the password or the authenticator code is wrong."),
    "login_locked": _("Too many failed sign-ins. Wait a while, then try again."),
    "not_an_agent": _("This staff account may not use the agent console."),
    "totp_not_enrolled": _("This staff account has no authenticator yet. Ask an administrator to enrol one."),
    "missing_role": _("Your role does not allow this."),
    "unknown_customer": _("No customer matches what you entered."),
    "unknown_session": _("This service session is not yours or does not exist."),
    "session_not_open": _("This service session has ended. Verify the caller again and open a new one."),
    "freeze_not_active": _("This freeze is no longer in place."),
    "own_request": _("Four eyes: somebody else must decide on your own request."),
    "lift_already_requested": _("A request to lift this freeze is already waiting for a supervisor."),
    "lift_request_decided": _("This request has already been decided."),
    "unknown_lift_request": _("This request does not exist."),
    "case_claimed": _("Another agent has already claimed this case."),
    "case_closed": _("This case is already closed."),
    "unknown_case": _("This case does not exist."),
    "claimed_by_another": _("Another agent is working this case."),
    "claim_expired": _("Your claim on this case lapsed: claim it again."),
    "not_claimed": _("Claim the case before recording its outcome."),
    "escalated_to_supervisor": _("This case went to a supervisor: the payment is released within the hour."),
    "hold_not_held": _("This payment is no longer held."),
}


def error_words(error: DomainError) -> str:
    """What went wrong, as a sentence in the active language."""
    words = _WORDS.get(error.code)
    if words is not None:
        return str(words)
    if isinstance(error, ValidationFailed):
        return "; ".join(str(e["message"]) for e in error.errors)
    return str(error.detail)
