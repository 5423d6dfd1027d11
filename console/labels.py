"""Names the console shows for the services' values (case kinds, priorities, scopes…), in the active language."""

from django.utils.translation import gettext_lazy as _

CASE_KINDS = {
    "incident": _("Incident reported by the customer"),
    "review": _("Payment flagged for review"),
    "hold_callback": _("Call back about a held transfer"),
    "fake_call": _("Call pretending to be the bank"),
}
PRIORITIES = {10: _("low"), 20: _("normal"), 30: _("high"), 40: _("urgent")}
HOLD_STATUSES = {
    "held": _("held"),
    "released": _("released"),
    "cancelled": _("cancelled by the customer"),
    "stopped": _("stopped by the bank"),
}
ACCOUNT_KINDS = {"debit_card": _("debit card"), "credit_card": _("credit card"), "account": _("account")}
LOOKUP_KINDS = (
    ("customer_number", _("Customer number")),
    ("phone", _("Registered phone (+86…)")),
    ("account_number", _("Card or account number")),
)
VERIFICATION_METHODS = (
    ("sms_code", _("A code texted to the registered phone, read back")),
    ("security_questions", _("Security questions")),
    ("voiceprint", _("Voiceprint")),
    ("outbound_call", _("The bank called the registered number")),
    ("video", _("Video identification")),
    ("branch", _("In person, with an identity document")),
)
FREEZE_SCOPES = (
    ("card_not_present", _("Card-not-present payments (online and quick pay)")),
    ("all_outgoing", _("Every outgoing payment")),
    ("channels", _("Only the channels chosen below")),
)
FREEZE_REASONS = (
    ("suspected_fraud", _("Suspected fraud")),
    ("scam_in_progress", _("A scam in progress")),
    ("lost_phone", _("Lost phone")),
    ("lost_card", _("Lost card")),
    ("customer_request", _("The customer asked for it")),
    ("fraud_confirmed", _("Confirmed fraud")),
    ("other", _("Other")),
)
FREEZE_STATUSES = {"active": _("in place"), "lifted": _("lifted"), "expired": _("expired")}
LIFT_STATUSES = {
    "pending": _("waiting for a supervisor"),
    "approved": _("approved"),
    "rejected": _("rejected"),
    "withdrawn": _("withdrawn"),
}
