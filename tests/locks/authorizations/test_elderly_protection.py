"""Elderly protection (老年人保护, 智能规则+人工复核): a protected customer's large transfer to a new payee is held,
a call-back case is opened, and the money cannot leave while the case is open."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from locks.cases.services import case_close
from locks.holds.services import hold_release, hold_stop, holds_release_due
from locks.models import Case, Hold
from locks.rules.policies import policy_publish
from securitycenter.securitylog.record import Actor, Origin
from tests.factories import BankAccountFactory, CustomerFactory, StaffUserFactory
from tests.locks.authorizations.support import authorize, codes, english, locks, payment

pytestmark = pytest.mark.django_db

PAYEE = "6222021111222233"
YUAN = 100


def send(account, n, yuan, payee=PAYEE):
    body = payment(account, n, channel="online_transfer", amount=yuan * YUAN, counterparty_account=payee)
    return authorize(body).json()


def make_due(hold_id):
    Hold.objects.filter(pk=hold_id).update(release_at=timezone.now() - timedelta(seconds=1))


@pytest.fixture
def protected(account):
    locks(account, elderly_protection=True)
    return account


def test_a_new_payee_transfer_is_held_with_a_call_back_case_and_not_released_until_it_is_closed(service, protected):
    answer = send(protected, 1, 1_500)

    assert (answer["decision"], codes(answer)) == ("hold", ["protected_new_payee"])
    assert "elderly protection" in english(answer)[0]
    assert "老年人保护" in answer["reasons"][0]["message"]["zh-Hans"]
    hold_id = answer["hold"]["id"]
    case = Case.objects.get(hold_id=hold_id)
    assert (case.kind, case.status, case.customer_id) == ("hold_callback", "open", protected.customer_id)
    assert case.source == "rule:protected_new_payee"

    make_due(hold_id)
    assert holds_release_due() == 0
    assert not hold_release(hold_id=hold_id)
    assert Hold.objects.get(pk=hold_id).status == "held"

    case_close(case_id=case.pk, actor=Actor.agent(StaffUserFactory()), resolution="customer confirmed on the phone")
    assert holds_release_due() == 1
    assert Hold.objects.get(pk=hold_id).status == "released"


def test_the_agent_who_calls_back_can_stop_it(service, protected):
    hold_id = send(protected, 1, 1_500)["hold"]["id"]
    agent = StaffUserFactory()

    hold_stop(agent=agent, hold_id=hold_id, reason="a fraudster was on the line", origin=Origin())

    assert Hold.objects.get(pk=hold_id).status == "stopped"


def test_a_known_payee_or_a_small_amount_goes_through(service, protected, settings):
    assert send(protected, 1, settings.ELDERLY_CALL_BACK_THRESHOLD // YUAN - 1)["decision"] == "approve"
    # Paid once above, the payee is known now.
    assert send(protected, 2, 1_500)["decision"] == "approve"
    assert not Case.objects.exists()


def test_an_unprotected_customer_is_not_called_back(service, account):
    assert send(account, 1, 1_500)["decision"] == "approve"


def test_a_customer_over_the_protection_age_is_protected_without_the_switch(service, settings):
    today = timezone.localdate()
    elder = BankAccountFactory(customer=CustomerFactory(date_of_birth=date(today.year - 70, 1, 1)))
    younger = BankAccountFactory(customer=CustomerFactory(date_of_birth=date(today.year - 40, 1, 1)))

    assert codes(send(elder, 1, 1_500)) == ["protected_new_payee"]
    assert send(younger, 1, 1_500)["decision"] == "approve"
    settings.ELDERLY_PROTECTION_AGE = 0
    locks(elder)
    policy_publish(account_ids=[elder.pk])
    assert send(elder, 2, 1_500, payee="6222029999888877")["decision"] == "approve"


def test_a_declined_transfer_opens_no_case(service, protected):
    locks(protected, elderly_protection=True, limits={"per_transaction": 1_000 * YUAN})

    answer = send(protected, 1, 1_500)

    assert (answer["decision"], codes(answer)) == ("decline", ["over_per_transaction_limit"])
    assert not Case.objects.exists()
