"""Reasons say exactly why: a property test of the reason lists against a naive restatement of every rule.

The oracle below states each rule on its own, with datetimes for the time windows, and knows nothing of the
engine's short cuts; the engine must give exactly its reasons, for every outcome, in the documented order.
"""

from datetime import datetime

import msgspec
from hypothesis import given, settings
from hypothesis import strategies as st

from locks.decision.engine import decide, usage_limit_reasons
from locks.decision.policy import CARD_NOT_PRESENT_CHANNELS, Ceilings, CompiledPolicy, Transaction, Usage, zone_info
from locks.decision.reasons import DECLINE_REASONS, HOLD_REASONS, REASON_ORDER, REVIEW_REASONS, Reason
from locks.decision.signals import DEFAULT_SIGNAL_RULES, DeviceSignals, SignalRules
from tests.locks.decision.test_policy import policies, transactions, usages


def _time_allowed(policy: CompiledPolicy, now: float) -> bool:
    local = datetime.fromtimestamp(now, zone_info(policy.time_zone))
    weekday, minute = local.weekday(), local.hour * 60 + local.minute
    for window in policy.time_windows:
        start, end = window.start_minute, window.end_minute
        if start < end and start <= minute < end and weekday in window.days:
            return True
        if start > end and minute >= start and weekday in window.days:
            return True
        if start > end and minute < end and (weekday - 1) % 7 in window.days:
            return True
    return False


def _region_reasons(policy: CompiledPolicy, txn: Transaction) -> list[Reason]:
    sub = txn.subdivision if txn.subdivision and txn.subdivision.startswith(txn.country + "-") else None
    places = {txn.country} | ({sub} if sub else set())
    refused = {
        "any": False,
        "allow": not (places & policy.regions),
        "block": bool(places & policy.regions),
    }[policy.region_mode]
    abroad_off = "cross_border" in policy.channels_off and (
        txn.channel == "cross_border" or txn.country != policy.home_country
    )
    travelling = any(w.starts_at <= txn.initiated_at < w.ends_at and places & w.regions for w in policy.travel_windows)
    if travelling:
        return []
    return [r for r, on in ((Reason.CROSS_BORDER_OFF, abroad_off), (Reason.REGION_NOT_ALLOWED, refused)) if on]


def _over(limit: int | None, spent: int, amount: int) -> bool:
    return limit is not None and spent + amount > limit


def expected(
    policy: CompiledPolicy, txn: Transaction, usage: Usage, rules: SignalRules = DEFAULT_SIGNAL_RULES
) -> tuple[str, list[Reason]]:
    declines: list[Reason] = []
    signals = txn.signals
    at_risk = txn.is_transfer or txn.channel in CARD_NOT_PRESENT_CHANNELS
    if signals is not None and at_risk:
        declines += [
            reason
            for reason, on in (
                (Reason.SCREEN_SHARING, signals.screen_sharing and rules.screen_sharing_declines),
                (Reason.REMOTE_CONTROL, signals.remote_control and rules.remote_control_declines),
                (Reason.DEVICE_INTEGRITY_FAILED, signals.integrity_failed and rules.integrity_failed_declines),
            )
            if on
        ]
    if policy.freeze_all_outgoing:
        declines.append(Reason.ACCOUNT_FROZEN)
    if policy.freeze_card_not_present and txn.channel in CARD_NOT_PRESENT_CHANNELS:
        declines.append(Reason.CARD_NOT_PRESENT_FROZEN)
    if usage.payee_risk == "high":
        declines.append(Reason.PAYEE_HIGH_RISK)
    if txn.channel in policy.channels_off and txn.channel != "cross_border":
        declines.append(Reason.CHANNEL_OFF)
    declines += _region_reasons(policy, txn)
    if policy.time_windows and not _time_allowed(policy, txn.initiated_at):
        declines.append(Reason.OUTSIDE_ALLOWED_TIME)
    if txn.currency != policy.currency:
        declines.append(Reason.CURRENCY_MISMATCH)
    else:
        amount = txn.amount
        channel = policy.limits_for(txn.channel)
        bank = policy.ceilings or Ceilings()

        def own_or_bank(own: Reason, banks: Reason, limit: int | None, ceiling: int | None) -> Reason:
            return banks if limit is not None and limit == ceiling else own

        checks = [
            (
                own_or_bank(
                    Reason.OVER_PER_TRANSACTION_LIMIT,
                    Reason.OVER_BANK_PER_TRANSACTION_LIMIT,
                    policy.per_transaction_limit,
                    bank.per_transaction,
                ),
                policy.per_transaction_limit,
                0,
            ),
            (
                own_or_bank(Reason.OVER_DAILY_LIMIT, Reason.OVER_BANK_DAILY_LIMIT, policy.daily_limit, bank.daily),
                policy.daily_limit,
                usage.spent_today,
            ),
            (
                own_or_bank(
                    Reason.OVER_MONTHLY_LIMIT, Reason.OVER_BANK_MONTHLY_LIMIT, policy.monthly_limit, bank.monthly
                ),
                policy.monthly_limit,
                usage.spent_this_month,
            ),
        ]
        if channel is not None:
            checks += [
                (Reason.OVER_CHANNEL_PER_TRANSACTION_LIMIT, channel.per_transaction, 0),
                (Reason.OVER_CHANNEL_DAILY_LIMIT, channel.daily, usage.channel_spent_today),
                (Reason.OVER_CHANNEL_MONTHLY_LIMIT, channel.monthly, usage.channel_spent_this_month),
            ]
        declines += [reason for reason, limit, spent in checks if _over(limit, spent, amount)]
    if declines:
        return "decline", declines
    if not txn.is_transfer:
        return ("review", [Reason.PAYEE_MEDIUM_RISK]) if usage.payee_risk == "medium" else ("approve", [])
    holds = []
    if usage.payee_risk == "medium":
        holds.append(Reason.PAYEE_MEDIUM_RISK)
    if signals is not None and not usage.payee_known:
        floor = rules.unknown_caller_hold_floor
        if floor is not None and txn.amount >= floor and signals.on_call and not signals.caller_in_contacts:
            holds.append(Reason.UNKNOWN_CALLER_NEW_PAYEE)
    threshold = policy.call_back_new_payee_threshold
    if threshold is not None and txn.amount >= threshold and not usage.payee_known:
        holds.append(Reason.PROTECTED_NEW_PAYEE)
    if signals is not None and not usage.payee_known:
        floor = rules.new_device_hold_floor
        hours = signals.device_first_seen_hours
        if floor is not None and txn.amount >= floor and hours is not None and hours < rules.new_device_hours:
            holds.append(Reason.NEW_DEVICE_NEW_PAYEE)
    if policy.cooling_off_threshold is not None and txn.amount >= policy.cooling_off_threshold:
        holds.append(Reason.COOLING_OFF)
    threshold = policy.cooling_off_new_payee_threshold
    if threshold is not None and txn.amount >= threshold and not usage.payee_known:
        holds.append(Reason.NEW_PAYEE_COOLING_OFF)
    return ("hold", holds) if holds else ("approve", [])


ALLOWED = {"decline": DECLINE_REASONS, "hold": HOLD_REASONS, "review": REVIEW_REASONS, "approve": frozenset()}


maybe_signals = st.one_of(
    st.none(),
    st.builds(
        DeviceSignals,
        on_call=st.booleans(),
        caller_in_contacts=st.sampled_from([None, True, False]),
        screen_sharing=st.booleans(),
        remote_control=st.booleans(),
        integrity_failed=st.booleans(),
        device_first_seen_hours=st.one_of(st.none(), st.integers(0, 30)),
    ),
)
floors = st.one_of(st.none(), st.integers(0, 12_000))
signal_rules = st.builds(
    SignalRules,
    screen_sharing_declines=st.booleans(),
    remote_control_declines=st.booleans(),
    integrity_failed_declines=st.booleans(),
    unknown_caller_hold_floor=floors,
    new_device_hours=st.integers(0, 30),
    new_device_hold_floor=floors,
)


@st.composite
def with_ceilings(draw: st.DrawFn, policy: CompiledPolicy) -> CompiledPolicy:
    """The policy with the bank's ceilings, some of them equal to its limits (as compiled: the stricter), and
    sometimes elderly protection's call-back threshold."""
    call_back = draw(st.one_of(st.none(), st.none(), st.integers(0, 12_000)))
    policy = msgspec.structs.replace(policy, call_back_new_payee_threshold=call_back)
    if draw(st.booleans()):
        return policy

    def ceiling(limit: int | None) -> int | None:
        return draw(st.one_of(st.just(limit), st.none(), st.integers(0, 12_000)))

    ceilings = Ceilings(
        ceiling(policy.per_transaction_limit), ceiling(policy.daily_limit), ceiling(policy.monthly_limit)
    )
    return msgspec.structs.replace(policy, ceilings=ceilings)


@settings(max_examples=1000, deadline=None)
@given(
    policy=policies.flatmap(with_ceilings),
    transaction=transactions(),
    usage=usages,
    signals=maybe_signals,
    rules=signal_rules,
)
def test_a_decision_carries_exactly_the_reasons_of_its_outcome_deciding_one_first(
    policy, transaction, usage, signals, rules
):
    transaction = msgspec.structs.replace(transaction, signals=signals)
    decision = decide(policy, transaction, usage, rules)
    outcome, reasons = expected(policy, transaction, usage, rules)

    assert (decision.outcome, list(decision.reasons)) == (outcome, reasons)
    assert set(decision.reasons) <= ALLOWED[decision.outcome]
    assert (decision.outcome == "approve") == (not decision.reasons)
    assert list(decision.reasons) == sorted(decision.reasons, key=REASON_ORDER.__getitem__)
    if decision.outcome == "decline":
        # A refused payment never tells the customer to wait for it or cancel it while it is held.
        for message in decision.messages():
            text = message["message"]
            assert "冷静期" not in text["zh-Hans"] and "cooling-off" not in text["en"]


@settings(max_examples=500, deadline=None)
@given(policy=policies.flatmap(with_ceilings), transaction=transactions(), usage=usages)
def test_the_running_limits_the_script_checks_are_named_as_what_they_are(policy, transaction, usage):
    running = {
        Reason.OVER_DAILY_LIMIT,
        Reason.OVER_BANK_DAILY_LIMIT,
        Reason.OVER_MONTHLY_LIMIT,
        Reason.OVER_BANK_MONTHLY_LIMIT,
        Reason.OVER_CHANNEL_DAILY_LIMIT,
        Reason.OVER_CHANNEL_MONTHLY_LIMIT,
    }
    transaction = msgspec.structs.replace(transaction, currency=policy.currency)
    _, reasons = expected(policy, transaction, usage)
    found = usage_limit_reasons(policy, transaction, usage)

    assert list(found) == [r for r in reasons if r in running]
