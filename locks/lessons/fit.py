"""Which lesson fits a moment: a decline or hold for one of the customer's locks, a risky payee."""

from collections.abc import Iterable

from locks.decision.reasons import LESSONS, Reason

# The first reason of a decision that has a lesson decides it: reasons come most important first.
LESSON_OF_REASON: dict[str, str] = {
    Reason.ACCOUNT_FROZEN: "fake_police_safe_account",
    Reason.CARD_NOT_PRESENT_FROZEN: "card_details_phishing",
    Reason.CHANNEL_OFF: "card_details_phishing",
    Reason.CROSS_BORDER_OFF: "cross_border_card_fraud",
    Reason.REGION_NOT_ALLOWED: "cross_border_card_fraud",
    Reason.OUTSIDE_ALLOWED_TIME: "night_protection",
    Reason.OVER_PER_TRANSACTION_LIMIT: "fake_police_safe_account",
    Reason.OVER_DAILY_LIMIT: "fake_police_safe_account",
    Reason.OVER_MONTHLY_LIMIT: "fake_police_safe_account",
    Reason.OVER_CHANNEL_PER_TRANSACTION_LIMIT: "fake_police_safe_account",
    Reason.OVER_CHANNEL_DAILY_LIMIT: "fake_police_safe_account",
    Reason.OVER_CHANNEL_MONTHLY_LIMIT: "fake_police_safe_account",
    Reason.PAYEE_HIGH_RISK: "fraud_risk_payee",
    Reason.PAYEE_MEDIUM_RISK: "fraud_risk_payee",
    Reason.COOLING_OFF: "fake_police_safe_account",
    Reason.NEW_PAYEE_COOLING_OFF: "investment_romance",
    Reason.OVER_BANK_PER_TRANSACTION_LIMIT: "fake_police_safe_account",
    Reason.OVER_BANK_DAILY_LIMIT: "fake_police_safe_account",
    Reason.OVER_BANK_MONTHLY_LIMIT: "fake_police_safe_account",
    # The scam-in-progress reasons name their lesson in the decision itself (locks.decision.reasons).
    **{str(reason): lesson for reason, lesson in LESSONS.items()},
}


def lesson_for_reasons(reasons: Iterable[str]) -> str | None:
    """The lesson that fits a decision's reasons (codes), or None when none has one."""
    for reason in reasons:
        lesson = LESSON_OF_REASON.get(reason)
        if lesson is not None:
            return lesson
    return None
