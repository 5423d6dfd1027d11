"""The pure decision engine: one focused test per reason code, time and region locks, precedence."""

import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locks.decision.engine import APPROVED, Decision, decide, local_weekday_minute
from locks.decision.policy import ALL_DAYS, ChannelLimits, CompiledPolicy, TimeWindow, Transaction, TravelWindow, Usage
from locks.decision.reasons import CUSTOMER_LOCK_REASONS, MESSAGES, Reason, reason_message
from tests.locks.decision.test_policy import typical_policy

# 2024-03-04 is a Monday.
MONDAY_NOON_SHANGHAI = int(datetime(2024, 3, 4, 12, 0, tzinfo=ZoneInfo("Asia/Shanghai")).timestamp())
NO_USAGE = Usage(payee_known=True)


def at(local: str, zone: str = "Asia/Shanghai") -> float:
    """UTC epoch seconds of a wall-clock time in `zone` ("2024-03-08 23:00")."""
    return datetime.fromisoformat(local).replace(tzinfo=ZoneInfo(zone)).timestamp()


def txn(**overrides: object) -> Transaction:
    fields: dict[str, object] = {
        "transaction_id": "t-1",
        "account_id": 1001,
        "amount": 10_000,
        "currency": "CNY",
        "channel": "pos",
        "country": "CN",
        "subdivision": "CN-AH",
        "initiated_at": MONDAY_NOON_SHANGHAI,
    }
    fields.update(overrides)
    return Transaction(**fields)


def reasons_of(policy: CompiledPolicy, transaction: Transaction, usage: Usage = NO_USAGE) -> tuple[Reason, ...]:
    return decide(policy, transaction, usage).reasons


def test_typical_payment_is_approved():
    decision = decide(typical_policy(), txn(), NO_USAGE)

    assert decision == Decision("approve", ())
    assert decision.outcome == "approve"
    assert decision.messages() == []


# --- one test per reason code ---------------------------------------------------------------------


def test_account_frozen():
    decision = decide(typical_policy(freeze_all_outgoing=True), txn(channel="atm"), NO_USAGE)

    assert decision == Decision("decline", (Reason.ACCOUNT_FROZEN,))


@pytest.mark.parametrize("channel", ["card_not_present", "quick_pay"])
def test_card_not_present_frozen(channel):
    policy = typical_policy(freeze_card_not_present=True)

    assert decide(policy, txn(channel=channel), NO_USAGE) == Decision("decline", (Reason.CARD_NOT_PRESENT_FROZEN,))
    assert decide(policy, txn(channel="pos"), NO_USAGE) == APPROVED


def test_channel_off():
    policy = typical_policy(channels_off=frozenset({"atm"}))

    assert decide(policy, txn(channel="atm"), NO_USAGE) == Decision("decline", (Reason.CHANNEL_OFF,))
    assert decide(policy, txn(channel="pos"), NO_USAGE) == APPROVED


def test_cross_border_off_for_the_channel_and_for_any_payment_abroad():
    policy = typical_policy(channels_off=frozenset({"cross_border"}))

    assert reasons_of(policy, txn(channel="cross_border")) == (Reason.CROSS_BORDER_OFF,)
    assert reasons_of(policy, txn(channel="pos", country="JP", subdivision="JP-13")) == (Reason.CROSS_BORDER_OFF,)
    assert reasons_of(policy, txn(channel="pos")) == ()
    # Abroad with the home country elsewhere.
    assert reasons_of(typical_policy(channels_off=frozenset({"cross_border"}), home_country="US"), txn()) == (
        Reason.CROSS_BORDER_OFF,
    )


def test_region_not_allowed():
    policy = typical_policy(region_mode="allow", regions=frozenset({"CN"}))

    assert decide(policy, txn(country="US", subdivision="US-CA"), NO_USAGE) == Decision(
        "decline", (Reason.REGION_NOT_ALLOWED,)
    )


def test_outside_allowed_time():
    policy = typical_policy(time_windows=(TimeWindow(days=ALL_DAYS, start_minute=9 * 60, end_minute=17 * 60),))

    decision = decide(policy, txn(initiated_at=at("2024-03-04 08:59")), NO_USAGE)

    assert decision == Decision("decline", (Reason.OUTSIDE_ALLOWED_TIME,))


def test_currency_mismatch_skips_the_limits():
    policy = typical_policy(per_transaction_limit=100)

    decision = decide(policy, txn(currency="USD", amount=1_000_000), NO_USAGE)

    assert decision == Decision("decline", (Reason.CURRENCY_MISMATCH,))


def test_over_per_transaction_limit():
    policy = typical_policy(per_transaction_limit=10_000)

    assert decide(policy, txn(amount=10_000), NO_USAGE) == APPROVED
    assert decide(policy, txn(amount=10_001), NO_USAGE) == Decision("decline", (Reason.OVER_PER_TRANSACTION_LIMIT,))


def test_over_daily_limit():
    policy = typical_policy(daily_limit=50_000)

    assert decide(policy, txn(amount=10_000), Usage(spent_today=40_000)) == APPROVED
    assert decide(policy, txn(amount=10_001), Usage(spent_today=40_000)) == Decision(
        "decline", (Reason.OVER_DAILY_LIMIT,)
    )


def test_over_monthly_limit():
    policy = typical_policy(monthly_limit=500_000)

    assert decide(policy, txn(amount=10_000), Usage(spent_this_month=490_000)) == APPROVED
    assert decide(policy, txn(amount=10_000), Usage(spent_this_month=490_001)) == Decision(
        "decline", (Reason.OVER_MONTHLY_LIMIT,)
    )


def test_over_channel_per_transaction_limit():
    policy = typical_policy(channel_limits=(ChannelLimits(channel="contactless", per_transaction=30_000),))

    assert reasons_of(policy, txn(channel="contactless", amount=30_001)) == (Reason.OVER_CHANNEL_PER_TRANSACTION_LIMIT,)
    assert reasons_of(policy, txn(channel="contactless", amount=30_000)) == ()
    assert reasons_of(policy, txn(channel="pos", amount=30_001)) == ()


def test_over_channel_daily_limit_counts_the_channels_own_usage():
    policy = typical_policy(channel_limits=(ChannelLimits(channel="atm", daily=200_000),))
    usage = Usage(spent_today=1_000_000, channel_spent_today=190_000)

    assert reasons_of(policy, txn(channel="atm", amount=10_000), usage) == ()
    assert reasons_of(policy, txn(channel="atm", amount=10_001), usage) == (Reason.OVER_CHANNEL_DAILY_LIMIT,)


def test_over_channel_monthly_limit():
    policy = typical_policy(channel_limits=(ChannelLimits(channel="quick_pay", monthly=1_000_000),))
    usage = Usage(channel_spent_this_month=995_000)

    assert reasons_of(policy, txn(channel="quick_pay", amount=5_001), usage) == (Reason.OVER_CHANNEL_MONTHLY_LIMIT,)


def test_payee_high_risk_declines_any_payment():
    decision = decide(typical_policy(), txn(channel="online_transfer"), Usage(payee_risk="high", payee_known=True))

    assert decision == Decision("decline", (Reason.PAYEE_HIGH_RISK,))


def test_payee_medium_risk_sends_a_payment_to_review():
    decision = decide(typical_policy(), txn(channel="card_not_present"), Usage(payee_risk="medium"))

    assert decision == Decision("review", (Reason.PAYEE_MEDIUM_RISK,))


@pytest.mark.parametrize(("channel", "flag"), [("online_transfer", False), ("quick_pay", True)])
def test_payee_medium_risk_holds_a_transfer(channel, flag):
    usage = Usage(payee_risk="medium", payee_known=True)

    decision = decide(typical_policy(), txn(channel=channel, transfer=flag), usage)

    assert decision == Decision("hold", (Reason.PAYEE_MEDIUM_RISK,))


def test_cooling_off_holds_a_transfer_at_or_above_the_threshold():
    policy = typical_policy(cooling_off_threshold=5_000_000, cooling_off_new_payee_threshold=None)

    assert decide(policy, txn(channel="online_transfer", amount=4_999_999), NO_USAGE) == APPROVED
    assert decide(policy, txn(channel="online_transfer", amount=5_000_000), NO_USAGE) == Decision(
        "hold", (Reason.COOLING_OFF,)
    )
    assert decide(policy, txn(channel="pos", amount=5_000_000), NO_USAGE) == APPROVED  # not a transfer
    no_cooling_off = typical_policy(cooling_off_threshold=None, cooling_off_new_payee_threshold=None)
    assert decide(no_cooling_off, txn(channel="online_transfer", amount=5_000_000), NO_USAGE) == APPROVED


def test_new_payee_cooling_off_holds_the_first_transfer_to_an_unknown_payee():
    policy = typical_policy(cooling_off_new_payee_threshold=1_000_000)
    transfer = txn(channel="online_transfer", amount=1_000_000, counterparty="payee-hash")

    assert decide(policy, transfer, Usage(payee_known=False)) == Decision("hold", (Reason.NEW_PAYEE_COOLING_OFF,))
    assert decide(policy, transfer, Usage(payee_known=True)) == APPROVED
    assert decide(policy, txn(channel="online_transfer", amount=999_999), Usage(payee_known=False)) == APPROVED


def test_service_degraded_has_a_code_and_messages_though_the_engine_never_gives_it():
    assert Reason("service_degraded") is Reason.SERVICE_DEGRADED
    assert reason_message(Reason.SERVICE_DEGRADED)["en"]


def test_every_reason_has_a_message_in_both_languages():
    cjk = re.compile(r"[\u4e00-\u9fff]")
    assert set(MESSAGES) == set(Reason)
    for code in Reason:
        message = reason_message(code)
        assert set(message) == {"zh-Hans", "en"}
        assert cjk.search(message["zh-Hans"]), code
        assert message["en"].isascii() and message["en"].endswith("."), code
        if code in CUSTOMER_LOCK_REASONS:  # the customer is told where to change it
            assert "Security Center" in message["en"], code
            assert "安全中心" in message["zh-Hans"], code


def test_decision_renders_code_and_messages_most_important_first():
    decision = decide(typical_policy(freeze_all_outgoing=True, per_transaction_limit=1), txn(), NO_USAGE)

    assert decision.messages() == [
        {"code": "account_frozen", "message": reason_message(Reason.ACCOUNT_FROZEN)},
        {"code": "over_per_transaction_limit", "message": reason_message(Reason.OVER_PER_TRANSACTION_LIMIT)},
    ]


# --- limits ----------------------------------------------------------------------------------------


def test_absent_limits_mean_no_limit():
    policy = CompiledPolicy(account_id=1, version=1)

    assert decide(policy, txn(amount=10**12), Usage(spent_today=10**12, spent_this_month=10**13)) == APPROVED


def test_every_limit_that_is_exceeded_is_reported():
    policy = typical_policy(
        per_transaction_limit=100,
        daily_limit=1_000,
        monthly_limit=10_000,
        channel_limits=(ChannelLimits(channel="pos", per_transaction=50, daily=500, monthly=5_000),),
    )
    usage = Usage(spent_today=950, spent_this_month=9_950, channel_spent_today=450, channel_spent_this_month=4_950)

    assert reasons_of(policy, txn(amount=101), usage) == (
        Reason.OVER_PER_TRANSACTION_LIMIT,
        Reason.OVER_DAILY_LIMIT,
        Reason.OVER_MONTHLY_LIMIT,
        Reason.OVER_CHANNEL_PER_TRANSACTION_LIMIT,
        Reason.OVER_CHANNEL_DAILY_LIMIT,
        Reason.OVER_CHANNEL_MONTHLY_LIMIT,
    )


# --- time windows ----------------------------------------------------------------------------------


def test_time_window_bounds_are_start_inclusive_end_exclusive():
    policy = typical_policy(time_windows=(TimeWindow(days=ALL_DAYS, start_minute=9 * 60, end_minute=17 * 60),))

    assert reasons_of(policy, txn(initiated_at=at("2024-03-04 09:00"))) == ()
    assert reasons_of(policy, txn(initiated_at=at("2024-03-04 16:59:59"))) == ()
    assert reasons_of(policy, txn(initiated_at=at("2024-03-04 17:00"))) == (Reason.OUTSIDE_ALLOWED_TIME,)


def test_night_protection_blocks_midnight_to_six():
    night_protection = typical_policy(time_windows=(TimeWindow(days=ALL_DAYS, start_minute=360, end_minute=1440),))

    for local, allowed in [
        ("2024-03-04 00:00", False),
        ("2024-03-04 03:30", False),
        ("2024-03-04 05:59:59", False),
        ("2024-03-04 06:00", True),
        ("2024-03-04 23:59:59", True),
        ("2024-03-05 00:00", False),
    ]:
        assert (reasons_of(night_protection, txn(initiated_at=at(local))) == ()) is allowed, local


def test_a_window_crossing_midnight_continues_into_the_next_day():
    friday_night = typical_policy(time_windows=(TimeWindow(days=(4,), start_minute=22 * 60, end_minute=2 * 60),))

    for local, allowed in [
        ("2024-03-08 21:59", False),  # Friday
        ("2024-03-08 22:00", True),
        ("2024-03-08 23:59", True),
        ("2024-03-09 00:00", True),  # Saturday, still Friday's window
        ("2024-03-09 01:59", True),
        ("2024-03-09 02:00", False),
        ("2024-03-08 01:00", False),  # Friday morning belongs to Thursday's window, and there is none
        ("2024-03-09 23:00", False),  # Saturday night
    ]:
        assert (reasons_of(friday_night, txn(initiated_at=at(local))) == ()) is allowed, local


def test_a_sunday_window_crossing_midnight_runs_into_monday():
    sunday_night = typical_policy(time_windows=(TimeWindow(days=(6,), start_minute=23 * 60, end_minute=60),))

    assert reasons_of(sunday_night, txn(initiated_at=at("2024-03-11 00:30"))) == ()  # Monday
    assert reasons_of(sunday_night, txn(initiated_at=at("2024-03-10 00:30"))) == (Reason.OUTSIDE_ALLOWED_TIME,)


def test_any_of_several_windows_allows():
    policy = typical_policy(
        time_windows=(
            TimeWindow(days=(0, 1, 2, 3, 4), start_minute=8 * 60, end_minute=12 * 60),
            TimeWindow(days=(5, 6), start_minute=10 * 60, end_minute=20 * 60),
        )
    )

    assert reasons_of(policy, txn(initiated_at=at("2024-03-04 09:00"))) == ()  # Monday morning
    assert reasons_of(policy, txn(initiated_at=at("2024-03-04 15:00"))) == (Reason.OUTSIDE_ALLOWED_TIME,)
    assert reasons_of(policy, txn(initiated_at=at("2024-03-09 15:00"))) == ()  # Saturday afternoon


def test_time_windows_are_evaluated_in_the_customers_time_zone():
    office_hours = [TimeWindow(days=ALL_DAYS, start_minute=9 * 60, end_minute=17 * 60)]
    moment = at("2024-03-04 10:00", "Asia/Shanghai")  # = 2024-03-03 21:00 in New York
    shanghai = typical_policy(time_windows=tuple(office_hours))
    new_york = typical_policy(time_windows=tuple(office_hours), time_zone="America/New_York")

    assert reasons_of(shanghai, txn(initiated_at=moment)) == ()
    assert reasons_of(new_york, txn(initiated_at=moment)) == (Reason.OUTSIDE_ALLOWED_TIME,)


def test_spring_forward_uses_the_new_offset_from_the_transition():
    # New York: 2024-03-10 02:00 EST becomes 03:00 EDT (07:00 UTC).
    policy = typical_policy(
        time_zone="America/New_York", time_windows=(TimeWindow(days=ALL_DAYS, start_minute=3 * 60, end_minute=4 * 60),)
    )
    transition = datetime(2024, 3, 10, 7, 0, tzinfo=UTC).timestamp()

    assert reasons_of(policy, txn(initiated_at=transition - 1)) == (Reason.OUTSIDE_ALLOWED_TIME,)  # 01:59:59 EST
    assert reasons_of(policy, txn(initiated_at=transition)) == ()  # 03:00 EDT
    assert reasons_of(policy, txn(initiated_at=transition + 3599)) == ()  # 03:59:59 EDT
    assert reasons_of(policy, txn(initiated_at=transition + 3600)) == (Reason.OUTSIDE_ALLOWED_TIME,)


def test_fall_back_allows_both_passes_through_the_repeated_hour():
    # New York: 2024-11-03 01:00-02:00 happens twice, at 05:00 UTC (EDT) and 06:00 UTC (EST).
    policy = typical_policy(
        time_zone="America/New_York", time_windows=(TimeWindow(days=ALL_DAYS, start_minute=60, end_minute=120),)
    )
    first_pass = datetime(2024, 11, 3, 5, 0, tzinfo=UTC).timestamp()

    assert reasons_of(policy, txn(initiated_at=first_pass - 1)) == (Reason.OUTSIDE_ALLOWED_TIME,)
    assert reasons_of(policy, txn(initiated_at=first_pass + 1800)) == ()
    assert reasons_of(policy, txn(initiated_at=first_pass + 3600 + 1800)) == ()
    assert reasons_of(policy, txn(initiated_at=first_pass + 7200)) == (Reason.OUTSIDE_ALLOWED_TIME,)


@settings(max_examples=500, deadline=None)
@given(
    zone=st.sampled_from(
        [
            "Asia/Shanghai",
            "America/New_York",
            "Europe/London",
            "Australia/Lord_Howe",
            "Asia/Kathmandu",
            "Africa/Monrovia",
            "America/St_Johns",
            "Pacific/Chatham",
            "UTC",
        ]
    ),
    moment=st.one_of(
        st.integers(min_value=0, max_value=4_102_444_800),  # 1970..2100; Monrovia was -00:44:30 until 1972
        # Whole microseconds: datetime rounds to the nearest microsecond, the engine (rightly) does not.
        st.builds(lambda s, us: s + us / 1e6, st.integers(0, 4_102_444_800), st.integers(0, 999_999)),
    ),
)
def test_local_weekday_minute_agrees_with_datetime(zone, moment):
    local = datetime.fromtimestamp(moment, ZoneInfo(zone))
    expected = (local.weekday(), local.hour * 60 + local.minute)

    assert local_weekday_minute(zone, moment) == expected
    assert local_weekday_minute(zone, moment) == expected  # and again, from the cache


# --- regions and travel ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("regions", "country", "subdivision", "allowed"),
    [
        ({"CN"}, "CN", "CN-BJ", True),  # a country entry allows all its subdivisions
        ({"CN"}, "CN", None, True),
        ({"CN"}, "HK", None, False),
        ({"CN-AH"}, "CN", "CN-AH", True),
        ({"CN-AH"}, "CN", "CN-BJ", False),
        ({"CN-AH"}, "CN", None, False),  # an unknown province is not proved to be Anhui
        ({"CN-AH", "JP"}, "JP", "JP-13", True),
        ({"CN-AH"}, "US", "CN-AH", False),  # a subdivision of another country is ignored
    ],
)
def test_allow_list(regions, country, subdivision, allowed):
    policy = typical_policy(region_mode="allow", regions=frozenset(regions))

    reasons = reasons_of(policy, txn(country=country, subdivision=subdivision))

    assert (reasons == ()) is allowed


@pytest.mark.parametrize(
    ("regions", "country", "subdivision", "allowed"),
    [
        ({"CN-AH"}, "CN", "CN-AH", False),  # a subdivision entry blocks only that subdivision
        ({"CN-AH"}, "CN", "CN-BJ", True),
        ({"CN-AH"}, "CN", None, True),
        ({"US"}, "US", "US-CA", False),  # a country entry blocks all its subdivisions
        ({"US"}, "US", None, False),
        ({"US"}, "CN", "CN-AH", True),
        ({"CN-AH"}, "US", "CN-AH", True),  # a subdivision of another country is ignored
    ],
)
def test_block_list(regions, country, subdivision, allowed):
    policy = typical_policy(region_mode="block", regions=frozenset(regions))

    reasons = reasons_of(policy, txn(country=country, subdivision=subdivision))

    assert (reasons == ()) is allowed


def test_an_empty_allow_list_allows_nowhere_and_an_empty_block_list_blocks_nothing():
    assert reasons_of(typical_policy(region_mode="allow"), txn()) == (Reason.REGION_NOT_ALLOWED,)
    assert reasons_of(typical_policy(region_mode="block"), txn()) == ()


TRIP_START = int(datetime(2024, 7, 1, tzinfo=UTC).timestamp())
TRIP_END = TRIP_START + 14 * 86400


@pytest.mark.parametrize(
    ("moment", "active"),
    [
        (TRIP_START - 1, False),
        (TRIP_START, True),
        (TRIP_END - 1, True),
        (TRIP_END - 0.5, True),
        (TRIP_END, False),  # lapses by itself at its end
    ],
)
def test_travel_window_is_active_from_its_start_until_just_before_its_end(moment, active):
    policy = typical_policy(
        region_mode="allow",
        regions=frozenset({"CN"}),
        channels_off=frozenset({"cross_border"}),
        travel_windows=(TravelWindow(regions=frozenset({"JP"}), starts_at=TRIP_START, ends_at=TRIP_END),),
    )

    reasons = reasons_of(policy, txn(country="JP", subdivision="JP-13", initiated_at=moment))

    assert reasons == (() if active else (Reason.CROSS_BORDER_OFF, Reason.REGION_NOT_ALLOWED))


def test_travel_window_lifts_a_block_list_only_for_its_regions():
    policy = typical_policy(
        region_mode="block",
        regions=frozenset({"CN"}),
        travel_windows=(TravelWindow(regions=frozenset({"CN-YN"}), starts_at=TRIP_START, ends_at=TRIP_END),),
    )
    during = TRIP_START + 3600

    assert reasons_of(policy, txn(subdivision="CN-YN", initiated_at=during)) == ()
    assert reasons_of(policy, txn(subdivision="CN-AH", initiated_at=during)) == (Reason.REGION_NOT_ALLOWED,)
    assert reasons_of(policy, txn(subdivision=None, initiated_at=during)) == (Reason.REGION_NOT_ALLOWED,)


def test_travel_window_does_not_lift_other_locks():
    policy = typical_policy(
        channels_off=frozenset({"cross_border", "atm"}),
        per_transaction_limit=1_000,
        travel_windows=(TravelWindow(regions=frozenset({"FR"}), starts_at=TRIP_START, ends_at=TRIP_END),),
    )

    reasons = reasons_of(policy, txn(channel="atm", country="FR", subdivision=None, initiated_at=TRIP_START))

    assert reasons == (Reason.CHANNEL_OFF, Reason.OVER_PER_TRANSACTION_LIMIT)


# --- collecting and precedence ---------------------------------------------------------------------


def test_every_declining_reason_is_collected_and_no_hold_reason_with_them():
    policy = typical_policy(
        freeze_all_outgoing=True,
        freeze_card_not_present=True,
        channels_off=frozenset({"quick_pay", "cross_border"}),
        region_mode="block",
        regions=frozenset({"US"}),
        time_windows=(TimeWindow(days=(0,), start_minute=0, end_minute=60),),
        per_transaction_limit=100,
        cooling_off_threshold=100,
        cooling_off_new_payee_threshold=100,
    )
    transfer = txn(channel="quick_pay", transfer=True, country="US", subdivision="US-NY", amount=5_000)

    decision = decide(policy, transfer, Usage(payee_risk="medium"))

    assert decision.outcome == "decline"
    assert decision.reasons == (
        Reason.ACCOUNT_FROZEN,
        Reason.CARD_NOT_PRESENT_FROZEN,
        Reason.CHANNEL_OFF,
        Reason.CROSS_BORDER_OFF,
        Reason.REGION_NOT_ALLOWED,
        Reason.OUTSIDE_ALLOWED_TIME,
        Reason.OVER_PER_TRANSACTION_LIMIT,
    )


def test_decline_outranks_review_and_lists_only_the_decline():
    decision = decide(typical_policy(channels_off=frozenset({"pos"})), txn(), Usage(payee_risk="medium"))

    assert decision == Decision("decline", (Reason.CHANNEL_OFF,))


def test_decline_outranks_hold_and_never_mentions_the_cooling_off():
    policy = typical_policy(per_transaction_limit=1_000_000, cooling_off_threshold=1_000_000)

    decision = decide(policy, txn(channel="online_transfer", amount=1_000_001), NO_USAGE)

    assert decision == Decision("decline", (Reason.OVER_PER_TRANSACTION_LIMIT,))
    assert all("Held transfers" not in message["message"]["en"] for message in decision.messages())


def test_high_risk_payee_declines_without_the_cooling_off_hold():
    policy = typical_policy(cooling_off_threshold=100)

    decision = decide(policy, txn(channel="online_transfer"), Usage(payee_risk="high", payee_known=True))

    assert decision == Decision("decline", (Reason.PAYEE_HIGH_RISK,))


def test_a_monthly_limit_is_reported_as_the_monthly_limit():
    policy = typical_policy(daily_limit=20_000_000, monthly_limit=30_000_000)

    decision = decide(policy, txn(amount=10_000), Usage(spent_today=0, spent_this_month=29_995_000, payee_known=True))

    assert decision == Decision("decline", (Reason.OVER_MONTHLY_LIMIT,))
    assert "monthly limit" in decision.messages()[0]["message"]["en"]


def test_a_channel_limit_is_reported_as_the_channels_limit():
    policy = typical_policy(channel_limits=(ChannelLimits("atm", daily=50_000, monthly=60_000),))

    daily = decide(policy, txn(channel="atm", amount=10_000), Usage(channel_spent_today=45_000, payee_known=True))
    monthly = decide(
        policy, txn(channel="atm", amount=10_000), Usage(channel_spent_this_month=55_000, payee_known=True)
    )

    assert daily == Decision("decline", (Reason.OVER_CHANNEL_DAILY_LIMIT,))
    assert monthly == Decision("decline", (Reason.OVER_CHANNEL_MONTHLY_LIMIT,))


def test_several_hold_reasons_make_one_hold():
    policy = typical_policy(cooling_off_threshold=5_000, cooling_off_new_payee_threshold=1_000)

    decision = decide(policy, txn(channel="online_transfer", amount=6_000), Usage(payee_risk="medium"))

    assert decision == Decision("hold", (Reason.PAYEE_MEDIUM_RISK, Reason.COOLING_OFF, Reason.NEW_PAYEE_COOLING_OFF))


def test_a_risky_card_payment_goes_to_review_with_that_reason_alone():
    policy = typical_policy(cooling_off_threshold=100, cooling_off_new_payee_threshold=100)

    decision = decide(policy, txn(channel="pos", amount=5_000), Usage(payee_risk="medium"))

    assert decision == Decision("review", (Reason.PAYEE_MEDIUM_RISK,))


def test_the_decision_core_does_not_need_django():
    code = (
        "import sys; "
        "import locks.decision.engine, locks.decision.loosening, locks.decision.policy, locks.decision.reasons; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'rest_framework', 'redis')]; "
        "assert not bad, bad"
    )
    root = Path(__file__).resolve().parents[3]

    subprocess.run([sys.executable, "-c", code], cwd=root, check=True, env={"PYTHONPATH": str(root)})
