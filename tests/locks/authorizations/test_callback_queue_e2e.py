"""The hold → call-back path end to end with the 95588 queue: a protected customer's new-payee transfer and a
transfer during a call from an unknown number are held, appear in the queue, and leave only as the call's
outcome says: confirmed → released when due, fraud → stopped, unreachable → still held."""

from datetime import timedelta

import pytest
from django.utils import timezone

from locks.callbacks.claims import callback_claim
from locks.callbacks.outcomes import callback_outcome_record
from locks.callbacks.queue import callback_queue
from locks.holds.services import holds_release_due
from locks.models import Case, Hold
from securitycenter.securitylog.record import Origin
from tests.factories import StaffUserFactory
from tests.locks.authorizations.support import authorize, codes, locks, payment

pytestmark = pytest.mark.django_db

YUAN = 100


def held_transfer(account, n=1, **signals):
    body = payment(
        account, n, channel="online_transfer", amount=1_500 * YUAN, counterparty_account=f"62220200001111{n:02d}"
    )
    if signals:
        body["device_signals"] = signals
    answer = authorize(body).json()
    assert answer["decision"] == "hold", answer
    return answer


def work_the_call(agent, hold_id, outcome):
    case = Case.objects.get(hold_id=hold_id, kind=Case.Kind.HOLD_CALLBACK)
    assert case.pk in [entry.case.pk for entry in callback_queue(agent=agent)]
    callback_claim(agent=agent, case_id=case.pk, origin=Origin())
    callback_outcome_record(agent=agent, case_id=case.pk, outcome=outcome, note="called back", origin=Origin())
    Hold.objects.filter(pk=hold_id).update(release_at=timezone.now() - timedelta(seconds=1))
    holds_release_due()
    return Hold.objects.get(pk=hold_id).status


@pytest.fixture
def agent(db):
    return StaffUserFactory(groups=["agent"])


def test_elderly_protection_confirmed_by_the_customer_on_the_phone_is_released(service, account, agent):
    locks(account, elderly_protection=True)
    answer = held_transfer(account)
    assert codes(answer) == ["protected_new_payee"]

    assert work_the_call(agent, answer["hold"]["id"], "confirmed") == "released"


def test_an_unknown_caller_hold_found_to_be_fraud_is_stopped(service, account, agent):
    answer = held_transfer(account, on_call=True, caller_in_contacts=False)
    assert codes(answer) == ["unknown_caller_new_payee"]

    assert work_the_call(agent, answer["hold"]["id"], "fraud_confirmed") == "stopped"


def test_an_unreachable_customer_keeps_the_money_held(service, account, agent):
    locks(account, elderly_protection=True)
    answer = held_transfer(account)

    assert work_the_call(agent, answer["hold"]["id"], "unreachable") == "held"
    assert Case.objects.get(hold_id=answer["hold"]["id"]).status == "open"
