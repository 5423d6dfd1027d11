"""Device signals in the pure engine: each rule on its own, and nothing changes when the app sends none."""

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locks.decision.engine import APPROVED, Decision, decide
from locks.decision.reasons import LESSONS, MESSAGES, Reason
from locks.decision.signals import DeviceSignals, SignalRules
from tests.locks.decision.test_engine import NO_USAGE, txn
from tests.locks.decision.test_policy import policies, transactions, typical_policy, usages

NEW_PAYEE = msgspec.structs.replace(NO_USAGE, payee_known=False)
POLICY = typical_policy()  # cooling-off 50,000 yuan, new payee 10,000 yuan
SMALL = 50_000  # 500 yuan: under every cooling-off threshold


def transfer(signals: DeviceSignals | None, amount: int = SMALL, **fields: object):
    return txn(channel="online_transfer", amount=amount, signals=signals, **fields)


@pytest.mark.parametrize(
    ("signals", "reason"),
    [
        (DeviceSignals(screen_sharing=True), Reason.SCREEN_SHARING),
        (DeviceSignals(remote_control=True), Reason.REMOTE_CONTROL),
    ],
)
@pytest.mark.parametrize("channel", ["online_transfer", "card_not_present", "quick_pay"])
def test_screen_sharing_or_remote_control_declines_a_transfer_or_card_not_present_payment(signals, reason, channel):
    decision = decide(POLICY, txn(channel=channel, amount=SMALL, signals=signals), NO_USAGE)

    assert decision == Decision("decline", (reason,))
    assert "hang up" in MESSAGES[reason][1]
    assert LESSONS[reason] in {"screen_sharing", "remote_control_apps"}


@pytest.mark.parametrize("channel", ["pos", "atm", "contactless"])
def test_screen_sharing_does_not_touch_a_card_present_payment(channel):
    assert decide(POLICY, txn(channel=channel, signals=DeviceSignals(screen_sharing=True)), NO_USAGE) == APPROVED


def test_screen_sharing_comes_first_among_the_declines():
    policy = typical_policy(freeze_card_not_present=True)

    decision = decide(policy, txn(channel="quick_pay", signals=DeviceSignals(screen_sharing=True)), NO_USAGE)

    assert decision.reasons == (Reason.SCREEN_SHARING, Reason.CARD_NOT_PRESENT_FROZEN)


def test_a_signal_decline_has_no_hold_reasons_with_it():
    decision = decide(POLICY, transfer(DeviceSignals(screen_sharing=True, on_call=True), 5_000_000), NEW_PAYEE)

    assert decision == Decision("decline", (Reason.SCREEN_SHARING,))


def test_integrity_failed_is_only_recorded_unless_configured():
    signals = DeviceSignals(integrity_failed=True)

    assert decide(POLICY, transfer(signals), NO_USAGE) == APPROVED
    assert decide(POLICY, transfer(signals), NO_USAGE, SignalRules(integrity_failed_declines=True)) == Decision(
        "decline", (Reason.DEVICE_INTEGRITY_FAILED,)
    )


@pytest.mark.parametrize("in_contacts", [False, None])
def test_a_transfer_to_a_new_payee_during_a_call_from_an_unknown_number_is_held(in_contacts):
    signals = DeviceSignals(on_call=True, caller_in_contacts=in_contacts)

    assert decide(POLICY, transfer(signals), NEW_PAYEE) == Decision("hold", (Reason.UNKNOWN_CALLER_NEW_PAYEE,))
    assert LESSONS[Reason.UNKNOWN_CALLER_NEW_PAYEE] == "fake_bank_call"


def test_a_call_from_a_contact_or_to_a_known_payee_or_no_call_is_not_held():
    assert decide(POLICY, transfer(DeviceSignals(on_call=True, caller_in_contacts=True)), NEW_PAYEE) == APPROVED
    assert decide(POLICY, transfer(DeviceSignals(on_call=True)), NO_USAGE) == APPROVED
    assert decide(POLICY, transfer(DeviceSignals(on_call=False)), NEW_PAYEE) == APPROVED
    assert decide(POLICY, txn(channel="pos", signals=DeviceSignals(on_call=True)), NEW_PAYEE) == APPROVED


def test_the_unknown_caller_rule_has_a_floor_and_can_be_switched_off():
    signals = DeviceSignals(on_call=True)

    assert decide(POLICY, transfer(signals, 999), NEW_PAYEE, SignalRules(unknown_caller_hold_floor=1_000)) == APPROVED
    assert decide(POLICY, transfer(signals), NEW_PAYEE, SignalRules(unknown_caller_hold_floor=None)) == APPROVED


@pytest.mark.parametrize(
    ("hours", "amount", "held"),
    [(0, 100_000, True), (23, 100_000, True), (24, 100_000, False), (3, 99_999, False), (None, 100_000, False)],
)
def test_a_transfer_to_a_new_payee_from_a_new_device_is_held_above_the_floor(hours, amount, held):
    decision = decide(POLICY, transfer(DeviceSignals(device_first_seen_hours=hours), amount), NEW_PAYEE)

    assert decision == (Decision("hold", (Reason.NEW_DEVICE_NEW_PAYEE,)) if held else APPROVED)
    assert decide(POLICY, transfer(DeviceSignals(device_first_seen_hours=hours), amount), NO_USAGE) == APPROVED


def test_signal_holds_come_before_the_cooling_off_reasons():
    signals = DeviceSignals(on_call=True, device_first_seen_hours=1)

    decision = decide(POLICY, transfer(signals, 5_000_000), NEW_PAYEE)

    assert decision == Decision(
        "hold",
        (
            Reason.UNKNOWN_CALLER_NEW_PAYEE,
            Reason.NEW_DEVICE_NEW_PAYEE,
            Reason.COOLING_OFF,
            Reason.NEW_PAYEE_COOLING_OFF,
        ),
    )


@settings(max_examples=500, deadline=None)
@given(policy=policies, transaction=transactions(), usage=usages)
def test_without_signals_or_with_quiet_ones_the_decision_is_as_before(policy, transaction, usage):
    """A quiet phone (every signal at its default) and no signals at all decide the same."""
    quiet = msgspec.structs.replace(transaction, signals=DeviceSignals())

    assert decide(policy, quiet, usage) == decide(policy, transaction, usage)


@settings(max_examples=300, deadline=None)
@given(
    policy=policies,
    transaction=transactions(),
    usage=usages,
    signals=st.builds(
        DeviceSignals,
        on_call=st.booleans(),
        caller_in_contacts=st.sampled_from([None, True, False]),
        screen_sharing=st.booleans(),
        remote_control=st.booleans(),
        integrity_failed=st.booleans(),
        device_first_seen_hours=st.one_of(st.none(), st.integers(0, 48)),
    ),
)
def test_signals_only_ever_make_a_decision_stricter(policy, transaction, usage, signals):
    severity = {"approve": 0, "hold": 1, "review": 1, "decline": 2}
    before = decide(policy, transaction, usage)
    after = decide(policy, msgspec.structs.replace(transaction, signals=signals), usage)

    assert severity[after.outcome] >= severity[before.outcome]


def test_every_lesson_a_reason_names_is_in_the_catalogue():
    from locks.lessons.catalogue import LESSONS_BY_ID
    from locks.lessons.fit import lesson_for_reasons

    assert set(LESSONS.values()) <= set(LESSONS_BY_ID)
    for reason, lesson in LESSONS.items():
        assert lesson_for_reasons([reason]) == lesson
