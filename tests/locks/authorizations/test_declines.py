"""The decline-logging task races a customer's own requests on the same customer without a deadlock."""

import pytest

from locks.authorizations.declines import authorization_decline_log
from locks.rules.changes import Proposal, lock_change
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Origin
from securitycenter.securitylog.verify import security_log_verify
from tests.factories import AuthorizationFactory, BankAccountFactory, CustomerFactory
from tests.support.race import run_at_once

ROUNDS = 5
PAIRS = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_decline_logging_and_a_customers_lock_changes_do_not_deadlock():
    # The task used to lock the customer row through select_related under FOR UPDATE; a customer's request
    # that appends to the same chain (the chain's tip, then an entry whose foreign key share-locks the
    # customer) then waited on the task while the task waited on the tip: PostgreSQL broke the cycle by
    # failing one side, a 500 for the customer.
    customer = CustomerFactory()
    accounts = [BankAccountFactory(customer=customer) for _ in range(PAIRS)]
    declines = [
        AuthorizationFactory(account=accounts[i % PAIRS], outcome="decline", reasons=["channel_off"], counted=False)
        for i in range(ROUNDS * PAIRS)
    ]

    for round_ in range(ROUNDS):

        def work(i, round_=round_):
            if i % 2 == 0:
                return authorization_decline_log(authorization_id=declines[round_ * PAIRS + i // 2].pk)
            account = accounts[i // 2]
            lock_change(
                customer=customer,
                accounts=[account],
                proposal=Proposal(changes={"limits": {"daily": 1_000_000 - round_}}),
                origin=Origin(),
            )
            return "changed"

        results = run_at_once(2 * PAIRS, work)
        assert results == [True, "changed"] * PAIRS, results

    logged = SecurityEvent.objects.filter(customer=customer, event_type=EventType.AUTHORIZATION_DECLINED)
    assert sorted(str(e.details["transaction_id"]) for e in logged) == sorted(str(d.transaction_id) for d in declines)
    assert SecurityEvent.objects.filter(customer=customer, event_type=EventType.LOCK_CHANGED).count() == ROUNDS * PAIRS
    assert security_log_verify() == []
