"""Reasons say exactly why, from the request to the customer's message."""

import pytest

from accounts.models import Notification
from locks.authorizations import fastpath
from locks.authorizations.declines import authorization_decline_log
from locks.decision.engine import APPROVED
from locks.models import Authorization, Hold
from tests.locks.authorizations.support import authorize, codes, english, locks, payment

pytestmark = pytest.mark.django_db


def test_a_refused_large_transfer_never_says_it_can_be_cancelled_while_held(service, account):
    locks(account, limits={"per_transaction": 1_000_000})
    answer = authorize(payment(account, channel="online_transfer", amount=6_000_000)).json()

    assert answer["decision"] == "decline"
    assert codes(answer) == ["over_per_transaction_limit"]
    assert all("Held transfers" not in text and "cooling-off" not in text for text in english(answer))
    assert answer["hold"] is None and not Hold.objects.exists()
    row = Authorization.objects.get(transaction_id=answer["transaction_id"])
    assert row.reasons == ["over_per_transaction_limit"]

    authorization_decline_log(authorization_id=row.pk)
    notice = Notification.objects.get(customer=account.customer, template="authorization_declined")
    assert "冷静期" not in notice.params["reasons"]


def test_a_held_transfer_lists_only_why_it_is_held(service, account):
    answer = authorize(
        payment(account, channel="online_transfer", amount=6_000_000, counterparty_account="62220211110000")
    ).json()

    assert answer["decision"] == "hold"
    assert codes(answer) == ["cooling_off", "new_payee_cooling_off"]


@pytest.mark.parametrize(
    ("limits", "usage_first", "reason", "words"),
    [
        ({"monthly": 15_000}, 10_000, "over_monthly_limit", "monthly limit"),
        ({"channels": {"pos": {"daily": 15_000}}}, 10_000, "over_channel_daily_limit", "daily limit for this channel"),
        (
            {"channels": {"pos": {"monthly": 15_000}}},
            10_000,
            "over_channel_monthly_limit",
            "monthly limit for this channel",
        ),
    ],
)
def test_monthly_and_channel_limits_are_reported_as_such(service, account, limits, usage_first, reason, words):
    locks(account, limits=limits)
    assert authorize(payment(account, 1, amount=usage_first)).json()["decision"] == "approve"

    answer = authorize(payment(account, 2, amount=10_000)).json()

    assert (answer["decision"], codes(answer)) == ("decline", [reason])
    assert words in english(answer)[0]


def test_a_refused_reservation_names_the_limit_the_script_found(service, account, monkeypatch):
    """Defensive path: the script refused to reserve but the engine would approve; the decline still says
    which running limit it was, not always the daily one."""
    locks(account, limits={"monthly": 15_000})
    assert authorize(payment(account, 1)).json()["decision"] == "approve"
    monkeypatch.setattr(fastpath, "decide", lambda *args: APPROVED)

    answer = authorize(payment(account, 2)).json()

    assert (answer["decision"], codes(answer)) == ("decline", ["over_monthly_limit"])
