"""A hypothesis state machine over one account: lock changes, authorizations, reversals, holds (released,
cancelled, swept) and Redis losing everything, in any order.

After every step:
- never over a limit: no decision that counts takes the day's counted total over the daily limit in force;
- a held amount is counted once: the Redis counter (when present) and the durable record agree with a plain
  model (approved and held amounts count; a reversal, a cancel or a stop gives back once; a release changes
  nothing);
- a released hold is never released again: a second release changes nothing, and the security log and the
  payment core's webhooks each say so once per hold.

Real commits (`transactional_db`), so that what happens after commit (giving amounts back, webhooks) does.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pyotp
import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from accounts.models import OtpDevice, ServiceClient
from locks.authorizations import context as authorizations_context
from locks.authorizations.fastpath import authorize
from locks.authorizations.outbox import outbox_drain
from locks.authorizations.request import AuthorizationRequest
from locks.authorizations.reversal import authorization_reverse
from locks.authorizations.views import key_cache_clear
from locks.counters import USAGE_KEY, local_period, usage_from_database
from locks.holds.services import hold_cancel, hold_release, holds_release_due
from locks.models import Authorization, Hold, WebhookDelivery
from locks.rules.changes import Proposal, lock_change
from securitycenter.errors import Conflict
from securitycenter.redis import redis_client
from securitycenter.securitylog.models import EventType, SecurityEvent
from securitycenter.securitylog.record import Origin
from tests.factories import BankAccountFactory, CustomerFactory

COOLING_OFF_THRESHOLD = 800_000
DAILY_LIMITS = st.sampled_from([300_000, 1_000_000, 2_500_000, None])
AMOUNTS = st.integers(min_value=1, max_value=1_500_000)
PAYEE = "6222020000004444"


class LocksAuthorizationsHolds(RuleBasedStateMachine):
    transactions = Bundle("transactions")
    holds = Bundle("holds")

    def __init__(self) -> None:
        super().__init__()
        authorizations_context.caches_clear()
        key_cache_clear()
        redis_client().flushdb()
        self.customer: Any = CustomerFactory(time_zone="UTC")
        self.account: Any = BankAccountFactory(customer=self.customer)
        self.secret = pyotp.random_base32()
        OtpDevice.objects.create(customer=self.customer, name="phone", secret=self.secret, confirmed_at=timezone.now())
        self.core = ServiceClient.objects.create(
            name=f"core-{self.account.pk}",
            scopes=[scope.value for scope in ServiceClient.Scope],
            webhook_url="http://127.0.0.1:9/unused",
            webhook_secret="whsec-stateful",
        )
        self.daily_limit: int | None = None
        self.counted: dict[str, int] = {}  # transaction id → amount it counts (0 once given back)
        self.held: dict[int, str] = {}  # hold id → status as the model knows it
        self.n = 0
        self._change({"cooling_off": {"threshold": COOLING_OFF_THRESHOLD}})

    # --- steps ----------------------------------------------------------------------------------------

    def _change(self, changes):
        # Each change may loosen: a fresh code every time (the replay guard refuses a code twice).
        OtpDevice.objects.filter(customer=self.customer).update(last_accepted_step=None)
        outcomes = lock_change(
            customer=self.customer,
            accounts=[self.account],
            proposal=Proposal(changes=changes),
            origin=Origin(),
            otp=pyotp.TOTP(self.secret).now(),
        )
        assert all(outcome.applied for outcome in outcomes)

    @rule(limit=DAILY_LIMITS)
    def set_daily_limit(self, limit):
        self._change({"limits": {"daily": limit, "per_transaction": None, "monthly": None, "channels": {}}})
        self.daily_limit = limit

    @rule(target=transactions, amount=AMOUNTS, transfer=st.booleans())
    def authorize(self, amount, transfer):
        self.n += 1
        transaction_id = f"sm-{self.account.pk}-{self.n}"
        counted_before = self._database_total()
        decision = authorize(
            request=AuthorizationRequest(
                transaction_id=transaction_id,
                account_id=self.account.pk,
                amount=amount,
                currency="CNY",
                channel="online_transfer" if transfer else "pos",
                country="CN",
                initiated_at=datetime.now(UTC),
                counterparty_account=PAYEE if transfer else None,
                transfer=transfer,
            ),
            client_id=self.core.pk,
        )
        outbox_drain()  # as beat does within a second: holds are announced (and then released) from the record
        counts = decision.decision in ("approve", "hold")
        assert Authorization.objects.get(transaction_id=transaction_id).counted == counts
        if counts:
            assert self.daily_limit is None or counted_before + amount <= self.daily_limit, (
                f"{amount} counted on top of {counted_before} with a daily limit of {self.daily_limit}"
            )
        self.counted[transaction_id] = amount if counts else 0
        if decision.decision == "hold":
            assert decision.hold is not None
            self.held[decision.hold.id] = Hold.Status.HELD
        else:
            assert decision.hold is None
        return transaction_id

    @rule(transaction_id=transactions)
    def reverse(self, transaction_id):
        returned = authorization_reverse(transaction_id=transaction_id, client_id=self.core.pk).amount_returned
        assert returned == self.counted[transaction_id]
        self.counted[transaction_id] = 0
        hold = Hold.objects.filter(authorization__transaction_id=transaction_id).first()
        if hold is not None and self.held[hold.pk] == Hold.Status.HELD:
            self.held[hold.pk] = Hold.Status.CANCELLED

    @rule(target=holds, index=st.integers(min_value=0, max_value=30))
    def a_hold(self, index):
        """One of the account's holds (None while there is none), whatever its state."""
        known = sorted(self.held)
        return known[index % len(known)] if known else None

    @rule(hold_id=holds)
    def release_when_due(self, hold_id):
        if hold_id is None:
            return
        Hold.objects.filter(pk=hold_id).update(release_at=timezone.now() - timedelta(seconds=1))
        released = hold_release(hold_id=hold_id)
        assert released == (self.held[hold_id] == Hold.Status.HELD)
        if released:
            self.held[hold_id] = Hold.Status.RELEASED

    @rule(hold_id=holds)
    def customer_cancels(self, hold_id):
        if hold_id is None:
            return
        hold = Hold.objects.select_related("authorization").get(pk=hold_id)
        try:
            hold_cancel(customer=self.customer, hold_id=hold_id, origin=Origin())
        except Conflict:
            assert self.held[hold_id] != Hold.Status.HELD
        else:
            assert self.held[hold_id] == Hold.Status.HELD
            self.held[hold_id] = Hold.Status.CANCELLED
            self.counted[hold.authorization.transaction_id] = 0

    @rule()
    def sweep(self):
        due = [pk for pk, status in self.held.items() if status == Hold.Status.HELD]
        Hold.objects.filter(pk__in=due).update(release_at=timezone.now() - timedelta(seconds=1))
        assert holds_release_due() == len(due)
        self.held.update(dict.fromkeys(due, Hold.Status.RELEASED))

    @rule()
    def redis_loses_everything(self):
        redis_client().flushdb()
        authorizations_context.caches_clear()

    # --- invariants -----------------------------------------------------------------------------------

    def _database_total(self):
        period = local_period("UTC", timezone.now().timestamp())
        return usage_from_database(account_id=self.account.pk, period=period)["da"]

    @invariant()
    def a_held_amount_is_counted_once(self):
        expected = sum(self.counted.values())
        assert self._database_total() == expected
        redis_spent = redis_client().hget(USAGE_KEY.format(self.account.pk), "da")
        if redis_spent is not None:
            assert int(redis_spent) == expected

    @invariant()
    def holds_are_where_the_model_says(self):
        actual = dict(Hold.objects.filter(account=self.account).values_list("pk", "status"))
        assert actual == self.held

    @invariant()
    def a_released_hold_is_never_released_again(self):
        for hold_id in self.held:
            logged = SecurityEvent.objects.filter(
                customer=self.customer, event_type=EventType.HOLD_RELEASED, details__hold_id=hold_id
            ).count()
            told = WebhookDelivery.objects.filter(hold_id=hold_id, event="hold.released").count()
            transitions = WebhookDelivery.objects.filter(hold_id=hold_id).count()
            expected = 1 if self.held[hold_id] == Hold.Status.RELEASED else 0
            assert (logged, told) == (expected, expected)
            assert transitions == (0 if self.held[hold_id] == Hold.Status.HELD else 1)


@pytest.mark.django_db(transaction=True)
def test_locks_authorizations_and_holds_keep_their_invariants(monkeypatch):
    # The webhooks of these holds go nowhere: recording the delivery is what the invariant counts.
    monkeypatch.setattr("locks.holds.webhooks.webhook_deliver.delay", lambda delivery_id: None)
    run_state_machine_as_test(
        LocksAuthorizationsHolds,
        settings=settings(
            max_examples=25,
            stateful_step_count=20,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
