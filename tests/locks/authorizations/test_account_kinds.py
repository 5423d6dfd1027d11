"""Account kinds (personal, corporate): a large transfer within the kind's ceiling is held for cooling-off,
not declined; over the customer's own limit or the bank's ceiling it is declined, and told which."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from accounts.models import BankAccount
from locks.models import Hold
from locks.rules.policies import policy_compile_account, policy_publish
from tests.factories import BankAccountFactory, CustomerFactory
from tests.locks.authorizations.support import authorize, codes, english, locks, payment

pytestmark = pytest.mark.django_db

YUAN = 100
PAYEE = "6222029876543210"
# Seed 003: a company accountant remits 1.7 million at night.
NIGHT = (datetime.now(UTC) - timedelta(hours=1)).replace(microsecond=0)


@pytest.fixture
def company(db):
    return BankAccountFactory(customer=CustomerFactory(), holder=BankAccount.Holder.CORPORATE, kind="account")


def remit(account, n, yuan, payee=PAYEE):
    return authorize(
        payment(
            account,
            n,
            channel="online_transfer",
            amount=yuan * YUAN,
            counterparty_account=payee,
            initiated_at=NIGHT.isoformat(),
        )
    ).json()


def test_a_corporate_remittance_within_its_ceiling_is_held_for_twelve_hours_not_declined(service, company, settings):
    answer = remit(company, 1, 1_700_000)

    assert (answer["decision"], codes(answer)) == ("hold", ["cooling_off", "new_payee_cooling_off"])
    hold = Hold.objects.get(pk=answer["hold"]["id"])
    assert timedelta(hours=12) == settings.COOLING_OFF_PERIOD
    assert abs((hold.release_at - (timezone.now() + timedelta(hours=12))).total_seconds()) < 60
    assert "cancel" in english(answer)[0]


def test_the_same_remittance_from_a_personal_account_is_over_the_banks_ceiling(service, account):
    answer = remit(account, 1, 1_700_000)

    assert (answer["decision"], codes(answer)) == ("decline", ["over_bank_per_transaction_limit"])
    assert "most the bank allows" in english(answer)[0]
    assert answer["hold"] is None


def test_a_personal_transfer_within_the_ceiling_is_held_not_declined(service, account):
    answer = remit(account, 1, 999_999)

    assert (answer["decision"], codes(answer)) == ("hold", ["cooling_off", "new_payee_cooling_off"])


def test_over_the_customers_own_limit_is_still_declined_and_said_to_be_theirs(service, company):
    locks(company, limits={"per_transaction": 1_000_000 * YUAN})

    answer = remit(company, 1, 1_700_000)

    assert (answer["decision"], codes(answer)) == ("decline", ["over_per_transaction_limit"])
    assert "your per-transaction limit" in english(answer)[0]
    assert not Hold.objects.exists()


def test_each_kind_has_its_own_thresholds(service, company, settings):
    # A known payee (paid once, small) and 600,000 yuan: under the corporate threshold, over the personal one.
    assert remit(company, 1, 100)["decision"] == "approve"
    assert remit(company, 2, 600_000)["decision"] == "approve"
    settings.CORPORATE_COOLING_OFF_THRESHOLD = 500_000 * YUAN
    locks(company)
    policy_publish(account_ids=[company.pk])  # compiled again with the new setting
    assert codes(remit(company, 3, 600_000)) == ["cooling_off"]


def test_the_compiled_policy_carries_the_kinds_ceilings_and_thresholds(company, account, settings):
    corporate, personal = policy_compile_account(company), policy_compile_account(account)

    assert corporate.per_transaction_limit == settings.CORPORATE_MAX_LIMITS["CNY"]["per_transaction"]
    assert corporate.ceilings.daily == settings.CORPORATE_MAX_LIMITS["CNY"]["daily"]
    assert corporate.cooling_off_threshold == settings.CORPORATE_COOLING_OFF_THRESHOLD
    assert corporate.cooling_off_new_payee_threshold == settings.CORPORATE_COOLING_OFF_NEW_PAYEE_THRESHOLD
    assert personal.per_transaction_limit == settings.BANK_MAX_LIMITS["CNY"]["per_transaction"]
    assert personal.cooling_off_threshold == settings.COOLING_OFF_DEFAULT_THRESHOLD


def test_the_banks_daily_ceiling_is_named_as_the_banks(service, account, settings):
    settings.BANK_MAX_LIMITS = {"CNY": {**settings.BANK_MAX_LIMITS["CNY"], "daily": 20_000 * YUAN}}
    locks(account)
    assert remit(account, 1, 15_000)["decision"] == "hold"

    answer = remit(account, 2, 10_000)

    assert (answer["decision"], codes(answer)) == ("decline", ["over_bank_daily_limit"])
    assert "most the bank allows in one day" in english(answer)[0]
