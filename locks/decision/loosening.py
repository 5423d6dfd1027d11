"""Whether a policy change loosens: the one place that decides if a change needs proof (an OTP, a delay).

A change loosens iff some transaction, at some time, with some usage, could be refused (declined, held or
sent to review) under the old policy and get a milder outcome under the new one. Each check in the engine
reads its own part of the policy, so the comparison goes part by part; where the exact answer would need
the calendar (a time zone change) or an unbounded set (every country in the world), it errs towards
"loosens", which only ever asks for a password that was not strictly needed. Pure: no Django, no I/O.
"""

from collections.abc import Iterable
from typing import Final

from locks.decision.policy import CROSS_BORDER, MINUTES_PER_DAY, CompiledPolicy, TimeWindow, TravelWindow

MINUTES_PER_WEEK: Final = 7 * MINUTES_PER_DAY
_WHOLE_WEEK: Final = (1 << MINUTES_PER_WEEK) - 1
_POLICY_LIMITS: Final = ("per_transaction_limit", "daily_limit", "monthly_limit")
_CHANNEL_LIMITS: Final = ("per_transaction", "daily", "monthly")
_THRESHOLDS: Final = ("cooling_off_threshold", "cooling_off_new_payee_threshold", "call_back_new_payee_threshold")


def is_loosening(old: CompiledPolicy, new: CompiledPolicy) -> bool:
    return bool(loosened_fields(old, new))


def loosened_fields(old: CompiledPolicy, new: CompiledPolicy) -> list[str]:
    """The parts of the policy that let through something `old` refused, for messages and the log."""
    loosened: list[str] = []
    if old.freeze_all_outgoing and not new.freeze_all_outgoing:
        loosened.append("freeze_all_outgoing")
    if old.freeze_card_not_present and not new.freeze_card_not_present:
        loosened.append("freeze_card_not_present")
    if old.currency != new.currency:
        loosened.append("currency")  # a payment in the new currency was refused as a mismatch
    if old.channels_off - new.channels_off:
        loosened.append("channels_off")
    if old.home_country != new.home_country and CROSS_BORDER in old.channels_off:
        loosened.append("home_country")  # a payment in the new home country is no longer cross-border
    if _regions_widened(old, new):
        loosened.append("regions")
    if _travel_widened(old.travel_windows, new.travel_windows):
        loosened.append("travel_windows")
    old_hours = time_coverage(old.time_windows)
    if old_hours != _WHOLE_WEEK:
        if old.time_zone != new.time_zone:
            loosened.append("time_zone")
        if time_coverage(new.time_windows) & ~old_hours:
            loosened.append("time_windows")
    for name in _POLICY_LIMITS:
        if _raised(getattr(old, name), getattr(new, name)):
            loosened.append(name)
    for old_limits in old.channel_limits:
        new_limits = new.limits_for(old_limits.channel)
        for kind in _CHANNEL_LIMITS:
            new_limit = None if new_limits is None else getattr(new_limits, kind)
            if _raised(getattr(old_limits, kind), new_limit):
                loosened.append(f"channel_limits.{old_limits.channel}.{kind}")
    for name in _THRESHOLDS:
        if _raised(getattr(old, name), getattr(new, name)):
            loosened.append(name)
    return loosened


def _raised(old: int | None, new: int | None) -> bool:
    """A limit or threshold refuses less: removed (None) or raised."""
    return old is not None and (new is None or new > old)


def time_coverage(windows: Iterable[TimeWindow]) -> int:
    """The local minutes of the week the windows allow, as bits (Monday 00:00 is bit 0); no windows = all."""
    covered = 0
    empty = True
    for window in windows:
        empty = False
        for day in window.days:
            base = day * MINUTES_PER_DAY
            if window.start_minute < window.end_minute:
                covered |= _minute_bits(base + window.start_minute, base + window.end_minute)
            else:
                covered |= _minute_bits(base + window.start_minute, base + MINUTES_PER_DAY)
                next_day = (day + 1) % 7 * MINUTES_PER_DAY  # Sunday night runs into Monday morning
                covered |= _minute_bits(next_day, next_day + window.end_minute)
    return _WHOLE_WEEK if empty else covered


def _minute_bits(start: int, end: int) -> int:
    return ((1 << (end - start)) - 1) << start


def _is_subdivision(region: str) -> bool:
    return len(region) > 2  # "CN-AH"; region codes are validated when the policy is decoded


def _allow_list_matches_all_of(regions: frozenset[str], region: str) -> bool:
    """Every payment `region` matches is matched by the allow-list `regions` too."""
    return region in regions or (_is_subdivision(region) and region[:2] in regions)


def _block_list_refuses_some_of(regions: frozenset[str], region: str) -> bool:
    """Some payment `region` matches is refused by the block-list `regions`."""
    if region in regions:
        return True
    if _is_subdivision(region):
        return region[:2] in regions
    return any(_is_subdivision(blocked) and blocked[:2] == region for blocked in regions)


def _regions_widened(old: CompiledPolicy, new: CompiledPolicy) -> bool:
    """Some location refused by old's region lock passes new's (travel windows aside)."""
    if old.region_mode == "any":
        return False
    if new.region_mode == "any":
        return old.region_mode == "allow" or bool(old.regions)
    if old.region_mode == "allow":
        if new.region_mode == "block":
            return True  # a block-list allows countries no allow-list names
        return not all(_allow_list_matches_all_of(old.regions, region) for region in new.regions)
    if new.region_mode == "allow":
        return any(_block_list_refuses_some_of(old.regions, region) for region in new.regions)
    # Block-list to block-list: an entry that left the list unblocks something, unless it is a
    # subdivision whose whole country is now blocked.
    return any(not (_is_subdivision(region) and region[:2] in new.regions) for region in old.regions - new.regions)


def _travel_widened(old: tuple[TravelWindow, ...], new: tuple[TravelWindow, ...]) -> bool:
    """Some (region, moment) a new travel window allows was not allowed by the old travel windows."""
    for window in new:
        for region in window.regions:
            spans = sorted(
                (earlier.starts_at, earlier.ends_at)
                for earlier in old
                if _allow_list_matches_all_of(earlier.regions, region)
            )
            if not _spans_cover(spans, window.starts_at, window.ends_at):
                return True
    return False


def _spans_cover(sorted_spans: list[tuple[int, int]], start: int, end: int) -> bool:
    reached = start
    for span_start, span_end in sorted_spans:
        if span_start > reached:
            break
        reached = max(reached, span_end)
        if reached >= end:
            return True
    return reached >= end
