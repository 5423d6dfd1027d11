"""Compiled policy structures and their wire format; also the hypothesis strategies the engine and
loosening tests share."""

from datetime import UTC, datetime

import msgspec
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from locks.decision.policy import (
    ALL_DAYS,
    CHANNELS,
    ChannelLimits,
    CompiledPolicy,
    TimeWindow,
    Transaction,
    TravelWindow,
    Usage,
    policy_decode,
    policy_encode,
)

# Small pools so that random policies and transactions collide: the interesting cases are the ones where
# a transaction lands on a region, a window edge or a limit that a policy names.
ZONES = ["Asia/Shanghai", "America/New_York", "Europe/London", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]
COUNTRIES = ["CN", "US", "JP", "HK", "FR"]
SUBDIVISIONS = ["CN-AH", "CN-BJ", "CN-YN", "US-CA", "US-NY", "JP-13", "FR-IDF"]
REGIONS = COUNTRIES + SUBDIVISIONS
CURRENCIES = ["CNY", "USD"]
# 2024-03-01 .. 2024-04-15 UTC: the US, EU and Lord Howe DST changes all fall inside.
T_START = int(datetime(2024, 3, 1, tzinfo=UTC).timestamp())
T_END = int(datetime(2024, 4, 15, tzinfo=UTC).timestamp())
EDGE_MINUTES = [0, 1, 359, 360, 480, 1020, 1080, 1320, 1439, 1440]

small_amounts = st.integers(min_value=0, max_value=12_000)
limits = st.one_of(st.none(), small_amounts)
moments = st.integers(min_value=T_START, max_value=T_END)
rarely = st.integers(min_value=0, max_value=9).map(lambda n: n == 0)


@st.composite
def time_windows(draw: st.DrawFn) -> TimeWindow:
    days = draw(st.sets(st.integers(0, 6), min_size=1, max_size=7))
    start = draw(st.one_of(st.sampled_from(EDGE_MINUTES[:-1]), st.integers(0, 1439)))
    end = draw(st.one_of(st.sampled_from(EDGE_MINUTES), st.integers(0, 1440)).filter(lambda e: e != start))
    return TimeWindow(days=tuple(days), start_minute=start, end_minute=end)


@st.composite
def travel_windows(draw: st.DrawFn) -> TravelWindow:
    starts_at = draw(moments)
    length = draw(st.integers(min_value=1, max_value=20 * 86400))
    regions = draw(st.frozensets(st.sampled_from(REGIONS), min_size=1, max_size=3))
    return TravelWindow(regions=regions, starts_at=starts_at, ends_at=starts_at + length)


channel_limits_lists = st.lists(
    st.builds(ChannelLimits, channel=st.sampled_from(CHANNELS), per_transaction=limits, daily=limits, monthly=limits),
    max_size=3,
    unique_by=lambda limits: limits.channel,
).map(tuple)

policies = st.builds(
    CompiledPolicy,
    account_id=st.integers(min_value=1, max_value=2**40),
    version=st.integers(min_value=1, max_value=10_000),
    currency=st.sampled_from(CURRENCIES),
    home_country=st.sampled_from(["CN", "CN", "US"]),
    time_zone=st.sampled_from(ZONES),
    per_transaction_limit=limits,
    daily_limit=limits,
    monthly_limit=limits,
    channel_limits=channel_limits_lists,
    channels_off=st.frozensets(st.sampled_from(CHANNELS), max_size=3),
    region_mode=st.sampled_from(["any", "allow", "block"]),
    regions=st.frozensets(st.sampled_from(REGIONS), max_size=4),
    time_windows=st.lists(time_windows(), max_size=3).map(tuple),
    travel_windows=st.lists(travel_windows(), max_size=2).map(tuple),
    freeze_card_not_present=rarely,
    freeze_all_outgoing=rarely,
    cooling_off_threshold=limits,
    cooling_off_new_payee_threshold=limits,
)


places = st.tuples(st.sampled_from(COUNTRIES), st.one_of(st.none(), st.sampled_from(SUBDIVISIONS)))


def transactions(
    times: st.SearchStrategy[int] = moments, where: st.SearchStrategy[tuple[str, str | None]] = places
) -> st.SearchStrategy[Transaction]:
    @st.composite
    def build(draw: st.DrawFn) -> Transaction:
        country, subdivision = draw(where)
        return Transaction(
            transaction_id="t-1",
            account_id=1,
            amount=draw(st.integers(min_value=1, max_value=12_000)),
            currency=draw(st.sampled_from(CURRENCIES)),
            channel=draw(st.sampled_from(CHANNELS)),
            country=country,
            subdivision=subdivision,
            initiated_at=draw(times),
            counterparty=draw(st.one_of(st.none(), st.just("payee-hash"))),
            transfer=draw(st.booleans()),
        )

    return build()


spent = st.integers(min_value=0, max_value=6_000)
usages = st.builds(
    Usage,
    spent_today=spent,
    spent_this_month=spent,
    channel_spent_today=spent,
    channel_spent_this_month=spent,
    payee_risk=st.sampled_from([None, None, None, None, "medium", "high"]),
    payee_known=st.booleans(),
)


def typical_policy(**overrides: object) -> CompiledPolicy:
    fields: dict[str, object] = {
        "account_id": 1001,
        "version": 7,
        "per_transaction_limit": 5_000_000,
        "daily_limit": 20_000_000,
        "monthly_limit": 100_000_000,
        "cooling_off_threshold": 5_000_000,
        "cooling_off_new_payee_threshold": 1_000_000,
    }
    fields.update(overrides)
    return CompiledPolicy(**fields)


@settings(max_examples=500, deadline=None)
@given(policies)
def test_round_trip(policy):
    data = policy_encode(policy)

    assert policy_decode(data) == policy
    assert policy_encode(policy_decode(data)) == data


@settings(max_examples=200, deadline=None)
@given(policies)
def test_equal_policies_encode_to_equal_bytes(policy):
    rebuilt = msgspec.structs.replace(
        policy, regions=frozenset(sorted(policy.regions, reverse=True)), channels_off=frozenset(policy.channels_off)
    )

    assert policy_encode(rebuilt) == policy_encode(policy)


def test_defaults_are_omitted_so_a_typical_policy_is_small():
    assert len(policy_encode(CompiledPolicy(account_id=1, version=1))) <= 10
    assert len(policy_encode(typical_policy())) <= 48
    night = typical_policy(time_windows=(TimeWindow(days=ALL_DAYS, start_minute=360, end_minute=1440),))
    assert len(policy_encode(night)) <= 64


def test_decoded_policies_share_repeated_values():
    data = policy_encode(typical_policy(regions=frozenset({"CN", "HK"}), region_mode="allow", time_zone="Asia/Tokyo"))

    first, second = policy_decode(data), policy_decode(data)

    assert first.regions is second.regions
    assert first.time_zone is second.time_zone
    assert first.daily_limit is second.daily_limit
    assert first.channels_off is CompiledPolicy(account_id=1, version=1).channels_off


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"z": "Mars/Olympus_Mons"}, "time zone"),
        ({"R": ["cn"]}, "Expected `str` matching regex"),
        ({"R": ["CN-"]}, "Expected `str` matching regex"),
        ({"o": ["teleport"]}, "Invalid enum value"),
        ({"r": "sometimes"}, "Invalid enum value"),
        ({"d": -1}, "Expected `int` >= 0"),
        ({"c": "yuan"}, "Expected `str` matching regex"),
        ({"w": [[[0], 600, 600]]}, "must not be empty"),
        ({"w": [[[7], 0, 60]]}, "weekdays"),
        ({"w": [[[], 0, 60]]}, "weekdays"),
        ({"w": [[[1], 0, 1441]]}, "<= 1440"),
        ({"t": [[["JP"], 100, 100]]}, "end after it starts"),
        ({"l": [["atm", 1, None, None], ["atm", 2, None, None]]}, "more than one entry"),
    ],
)
def test_decode_rejects_bad_policies(change, message):
    fields = {"a": 1, "v": 1, **change}

    with pytest.raises(msgspec.ValidationError, match=message):
        policy_decode(msgspec.msgpack.encode(fields))


def test_decode_rejects_garbage():
    with pytest.raises(msgspec.DecodeError):
        policy_decode(b"\xc1not msgpack")


def test_time_window_days_are_normalised():
    assert TimeWindow(days=(4, 0, 4), start_minute=0, end_minute=60).days == (0, 4)


def test_transfer_is_the_transfer_channel_or_the_flag():
    base = {"transaction_id": "t", "account_id": 1, "amount": 1, "currency": "CNY", "country": "CN", "initiated_at": 0}

    assert Transaction(channel="online_transfer", **base).is_transfer
    assert Transaction(channel="quick_pay", transfer=True, **base).is_transfer
    assert not Transaction(channel="pos", **base).is_transfer
