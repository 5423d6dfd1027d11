"""Whether a policy change loosens: the property that defines it, and the changes customers make."""

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import msgspec
import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from locks.decision.engine import decide
from locks.decision.loosening import MINUTES_PER_WEEK, is_loosening, loosened_fields, time_coverage
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
    zone_info,
)
from locks.decision.reasons import Reason
from tests.locks.decision.test_policy import (
    COUNTRIES,
    EDGE_MINUTES,
    REGIONS,
    SUBDIVISIONS,
    T_START,
    ZONES,
    moments,
    places,
    policies,
    time_windows,
    transactions,
    travel_windows,
    typical_policy,
    usages,
)

# How refusing each outcome is: a loosening lets some payment through with a milder outcome than before.
OUTCOME_SEVERITY = {"approve": 0, "hold": 1, "review": 2, "decline": 3}

Draw = Callable[[st.SearchStrategy[Any]], Any]
LIMIT_FIELDS = (
    "per_transaction_limit",
    "daily_limit",
    "monthly_limit",
    "cooling_off_threshold",
    "cooling_off_new_payee_threshold",
)
REPLACEABLE = [name for name in CompiledPolicy.__struct_fields__ if name not in ("account_id", "version")]


def replace(policy: CompiledPolicy, **changes: Any) -> CompiledPolicy:
    return msgspec.structs.replace(policy, **changes)


# --- edits: any edit (for the property) and tightening edits (for the converse) ---------------------


def edit_replace_field(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    name = draw(st.sampled_from(REPLACEABLE))
    return replace(policy, **{name: getattr(draw(policies), name)})


def edit_nudge_limit(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    name = draw(st.sampled_from(LIMIT_FIELDS))
    value = getattr(policy, name)
    if value is None or draw(st.booleans()):
        return replace(policy, **{name: draw(st.one_of(st.none(), st.integers(0, 12_000)))})
    return replace(policy, **{name: max(0, value + draw(st.sampled_from([-100, -1, 1, 100])))})


def edit_channel_limits(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    channel = draw(st.sampled_from(CHANNELS))
    kept = tuple(limits for limits in policy.channel_limits if limits.channel != channel)
    current = policy.limits_for(channel)
    if current is not None and draw(st.booleans()):
        return replace(policy, channel_limits=kept)
    limit = st.one_of(st.none(), st.integers(0, 12_000))
    added = ChannelLimits(channel=channel, per_transaction=draw(limit), daily=draw(limit), monthly=draw(limit))
    return replace(policy, channel_limits=(*kept, added))


def edit_toggle_channel(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    channel = draw(st.sampled_from(CHANNELS))
    return replace(policy, channels_off=policy.channels_off ^ {channel})


def edit_toggle_region(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    region = draw(st.sampled_from(REGIONS))
    return replace(policy, regions=policy.regions ^ {region})


def edit_region_mode(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    return replace(policy, region_mode=draw(st.sampled_from(["any", "allow", "block"])))


def edit_time_windows(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    windows = list(policy.time_windows)
    choice = draw(st.sampled_from(["add", "remove", "shift"]))
    if choice == "add" or not windows:
        windows.append(draw(time_windows()))
    elif choice == "remove":
        windows.pop(draw(st.integers(0, len(windows) - 1)))
    else:
        index = draw(st.integers(0, len(windows) - 1))
        window = windows[index]
        start = min(1439, max(0, window.start_minute + draw(st.sampled_from([-1, 0, 1]))))
        end = min(1440, max(0, window.end_minute + draw(st.sampled_from([-1, 0, 1]))))
        if start != end:
            windows[index] = TimeWindow(days=window.days, start_minute=start, end_minute=end)
    return replace(policy, time_windows=tuple(windows))


def edit_travel_windows(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    windows = list(policy.travel_windows)
    choice = draw(st.sampled_from(["add", "remove", "shift", "regions"]))
    if choice == "add" or not windows:
        windows.append(draw(travel_windows()))
    elif choice == "remove":
        windows.pop(draw(st.integers(0, len(windows) - 1)))
    else:
        index = draw(st.integers(0, len(windows) - 1))
        window = windows[index]
        if choice == "shift":
            starts_at = window.starts_at + draw(st.sampled_from([-1, 0, 1]))
            ends_at = window.ends_at + draw(st.sampled_from([-1, 0, 1]))
            if starts_at < ends_at:
                windows[index] = TravelWindow(regions=window.regions, starts_at=starts_at, ends_at=ends_at)
        else:
            regions = window.regions ^ {draw(st.sampled_from(REGIONS))}
            if regions:
                windows[index] = TravelWindow(regions=regions, starts_at=window.starts_at, ends_at=window.ends_at)
    return replace(policy, travel_windows=tuple(windows))


def edit_time_zone(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    return replace(policy, time_zone=draw(st.sampled_from(ZONES)))


def edit_home_country(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    return replace(policy, home_country=draw(st.sampled_from(COUNTRIES)))


def edit_region_entry_scope(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    """Swap a region entry for its country or one of its subdivisions, maybe switching the list's mode."""
    if not policy.regions:
        return policy
    entry = draw(st.sampled_from(sorted(policy.regions)))
    if len(entry) > 2:
        other = entry[:2]
    else:
        subdivisions = [region for region in SUBDIVISIONS if region.startswith(entry + "-")]
        other = draw(st.sampled_from(subdivisions)) if subdivisions else entry
    regions = policy.regions - {entry} | {other}
    return replace(policy, regions=regions, region_mode=draw(st.sampled_from([policy.region_mode, "allow", "block"])))


def edit_toggle_freeze(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    name = draw(st.sampled_from(["freeze_all_outgoing", "freeze_card_not_present"]))
    return replace(policy, **{name: not getattr(policy, name)})


# The subtle parts (regions, travel, time) are edited three times as often as the plain comparisons.
SUBTLE_EDITS = [
    edit_toggle_region,
    edit_region_mode,
    edit_region_entry_scope,
    edit_time_windows,
    edit_time_zone,
    edit_travel_windows,
    edit_home_country,
]
EDITS = [
    edit_replace_field,
    edit_nudge_limit,
    edit_channel_limits,
    edit_toggle_channel,
    edit_toggle_freeze,
    *SUBTLE_EDITS * 3,
]


@st.composite
def edited(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    """`policy` after a few edits: some loosen, some tighten, some do neither."""
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        policy = draw(st.sampled_from(EDITS))(draw, policy)
    return policy


def tighten_limit(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    name = draw(st.sampled_from(LIMIT_FIELDS))
    value = getattr(policy, name)
    lowered = draw(st.integers(0, 12_000)) if value is None else max(0, value - draw(st.integers(0, 100)))
    return replace(policy, **{name: lowered})


def tighten_channel_limit(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    channel = draw(st.sampled_from(CHANNELS))
    current = policy.limits_for(channel) or ChannelLimits(channel=channel)
    kind = draw(st.sampled_from(["per_transaction", "daily", "monthly"]))
    value = getattr(current, kind)
    lowered = draw(st.integers(0, 12_000)) if value is None else max(0, value - draw(st.integers(0, 100)))
    kept = tuple(limits for limits in policy.channel_limits if limits.channel != channel)
    return replace(policy, channel_limits=(*kept, replace(current, **{kind: lowered})))


def tighten_switch_off(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    return replace(policy, channels_off=policy.channels_off | {draw(st.sampled_from(CHANNELS))})


def tighten_freeze(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    name = draw(st.sampled_from(["freeze_all_outgoing", "freeze_card_not_present"]))
    return replace(policy, **{name: True})


def tighten_regions(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    region = draw(st.sampled_from(REGIONS))
    if policy.region_mode == "any":
        mode = draw(st.sampled_from(["allow", "block"]))
        return replace(policy, region_mode=mode, regions=draw(st.frozensets(st.sampled_from(REGIONS), max_size=3)))
    if policy.region_mode == "block":
        return replace(policy, regions=policy.regions | {region})
    if region in policy.regions and len(region) == 2 and draw(st.booleans()):
        subdivisions = [r for r in REGIONS if r.startswith(region + "-")]
        narrower = frozenset(draw(st.lists(st.sampled_from(subdivisions), max_size=2))) if subdivisions else set()
        return replace(policy, regions=(policy.regions - {region}) | narrower)
    return replace(policy, regions=policy.regions - {region})


def tighten_time_windows(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    windows = list(policy.time_windows)
    if not windows:
        return replace(policy, time_windows=(draw(time_windows()),))
    index = draw(st.integers(0, len(windows) - 1))
    window = windows[index]
    choice = draw(st.sampled_from(["remove", "later_start", "fewer_days"]))
    if choice == "remove" and len(windows) > 1:
        windows.pop(index)
    elif choice == "fewer_days" and len(window.days) > 1:
        days = window.days[:-1]
        windows[index] = TimeWindow(days=days, start_minute=window.start_minute, end_minute=window.end_minute)
    else:
        start = window.start_minute + 1
        crossing = window.start_minute > window.end_minute
        if start < 1440 and (start < window.end_minute or crossing) and start != window.end_minute:
            windows[index] = TimeWindow(days=window.days, start_minute=start, end_minute=window.end_minute)
    return replace(policy, time_windows=tuple(windows))


def tighten_travel(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    windows = list(policy.travel_windows)
    if not windows:
        return policy
    index = draw(st.integers(0, len(windows) - 1))
    window = windows[index]
    choice = draw(st.sampled_from(["remove", "end_earlier", "start_later", "fewer_regions"]))
    if choice == "remove":
        windows.pop(index)
    elif choice == "end_earlier" and window.ends_at - window.starts_at > 1:
        windows[index] = replace(
            window, ends_at=window.ends_at - draw(st.integers(1, window.ends_at - window.starts_at - 1))
        )
    elif choice == "start_later" and window.ends_at - window.starts_at > 1:
        windows[index] = replace(window, starts_at=window.ends_at - 1)
    elif choice == "fewer_regions" and len(window.regions) > 1:
        windows[index] = replace(window, regions=window.regions - {min(window.regions)})
    return replace(policy, travel_windows=tuple(windows))


TIGHTENINGS = [
    tighten_limit,
    tighten_channel_limit,
    tighten_switch_off,
    tighten_freeze,
    tighten_regions,
    tighten_time_windows,
    tighten_travel,
]


@st.composite
def tightened(draw: Draw, policy: CompiledPolicy) -> CompiledPolicy:
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        policy = draw(st.sampled_from(TIGHTENINGS))(draw, policy)
    return policy


def edge_moments(*policies_: CompiledPolicy) -> st.SearchStrategy[int]:
    """Random moments, and moments at the edges of the policies' travel and time windows."""
    travel_edges = [
        edge + delta
        for policy in policies_
        for window in policy.travel_windows
        for edge in (window.starts_at, window.ends_at)
        for delta in (-1, 0)
    ]
    window_minutes = [
        minute for policy in policies_ for w in policy.time_windows for minute in (w.start_minute, w.end_minute)
    ]
    local_edges = {minute + delta for minute in (*window_minutes, *EDGE_MINUTES) for delta in (-1, 0)}
    zones = sorted({policy.time_zone for policy in policies_})

    @st.composite
    def local_edge(draw: Draw) -> int:
        zone = zone_info(draw(st.sampled_from(zones)))
        day = datetime.fromtimestamp(draw(moments), zone).replace(hour=0, minute=0, second=0, microsecond=0)
        minute = draw(st.sampled_from(sorted(local_edges)))
        return int((day.replace(tzinfo=None) + timedelta(minutes=minute)).replace(tzinfo=zone).timestamp())

    options: list[st.SearchStrategy[int]] = [moments, local_edge()]
    if travel_edges:
        options.append(st.sampled_from(travel_edges))
    return st.one_of(options)


def named_places(*policies_: CompiledPolicy) -> st.SearchStrategy[tuple[str, str | None]]:
    """Random places, and places in or next to the regions the policies name."""
    named = {region for policy in policies_ for region in policy.regions}
    named |= {region for policy in policies_ for window in policy.travel_windows for region in window.regions}
    near: set[tuple[str, str | None]] = set()
    for region in named:
        country = region[:2]
        near.add((country, None))
        near.update((country, subdivision) for subdivision in SUBDIVISIONS if subdivision.startswith(country + "-"))
    return st.one_of(places, st.sampled_from(sorted(near, key=str))) if near else places


def refused_something_new_lets_through(old: CompiledPolicy, new: CompiledPolicy, transaction, usage) -> bool:
    before = decide(old, transaction, usage)
    after = decide(new, transaction, usage)
    milder = OUTCOME_SEVERITY[after.outcome] < OUTCOME_SEVERITY[before.outcome]
    # A harsher outcome lists only its own reasons (a decline drops the hold's): not a loosening.
    dropped = set(before.reasons) - set(after.reasons) if after.outcome == before.outcome else set()
    if milder:
        event("the new policy gives a milder outcome")
    if dropped:
        event("the new policy drops a reason")
    return milder or bool(dropped)


# --- the property ----------------------------------------------------------------------------------


@settings(max_examples=1000, deadline=None)
@given(data=st.data())
def test_a_change_that_lets_through_what_was_refused_is_a_loosening(data):
    """If the new policy approves (or treats more mildly, or drops a reason for) a transaction the old one
    refused, the change is a loosening."""
    old = data.draw(policies, label="old")
    new = data.draw(edited(old), label="new")
    cases = data.draw(
        st.lists(
            st.tuples(transactions(edge_moments(old, new), named_places(old, new)), usages), min_size=1, max_size=20
        )
    )
    loosening = is_loosening(old, new)
    event(f"loosening: {loosening}")

    for transaction, usage in cases:
        if refused_something_new_lets_through(old, new, transaction, usage):
            assert loosening, (loosened_fields(old, new), transaction, usage)


@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_two_unrelated_policies_obey_the_property_too(data):
    old = data.draw(policies, label="old")
    new = data.draw(policies, label="new")
    cases = data.draw(
        st.lists(
            st.tuples(transactions(edge_moments(old, new), named_places(old, new)), usages), min_size=1, max_size=20
        )
    )

    for transaction, usage in cases:
        if refused_something_new_lets_through(old, new, transaction, usage):
            assert is_loosening(old, new), (loosened_fields(old, new), transaction, usage)


@settings(max_examples=500, deadline=None)
@given(data=st.data())
def test_tightening_is_not_a_loosening_and_never_lets_more_through(data):
    old = data.draw(policies, label="old")
    new = data.draw(tightened(old), label="new")

    assert loosened_fields(old, new) == []
    for transaction, usage in data.draw(
        st.lists(st.tuples(transactions(edge_moments(old), named_places(old)), usages), max_size=10)
    ):
        before = decide(old, transaction, usage)
        after = decide(new, transaction, usage)
        assert OUTCOME_SEVERITY[after.outcome] >= OUTCOME_SEVERITY[before.outcome]
        if after.outcome == before.outcome:
            assert set(before.reasons) <= set(after.reasons)


@settings(max_examples=500, deadline=None)
@given(policies)
def test_an_unchanged_policy_is_not_a_loosening(policy):
    assert loosened_fields(policy, policy) == []
    assert not is_loosening(policy, policy_decode(policy_encode(policy)))
    assert not is_loosening(policy, replace(policy, version=policy.version + 1))


# --- the changes customers make --------------------------------------------------------------------

TRIP = TravelWindow(regions=frozenset({"JP"}), starts_at=T_START, ends_at=T_START + 7 * 86400)
OFFICE = TimeWindow(days=(0, 1, 2, 3, 4), start_minute=9 * 60, end_minute=17 * 60)
NIGHT_PROTECTION = TimeWindow(days=ALL_DAYS, start_minute=360, end_minute=1440)
LONGER_TRIP = replace(TRIP, ends_at=TRIP.ends_at + 1)
TRIP_WITH_HK = replace(TRIP, regions=frozenset({"JP", "HK"}))
NO_CROSS_BORDER = frozenset({"cross_border"})
NEW_PAYEE = "cooling_off_new_payee_threshold"


@pytest.mark.parametrize(
    ("old", "new", "fields"),
    [
        ({"daily_limit": 1000}, {"daily_limit": 2000}, ["daily_limit"]),
        ({"daily_limit": 1000}, {"daily_limit": None}, ["daily_limit"]),
        ({"per_transaction_limit": 1000}, {"per_transaction_limit": 1001}, ["per_transaction_limit"]),
        ({"monthly_limit": 1000}, {"monthly_limit": None}, ["monthly_limit"]),
        ({"cooling_off_threshold": 5_000_000}, {"cooling_off_threshold": 8_000_000}, ["cooling_off_threshold"]),
        (
            {"cooling_off_new_payee_threshold": 1},
            {"cooling_off_new_payee_threshold": None},
            ["cooling_off_new_payee_threshold"],
        ),
        ({"channels_off": frozenset({"atm", "pos"})}, {"channels_off": frozenset({"atm"})}, ["channels_off"]),
        ({"freeze_all_outgoing": True}, {}, ["freeze_all_outgoing"]),
        ({"freeze_card_not_present": True}, {}, ["freeze_card_not_present"]),
        ({"time_windows": (OFFICE,)}, {}, ["time_windows"]),
        ({"time_windows": (OFFICE,)}, {"time_windows": (replace(OFFICE, end_minute=18 * 60),)}, ["time_windows"]),
        ({"time_windows": (OFFICE,)}, {"time_windows": (OFFICE, NIGHT_PROTECTION)}, ["time_windows"]),
        ({"time_windows": (OFFICE,)}, {"time_windows": (OFFICE,), "time_zone": "Europe/London"}, ["time_zone"]),
        ({}, {"travel_windows": (TRIP,)}, ["travel_windows"]),
        (
            {"travel_windows": (TRIP,)},
            {"travel_windows": (replace(TRIP, ends_at=TRIP.ends_at + 1),)},
            ["travel_windows"],
        ),
        (
            {"travel_windows": (TRIP,)},
            {"travel_windows": (replace(TRIP, regions=frozenset({"JP", "HK"})),)},
            ["travel_windows"],
        ),
        (
            {"channels_off": frozenset({"cross_border"})},
            {"channels_off": frozenset({"cross_border"}), "home_country": "US"},
            ["home_country"],
        ),
        ({}, {"currency": "USD"}, ["currency"]),
        (
            {"channel_limits": (ChannelLimits(channel="atm", daily=100),)},
            {},
            ["channel_limits.atm.daily"],
        ),
        (
            {"channel_limits": (ChannelLimits(channel="atm", daily=100, monthly=1000),)},
            {"channel_limits": (ChannelLimits(channel="atm", daily=100, monthly=1001),)},
            ["channel_limits.atm.monthly"],
        ),
        (
            {"freeze_all_outgoing": True, "daily_limit": 1, "channels_off": frozenset({"atm"})},
            {},
            ["freeze_all_outgoing", "channels_off", "daily_limit"],
        ),
    ],
)
def test_loosening_changes(old, new, fields):
    before = typical_policy(**old)
    after = typical_policy(**new)

    assert loosened_fields(before, after) == fields
    assert is_loosening(before, after)
    assert not is_loosening(after, before) or fields in (["time_zone"], ["currency"], ["home_country"])


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ({"daily_limit": 2000}, {"daily_limit": 1000}),
        ({"daily_limit": None}, {"daily_limit": 1000}),
        ({"cooling_off_threshold": None}, {"cooling_off_threshold": 1}),
        ({}, {"channels_off": frozenset({"cross_border"})}),
        ({}, {"freeze_all_outgoing": True, "freeze_card_not_present": True}),
        ({}, {"time_windows": (NIGHT_PROTECTION,)}),
        ({"time_windows": (NIGHT_PROTECTION,)}, {"time_windows": (OFFICE,)}),
        ({"time_windows": (OFFICE,)}, {"time_windows": (OFFICE,) * 2}),
        ({}, {"time_zone": "America/New_York"}),  # no time windows: the zone decides nothing
        ({"travel_windows": (TRIP,)}, {}),
        ({"travel_windows": (TRIP,)}, {"travel_windows": (replace(TRIP, ends_at=TRIP.ends_at - 1),)}),
        ({"travel_windows": (TRIP,)}, {"travel_windows": (replace(TRIP, regions=frozenset({"JP-13"})),)}),
        (
            {"travel_windows": (TRIP,)},
            {
                "travel_windows": (
                    replace(TRIP, ends_at=TRIP.starts_at + 86400),
                    replace(TRIP, starts_at=TRIP.starts_at + 86400),
                )
            },
        ),
        ({}, {"channel_limits": (ChannelLimits(channel="pos", per_transaction=1),)}),
        ({"home_country": "CN"}, {"home_country": "US"}),  # cross-border is on: nothing was refused for it
        ({}, {"version": 8}),
    ],
)
def test_tightening_or_neutral_changes(old, new):
    assert loosened_fields(typical_policy(**old), typical_policy(**new)) == []


@pytest.mark.parametrize(
    ("old", "new", "loosens"),
    [
        (("any", set()), ("allow", {"CN"}), False),
        (("any", set()), ("block", {"US"}), False),
        (("allow", {"CN"}), ("any", set()), True),
        (("block", {"US"}), ("any", set()), True),
        (("block", set()), ("any", set()), False),
        (("allow", {"CN"}), ("allow", {"CN-AH"}), False),
        (("allow", {"CN-AH"}), ("allow", {"CN"}), True),
        (("allow", {"CN"}), ("allow", {"CN", "CN-AH"}), False),
        (("allow", {"CN"}), ("allow", {"CN", "HK"}), True),
        (("allow", {"CN"}), ("block", {"US"}), True),
        (("block", {"CN-AH"}), ("block", {"CN"}), False),
        (("block", {"CN"}), ("block", {"CN-AH"}), True),
        (("block", {"CN", "CN-AH"}), ("block", {"CN"}), False),
        (("block", {"US"}), ("block", {"US", "JP"}), False),
        (("block", {"US"}), ("allow", {"CN"}), False),
        (("block", {"CN-AH"}), ("allow", {"CN"}), True),
        (("block", {"CN-AH"}), ("allow", {"CN-BJ"}), False),
        (("block", {"CN"}), ("allow", {"CN-BJ"}), True),
    ],
)
def test_region_changes(old, new, loosens):
    before = typical_policy(region_mode=old[0], regions=frozenset(old[1]))
    after = typical_policy(region_mode=new[0], regions=frozenset(new[1]))

    assert is_loosening(before, after) is loosens


def test_time_coverage_counts_minutes_of_the_week():
    assert time_coverage(()) == (1 << MINUTES_PER_WEEK) - 1
    assert bin(time_coverage((NIGHT_PROTECTION,))).count("1") == 7 * 18 * 60
    sunday_night = TimeWindow(days=(6,), start_minute=23 * 60, end_minute=60)
    assert time_coverage((sunday_night,)) == (((1 << 60) - 1) << (6 * 1440 + 23 * 60)) | ((1 << 60) - 1)


def test_the_same_hours_written_differently_are_not_a_loosening():
    one = typical_policy(time_windows=(TimeWindow(days=(4,), start_minute=22 * 60, end_minute=2 * 60),))
    two = typical_policy(
        time_windows=(
            TimeWindow(days=(4,), start_minute=22 * 60, end_minute=1440),
            TimeWindow(days=(5,), start_minute=0, end_minute=2 * 60),
        )
    )

    assert not is_loosening(one, two)
    assert not is_loosening(two, one)


# --- exactness of the subtle parts -----------------------------------------------------------------
# Region, travel and time comparisons are exact, not just safe: checked here against the engine itself
# over every place and every moment that can make a difference.

FAMILY = ["CN", "CN-AH", "CN-BJ", "JP", "JP-13"]
# "DE" is named by no list: every allow-list refuses it and every block-list lets it through.
EVERY_PLACE = [("CN", None), ("CN", "CN-AH"), ("CN", "CN-BJ"), ("CN", "CN-YN"), ("JP", None), ("JP", "JP-13")]
EVERY_PLACE += [("JP", "JP-01"), ("DE", None), ("DE", "DE-BE"), ("CN", "JP-13")]
family_regions = st.frozensets(st.sampled_from(FAMILY), max_size=4)
BASE = T_START


def place_refused(policy: CompiledPolicy, country: str, subdivision: str | None, moment: int) -> bool:
    transaction = Transaction(
        transaction_id="t",
        account_id=1,
        amount=1,
        currency="CNY",
        channel="pos",
        country=country,
        subdivision=subdivision,
        initiated_at=moment,
    )
    return Reason.REGION_NOT_ALLOWED in decide(policy, transaction, Usage()).reasons


@settings(max_examples=1000, deadline=None)
@given(
    old=st.tuples(st.sampled_from(["any", "allow", "block"]), family_regions),
    new=st.tuples(st.sampled_from(["any", "allow", "block"]), family_regions),
)
def test_region_comparison_is_exact(old, new):
    before = CompiledPolicy(account_id=1, version=1, region_mode=old[0], regions=old[1])
    after = CompiledPolicy(account_id=1, version=2, region_mode=new[0], regions=new[1])

    lets_through = any(
        place_refused(before, *place, BASE) and not place_refused(after, *place, BASE) for place in EVERY_PLACE
    )

    assert ("regions" in loosened_fields(before, after)) is lets_through


family_travel = st.builds(
    lambda regions, start, length: TravelWindow(regions=regions, starts_at=BASE + start, ends_at=BASE + start + length),
    st.frozensets(st.sampled_from(FAMILY), min_size=1, max_size=2),
    st.sampled_from([0, 100, 199, 200, 201, 300]),
    st.sampled_from([1, 99, 100, 101, 200]),
)


@settings(max_examples=1000, deadline=None)
@given(old=st.lists(family_travel, max_size=3), new=st.lists(family_travel, max_size=3))
def test_travel_window_comparison_is_exact(old, new):
    # An empty allow-list refuses everywhere, so only travel windows let a payment through.
    before = CompiledPolicy(account_id=1, version=1, region_mode="allow", travel_windows=tuple(old))
    after = CompiledPolicy(account_id=1, version=2, region_mode="allow", travel_windows=tuple(new))
    edges = {edge + delta for window in old + new for edge in (window.starts_at, window.ends_at) for delta in (-1, 0)}

    lets_through = any(
        place_refused(before, *place, moment) and not place_refused(after, *place, moment)
        for place in EVERY_PLACE
        for moment in edges
    )

    assert ("travel_windows" in loosened_fields(before, after)) is lets_through


WEEK_MINUTES = range(MINUTES_PER_WEEK)
MONDAY_UTC = int(datetime(2024, 3, 4, tzinfo=zone_info("UTC")).timestamp())


def minutes_allowed(policy: CompiledPolicy) -> set[int]:
    refused = Reason.OUTSIDE_ALLOWED_TIME
    allowed = set()
    for minute in WEEK_MINUTES:
        transaction = Transaction(
            transaction_id="t",
            account_id=1,
            amount=1,
            currency="CNY",
            channel="pos",
            country="CN",
            initiated_at=MONDAY_UTC + minute * 60,
        )
        if refused not in decide(policy, transaction, Usage()).reasons:
            allowed.add(minute)
    return allowed


@settings(max_examples=200, deadline=None)
@given(old=st.lists(time_windows(), max_size=2), new=st.lists(time_windows(), max_size=2))
def test_time_window_comparison_is_exact(old, new):
    before = CompiledPolicy(account_id=1, version=1, time_zone="UTC", time_windows=tuple(old))
    after = CompiledPolicy(account_id=1, version=2, time_zone="UTC", time_windows=tuple(new))

    assert time_coverage(before.time_windows) == sum(1 << minute for minute in minutes_allowed(before))
    lets_through = bool(minutes_allowed(after) - minutes_allowed(before))
    assert ("time_windows" in loosened_fields(before, after)) is lets_through
